//! What the program does with a store, written once over the [`Store`] trait: load the bundled
//! data, import and export files, verify the audit log, back up and restore.

use std::io::{Read, Write};
use std::path::Path;

use demine_core::schema::{Kind, Sensitivity};

use crate::audit::{self, AuditReport};
use crate::bundled::{BUNDLED, ImportKind};
use crate::io::{Format, read_batch, write_records};
use crate::{
    Access, AnyStore, ApplyReport, Batch, DUMP_FORMAT, Dump, Internal, Progress, SetupLock,
    SqliteStore, Store, StoreError, Target,
};

/// The meta key set once the bundled data has been loaded.
pub const SEEDED: &str = "seeded";

/// Loads the bundled reference data unless it has been loaded before. Returns the import reports
/// (empty when there was nothing to do). Loading twice would change nothing either: imports skip
/// unchanged rows.
pub async fn seed<S: Store>(store: &S, actor: &str) -> Result<Vec<ApplyReport>, StoreError> {
    if store.meta(SEEDED).await?.is_some() {
        return Ok(Vec::new());
    }
    let mut reports = Vec::new();
    for f in BUNDLED {
        let batch = read_batch(f.kind, f.name, f.text.as_bytes())?;
        reports.push(apply_checked(store, &batch, actor, &|_, _| {}).await?);
    }
    store
        .set_meta(SEEDED, &chrono::Utc::now().to_rfc3339())
        .await?;
    Ok(reports)
}

/// Opens the database for writing, creating it, migrating it and loading the bundled data on first
/// use, all under the setup lock: ten processes started at once on a new database all succeed and
/// the data is loaded once.
pub async fn open_seeded(target: &str, actor: &str) -> Result<AnyStore, StoreError> {
    let t = Target::parse(target)?;
    let lock = SetupLock::take(&t).await?;
    let done = async {
        let store = AnyStore::open_locked(&t).await?;
        seed(&store, actor).await?;
        Ok(store)
    }
    .await;
    lock.release().await;
    done
}

/// Opens the database for a command that only reads. A SQLite database that is already set up is
/// opened read-only and left untouched, so that this works on a read-only file, folder or mount;
/// one that is missing or needs setting up is set up as [`open_seeded`] does, or, when it cannot
/// be written, refused with [`StoreError::ReadOnly`] saying why.
pub async fn open_reader(target: &str, actor: &str) -> Result<AnyStore, StoreError> {
    if let Target::Sqlite(path) = Target::parse(target)?
        && let Some(s) = SqliteStore::open_reader(path).await?
    {
        return Ok(AnyStore::Sqlite(s));
    }
    open_seeded(target, actor).await
}

/// Copies a SQLite database's write-ahead log into its main file and empties the log
/// (`PRAGMA wal_checkpoint(TRUNCATE)`), so that the `.db` file alone is complete. Commands that
/// wrote call it before they exit. Nothing to do for PostgreSQL or a missing file.
pub async fn checkpoint(target: &str) -> Result<(), StoreError> {
    use sqlx::Connection;
    let Target::Sqlite(path) = Target::parse(target)? else {
        return Ok(());
    };
    if !path.exists() {
        return Ok(());
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(crate::BUSY_WAIT);
    let ctx = || format!("checkpointing {}", path.display());
    let mut conn = sqlx::sqlite::SqliteConnection::connect_with(&opts)
        .await
        .map_err(crate::error::db(ctx()))?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .map_err(crate::error::db(ctx()))?;
    conn.close().await.map_err(crate::error::db(ctx()))?;
    Ok(())
}

/// Imports a file all-or-nothing. `name` is the file's name as errors should show it.
pub async fn import_reader<S: Store>(
    store: &S,
    kind: ImportKind,
    name: &str,
    input: impl Read,
    actor: &str,
    progress: Progress<'_>,
) -> Result<ApplyReport, StoreError> {
    let batch = read_batch(kind, name, input)?;
    apply_checked(store, &batch, actor, progress).await
}

/// Applies a batch after the checks that need more than one row: treaty events must fit together
/// with the State's stored events as the treaty engine sees them (a signature in the signature
/// period and before the deposit, one deposit, a withdrawal only after a deposit, ...), so that a
/// bad event is refused at import rather than breaking every later status query.
pub async fn apply_checked<S: Store>(
    store: &S,
    batch: &Batch,
    actor: &str,
    progress: Progress<'_>,
) -> Result<ApplyReport, StoreError> {
    if batch.kind == Kind::Events {
        check_events(store, batch).await?;
    }
    store.apply(batch, actor, progress).await
}

async fn check_events<S: Store>(store: &S, batch: &Batch) -> Result<(), StoreError> {
    use demine_core::records::TreatyEvent;
    use std::collections::BTreeMap;
    let table = Kind::Events.table();
    let decode = |r: &[demine_core::schema::Value]| -> Result<TreatyEvent, StoreError> {
        serde_json::from_value(serde_json::Value::Object(table.to_json(r))).map_err(|e| {
            StoreError::Corrupt {
                table: table.sql.into(),
                reason: e.to_string(),
            }
        })
    };
    // Per State, per key: the event and the batch line it comes from (None: already stored).
    let mut states: BTreeMap<String, BTreeMap<String, (Option<u64>, TreatyEvent)>> =
        BTreeMap::new();
    let touched: std::collections::BTreeSet<String> = batch
        .rows
        .iter()
        .filter_map(|r| {
            r.values
                .first()
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .collect();
    for r in store.records(Kind::Events, None).await? {
        let ev = decode(&r)?;
        if touched.contains(ev.iso3.as_str()) {
            states
                .entry(ev.iso3.to_string())
                .or_default()
                .insert(table.key_text(&r), (None, ev));
        }
    }
    for row in &batch.rows {
        let ev = decode(&row.values)?;
        states
            .entry(ev.iso3.to_string())
            .or_default()
            .insert(table.key_text(&row.values), (Some(row.line), ev));
    }
    let horizon = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(chrono::NaiveDate::MAX);
    for (iso3, events) in states {
        let line = events.values().filter_map(|(l, _)| *l).min().unwrap_or(0);
        let fail = |reason: String| StoreError::Invalid {
            file: batch.file.clone(),
            line,
            column: "event".into(),
            reason: format!("{iso3}'s treaty events do not fit together: {reason}"),
        };
        for kind in ["signature", "deposit", "withdrawal"] {
            let dates: Vec<String> = events
                .values()
                .filter(|(_, e)| e.event == kind)
                .map(|(_, e)| e.date.to_string())
                .collect();
            if dates.len() > 1 {
                return Err(fail(format!("more than one {kind} ({})", dates.join(", "))));
            }
        }
        let list: Vec<TreatyEvent> = events.into_values().map(|(_, e)| e).collect();
        let te = crate::view::treaty_events(&list, horizon)?;
        demine_treaty::status_as_of(&te, horizon).map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

/// Imports a file from disk all-or-nothing.
pub async fn import_file<S: Store>(
    store: &S,
    kind: ImportKind,
    path: &Path,
    actor: &str,
    progress: Progress<'_>,
) -> Result<ApplyReport, StoreError> {
    let file = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.to_string_lossy();
    import_reader(
        store,
        kind,
        &name,
        std::io::BufReader::new(file),
        actor,
        progress,
    )
    .await
}

/// Exports every record of a kind. Restricted kinds (victims' identities) need
/// `include_restricted`.
pub async fn export<S: Store>(
    store: &S,
    kind: Kind,
    format: Format,
    hxl: bool,
    include_restricted: bool,
    out: &mut dyn Write,
) -> Result<usize, StoreError> {
    let table = kind.table();
    if table.sensitivity == Sensitivity::Restricted && !include_restricted {
        return Err(StoreError::BadFile {
            file: kind.name().into(),
            reason: "restricted personal data: export it only with --include-restricted".into(),
        });
    }
    let records = store.records(kind, None).await?;
    write_records(table, &records, format, hxl, out).map_err(|source| StoreError::Io {
        path: "output".into(),
        source,
    })?;
    Ok(records.len())
}

/// Checks the audit chain, then that every stored row is what the log last recorded for it.
pub async fn verify_audit<S: Store>(store: &S) -> Result<AuditReport, StoreError> {
    let dump = store.snapshot(Internal::new()).await?;
    Ok(verify_dump(&dump))
}

fn verify_dump(dump: &Dump) -> AuditReport {
    let entries = &dump.audit;
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        let table = kind.table();
        let mut list = Vec::new();
        for obj in dump
            .tables
            .get(table.name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let key = match table.from_json(obj) {
                Ok(r) => table.key_text(&r),
                Err((_, reason)) => format!("(undecodable row: {reason})"),
            };
            list.push((key, serde_json::Value::Object(obj.clone()).to_string()));
        }
        rows.push((kind, list));
    }
    let result = audit::verify_chain(entries)
        .and_then(|()| audit::verify_rows(entries, &rows))
        .and_then(|()| crate::hazards::verify_dump_areas(dump))
        .map_err(crate::access::redact_broken);
    AuditReport {
        entries: entries.len() as u64,
        ok: result.is_ok(),
        first_broken: result.err(),
    }
}

/// Writes a consistent backup while the database stays in use.
pub async fn backup<S: Store>(store: &S, path: &Path) -> Result<(), StoreError> {
    store.backup(path).await
}

/// Reads a backup (a SQLite file made by `backup`, or a JSON dump) and checks it: its audit chain
/// must verify and its rows must match it.
pub async fn read_backup(path: &Path) -> Result<Dump, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(io)?;
    let file = path.display().to_string();
    let dump = if n == 16 && &head == b"SQLite format 3\0" {
        let s = SqliteStore::open_read_only(path).await?;
        let d = s.snapshot(Internal::new()).await;
        let _ = s.close().await;
        d.map_err(|e| StoreError::BadFile {
            file: file.clone(),
            reason: format!("not a demine backup: {e}"),
        })?
    } else {
        let text = std::fs::read_to_string(path).map_err(io)?;
        let d: Dump = serde_json::from_str(&text).map_err(|e| StoreError::BadFile {
            file: file.clone(),
            reason: format!(
                "not a demine backup (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        })?;
        if d.format != DUMP_FORMAT || d.version != 1 {
            return Err(StoreError::BadFile {
                file,
                reason: format!(
                    "format is {:?} version {}, expected {DUMP_FORMAT:?} version 1",
                    d.format, d.version
                ),
            });
        }
        d
    };
    let report = verify_dump(&dump);
    if let Some(b) = report.first_broken {
        return Err(StoreError::BadFile {
            file,
            reason: format!(
                "the backup's audit log does not verify at {} {} (entry {:?}): {}",
                b.entity, b.key, b.seq, b.reason
            ),
        });
    }
    Ok(dump)
}

/// Replaces the whole database with a backup, all-or-nothing, and logs the restore.
pub async fn restore<S: Store>(store: &S, path: &Path, actor: &str) -> Result<(), StoreError> {
    let dump = read_backup(path).await?;
    store
        .replace_all(&dump, actor, &path.display().to_string())
        .await
}

impl Store for AnyStore {
    fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(s) => s.backend(),
            AnyStore::Postgres(s) => s.backend(),
        }
    }

    async fn records(
        &self,
        kind: Kind,
        iso3: Option<&str>,
    ) -> Result<Vec<crate::Record>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.records(kind, iso3).await,
            AnyStore::Postgres(s) => s.records(kind, iso3).await,
        }
    }

    async fn apply(
        &self,
        batch: &crate::Batch,
        actor: &str,
        progress: Progress<'_>,
    ) -> Result<ApplyReport, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.apply(batch, actor, progress).await,
            AnyStore::Postgres(s) => s.apply(batch, actor, progress).await,
        }
    }

    async fn audit_entries(&self) -> Result<Vec<crate::AuditEntry>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.audit_entries().await,
            AnyStore::Postgres(s) => s.audit_entries().await,
        }
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.meta(key).await,
            AnyStore::Postgres(s) => s.meta(key).await,
        }
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.set_meta(key, value).await,
            AnyStore::Postgres(s) => s.set_meta(key, value).await,
        }
    }

    fn access(&self) -> Access {
        AnyStore::access(self)
    }

    async fn snapshot(&self, token: Internal) -> Result<Dump, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.snapshot(token).await,
            AnyStore::Postgres(s) => s.snapshot(token).await,
        }
    }

    async fn replace_all(&self, dump: &Dump, actor: &str, what: &str) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.replace_all(dump, actor, what).await,
            AnyStore::Postgres(s) => s.replace_all(dump, actor, what).await,
        }
    }

    async fn backup(&self, path: &Path) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.backup(path).await,
            AnyStore::Postgres(s) => s.backup(path).await,
        }
    }
}
