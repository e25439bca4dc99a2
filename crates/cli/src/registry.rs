//! The registry commands: `init`, `states`, `estimates`, `import`, `export`, `audit`, `backup`,
//! `restore`, and the global options that choose the database.

use std::path::PathBuf;

use std::fmt::Write as _;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use demine_store::view::{self, StateDetail, StateRow, StatusFilter};
use demine_store::{Access, AnyStore, StoreError, ops};

/// Where the registry lives. Global: valid before or after any subcommand.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// SQLite database file; created, migrated and filled with the bundled reference data on
    /// first use.
    #[arg(long, global = true, value_name = "PATH", default_value = "demine.db")]
    pub db: PathBuf,
    /// PostgreSQL database instead of SQLite (postgres://user[:password]@host[:port]/database).
    /// Also read from the DEMINE_DATABASE_URL environment variable. Overrides --db.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Where to keep the audit chain's head (entries and last hash) after every write, so that
    /// `audit verify` catches a truncated log. Default for SQLite: `<db>.audit-head` beside the
    /// file; for PostgreSQL only where this (or DEMINE_AUDIT_HEAD) says.
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_head: Option<PathBuf>,
    /// Who makes the changes, as the audit log records it (default: $USER).
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    /// What this reader may see. public (the default): everything but personal data; victims'
    /// identities are refused, and the audit log shows entries about them without their key
    /// (a hash instead) or contents. restricted: personal data too (`export victims`, backups
    /// of a database that holds them, the audit log in full). The store checks it on every read.
    #[arg(long, global = true, value_enum, default_value_t = AccessArg::Public)]
    pub access: AccessArg,
}

/// `--access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessArg {
    Public,
    Restricted,
}

impl AccessArg {
    /// The store's level. The CLI works on a database its user holds, so its public reader sees
    /// the coordinates of hazardous areas (`Access::Operational`); the level below exists for the
    /// coming server.
    fn level(self) -> Access {
        match self {
            AccessArg::Public => Access::Operational,
            AccessArg::Restricted => Access::Restricted,
        }
    }
}

/// The SQLite databases this process opened for writing, checkpointed before it exits.
static WRITTEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Copies the write-ahead log of every database this process wrote into its main file, so that
/// `demine.db` alone is complete once demine exits (someone copying only it gets every write).
/// Runs on its own thread and runtime, so it can be called from anywhere, async code included.
pub(crate) fn checkpoint_written() -> Result<()> {
    let targets: Vec<String> = WRITTEN
        .lock()
        .map(|mut w| std::mem::take(&mut *w))
        .unwrap_or_default();
    if targets.is_empty() {
        return Ok(());
    }
    let job = std::thread::spawn(move || -> Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        for t in targets {
            rt.block_on(ops::checkpoint(&t))?;
        }
        Ok(())
    });
    match job.join() {
        Ok(r) => r,
        Err(_) => anyhow::bail!("checkpointing the database failed"),
    }
}

impl DbArgs {
    fn target(&self) -> String {
        self.database_url
            .clone()
            .or_else(|| {
                std::env::var("DEMINE_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())
            })
            .unwrap_or_else(|| self.db.display().to_string())
    }

    pub(crate) fn actor(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// Opens a database that must already exist (a SQLite file that is missing is an error, not
    /// a new empty database), for reading.
    pub(crate) async fn open_existing(&self) -> Result<AnyStore> {
        let target = self.target();
        if !target.contains("://") && !std::path::Path::new(&target).exists() {
            anyhow::bail!(
                "no database at {target}: give --db (or --database-url), import areas with \
                 `demine hazards import`, or check against a file with --hazards"
            );
        }
        self.open_read().await
    }

    fn head_file(&self, store: &mut AnyStore) {
        let env = std::env::var_os("DEMINE_AUDIT_HEAD")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(p) = self.audit_head.clone().or(env) {
            store.set_head_file(Some(p));
        }
    }

    /// Opens the database without loading the bundled data (for a restore, which replaces it).
    pub(crate) async fn open_unseeded(&self) -> Result<AnyStore> {
        let target = self.target();
        let mut store = AnyStore::open(&target).await.map_err(exit_on)?;
        self.head_file(&mut store);
        if let AnyStore::Sqlite(_) = store
            && let Ok(mut w) = WRITTEN.lock()
        {
            w.push(target);
        }
        Ok(store.with_access(self.access.level()))
    }

    /// Opens the database for a command that writes, creating it and loading the bundled data on
    /// first use (under a lock: commands started at once on a new database do not race).
    pub(crate) async fn open(&self) -> Result<AnyStore> {
        let target = self.target();
        let mut store = ops::open_seeded(&target, BUNDLED_ACTOR)
            .await
            .map_err(exit_on)?;
        self.head_file(&mut store);
        if let AnyStore::Sqlite(_) = store
            && let Ok(mut w) = WRITTEN.lock()
        {
            w.push(target);
        }
        Ok(store.with_access(self.access.level()))
    }

    /// Opens the database for a command that only reads: an existing SQLite database is opened
    /// read-only and not changed, so this works on a read-only file, folder or mount.
    pub(crate) async fn open_read(&self) -> Result<AnyStore> {
        let target = self.target();
        let mut store = ops::open_reader(&target, BUNDLED_ACTOR)
            .await
            .map_err(exit_on)?;
        self.head_file(&mut store);
        // A database created (or set up) on the way was written: checkpoint it on exit too.
        if let AnyStore::Sqlite(s) = &store
            && s.writable()
            && let Ok(mut w) = WRITTEN.lock()
        {
            w.push(target);
        }
        Ok(store.with_access(self.access.level()))
    }
}

/// Who loads the bundled data, as the audit log records it.
const BUNDLED_ACTOR: &str = "demine (bundled reference data)";

/// Exit codes: 1 any other failure, 2 bad command line (clap), 3 bad input data (an import or
/// restore file), 4 not found, 5 the audit log does not verify, 6 access refused (`--access`).
pub(crate) fn exit_on(e: StoreError) -> anyhow::Error {
    let code = match &e {
        StoreError::Invalid { .. }
        | StoreError::BadFile { .. }
        | StoreError::Features { .. }
        | StoreError::WouldRemove { .. } => 3,
        StoreError::NotFound { .. } => 4,
        StoreError::Forbidden { .. } => 6,
        _ => return anyhow::Error::new(e),
    };
    eprintln!("error: {e}");
    let _ = checkpoint_written();
    std::process::exit(code)
}

/// Parses `YYYY-MM-DD` for a named option.
pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    ok.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("{s:?} is not a date in the form YYYY-MM-DD"))
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// What the exit codes mean, shown under each registry command's help.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 failure (database unreachable, file unreadable, ...); \
2 bad command line; 3 bad input data (an import or restore file; the message names file, line, \
column and reason, and nothing was changed), or a restore that would remove data without --force; \
4 not found; 5 the audit log does not verify (or does not hold its head); 6 access refused (the \
data needs --access restricted).";

/// The registry's subcommands (flattened into the top-level command list).
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// The world picture on one day: how many States hold each treaty status, withdrawals,
    /// Art. 4 and Art. 5 deadlines falling due soon, and the world estimates with every source.
    /// This is what `demine` prints when run without a command.
    #[command(after_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// Create the database and load the bundled reference data (States, the States Parties
    /// table, the 1997 seed figures, positions and commitments). Running it again is harmless.
    #[command(after_help = EXIT_CODES)]
    Init,
    /// Every State's treaty status as of a date, computed from its stored treaty events.
    #[command(after_help = EXIT_CODES)]
    States(StatesArgs),
    /// Every estimate with its source. Where sources disagree, all are listed; none is chosen.
    #[command(after_help = EXIT_CODES)]
    Estimates(EstimatesArgs),
    /// Import a CSV (with or without an HXL hashtag row) or JSON file, all-or-nothing.
    #[command(after_help = EXIT_CODES)]
    Import(crate::io::ImportArgs),
    /// Export one kind of record as CSV with HXL hashtags (default) or JSON.
    #[command(after_help = EXIT_CODES)]
    Export(crate::io::ExportArgs),
    /// The audit log: every change, who made it, when, before and after.
    #[command(after_help = EXIT_CODES)]
    Audit(AuditArgs),
    /// Write a consistent backup of the whole database while it stays in use.
    #[command(after_help = EXIT_CODES)]
    Backup(crate::io::BackupArgs),
    /// Replace the whole database with a backup, all-or-nothing (the restore is logged). The
    /// backup's audit chain and its rows are verified first, and a backup that does not verify is
    /// refused. A restore that would remove rows or audit history present now says what, per
    /// table, and needs --force. The database being replaced is first kept beside it
    /// (`<db>.before-restore-<time>`; PostgreSQL: a JSON dump beside the backup file).
    #[command(after_help = EXIT_CODES)]
    Restore(crate::io::RestoreArgs),
}

#[derive(Debug, Args, Default)]
pub struct SummaryArgs {
    /// The date to answer for (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// How far ahead to list deadlines, in days.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub horizon: i64,
    /// Print JSON: as_of, states, status_counts, withdrawals, upcoming_deadlines
    /// (iso3, name, obligation, article, deadline), horizon_days, world_estimates.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StatesArgs {
    #[command(subcommand)]
    pub show: Option<StatesCommand>,
    /// The date to answer for (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Only States with this status: party, signatory, non-party (not bound: not a signatory or
    /// a signatory only), not-signatory, pending-entry-into-force, withdrawal-pending, withdrawn.
    #[arg(long, value_name = "STATUS", value_parser = |s: &str| s.parse::<StatusFilter>())]
    pub status: Option<StatusFilter>,
    /// Include the territories and other entities the boundaries name (Greenland, Taiwan, ...),
    /// not only the 197 States that can join the Convention.
    #[arg(long)]
    pub all: bool,
    /// Print JSON: a list of objects with iso3, name, status, entry_into_force (null if not
    /// bound), stockpile_destruction_deadline, clearance_deadline, withdrawal_effective,
    /// un_member.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StatesCommand {
    /// One State in full: status, events with sources, extensions, reports, estimates,
    /// positions, commitments, stockpiles, and compliance (each obligation met, pending,
    /// overdue or not-applicable, with its deadline and basis).
    Show {
        /// ISO 3166-1 alpha-3 code, e.g. AFG.
        iso3: String,
        /// The date to answer for (YYYY-MM-DD); default today.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct EstimatesArgs {
    /// Only estimates about this subject: an ISO3 code or a name such as World.
    #[arg(long, value_name = "ISO3|NAME")]
    pub subject: Option<String>,
    /// Only this measure (mines_emplaced, clearance_cost_per_mine, ...).
    #[arg(long, value_name = "NAME")]
    pub measure: Option<String>,
    /// Only estimates dated on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Print JSON: a list of objects with subject, iso3, measure, low, high, unit, as_of,
    /// source, note.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain, then every table that holds a fact against it: the registry, the
    /// meta table, hazardous areas (deleted ones included), their versions and approval state,
    /// land release activities, device finds, custom fields, and the derived remaining geometry
    /// and spatial index boxes (recomputed). Every difference is listed with its table, key and
    /// what differs. The chain must also still hold its head as kept outside the database (--head,
    /// else the audit head file), or a truncated log would pass. Exit code 5 when it does not
    /// verify.
    Verify {
        /// The head to compare with: a file written by demine (or saved from `audit head`), or
        /// `ENTRIES HASH`, or a bare HASH (then the chain must contain an entry with it).
        #[arg(long, value_name = "FILE|HASH")]
        head: Option<String>,
        /// Print JSON: entries, ok, first_broken, differences (seq, entity, key, reason), head.
        #[arg(long)]
        json: bool,
    },
    /// Print the chain's head: `ENTRIES HASH`. Keep it somewhere else (a notebook, another
    /// machine): `audit verify --head` with it catches a log whose last entries were removed.
    Head {
        /// Print JSON: entries, hash.
        #[arg(long)]
        json: bool,
    },
    /// Print the log, oldest first.
    Log {
        /// Only the last N entries.
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a registry command.
pub fn run(db: &DbArgs, command: RegistryCommand) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut out = String::new();
    let code = rt.block_on(run_async(db, command, &mut out))?;
    emit(&out)?;
    if code != 0 {
        let _ = checkpoint_written();
        std::process::exit(code);
    }
    Ok(())
}

/// Writes the output; a closed pipe (`demine states | head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

/// Runs the command, writing what it prints to `o`; returns the exit code.
async fn run_async(db: &DbArgs, command: RegistryCommand, o: &mut String) -> Result<i32> {
    if let RegistryCommand::Restore(a) = command {
        // A restore replaces everything: the bundled data is not loaded first (it would only be
        // removed again, and would make every restore into a new database look destructive).
        let store = db.open_unseeded().await?;
        return crate::io::restore(&store, db, a, o).await.map(|()| 0);
    }
    let writes = matches!(command, RegistryCommand::Init | RegistryCommand::Import(_));
    let store = if writes {
        db.open().await?
    } else {
        db.open_read().await?
    };
    match command {
        RegistryCommand::Summary(a) => {
            let as_of = a.as_of.unwrap_or_else(today);
            let horizon = if a.horizon < 0 {
                0
            } else {
                a.horizon.min(36_500)
            };
            let s = view::world_summary(&store, as_of, horizon)
                .await
                .map_err(exit_on)?;
            if a.json {
                let _ = writeln!(o, "{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_summary(o, db, &s);
            }
            Ok(0)
        }
        RegistryCommand::Init => {
            let states = view::states(&store, today(), None, true)
                .await
                .map_err(exit_on)?;
            let _ = writeln!(
                o,
                "{}: {} States and entities, bundled reference data loaded",
                db.target_name(),
                states.len()
            );
            Ok(0)
        }
        RegistryCommand::States(a) => match a.show {
            Some(StatesCommand::Show { iso3, as_of, json }) => {
                let d = view::state_detail(&store, &iso3, as_of.unwrap_or_else(today))
                    .await
                    .map_err(exit_on)?;
                if json {
                    let _ = writeln!(o, "{}", serde_json::to_string_pretty(&d)?);
                } else {
                    print_detail(o, &d);
                }
                Ok(0)
            }
            None => {
                let rows = view::states(&store, a.as_of.unwrap_or_else(today), a.status, a.all)
                    .await
                    .map_err(exit_on)?;
                if a.json {
                    let _ = writeln!(o, "{}", serde_json::to_string(&rows)?);
                } else {
                    print_states(o, &rows);
                }
                Ok(0)
            }
        },
        RegistryCommand::Estimates(a) => {
            let list = view::estimates(&store, a.subject.as_deref(), a.measure.as_deref(), a.as_of)
                .await
                .map_err(exit_on)?;
            if a.json {
                let _ = writeln!(o, "{}", serde_json::to_string_pretty(&list)?);
            } else {
                for e in &list {
                    let range = if e.low == e.high {
                        format!("{}", e.low)
                    } else {
                        format!("{}-{}", e.low, e.high)
                    };
                    let _ = writeln!(
                        o,
                        "{:<26} {:<30} {:>22} {:<12} {:<10} {}",
                        e.subject, e.measure, range, e.unit, e.as_of, e.source
                    );
                }
                let _ = writeln!(o, "{} estimates", list.len());
            }
            Ok(0)
        }
        RegistryCommand::Import(a) => crate::io::import(&store, db, a, o).await.map(|()| 0),
        RegistryCommand::Export(a) => crate::io::export(&store, a).await.map(|()| 0),
        RegistryCommand::Backup(a) => crate::io::backup(&store, a, o).await.map(|()| 0),
        RegistryCommand::Restore(_) => Ok(0),
        RegistryCommand::Audit(a) => match a.command {
            AuditCommand::Verify { head, json } => {
                let given = match &head {
                    Some(h) if std::path::Path::new(h).is_file() => {
                        let p = std::path::Path::new(h);
                        demine_store::read_head_file(p)
                            .map_err(exit_on)?
                            .map(|x| (x, format!("file {h}")))
                    }
                    Some(h) => match demine_store::Head::parse(h) {
                        Ok(x) => Some((x, "--head".to_string())),
                        Err(e) => {
                            eprintln!("error: --head {h:?}: not a file, and {e}");
                            std::process::exit(2);
                        }
                    },
                    None => match store.head_file() {
                        Some(p) => demine_store::read_head_file(p)
                            .map_err(exit_on)?
                            .map(|x| (x, format!("file {}", p.display()))),
                        None => None,
                    },
                };
                let r =
                    ops::verify_audit_against(&store, given.as_ref().map(|(h, f)| (h, f.as_str())))
                        .await
                        .map_err(exit_on)?;
                if json {
                    let _ = writeln!(o, "{}", serde_json::to_string_pretty(&r)?);
                } else if !r.ok {
                    let _ = writeln!(
                        o,
                        "audit log does NOT verify ({} entries): {} difference(s)",
                        r.entries,
                        r.differences.len()
                    );
                    for b in &r.differences {
                        let at = b
                            .seq
                            .map(|s| format!("entry #{s}"))
                            .unwrap_or("no entry".into());
                        let _ = writeln!(o, "  {} {} ({at}): {}", b.entity, b.key, b.reason);
                    }
                    let _ = writeln!(o, "  head: {}", r.head);
                }
                if let Some(b) = &r.first_broken {
                    eprintln!(
                        "error: the audit log does not verify: {} {}: {}{}",
                        b.entity,
                        b.key,
                        b.reason,
                        match r.differences.len() {
                            1 => String::new(),
                            n => format!(" (and {} more difference(s))", n - 1),
                        }
                    );
                } else if !json {
                    let _ = writeln!(
                        o,
                        "audit log verified: {} entries, chain intact, data matches; head: {}",
                        r.entries, r.head
                    );
                }
                Ok(if r.ok { 0 } else { 5 })
            }
            AuditCommand::Head { json } => {
                let h = store.audit_head().await.map_err(exit_on)?;
                if json {
                    let _ = writeln!(o, "{}", serde_json::to_string(&h)?);
                } else {
                    let _ = writeln!(o, "{}", h.line());
                }
                Ok(0)
            }
            AuditCommand::Log { last, json } => {
                let mut log = demine_store::Store::audit_entries(&store)
                    .await
                    .map_err(exit_on)?;
                if let Some(n) = last {
                    log = log.split_off(log.len().saturating_sub(n));
                }
                if json {
                    let _ = writeln!(o, "{}", serde_json::to_string_pretty(&log)?);
                } else {
                    for e in &log {
                        let what = match (&e.before, &e.after) {
                            (None, Some(_)) => "insert",
                            (Some(_), Some(_)) => "update",
                            (Some(_), None) => "delete",
                            (None, None) => "note",
                        };
                        let _ = writeln!(
                            o,
                            "#{:<6} {} {:<20} {what:<6} {} {}",
                            e.seq, e.at, e.actor, e.entity, e.key
                        );
                    }
                }
                Ok(0)
            }
        },
    }
}

impl DbArgs {
    fn target_name(&self) -> String {
        let t = self.target();
        if t.starts_with("postgres") {
            "PostgreSQL database".to_string()
        } else {
            t
        }
    }
}

fn date_or_dash(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
}

fn print_summary(o: &mut String, db: &DbArgs, s: &view::WorldSummary) {
    let _ = writeln!(
        o,
        "demine {}: the Mine Ban Treaty as of {} ({})",
        env!("CARGO_PKG_VERSION"),
        s.as_of,
        db.target_name()
    );
    let _ = writeln!(o, "\n{} States:", s.states);
    for (status, n) in &s.status_counts {
        let _ = writeln!(o, "  {n:>4}  {status}");
    }
    if !s.withdrawals.is_empty() {
        let _ = writeln!(o, "\nWithdrawals (Art. 20):");
        for w in &s.withdrawals {
            let _ = writeln!(
                o,
                "  {} {:<28} {:<19} effective {}",
                w.iso3,
                w.name,
                w.status,
                date_or_dash(w.withdrawal_effective)
            );
        }
    }
    let _ = writeln!(
        o,
        "\nDeadlines in the next {} days ({}):",
        s.horizon_days,
        s.upcoming_deadlines.len()
    );
    for d in &s.upcoming_deadlines {
        let _ = writeln!(
            o,
            "  {} {} {:<28} {} (Art. {})",
            d.deadline, d.iso3, d.name, d.obligation, d.article
        );
    }
    let _ = writeln!(o, "\nWorld estimates (every source kept):");
    for e in &s.world_estimates {
        let range = if e.low == e.high {
            format!("{}", e.low)
        } else {
            format!("{}-{}", e.low, e.high)
        };
        let _ = writeln!(
            o,
            "  {:<30} {:>20} {:<12} {:<10} {}",
            e.measure, range, e.unit, e.as_of, e.source
        );
    }
    let _ = writeln!(
        o,
        "\nMore: demine states, demine states show ISO3, demine treaty --help, demine --help"
    );
}

fn print_states(o: &mut String, rows: &[StateRow]) {
    let _ = writeln!(
        o,
        "{:<4} {:<36} {:<25} {:<10} {:<10} {:<10}",
        "ISO3", "NAME", "STATUS", "IN FORCE", "STOCKPILE", "CLEARANCE"
    );
    for r in rows {
        let name: String = r.name.chars().take(36).collect();
        let _ = writeln!(
            o,
            "{:<4} {:<36} {:<25} {:<10} {:<10} {:<10}",
            r.iso3,
            name,
            r.status,
            date_or_dash(r.entry_into_force),
            date_or_dash(r.stockpile_destruction_deadline),
            date_or_dash(r.clearance_deadline)
        );
    }
    let parties = rows.iter().filter(|r| r.status == "party").count();
    let _ = writeln!(
        o,
        "{} States listed, {parties} of them States Parties",
        rows.len()
    );
}

fn print_detail(o: &mut String, d: &StateDetail) {
    let r = &d.row;
    let _ = writeln!(o, "{} ({}) as of {}: {}", r.name, r.iso3, d.as_of, r.status);
    let _ = writeln!(
        o,
        "  entry into force:           {}",
        date_or_dash(r.entry_into_force)
    );
    let _ = writeln!(
        o,
        "  stockpile destruction (4):  {}",
        date_or_dash(r.stockpile_destruction_deadline)
    );
    let _ = writeln!(
        o,
        "  clearance (5):              {}",
        date_or_dash(r.clearance_deadline)
    );
    let _ = writeln!(
        o,
        "  initial report (7(1)):      {}",
        date_or_dash(d.initial_report_due)
    );
    if let Some(w) = &d.withdrawal {
        let _ = writeln!(
            o,
            "  withdrawal deposited {}, effective {}{}",
            w.deposited,
            date_or_dash(w.effective),
            w.pending_reason
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
    }
    for b in &d.basis {
        let _ = writeln!(o, "  [Art. {}] {}", b.article, b.reason);
    }
    if !d.events.is_empty() {
        let _ = writeln!(o, "events:");
        for e in &d.events {
            let extra = e
                .instrument
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            let _ = writeln!(o, "  {} {}{extra}  [source: {}]", e.date, e.event, e.source);
        }
    }
    if !d.extensions.is_empty() {
        let _ = writeln!(o, "extension requests:");
        for x in &d.extensions {
            let _ = writeln!(
                o,
                "  submitted {}, asked until {}: {} {}",
                x.submitted,
                x.requested_until,
                x.decision,
                x.granted_until
                    .map(|g| format!("until {g}"))
                    .unwrap_or_default()
            );
        }
    }
    if !d.reports.is_empty() {
        let _ = writeln!(o, "transparency reports:");
        for x in &d.reports {
            let _ = writeln!(o, "  {} {} received {}", x.kind, x.year, x.received);
        }
    }
    if !d.positions.is_empty() {
        let _ = writeln!(o, "positions:");
        for p in &d.positions {
            let _ = writeln!(o, "  {} {}  [source: {}]", p.as_of, p.position, p.source);
        }
    }
    if !d.commitments.is_empty() {
        let _ = writeln!(o, "commitments:");
        for c in &d.commitments {
            let due = c.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            let outcome = c.outcome.as_deref().unwrap_or("outcome not recorded");
            let _ = writeln!(
                o,
                "  due {due}: {} ({outcome})  [source: {}]",
                c.commitment, c.source
            );
        }
    }
    if !d.estimates.is_empty() {
        let _ = writeln!(o, "estimates:");
        for e in &d.estimates {
            let _ = writeln!(
                o,
                "  {} {}-{} {} ({})  [source: {}]",
                e.measure, e.low, e.high, e.unit, e.as_of, e.source
            );
        }
    }
    let _ = writeln!(o, "compliance:");
    for ob in &d.compliance {
        let status = serde_json::to_value(ob.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  {:<30} {:<15} deadline {}",
            ob.obligation,
            status,
            date_or_dash(ob.deadline)
        );
        for b in &ob.basis {
            let _ = writeln!(o, "      [Art. {}] {}", b.article, b.reason);
        }
    }
}
