//! Connecting to PostgreSQL and applying migrations, with start-up errors a person can act on.

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::error::StartupError;

/// The schema, embedded in the binary and applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Parses a `DATABASE_URL` without ever echoing its password back.
pub fn parse_url(url: &str) -> Result<PgConnectOptions, StartupError> {
    // sqlx accepts any scheme; a mysql:// URL would otherwise fail later and more obscurely.
    let scheme = url.split_once("://").map(|(s, _)| s);
    if !matches!(scheme, Some("postgres" | "postgresql")) {
        return Err(StartupError::BadDatabaseUrl(
            "it must start with postgres://".into(),
        ));
    }
    PgConnectOptions::from_str(url).map_err(|e| StartupError::BadDatabaseUrl(e.to_string()))
}

/// A pooled connection idle longer than this is checked before use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Opens the pool and checks the database answers now, so a wrong address fails at start-up.
pub async fn connect(options: PgConnectOptions) -> Result<PgPool, StartupError> {
    let target = describe(&options);
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings every connection it hands out (a round trip each; a card move takes one
        // four times). A connection in steady use was checked when it came back (sqlx pings on
        // release), so only one idle for a while is pinged again — after a database restart
        // those are the ones that may be dead.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| StartupError::DatabaseUnreachable {
            target,
            reason: e.to_string(),
        })
}

pub async fn migrate(pool: &PgPool) -> Result<(), StartupError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StartupError::Migration(e.to_string()))
}

/// The newest migration this binary knows.
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Ready = the database answers and is at this binary's schema version (or a newer one, which
/// is answered: `check` refuses that).
pub async fn is_ready(pool: &PgPool) -> Result<i64, String> {
    let applied: Option<i64> =
        sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
            .fetch_one(pool)
            .await
            .map_err(|e| format!("database not reachable or not migrated: {e}"))?;
    match applied {
        Some(v) if v >= latest_migration() => Ok(v),
        other => Err(format!(
            "database schema at version {}, this server needs {}",
            other.unwrap_or(0),
            latest_migration()
        )),
    }
}

/// "host:port/database" or the socket directory, for messages (never the password).
fn describe(o: &PgConnectOptions) -> String {
    let db = o.get_database().unwrap_or("(default database)");
    match o.get_socket() {
        Some(socket) => format!("{}/{db}", socket.display()),
        None => format!("{}:{}/{db}", o.get_host(), o.get_port()),
    }
}
