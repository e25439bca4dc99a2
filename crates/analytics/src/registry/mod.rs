//! The registry's answers, computed: the States and their standing as of a date, one State in
//! full, compliance for every State, the world picture, the estimates known by a date. Status,
//! entry into force and deadlines are computed here by the treaty engine from the recorded
//! events, every time; they are never stored.
//!
//! Every function is pure: it takes the records the store loaded ([`RegistryRecords`], plain
//! `demine_core` records) and the date asked about, and does no I/O. A record the registry does
//! not hold reads as unknown (`None`, an empty list, the `unknown` compliance status), never as
//! met, overdue or zero.

mod clearance;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use demine_core::PartialDate;
use demine_core::compliance::ComplianceStatus;
use demine_core::compliance::{self, Evidence, Obligation, TreatyDates};
use demine_core::records::{
    Commitment, Estimate, ExtensionRequest, Meeting, Position, SourceRecord, StateRecord,
    StockpileRecord, TransparencyReport, TreatyEvent, UseFinding, source_ids,
};
use demine_treaty::{
    ArmedConflict, Instrument, Status, StatusRuling, TreatyEvents, WithdrawalRuling,
};

pub use clearance::{ClearanceRecord, applies_from, clearance};

use crate::AnalyticsError;

/// The registry's records a computation reads, as the store loaded them (at the requester's
/// access level). A table the caller did not load is empty: what it would have held reads as
/// unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryRecords {
    pub states: Vec<StateRecord>,
    pub events: Vec<TreatyEvent>,
    pub extensions: Vec<ExtensionRequest>,
    pub reports: Vec<TransparencyReport>,
    pub stockpiles: Vec<StockpileRecord>,
    pub estimates: Vec<Estimate>,
    pub positions: Vec<Position>,
    pub commitments: Vec<Commitment>,
    pub use_findings: Vec<UseFinding>,
    pub meetings: Vec<Meeting>,
    pub sources: Vec<SourceRecord>,
}

/// One line of `demine states`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateRow {
    pub iso3: String,
    pub name: String,
    pub status: String,
    /// When the Convention entered (or enters) into force for the State; null if not bound
    /// (never bound, or withdrawn).
    pub entry_into_force: Option<NaiveDate>,
    pub stockpile_destruction_deadline: Option<NaiveDate>,
    /// Art. 5 deadline as moved by extensions granted by the date asked about.
    pub clearance_deadline: Option<NaiveDate>,
    /// When a deposited withdrawal takes (or took) effect; null while pending on an armed
    /// conflict or when there is none.
    pub withdrawal_effective: Option<NaiveDate>,
    pub un_member: bool,
}

/// `demine states show`: the row plus everything the registry holds about the State.
#[derive(Debug, Clone, Serialize)]
pub struct StateDetail {
    #[serde(flatten)]
    pub row: StateRow,
    pub as_of: NaiveDate,
    pub initial_report_due: Option<NaiveDate>,
    /// The Art. 5(1) deadline: entry into force + ten years, before any extension.
    pub original_clearance_deadline: Option<NaiveDate>,
    /// The deadline in force (also `clearance_deadline`) and what it rests on: Art. 5(1) and
    /// each extension granted by the date asked about, citing its meeting.
    pub clearance_basis: Vec<demine_treaty::Basis>,
    /// Where the record departs from the Convention's letter, each citing the decision.
    pub clearance_flags: Vec<demine_treaty::Basis>,
    pub withdrawal: Option<WithdrawalRuling>,
    /// A withdrawal announced (and whether deposited), with the Art. 20(3) armed-conflict rule.
    pub withdrawal_notice: Option<WithdrawalNotice>,
    /// The articles the status rests on.
    pub basis: Vec<demine_treaty::Basis>,
    pub events: Vec<TreatyEvent>,
    pub extensions: Vec<ExtensionRequest>,
    /// Declarations of completed clearance and mined areas found after them, oldest first.
    pub completion_declarations: Vec<TreatyEvent>,
    /// The Art. 4 completion on record: destruction completed (date, number destroyed) or no
    /// stockpile declared; null when the registry holds none.
    pub stockpile_completion: Option<StockpileRecord>,
    /// The latest Art. 3 retention figure on record, null when none.
    pub retention: Option<StockpileRecord>,
    pub reports: Vec<TransparencyReport>,
    pub report_record: ReportRecord,
    /// Findings of new use in the State's territory, or by the State.
    pub use_findings: Vec<UseFinding>,
    /// The latest contamination estimate (`ap_contamination_km2`) with the Monitor's band.
    pub contamination: Option<Contamination>,
    pub estimates: Vec<Estimate>,
    pub positions: Vec<Position>,
    pub commitments: Vec<Commitment>,
    pub stockpiles: Vec<StockpileRecord>,
    pub compliance: Vec<Obligation>,
    /// The meetings the State's record names.
    pub meetings: Vec<Meeting>,
    /// Every source id cited above that the registry describes (title, publisher, year, url).
    pub sources: Vec<SourceRecord>,
}

/// A withdrawal announced or deposited, and what Art. 20(3) makes of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WithdrawalNotice {
    pub announced: Option<PartialDate>,
    pub announced_source: Option<String>,
    pub deposited: Option<NaiveDate>,
    /// The sources of the deposit of the instrument of withdrawal, when one is recorded.
    pub deposited_source: Option<String>,
    /// Start of an armed conflict the State is engaged in on the date asked about.
    pub armed_conflict_since: Option<NaiveDate>,
    /// Where it stands, in words, with the Art. 20(3) rule.
    pub status: String,
}

/// The State's Art. 7 record in short.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportRecord {
    /// When the initial report was received, if the registry holds it.
    pub initial_received: Option<PartialDate>,
    /// Annual updates held.
    pub annual_reports: usize,
    /// The latest reporting year held.
    pub latest_annual_year: Option<i32>,
}

/// A contamination estimate with its band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contamination {
    pub low_km2: f64,
    pub high_km2: f64,
    pub as_of: PartialDate,
    /// The Landmine Monitor's band: massive (over 100 km2), large (20-99), medium (5-19), small
    /// (under 5); `medium to large` when the range spans two.
    pub band: String,
    pub source: String,
}

/// The Monitor's band for an area in km2 ([`crate::contamination::Band`]; a figure that is not
/// a number reads as `unknown`).
pub fn contamination_band(km2: f64) -> &'static str {
    crate::contamination::Band::of_km2(km2).map_or("unknown", |b| b.as_str())
}

fn band_of(low: f64, high: f64) -> String {
    let (a, b) = (contamination_band(low), contamination_band(high));
    if a == b {
        a.to_string()
    } else {
        format!("{a} to {b}")
    }
}

/// `--status` of `demine states`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Party,
    Signatory,
    /// Not bound: not a signatory, or a signatory without an instrument deposited.
    NonParty,
    NotSignatory,
    PendingEntryIntoForce,
    WithdrawalPending,
    Withdrawn,
}

impl std::str::FromStr for StatusFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "party" => StatusFilter::Party,
            "signatory" => StatusFilter::Signatory,
            "non-party" => StatusFilter::NonParty,
            "not-signatory" => StatusFilter::NotSignatory,
            "pending-entry-into-force" => StatusFilter::PendingEntryIntoForce,
            "withdrawal-pending" => StatusFilter::WithdrawalPending,
            "withdrawn" => StatusFilter::Withdrawn,
            other => {
                return Err(format!(
                    "unknown status {other:?}; expected party, signatory, non-party, \
                     not-signatory, pending-entry-into-force, withdrawal-pending or withdrawn"
                ));
            }
        })
    }
}

impl StatusFilter {
    fn accepts(self, status: Status) -> bool {
        match self {
            StatusFilter::Party => status == Status::Party,
            StatusFilter::Signatory => status == Status::Signatory,
            StatusFilter::NonParty => matches!(status, Status::NotSignatory | Status::Signatory),
            StatusFilter::NotSignatory => status == Status::NotSignatory,
            StatusFilter::PendingEntryIntoForce => status == Status::PendingEntryIntoForce,
            StatusFilter::WithdrawalPending => status == Status::WithdrawalPending,
            StatusFilter::Withdrawn => status == Status::Withdrawn,
        }
    }
}

fn treaty_err(iso3: &str) -> impl Fn(demine_treaty::TreatyError) -> AnalyticsError + '_ {
    move |e| AnalyticsError::Treaty {
        iso3: iso3.to_string(),
        reason: e.to_string(),
    }
}

/// The engine's input for one State: the events known by `as_of`.
pub fn treaty_events(
    events: &[TreatyEvent],
    as_of: NaiveDate,
) -> Result<TreatyEvents, AnalyticsError> {
    let mut out = TreatyEvents::default();
    let mut known: Vec<&TreatyEvent> = events.iter().filter(|e| e.day() <= as_of).collect();
    known.sort_by_key(|e| e.day());
    for e in known {
        match e.event.as_str() {
            "signature" if out.signed.is_none() => out.signed = Some(e.day()),
            "deposit" if out.deposited.is_none() => {
                out.deposited = Some(e.day());
                let raw = e.instrument.as_deref().unwrap_or_default();
                out.instrument =
                    Some(
                        raw.parse::<Instrument>()
                            .map_err(|err| AnalyticsError::Treaty {
                                iso3: e.iso3.to_string(),
                                reason: err.to_string(),
                            })?,
                    );
                out.succession_date = e.succession_date;
            }
            "withdrawal" if out.withdrawal_deposited.is_none() => {
                out.withdrawal_deposited = Some(e.day())
            }
            "armed-conflict" => out.armed_conflicts.push(ArmedConflict {
                began: e.day(),
                ended: e.end_date.filter(|d| *d <= as_of),
            }),
            _ => {}
        }
    }
    Ok(out)
}

fn core_basis(b: &[demine_treaty::Basis]) -> Vec<compliance::Basis> {
    b.iter()
        .map(|b| compliance::Basis::new(b.article.clone(), b.reason.clone()))
        .collect()
}

/// A State's standing and dates as of a day.
struct Standing {
    row: StateRow,
    ruling: StatusRuling,
    dates: Option<TreatyDates>,
    clearance: Option<ClearanceRecord>,
}

fn standing(
    state: &StateRecord,
    events: &[TreatyEvent],
    extensions: &[ExtensionRequest],
    as_of: NaiveDate,
) -> Result<Standing, AnalyticsError> {
    let code = state.iso3.as_str();
    let te = treaty_events(events, as_of)?;
    let ruling = demine_treaty::status_as_of(&te, as_of).map_err(treaty_err(code))?;
    let mut dates = None;
    let mut clearance_record = None;
    if let (Some(eif), Some(dep), Some(instrument)) =
        (ruling.entry_into_force, te.deposited, te.instrument)
    {
        let ob = demine_treaty::obligations(dep, instrument, te.succession_date)
            .map_err(treaty_err(code))?;
        let found: Vec<NaiveDate> = events
            .iter()
            .filter(|e| e.event == "contamination-found")
            .map(TreatyEvent::day)
            .collect();
        let c = clearance(eif, extensions, &found, as_of).map_err(|(_, reason)| {
            AnalyticsError::Treaty {
                iso3: code.to_string(),
                reason,
            }
        })?;
        // No annual update was due before 2000 (the engine says why); none is owed then.
        let annual = demine_treaty::annual_report_due(as_of.year()).ok();
        dates = Some(TreatyDates {
            entry_into_force: eif,
            stockpile_destruction_deadline: ob.stockpile_destruction_deadline,
            clearance_deadline: c.deadline,
            initial_report_due: ob.initial_report_due,
            basis: core_basis(&ob.basis),
            clearance_basis: core_basis(&c.basis),
            clearance_flags: core_basis(&c.flags),
            withdrawn_on: ruling.withdrawal.as_ref().and_then(|w| w.effective),
            annual_report: annual.map(|a| (a.year, a.due, core_basis(&a.basis))),
        });
        clearance_record = Some(c);
    }
    let bound_dates = dates
        .as_ref()
        .filter(|_| ruling.status != Status::Withdrawn);
    let row = StateRow {
        iso3: code.to_string(),
        name: state.name.clone(),
        status: ruling.status.as_str().to_string(),
        entry_into_force: bound_dates.map(|d| d.entry_into_force),
        stockpile_destruction_deadline: bound_dates.map(|d| d.stockpile_destruction_deadline),
        clearance_deadline: bound_dates.and_then(|d| d.clearance_deadline),
        withdrawal_effective: ruling.withdrawal.as_ref().and_then(|w| w.effective),
        un_member: state.un_member,
    };
    Ok(Standing {
        row,
        ruling,
        dates,
        clearance: clearance_record,
    })
}

/// The records grouped by State (ISO3), borrowed.
fn group<T>(items: &[T], key: impl Fn(&T) -> &str) -> HashMap<&str, Vec<&T>> {
    let mut map: HashMap<&str, Vec<&T>> = HashMap::new();
    for it in items {
        map.entry(key(it)).or_default().push(it);
    }
    map
}

/// One State's records of a group, owned (empty when the group has none).
fn owned<T: Clone>(map: &HashMap<&str, Vec<&T>>, code: &str) -> Vec<T> {
    map.get(code)
        .map(|v| v.iter().map(|x| (*x).clone()).collect())
        .unwrap_or_default()
}

/// Every State's standing as of `as_of`, sorted by ISO3. Only the 197 States that can join the
/// Convention unless `all_entities` (territories and other entities the boundaries name).
/// Reads the States, events and extensions of `recs`.
pub fn states(
    recs: &RegistryRecords,
    as_of: NaiveDate,
    filter: Option<StatusFilter>,
    all_entities: bool,
) -> Result<Vec<StateRow>, AnalyticsError> {
    let events = group(&recs.events, |e| e.iso3.as_str());
    let exts = group(&recs.extensions, |e| e.iso3.as_str());
    let mut out = Vec::new();
    for s in recs
        .states
        .iter()
        .filter(|s| all_entities || s.treaty_universe)
    {
        let code = s.iso3.as_str();
        let st = standing(s, &owned(&events, code), &owned(&exts, code), as_of)?;
        if filter.is_none_or(|f| f.accepts(st.ruling.status)) {
            out.push(st.row);
        }
    }
    out.sort_by(|a, b| a.iso3.cmp(&b.iso3));
    Ok(out)
}

/// Everything the registry holds about one State, loaded once.
struct StateRecords {
    events: Vec<TreatyEvent>,
    reports: Vec<TransparencyReport>,
    stockpiles: Vec<StockpileRecord>,
}

impl StateRecords {
    /// Compliance as of `as_of`, from the records dated by then.
    fn compliance(&self, st: &Standing, as_of: NaiveDate) -> Vec<Obligation> {
        let events: Vec<TreatyEvent> = self
            .events
            .iter()
            .filter(|e| e.date.start() <= as_of)
            .cloned()
            .collect();
        let evidence = Evidence::from_records(&events, &self.reports, &self.stockpiles);
        compliance::assess(as_of, st.dates.as_ref(), &evidence)
    }
}

fn known_by<T>(items: Vec<T>, as_of: NaiveDate, date: impl Fn(&T) -> PartialDate) -> Vec<T> {
    items
        .into_iter()
        .filter(|x| date(x).start() <= as_of)
        .collect()
}

/// A State of the treaty universe assessed on a day: its standing, its records and obligations.
struct Assessed<'a> {
    state: &'a StateRecord,
    standing: Standing,
    events: Vec<TreatyEvent>,
    obligations: Vec<Obligation>,
}

/// Every State of the treaty universe assessed as of `as_of`, in the order of `recs.states`.
fn assess_all(
    recs: &RegistryRecords,
    as_of: NaiveDate,
) -> Result<Vec<Assessed<'_>>, AnalyticsError> {
    let events = group(&recs.events, |e| e.iso3.as_str());
    let exts = group(&recs.extensions, |e| e.iso3.as_str());
    let reports = group(&recs.reports, |r| r.iso3.as_str());
    let stockpiles = group(&recs.stockpiles, |r| r.iso3.as_str());
    let mut out = Vec::new();
    for s in recs.states.iter().filter(|s| s.treaty_universe) {
        let code = s.iso3.as_str();
        let recs = StateRecords {
            events: owned(&events, code),
            reports: known_by(owned(&reports, code), as_of, |r: &TransparencyReport| {
                r.received
            }),
            stockpiles: known_by(owned(&stockpiles, code), as_of, |r: &StockpileRecord| {
                r.date
            }),
        };
        let st = standing(s, &recs.events, &owned(&exts, code), as_of)?;
        let obligations = recs.compliance(&st, as_of);
        out.push(Assessed {
            state: s,
            standing: st,
            events: recs.events,
            obligations,
        });
    }
    Ok(out)
}

/// What Art. 20(3) makes of a withdrawal announced or deposited, as of `as_of`.
fn withdrawal_notice(
    events: &[TreatyEvent],
    ruling: &StatusRuling,
    as_of: NaiveDate,
) -> Option<WithdrawalNotice> {
    let announced = events
        .iter()
        .filter(|e| e.event == "withdrawal-announced" && e.date.start() <= as_of)
        .max_by_key(|e| e.date.start());
    let deposited = ruling.withdrawal.as_ref().map(|w| w.deposited);
    if announced.is_none() && deposited.is_none() {
        return None;
    }
    let conflict = events
        .iter()
        .filter(|e| e.event == "armed-conflict" && e.day() <= as_of)
        .filter(|e| e.end_date.is_none_or(|end| end > as_of))
        .map(|e| e.day())
        .min();
    let status = match (&ruling.withdrawal, conflict) {
        (Some(w), _) if w.effective.is_some_and(|d| d <= as_of) => format!(
            "withdrawal deposited on {}, in effect since {} (Art. 20(3))",
            w.deposited,
            w.effective.map(|d| d.to_string()).unwrap_or_default()
        ),
        (Some(w), Some(since)) => format!(
            "withdrawal deposited on {}; the State has been engaged in an armed conflict since \
             {since}: under Art. 20(3) it stays bound until the conflict ends, even after the six \
             months ({})",
            w.deposited, w.earliest_effective
        ),
        (Some(w), None) => format!(
            "withdrawal deposited on {}; it takes effect six months later, on {} (Art. 20(3)), \
             unless the State is then engaged in an armed conflict",
            w.deposited, w.earliest_effective
        ),
        (None, Some(since)) => format!(
            "withdrawal announced, no instrument of withdrawal recorded as deposited: still a \
             State Party. Art. 20(3): a withdrawal takes effect six months after the instrument \
             is received, and a State engaged in an armed conflict (here since {since}) stays \
             bound until the conflict ends"
        ),
        (None, None) => "withdrawal announced, no instrument of withdrawal recorded as \
             deposited: still a State Party. Art. 20(3): it takes effect six months after the \
             instrument is received"
            .to_string(),
    };
    let deposited_source = deposited.and_then(|d| {
        events
            .iter()
            .find(|e| e.event == "withdrawal" && e.day() == d)
            .map(|e| e.source.clone())
    });
    Some(WithdrawalNotice {
        announced: announced.map(|e| e.date),
        announced_source: announced.map(|e| e.source.clone()),
        deposited,
        deposited_source,
        armed_conflict_since: conflict,
        status,
    })
}

/// One State in full as of `as_of`: standing, the records dated by then, and compliance. `recs`
/// may hold other States' records too (only `iso3`'s are read, and the use findings that name
/// it as where or by whom); the meetings and sources are those the State's records cite.
pub fn state_detail(
    recs: &RegistryRecords,
    iso3: &str,
    as_of: NaiveDate,
) -> Result<StateDetail, AnalyticsError> {
    let code = iso3
        .parse::<demine_core::Iso3>()
        .map_err(|e| AnalyticsError::NotFound {
            what: e.to_string(),
        })?
        .to_string();
    let state = recs
        .states
        .iter()
        .find(|s| s.iso3.as_str() == code)
        .ok_or_else(|| AnalyticsError::NotFound {
            what: format!("State {code}"),
        })?;
    let mine = |c: &demine_core::Iso3| c.as_str() == code;
    let all_events: Vec<TreatyEvent> = recs
        .events
        .iter()
        .filter(|e| mine(&e.iso3))
        .cloned()
        .collect();
    let all_ext: Vec<ExtensionRequest> = recs
        .extensions
        .iter()
        .filter(|x| mine(&x.iso3))
        .cloned()
        .collect();
    let st = standing(state, &all_events, &all_ext, as_of)?;
    let records = StateRecords {
        reports: known_by(
            recs.reports
                .iter()
                .filter(|r| mine(&r.iso3))
                .cloned()
                .collect(),
            as_of,
            |r: &TransparencyReport| r.received,
        ),
        stockpiles: known_by(
            recs.stockpiles
                .iter()
                .filter(|r| mine(&r.iso3))
                .cloned()
                .collect(),
            as_of,
            |r: &StockpileRecord| r.date,
        ),
        events: all_events.clone(),
    };
    let compliance = records.compliance(&st, as_of);
    let StateRecords {
        reports,
        stockpiles,
        ..
    } = records;
    let events: Vec<TreatyEvent> = all_events
        .into_iter()
        .filter(|e| e.date.start() <= as_of)
        .collect();
    let placed = st
        .clearance
        .as_ref()
        .map(|c| c.applies_from.clone())
        .unwrap_or_default();
    let extensions: Vec<ExtensionRequest> = all_ext
        .into_iter()
        .enumerate()
        .filter(|(i, x)| {
            // Known by then: submitted, else decided, else (an undated grant) applied by then.
            let known = x
                .submitted
                .map(|s| s.start())
                .or(x.decided_on.map(|d| d.start()))
                .or(placed.get(*i).copied().flatten());
            known.is_some_and(|k| k <= as_of)
        })
        .map(|(i, mut x)| {
            let later = match x.decided_on {
                Some(d) => d.end() > as_of,
                None => placed.get(i).copied().flatten().is_some_and(|p| p > as_of),
            };
            if later {
                // Not yet decided on the day asked about.
                x.decision = "pending".into();
                x.decided_on = None;
                x.granted_until = None;
            }
            x
        })
        .collect();
    let estimates: Vec<Estimate> = recs
        .estimates
        .iter()
        .filter(|e| e.iso3.as_ref().is_some_and(&mine))
        .filter(|e| e.as_of.start() <= as_of)
        .cloned()
        .collect();
    let mut positions: Vec<Position> = recs
        .positions
        .iter()
        .filter(|p| mine(&p.iso3))
        .filter(|p| p.as_of.start() <= as_of)
        .cloned()
        .collect();
    positions.sort_by_key(|p| p.as_of.start());
    let commitments: Vec<Commitment> = recs
        .commitments
        .iter()
        .filter(|x| mine(&x.iso3))
        .cloned()
        .map(|mut x| {
            if x.outcome_date.is_some_and(|d| d.start() > as_of) {
                x.outcome = None;
                x.outcome_date = None;
            }
            x
        })
        .collect();
    let use_findings: Vec<UseFinding> = recs
        .use_findings
        .iter()
        .filter(|u| u.iso3.as_str() == code || u.actor == code)
        .filter(|u| u.year <= as_of.year())
        .cloned()
        .collect();
    let mut completion_declarations: Vec<TreatyEvent> = events
        .iter()
        .filter(|e| e.event == "clearance-completed" || e.event == "contamination-found")
        .cloned()
        .collect();
    completion_declarations.sort_by_key(|e| e.date.start());
    let stockpile_completion = stockpiles
        .iter()
        .filter(|s| s.record == "destruction-completed" || s.record == "no-stockpile")
        .min_by_key(|s| s.date.start())
        .cloned();
    let retention = stockpiles
        .iter()
        .filter(|s| s.record == "retained")
        .max_by_key(|s| s.date.end())
        .cloned();
    let report_record = ReportRecord {
        initial_received: reports
            .iter()
            .filter(|r| r.kind == "initial")
            .map(|r| r.received)
            .min_by_key(|d| d.start()),
        annual_reports: reports.iter().filter(|r| r.kind == "annual").count(),
        latest_annual_year: reports
            .iter()
            .filter(|r| r.kind == "annual")
            .map(|r| r.year)
            .max(),
    };
    let contamination = estimates
        .iter()
        .filter(|e| e.measure == "ap_contamination_km2")
        .max_by_key(|e| e.as_of.end())
        .map(|e| Contamination {
            low_km2: e.low,
            high_km2: e.high,
            as_of: e.as_of,
            band: band_of(e.low, e.high),
            source: e.source.clone(),
        });
    let withdrawal_notice = withdrawal_notice(&events, &st.ruling, as_of);
    // The meetings and sources the record cites.
    let meeting_ids: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| e.meeting.as_deref())
        .chain(extensions.iter().filter_map(|x| x.meeting.as_deref()))
        .collect();
    let meetings: Vec<Meeting> = recs
        .meetings
        .iter()
        .filter(|m| meeting_ids.contains(m.id.as_str()))
        .cloned()
        .collect();
    let cited: BTreeSet<String> = events
        .iter()
        .map(|e| e.source.as_str())
        .chain(extensions.iter().map(|x| x.source.as_str()))
        .chain(reports.iter().map(|x| x.source.as_str()))
        .chain(stockpiles.iter().map(|x| x.source.as_str()))
        .chain(estimates.iter().map(|x| x.source.as_str()))
        .chain(positions.iter().map(|x| x.source.as_str()))
        .chain(commitments.iter().map(|x| x.source.as_str()))
        .chain(use_findings.iter().map(|x| x.source.as_str()))
        .chain(meetings.iter().map(|x| x.source.as_str()))
        .chain(std::iter::once(state.source.as_str()))
        .flat_map(source_ids)
        .map(str::to_string)
        .collect();
    let sources: Vec<SourceRecord> = recs
        .sources
        .iter()
        .filter(|s| cited.contains(&s.id))
        .cloned()
        .collect();
    let bound = st.dates.is_some() && st.row.entry_into_force.is_some();
    Ok(StateDetail {
        initial_report_due: st.dates.as_ref().map(|d| d.initial_report_due),
        original_clearance_deadline: st.clearance.as_ref().filter(|_| bound).map(|c| c.original),
        clearance_basis: st
            .clearance
            .as_ref()
            .filter(|_| bound)
            .map(|c| c.basis.clone())
            .unwrap_or_default(),
        clearance_flags: st
            .clearance
            .as_ref()
            .filter(|_| bound)
            .map(|c| c.flags.clone())
            .unwrap_or_default(),
        withdrawal: st.ruling.withdrawal.clone(),
        withdrawal_notice,
        basis: st.ruling.basis.clone(),
        row: st.row,
        as_of,
        events,
        extensions,
        completion_declarations,
        stockpile_completion,
        retention,
        reports,
        report_record,
        use_findings,
        contamination,
        estimates,
        positions,
        commitments,
        stockpiles,
        compliance,
        meetings,
        sources,
    })
}

/// Every estimate, optionally of one subject (an ISO3 code or a subject name such as `World`)
/// and one measure, known by `as_of`. Where sources disagree, all of them are returned.
pub fn estimates(
    all: &[Estimate],
    subject: Option<&str>,
    measure: Option<&str>,
    as_of: Option<NaiveDate>,
) -> Vec<Estimate> {
    all.iter()
        .filter(|e| {
            subject.is_none_or(|s| {
                e.subject.eq_ignore_ascii_case(s)
                    || e.iso3.is_some_and(|c| c.as_str().eq_ignore_ascii_case(s))
            })
        })
        .filter(|e| measure.is_none_or(|m| e.measure.eq_ignore_ascii_case(m)))
        .filter(|e| as_of.is_none_or(|d| e.as_of.start() <= d))
        .cloned()
        .collect()
}

/// One deadline falling due soon: which State, which obligation, when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpcomingDeadline {
    pub iso3: String,
    pub name: String,
    /// `clearance` (Art. 5, as extended) or `stockpile-destruction` (Art. 4).
    pub obligation: String,
    pub article: String,
    pub deadline: NaiveDate,
    /// The compliance status on the day asked about (`pending`, or `unknown` for a deadline
    /// found again after mined areas reopened the obligation, ...).
    pub status: String,
    /// What the deadline rests on (the extension and meeting that set it, where one did).
    pub basis: String,
}

/// A State whose declaration of completed clearance stands on the day asked about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletionDeclared {
    pub iso3: String,
    pub name: String,
    pub date: PartialDate,
    pub meeting: Option<String>,
    pub source: String,
}

/// The Landmine Monitor's findings of new use in one year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UseYear {
    pub year: i32,
    /// States found to have used anti-personnel mines (ISO3), confirmed or alleged.
    pub states_confirmed: Vec<String>,
    pub states_alleged: Vec<String>,
    /// How many findings concern non-State armed groups.
    pub non_state_findings: usize,
    /// Where the use was found (ISO3).
    pub where_found: Vec<String>,
    pub sources: Vec<String>,
}

/// A withdrawal announced, with no instrument recorded as deposited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WithdrawalAnnounced {
    pub iso3: String,
    pub name: String,
    #[serde(flatten)]
    pub notice: WithdrawalNotice,
}

/// `demine summary`: the world picture on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorldSummary {
    pub as_of: NaiveDate,
    /// How many of the 197 States hold each status (`party`, `signatory`, ...).
    pub status_counts: BTreeMap<String, usize>,
    pub states: usize,
    /// States whose withdrawal is deposited and not yet effective, or took effect.
    pub withdrawals: Vec<StateRow>,
    /// States that announced a withdrawal without a deposit recorded, and what Art. 20(3) says.
    pub withdrawals_announced: Vec<WithdrawalAnnounced>,
    /// Art. 4 and Art. 5 deadlines of bound States within `horizon_days` after `as_of`, for
    /// obligations the record does not show met.
    pub upcoming_deadlines: Vec<UpcomingDeadline>,
    pub horizon_days: i64,
    /// States whose declaration of completed clearance (Art. 5) stands.
    pub completed_clearance: Vec<CompletionDeclared>,
    /// States that declared completion and later reported mined areas found, so that the
    /// obligation applies again: the date and source are those of the later finding.
    pub reopened_clearance: Vec<CompletionDeclared>,
    /// Per obligation, how many States are in each compliance status (`met`, `unknown`, ...).
    pub compliance_counts: BTreeMap<String, BTreeMap<String, usize>>,
    /// The latest world figures: for each measure, the rows of its latest date, every source kept.
    pub world_estimates: Vec<Estimate>,
    /// The Monitor's findings of new use, by year, newest first.
    pub new_use: Vec<UseYear>,
    /// The sources the world figures and completions cite.
    pub sources: Vec<SourceRecord>,
}

/// The world picture as of `as_of`, with deadlines falling in the next `horizon_days`.
pub fn world_summary(
    recs: &RegistryRecords,
    as_of: NaiveDate,
    horizon_days: i64,
) -> Result<WorldSummary, AnalyticsError> {
    let horizon = as_of + chrono::Duration::days(horizon_days);
    let mut rows = Vec::new();
    let mut upcoming = Vec::new();
    let mut completed = Vec::new();
    let mut reopened = Vec::new();
    let mut announced = Vec::new();
    let mut compliance_counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for a in assess_all(recs, as_of)? {
        let Assessed {
            state: s,
            standing: st,
            events,
            obligations,
        } = a;
        let code = s.iso3.to_string();
        for ob in &obligations {
            *compliance_counts
                .entry(ob.obligation.clone())
                .or_default()
                .entry(ob.status.as_str().to_string())
                .or_insert(0) += 1;
        }
        if st.ruling.status == Status::Party {
            for ob in &obligations {
                let (name, article) = match ob.obligation.as_str() {
                    "stockpile-destruction" => ("stockpile-destruction", "4"),
                    "mined-area-clearance" => ("clearance", "5"),
                    _ => continue,
                };
                let open = !matches!(
                    ob.status,
                    ComplianceStatus::Met
                        | ComplianceStatus::MetLate
                        | ComplianceStatus::NotApplicable
                );
                if let Some(d) = ob.deadline.filter(|d| open && *d >= as_of && *d <= horizon) {
                    upcoming.push(UpcomingDeadline {
                        iso3: code.clone(),
                        name: s.name.clone(),
                        obligation: name.into(),
                        article: article.into(),
                        deadline: d,
                        status: ob.status.as_str().to_string(),
                        basis: ob
                            .basis
                            .iter()
                            .rev()
                            .find(|b| b.reason.contains(&d.to_string()))
                            .or(ob.basis.first())
                            .map(|b| format!("Art. {}: {}", b.article, b.reason))
                            .unwrap_or_default(),
                    });
                }
            }
        }
        let clearance_met = obligations.iter().any(|o| {
            o.obligation == "mined-area-clearance"
                && matches!(o.status, ComplianceStatus::Met | ComplianceStatus::MetLate)
        });
        // A completion stands when the last Art. 5 declaration known is one (withdrawn States
        // included: the declaration was made).
        let last = events
            .iter()
            .filter(|e| e.event == "clearance-completed" || e.event == "contamination-found")
            .filter(|e| e.date.end() <= as_of)
            .max_by_key(|e| e.date.end());
        if let Some(e) = last.filter(|e| e.event == "contamination-found") {
            reopened.push(CompletionDeclared {
                iso3: code.clone(),
                name: s.name.clone(),
                date: e.date,
                meeting: e.meeting.clone(),
                source: e.source.clone(),
            });
        }
        if let Some(e) = last.filter(|e| e.event == "clearance-completed")
            && (clearance_met || st.ruling.status != Status::Party)
        {
            completed.push(CompletionDeclared {
                iso3: code.clone(),
                name: s.name.clone(),
                date: e.date,
                meeting: e.meeting.clone(),
                source: e.source.clone(),
            });
        }
        if let Some(n) = withdrawal_notice(&events, &st.ruling, as_of)
            && st.ruling.withdrawal.is_none()
        {
            announced.push(WithdrawalAnnounced {
                iso3: code.clone(),
                name: s.name.clone(),
                notice: n,
            });
        }
        rows.push(st.row);
    }
    rows.sort_by(|a, b| a.iso3.cmp(&b.iso3));
    let mut status_counts = BTreeMap::new();
    for r in &rows {
        *status_counts.entry(r.status.clone()).or_insert(0) += 1;
    }
    upcoming.sort_by(|a, b| (a.deadline, &a.iso3).cmp(&(b.deadline, &b.iso3)));
    completed.sort_by(|a, b| (a.date.start(), &a.iso3).cmp(&(b.date.start(), &b.iso3)));
    let withdrawals = rows
        .iter()
        .filter(|r| {
            r.status == Status::WithdrawalPending.as_str() || r.status == Status::Withdrawn.as_str()
        })
        .cloned()
        .collect();
    let world_estimates =
        latest_per_measure(estimates(&recs.estimates, Some("World"), None, Some(as_of)));
    let mut years: BTreeMap<i32, UseYear> = BTreeMap::new();
    for u in recs.use_findings.iter().filter(|u| u.year <= as_of.year()) {
        let y = years.entry(u.year).or_insert_with(|| UseYear {
            year: u.year,
            ..UseYear::default()
        });
        let push = |list: &mut Vec<String>, v: &str| {
            if !list.iter().any(|x| x == v) {
                list.push(v.to_string());
            }
        };
        match (u.actor_kind.as_str(), u.finding.as_str()) {
            ("state", "confirmed") => push(&mut y.states_confirmed, &u.actor),
            ("state", _) => push(&mut y.states_alleged, &u.actor),
            _ => y.non_state_findings += 1,
        }
        push(&mut y.where_found, u.iso3.as_str());
        for id in source_ids(&u.source) {
            push(&mut y.sources, id);
        }
    }
    let new_use: Vec<UseYear> = years.into_values().rev().collect();
    let cited: BTreeSet<&str> = world_estimates
        .iter()
        .map(|e| e.source.as_str())
        .chain(completed.iter().map(|c| c.source.as_str()))
        .chain(reopened.iter().map(|c| c.source.as_str()))
        .flat_map(source_ids)
        .chain(
            new_use
                .iter()
                .flat_map(|y| y.sources.iter().map(String::as_str)),
        )
        .collect();
    let sources = recs
        .sources
        .iter()
        .filter(|s| cited.contains(s.id.as_str()))
        .cloned()
        .collect();
    Ok(WorldSummary {
        as_of,
        states: rows.len(),
        status_counts,
        withdrawals,
        withdrawals_announced: announced,
        upcoming_deadlines: upcoming,
        horizon_days,
        completed_clearance: completed,
        reopened_clearance: reopened,
        compliance_counts,
        world_estimates,
        new_use,
        sources,
    })
}

/// For each measure, the figures of its latest date (every source of that date kept).
fn latest_per_measure(list: Vec<Estimate>) -> Vec<Estimate> {
    let mut latest: HashMap<String, NaiveDate> = HashMap::new();
    for e in &list {
        let d = latest.entry(e.measure.clone()).or_insert(e.as_of.end());
        if e.as_of.end() > *d {
            *d = e.as_of.end();
        }
    }
    let mut out: Vec<Estimate> = list
        .into_iter()
        .filter(|e| latest.get(&e.measure) == Some(&e.as_of.end()))
        .collect();
    // Newest first; the order of the file within a date.
    out.sort_by_key(|e| std::cmp::Reverse(e.as_of.end()));
    out
}

/// Every State of the treaty universe with its standing and its obligations as of `as_of`,
/// sorted by ISO3: what the world compliance view (`demine_analytics::compliance::world_late`)
/// and the world report take.
pub fn compliance_all(
    recs: &RegistryRecords,
    as_of: NaiveDate,
) -> Result<Vec<(StateRow, Vec<Obligation>)>, AnalyticsError> {
    let mut out: Vec<(StateRow, Vec<Obligation>)> = assess_all(recs, as_of)?
        .into_iter()
        .map(|a| (a.standing.row, a.obligations))
        .collect();
    out.sort_by(|a, b| a.0.iso3.cmp(&b.0.iso3));
    Ok(out)
}

#[cfg(test)]
mod tests;
