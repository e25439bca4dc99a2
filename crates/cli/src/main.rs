//! `demine`: the command-line program. Thin: it parses arguments, calls the library crates and
//! prints their answers.

mod io;
mod registry;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: parsing and importing a large file allocate and free
/// millions of small buffers, which glibc's malloc served slowly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod check;
mod forms;
mod hazards;
mod report;
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
    /// Field reports (drafts from the API or from forms): list, plan, approve, reject.
    #[command(subcommand)]
    Reports(forms::ReportsCommand),
    /// Reports as documents (HTML, Markdown, JSON, PDF): the world, a State's profile, a draft
    /// Art. 7 report, the figures of an Art. 5(4) extension request.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Serves the HTTP API and the dashboard (pages at /, working offline) over the database:
    /// prints the address and serves until SIGTERM or Ctrl-C (requests in flight are finished
    /// first).
    Serve(serve::ServeArgs),
    /// Accounts of `demine serve`: add, list, disable, passwd, token.
    #[command(subcommand)]
    User(user::UserCommand),
}

/// Errors are printed as messages (`error: ...` with their causes), never as a backtrace, whatever
/// `RUST_BACKTRACE` says: they are about the input or the environment, not a bug in demine.
///
/// This is the one place that ends the process with a code: commands return theirs (0, or the
/// answer's code: a flagged place is 3, no hazard data 4, an audit log that does not verify 5),
/// and an error's code comes from [`demine_app::AppError::exit_code`] (1 for any other error).
fn main() -> std::process::ExitCode {
    let result = run();
    let checkpointed = registry::checkpoint_written();
    match (result, checkpointed) {
        (Ok(code), Ok(())) => std::process::ExitCode::from(code),
        (Ok(_), Err(e)) => {
            eprintln!("error: {}", message(&e));
            std::process::ExitCode::FAILURE
        }
        (Err(e), _) => {
            eprintln!("error: {}", message(&e));
            std::process::ExitCode::from(exit_code(&e))
        }
    }
}

/// The exit code of an error: the application layer's, else 1.
fn exit_code(e: &anyhow::Error) -> u8 {
    e.downcast_ref::<demine_app::AppError>()
        .map_or(1, demine_app::AppError::exit_code)
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

/// Runs the command; returns its exit code.
fn run() -> anyhow::Result<u8> {
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
            Command::Registry(registry::RegistryCommand::Import(a))
                if matches!(a.kind, io::ImportWhat::Odk) =>
            {
                forms::run_import(&cli.db, a)
            }
            Command::Registry(c) => registry::run(&cli.db, c),
            Command::Check(args) => check::run(&cli.db, args),
            Command::Hazards(c) => hazards::run(&cli.db, c),
            Command::Release(c) => hazards::run_release(&cli.db, c),
            Command::Reports(c) => forms::run_reports(&cli.db, c),
            Command::Report(c) => report::run(&cli.db, c),
            Command::Serve(args) => serve::run(&cli.db, args).map(|()| 0),
            Command::User(c) => user::run(&cli.db, c).map(|()| 0),
        },
    }
}
