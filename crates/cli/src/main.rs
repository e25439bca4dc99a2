//! `demine`: the command-line program. Thin: it parses arguments, calls the library crates and
//! prints their answers.

mod io;
mod registry;

use clap::{Parser, Subcommand};

mod check;
mod hazards;
mod serve;
mod treaty;
mod user;

/// demine: the Mine Ban Treaty as executable rules, and the world's mine action data.
#[derive(Debug, Parser)]
#[command(name = "demine", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    db: registry::DbArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    Treaty(treaty::TreatyArgs),
    #[command(flatten)]
    Registry(registry::RegistryCommand),
    /// Is this place safe? Check points, a batch of points or a route against the hazardous areas.
    Check(check::CheckArgs),
    /// Hazardous areas: import, export, list, show with history, accounting, custom fields.
    #[command(subcommand)]
    Hazards(hazards::HazardsCommand),
    /// Land release activities (non-technical survey, technical survey, clearance) on an area.
    #[command(subcommand)]
    Release(hazards::ReleaseCommand),
    /// Serves the HTTP API over the database: prints the address and serves until SIGTERM or
    /// Ctrl-C (requests in flight are finished first).
    Serve(serve::ServeArgs),
    /// Accounts of `demine serve`: add, list, disable, passwd, token.
    #[command(subcommand)]
    User(user::UserCommand),
}

/// Errors are printed as messages (`error: ...` with their causes), never as a backtrace, whatever
/// `RUST_BACKTRACE` says: they are about the input or the environment, not a bug in demine.
fn main() -> std::process::ExitCode {
    let result = run().and_then(|()| registry::checkpoint_written());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = registry::checkpoint_written();
            eprintln!("error: {}", message(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause once: store errors already name their source.
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => registry::run(
            &cli.db,
            registry::RegistryCommand::Summary(registry::SummaryArgs {
                horizon: 365,
                ..Default::default()
            }),
        ),
        Some(command) => match command {
            Command::Treaty(args) => treaty::run(args),
            Command::Registry(c) => registry::run(&cli.db, c),
            Command::Check(args) => check::run(&cli.db, args),
            Command::Hazards(c) => hazards::run(&cli.db, c),
            Command::Release(c) => hazards::run_release(&cli.db, c),
            Command::Serve(args) => serve::run(&cli.db, args),
            Command::User(c) => user::run(&cli.db, c),
        },
    }
}
