//! The audit log's hash chain. Each entry's hash covers the previous entry's hash and every field
//! of its own, so that editing, removing or reordering any entry breaks the chain from there on.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use demine_core::schema::Kind;

/// The entity of the audit entries that record the meta table (their key is the meta key, their
/// `after` the value as is).
pub const META_ENTITY: &str = "meta";

/// Who the audit log names for a meta fact demine itself records.
pub const META_ACTOR: &str = "demine";

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change: who made it, when, to what, the row before and after (JSON, null when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

fn field(h: &mut Sha256, s: Option<&str>) {
    match s {
        // Length-prefixed, so that no two different entries hash the same bytes.
        Some(s) => {
            h.update(s.len().to_string().as_bytes());
            h.update(b":");
            h.update(s.as_bytes());
        }
        None => h.update(b"-"),
    }
    h.update(b";");
}

/// The hash of an entry from its fields and the previous entry's hash.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    entity: &str,
    key: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    field(&mut h, Some(prev_hash));
    field(&mut h, Some(&seq.to_string()));
    field(&mut h, Some(at));
    field(&mut h, Some(actor));
    field(&mut h, Some(entity));
    field(&mut h, Some(key));
    field(&mut h, before);
    field(&mut h, after);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditEntry {
    /// A new entry chained after `prev` (seq, hash), stamped now.
    pub fn next(
        prev: (i64, &str),
        actor: &str,
        entity: &str,
        key: &str,
        before: Option<String>,
        after: Option<String>,
    ) -> AuditEntry {
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let seq = prev.0 + 1;
        let hash = entry_hash(
            prev.1,
            seq,
            &at,
            actor,
            entity,
            key,
            before.as_deref(),
            after.as_deref(),
        );
        AuditEntry {
            seq,
            at,
            actor: actor.to_string(),
            entity: entity.to_string(),
            key: key.to_string(),
            before,
            after,
            prev_hash: prev.1.to_string(),
            hash,
        }
    }

    fn expected_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.seq,
            &self.at,
            &self.actor,
            &self.entity,
            &self.key,
            self.before.as_deref(),
            self.after.as_deref(),
        )
    }
}

/// The one place audit entries are made: the chain's current head (the last entry's sequence
/// number and hash) and the entries appended after it that are not yet written. Both the
/// registry's and the hazard store's writes append through it, and the backends write what it
/// holds with one function (`write_audit` in `backend.rs`), so the entry format, the hashing and
/// the linking to the previous hash exist once.
#[derive(Debug, Clone)]
pub struct Chain {
    seq: i64,
    hash: String,
    pending: Vec<AuditEntry>,
}

impl Chain {
    /// A chain whose last entry is `seq` with `hash` (0 and [`GENESIS`] when the log is empty).
    pub fn after(seq: i64, hash: String) -> Chain {
        Chain {
            seq,
            hash,
            pending: Vec::new(),
        }
    }

    /// Appends an entry stamped now, linked to the previous one.
    pub fn append(
        &mut self,
        actor: &str,
        entity: &str,
        key: &str,
        before: Option<String>,
        after: Option<String>,
    ) {
        let e = AuditEntry::next((self.seq, &self.hash), actor, entity, key, before, after);
        self.seq = e.seq;
        self.hash.clone_from(&e.hash);
        self.pending.push(e);
    }

    /// The entries appended and not yet written, leaving none.
    pub fn take(&mut self) -> Vec<AuditEntry> {
        std::mem::take(&mut self.pending)
    }

    /// How many entries wait to be written.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// The chain's head: how many entries it has and the last one's hash. Kept outside the database
/// (a `<db>.audit-head` file beside a SQLite file, or wherever an operator keeps what
/// `demine audit head` prints) so that removing entries from the end of the log, together with
/// the rows they recorded, is caught: the chain alone cannot tell it was longer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Entries in the chain (None when only a hash was given).
    pub entries: Option<i64>,
    /// The hash of the last of them.
    pub hash: String,
}

impl Head {
    /// The head of a log.
    pub fn of(entries: &[AuditEntry]) -> Head {
        Head {
            entries: Some(entries.len() as i64),
            hash: entries
                .last()
                .map_or_else(|| GENESIS.to_string(), |e| e.hash.clone()),
        }
    }

    /// `ENTRIES HASH`, as the head file holds it and `demine audit head` prints it.
    pub fn line(&self) -> String {
        match self.entries {
            Some(n) => format!("{n} {}", self.hash),
            None => self.hash.clone(),
        }
    }

    /// Reads `ENTRIES HASH` or a bare `HASH` (64 hexadecimal digits).
    pub fn parse(text: &str) -> Result<Head, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let is_hash = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
        match words[..] {
            [h] if is_hash(h) => Ok(Head {
                entries: None,
                hash: h.to_ascii_lowercase(),
            }),
            [n, h] if is_hash(h) => match n.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Head {
                    entries: Some(n),
                    hash: h.to_ascii_lowercase(),
                }),
                _ => Err(format!("{n:?} is not a number of entries")),
            },
            _ => Err("expected ENTRIES HASH or HASH (64 hexadecimal digits)".into()),
        }
    }

    /// Whether a log still holds this head: the entry it names is there, with that hash. A log
    /// that has grown since is fine; a shorter one was truncated, a different one rewritten.
    pub fn check(&self, entries: &[AuditEntry]) -> Result<(), String> {
        let have = entries.len() as i64;
        match self.entries {
            Some(0) if self.hash == GENESIS => Ok(()),
            Some(n) if n > have => Err(format!(
                "the chain was truncated: its head was entry #{n} ({}), the log now ends at #{have}",
                self.hash
            )),
            Some(n) => {
                let at = usize::try_from(n - 1).ok().and_then(|i| entries.get(i));
                match at {
                    Some(e) if e.hash == self.hash => Ok(()),
                    _ => Err(format!(
                        "the chain was rewound or rewritten: entry #{n} does not have the head's \
                         hash {}",
                        self.hash
                    )),
                }
            }
            None if entries.iter().any(|e| e.hash == self.hash) => Ok(()),
            None => Err(format!(
                "the chain was truncated or rewritten: no entry has the head's hash {}",
                self.hash
            )),
        }
    }
}

/// The head file of a SQLite database: `<db>.audit-head`, beside it.
pub fn head_file_for(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(".audit-head");
    std::path::PathBuf::from(name)
}

/// Reads a head file (None when there is none).
pub fn read_head_file(path: &std::path::Path) -> Result<Option<Head>, crate::StoreError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Head::parse(&text)
            .map(Some)
            .map_err(|reason| crate::StoreError::BadFile {
                file: path.display().to_string(),
                reason: format!("not an audit head: {reason}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(crate::StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes the head file (through a temporary file and a rename, so it is whole or absent). A head
/// older than the one already there is not written (two writers finishing out of order), unless
/// `force` (a restore, which replaces the chain).
pub fn write_head_file(
    path: &std::path::Path,
    head: &Head,
    force: bool,
) -> Result<(), crate::StoreError> {
    let io = |source| crate::StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Writes committed at once by the tasks of one process (a server) each note the head: one at
    // a time, so that an older head never replaces a newer one and no two share a temporary
    // file (one renaming the other's away made a committed write answer 500).
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let _one = WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !force
        && let Ok(Some(Head {
            entries: Some(old), ..
        })) = read_head_file(path)
        && head.entries.is_some_and(|n| n < old)
    {
        return Ok(());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    std::fs::write(&tmp, format!("{}\n", head.line())).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The first place where the log or the data disagrees with the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    /// The entry at fault (None when a data row has no entry at all).
    pub seq: Option<i64>,
    pub entity: String,
    pub key: String,
    pub reason: String,
}

/// The outcome of `demine audit verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub entries: u64,
    pub ok: bool,
    /// The first difference (the first of `differences`).
    pub first_broken: Option<Broken>,
    /// Every difference between the chain and the data (and the head, when one was given).
    pub differences: Vec<Broken>,
    /// What the chain's head was compared with (a head file or a given hash), or why it was not.
    pub head: String,
}

/// Checks the chain: sequence numbers 1, 2, 3..., each entry chained to the previous hash, each
/// hash matching the entry's fields.
pub fn verify_chain(entries: &[AuditEntry]) -> Result<(), Broken> {
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let broken = |reason: String| Broken {
            seq: Some(e.seq),
            entity: e.entity.clone(),
            key: e.key.clone(),
            reason,
        };
        if e.seq != i as i64 + 1 {
            return Err(broken(format!(
                "expected entry #{}, found #{} (entries removed?)",
                i + 1,
                e.seq
            )));
        }
        if e.prev_hash != prev {
            return Err(broken("does not chain to the previous entry's hash".into()));
        }
        if e.expected_hash() != e.hash {
            return Err(broken(
                "its contents do not match its hash (edited?)".into(),
            ));
        }
        prev = e.hash.clone();
    }
    Ok(())
}

/// Every difference between the registry's rows and what the log last recorded for them.
pub fn collect_row_differences(
    entries: &[AuditEntry],
    rows: &[(Kind, Vec<(String, String)>)],
    out: &mut Vec<Broken>,
) {
    for (kind, list) in rows {
        let list: Vec<(&str, &str)> = list.iter().map(|(k, j)| (k.as_str(), j.as_str())).collect();
        compare_entity(entries, kind.name(), Some(*kind), &list, out);
    }
}

/// The meta table against the `meta` entries of the log.
pub fn collect_meta_differences(
    entries: &[AuditEntry],
    meta: &std::collections::BTreeMap<String, String>,
    out: &mut Vec<Broken>,
) {
    let list: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    compare_entity(entries, META_ENTITY, None, &list, out);
}

/// One entity's rows against the log. A registry row (`kind` given) may carry columns a later
/// migration added (see [`same_row`]), and an extension request may still be recorded under the
/// key it had before requests were numbered (see [`legacy_extension_key`]).
fn compare_entity(
    entries: &[AuditEntry],
    entity: &str,
    kind: Option<Kind>,
    list: &[(&str, &str)],
    out: &mut Vec<Broken>,
) {
    let mut last: HashMap<&str, &AuditEntry> = HashMap::new();
    for e in entries.iter().filter(|e| e.entity == entity) {
        last.insert(e.key.as_str(), e);
    }
    let same = |after: Option<&str>, json: &str| match kind {
        Some(k) => same_row(k, after, json),
        None => after == Some(json),
    };
    let mut present = std::collections::HashSet::new();
    let mut legacy_present: std::collections::HashSet<String> = Default::default();
    for (key, json) in list {
        if !present.insert(*key) {
            out.push(Broken {
                seq: None,
                entity: entity.into(),
                key: (*key).to_string(),
                reason: "the key appears twice: a table holds one row per key".into(),
            });
            continue;
        }
        let legacy = kind
            .and_then(|k| legacy_extension_key(k, json))
            .and_then(|k| {
                last.get(k.as_str())
                    .filter(|e| recorded_before_numbers(e.after.as_deref()))
                    .map(|e| (k.clone(), *e))
            });
        match last.get(key) {
            None if legacy
                .as_ref()
                .is_some_and(|(_, e)| same(e.after.as_deref(), &without_number(json))) =>
            {
                if let Some((k, _)) = legacy {
                    legacy_present.insert(k);
                }
            }
            None => out.push(Broken {
                seq: None,
                entity: entity.into(),
                key: (*key).to_string(),
                reason: "row is in the database but no audit entry records it".into(),
            }),
            Some(e) if !same(e.after.as_deref(), json) => out.push(Broken {
                seq: Some(e.seq),
                entity: entity.into(),
                key: (*key).to_string(),
                reason: format!(
                    "row differs from what audit entry #{} recorded (changed outside demine?): \
                     it is {json}, the entry recorded {}",
                    e.seq,
                    e.after.as_deref().unwrap_or("its removal")
                ),
            }),
            Some(_) => {
                if let Some((k, _)) = legacy {
                    legacy_present.insert(k);
                }
            }
        }
    }
    let mut missing: Vec<(&str, &AuditEntry)> = last
        .into_iter()
        .filter(|(key, e)| {
            e.after.is_some()
                && !present.contains(key)
                && !(legacy_present.contains(*key) && recorded_before_numbers(e.after.as_deref()))
        })
        .collect();
    missing.sort_by_key(|(_, e)| e.seq);
    for (key, e) in missing {
        out.push(Broken {
            seq: Some(e.seq),
            entity: entity.into(),
            key: key.to_string(),
            reason: format!("row recorded by audit entry #{} is missing", e.seq),
        });
    }
}

/// An extension request was keyed `iso3|submitted` until migration 0011 keyed it by its number:
/// the old key of a stored row, to find what the log recorded of it before then.
fn legacy_extension_key(kind: Kind, json: &str) -> Option<String> {
    if kind != Kind::Extensions {
        return None;
    }
    let row = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json).ok()?;
    match (row.get("iso3"), row.get("submitted")) {
        (Some(serde_json::Value::String(i)), Some(serde_json::Value::String(s))) => {
            Some(format!("{i}|{s}"))
        }
        _ => None,
    }
}

/// Did the entry record an extension request before requests had numbers?
fn recorded_before_numbers(after: Option<&str>) -> bool {
    after
        .and_then(|a| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(a).ok())
        .is_some_and(|m| !m.contains_key("number"))
}

/// The row without the `number` the migration gave it.
fn without_number(json: &str) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json) {
        Ok(mut m) => {
            m.remove("number");
            serde_json::Value::Object(m).to_string()
        }
        Err(_) => json.to_string(),
    }
}

/// Is the stored row (`json`) what the audit entry recorded (`after`)? Exactly the same text,
/// or, for a row recorded before a migration added columns, the same values in every recorded
/// column and, in each column added since, nothing or the column's default: a migration may add
/// a column, never change what was recorded.
fn same_row(kind: Kind, after: Option<&str>, json: &str) -> bool {
    use demine_core::schema::{Default, Value};
    let Some(after) = after else {
        return false;
    };
    if after == json {
        return true;
    }
    let parse = |t: &str| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(t);
    let (Ok(recorded), Ok(stored)) = (parse(after), parse(json)) else {
        return false;
    };
    let table = kind.table();
    recorded.iter().all(|(k, v)| stored.get(k) == Some(v))
        && stored
            .iter()
            .filter(|(k, _)| !recorded.contains_key(k.as_str()))
            .all(|(k, v)| {
                let default =
                    table
                        .columns
                        .iter()
                        .find(|c| c.name == k)
                        .and_then(|c| match c.default {
                            Default::Text(t) => Some(Value::Text(t.to_string()).to_json()),
                            _ => None,
                        });
                v.is_null() || Some(v) == default.as_ref()
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heads noted at once by many threads of one process (a server's concurrent writes): every
    /// write succeeds, and the file ends with the newest head.
    #[test]
    fn concurrent_head_writes_all_succeed_and_keep_the_newest() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("db.db.audit-head");
        std::thread::scope(|s| {
            for t in 0..8i64 {
                let path = &path;
                s.spawn(move || {
                    for i in 0..50i64 {
                        let head = Head {
                            entries: Some(i * 8 + t + 1),
                            hash: format!("{:064x}", i * 8 + t + 1),
                        };
                        write_head_file(path, &head, false).unwrap();
                    }
                });
            }
        });
        let last = read_head_file(&path).unwrap().unwrap();
        assert_eq!(last.entries, Some(400));
        let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files left: {left:?}");
    }

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = out
                .last()
                .map(|e| (e.seq, e.hash.clone()))
                .unwrap_or((0, GENESIS.into()));
            out.push(AuditEntry::next(
                (prev.0, &prev.1),
                "tester",
                "states",
                &format!("K{i}"),
                None,
                Some(format!("{{\"n\":{i}}}")),
            ));
        }
        out
    }

    #[test]
    fn intact_chain_verifies_and_any_edit_breaks_it() {
        let c = chain(5);
        assert!(verify_chain(&c).is_ok());
        let mut edited = c.clone();
        edited[2].after = Some("{\"n\":99}".into());
        assert_eq!(verify_chain(&edited).unwrap_err().seq, Some(3));
        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(verify_chain(&removed).unwrap_err().seq, Some(3));
        let mut rehashed = c.clone();
        rehashed[1].actor = "mallory".into();
        rehashed[1].hash = rehashed[1].expected_hash();
        // Re-hashing one entry does not help: the next one no longer chains to it.
        assert_eq!(verify_chain(&rehashed).unwrap_err().seq, Some(3));
    }

    fn verify_rows(
        entries: &[AuditEntry],
        rows: &[(Kind, Vec<(String, String)>)],
    ) -> Result<(), Broken> {
        let mut out = Vec::new();
        collect_row_differences(entries, rows, &mut out);
        out.into_iter().next().map_or(Ok(()), Err)
    }

    #[test]
    fn rows_must_match_the_last_entry() {
        let c = chain(2);
        let ok = vec![(
            Kind::States,
            vec![
                ("K0".to_string(), "{\"n\":0}".to_string()),
                ("K1".to_string(), "{\"n\":1}".to_string()),
            ],
        )];
        assert!(verify_rows(&c, &ok).is_ok());
        let edited = vec![(
            Kind::States,
            vec![
                ("K0".to_string(), "{\"n\":0}".to_string()),
                ("K1".to_string(), "{\"n\":7}".to_string()),
            ],
        )];
        assert_eq!(verify_rows(&c, &edited).unwrap_err().key, "K1");
        let missing = vec![(
            Kind::States,
            vec![("K0".to_string(), "{\"n\":0}".to_string())],
        )];
        assert!(
            verify_rows(&c, &missing)
                .unwrap_err()
                .reason
                .contains("missing")
        );
    }

    #[test]
    fn heads_parse_and_catch_truncation_and_rewriting() {
        let c = chain(4);
        let h = Head::of(&c);
        assert_eq!(h.entries, Some(4));
        assert_eq!(Head::parse(&h.line()).unwrap(), h);
        assert!(h.check(&c).is_ok());
        // A longer chain still holds an older head.
        let longer = chain(6);
        let old = Head::of(&longer[..3]);
        assert!(old.check(&longer).is_ok());
        // Truncated: the head names an entry the log no longer has.
        let e = Head::of(&longer).check(&longer[..5]).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        // Rewritten: same length, another last hash.
        let mut other = Chain::after(0, GENESIS.to_string());
        for i in 0..4 {
            other.append("mallory", "states", &format!("K{i}"), None, None);
        }
        let e = Head::of(&other.take()).check(&c).unwrap_err();
        assert!(e.contains("rewound or rewritten"), "{e}");
        // A bare hash must be somewhere in the chain.
        let bare = Head::parse(&c[1].hash).unwrap();
        assert_eq!(bare.entries, None);
        assert!(bare.check(&c).is_ok());
        assert!(Head::parse(&longer[5].hash).unwrap().check(&c).is_err());
        // The empty chain's head is the genesis hash.
        assert!(Head::of(&[]).check(&c).is_ok());
        for bad in ["", "x", "12", "-1 00", &format!("-1 {GENESIS}"), "1 2 3"] {
            assert!(Head::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_chain_appends_linked_entries() {
        let mut ch = Chain::after(0, GENESIS.to_string());
        ch.append("a", "states", "AFG", None, Some("{}".into()));
        ch.append("a", "meta", "seeded", None, Some("now".into()));
        assert_eq!(ch.pending(), 2);
        let entries = ch.take();
        assert_eq!(ch.pending(), 0);
        assert!(verify_chain(&entries).is_ok());
        // Appending after a taken batch continues the same chain.
        ch.append("a", "states", "AGO", None, Some("{}".into()));
        let mut all = entries;
        all.extend(ch.take());
        assert!(verify_chain(&all).is_ok());
        assert_eq!(all[2].seq, 3);
    }

    #[test]
    fn meta_rows_are_checked_like_any_other() {
        let mut ch = Chain::after(0, GENESIS.to_string());
        ch.append(META_ACTOR, META_ENTITY, "seeded", None, Some("t1".into()));
        let entries = ch.take();
        let mut meta = std::collections::BTreeMap::new();
        meta.insert("seeded".to_string(), "t1".to_string());
        let mut out = Vec::new();
        collect_meta_differences(&entries, &meta, &mut out);
        assert!(out.is_empty(), "{out:?}");
        meta.insert("seeded".to_string(), "t2".to_string());
        meta.insert("forged".to_string(), "x".to_string());
        collect_meta_differences(&entries, &meta, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        out.clear();
        collect_meta_differences(&entries, &Default::default(), &mut out);
        assert!(out[0].reason.contains("missing"), "{out:?}");
    }

    #[test]
    fn extension_rows_recorded_before_numbers_still_match() {
        let old = r#"{"decision":"granted","iso3":"MOZ","submitted":"2008-05-06"}"#;
        let log = vec![AuditEntry::next(
            (0, GENESIS),
            "tester",
            "extensions",
            "MOZ|2008-05-06",
            None,
            Some(old.into()),
        )];
        let numbered = |decision: &str| {
            vec![(
                Kind::Extensions,
                vec![(
                    "MOZ|1".to_string(),
                    format!(
                        r#"{{"basis":"art5","decision":"{decision}","iso3":"MOZ","number":1,"submitted":"2008-05-06"}}"#
                    ),
                )],
            )]
        };
        // The migration numbered the row: the entry under its old key still vouches for it.
        assert!(verify_rows(&log, &numbered("granted")).is_ok());
        // A value changed outside demine is still caught, and so is a row gone missing.
        assert!(verify_rows(&log, &numbered("refused")).is_err());
        assert!(
            verify_rows(&log, &[(Kind::Extensions, vec![])])
                .unwrap_err()
                .reason
                .contains("missing")
        );
        // An entry that recorded a number is not an old one.
        let new = vec![AuditEntry::next(
            (0, GENESIS),
            "tester",
            "extensions",
            "MOZ|2008-05-06",
            None,
            Some(
                r#"{"decision":"granted","iso3":"MOZ","number":1,"submitted":"2008-05-06"}"#.into(),
            ),
        )];
        assert!(verify_rows(&new, &numbered("granted")).is_err());
    }

    #[test]
    fn rows_recorded_before_a_migration_still_match() {
        let k = Kind::Extensions;
        let old = r#"{"decision":"granted","iso3":"AFG"}"#;
        // Added columns: null, or the column's default, are what the migration put there.
        assert!(same_row(
            k,
            Some(old),
            r#"{"basis":"art5","decision":"granted","iso3":"AFG","meeting":null}"#
        ));
        // Any other value in an added column, or a changed recorded value, is a change.
        assert!(!same_row(
            k,
            Some(old),
            r#"{"basis":"msp12","decision":"granted","iso3":"AFG"}"#
        ));
        assert!(!same_row(
            k,
            Some(old),
            r#"{"decision":"refused","iso3":"AFG","meeting":null}"#
        ));
        assert!(!same_row(k, Some(old), r#"{"iso3":"AFG"}"#));
        assert!(!same_row(k, None, old));
    }
}
