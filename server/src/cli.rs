//! Command line and configuration (flags or environment), and the `serve` and `migrate`
//! subcommands. Every failure ends as one line on stderr and a non-zero exit code.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use app::state::AppState;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sqlx::{PgPool, postgres::PgConnectOptions};
use tokio::net::TcpListener;

use crate::{db, embedded::EmbeddedPostgres, error::StartupError};

#[derive(Debug, Parser)]
#[command(
    name = "pipeline",
    version,
    about = "Pipeline, the sales-opportunity manager"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create a user (e.g. the first admin). The password is read from the first line of
    /// standard input, or from PIPELINE_NEW_PASSWORD.
    CreateUser(CreateUserArgs),
    /// Load realistic demo data in bulk (deterministic for a given --seed).
    Seed(crate::seed::SeedArgs),
    /// Verify the database against the domain's rules (like fsck); exits non-zero on a problem.
    Check,
    /// Write a backup (pg_dump custom format) of the whole database to a file.
    Backup {
        /// The file to write, e.g. pipeline-2026-11-26.dump
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Restore a backup into an empty database or a new data directory, then check it.
    Restore {
        /// A file written by `backup`.
        #[arg(long, short)]
        input: PathBuf,
        /// Overwrite a database that already has data (stop the server first).
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// admin, manager or salesperson
    #[arg(long, default_value = "admin")]
    pub role: String,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// PostgreSQL to use, e.g. postgres://user:pass@host:5432/pipeline. Without it Pipeline runs
    /// its own embedded PostgreSQL in --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the embedded PostgreSQL keeps its files (in <data-dir>/postgres).
    #[arg(long, env = "PIPELINE_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(
        long,
        env = "PIPELINE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,
    /// Log filter, e.g. `info`, `debug`, `info,sqlx=debug`.
    #[arg(
        long,
        env = "PIPELINE_LOG",
        default_value = "info,sqlx=warn",
        global = true
    )]
    pub log: String,
    /// Mark session cookies Secure (set this when users reach Pipeline over https).
    #[arg(long, env = "PIPELINE_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
    /// API requests per second per token (bursts of twice as many); more get 429.
    #[arg(
        long,
        env = "PIPELINE_API_RATE_LIMIT",
        default_value_t = 50,
        global = true
    )]
    pub api_rate_limit: u32,
    /// Seconds a request may take (CSV imports: at least 300); slower ones get 408.
    #[arg(long, env = "PIPELINE_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..), global = true)]
    pub request_timeout: u16,
    /// Log format: readable text or one JSON object per line.
    #[arg(
        long,
        env = "PIPELINE_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which PostgreSQL to use: the given one, or the embedded one. Decided by configuration alone.
#[derive(Debug)]
pub enum DatabaseChoice {
    External(PgConnectOptions),
    Embedded(PathBuf),
}

impl Config {
    pub fn database_choice(&self) -> Result<DatabaseChoice, StartupError> {
        match self.database_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => Ok(DatabaseChoice::External(db::parse_url(url)?)),
            _ => Ok(DatabaseChoice::Embedded(self.data_dir.clone())),
        }
    }
}

/// An open, migrated database, and the embedded cluster behind it if there is one.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects (starting the embedded cluster if that is the choice) and migrates.
    pub async fn open(config: &Config) -> Result<Self, StartupError> {
        Self::open_with(config, true).await
    }

    /// Connects without changing the schema: for commands that only read (`check`), which may
    /// run next to a server of another version.
    pub async fn open_as_is(config: &Config) -> Result<Self, StartupError> {
        Self::open_with(config, false).await
    }

    async fn open_with(config: &Config, migrate: bool) -> Result<Self, StartupError> {
        let (options, embedded) = match config.database_choice()? {
            DatabaseChoice::External(options) => (options, None),
            DatabaseChoice::Embedded(dir) => {
                let pg = EmbeddedPostgres::start(&dir).await?;
                (pg.connect_options(crate::embedded::DATABASE_NAME), Some(pg))
            }
        };
        let opened = async {
            let pool = db::connect(options).await?;
            if migrate {
                db::migrate(&pool).await?;
            }
            Ok(pool)
        }
        .await;
        match opened {
            Ok(pool) => Ok(Self { pool, embedded }),
            Err(e) => {
                if let Some(pg) = embedded {
                    let _ = pg.stop().await;
                }
                Err(e)
            }
        }
    }

    pub async fn close(self) -> Result<(), StartupError> {
        self.pool.close().await;
        match self.embedded {
            Some(pg) => pg.stop().await,
            None => Ok(()),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(&cli.config).await,
            Command::Migrate => migrate(&cli.config).await,
            Command::CreateUser(args) => create_user(&cli.config, args).await,
            Command::Seed(args) => seed(&cli.config, args).await,
            Command::Check => check(&cli.config).await,
            Command::Backup { output } => crate::backup::backup(&cli.config, &output)
                .await
                .map(|said| println!("{said}")),
            Command::Restore { input, replace } => restore(&cli.config, &input, replace).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: &Config) -> Result<(), StartupError> {
    let db = Database::open(config).await?;
    tracing::info!(version = db::latest_migration(), "database is up to date");
    db.close().await
}

async fn seed(config: &Config, args: crate::seed::SeedArgs) -> Result<(), StartupError> {
    let db = Database::open(config).await?;
    let result = crate::seed::seed(&db.pool, &args).await;
    db.close().await?;
    println!("{}", result?);
    Ok(())
}

async fn check(config: &Config) -> Result<(), StartupError> {
    // Read only: a database at another schema version is reported, not migrated under a running
    // server.
    let db = Database::open_as_is(config).await?;
    let refusal = match db::is_ready(&db.pool).await {
        Err(why) => Some(format!(
            "{why}; run `server migrate` (or the server) of this version first"
        )),
        // A newer schema than this binary's: its rules may not fit it.
        Ok(applied) if applied > db::latest_migration() => Some(format!(
            "database schema at version {applied}, newer than this binary's {}; run the check of the matching version",
            db::latest_migration()
        )),
        Ok(_) => None,
    };
    if let Some(refusal) = refusal {
        db.close().await?;
        return Err(StartupError::Invalid(refusal));
    }
    let report = crate::check::check(&db.pool).await;
    db.close().await?;
    let report = report.map_err(|e| StartupError::Invalid(format!("database error: {e}")))?;
    println!("{report}");
    problems_are_an_error(&report)
}

async fn restore(
    config: &Config,
    input: &std::path::Path,
    replace: bool,
) -> Result<(), StartupError> {
    let report = crate::backup::restore(config, input, replace).await?;
    println!("Restored {}.\n{report}", input.display());
    problems_are_an_error(&report)
}

fn problems_are_an_error(report: &crate::check::Report) -> Result<(), StartupError> {
    match report.problems() {
        0 => Ok(()),
        1 => Err(StartupError::Invalid(
            "the database breaks a rule of the domain (listed above)".into(),
        )),
        n => Err(StartupError::Invalid(format!(
            "the database breaks the domain's rules in {n} places (listed above)"
        ))),
    }
}

async fn create_user(config: &Config, args: CreateUserArgs) -> Result<(), StartupError> {
    let role = app::auth::Role::parse(&args.role).ok_or_else(|| {
        StartupError::Invalid(format!(
            "unknown role {:?}: use admin, manager or salesperson",
            args.role
        ))
    })?;
    let password = match std::env::var("PIPELINE_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!(
                "Password for {} (at least 10 characters), then Enter:",
                args.email
            );
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| StartupError::Invalid(e.to_string()))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let db = Database::open(config).await?;
    let new = app::auth::ops::NewUser {
        email: args.email,
        display_name: args.name,
        password,
        role,
        salesperson_id: None,
    };
    let created = app::auth::ops::create_user(&db.pool, new, None).await;
    db.close().await?;
    match created {
        Ok(id) => {
            println!("created user {id}");
            Ok(())
        }
        Err(app::error::AppError::Validation(fields)) => Err(StartupError::Invalid(
            fields
                .into_iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(e) => Err(StartupError::Invalid(e.to_string())),
    }
}

async fn serve(config: &Config) -> Result<(), StartupError> {
    let mut leptos_options = leptos::config::get_configuration(None)
        .map_err(|e| StartupError::LeptosConfig(e.to_string()))?
        .leptos_options;
    leptos_options.site_addr = config.addr;

    // Bind first: a taken port should fail fast, before a database is started for nothing.
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| StartupError::Bind {
            addr: config.addr,
            reason: e.to_string(),
        })?;
    let db = Database::open(config).await?;
    let state = AppState {
        pool: db.pool.clone(),
        leptos_options,
    };
    let app = crate::http::router(
        state,
        crate::http::HttpOptions {
            secure_cookies: config.secure_cookies,
            api: crate::api::ApiOptions {
                rate_limit: config.api_rate_limit,
            },
            request_timeout: std::time::Duration::from_secs(config.request_timeout.into()),
        },
    );
    // Expired sessions are deleted in the background (every instance may do it; it is idempotent).
    use axum_login::tower_sessions::ExpiredDeletion;
    let cleanup = tokio::spawn(
        tower_sessions_sqlx_store::PostgresStore::new(db.pool.clone())
            .continuously_delete_expired(std::time::Duration::from_secs(3600)),
    );

    // Webhook deliveries: every instance sends what is due (the outbox survives restarts).
    let (stop_webhooks, stop) = tokio::sync::watch::channel(false);
    let webhooks = tokio::spawn(crate::webhooks::run(db.pool.clone(), stop));

    tracing::info!("Pipeline is listening on http://{}", config.addr);
    crate::listen::serve(listener, app, shutdown_signal()).await;
    tracing::info!("shutting down");
    cleanup.abort();
    // A delivery in flight finishes (or times out) before the database closes.
    let _ = stop_webhooks.send(true);
    let _ = webhooks.await;
    db.close().await
}

/// Resolves on Ctrl-C or SIGTERM; axum then stops accepting and finishes in-flight requests.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    // Open live streams never end by themselves: end them so that shutdown can finish.
    crate::live::shut_down();
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|e| {
        eprintln!(
            "warning: invalid log filter {:?} ({e}); using `info`",
            config.log
        );
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults, with the database URL under test (the environment's is ignored).
    fn config(database_url: Option<&str>) -> Config {
        let mut config = Cli::parse_from(["pipeline"]).config;
        config.database_url = database_url.map(str::to_owned);
        config
    }

    #[test]
    fn a_database_url_means_no_embedded_cluster() {
        let choice = config(Some("postgres://u:p@db.example:5433/sales"))
            .database_choice()
            .unwrap();
        assert!(matches!(choice, DatabaseChoice::External(o) if o.get_port() == 5433));
    }

    #[test]
    fn without_a_database_url_the_embedded_cluster_is_used() {
        assert!(matches!(
            config(None).database_choice().unwrap(),
            DatabaseChoice::Embedded(_)
        ));
        assert!(matches!(
            config(Some("  ")).database_choice().unwrap(),
            DatabaseChoice::Embedded(_)
        ));
    }

    #[test]
    fn a_malformed_database_url_is_a_clear_error_without_the_password() {
        let err = config(Some("mysql://u:s3cret@host/db"))
            .database_choice()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("DATABASE_URL is not a valid PostgreSQL URL"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }
}
