//! A State's standing under the Convention on a given date, derived from its treaty events.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::entry::{GLOBAL_ENTRY_INTO_FORCE, OPENED_FOR_SIGNATURE, entry_into_force};
use crate::withdrawal::{ArmedConflict, WithdrawalRuling, withdrawal};
use crate::{Basis, Instrument, TreatyError};

/// The events that make up a State's relation to the Convention.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TreatyEvents {
    /// When it signed (Art. 15), if it did.
    pub signed: Option<NaiveDate>,
    /// When it deposited its instrument of consent, if it did.
    pub deposited: Option<NaiveDate>,
    /// What kind of instrument it deposited.
    pub instrument: Option<Instrument>,
    /// For a successor State, the date of succession from which it is bound.
    pub succession_date: Option<NaiveDate>,
    /// When the depositary received its instrument of withdrawal, if any (Art. 20(2)).
    pub withdrawal_deposited: Option<NaiveDate>,
    /// Armed conflicts in which it is or was engaged (they can delay a withdrawal, Art. 20(3)).
    pub armed_conflicts: Vec<ArmedConflict>,
}

/// A State's standing on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Neither signed nor deposited an instrument by that date.
    NotSignatory,
    /// Signed, no instrument deposited yet.
    Signatory,
    /// Instrument deposited; the Convention has not yet entered into force for it.
    PendingEntryIntoForce,
    /// Bound by the Convention.
    Party,
    /// Withdrawal deposited and not yet effective (still bound).
    WithdrawalPending,
    /// Withdrawal has taken effect.
    Withdrawn,
}

impl Status {
    /// The kebab-case name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotSignatory => "not-signatory",
            Status::Signatory => "signatory",
            Status::PendingEntryIntoForce => "pending-entry-into-force",
            Status::Party => "party",
            Status::WithdrawalPending => "withdrawal-pending",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Whether the State is bound by the Convention's obligations in this status.
    pub fn is_bound(self) -> bool {
        matches!(self, Status::Party | Status::WithdrawalPending)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A State's status on a date, with when it is (or was) bound and any withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRuling {
    /// The standing on the date asked about.
    pub status: Status,
    /// When the Convention entered (or enters) into force for the State, even if after the date
    /// asked about; `None` if no instrument has been deposited.
    pub entry_into_force: Option<NaiveDate>,
    /// The withdrawal, if one was deposited on or before the date asked about.
    pub withdrawal: Option<WithdrawalRuling>,
    /// The articles the answer rests on.
    pub basis: Vec<Basis>,
}

/// The last day the Convention was open for signature: the day before its entry into force (Art. 15).
fn last_signature_day() -> NaiveDate {
    GLOBAL_ENTRY_INTO_FORCE
        .pred_opt()
        .unwrap_or(GLOBAL_ENTRY_INTO_FORCE)
}

fn check(events: &TreatyEvents) -> Result<(), TreatyError> {
    let invalid = |reason: String| Err(TreatyError::InvalidEvents { reason });
    if let Some(signed) = events.signed
        && (signed < OPENED_FOR_SIGNATURE || signed > last_signature_day())
    {
        return invalid(format!(
            "signed {signed} is outside the signature period: the Convention was open for \
             signature from 3 December 1997 until its entry into force on 1 March 1999 (Art. 15)"
        ));
    }
    match (events.deposited, events.instrument) {
        (Some(_), None) => return invalid("deposited is given without instrument".into()),
        (None, Some(i)) => return invalid(format!("instrument {i} is given without deposited")),
        _ => {}
    }
    if events.deposited.is_none() && events.succession_date.is_some() {
        return invalid("succession_date is given without a deposited notification".into());
    }
    if let (Some(signed), Some(dep)) = (events.signed, events.deposited)
        && signed > dep
    {
        return invalid(format!(
            "signed {signed} is after deposited {dep}; a State signs before it ratifies"
        ));
    }
    if events.withdrawal_deposited.is_some() && events.deposited.is_none() {
        return invalid("withdrawal_deposited is given but no instrument was deposited".into());
    }
    Ok(())
}

/// A State's status on `as_of`, computed from its events.
///
/// Only events on or before `as_of` count, so the world can be asked how it stood on any day
/// (3 December 1997, say). One exception: a notification of succession binds retroactively from
/// the date of succession, so a successor State (South Sudan) is a Party from that date even on
/// days before it notified the depositary. `entry_into_force` is reported whenever an instrument has been
/// deposited by `as_of`, even if it lies after `as_of`.
pub fn status_as_of(events: &TreatyEvents, as_of: NaiveDate) -> Result<StatusRuling, TreatyError> {
    check(events)?;
    let mut basis = Vec::new();
    let signed = events.signed.filter(|&s| s <= as_of);
    // A notification of succession binds retroactively from the date of succession: from that
    // date on, the successor counts as bound even before it notified.
    let counts_from = match (events.instrument, events.succession_date, events.deposited) {
        (Some(Instrument::Succession), Some(succeeded), Some(dep)) => succeeded.min(dep),
        (_, _, dep) => dep.unwrap_or(NaiveDate::MAX),
    };
    let deposited = match (events.deposited, events.instrument) {
        (Some(dep), Some(instrument)) if counts_from <= as_of => Some((dep, instrument)),
        _ => None,
    };

    let Some((dep, instrument)) = deposited else {
        let status = if let Some(s) = signed {
            basis.push(Basis::new(
                "15",
                format!("signed on {s}; no instrument of consent deposited by {as_of}"),
            ));
            Status::Signatory
        } else {
            basis.push(Basis::new(
                "16",
                format!("neither signed nor deposited an instrument by {as_of}"),
            ));
            Status::NotSignatory
        };
        return Ok(StatusRuling {
            status,
            entry_into_force: None,
            withdrawal: None,
            basis,
        });
    };

    let (eif, eif_basis) = entry_into_force(dep, instrument, events.succession_date)?;
    basis.push(Basis::new(
        "16",
        format!("instrument of {instrument} deposited on {dep}"),
    ));
    if dep > as_of {
        basis.push(Basis::new(
            "17",
            format!(
                "the notification of succession deposited on {dep} binds the State retroactively \
                 from the date of succession, so it counts as bound on {as_of}"
            ),
        ));
    }
    basis.extend(eif_basis);
    if as_of < eif {
        basis.push(Basis::new(
            "17",
            format!(
                "on {as_of} the Convention has not yet entered into force for the State ({eif})"
            ),
        ));
        return Ok(StatusRuling {
            status: Status::PendingEntryIntoForce,
            entry_into_force: Some(eif),
            withdrawal: None,
            basis,
        });
    }

    let Some(wd) = events.withdrawal_deposited.filter(|&w| w <= as_of) else {
        basis.push(Basis::new(
            "1",
            format!("a State Party since {eif}: bound by every obligation of the Convention"),
        ));
        return Ok(StatusRuling {
            status: Status::Party,
            entry_into_force: Some(eif),
            withdrawal: None,
            basis,
        });
    };
    if wd < eif {
        return Err(TreatyError::InvalidEvents {
            reason: format!(
                "withdrawal_deposited {wd} is before the Convention entered into force for the \
                 State ({eif}); only a State Party can withdraw (Art. 20(2))"
            ),
        });
    }
    let ruling = withdrawal(wd, &events.armed_conflicts)?;
    let status = match ruling.effective {
        Some(effective) if effective <= as_of => {
            basis.push(Basis::new(
                "20(3)",
                format!("withdrawal effective on {effective}: no longer bound"),
            ));
            Status::Withdrawn
        }
        Some(effective) => {
            basis.push(Basis::new(
                "20(3)",
                format!(
                    "withdrawal deposited on {wd} takes effect on {effective}; until then the State \
                     remains bound"
                ),
            ));
            Status::WithdrawalPending
        }
        None => {
            basis.push(Basis::new(
                "20(3)",
                ruling
                    .pending_reason
                    .clone()
                    .unwrap_or_else(|| "withdrawal pending".into()),
            ));
            Status::WithdrawalPending
        }
    };
    Ok(StatusRuling {
        status,
        entry_into_force: Some(eif),
        withdrawal: Some(ruling),
        basis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn estonia() -> TreatyEvents {
        TreatyEvents {
            deposited: Some(d("2004-05-12")),
            instrument: Some(Instrument::Accession),
            withdrawal_deposited: Some(d("2025-06-27")),
            ..TreatyEvents::default()
        }
    }

    #[test]
    fn through_a_life() {
        let e = TreatyEvents {
            signed: Some(d("1997-12-04")),
            deposited: Some(d("2025-03-12")),
            instrument: Some(Instrument::Ratification),
            ..TreatyEvents::default()
        };
        assert_eq!(
            status_as_of(&e, d("1997-12-03")).unwrap().status,
            Status::NotSignatory
        );
        assert_eq!(
            status_as_of(&e, d("1997-12-04")).unwrap().status,
            Status::Signatory
        );
        let pending = status_as_of(&e, d("2025-05-01")).unwrap();
        assert_eq!(pending.status, Status::PendingEntryIntoForce);
        assert_eq!(pending.entry_into_force, Some(d("2025-09-01")));
        assert_eq!(
            status_as_of(&e, d("2025-09-01")).unwrap().status,
            Status::Party
        );
    }

    #[test]
    fn withdrawal_pending_then_withdrawn() {
        let e = estonia();
        assert_eq!(
            status_as_of(&e, d("2025-06-26")).unwrap().status,
            Status::Party
        );
        let p = status_as_of(&e, d("2025-06-27")).unwrap();
        assert_eq!(p.status, Status::WithdrawalPending);
        assert!(p.status.is_bound());
        assert_eq!(p.withdrawal.unwrap().effective, Some(d("2025-12-27")));
        let w = status_as_of(&e, d("2025-12-27")).unwrap();
        assert_eq!(w.status, Status::Withdrawn);
        assert!(!w.status.is_bound());
    }

    #[test]
    fn withdrawal_during_conflict_stays_pending() {
        let mut e = estonia();
        e.armed_conflicts.push(ArmedConflict {
            began: d("2025-01-01"),
            ended: None,
        });
        let r = status_as_of(&e, d("2030-01-01")).unwrap();
        assert_eq!(r.status, Status::WithdrawalPending);
        assert!(r.basis.iter().any(|b| b.reason.contains("not ended")));
    }

    #[test]
    fn successor_is_bound_from_the_succession_date() {
        let e = TreatyEvents {
            deposited: Some(d("2011-11-11")),
            instrument: Some(Instrument::Succession),
            succession_date: Some(d("2011-07-09")),
            ..TreatyEvents::default()
        };
        assert_eq!(
            status_as_of(&e, d("2011-07-08")).unwrap().status,
            Status::NotSignatory
        );
        let r = status_as_of(&e, d("2011-08-01")).unwrap();
        assert_eq!(r.status, Status::Party);
        assert!(r.basis.iter().any(|b| b.reason.contains("retroactively")));
    }

    #[test]
    fn never_joined() {
        let r = status_as_of(&TreatyEvents::default(), d("2020-01-01")).unwrap();
        assert_eq!(r.status, Status::NotSignatory);
        assert_eq!(r.entry_into_force, None);
    }

    #[test]
    fn status_serialises_kebab_case() {
        assert_eq!(
            serde_json::to_string(&Status::PendingEntryIntoForce).unwrap(),
            "\"pending-entry-into-force\""
        );
        for s in [
            Status::NotSignatory,
            Status::Signatory,
            Status::PendingEntryIntoForce,
            Status::Party,
            Status::WithdrawalPending,
            Status::Withdrawn,
        ] {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
    }

    #[test]
    fn contradictions_are_refused() {
        let bad = [
            TreatyEvents {
                signed: Some(d("1999-03-01")),
                ..TreatyEvents::default()
            },
            TreatyEvents {
                deposited: Some(d("2000-01-01")),
                ..TreatyEvents::default()
            },
            TreatyEvents {
                instrument: Some(Instrument::Accession),
                ..TreatyEvents::default()
            },
            TreatyEvents {
                signed: Some(d("1998-05-01")),
                deposited: Some(d("1998-04-01")),
                instrument: Some(Instrument::Ratification),
                ..TreatyEvents::default()
            },
            TreatyEvents {
                withdrawal_deposited: Some(d("2000-01-01")),
                ..TreatyEvents::default()
            },
            TreatyEvents {
                deposited: Some(d("2000-01-01")),
                instrument: Some(Instrument::Accession),
                withdrawal_deposited: Some(d("2000-02-01")),
                ..TreatyEvents::default()
            },
        ];
        for e in bad {
            let err = status_as_of(&e, d("2030-01-01")).unwrap_err();
            assert!(
                matches!(err, TreatyError::InvalidEvents { .. }),
                "{e:?}: {err}"
            );
        }
    }
}
