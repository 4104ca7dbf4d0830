//! A failure just before a move commits (the `fail` crate's failpoint `move-before-commit`,
//! built with the `failpoints` feature): nothing of the move is visible, and the client is told
//! it did not happen. In its own test binary: failpoints are process-wide.
#![cfg(feature = "failpoints")]

mod common;

use common::app::*;
use sqlx::PgPool;

async fn snapshot(pool: &PgPool) -> (i64, i64, i64, String) {
    sqlx::query_as(
        "select (select count(*) from opportunity_entries), (select count(*) from webhook_events),
                (select count(*) from stage_days), (select md5(string_agg(o::text, '|' order by o.id)) from opportunities o)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_move_that_fails_before_commit_leaves_nothing_behind(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let mut sam_b = signed_in(&pool, "sam@example.com").await;
    let id = started_opportunity(&mut sam_b, &pool, sam, "Fragile deal")
        .await
        .to_string();
    // A webhook subscriber, so that the move would also have written an outbox event.
    sqlx::query("insert into webhooks (url, secret, events) values ('http://127.0.0.1:9/hook', 'secret', '{opportunity.moved}')")
        .execute(&pool)
        .await
        .unwrap();
    let before = snapshot(&pool).await;
    let version: i32 = sqlx::query_scalar("select version from opportunities where id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    let version = version.to_string();

    fail::cfg("move-before-commit", "return").unwrap();
    let drag = sam_b
        .call(
            "board/move",
            &[("id", &id), ("version", &version), ("action", "Next")],
        )
        .await;
    let close = sam_b
        .call(
            "opportunities/close",
            &[
                ("id", &id),
                ("version", &version),
                ("outcome", "lost"),
                ("close_code", "LOST-PRICE"),
            ],
        )
        .await;
    fail::remove("move-before-commit");

    for answer in [&drag, &close] {
        assert_eq!(answer.status, 500, "{}", answer.body);
        // The app shows the error's own words.
        let error: app::error::AppError = serde_json::from_str(&answer.body).unwrap();
        assert!(
            error.to_string().contains("nothing was saved"),
            "the client is told it did not happen: {error}"
        );
    }
    assert_eq!(
        snapshot(&pool).await,
        before,
        "no entry, no summary, no event, no change of the opportunity"
    );

    // Once the fault is gone the same move, from the same version, goes through.
    let r = sam_b
        .call(
            "board/move",
            &[("id", &id), ("version", &version), ("action", "Next")],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let report = server::check::check(&pool).await.unwrap();
    assert_eq!(report.problems(), 0, "{report}");
}
