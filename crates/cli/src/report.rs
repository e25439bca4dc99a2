//! `demine report`: thin. Parses the arguments, fetches the inputs, builds the report and writes
//! it (demine-report does the work).

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use demine_report::{Format, ReportError, ReportKind};
use demine_store::StoreError;

use crate::registry::{DbArgs, exit_on, parse_date};

/// Reports as documents: a Monitor-style profile of the world or one State, a draft Art. 7
/// transparency report, the figures of an Art. 5(4) extension request. Every figure cites its
/// source; what the data lacks is listed as missing, never invented. The same data and date
/// give the same report.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The world: treaty status, compliance (who is late, on what, since when), contamination
    /// by State and band, land release, casualties, funding, and the world on 3 December 1997.
    World(Common),
    /// One State's profile: status and timeline, obligations and compliance, contamination and
    /// band, land release and the completion forecast against the Art. 5 deadline, casualties,
    /// stockpiles, funding and cost.
    Country {
        /// The State's ISO 3166-1 alpha-3 code.
        iso3: String,
        #[command(flatten)]
        common: Common,
    },
    /// A draft Art. 7 transparency report for a calendar year, forms A to J, filled from the
    /// data; what it lacks is marked missing for the State to complete.
    Article7 {
        iso3: String,
        /// The calendar year the report covers.
        #[arg(long, value_name = "YYYY")]
        year: i32,
        #[command(flatten)]
        common: Common,
    },
    /// The figures an Art. 5(4) extension request must show: duration, work done in the period,
    /// what remains, annual milestones at the trend rate, cost and funding, and the headings of
    /// the implications for the State to write.
    Extension {
        iso3: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Options every report takes.
#[derive(Debug, Args)]
pub struct Common {
    /// The date the report is as of (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// html (one self-contained file), md, json or pdf. Default: from the -o file's extension,
    /// else md.
    #[arg(long, value_name = "FORMAT")]
    format: Option<Format>,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

fn format_of(c: &Common) -> Format {
    c.format.unwrap_or_else(|| {
        c.output
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .and_then(|e| e.parse().ok())
            .unwrap_or(Format::Markdown)
    })
}

fn fail(e: ReportError) -> anyhow::Error {
    match e {
        ReportError::Store(s) => exit_on(s),
        ReportError::UnknownState { iso3 } => exit_on(StoreError::NotFound {
            what: format!("State {iso3}"),
        }),
        other => anyhow::Error::new(other),
    }
}

/// Runs `demine report ...`.
/// Returns the exit code (0: the report was written).
pub fn run(db: &DbArgs, command: ReportCommand) -> Result<u8> {
    let (kind, common) = match command {
        ReportCommand::World(c) => (ReportKind::World, c),
        ReportCommand::Country { iso3, common } => (
            ReportKind::Country {
                iso3: iso3.to_uppercase(),
            },
            common,
        ),
        ReportCommand::Article7 { iso3, year, common } => (
            ReportKind::Article7 {
                iso3: iso3.to_uppercase(),
                year,
            },
            common,
        ),
        ReportCommand::Extension { iso3, common } => (
            ReportKind::Extension {
                iso3: iso3.to_uppercase(),
            },
            common,
        ),
    };
    let as_of = common
        .as_of
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let inputs = rt.block_on(async {
        let store = db.open_read().await?;
        demine_report::fetch(&store, store.access(), &kind, as_of)
            .await
            .map_err(fail)
    })?;
    let report = demine_report::build(&inputs, &kind).map_err(fail)?;
    let bytes = demine_report::render(&report, format_of(&common)).map_err(fail)?;
    let written = match &common.output {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display())),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(&bytes).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to standard output"),
            }
        }
    };
    written.map(|()| 0)
}
