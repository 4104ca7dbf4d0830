//! `kill -9` of the server in the middle of a burst of moves (through the REST API, each from its
//! own client): every move answered 2xx is in the database, nothing else is but the moves that
//! were in flight (all or nothing each), the consistency check is green, and the server starts
//! again on the same database without an operator.

mod common;

use std::{collections::HashMap, time::Duration};

use common::{
    Spawned,
    api::{Api, started_opportunities, token},
    app::{salesperson, user},
    free_addr, server, wait_for_ok,
};
use serde_json::json;
use sqlx::PgPool;

const CLIENTS: usize = 12;

#[sqlx::test(migrations = "../migrations")]
async fn kill_9_during_a_burst_of_moves_loses_no_acknowledged_move_and_leaves_nothing_half_done(
    pool: PgPool,
) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let secret = token(&pool, "sam@example.com").await;
    // One opportunity per client, started (entry 1), made in-process through the API's own code.
    let api = Api::new(&pool, Some(secret.clone()));
    let numbers = started_opportunities(&api, CLIENTS).await;

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

    // Each client updates its opportunity's estimated value again and again (1001, 1002, …);
    // the values tell the entries apart.
    let http = reqwest::Client::new();
    let clients = numbers.iter().cloned().map(|no| {
        let (http, secret) = (http.clone(), secret.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut sent = Vec::new();
            for n in 1.. {
                let value = format!("{}.00", 1000 + n);
                sent.push(value.clone());
                let answer = http
                    .post(format!("http://{addr}/api/v1/opportunities/{no}/actions"))
                    .bearer_auth(&secret)
                    .header("content-type", "application/json")
                    .body(json!({"action": "update", "estimated_value": value}).to_string())
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => acknowledged.push(value),
                    Ok(r) => panic!(
                        "a move was refused: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    ),
                    Err(_) => break, // the server is gone
                }
            }
            (no, acknowledged, sent)
        })
    });
    let clients: Vec<_> = clients.collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.child().kill().unwrap(); // SIGKILL: no shutdown, no flush, mid-request
    running.child().wait().unwrap();
    let mut results = HashMap::new();
    for client in clients {
        let (no, acknowledged, sent) = client.await.unwrap();
        results.insert(no, (acknowledged, sent));
    }
    let total: usize = results.values().map(|(a, _)| a.len()).sum();
    assert!(
        total >= CLIENTS * 3,
        "the burst was too short to mean anything ({total} moves)"
    );

    for (no, (acknowledged, sent)) in &results {
        let values: Vec<String> = sqlx::query_scalar(
            "select e.estimated_value::text from opportunity_entries e join opportunities o on o.id = e.opportunity_id
             where o.no = $1 and e.entry_no > 1 order by e.entry_no",
        )
        .bind(no)
        .fetch_all(&pool)
        .await
        .unwrap();
        // In order, every acknowledged one, then at most the one in flight when the server died.
        assert_eq!(
            &values[..acknowledged.len()],
            &acknowledged[..],
            "{no}: an acknowledged move is missing"
        );
        assert!(
            values.len() <= acknowledged.len() + 1,
            "{no}: more entries than moves in flight"
        );
        assert!(
            values.iter().all(|v| sent.contains(v)),
            "{no}: an entry nobody asked for"
        );
    }
    let report = server::check::check(&pool).await.unwrap();
    assert_eq!(report.problems(), 0, "{report}");

    // Started again on the same database, it serves at once.
    let mut again = Spawned::new(&mut cmd);
    wait_for_ok(again.child(), addr, "/readyz", Duration::from_secs(60));
    let r = http
        .post(format!(
            "http://{addr}/api/v1/opportunities/{}/actions",
            numbers[0]
        ))
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body(r#"{"action": "next"}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}
