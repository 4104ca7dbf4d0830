//! Soak: the server under a steady mixed load (moves, reads, list pages through the REST API)
//! keeps flat memory, file descriptors and database connections. CI runs it for 20 s on the
//! debug binary; `scripts/soak.sh` runs it for 10 minutes on the release binary at half the
//! measured capacity (PIPELINE_SOAK_SECS, PIPELINE_SOAK_RATE, PIPELINE_SOAK_BIN).

mod common;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use common::{
    Spawned,
    api::{Api, started_opportunities, token},
    app::{salesperson, user},
    free_addr, wait_for_ok,
};
use serde_json::json;
use sqlx::PgPool;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (resident memory in MB, open file descriptors) of a process.
fn usage(pid: u32) -> (f64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    (kb / 1024.0, fds)
}

async fn connections(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn under_steady_load_memory_descriptors_and_connections_stay_flat(pool: PgPool) {
    let seconds: u64 = env_or("PIPELINE_SOAK_SECS", 20);
    let rate: u64 = env_or("PIPELINE_SOAK_RATE", 100);
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let secret = token(&pool, "sam@example.com").await;
    let api = Api::new(&pool, Some(secret.clone()));
    // Enough cards that two moves of the same one at once (409, correct) stay rare.
    let numbers = started_opportunities(&api, 200).await;

    let url = common::url_of(&pool.connect_options());
    let binary = std::env::var("PIPELINE_SOAK_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_server").to_owned());
    let addr = free_addr();
    let mut cmd = Command::new(binary);
    cmd.env_remove("DATABASE_URL")
        .env("LEPTOS_OUTPUT_NAME", "pipeline")
        .env("PIPELINE_LOG", "warn")
        .args([
            "serve",
            "--addr",
            &addr.to_string(),
            "--api-rate-limit",
            "100000",
        ])
        .env("DATABASE_URL", url);
    let mut running = Spawned::new(&mut cmd);
    wait_for_ok(running.child(), addr, "/readyz", Duration::from_secs(60));
    let pid = running.child().id();

    // A fixed offered rate, spread over a few clients; each request is one of: a move of an
    // opportunity (update, new value), a read of one, or a page of the list.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .build()
        .unwrap();
    let send = |i: u64| {
        let (http, secret) = (http.clone(), secret.clone());
        let no = numbers[i as usize % numbers.len()].clone();
        async move {
            let base = format!("http://{addr}/api/v1/opportunities");
            let request = match i % 4 {
                0 | 1 => http
                    .post(format!("{base}/{no}/actions"))
                    .header("content-type", "application/json")
                    .body(json!({"action": "update", "estimated_value": format!("{}.00", 1000 + i % 5000)}).to_string()),
                2 => http.get(format!("{base}/{no}")),
                _ => http.get(format!("{base}?limit=25")),
            };
            request
                .bearer_auth(&secret)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    };
    let run = |from: u64, for_secs: u64| {
        let send = &send;
        async move {
            let interval = Duration::from_secs_f64(1.0 / rate as f64);
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let end = Instant::now() + Duration::from_secs(for_secs);
            let mut in_flight = futures::stream::FuturesUnordered::new();
            // (succeeded, conflicts: two moves of one card at once, failed)
            let mut counts = (0u64, 0u64, 0u64);
            let mut i = from;
            let mut count = |done: Result<u16, reqwest::Error>| match done {
                Ok(200..=299) => counts.0 += 1,
                Ok(409) => counts.1 += 1,
                _ => counts.2 += 1,
            };
            use futures::StreamExt;
            while Instant::now() < end {
                tokio::select! {
                    _ = ticker.tick() => { in_flight.push(send(i)); i += 1; }
                    Some(done) = in_flight.next() => count(done),
                }
            }
            while let Some(done) = in_flight.next().await {
                count(done);
            }
            (counts, i)
        }
    };

    // Warm up (caches, pool, allocator), then measure from there.
    let (_, next) = run(0, 3.min(seconds)).await;
    let (rss_start, fds_start) = usage(pid);
    let db_start = connections(&pool).await;
    let ((ok, conflicts, failed), _) = run(next, seconds).await;
    let (rss_end, fds_end) = usage(pid);
    let db_end = connections(&pool).await;
    println!(
        "soak {seconds} s at {rate}/s: {ok} ok, {conflicts} conflicts (409), {failed} failed; RSS {rss_start:.1} → {rss_end:.1} MB; fds {fds_start} → {fds_end}; database connections {db_start} → {db_end}"
    );

    assert_eq!(failed, 0, "every request succeeds at this rate");
    assert!(
        ok + conflicts >= seconds * rate * 9 / 10,
        "the offered rate was not served: {ok} in {seconds} s"
    );
    assert!(rss_end <= 150.0, "RSS {rss_end:.1} MB");
    assert!(
        rss_end - rss_start <= 15.0,
        "memory grew by {:.1} MB",
        rss_end - rss_start
    );
    assert!(
        fds_end <= fds_start + 10,
        "file descriptors grew {fds_start} → {fds_end}"
    );
    assert!(db_end <= 17, "{db_end} database connections");
    let report = server::check::check(&pool).await.unwrap();
    assert_eq!(report.problems(), 0, "{report}");
    assert!(common::terminate(running.take(), Duration::from_secs(30)).success());
}
