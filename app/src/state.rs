//! Server-side state shared by every request: the database pool and Leptos' options.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

/// The pool of the current request, provided as context by the server's router.
pub fn pool() -> Result<PgPool, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>()
        .map(|s| s.pool)
        .ok_or_else(|| {
            crate::error::AppError::internal("server state missing", "no AppState in context")
        })
}

/// `pool.begin()` that a cancelled request cannot cut in half. sqlx 0.8 sends BEGIN and then
/// waits for its answer; if the waiting future is dropped in between (the client went away, the
/// request timed out), its guard rolls back only transactions it has already counted, so the
/// pooled connection goes back to the pool inside a transaction sqlx does not know about: the
/// next requests' "autocommit" statements then run in it, holding their locks until someone's
/// COMMIT, or lost by someone's ROLLBACK. In its own task the BEGIN always completes, and the
/// transaction, if nobody takes it, is dropped and rolled back as usual.
pub async fn begin(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin().await })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
}
