//! Start-up failures, each printed as one clear line (never a backtrace) before a non-zero exit.

use std::{net::SocketAddr, path::PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "DATABASE_URL is not a valid PostgreSQL URL ({0}); expected postgres://user:password@host:port/database"
    )]
    BadDatabaseUrl(String),
    #[error("cannot connect to the database at {target}: {reason}")]
    DatabaseUnreachable { target: String, reason: String },
    #[error("cannot apply database migrations: {0}")]
    Migration(String),
    #[error(
        "cannot listen on {addr}: {reason} (is another server using that port? choose another with --addr)"
    )]
    Bind { addr: SocketAddr, reason: String },
    #[error("the data directory {path} is not usable: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found; install them with `apt-get install postgresql` or set DATABASE_URL to use an existing server"
    )]
    PostgresMissing,
    #[error("the embedded PostgreSQL failed to {action}: {reason}")]
    Embedded {
        action: &'static str,
        reason: String,
    },
    #[error("cannot read the web assets' configuration: {0}")]
    LeptosConfig(String),
    #[error("{0}")]
    Invalid(String),
    #[error("server error: {0}")]
    Serve(String),
}
