//! The embedded PostgreSQL: initialised on first start, data kept across restarts, stopped on
//! shutdown.

mod common;

use std::time::Duration;

use common::*;
use server::embedded::{DATABASE_NAME, EmbeddedPostgres};
use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn the_embedded_cluster_initialises_and_keeps_data_across_a_restart() {
    let data = shared_tempdir();

    let pg = EmbeddedPostgres::start(data.path())
        .await
        .expect("first start");
    assert!(
        data.path().join("postgres/PG_VERSION").exists(),
        "initdb did not run"
    );
    let mut conn = PgConnection::connect_with(&pg.connect_options(DATABASE_NAME))
        .await
        .unwrap();
    sqlx::query("create table kept (note text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("insert into kept values ('survives a restart')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    pg.stop().await.expect("stop");
    assert!(
        !pg_is_running(data.path()),
        "the cluster is still running after stop"
    );

    let pg = EmbeddedPostgres::start(data.path())
        .await
        .expect("second start");
    let mut conn = PgConnection::connect_with(&pg.connect_options(DATABASE_NAME))
        .await
        .unwrap();
    let note: String = sqlx::query_scalar("select note from kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(note, "survives a restart");
    conn.close().await.unwrap();
    pg.stop().await.unwrap();
}

/// The run command's path: no DATABASE_URL, so the server brings up its own database, serves,
/// and takes the database down with it on SIGTERM.
#[test]
fn without_a_database_url_the_server_runs_and_stops_its_own_database() {
    let data = shared_tempdir();
    let addr = free_addr();
    let mut cmd = server();
    cmd.args(["serve", "--addr", &addr.to_string(), "--data-dir"])
        .arg(data.path());
    let mut server = Spawned::new(&mut cmd);
    wait_for_ok(server.child(), addr, "/readyz", Duration::from_secs(90));
    assert!(pg_is_running(data.path()));
    assert!(terminate(server.take(), Duration::from_secs(60)).success());
    assert!(
        !pg_is_running(data.path()),
        "the embedded database outlived the server"
    );
}
