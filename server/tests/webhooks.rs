//! Webhooks end to end: events written to the outbox in the change's transaction (none for a
//! refused change), delivered by the worker to a local receiver with a valid HMAC signature,
//! retried after the receiver fails, never lost when a worker dies mid-delivery, no redirect
//! followed to another host, and every attempt in the log.

mod common;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect},
    routing::post,
};
use common::{
    api::{Api, token, user_by_email},
    app::{salesperson, user},
};
use serde_json::{Value, json};
use sqlx::PgPool;

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    /// Answer 500 to this many requests first.
    fail_first: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let mut fail = r.fail_first.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    r.got
        .lock()
        .unwrap()
        .push((headers, String::from_utf8_lossy(&body).into_owned()));
    StatusCode::NO_CONTENT
}

async fn start_receiver() -> (Receiver, SocketAddr) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let port = addr.port();
    let app =
        Router::new()
            .route("/hook", post(receive))
            // Same host: followed. Another host (localhost is not 127.0.0.1 by name): not followed.
            .route("/moved", post(|| async { Redirect::permanent("/hook") }))
            .route(
                "/elsewhere",
                post(move || async move {
                    Redirect::temporary(&format!("http://localhost:{port}/hook"))
                }),
            )
            .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, addr)
}

async fn pass(pool: &PgPool) -> usize {
    server::webhooks::deliver_due(pool, &server::webhooks::client())
        .await
        .unwrap()
}

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn verify(secret: &str, headers: &HeaderMap, body: &str) {
    let header = headers.get("pipeline-signature").unwrap().to_str().unwrap();
    let t: i64 = header
        .split(',')
        .next()
        .unwrap()
        .strip_prefix("t=")
        .unwrap()
        .parse()
        .unwrap();
    assert!((chrono::Utc::now().timestamp() - t).abs() < 60);
    assert_eq!(header, server::webhooks::signature(secret, t, body));
    assert_ne!(header, server::webhooks::signature("whsec_wrong", t, body));
}

async fn setup(pool: &PgPool, path: &str, addr: SocketAddr) -> (Api, String) {
    let sam = salesperson(pool, "SAM").await;
    user(pool, "admin@example.com", "admin", None).await;
    user(pool, "sam@example.com", "salesperson", Some(sam)).await;
    let admin = user_by_email(pool, "admin@example.com").await;
    let all: Vec<String> = app::webhooks::EVENTS
        .iter()
        .map(|(k, _)| (*k).to_owned())
        .collect();
    let hook =
        app::webhooks::ops::create(pool, &admin, &format!("http://{addr}{path}"), "test", &all)
            .await
            .unwrap();
    (
        Api::new(pool, Some(token(pool, "sam@example.com").await)),
        hook.secret,
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn every_change_is_delivered_signed_and_refusals_send_nothing(pool: PgPool) {
    let (receiver, addr) = start_receiver().await;
    let (sam, secret) = setup(&pool, "/hook", addr).await;

    let co = sam
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "Acme"}),
        )
        .await
        .ok();
    let o = sam
        .post("/api/v1/opportunities", json!({"description": "Hooked", "contact_no": co["no"], "sales_cycle": "STANDARD", "estimated_value": "1000", "activate_first_stage": true}))
        .await
        .ok();
    let path = format!("/api/v1/opportunities/{}", o["no"].as_str().unwrap());
    sam.post(&format!("{path}/actions"), json!({"action": "next"}))
        .await
        .ok();
    sam.patch(&path, json!({"priority": "high"})).await.ok();
    let events_before_refusal = scalar(&pool, "select count(*) from webhook_events").await;
    // A refused move (a quote is required at stage 3) writes no event.
    sam.post(&format!("{path}/actions"), json!({"action": "next"}))
        .await
        .problem(422);
    assert_eq!(
        scalar(&pool, "select count(*) from webhook_events").await,
        events_before_refusal
    );
    sam.post(
        &format!("{path}/close"),
        json!({"outcome": "lost", "close_code": "LOST-PRICE"}),
    )
    .await
    .ok();

    // In the outbox before any delivery: created, the stage-1 tasks, moved (First is part of the
    // create here, so: created), moved, updated, closed.
    let events: Vec<String> = sqlx::query_scalar("select event from webhook_events order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let tasks = scalar(&pool, "select count(*) from tasks").await as usize;
    assert!(tasks >= 1);
    assert_eq!(
        events.iter().filter(|e| *e == "task.created").count(),
        tasks
    );
    let opp_events: Vec<&str> = events
        .iter()
        .filter(|e| e.starts_with("opportunity."))
        .map(String::as_str)
        .collect();
    assert_eq!(
        opp_events,
        [
            "opportunity.created",
            "opportunity.moved",
            "opportunity.updated",
            "opportunity.closed"
        ]
    );
    assert!(receiver.got.lock().unwrap().is_empty());

    while pass(&pool).await > 0 {}
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), events.len());
    for (headers, body) in &got {
        verify(&secret, headers, body);
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            headers.get("pipeline-event").unwrap().to_str().unwrap(),
            payload["event"].as_str().unwrap()
        );
        assert_eq!(headers.get("content-type").unwrap(), "application/json");
    }
    let closed = got
        .iter()
        .map(|(_, b)| serde_json::from_str::<Value>(b).unwrap())
        .find(|p| p["event"] == "opportunity.closed")
        .unwrap();
    assert_eq!(closed["opportunity"]["status"], "lost");
    assert_eq!(closed["opportunity"]["close_code"], "LOST-PRICE");
    assert_eq!(closed["opportunity"]["estimated_value"], "1000.00");
    assert_eq!(closed["by"], "sam");
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from webhook_deliveries where status = 'delivered'"
        )
        .await as usize,
        events.len()
    );
    // A paused webhook gets nothing new, and nothing is stored for it.
    sqlx::query("update webhooks set active = false")
        .execute(&pool)
        .await
        .unwrap();
    sam.patch(&path, json!({"priority": "low"}))
        .await
        .problem(422); // closed: refused anyway
    sam.post(
        "/api/v1/opportunities",
        json!({"description": "Quiet", "contact_no": co["no"], "sales_cycle": "STANDARD"}),
    )
    .await
    .ok();
    assert_eq!(
        scalar(&pool, "select count(*) from webhook_events").await as usize,
        events.len()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn failures_are_retried_and_logged_and_a_dead_worker_loses_nothing(pool: PgPool) {
    let (receiver, addr) = start_receiver().await;
    let (sam, secret) = setup(&pool, "/moved", addr).await;
    *receiver.fail_first.lock().unwrap() = 2;
    let co = sam
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "Acme"}),
        )
        .await
        .ok();
    sam.post(
        "/api/v1/opportunities",
        json!({"description": "Retry", "contact_no": co["no"], "sales_cycle": "STANDARD"}),
    )
    .await
    .ok();

    // First try: 500 (after a same-host redirect, which is followed). Logged, due again later.
    assert_eq!(pass(&pool).await, 1);
    let (status, attempts, wait): (String, i32, f64) = sqlx::query_as(
        "select status, attempts, extract(epoch from next_attempt_at - now())::float8 from webhook_deliveries",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!((5.0..=10.5).contains(&wait), "{wait}");
    assert_eq!(pass(&pool).await, 0, "not due yet");
    // Due again: fails once more, then succeeds.
    for _ in 0..2 {
        sqlx::query("update webhook_deliveries set next_attempt_at = now()")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(pass(&pool).await, 1);
    }
    let log: Vec<Option<i32>> =
        sqlx::query_scalar("select response_status from webhook_attempts order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(log, [Some(500), Some(500), Some(204)]);
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0].0, &got[0].1);
    // The log page's data shows the attempts.
    let overview = app::webhooks::ops::overview(&pool, Some(1)).await.unwrap();
    let (_, deliveries) = overview.log.unwrap();
    assert_eq!(deliveries[0].status, "delivered");
    assert_eq!(deliveries[0].attempts.len(), 3);

    // A worker that took a delivery and died: its lease runs out and another worker sends it.
    sam.post(
        "/api/v1/opportunities",
        json!({"description": "Orphan", "contact_no": co["no"], "sales_cycle": "STANDARD"}),
    )
    .await
    .ok();
    sqlx::query("update webhook_deliveries set next_attempt_at = now() + interval '60 seconds' where status = 'pending'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(pass(&pool).await, 0, "leased by the dead worker");
    sqlx::query("update webhook_deliveries set next_attempt_at = now() where status = 'pending'")
        .execute(&pool)
        .await
        .unwrap();
    // The real worker loop (as `serve` runs it) picks it up and stops when told.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(server::webhooks::run(pool.clone(), stop_rx));
    for _ in 0..50 {
        if receiver.got.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop_tx.send(true).unwrap();
    worker.await.unwrap();
    assert_eq!(receiver.got.lock().unwrap().len(), 2);
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from webhook_deliveries where status <> 'delivered'"
        )
        .await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn redirects_to_another_host_are_not_followed(pool: PgPool) {
    let (receiver, addr) = start_receiver().await;
    let (sam, _) = setup(&pool, "/elsewhere", addr).await;
    let co = sam
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "Acme"}),
        )
        .await
        .ok();
    sam.post(
        "/api/v1/opportunities",
        json!({"description": "Bounce", "contact_no": co["no"], "sales_cycle": "STANDARD"}),
    )
    .await
    .ok();
    assert_eq!(pass(&pool).await, 1);
    assert!(receiver.got.lock().unwrap().is_empty());
    let status: Option<i32> = sqlx::query_scalar("select response_status from webhook_attempts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, Some(307));
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from webhook_deliveries where status = 'pending'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn only_admins_manage_webhooks_and_only_http_urls(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let mut seller = common::app::signed_in(&pool, "sam@example.com").await;
    let r = seller.call("webhooks/list", &[]).await;
    assert_eq!(r.status, 403);
    let r = seller
        .call(
            "webhooks/create",
            &[("url", "https://example.com/x"), ("ev_created", "true")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(scalar(&pool, "select count(*) from webhooks").await, 0);

    let mut admin = common::app::signed_in(&pool, "admin@example.com").await;
    let r = admin
        .call(
            "webhooks/create",
            &[("url", "file:///etc/passwd"), ("ev_created", "true")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = admin
        .call("webhooks/create", &[("url", "https://example.com/x")])
        .await;
    assert_eq!(r.status, 422, "no event chosen: {}", r.body);
    let r = admin
        .call(
            "webhooks/create",
            &[
                ("url", "https://example.com/x"),
                ("ev_created", "true"),
                ("ev_task", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let made: Value = serde_json::from_str(&r.body).unwrap();
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    let events: Vec<String> = sqlx::query_scalar("select events from webhooks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, ["opportunity.created", "task.created"]);
    let r = admin.call("webhooks/list", &[]).await;
    assert_eq!(r.status, 200);
    assert!(
        !r.body.contains(made["secret"].as_str().unwrap()),
        "the secret is shown once, not listed"
    );
}
