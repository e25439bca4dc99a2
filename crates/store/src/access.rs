//! Who may read what: the one place where the store decides whether a reader sees restricted data.
//!
//! Every store handle carries an [`Access`] level, set when it is opened (the CLI takes it from
//! `--access`). Reads of a restricted table, of a dump or backup holding restricted rows, and of
//! the coordinates of hazardous areas go through [`require`]; the audit log is handed out through
//! [`redact_entries`], which withholds the payloads and keys a reader may not see. Commands do not
//! check anything themselves.

use demine_core::schema::{Kind, Sensitivity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AuditEntry, Broken, StoreError};

/// How much a reader may see. Ordered: each level sees everything the one before it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Anyone: public tables, and the audit log with restricted payloads and keys withheld. Not
    /// the coordinates of hazardous areas (the coming server hands this level to the world).
    Public,
    /// Also the coordinates of hazardous areas and their land release (partners, and the CLI,
    /// which works on a database its user already holds).
    Operational,
    /// Also personal data: victims' names, birth dates and contacts.
    Restricted,
}

impl Access {
    /// Whether this level may read data of that sensitivity.
    pub fn allows(self, s: Sensitivity) -> bool {
        self >= needed(s)
    }

    /// The level's name, as `--access` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Operational => "operational",
            Access::Restricted => "restricted",
        }
    }
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who asks: what they may read ([`Access`]), whether they may write, and where. A store handle
/// carries one ([`crate::AnyStore::as_requester`]); the server sets it per request, the CLI once
/// per process ([`Requester::local`]).
///
/// The scope (a State and, where set, an organisation) limits what the requester may write and
/// which hazardous areas and activities they may read: an editor scoped to KHM and organisation X
/// reads and writes only X's areas in KHM. Without a scope, everything their level allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// Who, as the audit log records their writes.
    pub actor: String,
    /// What they may read.
    pub access: Access,
    /// Whether they may write at all (within their scope).
    pub writes: bool,
    /// Only this State's data (ISO3, upper case), when set.
    pub iso3: Option<String>,
    /// Only this organisation's hazardous areas and activities, when set (with `iso3`).
    pub organisation: Option<String>,
}

impl Requester {
    /// Someone working on a database they hold (the CLI): reads at `access`, writes anywhere.
    pub fn local(actor: impl Into<String>, access: Access) -> Requester {
        Requester {
            actor: actor.into(),
            access,
            writes: true,
            iso3: None,
            organisation: None,
        }
    }

    /// An anonymous visitor: public data only, no writes.
    pub fn anonymous() -> Requester {
        Requester {
            actor: "anonymous".into(),
            access: Access::Public,
            writes: false,
            iso3: None,
            organisation: None,
        }
    }

    /// The same requester, reading only (a viewer or a reviewer's reads).
    pub fn read_only(mut self) -> Requester {
        self.writes = false;
        self
    }

    /// The same requester, limited to a State and, where given, an organisation.
    pub fn scoped(mut self, iso3: &str, organisation: Option<&str>) -> Requester {
        self.iso3 = Some(iso3.trim().to_ascii_uppercase());
        self.organisation = organisation.map(str::to_string);
        self
    }

    /// Whether this requester's scope holds data filed under `iso3` and `organisation`.
    pub fn in_scope(&self, iso3: Option<&str>, organisation: Option<&str>) -> bool {
        let state_ok = match &self.iso3 {
            None => true,
            Some(mine) => iso3.is_some_and(|s| s.trim().eq_ignore_ascii_case(mine)),
        };
        let org_ok = match &self.organisation {
            None => true,
            Some(mine) => organisation == Some(mine.as_str()),
        };
        state_ok && org_ok
    }

    /// How messages name the scope: `KHM`, `KHM/organisation X`, or `everywhere`.
    pub fn scope_name(&self) -> String {
        match (&self.iso3, &self.organisation) {
            (None, None) => "everywhere".into(),
            (Some(s), None) => s.clone(),
            (Some(s), Some(o)) => format!("{s}/organisation {o}"),
            (None, Some(o)) => format!("organisation {o}"),
        }
    }
}

/// The level a sensitivity tier needs.
pub fn needed(s: Sensitivity) -> Access {
    match s {
        Sensitivity::Public => Access::Public,
        Sensitivity::Partner => Access::Operational,
        Sensitivity::Restricted => Access::Restricted,
    }
}

/// Refuses unless `have` may read data of sensitivity `s`; `what` names the data.
pub fn require(have: Access, s: Sensitivity, what: &str) -> Result<(), StoreError> {
    if have.allows(s) {
        Ok(())
    } else {
        Err(StoreError::Forbidden {
            what: what.to_string(),
            needs: needed(s),
            have,
        })
    }
}

/// The sensitivity of an audit log entity: a kind's table tier, `Partner` for hazardous areas and
/// land release (their payloads hold coordinates), `Public` for the rest (restores, notes).
pub fn entity_sensitivity(entity: &str) -> Sensitivity {
    if let Some(k) = Kind::ALL.into_iter().find(|k| k.name() == entity) {
        return k.table().sensitivity;
    }
    if entity.starts_with("account_") {
        // Who holds an account, their role and scope: personal data.
        return Sensitivity::Restricted;
    }
    if entity.starts_with("hazard_") || entity.starts_with("release_") || entity == "field_report" {
        Sensitivity::Partner
    } else {
        Sensitivity::Public
    }
}

/// Whether a kind holds data a reader at the lowest level may not see.
pub fn is_restricted(kind: Kind) -> bool {
    kind.table().sensitivity == Sensitivity::Restricted
}

/// A key as a reader who may not see it is shown it: a short hash, the same for the same key, so
/// that entries about one record can still be told apart and matched.
pub fn key_hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("withheld:{hex}")
}

/// Refuses a dump the reader may not see whole: any rows of a restricted kind need
/// [`Access::Restricted`], any hazardous areas [`Access::Operational`].
pub fn check_dump(have: Access, dump: &crate::Dump) -> Result<(), StoreError> {
    for (name, rows) in &dump.tables {
        if rows.is_empty() {
            continue;
        }
        let s = entity_sensitivity(name);
        require(
            have,
            s,
            &format!("a dump holding {name} ({})", tier_name(s)),
        )?;
    }
    Ok(())
}

/// How messages name a tier's data.
pub fn tier_name(s: Sensitivity) -> &'static str {
    match s {
        Sensitivity::Public => "public data",
        Sensitivity::Partner => "hazard coordinates",
        Sensitivity::Restricted => "restricted personal data",
    }
}

/// What replaces a payload a reader may not see.
pub const WITHHELD: &str = "{\"withheld\":true}";

/// The audit log as a reader at `have` may see it: entries about data above their level keep their
/// sequence, time, actor, entity, action (insert, update, delete) and hashes; the key becomes
/// [`key_hash`] and the payloads [`WITHHELD`].
pub fn redact_entries(entries: Vec<AuditEntry>, have: Access) -> Vec<AuditEntry> {
    entries
        .into_iter()
        .map(|mut e| {
            if !have.allows(entity_sensitivity(&e.entity)) {
                e.key = key_hash(&e.key);
                e.before = e.before.map(|_| WITHHELD.to_string());
                e.after = e.after.map(|_| WITHHELD.to_string());
            }
            e
        })
        .collect()
}

/// A break in the audit log as messages show it: never the key of a restricted record.
pub fn redact_broken(mut b: Broken) -> Broken {
    if entity_sensitivity(&b.entity) == Sensitivity::Restricted {
        b.key = key_hash(&b.key);
        // A difference's reason may quote the row: keep only what precedes the quotation.
        if let Some(cut) = b.reason.find(": it is ") {
            b.reason.truncate(cut);
            b.reason
                .push_str(" (the values are withheld: restricted personal data)");
        }
    }
    b
}

/// The reason for a refused field of a restricted table, without the value.
pub fn withheld_reason(column: &str, expected: &str) -> String {
    format!("{column} is not a valid {expected} (the value is withheld: restricted personal data)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered() {
        assert!(Access::Restricted.allows(Sensitivity::Restricted));
        assert!(Access::Restricted.allows(Sensitivity::Partner));
        assert!(!Access::Operational.allows(Sensitivity::Restricted));
        assert!(Access::Operational.allows(Sensitivity::Partner));
        assert!(!Access::Public.allows(Sensitivity::Partner));
        assert!(Access::Public.allows(Sensitivity::Public));
    }

    #[test]
    fn redaction_keeps_the_action_and_hides_the_rest() {
        let e = AuditEntry::next(
            (0, crate::audit::GENESIS),
            "t",
            "victims",
            "C1|Jane Doe",
            None,
            Some("{\"person_name\":\"Jane Doe\",\"contact\":\"+1 555\"}".into()),
        );
        let pub_ = redact_entries(vec![e.clone()], Access::Public);
        let text = serde_json::to_string(&pub_).unwrap();
        assert!(!text.contains("Jane") && !text.contains("+1 555"), "{text}");
        assert_eq!(pub_[0].before, None);
        assert_eq!(pub_[0].after.as_deref(), Some(WITHHELD));
        assert_eq!(pub_[0].hash, e.hash);
        assert_eq!(pub_[0].key, key_hash("C1|Jane Doe"));
        let full = redact_entries(vec![e.clone()], Access::Restricted);
        assert_eq!(full[0], e);
        assert_eq!(entity_sensitivity("hazard_area"), Sensitivity::Partner);
        assert_eq!(entity_sensitivity("states"), Sensitivity::Public);
    }
}
