//! The embedded database: a private PostgreSQL cluster run from the machine's installed server
//! binaries, used when no `DATABASE_URL` is given, so that Pipeline runs with one command.
//!
//! The cluster listens only on a unix socket inside its own data directory (no TCP port, so it
//! can never clash with a system PostgreSQL). PostgreSQL refuses to run as root, so when we are
//! root every PostgreSQL binary runs as the `postgres` system user, which owns the data directory.

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};
use tokio::process::Command;

use crate::error::StartupError;

/// The database Pipeline keeps its data in, inside the embedded cluster.
pub const DATABASE_NAME: &str = "pipeline";
/// The cluster's superuser, created by initdb; trusted on the private socket only.
const SUPERUSER: &str = "app";
/// Only names the socket file; nothing listens on a TCP port.
const SOCKET_PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;

#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    run_as_postgres: bool,
    /// False when a cluster left running (e.g. after a crash) was reused: another instance may
    /// use it, so shutdown leaves it alone.
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the cluster in `<data_dir>/postgres` and makes sure the
    /// application database exists.
    pub async fn start(data_dir: &Path) -> Result<Self, StartupError> {
        let bin_dir = find_bin_dir().ok_or(StartupError::PostgresMissing)?;
        let run_as_postgres = running_as_root();
        let data_dir = absolute(data_dir)?;
        let pgdata = data_dir.join("postgres");
        prepare_data_dir(&data_dir, &pgdata, run_as_postgres)?;
        let socket_dir = choose_socket_dir(&pgdata, run_as_postgres)?;

        let mut pg = Self {
            bin_dir,
            pgdata,
            socket_dir,
            run_as_postgres,
            started_here: true,
        };
        if !pg.pgdata.join("PG_VERSION").exists() {
            tracing::info!(path = %pg.pgdata.display(), "initialising the embedded PostgreSQL cluster");
            let pgdata = pg.pgdata.to_string_lossy().into_owned();
            pg.pg(
                "initdb",
                &[
                    "-D",
                    &pgdata,
                    "-A",
                    "trust",
                    "-U",
                    SUPERUSER,
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ],
            )
            .await
            .map_err(|reason| StartupError::Embedded {
                action: "initialise",
                reason,
            })?;
        }

        if pg.is_running().await {
            tracing::warn!(
                "reusing an embedded PostgreSQL that was already running (left by an earlier process)"
            );
            pg.started_here = false;
        } else {
            let options = format!(
                "-k {} -p {SOCKET_PORT} -c listen_addresses=''",
                pg.socket_dir.display()
            );
            let pgdata = pg.pgdata.to_string_lossy().into_owned();
            let log = pg.pgdata.join("server.log").to_string_lossy().into_owned();
            pg.pg(
                "pg_ctl",
                &[
                    "-D", &pgdata, "-l", &log, "-w", "-t", "60", "-o", &options, "start",
                ],
            )
            .await
            .map_err(|reason| StartupError::Embedded {
                action: "start",
                reason: format!("{reason} (see {log})"),
            })?;
            tracing::info!(socket = %pg.socket_dir.display(), "embedded PostgreSQL started");
        }
        pg.create_database().await?;
        Ok(pg)
    }

    /// Connection options for a database of this cluster.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(SOCKET_PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// The same connection as libpq command-line arguments (for pg_dump and pg_restore).
    pub fn libpq_args(&self, database: &str) -> Vec<String> {
        vec![
            format!("--host={}", self.socket_dir.display()),
            format!("--port={SOCKET_PORT}"),
            format!("--username={SUPERUSER}"),
            format!("--dbname={database}"),
        ]
    }

    /// Stops the cluster if this process started it (fast shutdown: open sessions are ended,
    /// committed data is safe).
    pub async fn stop(self) -> Result<(), StartupError> {
        if !self.started_here {
            return Ok(());
        }
        let pgdata = self.pgdata.to_string_lossy().into_owned();
        self.pg("pg_ctl", &["-D", &pgdata, "-m", "fast", "-w", "stop"])
            .await
            .map_err(|reason| StartupError::Embedded {
                action: "stop",
                reason,
            })?;
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    async fn is_running(&self) -> bool {
        let pgdata = self.pgdata.to_string_lossy().into_owned();
        self.pg("pg_ctl", &["-D", &pgdata, "status"]).await.is_ok()
    }

    async fn create_database(&self) -> Result<(), StartupError> {
        let unreachable = |e: sqlx::Error| StartupError::DatabaseUnreachable {
            target: format!("the embedded cluster ({})", self.socket_dir.display()),
            reason: e.to_string(),
        };
        let mut conn = PgConnection::connect_with(&self.connect_options("postgres"))
            .await
            .map_err(unreachable)?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(DATABASE_NAME)
                .fetch_one(&mut conn)
                .await
                .map_err(unreachable)?;
        if !exists {
            sqlx::query(&format!("create database {DATABASE_NAME}"))
                .execute(&mut conn)
                .await
                .map_err(unreachable)?;
        }
        conn.close().await.map_err(unreachable)
    }

    /// Runs one PostgreSQL program (as the `postgres` user when we are root); Err carries the
    /// program's own last words.
    async fn pg(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let binary = self.bin_dir.join(program);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        // Run from a directory every user may enter, so the postgres user never trips on ours.
        cmd.args(args).current_dir("/").kill_on_drop(true);
        let output = cmd
            .output()
            .await
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        check(&output)
    }
}

fn check(output: &Output) -> Result<(), String> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let text = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    Err(format!("{} ({})", last.trim(), output.status))
}

/// Where initdb and pg_ctl live: `PIPELINE_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PIPELINE_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").exists().then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    // /proc/self/status: "Uid:\treal\teffective\t…"; avoids unsafe libc calls.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// The uid and gid of the `postgres` system user, from /etc/passwd.
fn postgres_ids() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres") && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

fn absolute(path: &Path) -> Result<PathBuf, StartupError> {
    std::path::absolute(path).map_err(|e| StartupError::DataDir {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn prepare_data_dir(
    data_dir: &Path,
    pgdata: &Path,
    run_as_postgres: bool,
) -> Result<(), StartupError> {
    let fail = |reason: String| StartupError::DataDir {
        path: data_dir.to_path_buf(),
        reason,
    };
    std::fs::create_dir_all(pgdata).map_err(|e| fail(e.to_string()))?;
    if run_as_postgres {
        let (uid, gid) = postgres_ids().ok_or_else(|| {
            fail("running as root needs the `postgres` system user (apt-get install postgresql creates it)".into())
        })?;
        std::os::unix::fs::chown(pgdata, Some(uid), Some(gid)).map_err(|e| fail(e.to_string()))?;
        if !postgres_can_enter(pgdata) {
            return Err(fail(
                "the `postgres` system user cannot reach it; choose a data directory whose parent folders others may enter (chmod o+x) with --data-dir".into(),
            ));
        }
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(pgdata, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| fail(e.to_string()))
}

fn postgres_can_enter(dir: &Path) -> bool {
    std::process::Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-w"])
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The socket lives in the cluster's own (private) directory unless that path is too long for a
/// unix socket; then in a private directory under /tmp named after the data directory.
fn choose_socket_dir(pgdata: &Path, run_as_postgres: bool) -> Result<PathBuf, StartupError> {
    if pgdata.as_os_str().len() + ".s.PGSQL.5432".len() < MAX_SOCKET_PATH {
        return Ok(pgdata.to_path_buf());
    }
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    pgdata.hash(&mut hasher);
    let dir = std::env::temp_dir().join(format!("pipeline-pg-{:016x}", hasher.finish()));
    let fail = |e: std::io::Error| StartupError::DataDir {
        path: dir.clone(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(fail)?;
    if run_as_postgres && let Some((uid, gid)) = postgres_ids() {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(fail)?;
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    Ok(dir)
}
