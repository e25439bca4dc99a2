//! `demine serve`: the HTTP API and the dashboard (demine-web) over the local database.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use crate::registry::DbArgs;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port). Also DEMINE_LISTEN.
    #[arg(long, env = "DEMINE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Send the session cookie over HTTPS only (behind a TLS proxy). Also DEMINE_SECURE_COOKIES.
    #[arg(long, env = "DEMINE_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Log lines as JSON (for a log collector) or as text.
    #[arg(long, value_enum, env = "DEMINE_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The most detailed level logged: error, warn, info, debug or trace. Also DEMINE_LOG.
    #[arg(long, env = "DEMINE_LOG", default_value = "info")]
    pub log: tracing::Level,
    /// Serve the demo instead: a synthetic national programme (hazardous areas, land release,
    /// an account of each role, whose passwords are printed) in a database of its own
    /// (--demo-db, never the one of --db), labelled synthetic in every response.
    #[arg(long)]
    pub demo: bool,
    /// The demo's database file, created and filled on first use.
    #[arg(long, env = "DEMINE_DEMO_DB", default_value = "demine-demo.db")]
    pub demo_db: std::path::PathBuf,
    /// The seed the demo programme is generated from.
    #[arg(long, default_value_t = 1997)]
    pub demo_seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn run(db: &DbArgs, args: ServeArgs) -> Result<()> {
    let builder = tracing_subscriber::fmt()
        .with_max_level(args.log)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match args.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let store = if args.demo {
            if args.demo_db == db.db {
                anyhow::bail!(
                    "--demo-db {} is the database of --db: the demo never shares a file with real \
                     data",
                    args.demo_db.display()
                );
            }
            let (store, users) = demine_server::demo::open(&args.demo_db, args.demo_seed)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("demo database {} (synthetic data); accounts:", args.demo_db.display());
            for u in users {
                println!("  {:<16} {:<13} password {}", u.name, u.role.name(), u.password);
            }
            store
        } else {
            db.open().await?
        };
        let opts = demine_server::serve::Options {
            listen: args.listen,
            demo: args.demo,
            secure_cookies: args.secure_cookies,
        };
        let pages = demine_web::pages();
        demine_server::serve::run(store, &opts, pages, |addr| {
            let what = if args.demo { "demo (synthetic data)" } else { "demine" };
            println!("{what} serving on http://{addr}/ (dashboard http://{addr}/, API http://{addr}/api/v1/, docs http://{addr}/api/v1/docs)");
        })
        .await
        .with_context(|| format!("serving on {}", args.listen))
    })
}
