//! The audit log's hash chain. Each entry's hash covers the previous entry's hash and every field
//! of its own, so that editing, removing or reordering any entry breaks the chain from there on.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use demine_core::schema::Kind;

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
    pub first_broken: Option<Broken>,
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

/// Checks that the data rows are what the log says they are: for each entity and key, the last
/// entry's `after` equals the stored row (canonical JSON), and no row exists the log never saw.
/// `rows` gives, per kind, each stored row's key and canonical JSON.
pub fn verify_rows(
    entries: &[AuditEntry],
    rows: &[(Kind, Vec<(String, String)>)],
) -> Result<(), Broken> {
    let mut last: HashMap<(&str, &str), &AuditEntry> = HashMap::new();
    for e in entries {
        last.insert((e.entity.as_str(), e.key.as_str()), e);
    }
    for (kind, list) in rows {
        let entity = kind.name();
        let mut present = std::collections::HashSet::new();
        // Keys of entries written before migration 0011 renumbered extension requests.
        let mut legacy_present: std::collections::HashSet<String> = Default::default();
        for (key, json) in list {
            present.insert(key.as_str());
            let legacy = legacy_extension_key(*kind, json).and_then(|k| {
                last.get(&(entity, k.as_str()))
                    .filter(|e| recorded_before_numbers(e.after.as_deref()))
                    .map(|e| (k.clone(), *e))
            });
            match last.get(&(entity, key.as_str())) {
                None if legacy.as_ref().is_some_and(|(_, e)| {
                    same_row(*kind, e.after.as_deref(), &without_number(json))
                }) =>
                {
                    if let Some((k, _)) = legacy {
                        legacy_present.insert(k);
                    }
                }
                None => {
                    return Err(Broken {
                        seq: None,
                        entity: entity.into(),
                        key: key.clone(),
                        reason: "row is in the database but no audit entry records it".into(),
                    });
                }
                Some(e) if !same_row(*kind, e.after.as_deref(), json) => {
                    return Err(Broken {
                        seq: Some(e.seq),
                        entity: entity.into(),
                        key: key.clone(),
                        reason: format!(
                            "row differs from what audit entry #{} recorded (changed outside demine?)",
                            e.seq
                        ),
                    });
                }
                Some(_) => {
                    if let Some((k, _)) = legacy {
                        legacy_present.insert(k);
                    }
                }
            }
        }
        for ((ent, key), e) in &last {
            if *ent == entity
                && e.after.is_some()
                && !present.contains(key)
                && !(legacy_present.contains(*key) && recorded_before_numbers(e.after.as_deref()))
            {
                return Err(Broken {
                    seq: Some(e.seq),
                    entity: entity.into(),
                    key: (*key).to_string(),
                    reason: format!("row recorded by audit entry #{} is missing", e.seq),
                });
            }
        }
    }
    Ok(())
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
