//! `demine import odk` (form submissions as draft field reports) and `demine reports` (list,
//! plan, approve, reject drafts). Thin: files are read here, the work is `demine_app::odk` and
//! `demine_app::reports`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use demine_app::App;
use demine_app::odk::{Mapping, OdkImport};
use demine_geo::odk::ExportFile;
use demine_store::accounts::ReportStatus;

use crate::registry::{DbArgs, emit};

const REPORTS_HELP: &str = "Exit codes: 0 success; 1 failure (a report that is not a draft); 2 \
bad command line; 3 bad input (approving would import something invalid; nothing was changed); 4 \
no such report; 6 refused (the author of a report does not decide it).";

/// Field reports: drafts entered through the API or imported from forms, and their decisions.
#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Lists field reports, newest first.
    #[command(after_help = REPORTS_HELP)]
    List {
        /// Only this State's (ISO3).
        #[arg(long)]
        iso3: Option<String>,
        /// Only reports with this status: draft, approved, rejected, superseded.
        #[arg(long, value_parser = |s: &str| ReportStatus::parse(s)
            .ok_or_else(|| "draft, approved, rejected or superseded".to_string()))]
        status: Option<ReportStatus>,
        /// Print JSON (each report with its payload).
        #[arg(long)]
        json: bool,
    },
    /// What approving a report would change (an import's dry run; for an accident, the casualty
    /// rows it would write).
    #[command(after_help = REPORTS_HELP)]
    Plan { id: i64 },
    /// Approves a draft: applies it through the import rules (an accident: one casualty row per
    /// victim) and records the decision under --actor, who must not be its author, all in one
    /// transaction.
    #[command(after_help = REPORTS_HELP)]
    Approve {
        id: i64,
        /// A note for the record.
        #[arg(long)]
        note: Option<String>,
    },
    /// Rejects a draft, with a note for its author.
    #[command(after_help = REPORTS_HELP)]
    Reject {
        id: i64,
        #[arg(long)]
        note: Option<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| {
        demine_app::AppError::Read {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}

/// The export's files: a zip's tables, or the file and (for a Central CSV) its repeat tables
/// beside it (`STEM-*.csv`), in name order.
fn export_files(path: &Path) -> Result<Vec<ExportFile>> {
    let name = path.display().to_string();
    let bytes = read(path)?;
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        return demine_geo::odk::zip_tables(&name, &bytes)
            .map_err(|e| demine_app::AppError::BadInput(e.to_string()).into());
    }
    let mut files = vec![ExportFile { name, bytes }];
    if lower.ends_with(".csv")
        && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
    {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new("."));
        let prefix = format!("{stem}-");
        let mut siblings: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&prefix) && n.to_ascii_lowercase().ends_with(".csv")
                })
            })
            .collect();
        siblings.sort();
        for p in siblings {
            let bytes = read(&p)?;
            // Only repeat tables go with the main table (another form's export may share a
            // prefix).
            let header = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
            if header.windows(10).any(|w| w == b"PARENT_KEY") {
                files.push(ExportFile {
                    name: p.display().to_string(),
                    bytes,
                });
            }
        }
    }
    Ok(files)
}

/// `demine import odk FILE`: the registry's import command with the kind `odk`.
pub fn run_import(db: &DbArgs, a: crate::io::ImportArgs) -> Result<u8> {
    let crate::io::ImportArgs {
        file,
        mapping,
        form,
        dry_run,
        json,
        ..
    } = a;
    let mapping = match mapping {
        Some(p) => {
            let bytes = read(&p)?;
            let text = String::from_utf8(bytes).map_err(|e| {
                demine_app::AppError::BadInput(format!("{}: not UTF-8 text: {e}", p.display()))
            })?;
            Mapping::parse(&p.display().to_string(), &text)?
        }
        None => Mapping::default_mapping()?,
    };
    let files = export_files(&file)?;
    let rt = runtime()?;
    let out = rt.block_on(async {
        let app = App::new(db.open().await?);
        let r = app
            .session(db.requester())
            .import_odk(OdkImport {
                files,
                mapping,
                form,
                dry_run,
            })
            .await?;
        anyhow::Ok(r)
    })?;
    let mut o = String::new();
    if json {
        let _ = writeln!(o, "{}", serde_json::to_string_pretty(&out)?);
    } else {
        let verb = if out.dry_run {
            "would enter"
        } else {
            "entered"
        };
        let _ = writeln!(
            o,
            "{}: {} ({}), {} submission(s): {verb} {} {} draft(s), {} already imported",
            out.file, out.export, out.form, out.submissions, out.drafts, out.kind, out.already
        );
        for s in &out.each {
            let what = match (s.report_id, s.already, s.supersedes) {
                (_, Some(id), _) => format!("already in field report {id}"),
                (Some(id), _, Some(old)) => format!("field report {id} (supersedes {old})"),
                (Some(id), _, None) => format!("field report {id}"),
                (None, _, Some(old)) => format!("a draft superseding field report {old}"),
                (None, _, None) => "a draft".to_string(),
            };
            let _ = writeln!(o, "  {} {}: {what}", s.at, s.instance_id);
        }
        if !out.dry_run && out.drafts > 0 {
            let _ = writeln!(
                o,
                "drafts await approval by someone else: demine reports list --status draft"
            );
        }
    }
    emit(&o)?;
    Ok(0)
}

pub fn run_reports(db: &DbArgs, command: ReportsCommand) -> Result<u8> {
    let rt = runtime()?;
    let mut o = String::new();
    rt.block_on(async {
        let app = App::new(db.open().await?);
        let s = app.session(db.requester());
        match command {
            ReportsCommand::List { iso3, status, json } => {
                let reps = s.field_reports(iso3.as_deref(), status).await?;
                if json {
                    let _ = writeln!(o, "{}", serde_json::to_string_pretty(&reps)?);
                } else if reps.is_empty() {
                    let _ = writeln!(o, "no field reports");
                } else {
                    for r in &reps {
                        let area = r.area_id.map(|a| format!(" area {a}")).unwrap_or_default();
                        let from = r.payload["properties"]["odk"]["instance_id"]
                            .as_str()
                            .map(|i| format!(" from {i}"))
                            .unwrap_or_default();
                        let _ = writeln!(
                            o,
                            "#{} {} {} {}{area} by {}{from}",
                            r.id,
                            r.status.name(),
                            r.kind.name(),
                            r.iso3,
                            r.author
                        );
                    }
                }
            }
            ReportsCommand::Plan { id } => {
                let plan = s.plan_report(id).await?;
                let _ = writeln!(o, "{}", serde_json::to_string_pretty(&plan)?);
            }
            ReportsCommand::Approve { id, note } => {
                let r = s.approve_report(id, note).await?;
                let _ = writeln!(
                    o,
                    "field report {} approved by {}: {}",
                    r.id,
                    r.reviewer.as_deref().unwrap_or(""),
                    r.outcome.map(|v| v.to_string()).unwrap_or_default()
                );
            }
            ReportsCommand::Reject { id, note } => {
                let r = s.reject_report(id, note).await?;
                let _ = writeln!(
                    o,
                    "field report {} rejected by {}",
                    r.id,
                    r.reviewer.as_deref().unwrap_or("")
                );
            }
        }
        anyhow::Ok(())
    })?;
    emit(&o)?;
    Ok(0)
}
