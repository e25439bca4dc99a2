//! Compliance on a date: each obligation met, pending, overdue or unknown, days to the deadline
//! or days late, with its basis; and the world view of who is late, on what, since when.
//!
//! The statuses come from `demine_core::compliance::assess` (overdue only on a record that says
//! so; unknown when the deadline passed and no record decides); this module adds the counting of
//! days and the world list.

use chrono::NaiveDate;
use demine_core::PartialDate;
use demine_core::compliance::{Basis, ComplianceStatus, Obligation};
use serde::Serialize;

/// One obligation on the date asked about, with the days counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceLine {
    pub obligation: String,
    pub status: ComplianceStatus,
    pub deadline: Option<NaiveDate>,
    /// Days from the date asked about to the deadline, while it is ahead and the obligation open.
    pub days_to_deadline: Option<i64>,
    /// Days past the deadline: overdue or unknown obligations (to the date asked about), or met
    /// late (to the day it was met).
    pub days_late: Option<i64>,
    pub met_on: Option<PartialDate>,
    pub source: Option<String>,
    pub basis: Vec<Basis>,
    pub flags: Vec<Basis>,
}

/// The lines of a State's obligations on `as_of`.
pub fn lines(obligations: &[Obligation], as_of: NaiveDate) -> Vec<ComplianceLine> {
    obligations.iter().map(|o| line(o, as_of)).collect()
}

fn line(o: &Obligation, as_of: NaiveDate) -> ComplianceLine {
    let (to, late) = match (o.status, o.deadline) {
        (ComplianceStatus::Pending, Some(d)) if d >= as_of => (Some((d - as_of).num_days()), None),
        (ComplianceStatus::Overdue | ComplianceStatus::Unknown, Some(d)) if d < as_of => {
            (None, Some((as_of - d).num_days()))
        }
        (ComplianceStatus::MetLate, Some(d)) => (
            None,
            o.met_on
                .map(|m| (m.start() - d).num_days())
                .filter(|n| *n > 0),
        ),
        _ => (None, None),
    };
    ComplianceLine {
        obligation: o.obligation.clone(),
        status: o.status,
        deadline: o.deadline,
        days_to_deadline: to,
        days_late: late,
        met_on: o.met_on,
        source: o.source.clone(),
        basis: o.basis.clone(),
        flags: o.flags.clone(),
    }
}

/// A State's obligations as the world view takes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateCompliance {
    pub iso3: String,
    pub name: String,
    /// Its treaty status on the date (`party`, `signatory`, ...).
    pub status: String,
    pub obligations: Vec<Obligation>,
}

/// One State late on one obligation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateEntry {
    pub iso3: String,
    pub name: String,
    pub obligation: String,
    /// `overdue` (a record says the deadline was missed) or `unknown` (the deadline passed and
    /// no record decides: listed apart, never counted as overdue).
    pub status: ComplianceStatus,
    pub deadline: NaiveDate,
    /// The first day late.
    pub since: NaiveDate,
    pub days_late: i64,
    pub source: Option<String>,
}

/// The world view: who is late (overdue on a record, or past a deadline with no record either
/// way), on what, since when; sorted by deadline, then State, then obligation.
pub fn world_late(states: &[StateCompliance], as_of: NaiveDate) -> Vec<LateEntry> {
    let mut out = Vec::new();
    for s in states {
        for l in lines(&s.obligations, as_of) {
            let Some(days) = l.days_late else { continue };
            let Some(deadline) = l.deadline else { continue };
            if !matches!(
                l.status,
                ComplianceStatus::Overdue | ComplianceStatus::Unknown
            ) {
                continue;
            }
            out.push(LateEntry {
                iso3: s.iso3.clone(),
                name: s.name.clone(),
                obligation: l.obligation,
                status: l.status,
                deadline,
                since: deadline.succ_opt().unwrap_or(deadline),
                days_late: days,
                source: l.source,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.deadline, &a.iso3, &a.obligation).cmp(&(b.deadline, &b.iso3, &b.obligation))
    });
    out
}

/// How many States are in each status, per obligation.
pub fn counts(
    states: &[StateCompliance],
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>> {
    let mut m: std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>> =
        Default::default();
    for s in states {
        for o in &s.obligations {
            *m.entry(o.obligation.clone())
                .or_default()
                .entry(o.status.as_str().to_string())
                .or_insert(0) += 1;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ob(status: ComplianceStatus, deadline: &str) -> Obligation {
        Obligation {
            obligation: "mined-area-clearance".into(),
            status,
            deadline: Some(d(deadline)),
            met_on: None,
            source: Some("src".into()),
            basis: vec![Basis::new("5(1)", "ten years")],
            flags: vec![],
        }
    }

    #[test]
    fn pending_counts_days_to_deadline() {
        let l = lines(
            &[ob(ComplianceStatus::Pending, "2026-03-01")],
            d("2026-01-01"),
        );
        assert_eq!(l[0].days_to_deadline, Some(59));
        assert_eq!(l[0].days_late, None);
    }

    #[test]
    fn overdue_and_unknown_count_days_late_and_are_listed_apart() {
        let s = StateCompliance {
            iso3: "AAA".into(),
            name: "A".into(),
            status: "party".into(),
            obligations: vec![
                ob(ComplianceStatus::Overdue, "2025-12-31"),
                ob(ComplianceStatus::Unknown, "2025-06-30"),
                ob(ComplianceStatus::Pending, "2027-01-01"),
            ],
        };
        let late = world_late(&[s], d("2026-01-10"));
        assert_eq!(late.len(), 2);
        assert_eq!(late[0].status, ComplianceStatus::Unknown);
        assert_eq!(late[0].since, d("2025-07-01"));
        assert_eq!(late[1].days_late, 10);
    }

    #[test]
    fn met_late_counts_days_to_the_day_met() {
        let mut o = ob(ComplianceStatus::MetLate, "2020-01-01");
        o.met_on = "2020-01-11".parse().ok();
        let l = lines(&[o], d("2026-01-01"));
        assert_eq!(l[0].days_late, Some(10));
    }
}
