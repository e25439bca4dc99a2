//! The registry commands: `init`, `states`, `estimates`, `import`, `export`, `audit`, `backup`,
//! `restore`, and the global options that choose the database.

use std::path::PathBuf;

use std::fmt::Write as _;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use demine_analytics::registry::{self as view, StateDetail, StateRow, StatusFilter};
use demine_app::registry as fetch;
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

    /// Who asks, as the application layer takes it: the actor, the `--access` level, and no
    /// scope (the CLI works on a database its user holds).
    pub(crate) fn requester(&self) -> demine_app::Requester {
        demine_app::Requester::local(self.actor(), self.access.level())
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

    /// Opens a database that must already exist, for a command that writes and then rolls back
    /// (a dry run): nothing is created, and the bundled data is not loaded.
    pub(crate) async fn open_existing_writable(&self) -> Result<AnyStore> {
        let target = self.target();
        if !target.contains("://") && !std::path::Path::new(&target).exists() {
            anyhow::bail!(
                "no database at {target}: a dry run compares a file with a database that exists \
                 (give --db or --database-url)"
            );
        }
        self.open_unseeded().await
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
        let store = AnyStore::open(&target).await.map_err(exit_on)?;
        Ok(self.opened(target, store, true))
    }

    /// The last steps of every opener: the head file, the checkpoint on exit when the database
    /// may have been written, and the reader's access level.
    fn opened(&self, target: String, mut store: AnyStore, written: bool) -> AnyStore {
        self.head_file(&mut store);
        if written
            && let AnyStore::Sqlite(_) = store
            && let Ok(mut w) = WRITTEN.lock()
        {
            w.push(target);
        }
        store.with_access(self.access.level())
    }

    /// Opens the database for a command that writes, creating it and loading the bundled data on
    /// first use (under a lock: commands started at once on a new database do not race).
    pub(crate) async fn open(&self) -> Result<AnyStore> {
        let target = self.target();
        let store = ops::open_seeded(&target, BUNDLED_ACTOR)
            .await
            .map_err(exit_on)?;
        let store = self.opened(target, store, true);
        // Loading the bundled data on first use wrote before the head file was set.
        store.note_head().await.map_err(exit_on)?;
        Ok(store)
    }

    /// Opens the database for a command that only reads: an existing SQLite database is opened
    /// read-only and not changed, so this works on a read-only file, folder or mount.
    pub(crate) async fn open_read(&self) -> Result<AnyStore> {
        let target = self.target();
        let store = ops::open_reader(&target, BUNDLED_ACTOR)
            .await
            .map_err(exit_on)?;
        // A database created (or set up) on the way was written: checkpoint it on exit too.
        let written = matches!(&store, AnyStore::Sqlite(s) if s.writable());
        Ok(self.opened(target, store, written))
    }
}

/// Who loads the bundled data, as the audit log records it.
const BUNDLED_ACTOR: &str = "demine (bundled reference data)";

/// A store error as the CLI reports it; `main` maps it to the exit code: 1 any other failure, 2
/// bad command line (clap), 3 bad input data (an import or restore file), 4 not found, 5 the
/// audit log does not verify, 6 access refused (`--access`).
pub(crate) fn exit_on(e: StoreError) -> anyhow::Error {
    anyhow::Error::new(demine_app::AppError::Store(e))
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
    /// The world picture on one day: how many States hold each treaty status, withdrawals
    /// deposited or announced, the Art. 4 and Art. 5 deadlines falling due soon that the record
    /// does not show met, the States that declared clearance complete (and, apart, those whose
    /// completion mined areas found later reopened), how many States are met,
    /// met-late, pending, overdue or unknown on each obligation, the latest world figures with
    /// their sources, and the Monitor's findings of new use by year. This is what `demine`
    /// prints when run without a command.
    #[command(after_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// Create the database and load the bundled reference data (States, the States Parties
    /// table, the 1997 seed figures, positions and commitments, and the treaty's record in
    /// data/record: sources, meetings, extensions, declarations, stockpiles, reports, estimates,
    /// findings of new use). Running it again is harmless; a database made by an older demine
    /// gets only the files new to it.
    #[command(after_help = EXIT_CODES)]
    Init,
    /// Every State's treaty status as of a date, computed from its stored treaty events.
    #[command(after_help = EXIT_CODES)]
    States(StatesArgs),
    /// Every estimate with its source. Where sources disagree, all are listed; none is chosen.
    #[command(after_help = EXIT_CODES)]
    Estimates(EstimatesArgs),
    /// Import a CSV (with or without an HXL hashtag row) or JSON file, all-or-nothing. With KIND
    /// odk: form submissions exported from ODK Central (its CSV with the repeat tables
    /// FORM-REPEAT.csv beside it, its export .zip, or OData JSON fetched with $expand=*) or
    /// KoboToolbox (XLSX with XML names, each repeat group its own sheet; CSV with XML names, `,`
    /// or `;`, which Kobo writes without repeat groups; JSON of the v2 data API), each entered as a
    /// draft field report (a new hazardous area, an activity on an area, or an accident and its
    /// victims) that someone other than the importer approves (`demine reports approve ID`; an
    /// accident's approval writes one casualty row per victim); a submission imported before
    /// (same instance id) is not entered twice, an edited one supersedes.
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
    /// Print JSON: as_of, states, status_counts, withdrawals, withdrawals_announced,
    /// upcoming_deadlines (iso3, name, obligation, article, deadline, status, basis),
    /// horizon_days, completed_clearance, reopened_clearance, compliance_counts, world_estimates,
    /// new_use (by year:
    /// states_confirmed, states_alleged, non_state_findings, where_found, sources), sources.
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
    /// One State in full: status (with any withdrawal announced or deposited and the Art. 20(3)
    /// armed-conflict rule), the original and the current Art. 5 deadline, every extension
    /// request by its number with its meeting and basis (a grant whose decision date the record
    /// lacks is placed by its number and flagged), declarations of completed clearance, stockpile completion, Art. 3
    /// retention, the report record, findings of new use, the contamination estimate with its
    /// band, events, estimates, positions, commitments, and compliance: each obligation met,
    /// met-late, pending, overdue (a record says it was missed), unknown (the deadline passed
    /// and the registry holds no record either way) or not-applicable, with its deadline,
    /// basis and source. Every entry names its source; the sources are listed with title,
    /// publisher, year (n.d. for an undated page) and address.
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
pub fn run(db: &DbArgs, command: RegistryCommand) -> Result<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut out = String::new();
    let code = rt.block_on(run_async(db, command, &mut out))?;
    emit(&out)?;
    Ok(code)
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
async fn run_async(db: &DbArgs, command: RegistryCommand, o: &mut String) -> Result<u8> {
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
            let s = fetch::world_summary(&store, as_of, horizon)
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
            let states = fetch::states(&store, today(), None, true)
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
                let d = fetch::state_detail(&store, &iso3, as_of.unwrap_or_else(today))
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
                let rows = fetch::states(&store, a.as_of.unwrap_or_else(today), a.status, a.all)
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
            let list =
                fetch::estimates(&store, a.subject.as_deref(), a.measure.as_deref(), a.as_of)
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
                        "{:<26} {:<30} {:>22} {:<12} {:<10} {}{}",
                        e.subject,
                        e.measure,
                        range,
                        e.unit,
                        e.as_of,
                        e.source,
                        e.note
                            .as_deref()
                            .map(|n| format!("  ({n})"))
                            .unwrap_or_default()
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
                            return Err(demine_app::AppError::Usage(format!(
                                "--head {h:?}: not a file, and {e}"
                            ))
                            .into());
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

fn range_text(low: f64, high: f64) -> String {
    if low == high {
        format!("{low}")
    } else {
        format!("{low}-{high}")
    }
}

fn print_sources(o: &mut String, sources: &[demine_core::records::SourceRecord]) {
    if sources.is_empty() {
        return;
    }
    let _ = writeln!(o, "\nSources:");
    for s in sources {
        let _ = writeln!(
            o,
            "  [{}] {}. {}, {} {}",
            s.id,
            s.title,
            s.publisher,
            // An undated page is cited n.d. (no date).
            s.year
                .map_or_else(|| "n.d.".to_string(), |y| format!("{y}.")),
            s.url
        );
    }
}

/// One declaration of completion in the summary: date, State, meeting, source.
fn completion_line(o: &mut String, c: &view::CompletionDeclared) {
    let _ = writeln!(
        o,
        "  {:<10} {} {:<28}{}  [source: {}]",
        c.date.to_string(),
        c.iso3,
        c.name,
        c.meeting
            .as_deref()
            .map(|m| format!(" at {m}"))
            .unwrap_or_default(),
        c.source
    );
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
    if !s.withdrawals.is_empty() || !s.withdrawals_announced.is_empty() {
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
        for w in &s.withdrawals_announced {
            let _ = writeln!(
                o,
                "  {} {:<28} announced {}: {}",
                w.iso3,
                w.name,
                w.notice
                    .announced
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                w.notice.status
            );
        }
    }
    let _ = writeln!(
        o,
        "\nArt. 4 and Art. 5 deadlines in the next {} days, not shown met by the record ({}):",
        s.horizon_days,
        s.upcoming_deadlines.len()
    );
    for d in &s.upcoming_deadlines {
        let _ = writeln!(
            o,
            "  {} {} {:<28} {} (Art. {}, {})",
            d.deadline, d.iso3, d.name, d.obligation, d.article, d.status
        );
    }
    let _ = writeln!(
        o,
        "\nStates that declared clearance of all known mined areas complete (Art. 5) ({}):",
        s.completed_clearance.len()
    );
    for c in &s.completed_clearance {
        completion_line(o, c);
    }
    if !s.reopened_clearance.is_empty() {
        let _ = writeln!(
            o,
            "  and {} that declared completion and later reported mined areas found (Art. 5 applies again):",
            s.reopened_clearance.len()
        );
        for c in &s.reopened_clearance {
            completion_line(o, c);
        }
    }
    let _ = writeln!(
        o,
        "\nCompliance (met / met-late / pending / overdue: a record says missed / unknown: no record either way / not-applicable):"
    );
    for (obligation, counts) in &s.compliance_counts {
        let cells: Vec<String> = demine_core::compliance::ComplianceStatus::ALL
            .iter()
            .map(|st| {
                format!(
                    "{} {}",
                    counts.get(st.as_str()).copied().unwrap_or(0),
                    st.as_str()
                )
            })
            .collect();
        let _ = writeln!(o, "  {obligation:<30} {}", cells.join(", "));
    }
    let _ = writeln!(o, "\nLatest world figures (every source kept):");
    for e in &s.world_estimates {
        let _ = writeln!(
            o,
            "  {:<30} {:>20} {:<12} {:<10} [source: {}]{}",
            e.measure,
            range_text(e.low, e.high),
            e.unit,
            e.as_of,
            e.source,
            e.note
                .as_deref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        );
    }
    if !s.new_use.is_empty() {
        let _ = writeln!(
            o,
            "\nNew use of anti-personnel mines (Landmine Monitor findings, latest years):"
        );
        for y in s.new_use.iter().take(5) {
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            let _ = writeln!(
                o,
                "  {}: by States confirmed {}, alleged {}; {} finding(s) on non-State groups; in {}  [source: {}]",
                y.year,
                list(&y.states_confirmed),
                list(&y.states_alleged),
                y.non_state_findings,
                list(&y.where_found),
                y.sources.join(";")
            );
        }
    }
    print_sources(o, &s.sources);
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

fn src(source: &str) -> String {
    format!("  [source: {source}]")
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
        "  clearance (5(1)), original: {}",
        date_or_dash(d.original_clearance_deadline)
    );
    let _ = writeln!(
        o,
        "  clearance (5), in force:    {}",
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
    if let Some(n) = &d.withdrawal_notice {
        let _ = writeln!(
            o,
            "  withdrawal: {}{}",
            n.status,
            // The deposit's sources where a deposit is recorded, else the announcement's.
            n.deposited_source
                .as_deref()
                .or(n.announced_source.as_deref())
                .map(src)
                .unwrap_or_default()
        );
    }
    for b in &d.basis {
        let _ = writeln!(o, "  [Art. {}] {}", b.article, b.reason);
    }
    if !d.clearance_basis.is_empty() {
        let _ = writeln!(o, "clearance deadline (Art. 5):");
        for b in &d.clearance_basis {
            let _ = writeln!(o, "  [Art. {}] {}", b.article, b.reason);
        }
        for b in &d.clearance_flags {
            let _ = writeln!(o, "  FLAG [Art. {}] {}", b.article, b.reason);
        }
    }
    if !d.extensions.is_empty() {
        let _ = writeln!(o, "extension requests (Art. 5(3)-(6)):");
        for x in &d.extensions {
            let _ = writeln!(
                o,
                "  request {}, submitted {}, asked until {}: {}{}{}{} (basis {}){}",
                x.number,
                x.submitted
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "(date not given)".into()),
                x.requested_until
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "(not given)".into()),
                x.decision,
                match (x.granted_until, x.decision.as_str()) {
                    (Some(g), _) => format!(" until {g}"),
                    (None, "granted") => " (the new deadline is not recorded)".to_string(),
                    _ => String::new(),
                },
                x.meeting
                    .as_deref()
                    .map(|m| format!(
                        " by {m}{}",
                        x.decided_on.map(|d| format!(" on {d}")).unwrap_or_default()
                    ))
                    .unwrap_or_default(),
                if x.decision == "granted" && x.decided_on.is_none() {
                    " FLAG: decision date not in the record"
                } else {
                    ""
                },
                x.basis,
                src(&x.source)
            );
        }
    }
    let _ = writeln!(o, "completion of clearance (Art. 5):");
    if d.completion_declarations.is_empty() {
        let _ = writeln!(o, "  no declaration of completion in the registry");
    }
    for e in &d.completion_declarations {
        let what = if e.event == "clearance-completed" {
            "declared all known mined areas cleared"
        } else {
            "mined areas found after completion"
        };
        let _ = writeln!(
            o,
            "  {} {what}{}{}",
            e.date,
            e.meeting
                .as_deref()
                .map(|m| format!(" (at {m})"))
                .unwrap_or_default(),
            src(&e.source)
        );
    }
    let _ = writeln!(o, "stockpile (Art. 4) and retention (Art. 3):");
    match &d.stockpile_completion {
        Some(s) => {
            let _ = writeln!(
                o,
                "  {} {}{}{}",
                s.date,
                s.record,
                s.quantity
                    .map(|q| format!(", {q} mines destroyed"))
                    .unwrap_or_default(),
                src(&s.source)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "  no completion of stockpile destruction in the registry"
            );
        }
    }
    for s in d
        .stockpiles
        .iter()
        .filter(|s| s.record == "deadline-missed" || s.record == "discovered")
    {
        let _ = writeln!(
            o,
            "  {} {}{}{}",
            s.date,
            s.record,
            s.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            src(&s.source)
        );
    }
    match &d.retention {
        Some(s) => {
            let _ = writeln!(
                o,
                "  retained under Art. 3: {} ({}){}",
                s.quantity
                    .map(|q| q.to_string())
                    .unwrap_or_else(|| "number not given".into()),
                s.date,
                src(&s.source)
            );
        }
        None => {
            let _ = writeln!(o, "  no Art. 3 retention figure in the registry");
        }
    }
    let rr = &d.report_record;
    let _ = writeln!(
        o,
        "transparency reports (Art. 7): initial {}; {} annual update(s) held{}",
        rr.initial_received
            .map(|d| format!("received {d}"))
            .unwrap_or_else(|| "not in the registry".into()),
        rr.annual_reports,
        rr.latest_annual_year
            .map(|y| format!(", latest for {y}"))
            .unwrap_or_default()
    );
    for x in &d.reports {
        let _ = writeln!(
            o,
            "  {} {} received {}{}",
            x.kind,
            x.year,
            x.received,
            src(&x.source)
        );
    }
    if let Some(c) = &d.contamination {
        let _ = writeln!(
            o,
            "contamination: {} km2 ({}), {} (Landmine Monitor band){}",
            range_text(c.low_km2, c.high_km2),
            c.as_of,
            c.band,
            src(&c.source)
        );
    }
    if !d.use_findings.is_empty() {
        let _ = writeln!(
            o,
            "new use of anti-personnel mines (Landmine Monitor findings):"
        );
        for u in &d.use_findings {
            let _ = writeln!(
                o,
                "  {} {} by {} ({}) in {}{}",
                u.year,
                u.finding,
                u.actor,
                u.actor_kind,
                u.iso3,
                src(&u.source)
            );
        }
    }
    if !d.events.is_empty() {
        let _ = writeln!(o, "events:");
        for e in &d.events {
            let extra = e
                .instrument
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            let _ = writeln!(o, "  {} {}{extra}{}", e.date, e.event, src(&e.source));
        }
    }
    if !d.positions.is_empty() {
        let _ = writeln!(o, "positions:");
        for p in &d.positions {
            let _ = writeln!(o, "  {} {}{}", p.as_of, p.position, src(&p.source));
        }
    }
    if !d.commitments.is_empty() {
        let _ = writeln!(o, "commitments:");
        for c in &d.commitments {
            let due = c.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            let outcome = c.outcome.as_deref().unwrap_or("outcome not recorded");
            let _ = writeln!(
                o,
                "  due {due}: {} ({outcome}){}",
                c.commitment,
                src(&c.source)
            );
        }
    }
    if !d.estimates.is_empty() {
        let _ = writeln!(o, "estimates:");
        for e in &d.estimates {
            let _ = writeln!(
                o,
                "  {} {} {} ({}){}{}",
                e.measure,
                range_text(e.low, e.high),
                e.unit,
                e.as_of,
                e.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default(),
                src(&e.source)
            );
        }
    }
    let _ = writeln!(o, "compliance:");
    for ob in &d.compliance {
        let _ = writeln!(
            o,
            "  {:<30} {:<15} deadline {}{}",
            ob.obligation,
            ob.status.as_str(),
            date_or_dash(ob.deadline),
            ob.source.as_deref().map(src).unwrap_or_default()
        );
        for b in &ob.basis {
            let _ = writeln!(o, "      [Art. {}] {}", b.article, b.reason);
        }
        for b in &ob.flags {
            let _ = writeln!(o, "      FLAG [Art. {}] {}", b.article, b.reason);
        }
    }
    if !d.meetings.is_empty() {
        let _ = writeln!(o, "meetings:");
        for m in &d.meetings {
            let _ = writeln!(
                o,
                "  {} {} to {}{}{}",
                m.id,
                m.start_date,
                m.end_date,
                m.city
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default(),
                src(&m.source)
            );
        }
    }
    print_sources(o, &d.sources);
}
