//! Faults under concurrency (issue "reliability"): many people moving the same card at once, on
//! every door (the board's drag and the REST API). Exactly one move per version is applied; the
//! rest are told the card changed; the data stays consistent.

mod common;

use common::{
    api::{Api, token},
    app::*,
};
use futures::future::join_all;
use serde_json::json;
use sqlx::{PgPool, postgres::PgPoolOptions};

/// A pool big enough for every request to hold its own connection at once (the test pool
/// allows 5), so the moves really race inside PostgreSQL.
async fn wide_pool(pool: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(60)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap()
}

async fn state(pool: &PgPool, id: i64) -> (i32, i32, Option<String>) {
    sqlx::query_as(
        "select o.version, o.entry_count, s.description from opportunities o left join sales_cycle_stages s on s.id = o.current_stage_id where o.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_moves_of_one_card_apply_exactly_once_per_version(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let wide = wide_pool(&pool).await;
    let mut browser = signed_in(&wide, "sam@example.com").await;
    let id = started_opportunity(&mut browser, &pool, sam, "Contested deal").await;
    let (version, entries, stage) = state(&pool, id).await;
    assert_eq!((entries, stage.as_deref()), (1, Some("Qualification")));

    // The board: 50 drags of the same card, all prepared from the same version.
    let drags = (0..50).map(|_| {
        let mut b = browser.clone();
        let (id, version) = (id.to_string(), version.to_string());
        async move {
            b.call(
                "board/move",
                &[("id", &id), ("version", &version), ("action", "Next")],
            )
            .await
        }
    });
    let answers = join_all(drags).await;
    let won: Vec<_> = answers.iter().filter(|a| a.status.is_success()).collect();
    let conflicts = answers.iter().filter(|a| a.status == 409).count();
    assert_eq!(
        won.len(),
        1,
        "exactly one drag applies: {:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(conflicts, 49, "the others are told the card changed");
    assert!(
        answers
            .iter()
            .filter(|a| a.status == 409)
            .all(|a| a.body.contains("changed")),
        "{}",
        answers[0].body
    );
    let (version, entries, stage) = state(&pool, id).await;
    assert_eq!((entries, stage.as_deref()), (2, Some("Needs analysis")));

    // The API: 50 moves with the same ETag.
    let api = Api::new(&wide, Some(token(&wide, "sam@example.com").await));
    let no: String = sqlx::query_scalar("select no from opportunities where id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let etag = format!("\"v{version}\"");
    let path = format!("/api/v1/opportunities/{no}/actions");
    // Back to Qualification (Proposal, the next stage, needs a quote).
    let body = json!({"action": "previous"}).to_string();
    let headers = [("if-match", etag.as_str())];
    let moves = (0..50).map(|_| api.send("POST", &path, Some(&body), &headers));
    let answers = join_all(moves).await;
    let applied = answers.iter().filter(|a| a.status.is_success()).count();
    let refused = answers
        .iter()
        .filter(|a| a.status == 412 || a.status == 409)
        .count();
    assert_eq!(
        (applied, refused),
        (1, 49),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let (_, entries, _) = state(&pool, id).await;
    assert_eq!(entries, 3);

    let report = server::check::check(&pool).await.unwrap();
    assert_eq!(report.problems(), 0, "{report}");
    wide.close().await;
}

/// A session the database ends (shutdown, restart, an operator's `pg_terminate_backend`) is an
/// outage to report as 503 with Retry-After, not an internal error: a pooled connection learns it
/// only on its next statement, so some request always meets it.
#[sqlx::test(migrations = "../migrations")]
async fn a_connection_the_database_ended_reads_as_unavailable(pool: PgPool) {
    let mut victim = pool.acquire().await.unwrap();
    let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut *victim)
        .await
        .unwrap();
    let ended: bool = sqlx::query_scalar("select pg_terminate_backend($1, 5000)")
        .bind(pid)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(ended);
    let error = sqlx::query("select 1")
        .execute(&mut *victim)
        .await
        .unwrap_err();
    let app_error = app::error::AppError::from(error);
    assert_eq!(app_error.status(), 503, "{app_error:?}");
}
