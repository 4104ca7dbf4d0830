//! Helpers for tests that run the real `server` binary.
#![allow(dead_code)] // each test file uses a different subset

pub mod api;
pub mod app;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// The server binary, with the environment the scripts give it and none of the caller's database.
pub fn server() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env_remove("DATABASE_URL")
        .env("LEPTOS_OUTPUT_NAME", "pipeline")
        .env("PIPELINE_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// Runs the server to completion with a time limit (start-up failures must end it quickly).
pub fn run_to_end(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the server did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

/// The URL of a test database, for a server process started by the test.
pub fn url_of(options: &sqlx::postgres::PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A minimal HTTP/1.1 GET: (status, body). None while nothing listens.
pub fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// A spawned server that is killed if the test ends early (a failed assertion must not leave
/// it running, holding the test runner's output open).
pub struct Spawned(Option<Child>);

impl Spawned {
    pub fn new(cmd: &mut Command) -> Self {
        Self(Some(cmd.spawn().expect("spawn server")))
    }

    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("running")
    }

    pub fn take(mut self) -> Child {
        self.0.take().expect("running")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `path` until it answers 200.
pub fn wait_for_ok(child: &mut Child, addr: SocketAddr, path: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited early with {status}");
        }
        if matches!(get(addr, path), Some((200, _))) {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{path} did not answer 200 within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends SIGTERM and returns how the process ended.
pub fn terminate(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the server did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A temporary directory the `postgres` system user may enter (tempdirs are 0700).
pub fn shared_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

pub fn stderr_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Start-up failures are one line starting with "error:", never a panic.
pub fn assert_one_clear_line(output: &Output, expected: &str) {
    let stderr = stderr_text(output);
    assert!(
        !output.status.success(),
        "expected a failure, got success; stderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "panic instead of a message: {stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors.len(),
        1,
        "expected exactly one error line, got: {stderr}"
    );
    assert!(
        errors[0].contains(expected),
        "expected {expected:?} in {:?}",
        errors[0]
    );
}

pub fn pg_is_running(data_dir: &Path) -> bool {
    data_dir.join("postgres/postmaster.pid").exists()
}

/// A fingerprint of the rows of every table, to show that a refused request changed nothing; new
/// tables are covered without a change here. Left out because refusals write them by design:
/// the audit of refused access (`auth_events`), the stored answers of `Idempotency-Key`s, and a
/// token's last use (the rest of `api_tokens` is covered). Sessions live in another schema.
pub async fn checksum_of_every_table(pool: &sqlx::PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "select tablename::text from pg_tables
         where schemaname = 'public'
           and tablename not in ('_sqlx_migrations', 'auth_events', 'idempotency_keys')
         order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    let mut all = String::new();
    for table in tables {
        let row = if table == "api_tokens" {
            "(t.id, t.user_id, t.name, t.prefix, t.secret_hash, t.expires_at, t.revoked_at)"
        } else {
            "t"
        };
        let sum: Option<String> = sqlx::query_scalar(&format!(
            "select md5(string_agg({row}::text, '|' order by {row}::text)) from {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        all.push_str(&format!("{table}={} ", sum.unwrap_or_default()));
    }
    all
}
