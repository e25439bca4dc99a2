//! The registry's answers: the States and their standing as of a date, one State in full, the
//! estimates. Status, entry into force and deadlines are computed here by the treaty engine from
//! the stored events, every time; they are never stored.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde::de::DeserializeOwned;

use demine_core::compliance::{self, Evidence, Obligation, TreatyDates};
use demine_core::records::{
    Commitment, Estimate, ExtensionRequest, Position, StateRecord, StockpileRecord,
    TransparencyReport, TreatyEvent,
};
use demine_core::schema::Kind;
use demine_treaty::{
    ArmedConflict, GrantedExtension, Instrument, Status, StatusRuling, TreatyEvents,
    WithdrawalRuling,
};

use crate::{Record, Store, StoreError};

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
    pub withdrawal: Option<WithdrawalRuling>,
    /// The articles the status rests on.
    pub basis: Vec<demine_treaty::Basis>,
    pub events: Vec<TreatyEvent>,
    pub extensions: Vec<ExtensionRequest>,
    pub reports: Vec<TransparencyReport>,
    pub estimates: Vec<Estimate>,
    pub positions: Vec<Position>,
    pub commitments: Vec<Commitment>,
    pub stockpiles: Vec<StockpileRecord>,
    pub compliance: Vec<Obligation>,
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

fn typed<T: DeserializeOwned>(kind: Kind, records: &[Record]) -> Result<Vec<T>, StoreError> {
    let table = kind.table();
    records
        .iter()
        .map(|r| {
            serde_json::from_value(serde_json::Value::Object(table.to_json(r))).map_err(|e| {
                StoreError::Corrupt {
                    table: table.sql.into(),
                    reason: e.to_string(),
                }
            })
        })
        .collect()
}

async fn load<S: Store, T: DeserializeOwned>(
    store: &S,
    kind: Kind,
    iso3: Option<&str>,
) -> Result<Vec<T>, StoreError> {
    typed(kind, &store.records(kind, iso3).await?)
}

fn treaty_err(iso3: &str) -> impl Fn(demine_treaty::TreatyError) -> StoreError + '_ {
    move |e| StoreError::Treaty {
        iso3: iso3.to_string(),
        reason: e.to_string(),
    }
}

/// The engine's input for one State: the events known by `as_of`.
pub fn treaty_events(events: &[TreatyEvent], as_of: NaiveDate) -> Result<TreatyEvents, StoreError> {
    let mut out = TreatyEvents::default();
    let mut known: Vec<&TreatyEvent> = events.iter().filter(|e| e.date <= as_of).collect();
    known.sort_by_key(|e| e.date);
    for e in known {
        match e.event.as_str() {
            "signature" if out.signed.is_none() => out.signed = Some(e.date),
            "deposit" if out.deposited.is_none() => {
                out.deposited = Some(e.date);
                let raw = e.instrument.as_deref().unwrap_or_default();
                out.instrument =
                    Some(
                        raw.parse::<Instrument>()
                            .map_err(|err| StoreError::Treaty {
                                iso3: e.iso3.to_string(),
                                reason: err.to_string(),
                            })?,
                    );
                out.succession_date = e.succession_date;
            }
            "withdrawal" if out.withdrawal_deposited.is_none() => {
                out.withdrawal_deposited = Some(e.date)
            }
            "armed-conflict" => out.armed_conflicts.push(ArmedConflict {
                began: e.date,
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
}

fn standing(
    state: &StateRecord,
    events: &[TreatyEvent],
    extensions: &[ExtensionRequest],
    as_of: NaiveDate,
) -> Result<Standing, StoreError> {
    let code = state.iso3.as_str();
    let te = treaty_events(events, as_of)?;
    let ruling = demine_treaty::status_as_of(&te, as_of).map_err(treaty_err(code))?;
    let mut dates = None;
    if let (Some(eif), Some(dep), Some(instrument)) =
        (ruling.entry_into_force, te.deposited, te.instrument)
    {
        let ob = demine_treaty::obligations(dep, instrument, te.succession_date)
            .map_err(treaty_err(code))?;
        let granted: Vec<GrantedExtension> = extensions
            .iter()
            .filter(|x| x.decision == "granted")
            .filter_map(|x| match (x.decided_on, x.granted_until) {
                (Some(d), Some(g)) if d <= as_of => Some(GrantedExtension {
                    decided_on: d,
                    granted_until: g,
                }),
                _ => None,
            })
            .collect();
        let (clearance, cbasis) =
            demine_treaty::current_clearance_deadline(eif, &granted).map_err(treaty_err(code))?;
        // No annual update was due before 2000 (the engine says why); none is owed then.
        let annual = demine_treaty::annual_report_due(as_of.year()).ok();
        dates = Some(TreatyDates {
            entry_into_force: eif,
            stockpile_destruction_deadline: ob.stockpile_destruction_deadline,
            clearance_deadline: clearance,
            initial_report_due: ob.initial_report_due,
            basis: core_basis(&ob.basis),
            clearance_basis: core_basis(&cbasis),
            withdrawn_on: ruling.withdrawal.as_ref().and_then(|w| w.effective),
            annual_report: annual.map(|a| (a.year, a.due, core_basis(&a.basis))),
        });
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
        clearance_deadline: bound_dates.map(|d| d.clearance_deadline),
        withdrawal_effective: ruling.withdrawal.as_ref().and_then(|w| w.effective),
        un_member: state.un_member,
    };
    Ok(Standing { row, ruling, dates })
}

fn group<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
) -> std::collections::HashMap<String, Vec<T>> {
    let mut map: std::collections::HashMap<String, Vec<T>> = std::collections::HashMap::new();
    for it in items {
        map.entry(key(&it)).or_default().push(it);
    }
    map
}

/// Every State's standing as of `as_of`, sorted by ISO3. Only the 197 States that can join the
/// Convention unless `all_entities` (territories and other entities the boundaries name).
pub async fn states<S: Store>(
    store: &S,
    as_of: NaiveDate,
    filter: Option<StatusFilter>,
    all_entities: bool,
) -> Result<Vec<StateRow>, StoreError> {
    let states: Vec<StateRecord> = load(store, Kind::States, None).await?;
    let events = group(
        load::<_, TreatyEvent>(store, Kind::Events, None).await?,
        |e| e.iso3.to_string(),
    );
    let exts = group(
        load::<_, ExtensionRequest>(store, Kind::Extensions, None).await?,
        |e| e.iso3.to_string(),
    );
    let mut out = Vec::new();
    for s in states.iter().filter(|s| all_entities || s.treaty_universe) {
        let code = s.iso3.to_string();
        let st = standing(
            s,
            events.get(&code).map(Vec::as_slice).unwrap_or(&[]),
            exts.get(&code).map(Vec::as_slice).unwrap_or(&[]),
            as_of,
        )?;
        if filter.is_none_or(|f| f.accepts(st.ruling.status)) {
            out.push(st.row);
        }
    }
    out.sort_by(|a, b| a.iso3.cmp(&b.iso3));
    Ok(out)
}

/// One State in full as of `as_of`: standing, the records dated by then, and compliance.
pub async fn state_detail<S: Store>(
    store: &S,
    iso3: &str,
    as_of: NaiveDate,
) -> Result<StateDetail, StoreError> {
    let code = iso3
        .parse::<demine_core::Iso3>()
        .map_err(|e| StoreError::NotFound {
            what: e.to_string(),
        })?
        .to_string();
    let states: Vec<StateRecord> = load(store, Kind::States, None).await?;
    let state = states
        .into_iter()
        .find(|s| s.iso3.as_str() == code)
        .ok_or_else(|| StoreError::NotFound {
            what: format!("State {code}"),
        })?;
    let c = Some(code.as_str());
    let all_events: Vec<TreatyEvent> = load(store, Kind::Events, c).await?;
    let all_ext: Vec<ExtensionRequest> = load(store, Kind::Extensions, c).await?;
    let st = standing(&state, &all_events, &all_ext, as_of)?;
    let reports: Vec<TransparencyReport> = load::<_, TransparencyReport>(store, Kind::Reports, c)
        .await?
        .into_iter()
        .filter(|r| r.received <= as_of)
        .collect();
    let stockpiles: Vec<StockpileRecord> = load::<_, StockpileRecord>(store, Kind::Stockpiles, c)
        .await?
        .into_iter()
        .filter(|r| r.date <= as_of)
        .collect();
    let events: Vec<TreatyEvent> = all_events.into_iter().filter(|e| e.date <= as_of).collect();
    let evidence = Evidence::from_records(&events, &reports, &stockpiles);
    let compliance = compliance::assess(as_of, st.dates.as_ref(), &evidence);
    let extensions = all_ext
        .into_iter()
        .filter(|x| x.submitted <= as_of)
        .map(|mut x| {
            if x.decided_on.is_some_and(|d| d > as_of) {
                // Not yet decided on the day asked about.
                x.decision = "pending".into();
                x.decided_on = None;
                x.granted_until = None;
            }
            x
        })
        .collect();
    let estimates = load::<_, Estimate>(store, Kind::Estimates, c)
        .await?
        .into_iter()
        .filter(|e| e.as_of.start() <= as_of)
        .collect();
    let mut positions: Vec<Position> = load::<_, Position>(store, Kind::Positions, c)
        .await?
        .into_iter()
        .filter(|p| p.as_of.start() <= as_of)
        .collect();
    positions.sort_by_key(|p| p.as_of.start());
    let commitments = load::<_, Commitment>(store, Kind::Commitments, c)
        .await?
        .into_iter()
        .map(|mut x| {
            if x.outcome_date.is_some_and(|d| d.start() > as_of) {
                x.outcome = None;
                x.outcome_date = None;
            }
            x
        })
        .collect();
    Ok(StateDetail {
        initial_report_due: st.dates.as_ref().map(|d| d.initial_report_due),
        withdrawal: st.ruling.withdrawal.clone(),
        basis: st.ruling.basis.clone(),
        row: st.row,
        as_of,
        events,
        extensions,
        reports,
        estimates,
        positions,
        commitments,
        stockpiles,
        compliance,
    })
}

/// Every estimate, optionally of one subject (an ISO3 code or a subject name such as `World`)
/// and one measure, known by `as_of`. Where sources disagree, all of them are returned.
pub async fn estimates<S: Store>(
    store: &S,
    subject: Option<&str>,
    measure: Option<&str>,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Estimate>, StoreError> {
    let all: Vec<Estimate> = load(store, Kind::Estimates, None).await?;
    Ok(all
        .into_iter()
        .filter(|e| {
            subject.is_none_or(|s| {
                e.subject.eq_ignore_ascii_case(s)
                    || e.iso3.is_some_and(|c| c.as_str().eq_ignore_ascii_case(s))
            })
        })
        .filter(|e| measure.is_none_or(|m| e.measure.eq_ignore_ascii_case(m)))
        .filter(|e| as_of.is_none_or(|d| e.as_of.start() <= d))
        .collect())
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
}

/// `demine summary`: the world picture on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorldSummary {
    pub as_of: NaiveDate,
    /// How many of the 197 States hold each status (`party`, `signatory`, ...).
    pub status_counts: std::collections::BTreeMap<String, usize>,
    pub states: usize,
    /// States whose withdrawal is deposited and not yet effective, or took effect.
    pub withdrawals: Vec<StateRow>,
    /// Art. 4 and Art. 5 deadlines of bound States within `horizon_days` after `as_of`.
    pub upcoming_deadlines: Vec<UpcomingDeadline>,
    pub horizon_days: i64,
    /// The world-level estimates, every source kept.
    pub world_estimates: Vec<Estimate>,
}

/// The world picture as of `as_of`, with deadlines falling in the next `horizon_days`.
pub async fn world_summary<S: Store>(
    store: &S,
    as_of: NaiveDate,
    horizon_days: i64,
) -> Result<WorldSummary, StoreError> {
    let rows = states(store, as_of, None, false).await?;
    let mut status_counts = std::collections::BTreeMap::new();
    for r in &rows {
        *status_counts.entry(r.status.clone()).or_insert(0) += 1;
    }
    let horizon = as_of + chrono::Duration::days(horizon_days);
    let mut upcoming = Vec::new();
    for r in rows.iter().filter(|r| r.status == Status::Party.as_str()) {
        let due = [
            (
                "stockpile-destruction",
                "4",
                r.stockpile_destruction_deadline,
            ),
            ("clearance", "5", r.clearance_deadline),
        ];
        for (obligation, article, deadline) in due {
            if let Some(d) = deadline.filter(|d| *d >= as_of && *d <= horizon) {
                upcoming.push(UpcomingDeadline {
                    iso3: r.iso3.clone(),
                    name: r.name.clone(),
                    obligation: obligation.into(),
                    article: article.into(),
                    deadline: d,
                });
            }
        }
    }
    upcoming.sort_by(|a, b| (a.deadline, &a.iso3).cmp(&(b.deadline, &b.iso3)));
    let withdrawals = rows
        .iter()
        .filter(|r| {
            r.status == Status::WithdrawalPending.as_str() || r.status == Status::Withdrawn.as_str()
        })
        .cloned()
        .collect();
    let world_estimates = estimates(store, Some("World"), None, Some(as_of)).await?;
    Ok(WorldSummary {
        as_of,
        states: rows.len(),
        status_counts,
        withdrawals,
        upcoming_deadlines: upcoming,
        horizon_days,
        world_estimates,
    })
}
