//! What the program does with a store, written once over the [`Store`] trait: load the bundled
//! data, import and export files, verify the audit log, back up and restore.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use demine_core::schema::{Kind, Sensitivity};
use serde::Serialize;

use crate::audit::{self, AuditReport};
use crate::bundled::{self, BUNDLED, ImportKind};
use crate::io::{Format, read_batch, write_records};
use crate::{
    Access, AnyStore, ApplyReport, Batch, DUMP_FORMAT, Dump, Internal, Progress, SetupLock,
    SqliteStore, Store, StoreError, Target,
};

/// The meta key set once the bundled data has been loaded.
pub const SEEDED: &str = "seeded";

/// The meta key that records that one bundled file has been loaded.
fn bundled_key(name: &str) -> String {
    format!("bundled:{name}")
}

/// Loads every bundled file not loaded before. Returns the import reports (empty when there was
/// nothing to do). A database seeded by an earlier demine (before files were tracked one by one)
/// gets only the files that are new to it: what it holds is never reloaded over. Loading twice
/// would change nothing either: imports skip unchanged rows.
pub async fn seed<S: Store>(store: &S, actor: &str) -> Result<Vec<ApplyReport>, StoreError> {
    let older = store.meta(SEEDED).await?.is_some();
    let mut reports = Vec::new();
    for f in bundled::all() {
        let key = bundled_key(f.name);
        if store.meta(&key).await?.is_some() {
            continue;
        }
        let loaded_before = older && BUNDLED.iter().any(|b| b.name == f.name);
        if !loaded_before {
            let batch = read_batch(f.kind, f.name, f.text.as_bytes())?;
            reports.push(apply_checked(store, &batch, actor, &|_, _| {}).await?);
        }
        store.set_meta(&key, "loaded").await?;
    }
    if !older {
        store
            .set_meta(SEEDED, &chrono::Utc::now().to_rfc3339())
            .await?;
    }
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

/// Applies a batch after the checks that need more than one row or another table: every rule the
/// registry applies when it reads is applied here, so that a row that would break a read is
/// refused at import (with file, line, column and rule) rather than breaking every later query.
///
/// - Treaty events must fit together with the State's stored events as the treaty engine sees
///   them (a signature in the signature period and before the deposit, one deposit, a withdrawal
///   only after a deposit, ...).
/// - Granted extensions must stand in the State's history as the engine reads it (after entry
///   into force, each moving the deadline later, at most ten years unless the decision is on
///   record at a meeting or rests on the Twelfth Meeting's decision).
/// - A `meeting` must name a stored meeting; the sources of meetings and use findings must name
///   stored sources; a State that used mines must be a State the registry knows.
pub async fn apply_checked<S: Store>(
    store: &S,
    batch: &Batch,
    actor: &str,
    progress: Progress<'_>,
) -> Result<ApplyReport, StoreError> {
    check_references(store, batch).await?;
    if batch.kind == Kind::Events {
        check_events(store, batch).await?;
    }
    if matches!(batch.kind, Kind::Events | Kind::Extensions) {
        check_extensions(store, batch).await?;
    }
    store.apply(batch, actor, progress).await
}

/// The ids of one column of a stored kind.
async fn stored_ids<S: Store>(
    store: &S,
    kind: Kind,
    column: &str,
) -> Result<std::collections::BTreeSet<String>, StoreError> {
    let i = kind.table().index(column).unwrap_or(0);
    Ok(store
        .records(kind, None)
        .await?
        .into_iter()
        .filter_map(|r| r.get(i).and_then(|v| v.as_str()).map(str::to_string))
        .collect())
}

async fn check_references<S: Store>(store: &S, batch: &Batch) -> Result<(), StoreError> {
    use demine_core::records::source_ids;
    let table = batch.kind.table();
    let col = |name: &str| table.index(name);
    let fail = |line: u64, column: &str, reason: String| StoreError::Invalid {
        file: batch.file.clone(),
        line,
        column: column.to_string(),
        reason,
    };
    if let Some(m) = col("meeting") {
        let known = stored_ids(store, Kind::Meetings, "id").await?;
        for row in &batch.rows {
            if let Some(id) = row.values.get(m).and_then(|v| v.as_str())
                && !known.contains(id)
            {
                return Err(fail(
                    row.line,
                    "meeting",
                    format!(
                        "unknown meeting {id:?}: no such id in meetings (import the meetings first)"
                    ),
                ));
            }
        }
    }
    if matches!(batch.kind, Kind::Meetings | Kind::UseFindings)
        && let Some(sc) = col("source")
    {
        let known = stored_ids(store, Kind::Sources, "id").await?;
        for row in &batch.rows {
            let cell = row.values.get(sc).and_then(|v| v.as_str()).unwrap_or("");
            if let Some(id) = source_ids(cell).find(|id| !known.contains(*id)) {
                return Err(fail(
                    row.line,
                    "source",
                    format!(
                        "source {id:?} is not in sources: every {} row cites a stored source id \
                         (import the sources first)",
                        table.name
                    ),
                ));
            }
        }
    }
    if batch.kind == Kind::UseFindings {
        let states = stored_ids(store, Kind::States, "iso3").await?;
        let (kind_i, actor_i) = (col("actor_kind").unwrap_or(0), col("actor").unwrap_or(0));
        for row in &batch.rows {
            let is_state = row.values.get(kind_i).and_then(|v| v.as_str()) == Some("state");
            if let Some(actor) = row.values.get(actor_i).and_then(|v| v.as_str())
                && is_state
                && !states.contains(actor)
            {
                return Err(fail(
                    row.line,
                    "actor",
                    format!("unknown ISO3 code {actor:?}: no such State in the registry"),
                ));
            }
        }
    }
    Ok(())
}

/// Decodes records of a kind into their typed struct.
fn decode<T: serde::de::DeserializeOwned>(
    kind: Kind,
    r: &[demine_core::schema::Value],
) -> Result<T, StoreError> {
    let table = kind.table();
    serde_json::from_value(serde_json::Value::Object(table.to_json(r))).map_err(|e| {
        StoreError::Corrupt {
            table: table.sql.into(),
            reason: e.to_string(),
        }
    })
}

/// Every State touched by the batch: its stored events and extensions with the batch's rows
/// laid over them (by key), and the batch line each came from, then the engine's reading of the
/// whole history, as `states show` will read it.
async fn check_extensions<S: Store>(store: &S, batch: &Batch) -> Result<(), StoreError> {
    use demine_core::records::{ExtensionRequest, TreatyEvent};
    use std::collections::{BTreeMap, BTreeSet};
    let touched: BTreeSet<String> = batch
        .rows
        .iter()
        .filter_map(|r| {
            r.values
                .first()
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .collect();
    type Lined<T> = BTreeMap<String, (Option<u64>, T)>;
    let mut events: BTreeMap<String, Lined<TreatyEvent>> = BTreeMap::new();
    let mut exts: BTreeMap<String, Lined<ExtensionRequest>> = BTreeMap::new();
    let et = Kind::Events.table();
    for r in store.records(Kind::Events, None).await? {
        let ev: TreatyEvent = decode(Kind::Events, &r)?;
        if touched.contains(ev.iso3.as_str()) {
            events
                .entry(ev.iso3.to_string())
                .or_default()
                .insert(et.key_text(&r), (None, ev));
        }
    }
    let xt = Kind::Extensions.table();
    for r in store.records(Kind::Extensions, None).await? {
        let x: ExtensionRequest = decode(Kind::Extensions, &r)?;
        if touched.contains(x.iso3.as_str()) {
            exts.entry(x.iso3.to_string())
                .or_default()
                .insert(xt.key_text(&r), (None, x));
        }
    }
    for row in &batch.rows {
        let key = batch.kind.table().key_text(&row.values);
        if batch.kind == Kind::Events {
            let ev: TreatyEvent = decode(Kind::Events, &row.values)?;
            events
                .entry(ev.iso3.to_string())
                .or_default()
                .insert(key, (Some(row.line), ev));
        } else {
            let x: ExtensionRequest = decode(Kind::Extensions, &row.values)?;
            exts.entry(x.iso3.to_string())
                .or_default()
                .insert(key, (Some(row.line), x));
        }
    }
    let horizon = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(chrono::NaiveDate::MAX);
    for iso3 in touched {
        let ev: Vec<TreatyEvent> = events
            .remove(&iso3)
            .map(|m| m.into_values().map(|(_, e)| e).collect())
            .unwrap_or_default();
        let lined: Vec<(Option<u64>, ExtensionRequest)> = exts
            .remove(&iso3)
            .map(|m| m.into_values().collect())
            .unwrap_or_default();
        let list: Vec<ExtensionRequest> = lined.iter().map(|(_, x)| x.clone()).collect();
        let te = demine_analytics::registry::treaty_events(&ev, horizon)?;
        let Some(eif) = demine_treaty::status_as_of(&te, horizon)
            .ok()
            .and_then(|r| r.entry_into_force)
        else {
            // Never bound: extensions are not read (the event check refuses what cannot be).
            if let Some((line, x)) = lined
                .iter()
                .find(|(_, x)| x.decision == "granted")
                .filter(|_| batch.kind == Kind::Extensions)
            {
                return Err(StoreError::Invalid {
                    file: batch.file.clone(),
                    line: line.unwrap_or(0),
                    column: "decision".into(),
                    reason: format!(
                        "{iso3} has no instrument deposited in the registry: an extension \
                         granted on {} cannot apply (Art. 5 binds from entry into force)",
                        x.decided_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                });
            }
            continue;
        };
        let found: Vec<chrono::NaiveDate> = ev
            .iter()
            .filter(|e| e.event == "contamination-found")
            .map(TreatyEvent::day)
            .collect();
        if let Err((index, reason)) =
            demine_analytics::registry::clearance(eif, &list, &found, horizon)
        {
            let line = index
                .and_then(|i| lined.get(i))
                .and_then(|(l, _)| *l)
                .or_else(|| lined.iter().filter_map(|(l, _)| *l).min())
                .or_else(|| batch.rows.first().map(|r| r.line))
                .unwrap_or(0);
            return Err(StoreError::Invalid {
                file: batch.file.clone(),
                line,
                column: if batch.kind == Kind::Extensions {
                    "granted_until".into()
                } else {
                    "event".into()
                },
                reason: format!("{iso3}'s extensions do not stand (rule Art. 5): {reason}"),
            });
        }
    }
    Ok(())
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
        let te = demine_analytics::registry::treaty_events(&list, horizon)?;
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

/// Checks the audit chain, then that every stored row is what the log last recorded for it (see
/// [`verify_dump`]). The chain's head is not compared with anything: see [`verify_audit_against`].
pub async fn verify_audit<S: Store>(store: &S) -> Result<AuditReport, StoreError> {
    let dump = store.snapshot(Internal::new()).await?;
    Ok(verify_dump(&dump))
}

/// A dump written before extension requests had numbers: each State's requests are numbered in
/// the order they were submitted, as migration 0011 numbers the rows of an older database (the
/// audit entries written under the old key still vouch for them).
fn number_extension_requests(mut dump: Dump) -> Dump {
    let Some(rows) = dump.tables.get_mut(Kind::Extensions.table().name) else {
        return dump;
    };
    if rows.iter().all(|r| r.contains_key("number")) {
        return dump;
    }
    let text = |r: &serde_json::Map<String, serde_json::Value>, k: &str| {
        r.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (text(&rows[i], "iso3"), text(&rows[i], "submitted"), i));
    let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for i in order {
        if rows[i].contains_key("number") {
            continue;
        }
        let n = counts.entry(text(&rows[i], "iso3")).or_insert(0);
        *n += 1;
        rows[i].insert("number".into(), serde_json::Value::from(*n));
    }
    dump
}

/// [`verify_audit`], and the chain must still hold `head` (what an earlier `audit head` printed,
/// or a head file): a chain whose last entries were removed, with the rows they recorded, still
/// verifies by itself, and only the head kept outside the database tells.
pub async fn verify_audit_against<S: Store>(
    store: &S,
    head: Option<(&audit::Head, &str)>,
) -> Result<AuditReport, StoreError> {
    let dump = store.snapshot(Internal::new()).await?;
    let mut report = verify_dump(&dump);
    match head {
        None => {
            report.head = "no audit head to compare with: removing the last entries together \
                           with the rows they recorded would not be noticed"
                .into();
        }
        Some((h, from)) => match h.check(&dump.audit) {
            Ok(()) => report.head = format!("holds the head {} ({from})", h.line()),
            Err(reason) => {
                report.head = format!("does NOT hold the head {} ({from})", h.line());
                report.differences.insert(
                    0,
                    audit::Broken {
                        seq: h.entries,
                        entity: "audit_log".into(),
                        key: "head".into(),
                        reason: format!("{reason} (head from {from})"),
                    },
                );
                report.ok = false;
                report.first_broken = report.differences.first().cloned();
            }
        },
    }
    Ok(report)
}

/// Checks a dump: the chain itself, then every table that holds a fact against it: the registry's
/// tables and the meta table (each row as the log last recorded it, no row it never saw, none
/// it recorded missing), and the hazard tables (areas, versions, approval state, activities,
/// device finds, custom fields, and the derived remaining geometry and spatial index boxes,
/// recomputed). Every difference is listed.
pub fn verify_dump(dump: &Dump) -> AuditReport {
    let entries = &dump.audit;
    let mut out = Vec::new();
    if let Err(b) = audit::verify_chain(entries) {
        out.push(b);
    }
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
    audit::collect_row_differences(entries, &rows, &mut out);
    audit::collect_meta_differences(entries, &dump.meta, &mut out);
    crate::hazards::verify_hazards(dump, &mut out);
    let out: Vec<_> = out.into_iter().map(crate::access::redact_broken).collect();
    AuditReport {
        entries: entries.len() as u64,
        ok: out.is_empty(),
        first_broken: out.first().cloned(),
        differences: out,
        head: "not compared".into(),
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
        let ours = s.is_demine_database().await;
        let d = s.snapshot(Internal::new()).await;
        let _ = s.close().await;
        match d {
            Ok(d) => d,
            // Any other SQLite file is refused: migrating a copy of it would make an empty
            // database, and restoring that would remove everything.
            Err(first) if !ours => {
                return Err(StoreError::BadFile {
                    file,
                    reason: format!("not a demine backup (no demine migrations in it): {first}"),
                });
            }
            // A backup made before a migration added columns: bring a copy up to date and read
            // that (the backup itself is never written to).
            Err(first) => dump_migrated_copy(path)
                .await
                .map_err(|_| StoreError::BadFile {
                    file: file.clone(),
                    reason: format!("not a demine backup: {first}"),
                })?,
        }
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
        number_extension_requests(d)
    };
    let report = verify_dump(&dump);
    if !report.ok {
        let shown: Vec<String> = report
            .differences
            .iter()
            .take(5)
            .map(|b| {
                format!(
                    "{} {}{}: {}",
                    b.entity,
                    b.key,
                    b.seq.map(|s| format!(" (entry #{s})")).unwrap_or_default(),
                    b.reason
                )
            })
            .collect();
        let more = report.differences.len().saturating_sub(shown.len());
        return Err(StoreError::BadFile {
            file,
            reason: format!(
                "the backup's audit log does not verify, nothing was restored: {}{}",
                shown.join("; "),
                if more > 0 {
                    format!("; and {more} more difference(s)")
                } else {
                    String::new()
                }
            ),
        });
    }
    Ok(dump)
}

/// Dumps a migrated temporary copy of a SQLite backup made by an older demine.
async fn dump_migrated_copy(path: &Path) -> Result<Dump, StoreError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let copy =
        std::env::temp_dir().join(format!("demine-restore-{}-{nanos}.db", std::process::id()));
    std::fs::copy(path, &copy).map_err(|source| StoreError::Io {
        path: copy.clone(),
        source,
    })?;
    let result = async {
        let s = SqliteStore::open(&copy).await?;
        let d = s.snapshot(Internal::new()).await;
        let _ = s.close().await;
        d
    }
    .await;
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", copy.display()));
    }
    result
}

/// How a restore may proceed.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Restore even when it removes rows or audit history present now.
    pub force: bool,
    /// Where to keep the database being replaced (a backup made first); None: not kept.
    pub keep_before: Option<std::path::PathBuf>,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Rows restored, per table.
    pub restored: BTreeMap<String, u64>,
    /// Rows present before that the restore removed or replaced, per table (and `audit_log`:
    /// entries of the history that are gone).
    pub removed: BTreeMap<String, u64>,
    /// Where the replaced database was kept.
    pub kept_before: Option<std::path::PathBuf>,
}

/// What replacing `now` with `backup` would remove: per table, rows of `now` not in `backup` as
/// they are (removed or replaced), and `audit_log`: entries of `now`'s history that `backup`'s
/// does not continue.
pub fn removals(now: &Dump, backup: &Dump) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (table, list) in &now.tables {
        if table == crate::hazards::BBOX_TABLE {
            continue;
        }
        let kept: std::collections::HashSet<String> = backup
            .tables
            .get(table)
            .map(|l| {
                l.iter()
                    .map(|r| serde_json::Value::Object(r.clone()).to_string())
                    .collect()
            })
            .unwrap_or_default();
        let n = list
            .iter()
            .filter(|r| !kept.contains(&serde_json::Value::Object((*r).clone()).to_string()))
            .count() as u64;
        if n > 0 {
            out.insert(table.clone(), n);
        }
    }
    let meta = now
        .meta
        .iter()
        .filter(|(k, v)| backup.meta.get(*k) != Some(*v))
        .count() as u64;
    if meta > 0 {
        out.insert("meta".into(), meta);
    }
    let common = now
        .audit
        .iter()
        .zip(&backup.audit)
        .take_while(|(a, b)| a.hash == b.hash)
        .count();
    let gone = (now.audit.len() - common) as u64;
    if gone > 0 {
        out.insert("audit_log".into(), gone);
    }
    out
}

fn counts(d: &Dump) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = d
        .tables
        .iter()
        .filter(|(t, l)| !l.is_empty() && t.as_str() != crate::hazards::BBOX_TABLE)
        .map(|(t, l)| (t.clone(), l.len() as u64))
        .collect();
    if !d.audit.is_empty() {
        out.insert("audit_log".into(), d.audit.len() as u64);
    }
    out
}

/// Replaces the whole database with a backup, all-or-nothing, and logs the restore. The backup
/// is checked first (its audit chain and its rows against it) and refused if it does not verify.
/// A restore that would remove rows or audit history present now is refused unless
/// `options.force`, with what it would remove per table. Before anything is replaced, the
/// current database (when it holds anything) is backed up to `options.keep_before`.
pub async fn restore<S: Store>(
    store: &S,
    path: &Path,
    actor: &str,
    options: &RestoreOptions,
) -> Result<RestoreReport, StoreError> {
    let dump = read_backup(path).await?;
    let now = store.snapshot(Internal::new()).await?;
    let removed = removals(&now, &dump);
    if !removed.is_empty() && !options.force {
        let what: Vec<String> = removed.iter().map(|(t, n)| format!("{n} {t}")).collect();
        return Err(StoreError::WouldRemove {
            file: path.display().to_string(),
            what: what.join(", "),
        });
    }
    let mut report = RestoreReport {
        restored: counts(&dump),
        removed,
        kept_before: None,
    };
    if !counts(&now).is_empty()
        && let Some(keep) = &options.keep_before
    {
        store.backup(keep).await?;
        report.kept_before = Some(keep.clone());
    }
    store
        .replace_all(&dump, actor, &path.display().to_string())
        .await?;
    Ok(report)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_dump_from_before_numbers_gets_its_requests_numbered() {
        let row = |iso3: &str, submitted: &str| {
            serde_json::json!({"iso3": iso3, "submitted": submitted, "decision": "pending"})
                .as_object()
                .cloned()
                .unwrap()
        };
        let mut dump = Dump {
            format: DUMP_FORMAT.into(),
            version: 1,
            tables: Default::default(),
            audit: vec![],
            meta: Default::default(),
        };
        dump.tables.insert(
            "extensions".into(),
            vec![
                row("MOZ", "2013-05-25"),
                row("KHM", "2009"),
                row("MOZ", "2008-05-06"),
            ],
        );
        let dump = number_extension_requests(dump);
        let numbers: Vec<(String, u64)> = dump.tables["extensions"]
            .iter()
            .map(|r| {
                (
                    format!(
                        "{}|{}",
                        r["iso3"].as_str().unwrap(),
                        r["submitted"].as_str().unwrap()
                    ),
                    r["number"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            numbers,
            [
                ("MOZ|2013-05-25".to_string(), 2),
                ("KHM|2009".to_string(), 1),
                ("MOZ|2008-05-06".to_string(), 1)
            ]
        );
        // A current dump is left as it is.
        let again = number_extension_requests(dump.clone());
        assert_eq!(again.tables, dump.tables);
    }
}
