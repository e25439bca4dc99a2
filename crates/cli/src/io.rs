//! `demine import`, `demine export`, `demine backup`, `demine restore`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use demine_store::{AnyStore, Format, ImportKind, Kind, ops};

use crate::registry::{DbArgs, exit_on};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds: states, sources, meetings, events, parties (the States Parties
    /// table: one row per State with signed, deposited, instrument, succession_date,
    /// withdrawal_deposited, notes), extensions, reports, positions, commitments, estimates,
    /// stockpiles, casualties, victims, funding, use-findings (also use_findings). `demine export
    /// KIND` shows each kind's columns and HXL hashtags. Every rule the registry applies when it
    /// reads is applied here: an extension history the treaty engine cannot read (a grant more
    /// than ten years long without its meeting or basis msp12, one decided before entry into
    /// force, one that does not move the deadline later), a meeting that is not in meetings, a
    /// meeting or use finding citing a source id not in sources, are refused with file, line,
    /// column and rule.
    /// `odk`: form submissions exported from ODK Central or KoboToolbox, entered as draft field
    /// reports (see `demine import odk --help` below and forms/README.md).
    #[arg(value_name = "KIND", value_parser = parse_import_kind)]
    pub kind: ImportWhat,
    /// A CSV file (a header row, an HXL hashtag row, or both, possibly under title rows: columns
    /// are matched by hashtag first, header text second) or a JSON array of objects keyed by
    /// column name (.json). Rows with the key of a stored row update it; a bad row stops
    /// the import with its line (for JSON: the record's position in the array), column and
    /// reason, and nothing is stored. A progress bar shows on a terminal.
    pub file: PathBuf,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    /// odk only: the mapping of form questions to demine fields (CSV: form,question,type,target);
    /// the mapping of the forms in forms/ when absent.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// odk only: the form the submissions are of, as the mapping names it; found from the export
    /// (its file name, KoboToolbox's form id) or from the questions answered when absent.
    #[arg(long, value_name = "NAME")]
    pub form: Option<String>,
    /// odk only: check everything and report what would be entered, entering nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What `demine import` reads: registry records of one kind, or form submissions.
#[derive(Debug, Clone, Copy)]
pub enum ImportWhat {
    Records(ImportKind),
    Odk,
}

fn parse_import_kind(s: &str) -> Result<ImportWhat, String> {
    if s.eq_ignore_ascii_case("odk") {
        return Ok(ImportWhat::Odk);
    }
    s.parse::<ImportKind>()
        .map(ImportWhat::Records)
        .map_err(|e| format!("{e}, odk"))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Json,
}

/// One kind, or every kind.
#[derive(Debug, Clone, Copy)]
pub enum ExportKind {
    All,
    One(Kind),
}

fn parse_export_kind(s: &str) -> Result<ExportKind, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(ExportKind::All);
    }
    s.parse::<Kind>()
        .map(ExportKind::One)
        .map_err(|e| format!("{e}, all"))
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export: states, sources, meetings, events, extensions, reports, positions,
    /// commitments, estimates, stockpiles, casualties, victims (restricted), funding,
    /// use-findings; or all (every kind, one file each,
    /// into the directory FILE: a full export in open formats).
    #[arg(value_name = "KIND", value_parser = parse_export_kind)]
    pub kind: ExportKind,
    /// Output file (for all: a directory, created if missing); standard output when absent or
    /// `-`.
    pub file: Option<PathBuf>,
    /// csv (with an HXL hashtag row) or json; default from the file's extension, else csv.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Leave out the HXL hashtag row of a CSV export.
    #[arg(long)]
    pub no_hxl: bool,
    /// Allow exporting restricted personal data (victims' identities); the reader also needs
    /// `--access restricted`.
    #[arg(long)]
    pub include_restricted: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file (SQLite: a database copy; PostgreSQL: a JSON dump). Either kind can be
    /// restored into either backend.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file (a SQLite database copy or a JSON dump, from either backend).
    pub file: PathBuf,
    /// Restore even though it removes rows or audit history the database holds now (the message
    /// without it says what, per table). The current database is kept as a backup first.
    #[arg(long)]
    pub force: bool,
}

fn progress_bar(total: u64, file: &std::path::Path) -> ProgressBar {
    // Drawn on standard error, and only when it is a terminal.
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} rows, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("importing {}", file.display()));
    bar
}

pub async fn import(store: &AnyStore, db: &DbArgs, a: ImportArgs, o: &mut String) -> Result<()> {
    // Created at the first report of progress, once the file is read and its size known.
    let bar = std::sync::OnceLock::new();
    let progress = |done: u64, total: u64| {
        bar.get_or_init(|| progress_bar(total, &a.file))
            .set_position(done);
    };
    let ImportWhat::Records(kind) = a.kind else {
        return Err(demine_app::AppError::Usage(
            "odk submissions are imported by `demine import odk FILE`".into(),
        )
        .into());
    };
    let result = ops::import_file(store, kind, &a.file, &db.actor(), &progress).await;
    if let Some(b) = bar.get() {
        b.finish_and_clear();
    }
    let report = result.map_err(exit_on)?;
    if a.json {
        let _ = writeln!(o, "{}", serde_json::to_string_pretty(&report)?);
    } else {
        let _ = writeln!(
            o,
            "{}: {} rows of {}: {} inserted, {} updated, {} unchanged",
            report.file,
            report.rows,
            report.kind,
            report.inserted,
            report.updated,
            report.unchanged
        );
    }
    Ok(())
}

pub async fn export(store: &AnyStore, a: ExportArgs) -> Result<()> {
    let kind = match a.kind {
        ExportKind::One(k) => k,
        ExportKind::All => return export_all(store, a).await,
    };
    let file = a.file.filter(|f| f.as_os_str() != "-");
    let format = match a.format {
        Some(FormatArg::Csv) => Format::Csv,
        Some(FormatArg::Json) => Format::Json,
        None => match file
            .as_ref()
            .and_then(|f| f.extension())
            .and_then(|e| e.to_str())
        {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Csv,
        },
    };
    let mut buf = Vec::new();
    ops::export(
        store,
        kind,
        format,
        !a.no_hxl,
        a.include_restricted,
        &mut buf,
    )
    .await
    .map_err(exit_on)?;
    match file {
        Some(path) => {
            std::fs::write(&path, &buf).with_context(|| format!("writing {}", path.display()))?
        }
        None => crate::registry::emit(&String::from_utf8_lossy(&buf))?,
    }
    Ok(())
}

pub async fn backup(store: &AnyStore, a: BackupArgs, o: &mut String) -> Result<()> {
    ops::backup(store, &a.file).await.map_err(exit_on)?;
    let _ = writeln!(o, "backup written to {}", a.file.display());
    Ok(())
}

pub async fn restore(store: &AnyStore, db: &DbArgs, a: RestoreArgs, o: &mut String) -> Result<()> {
    let options = ops::RestoreOptions {
        force: a.force,
        keep_before: Some(store.before_restore_path(&a.file)),
    };
    let r = ops::restore(store, &a.file, &db.actor(), &options)
        .await
        .map_err(exit_on)?;
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        if m.is_empty() {
            "nothing".to_string()
        } else {
            m.iter()
                .map(|(t, n)| format!("{n} {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        o,
        "restored from {}: {}",
        a.file.display(),
        list(&r.restored)
    );
    if !r.removed.is_empty() {
        let _ = writeln!(o, "removed or replaced (--force): {}", list(&r.removed));
    }
    if let Some(p) = &r.kept_before {
        let _ = writeln!(o, "the database as it was is kept in {}", p.display());
    }
    Ok(())
}

/// Every kind into a directory, one file each (`states.csv`, `events.csv`, ...). Restricted kinds
/// only with --include-restricted.
async fn export_all(store: &AnyStore, a: ExportArgs) -> Result<()> {
    let Some(dir) = a.file.filter(|f| f.as_os_str() != "-") else {
        anyhow::bail!("export all needs a directory to write into: demine export all DIR");
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let (format, ext) = match a.format {
        Some(FormatArg::Json) => (Format::Json, "json"),
        _ => (Format::Csv, "csv"),
    };
    for kind in Kind::ALL {
        if kind.table().sensitivity == demine_core::schema::Sensitivity::Restricted
            && !a.include_restricted
        {
            continue;
        }
        let mut buf = Vec::new();
        ops::export(
            store,
            kind,
            format,
            !a.no_hxl,
            a.include_restricted,
            &mut buf,
        )
        .await
        .map_err(exit_on)?;
        let path = dir.join(format!("{kind}.{ext}"));
        std::fs::write(&path, &buf).with_context(|| format!("writing {}", path.display()))?;
    }
    crate::hazards::export_all_geojson(store, &dir.join("hazards.geojson")).await?;
    Ok(())
}
