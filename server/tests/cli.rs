//! The binary's start-up and shutdown behaviour, as an operator sees it.

mod common;

use std::time::Duration;

use common::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const QUICK: Duration = Duration::from_secs(30);

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let mut cmd = server();
    cmd.args(["serve", "--addr"])
        .arg(free_addr().to_string())
        .env("DATABASE_URL", "postgres://u:p@host:notaport/db");
    assert_one_clear_line(
        &run_to_end(cmd, QUICK),
        "DATABASE_URL is not a valid PostgreSQL URL",
    );
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let mut cmd = server();
    let dead = free_addr();
    cmd.args(["serve", "--addr"])
        .arg(free_addr().to_string())
        .env(
            "DATABASE_URL",
            format!("postgres://app:secret@{dead}/pipeline"),
        );
    let output = run_to_end(cmd, QUICK);
    assert_one_clear_line(
        &output,
        &format!("cannot connect to the database at {dead}/pipeline"),
    );
    assert!(
        !stderr_text(&output).contains("secret"),
        "the password leaked"
    );
}

#[test]
fn a_taken_port_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let mut cmd = server();
    cmd.args(["serve", "--addr", &addr.to_string()])
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/x");
    assert_one_clear_line(&run_to_end(cmd, QUICK), &format!("cannot listen on {addr}"));
}

#[test]
fn an_unusable_data_directory_is_one_clear_line() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = server();
    cmd.args(["migrate", "--data-dir"])
        .arg(file.path().join("data"));
    assert_one_clear_line(&run_to_end(cmd, QUICK), "is not usable");
}

#[test]
fn an_invalid_address_is_refused_by_the_argument_parser() {
    let mut cmd = server();
    cmd.args(["serve", "--addr", "not-an-address"]);
    let output = run_to_end(cmd, QUICK);
    assert!(!output.status.success());
    assert!(
        stderr_text(&output).contains("invalid value 'not-an-address'"),
        "{}",
        stderr_text(&output)
    );
}

/// With DATABASE_URL given the server uses it, starts no cluster of its own, and stops
/// gracefully on SIGTERM.
#[sqlx::test(migrations = false)]
async fn with_a_database_url_it_serves_that_database_and_stops_on_sigterm(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let data = shared_tempdir();
    let addr = free_addr();
    let mut cmd = server();
    cmd.args(["serve", "--addr", &addr.to_string(), "--data-dir"])
        .arg(data.path())
        .env("DATABASE_URL", url_of(&options));
    let mut server = Spawned::new(&mut cmd);
    wait_for_ok(server.child(), addr, "/readyz", QUICK);
    assert_eq!(get(addr, "/healthz").unwrap().0, 200);
    // An empty database: pages lead to the first-run screen, which the server renders.
    let (status, _) = get(addr, "/").unwrap();
    assert!(
        (300..400).contains(&status),
        "expected a redirect, got {status}"
    );
    let (status, body) = get(addr, "/welcome").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("Welcome to Pipeline"), "{body}");
    assert!(
        !data.path().join("postgres").exists(),
        "an embedded cluster was created despite DATABASE_URL"
    );
    assert!(
        terminate(server.take(), QUICK).success(),
        "SIGTERM should end the server with success"
    );
}

#[sqlx::test(migrations = false)]
async fn migrate_applies_the_schema_and_exits(_: PgPoolOptions, options: PgConnectOptions) {
    let mut cmd = server();
    cmd.arg("migrate").env("DATABASE_URL", url_of(&options));
    let output = run_to_end(cmd, QUICK);
    assert!(output.status.success(), "{}", stderr_text(&output));
    // Running it again is a no-op, not an error.
    let mut again = server();
    again.arg("migrate").env("DATABASE_URL", url_of(&options));
    assert!(run_to_end(again, QUICK).status.success());
}
