//! Health, readiness and migrations, through the real router.

use app::state::AppState;
use axum::{body::Body, http::Request};
use sqlx::PgPool;
use tower::ServiceExt;

fn state(pool: PgPool) -> AppState {
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("pipeline")
        .build();
    AppState {
        pool,
        leptos_options,
    }
}

async fn get(pool: PgPool, path: &str) -> (u16, serde_json::Value) {
    let response = server::http::router(state(pool), Default::default())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn health_answers_ok(pool: PgPool) {
    assert_eq!(
        get(pool, "/healthz").await,
        (200, serde_json::json!({ "status": "ok" }))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_migrated_database_is_ready(pool: PgPool) {
    assert_eq!(
        get(pool, "/readyz").await,
        (200, serde_json::json!({ "status": "ready" }))
    );
}

#[sqlx::test(migrations = false)]
async fn an_unmigrated_database_is_not_ready(pool: PgPool) {
    let (status, body) = get(pool, "/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "not ready");
}

#[sqlx::test(migrations = false)]
async fn a_database_that_went_away_is_not_ready(pool: PgPool) {
    server::db::migrate(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(get(pool, "/readyz").await.0, 503);
}

#[sqlx::test(migrations = false)]
async fn migrations_apply_to_an_empty_database_and_again_as_a_no_op(pool: PgPool) {
    server::db::migrate(&pool).await.expect("first run");
    server::db::migrate(&pool)
        .await
        .expect("second run is a no-op");
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, server::db::MIGRATOR.iter().count());
    assert!(server::db::is_ready(&pool).await.is_ok());
}
