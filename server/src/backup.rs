//! `pipeline backup` and `pipeline restore`: PostgreSQL's own pg_dump and pg_restore, pointed at
//! the database Pipeline uses (the given DATABASE_URL or the embedded cluster in --data-dir), so
//! a backup is a standard custom-format dump any PostgreSQL tool can read.

use std::path::{Path, PathBuf};

use sqlx::PgPool;
use tokio::process::Command;

use crate::{
    cli::{Config, DatabaseChoice},
    db,
    embedded::{self, EmbeddedPostgres},
    error::StartupError,
};

/// The database to dump or restore into, as libpq arguments, and the embedded cluster (started
/// for the command if no server had it running) behind it.
struct Target {
    args: Vec<String>,
    /// Passed in the environment, never on the command line where `ps` would show it.
    password: Option<String>,
    pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Target {
    async fn open(config: &Config) -> Result<Self, StartupError> {
        match config.database_choice()? {
            DatabaseChoice::External(options) => {
                let url = config.database_url.as_deref().unwrap_or_default().trim();
                let mut parsed = url::Url::parse(url)
                    .map_err(|e| StartupError::BadDatabaseUrl(e.to_string()))?;
                let password = parsed.password().map(|p| percent_decode(p));
                let _ = parsed.set_password(None);
                let pool = db::connect(options).await?;
                Ok(Self {
                    args: vec![format!("--dbname={parsed}")],
                    password,
                    pool,
                    embedded: None,
                })
            }
            DatabaseChoice::Embedded(dir) => {
                let pg = EmbeddedPostgres::start(&dir).await?;
                let pool = db::connect(pg.connect_options(embedded::DATABASE_NAME)).await;
                let pool = match pool {
                    Ok(pool) => pool,
                    Err(e) => {
                        let _ = pg.stop().await;
                        return Err(e);
                    }
                };
                Ok(Self {
                    args: pg.libpq_args(embedded::DATABASE_NAME),
                    password: None,
                    pool,
                    embedded: Some(pg),
                })
            }
        }
    }

    async fn close(self) -> Result<(), StartupError> {
        self.pool.close().await;
        match self.embedded {
            Some(pg) => pg.stop().await,
            None => Ok(()),
        }
    }

    /// Runs pg_dump or pg_restore (the version next to the embedded cluster's binaries, which
    /// matches the server's, else the one on PATH); Err carries the tool's own last words.
    async fn run(&self, program: &str, extra: &[String]) -> Result<(), StartupError> {
        let binary = embedded::find_bin_dir()
            .map(|dir| dir.join(program))
            .filter(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from(program));
        let mut cmd = Command::new(&binary);
        cmd.args(extra).args(&self.args).kill_on_drop(true);
        if let Some(password) = &self.password {
            cmd.env("PGPASSWORD", password);
        }
        let output = cmd
            .output()
            .await
            .map_err(|e| StartupError::Invalid(format!("cannot run {}: {e}", binary.display())))?;
        if output.status.success() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&output.stderr);
        let words: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .rev()
            .take(3)
            .collect();
        Err(StartupError::Invalid(format!(
            "{program} failed ({}): {}",
            output.status,
            words.into_iter().rev().collect::<Vec<_>>().join(" / ")
        )))
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Writes a custom-format dump of the whole database to `output` (through a temporary file
/// next to it, so a failed backup never leaves a truncated file under the final name).
pub async fn backup(config: &Config, output: &Path) -> Result<String, StartupError> {
    let target = Target::open(config).await?;
    let partial = output.with_extension("partial");
    let result = async {
        target
            .run(
                "pg_dump",
                &[
                    "--format=custom".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    format!("--file={}", partial.display()),
                ],
            )
            .await?;
        std::fs::rename(&partial, output).map_err(|e| {
            StartupError::Invalid(format!("cannot write {}: {e}", output.display()))
        })?;
        let (opportunities, entries) = crate::check::counts(&target.pool)
            .await
            .map_err(database_error)?;
        let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
        Ok(format!(
            "Backed up {opportunities} opportunities and {entries} entries to {} ({size} bytes).",
            output.display()
        ))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    target.close().await?;
    result
}

/// Restores a dump made by `backup` into an empty database (or over the existing one with
/// `replace`), brings its schema up to date and checks it.
pub async fn restore(
    config: &Config,
    input: &Path,
    replace: bool,
) -> Result<crate::check::Report, StartupError> {
    if !input.is_file() {
        return Err(StartupError::Invalid(format!(
            "{} is not a file",
            input.display()
        )));
    }
    let target = Target::open(config).await?;
    let result = async {
        let tables: i64 = sqlx::query_scalar("select count(*) from pg_tables where schemaname = 'public'")
            .fetch_one(&target.pool)
            .await
            .map_err(database_error)?;
        if tables > 0 && !replace {
            return Err(StartupError::Invalid(
                "the database is not empty; restore into a new data directory or an empty database, or pass --replace to overwrite it (stop the server first)".into(),
            ));
        }
        let mut args = vec!["--no-owner".into(), "--no-privileges".into(), "--single-transaction".into(), "--exit-on-error".into()];
        if replace {
            args.extend(["--clean".into(), "--if-exists".into()]);
        }
        args.push(input.display().to_string());
        target.run("pg_restore", &args).await?;
        // A backup from an older version is brought up to this version's schema.
        db::migrate(&target.pool).await?;
        crate::check::check(&target.pool).await.map_err(database_error)
    }
    .await;
    target.close().await?;
    result
}

fn database_error(e: sqlx::Error) -> StartupError {
    StartupError::Invalid(format!("database error: {e}"))
}
