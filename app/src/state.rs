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
