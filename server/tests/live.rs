//! The live change feed: one notification per committed change (none for a refused or
//! rolled-back one), each viewer told only about what they may see, and a resync when the
//! listener's database connection is cut.

mod common;

use std::time::Duration;

use app::auth::backend::Backend;
use axum_login::AuthnBackend;
use common::app::*;
use futures::StreamExt;
use serde_json::Value;
use server::live::{Feed, Message, Signal, viewer_messages};
use sqlx::{PgPool, postgres::PgListener};

fn json(r: &Reply) -> Value {
    serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.status, r.body))
}

fn ok(r: &Reply) -> Value {
    assert!(
        r.status.is_success(),
        "expected success, got {} {}",
        r.status,
        r.body
    );
    json(r)
}

/// Every notification that arrives within `wait` of the last one.
async fn notifications(listener: &mut PgListener, wait: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(Ok(n)) = tokio::time::timeout(wait, listener.recv()).await {
        out.push(serde_json::from_str(n.payload()).unwrap());
    }
    out
}

async fn expect_one(listener: &mut PgListener, kind: &str, id: i64, version: i64) {
    let got = notifications(listener, Duration::from_millis(300)).await;
    assert_eq!(got.len(), 1, "one notification for {kind}: {got:?}");
    assert_eq!(
        (
            got[0]["k"].as_str(),
            got[0]["id"].as_i64(),
            got[0]["v"].as_i64()
        ),
        (Some(kind), Some(id), Some(version)),
        "{got:?}"
    );
    assert!(
        got[0].get("description").is_none() && got[0].get("estimated_value").is_none(),
        "ids and versions only: {got:?}"
    );
}

async fn expect_none(listener: &mut PgListener, what: &str) {
    let got = notifications(listener, Duration::from_millis(300)).await;
    assert!(got.is_empty(), "no notification for {what}: {got:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_committed_change_is_announced_once_and_a_refused_one_never(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let contact: i64 = sqlx::query_scalar("insert into contacts (kind, name, salesperson_id) values ('company', 'Acme', $1) returning id")
        .bind(sam)
        .fetch_one(&pool)
        .await
        .unwrap();
    let cycle: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen(app::live::CHANNEL).await.unwrap();

    let id = ok(&admin
        .call(
            "opportunities/create",
            &[
                ("description", "Deal"),
                ("contact_id", &contact.to_string()),
                ("salesperson_id", &sam.to_string()),
                ("cycle_id", &cycle.to_string()),
                ("estimated_value", "1000"),
                ("activate_first_stage", "on"),
            ],
        )
        .await)
    .as_i64()
    .unwrap();
    let version = |b: Value| b["version"].as_i64().unwrap();
    let v = version(ok(&admin
        .call("opportunities/get", &[("id", &id.to_string())])
        .await));
    expect_one(&mut listener, "created", id, v).await;
    let s = id.to_string();

    let saved = ok(&admin
        .call(
            "opportunities/update",
            &[("id", &s), ("version", &v.to_string()), ("action", "Next")],
        )
        .await);
    expect_one(&mut listener, "updated", id, version(saved.clone())).await;
    let v = version(saved);

    // Refused by a rule, and refused as stale: nothing was committed, nothing is announced.
    let refused = admin
        .call(
            "opportunities/update",
            &[("id", &s), ("version", &v.to_string()), ("action", "Next")],
        )
        .await;
    assert!(
        refused.status.is_client_error(),
        "Proposal needs a quote: {} {}",
        refused.status,
        refused.body
    );
    expect_none(&mut listener, "a refused move").await;
    let stale = admin
        .call(
            "opportunities/update",
            &[
                ("id", &s),
                ("version", &(v - 1).to_string()),
                ("action", "Previous"),
            ],
        )
        .await;
    assert_eq!(stale.status.as_u16(), 409);
    expect_none(&mut listener, "a stale move").await;

    let saved = ok(&admin
        .call(
            "opportunities/edit",
            &[
                ("id", &s),
                ("version", &v.to_string()),
                ("description", "Bigger deal"),
                ("priority", "high"),
            ],
        )
        .await);
    expect_one(&mut listener, "edited", id, version(saved.clone())).await;
    let v = version(saved);
    let saved = ok(&admin
        .call(
            "opportunities/quote/add-line",
            &[
                ("id", &s),
                ("version", &v.to_string()),
                ("description", "Licences"),
                ("quantity", "1"),
                ("unit_price", "900"),
            ],
        )
        .await);
    expect_one(&mut listener, "quote", id, version(saved.clone())).await;
    let v = version(saved);
    ok(&admin
        .call("board/reorder", &[("id", &s), ("rank", "5")])
        .await);
    expect_one(&mut listener, "reordered", id, v).await;
    let task: (i64, i32) = sqlx::query_as(
        "select id, version from tasks where opportunity_id = $1 order by id limit 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    ok(&admin
        .call(
            "tasks/set-status",
            &[
                ("id", &task.0.to_string()),
                ("version", &task.1.to_string()),
                ("status", "done"),
            ],
        )
        .await);
    expect_one(&mut listener, "task", id, v).await;
    let saved = ok(&admin
        .call(
            "opportunities/close",
            &[
                ("id", &s),
                ("version", &v.to_string()),
                ("outcome", "lost"),
                ("close_code", "LOST-PRICE"),
            ],
        )
        .await);
    expect_one(&mut listener, "closed", id, version(saved)).await;
    let after = admin
        .call(
            "opportunities/close",
            &[
                ("id", &s),
                ("version", &(v + 1).to_string()),
                ("outcome", "won"),
                ("close_code", "WON-PRICE"),
            ],
        )
        .await;
    assert!(after.status.is_client_error());
    expect_none(&mut listener, "closing a closed opportunity").await;
}

fn change(id: i64) -> app::live::Change {
    app::live::Change {
        id,
        version: 2,
        kind: app::live::ChangeKind::Updated,
        by: None,
        by_id: None,
        at: None,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn each_viewer_is_told_only_about_what_they_may_see(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    let tina = salesperson(&pool, "TINA").await;
    let otto = salesperson(&pool, "OTTO").await;
    let manager = user(&pool, "manager@example.com", "manager", None).await;
    team(&pool, "NORTH", &[sam, tina], &[manager]).await;
    let viewers = [
        (
            "admin",
            user(&pool, "admin@example.com", "admin", None).await,
            vec![1, 2, 3],
        ),
        ("manager of North", manager, vec![1, 2]),
        (
            "Tina (North)",
            user(&pool, "tina@example.com", "salesperson", Some(tina)).await,
            vec![1, 2],
        ),
        (
            "Otto (no team)",
            user(&pool, "otto@example.com", "salesperson", Some(otto)).await,
            vec![3],
        ),
    ];
    let backend = Backend::new(pool.clone());
    for (who, id, expected) in viewers {
        let user = backend.get_user(&id).await.unwrap().unwrap();
        let viewer = app::auth::access::resolve(&pool, user.clone())
            .await
            .unwrap();
        let (sender, receiver) = tokio::sync::broadcast::channel(16);
        let messages = viewer_messages(pool.clone(), user, viewer, receiver);
        // Opportunity 1 is Sam's, 2 Tina's, 3 Otto's; then a resync for everyone.
        for (opportunity, owner) in [(1, sam), (2, tina), (3, otto)] {
            sender
                .send(Signal {
                    change: Some(change(opportunity)),
                    salesperson_id: owner,
                })
                .unwrap();
        }
        sender.send(Signal::resync()).unwrap();
        drop(sender);
        let got: Vec<Message> = tokio::time::timeout(Duration::from_secs(5), messages.collect())
            .await
            .unwrap();
        let mut want = vec![Message::Hello];
        want.extend(expected.into_iter().map(|id| Message::Change(change(id))));
        want.push(Message::Resync);
        assert_eq!(got, want, "{who}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn cutting_the_listeners_connection_tells_every_viewer_to_resync(pool: PgPool) {
    let feed = Feed::start(pool.clone());
    let mut signals = feed.subscribe();
    // Listening: a change comes through.
    let notify = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query(&format!("select pg_notify($1, '{{\"id\":{id},\"v\":3,\"sp\":1,\"k\":\"edited\",\"by\":null}}')"))
                .bind(app::live::CHANNEL)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    let mut first = None;
    for _ in 0..50 {
        notify(6).await;
        if let Ok(Ok(signal)) =
            tokio::time::timeout(Duration::from_millis(200), signals.recv()).await
        {
            first = Some(signal);
            break;
        }
    }
    assert_eq!(
        first.and_then(|s| s.change).map(|c| c.id),
        Some(6),
        "the listener is listening"
    );
    while signals.try_recv().is_ok() {}
    let killed: i64 = sqlx::query_scalar(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity
         where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(killed, 1, "the listener's connection");
    let next = tokio::time::timeout(Duration::from_secs(10), signals.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        next.change.is_none(),
        "a resync after reconnecting, got {next:?}"
    );
    // And it listens again.
    notify(7).await;
    let change = tokio::time::timeout(Duration::from_secs(10), signals.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change.change.map(|c| (c.id, c.version)), Some((7, 3)));
}
