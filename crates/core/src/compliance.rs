//! Which treaty obligations a State has met, as of a date.
//!
//! The treaty engine (crate `demine-treaty`) computes the dates (entry into force, deadlines) and
//! the articles they rest on; the registry holds the evidence (reports received, stockpile
//! destruction declared, clearance completed). This module only compares the two, so it stays pure
//! and testable without either.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::records::{StockpileRecord, TransparencyReport, TreatyEvent};

/// An article and why it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Basis {
    pub article: String,
    pub reason: String,
}

impl Basis {
    pub fn new(article: impl Into<String>, reason: impl Into<String>) -> Self {
        Basis {
            article: article.into(),
            reason: reason.into(),
        }
    }
}

/// Where an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplianceStatus {
    /// Done, on or before the date asked about (the registry holds the evidence).
    Met,
    /// Not done yet, and the deadline has not passed.
    Pending,
    /// Not done (no evidence in the registry) and the deadline has passed.
    Overdue,
    /// The State does not owe it on that date (not bound, or withdrawn).
    NotApplicable,
}

/// One obligation and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Obligation {
    /// A stable identifier: `stockpile-destruction`, `mined-area-clearance`,
    /// `initial-transparency-report`, `annual-transparency-report`.
    pub obligation: String,
    pub status: ComplianceStatus,
    pub deadline: Option<NaiveDate>,
    /// When the evidence says it was met.
    pub met_on: Option<NaiveDate>,
    pub basis: Vec<Basis>,
}

/// The dates the treaty engine computed for a State that is (or will be) bound.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatyDates {
    pub entry_into_force: NaiveDate,
    pub stockpile_destruction_deadline: NaiveDate,
    /// The clearance deadline as moved by extensions granted by the date asked about.
    pub clearance_deadline: NaiveDate,
    pub initial_report_due: NaiveDate,
    /// Basis for each of the above, as the engine gave it.
    pub basis: Vec<Basis>,
    pub clearance_basis: Vec<Basis>,
    /// When a withdrawal took effect, if it has by the date asked about.
    pub withdrawn_on: Option<NaiveDate>,
    /// The annual update for the year of the date asked about: (year, due date, basis).
    pub annual_report: Option<(i32, NaiveDate, Vec<Basis>)>,
}

/// What the registry holds that can show an obligation met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub stockpile_destroyed: Option<NaiveDate>,
    pub clearance_completed: Option<NaiveDate>,
    pub initial_report: Option<NaiveDate>,
    /// (reporting year, date received) of annual updates.
    pub annual_reports: Vec<(i32, NaiveDate)>,
}

impl Evidence {
    /// Gathers the evidence from a State's records (all of them: dates are compared later).
    pub fn from_records(
        events: &[TreatyEvent],
        reports: &[TransparencyReport],
        stockpiles: &[StockpileRecord],
    ) -> Evidence {
        let earliest = |it: &mut dyn Iterator<Item = NaiveDate>| it.min();
        Evidence {
            stockpile_destroyed: earliest(
                &mut stockpiles
                    .iter()
                    .filter(|s| s.record == "destruction-completed" || s.record == "no-stockpile")
                    .map(|s| s.date),
            ),
            clearance_completed: earliest(
                &mut events
                    .iter()
                    .filter(|e| e.event == "clearance-completed")
                    .map(|e| e.date),
            ),
            initial_report: earliest(
                &mut reports
                    .iter()
                    .filter(|r| r.kind == "initial")
                    .map(|r| r.received),
            ),
            annual_reports: reports
                .iter()
                .filter(|r| r.kind == "annual")
                .map(|r| (r.year, r.received))
                .collect(),
        }
    }
}

fn judge(
    obligation: &str,
    as_of: NaiveDate,
    deadline: NaiveDate,
    done: Option<NaiveDate>,
    mut basis: Vec<Basis>,
    what: &str,
) -> Obligation {
    let done = done.filter(|d| *d <= as_of);
    let status = match done {
        Some(_) => ComplianceStatus::Met,
        None if as_of <= deadline => ComplianceStatus::Pending,
        None => ComplianceStatus::Overdue,
    };
    match (status, done) {
        (ComplianceStatus::Met, Some(d)) => {
            basis.push(Basis::new("7", format!("{what} recorded on {d}")))
        }
        (ComplianceStatus::Overdue, _) => basis.push(Basis::new(
            "7",
            format!("deadline {deadline} has passed and the registry holds no record of {what}"),
        )),
        _ => basis.push(Basis::new(
            "7",
            format!("{what} not recorded yet; due by {deadline}"),
        )),
    }
    Obligation {
        obligation: obligation.to_string(),
        status,
        deadline: Some(deadline),
        met_on: done,
        basis,
    }
}

fn not_applicable(obligation: &str, deadline: Option<NaiveDate>, reason: Basis) -> Obligation {
    Obligation {
        obligation: obligation.to_string(),
        status: ComplianceStatus::NotApplicable,
        deadline,
        met_on: None,
        basis: vec![reason],
    }
}

const OBLIGATIONS: [&str; 4] = [
    "stockpile-destruction",
    "mined-area-clearance",
    "initial-transparency-report",
    "annual-transparency-report",
];

/// The State's obligations as of `as_of`. `dates` is `None` when the State has not deposited an
/// instrument (or is otherwise never bound): every obligation is then not applicable.
pub fn assess(
    as_of: NaiveDate,
    dates: Option<&TreatyDates>,
    evidence: &Evidence,
) -> Vec<Obligation> {
    let Some(d) = dates else {
        let why = Basis::new("17", format!("not bound by the Convention as of {as_of}"));
        return OBLIGATIONS
            .iter()
            .map(|o| not_applicable(o, None, why.clone()))
            .collect();
    };
    if let Some(w) = d.withdrawn_on.filter(|w| *w <= as_of) {
        let why = Basis::new(
            "20(3)",
            format!("withdrawal took effect on {w}; no longer bound"),
        );
        return OBLIGATIONS
            .iter()
            .map(|o| not_applicable(o, None, why.clone()))
            .collect();
    }
    let eif_basis = |article: &str| -> Vec<Basis> {
        d.basis
            .iter()
            .filter(|b| b.article.starts_with(article))
            .cloned()
            .collect()
    };
    let mut out = vec![
        judge(
            OBLIGATIONS[0],
            as_of,
            d.stockpile_destruction_deadline,
            evidence.stockpile_destroyed,
            with_default(
                eif_basis("4"),
                "4",
                "destroy all stockpiled anti-personnel mines within four years of entry into force",
            ),
            "completed stockpile destruction (or a declaration of no stockpile)",
        ),
        judge(
            OBLIGATIONS[1],
            as_of,
            d.clearance_deadline,
            evidence.clearance_completed,
            with_default(
                d.clearance_basis.clone(),
                "5(1)",
                "destroy all anti-personnel mines in mined areas within ten years of entry into force",
            ),
            "a declaration of completed clearance",
        ),
        judge(
            OBLIGATIONS[2],
            as_of,
            d.initial_report_due,
            evidence.initial_report,
            with_default(
                eif_basis("7"),
                "7(1)",
                "initial transparency report within 180 days of entry into force",
            ),
            "an initial transparency report",
        ),
    ];
    match &d.annual_report {
        Some((year, due, basis)) if d.entry_into_force.year() < *year => {
            let done = evidence.annual_reports.iter().filter(|(y, _)| y == year).map(|(_, r)| *r).min();
            out.push(judge(
                OBLIGATIONS[3],
                as_of,
                *due,
                done,
                with_default(basis.clone(), "7(2)", "annual update by 30 April covering the previous calendar year"),
                &format!("the annual update for {year}"),
            ));
        }
        _ => out.push(not_applicable(
            OBLIGATIONS[3],
            None,
            Basis::new(
                "7(2)",
                format!("no annual update is due in {}: the Convention was not yet in force for the State during the previous calendar year", as_of.year()),
            ),
        )),
    }
    out
}

fn with_default(mut basis: Vec<Basis>, article: &str, reason: &str) -> Vec<Basis> {
    if basis.is_empty() {
        basis.push(Basis::new(article, reason));
    }
    basis
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates() -> TreatyDates {
        TreatyDates {
            entry_into_force: d(1999, 3, 1),
            stockpile_destruction_deadline: d(2003, 3, 1),
            clearance_deadline: d(2009, 3, 1),
            initial_report_due: d(1999, 8, 28),
            basis: vec![],
            clearance_basis: vec![],
            withdrawn_on: None,
            annual_report: Some((2005, d(2005, 4, 30), vec![])),
        }
    }

    fn status(obs: &[Obligation], name: &str) -> ComplianceStatus {
        obs.iter().find(|o| o.obligation == name).unwrap().status
    }

    #[test]
    fn not_bound_means_not_applicable() {
        let obs = assess(d(1997, 12, 3), None, &Evidence::default());
        assert_eq!(obs.len(), 4);
        assert!(
            obs.iter()
                .all(|o| o.status == ComplianceStatus::NotApplicable)
        );
    }

    #[test]
    fn pending_then_overdue_then_met() {
        let ev = Evidence {
            stockpile_destroyed: Some(d(2002, 6, 1)),
            ..Evidence::default()
        };
        let before = assess(d(2002, 1, 1), Some(&dates()), &ev);
        assert_eq!(
            status(&before, "stockpile-destruction"),
            ComplianceStatus::Pending
        );
        let after = assess(d(2005, 1, 1), Some(&dates()), &ev);
        assert_eq!(
            status(&after, "stockpile-destruction"),
            ComplianceStatus::Met
        );
        assert_eq!(
            status(&after, "initial-transparency-report"),
            ComplianceStatus::Overdue
        );
        assert_eq!(
            status(&after, "mined-area-clearance"),
            ComplianceStatus::Pending
        );
        assert_eq!(
            status(&after, "annual-transparency-report"),
            ComplianceStatus::Pending
        );
        let late = assess(d(2005, 5, 1), Some(&dates()), &ev);
        assert_eq!(
            status(&late, "annual-transparency-report"),
            ComplianceStatus::Overdue
        );
        let ev2 = Evidence {
            annual_reports: vec![(2005, d(2005, 4, 2))],
            ..ev
        };
        let met = assess(d(2005, 5, 1), Some(&dates()), &ev2);
        assert_eq!(
            status(&met, "annual-transparency-report"),
            ComplianceStatus::Met
        );
    }

    #[test]
    fn withdrawal_ends_obligations() {
        let mut dt = dates();
        dt.withdrawn_on = Some(d(2026, 1, 1));
        let obs = assess(d(2026, 2, 1), Some(&dt), &Evidence::default());
        assert!(
            obs.iter()
                .all(|o| o.status == ComplianceStatus::NotApplicable)
        );
        let obs = assess(d(2025, 12, 1), Some(&dt), &Evidence::default());
        assert_eq!(
            status(&obs, "stockpile-destruction"),
            ComplianceStatus::Overdue
        );
    }
}
