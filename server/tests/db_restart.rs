//! PostgreSQL stopped and started again under load (the embedded cluster, stopped behind the
//! server's back): the server neither panics nor exits, `/readyz` turns 503 and back to 200 by
//! itself, requests answer (503 with Retry-After while the database is away, never a hang), and succeed again
//! after recovery without an operator.

mod common;

use std::{
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::{Spawned, free_addr, get, server, shared_tempdir, wait_for_ok};
use server::embedded::{DATABASE_NAME, EmbeddedPostgres, find_bin_dir};

/// pg_ctl on the embedded cluster, as the user that owns it.
fn pg_ctl(pgdata: &std::path::Path, args: &[&str]) {
    let bin = find_bin_dir().expect("PostgreSQL binaries").join("pg_ctl");
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    // The started server must not inherit our pipes (we would wait for it to close them).
    let log = pgdata.join("server.log");
    let status = cmd
        .arg("-D")
        .arg(pgdata)
        .arg("-l")
        .arg(&log)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "pg_ctl {args:?} failed; see {}",
        log.display()
    );
}

fn wait_for_status(
    addr: std::net::SocketAddr,
    path: &str,
    status: u16,
    limit: Duration,
) -> Duration {
    let start = Instant::now();
    loop {
        if get(addr, path).map(|r| r.0) == Some(status) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{path} did not answer {status} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rides_out_a_database_restart() {
    let data = shared_tempdir();
    let addr = free_addr();
    let mut cmd = server();
    cmd.args([
        "serve",
        "--addr",
        &addr.to_string(),
        "--api-rate-limit",
        "100000",
        "--data-dir",
    ])
    .arg(data.path());
    let mut running = Spawned::new(&mut cmd);
    wait_for_ok(running.child(), addr, "/readyz", Duration::from_secs(90));
    let pgdata = data.path().join("postgres");

    // A user and an API token, written straight into the running cluster.
    let pg = EmbeddedPostgres::start(data.path()).await.unwrap(); // reuses the server's cluster
    let pool = sqlx::PgPool::connect_with(pg.connect_options(DATABASE_NAME))
        .await
        .unwrap();
    let own = common::app::salesperson(&pool, "ADM").await;
    common::app::user(&pool, "admin@example.com", "admin", Some(own)).await;
    let secret = common::api::token(&pool, "admin@example.com").await;
    pool.close().await;
    // And a browser session, signed in over HTTP (its cookie is read from the database on every
    // request by the session layers, before any of our code runs).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = http
        .post(format!("http://{addr}/api/auth/sign_in"))
        .header("accept", "application/json")
        .form(&[
            ("email", "admin@example.com"),
            ("password", common::app::PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pipeline_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie after sign-in")
        .to_owned();

    // A writer too: one opportunity, its estimated value updated again and again (1001, 1002, …).
    let no = {
        let post = |path: &str, body: serde_json::Value| {
            let request = http
                .post(format!("http://{addr}{path}"))
                .bearer_auth(&secret)
                .header("content-type", "application/json")
                .body(body.to_string());
            async move {
                let r = request.send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap()
            }
        };
        let contact = post(
            "/api/v1/contacts",
            serde_json::json!({"kind": "company", "name": "Acme"}),
        )
        .await;
        let opportunity = post(
            "/api/v1/opportunities",
            serde_json::json!({"description": "Deal", "contact_no": contact["no"],
                "sales_cycle": "STANDARD", "estimated_value": "1000", "activate_first_stage": true}),
        )
        .await;
        opportunity["no"].as_str().unwrap().to_owned()
    };
    let stop_writing = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, secret, no) = (stop_writing.clone(), secret.clone(), no.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            // Acknowledged (2xx) and sent; a 503 or no answer may or may not have committed.
            let (mut acknowledged, mut sent) = (Vec::new(), Vec::new());
            for n in 1.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let value = format!("{}.00", 1000 + n);
                sent.push(value.clone());
                let r = http
                    .post(format!("http://{addr}/api/v1/opportunities/{no}/actions"))
                    .bearer_auth(&secret)
                    .header("content-type", "application/json")
                    .body(
                        serde_json::json!({"action": "update", "estimated_value": value})
                            .to_string(),
                    )
                    .timeout(Duration::from_secs(15))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => acknowledged.push(value),
                    Ok(r) if r.status() == 503 => {}
                    Ok(r) => panic!("a move was refused: {}", r.status()),
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (acknowledged, sent)
        })
    };

    // Load: readers asking who they are, as fast as they can, by API token and by session.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (stop, secret, cookie) = (stop.clone(), secret.clone(), cookie.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut ok, mut unavailable, mut unanswered) = (0, 0, 0);
            let mut by_session = false;
            while !stop.load(Ordering::Relaxed) {
                by_session = !by_session;
                let request = if by_session {
                    http.post(format!("http://{addr}/api/auth/me"))
                        .header("cookie", &cookie)
                        .header("accept", "application/json")
                } else {
                    http.get(format!("http://{addr}/api/v1/me"))
                        .bearer_auth(&secret)
                };
                let r = request.timeout(Duration::from_secs(15)).send().await;
                match r {
                    Ok(r) if r.status().is_success() => ok += 1,
                    Ok(r) if r.status() == 503 => {
                        assert_eq!(
                            r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
                            Some("5")
                        );
                        unavailable += 1
                    }
                    Ok(r) => panic!(
                        "unexpected {} ({})",
                        r.status(),
                        if by_session { "session" } else { "token" }
                    ),
                    Err(_) => unanswered += 1,
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (ok, unavailable, unanswered)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    pg_ctl(&pgdata, &["-m", "fast", "-w", "stop"]);
    let noticed = tokio::task::spawn_blocking(move || {
        wait_for_status(addr, "/readyz", 503, Duration::from_secs(15))
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        running.child().try_wait().unwrap().is_none(),
        "the server exited when its database went away"
    );
    // `restart` starts a stopped cluster with the options it last ran with (postmaster.opts).
    pg_ctl(&pgdata, &["-w", "-t", "60", "restart"]);
    let recovered = tokio::task::spawn_blocking(move || {
        wait_for_status(addr, "/readyz", 200, Duration::from_secs(30))
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    stop_writing.store(true, Ordering::Relaxed);
    let (ok, unavailable, unanswered) = load.await.unwrap();
    let (acknowledged, sent) = writer.await.unwrap();
    println!(
        "readyz 503 after {noticed:?}, 200 again {recovered:?} after the restart; load: {ok} ok, {unavailable} 503, {unanswered} unanswered"
    );

    assert!(
        unavailable > 0,
        "the requests while the database was away should have been answered 503"
    );
    assert_eq!(
        unanswered, 0,
        "every request is answered, none hangs or is dropped"
    );
    // After recovery, requests succeed again.
    let http = reqwest::Client::new();
    for _ in 0..5 {
        let r = http
            .get(format!("http://{addr}/api/v1/me"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    // The session outlived the outage: still signed in.
    let me = http
        .post(format!("http://{addr}/api/auth/me"))
        .header("cookie", &cookie)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert!(me.text().await.unwrap().contains("admin@example.com"));
    // Every acknowledged move is stored, in order; nothing nobody sent; the data is consistent.
    let pool = sqlx::PgPool::connect_with(pg.connect_options(DATABASE_NAME))
        .await
        .unwrap();
    let values: Vec<String> = sqlx::query_scalar(
        "select e.estimated_value::text from opportunity_entries e join opportunities o on o.id = e.opportunity_id
         where o.no = $1 and e.entry_no > 1 order by e.entry_no",
    )
    .bind(&no)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        acknowledged.len() >= 10,
        "too few moves to mean anything: {acknowledged:?}"
    );
    let mut stored = values.iter();
    assert!(
        acknowledged.iter().all(|a| stored.any(|v| v == a)),
        "an acknowledged move is missing or out of order: {acknowledged:?} vs {values:?}"
    );
    assert!(
        values.iter().all(|v| sent.contains(v)),
        "an entry nobody asked for"
    );
    let report = server::check::check(&pool).await.unwrap();
    assert_eq!(report.problems(), 0, "{report}");
    pool.close().await;
    assert!(running.child().try_wait().unwrap().is_none());
    assert!(common::terminate(running.take(), Duration::from_secs(60)).success());
    assert!(!common::pg_is_running(data.path()));
}
