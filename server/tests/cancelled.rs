//! Requests the client gives up on half-way (it closes the connection: a timeout, a closed tab)
//! leave nothing behind: no pooled connection inside a transaction (sqlx's BEGIN, cut between
//! sending it and reading its answer, would leave one: `app::state::begin`), no lock held, every
//! move all or nothing, and the server goes on serving.

mod common;

use std::time::Duration;

use common::{
    Spawned,
    api::{Api, started_opportunities, token},
    app::{salesperson, user},
    free_addr, server, wait_for_ok,
};
use rand::{Rng, SeedableRng};
use serde_json::json;
use sqlx::PgPool;

const CARDS: usize = 8;
const REQUESTS: usize = 1600;

#[sqlx::test(migrations = "../migrations")]
async fn requests_cut_off_at_any_point_leave_no_transaction_open(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let secret = token(&pool, "sam@example.com").await;
    let api = Api::new(&pool, Some(secret.clone()));
    let numbers = started_opportunities(&api, CARDS).await;

    let addr = free_addr();
    let mut cmd = server();
    cmd.args([
        "serve",
        "--addr",
        &addr.to_string(),
        "--api-rate-limit",
        "100000",
    ])
    .env("DATABASE_URL", common::url_of(&pool.connect_options()));
    let mut running = Spawned::new(&mut cmd);
    wait_for_ok(running.child(), addr, "/readyz", Duration::from_secs(60));

    // Moves from 8 clients at once, each given up by its client after a random 0.1–40 ms (a debug build answers in 5–30): some
    // before the server read them, some in the middle of their transaction, some after it.
    let http = reqwest::Client::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let (mut answered, mut cut) = (0, 0);
    for batch in 0..REQUESTS / CARDS {
        let requests: Vec<_> = numbers
            .iter()
            .map(|no| {
                let request = http
                    .post(format!("http://{addr}/api/v1/opportunities/{no}/actions"))
                    .bearer_auth(&secret)
                    .header("content-type", "application/json")
                    .body(json!({"action": "update", "estimated_value": format!("{}.00", 1000 + batch)}).to_string())
                    .timeout(Duration::from_micros(rng.gen_range(100..40_000)));
                tokio::spawn(request.send())
            })
            .collect();
        for request in requests {
            match request.await.unwrap() {
                Ok(r) => {
                    assert!(r.status().as_u16() < 500, "a move answered {}", r.status());
                    answered += 1;
                }
                Err(_) => cut += 1,
            }
        }
    }
    assert!(
        cut > REQUESTS / 4 && answered > 0,
        "{cut} cut off, {answered} answered: the run exercised both"
    );

    // Whatever the server was doing when the client left has finished or rolled back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open: Vec<(String, String)> = sqlx::query_as(
        "select state, query from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        open.is_empty(),
        "pooled connections left inside a transaction: {open:?}"
    );
    let report = server::check::check(&pool).await.unwrap();
    assert_eq!(report.problems(), 0, "{report}");

    // Every card still moves at once (no lock left behind).
    for no in &numbers {
        let r = http
            .post(format!("http://{addr}/api/v1/opportunities/{no}/actions"))
            .bearer_auth(&secret)
            .header("content-type", "application/json")
            .body(r#"{"action": "update"}"#)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{no}: {}", r.status());
    }
}
