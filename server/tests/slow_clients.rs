//! Slow, stalled and silent clients (slowloris): headers that never finish, or never start, are
//! cut off after `listen::HEADER_READ_TIMEOUT`, bodies that never finish get 408 at the request
//! timeout, and meanwhile nobody else waits, and no database connection or transaction is held
//! for them.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use common::*;
use sqlx::{
    Connection, PgConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
};

fn open(addr: std::net::SocketAddr, first_bytes: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(first_bytes.as_bytes()).unwrap();
    stream
}

/// What the server sends before it closes the connection (empty if it just closes it).
fn answer(stream: &mut TcpStream, limit: Duration) -> String {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = Vec::new();
    match stream.read_to_end(&mut buf) {
        Ok(_) => String::from_utf8_lossy(&buf).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            String::from_utf8_lossy(&buf).into_owned()
        }
        Err(e) => panic!("the server kept a stalled connection open for {limit:?}: {e}"),
    }
}

#[sqlx::test(migrations = false)]
async fn stalled_clients_are_cut_off_and_hold_nothing(_: PgPoolOptions, options: PgConnectOptions) {
    let addr = free_addr();
    let mut cmd = server();
    cmd.args([
        "serve",
        "--addr",
        &addr.to_string(),
        "--request-timeout",
        "2",
    ])
    .env("DATABASE_URL", url_of(&options));
    let mut server = Spawned::new(&mut cmd);
    wait_for_ok(server.child(), addr, "/readyz", Duration::from_secs(60));

    // 20 clients stop in the middle of their headers, 20 in the middle of a sign-in's body.
    let mut headers: Vec<TcpStream> = (0..20)
        .map(|_| open(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "))
        .collect();
    let body = "POST /api/auth/sign_in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=slow";
    let mut bodies: Vec<TcpStream> = (0..20).map(|_| open(addr, body)).collect();
    // 20 connect and say nothing at all, 5 stop inside the HTTP/2 preface.
    let mut silent: Vec<TcpStream> = (0..20).map(|_| open(addr, "")).collect();
    silent.extend((0..5).map(|_| open(addr, "PRI * HTTP/2.0\r\n")));

    // Everyone else is served at once, including a request that reads the database.
    let started = Instant::now();
    assert_eq!(get(addr, "/readyz").map(|r| r.0), Some(200));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a normal request waited {:?}",
        started.elapsed()
    );
    // No connection is in a transaction, and the server holds no more than its pool.
    let mut db = PgConnection::connect_with(&options).await.unwrap();
    let (in_transaction, connections): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where state like 'idle in transaction%'), count(*)
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(in_transaction, 0);
    assert!(
        connections <= 17,
        "{connections} database connections for 40 stalled clients"
    );
    let locks: i64 = sqlx::query_scalar(
        "select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where a.datname = current_database() and a.pid <> pg_backend_pid() and l.locktype in ('relation', 'tuple', 'transactionid')",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(locks, 0, "a stalled client holds a lock");
    db.close().await.unwrap();

    // The unfinished bodies get 408 at the request timeout (2 s here).
    for stream in &mut bodies {
        let said = answer(stream, Duration::from_secs(10));
        assert!(said.starts_with("HTTP/1.1 408"), "{said:?}");
    }
    // The unfinished headers are cut off (hyper closes the connection) after the header deadline.
    let limit = server::listen::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    for stream in &mut headers {
        let said = answer(stream, limit);
        assert!(!said.starts_with("HTTP/1.1 200"), "{said:?}");
    }
    // So are the silent ones: the deadline runs from the moment a connection opens.
    for stream in &mut silent {
        let said = answer(stream, limit);
        assert!(!said.starts_with("HTTP/1.1 200"), "{said:?}");
    }
    assert_eq!(get(addr, "/healthz").map(|r| r.0), Some(200));
    assert!(terminate(server.take(), Duration::from_secs(30)).success());
}
