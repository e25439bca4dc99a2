//! Which treaty obligations a State has met, as of a date.
//!
//! The treaty engine (crate `demine-treaty`) computes the dates (entry into force, deadlines) and
//! the articles they rest on; the registry holds the evidence (reports received, stockpile
//! destruction declared, clearance completed, a deadline recorded as missed). This module only
//! compares the two, so it stays pure and testable without either.
//!
//! **No record is not a fact.** Once a deadline has passed, an obligation is `met` (or
//! `met-late`) only on a record that says so, `overdue` only on a record that says it was not met,
//! and `unknown` when the registry holds neither.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::PartialDate;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplianceStatus {
    /// Done on or before the deadline (a record says so).
    Met,
    /// Done, but after the deadline (a record says when).
    MetLate,
    /// Not recorded as done yet, and the deadline has not passed.
    Pending,
    /// A record (a source, a report) says the obligation was not met by its deadline.
    Overdue,
    /// The deadline has passed and the registry holds no record either way.
    Unknown,
    /// The State does not owe it on that date (not bound, or withdrawn).
    NotApplicable,
}

impl ComplianceStatus {
    /// Every status, in the order reports list them.
    pub const ALL: [ComplianceStatus; 6] = [
        ComplianceStatus::Met,
        ComplianceStatus::MetLate,
        ComplianceStatus::Pending,
        ComplianceStatus::Overdue,
        ComplianceStatus::Unknown,
        ComplianceStatus::NotApplicable,
    ];

    /// The word used in text and JSON (`met-late`, `not-applicable`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Met => "met",
            ComplianceStatus::MetLate => "met-late",
            ComplianceStatus::Pending => "pending",
            ComplianceStatus::Overdue => "overdue",
            ComplianceStatus::Unknown => "unknown",
            ComplianceStatus::NotApplicable => "not-applicable",
        }
    }
}

/// One obligation and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Obligation {
    /// A stable identifier: `stockpile-destruction`, `mined-area-clearance`,
    /// `initial-transparency-report`, `annual-transparency-report`.
    pub obligation: String,
    pub status: ComplianceStatus,
    pub deadline: Option<NaiveDate>,
    /// When the record says it was met, as precisely as the record gives it.
    pub met_on: Option<PartialDate>,
    /// The source id(s) of the record that decided the status, if a record did.
    pub source: Option<String>,
    pub basis: Vec<Basis>,
    /// Where the record departs from the Convention's letter (an extension beyond ten years, a
    /// decision after the deadline had passed), each citing the decision it rests on.
    pub flags: Vec<Basis>,
}

/// The dates the treaty engine computed for a State that is (or will be) bound.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatyDates {
    pub entry_into_force: NaiveDate,
    pub stockpile_destruction_deadline: NaiveDate,
    /// The clearance deadline as moved by extensions granted by the date asked about; `None`
    /// when an extension was granted whose new deadline the registry does not hold.
    pub clearance_deadline: Option<NaiveDate>,
    pub initial_report_due: NaiveDate,
    /// Basis for each of the above, as the engine gave it.
    pub basis: Vec<Basis>,
    pub clearance_basis: Vec<Basis>,
    /// Departures from the letter the engine accepted on the record, with the decision cited.
    pub clearance_flags: Vec<Basis>,
    /// When a withdrawal took effect, if it has by the date asked about.
    pub withdrawn_on: Option<NaiveDate>,
    /// The annual update for the year of the date asked about: (year, due date, basis).
    pub annual_report: Option<(i32, NaiveDate, Vec<Basis>)>,
}

/// A dated record and its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Dated {
    pub date: PartialDate,
    pub source: String,
}

/// What the registry holds that can show an obligation met, or not met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Art. 4: `destruction-completed` and `no-stockpile` records.
    pub stockpile_completed: Vec<Dated>,
    /// Art. 4: `deadline-missed` records (date: the deadline missed).
    pub stockpile_missed: Vec<Dated>,
    /// Art. 4: `declared` holdings above zero (a stockpile still held on that date).
    pub stockpile_declared: Vec<Dated>,
    /// Art. 4: stockpiles `discovered` (after a completion).
    pub stockpile_discovered: Vec<Dated>,
    /// Art. 5: `clearance-completed` declarations.
    pub clearance_completed: Vec<Dated>,
    /// Art. 5: `contamination-found` after completion (reopens the obligation).
    pub contamination_found: Vec<Dated>,
    /// Art. 7(1).
    pub initial_report: Vec<Dated>,
    /// Art. 7(2): (reporting year, when received).
    pub annual_reports: Vec<(i32, Dated)>,
}

impl Evidence {
    /// Gathers the evidence from a State's records (all of them: dates are compared later).
    pub fn from_records(
        events: &[TreatyEvent],
        reports: &[TransparencyReport],
        stockpiles: &[StockpileRecord],
    ) -> Evidence {
        let stock = |record: &[&str]| -> Vec<Dated> {
            stockpiles
                .iter()
                .filter(|s| record.contains(&s.record.as_str()))
                .map(|s| Dated {
                    date: s.date,
                    source: s.source.clone(),
                })
                .collect()
        };
        let event = |kind: &str| -> Vec<Dated> {
            events
                .iter()
                .filter(|e| e.event == kind)
                .map(|e| Dated {
                    date: e.date,
                    source: e.source.clone(),
                })
                .collect()
        };
        Evidence {
            stockpile_completed: stock(&["destruction-completed", "no-stockpile"]),
            stockpile_missed: stock(&["deadline-missed"]),
            stockpile_declared: stockpiles
                .iter()
                .filter(|s| s.record == "declared" && s.quantity.is_some_and(|q| q > 0))
                .map(|s| Dated {
                    date: s.date,
                    source: s.source.clone(),
                })
                .collect(),
            stockpile_discovered: stock(&["discovered"]),
            clearance_completed: event("clearance-completed"),
            contamination_found: event("contamination-found"),
            initial_report: reports
                .iter()
                .filter(|r| r.kind == "initial")
                .map(|r| Dated {
                    date: r.received,
                    source: r.source.clone(),
                })
                .collect(),
            annual_reports: reports
                .iter()
                .filter(|r| r.kind == "annual")
                .map(|r| {
                    (
                        r.year,
                        Dated {
                            date: r.received,
                            source: r.source.clone(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// Records certainly dated on or before `as_of` (a month or year counts once it has ended).
fn known(list: &[Dated], as_of: NaiveDate) -> impl Iterator<Item = &Dated> {
    list.iter().filter(move |d| d.date.end() <= as_of)
}

fn earliest(list: &[Dated], as_of: NaiveDate) -> Option<&Dated> {
    known(list, as_of).min_by_key(|d| d.date.start())
}

fn latest(list: &[Dated], as_of: NaiveDate) -> Option<&Dated> {
    known(list, as_of).max_by_key(|d| d.date.end())
}

/// What a judge needs about one obligation.
struct Case<'a> {
    obligation: &'a str,
    article: &'a str,
    as_of: NaiveDate,
    deadline: NaiveDate,
    /// The record that shows it done, if any.
    done: Option<&'a Dated>,
    /// A record that says it was not done by the deadline, if any (with why).
    missed: Option<(&'a Dated, String)>,
    basis: Vec<Basis>,
    /// What the record would be, in words.
    what: &'a str,
}

fn judge(c: Case<'_>) -> Obligation {
    let mut basis = c.basis;
    let (status, met_on, source) = match (c.done, c.missed) {
        (Some(done), _) => {
            let late = done.date.start() > c.deadline;
            basis.push(Basis::new(
                c.article,
                if late {
                    format!(
                        "{} recorded on {}, after the deadline {}",
                        c.what, done.date, c.deadline
                    )
                } else if done.date.end() > c.deadline {
                    format!(
                        "{} recorded in {}, the period that holds the deadline {}: counted as met",
                        c.what, done.date, c.deadline
                    )
                } else {
                    format!("{} recorded on {}", c.what, done.date)
                },
            ));
            let status = if late {
                ComplianceStatus::MetLate
            } else {
                ComplianceStatus::Met
            };
            (status, Some(done.date), Some(done.source.clone()))
        }
        (None, _) if c.as_of <= c.deadline => {
            basis.push(Basis::new(
                c.article,
                format!("{} not recorded yet; due by {}", c.what, c.deadline),
            ));
            (ComplianceStatus::Pending, None, None)
        }
        (None, Some((rec, why))) => {
            basis.push(Basis::new(c.article, why));
            (ComplianceStatus::Overdue, None, Some(rec.source.clone()))
        }
        (None, None) => {
            basis.push(Basis::new(
                c.article,
                format!(
                    "the deadline {} has passed and the registry holds no record either way: \
                     neither {} nor a record that it was missed",
                    c.deadline, c.what
                ),
            ));
            (ComplianceStatus::Unknown, None, None)
        }
    };
    Obligation {
        obligation: c.obligation.to_string(),
        status,
        deadline: Some(c.deadline),
        met_on,
        source,
        basis,
        flags: Vec::new(),
    }
}

fn not_applicable(obligation: &str, deadline: Option<NaiveDate>, reason: Basis) -> Obligation {
    Obligation {
        obligation: obligation.to_string(),
        status: ComplianceStatus::NotApplicable,
        deadline,
        met_on: None,
        source: None,
        basis: vec![reason],
        flags: Vec::new(),
    }
}

/// The obligations [`assess`] reports, in order.
pub const OBLIGATIONS: [&str; 4] = [
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
    vec![
        stockpile(as_of, d, evidence, eif_basis("4")),
        clearance(as_of, d, evidence),
        judge(Case {
            obligation: OBLIGATIONS[2],
            article: "7(1)",
            as_of,
            deadline: d.initial_report_due,
            done: earliest(&evidence.initial_report, as_of),
            missed: None,
            basis: with_default(
                eif_basis("7"),
                "7(1)",
                "initial transparency report within 180 days of entry into force",
            ),
            what: "an initial transparency report",
        }),
        annual(as_of, d, evidence),
    ]
}

fn stockpile(
    as_of: NaiveDate,
    d: &TreatyDates,
    evidence: &Evidence,
    basis: Vec<Basis>,
) -> Obligation {
    let deadline = d.stockpile_destruction_deadline;
    let basis = with_default(
        basis,
        "4",
        "destroy all stockpiled anti-personnel mines within four years of entry into force",
    );
    let done = earliest(&evidence.stockpile_completed, as_of);
    let missed = earliest(&evidence.stockpile_missed, as_of)
        .map(|m| {
            (
                m,
                format!(
                    "a record dated {} says the Art. 4 deadline {deadline} was missed",
                    m.date
                ),
            )
        })
        .or_else(|| {
            known(&evidence.stockpile_declared, as_of)
                .filter(|x| x.date.start() > deadline)
                .min_by_key(|x| x.date.start())
                .map(|x| {
                    (
                        x,
                        format!(
                            "a stockpile was still declared on {}, after the Art. 4 deadline {deadline}",
                            x.date
                        ),
                    )
                })
        });
    let mut ob = judge(Case {
        obligation: OBLIGATIONS[0],
        article: "4",
        as_of,
        deadline,
        done,
        missed,
        basis,
        what: "completed stockpile destruction (or a declaration of no stockpile)",
    });
    // A stockpile discovered after the last completion reopens the obligation until a later
    // completion is recorded (Fourth Review Conference, 2019: destroy within six months).
    let last_done = latest(&evidence.stockpile_completed, as_of);
    if let Some(found) = latest(&evidence.stockpile_discovered, as_of)
        && last_done.is_none_or(|c| found.date.start() > c.date.end())
    {
        ob.status = ComplianceStatus::Unknown;
        ob.met_on = None;
        ob.source = Some(found.source.clone());
        ob.basis.push(Basis::new(
            "4",
            format!(
                "a stockpile was discovered on {} and the registry holds no later record of its \
                 destruction (the Fourth Review Conference asks for it within six months)",
                found.date
            ),
        ));
    }
    ob
}

fn clearance(as_of: NaiveDate, d: &TreatyDates, evidence: &Evidence) -> Obligation {
    let basis = with_default(
        d.clearance_basis.clone(),
        "5(1)",
        "destroy all anti-personnel mines in mined areas within ten years of entry into force",
    );
    let last_done = latest(&evidence.clearance_completed, as_of);
    let reopened = latest(&evidence.contamination_found, as_of)
        .filter(|f| last_done.is_some_and(|c| f.date.start() > c.date.end()));
    let done = match reopened {
        Some(_) => None,
        None => last_done,
    };
    let Some(deadline) = d.clearance_deadline else {
        // An extension was granted whose new deadline is not recorded: neither pending nor late
        // can be told; a declaration still shows it done.
        let mut basis = basis;
        let (status, met_on, source) = match done {
            Some(x) => {
                basis.push(Basis::new(
                    "5",
                    format!(
                        "a declaration of completed clearance recorded on {}; the deadline in force \
                         is not recorded, so whether it came in time cannot be told",
                        x.date
                    ),
                ));
                (ComplianceStatus::Met, Some(x.date), Some(x.source.clone()))
            }
            None => {
                basis.push(Basis::new(
                    "5",
                    "the deadline in force is not recorded (an extension was granted without its \
                     new deadline in the registry) and no declaration of completion is: unknown",
                ));
                (ComplianceStatus::Unknown, None, None)
            }
        };
        return Obligation {
            obligation: OBLIGATIONS[1].to_string(),
            status,
            deadline: None,
            met_on,
            source,
            basis,
            flags: d.clearance_flags.clone(),
        };
    };
    let mut ob = judge(Case {
        obligation: OBLIGATIONS[1],
        article: "5",
        as_of,
        deadline,
        done,
        missed: None,
        basis,
        what: "a declaration of completed clearance",
    });
    if let Some(f) = reopened {
        ob.basis.push(Basis::new(
            "5",
            format!(
                "mined areas were found on {} after the declaration of completion: the obligation \
                 applies again [source: {}]",
                f.date, f.source
            ),
        ));
        if ob.status == ComplianceStatus::Unknown {
            ob.source = Some(f.source.clone());
        }
    }
    ob.flags = d.clearance_flags.clone();
    ob
}

fn annual(as_of: NaiveDate, d: &TreatyDates, evidence: &Evidence) -> Obligation {
    match &d.annual_report {
        Some((year, due, basis)) if d.entry_into_force.year() < *year => {
            let mine: Vec<Dated> = evidence
                .annual_reports
                .iter()
                .filter(|(y, _)| y == year)
                .map(|(_, r)| r.clone())
                .collect();
            let what = format!("the annual update for {year}");
            judge(Case {
                obligation: OBLIGATIONS[3],
                article: "7(2)",
                as_of,
                deadline: *due,
                done: earliest(&mine, as_of),
                missed: None,
                basis: with_default(
                    basis.clone(),
                    "7(2)",
                    "annual update by 30 April covering the previous calendar year",
                ),
                what: &what,
            })
        }
        _ => not_applicable(
            OBLIGATIONS[3],
            None,
            Basis::new(
                "7(2)",
                format!(
                    "no annual update is due in {}: the Convention was not yet in force for the \
                     State during the previous calendar year",
                    as_of.year()
                ),
            ),
        ),
    }
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

    fn rec(s: &str) -> Dated {
        Dated {
            date: s.parse().unwrap(),
            source: "src".into(),
        }
    }

    fn dates() -> TreatyDates {
        TreatyDates {
            entry_into_force: d(1999, 3, 1),
            stockpile_destruction_deadline: d(2003, 3, 1),
            clearance_deadline: Some(d(2009, 3, 1)),
            initial_report_due: d(1999, 8, 28),
            basis: vec![],
            clearance_basis: vec![],
            clearance_flags: vec![],
            withdrawn_on: None,
            annual_report: Some((2005, d(2005, 4, 30), vec![])),
        }
    }

    fn find<'a>(obs: &'a [Obligation], name: &str) -> &'a Obligation {
        obs.iter().find(|o| o.obligation == name).unwrap()
    }

    fn status(obs: &[Obligation], name: &str) -> ComplianceStatus {
        find(obs, name).status
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
    fn pending_then_unknown_then_met() {
        let ev = Evidence {
            stockpile_completed: vec![rec("2002-06-01")],
            ..Evidence::default()
        };
        let before = assess(d(2002, 1, 1), Some(&dates()), &ev);
        assert_eq!(
            status(&before, "stockpile-destruction"),
            ComplianceStatus::Pending
        );
        let after = assess(d(2005, 1, 1), Some(&dates()), &ev);
        let s = find(&after, "stockpile-destruction");
        assert_eq!(s.status, ComplianceStatus::Met);
        assert_eq!(s.source.as_deref(), Some("src"));
        // No record is not a fact: no report is unknown, not overdue.
        let initial = find(&after, "initial-transparency-report");
        assert_eq!(initial.status, ComplianceStatus::Unknown);
        assert!(initial.basis.last().unwrap().reason.contains("no record"));
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
            ComplianceStatus::Unknown
        );
        let ev2 = Evidence {
            annual_reports: vec![(2005, rec("2005-04-02"))],
            ..ev
        };
        let met = assess(d(2005, 5, 1), Some(&dates()), &ev2);
        assert_eq!(
            status(&met, "annual-transparency-report"),
            ComplianceStatus::Met
        );
    }

    #[test]
    fn overdue_only_on_a_record_that_says_so() {
        let missed = Evidence {
            stockpile_missed: vec![rec("2003-03-01")],
            ..Evidence::default()
        };
        let obs = assess(d(2010, 1, 1), Some(&dates()), &missed);
        let s = find(&obs, "stockpile-destruction");
        assert_eq!(s.status, ComplianceStatus::Overdue);
        assert_eq!(s.source.as_deref(), Some("src"));
        let declared = Evidence {
            stockpile_declared: vec![rec("2004")],
            ..Evidence::default()
        };
        let obs = assess(d(2010, 1, 1), Some(&dates()), &declared);
        assert_eq!(
            status(&obs, "stockpile-destruction"),
            ComplianceStatus::Overdue
        );
        // A declaration before the deadline says nothing about the deadline.
        let early = Evidence {
            stockpile_declared: vec![rec("2001")],
            ..Evidence::default()
        };
        let obs = assess(d(2010, 1, 1), Some(&dates()), &early);
        assert_eq!(
            status(&obs, "stockpile-destruction"),
            ComplianceStatus::Unknown
        );
        // Completed late: met-late, not met.
        let late = Evidence {
            stockpile_completed: vec![rec("2008-05")],
            stockpile_missed: vec![rec("2003-03-01")],
            ..Evidence::default()
        };
        let obs = assess(d(2010, 1, 1), Some(&dates()), &late);
        assert_eq!(
            status(&obs, "stockpile-destruction"),
            ComplianceStatus::MetLate
        );
    }

    #[test]
    fn partial_dates_count_once_their_period_has_passed() {
        let ev = Evidence {
            clearance_completed: vec![rec("2008-11")],
            ..Evidence::default()
        };
        let mid = assess(d(2008, 11, 15), Some(&dates()), &ev);
        assert_eq!(
            status(&mid, "mined-area-clearance"),
            ComplianceStatus::Pending
        );
        let after = assess(d(2008, 12, 1), Some(&dates()), &ev);
        let c = find(&after, "mined-area-clearance");
        assert_eq!(c.status, ComplianceStatus::Met);
        assert_eq!(c.met_on.unwrap().to_string(), "2008-11");
    }

    #[test]
    fn contamination_found_reopens_clearance() {
        let ev = Evidence {
            clearance_completed: vec![rec("2008-11-01")],
            contamination_found: vec![rec("2012-05")],
            ..Evidence::default()
        };
        let before = assess(d(2011, 1, 1), Some(&dates()), &ev);
        assert_eq!(
            status(&before, "mined-area-clearance"),
            ComplianceStatus::Met
        );
        let after = assess(d(2013, 1, 1), Some(&dates()), &ev);
        let c = find(&after, "mined-area-clearance");
        assert_eq!(c.status, ComplianceStatus::Unknown);
        assert!(c.basis.iter().any(|b| b.reason.contains("applies again")));
        // A second declaration closes it again.
        let closed = Evidence {
            clearance_completed: vec![rec("2008-11-01"), rec("2014-06-30")],
            ..ev
        };
        let later = assess(d(2015, 1, 1), Some(&dates()), &closed);
        assert_eq!(
            status(&later, "mined-area-clearance"),
            ComplianceStatus::MetLate
        );
    }

    #[test]
    fn discovered_stockpile_reopens_article_4() {
        let ev = Evidence {
            stockpile_completed: vec![rec("2002-01-01")],
            stockpile_discovered: vec![rec("2015")],
            ..Evidence::default()
        };
        let obs = assess(d(2016, 6, 1), Some(&dates()), &ev);
        assert_eq!(
            status(&obs, "stockpile-destruction"),
            ComplianceStatus::Unknown
        );
        let obs = assess(d(2010, 6, 1), Some(&dates()), &ev);
        assert_eq!(status(&obs, "stockpile-destruction"), ComplianceStatus::Met);
    }

    #[test]
    fn an_unrecorded_granted_deadline_is_unknown_not_pending() {
        let mut dt = dates();
        dt.clearance_deadline = None;
        let obs = assess(d(2008, 1, 1), Some(&dt), &Evidence::default());
        let c = find(&obs, "mined-area-clearance");
        assert_eq!(c.status, ComplianceStatus::Unknown);
        assert_eq!(c.deadline, None);
        let ev = Evidence {
            clearance_completed: vec![rec("2012")],
            ..Evidence::default()
        };
        let obs = assess(d(2013, 1, 1), Some(&dt), &ev);
        assert_eq!(status(&obs, "mined-area-clearance"), ComplianceStatus::Met);
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
            ComplianceStatus::Unknown
        );
    }
}
