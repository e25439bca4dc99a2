//! Building the report model from the inputs: every sentence, table and chart, each figure
//! with its source cited; what the data lacks said in a sentence, never invented.

use chrono::{Datelike, NaiveDate};
use demine_analytics::compliance::{self, ComplianceLine};
use demine_analytics::contamination::{self, Contamination, ContaminationBasis};
use demine_analytics::cost::{self, CostView};
use demine_analytics::progress::{self, Forecast, Progress, Verdict};
use demine_analytics::registry::StateDetail;
use demine_analytics::{M2_PER_KM2, casualties, world1997};
use demine_core::records::Estimate;
use serde_json::json;

use crate::ReportError;
use crate::inputs::{Inputs, ReportKind};
use crate::model::{Block, Chart, ChartKind, Notes, Report, Section, Series, num, range, usd};

/// Years of history the forecast's trend is fitted on.
pub const FORECAST_WINDOW: usize = 5;

const CANCELLED: &str = "#8fb9d6";
const REDUCED: &str = "#f2b45a";
const CLEARED: &str = "#2f7d4f";
const INK: &str = "#1f4e79";
const RED: &str = "#b23a3a";

/// Builds the report of a kind from its inputs.
pub fn build(inputs: &Inputs, kind: &ReportKind) -> Result<Report, ReportError> {
    match kind {
        ReportKind::World => Ok(world(inputs)),
        ReportKind::Country { iso3 } => country(inputs, state(inputs, iso3)?),
        ReportKind::Article7 { iso3, year } => article7(inputs, state(inputs, iso3)?, *year),
        ReportKind::Extension { iso3 } => extension(inputs, state(inputs, iso3)?),
    }
}

fn state<'a>(inputs: &'a Inputs, iso3: &str) -> Result<&'a StateDetail, ReportError> {
    inputs
        .state
        .as_ref()
        .filter(|s| s.row.iso3.eq_ignore_ascii_case(iso3))
        .ok_or_else(|| ReportError::UnknownState {
            iso3: iso3.to_string(),
        })
}

fn p(text: impl Into<String>) -> Block {
    Block::Paragraph { text: text.into() }
}

fn h(text: impl Into<String>) -> Block {
    Block::Heading { text: text.into() }
}

fn missing(text: impl Into<String>) -> Block {
    Block::Missing { text: text.into() }
}

fn table(columns: &[&str], numeric: &[bool], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        numeric: numeric.to_vec(),
    }
}

fn section(id: &str, title: &str, blocks: Vec<Block>) -> Section {
    Section {
        id: id.into(),
        title: title.into(),
        blocks,
    }
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map_or("none".to_string(), |d| d.to_string())
}

fn km2(v: f64) -> String {
    num(v, 2)
}

/// What the State's analytics come to: shared by the State reports.
struct StateFigures {
    compliance: Vec<ComplianceLine>,
    contamination: Contamination,
    progress: Progress,
    forecast: Forecast,
    cost: CostView,
    casualties: Vec<casualties::CasualtyYear>,
}

fn state_figures(inputs: &Inputs, s: &StateDetail) -> StateFigures {
    let iso3 = s.row.iso3.as_str();
    let hz = inputs.hazards.of_state(iso3);
    let contamination = contamination::of_state(iso3, &hz.areas, &inputs.estimates);
    let progress = progress::progress(&hz.releases, &hz.devices);
    let remaining_m2 = match contamination.basis {
        ContaminationBasis::NoData => None,
        _ => contamination.high_km2.map(|k| k * M2_PER_KM2),
    };
    let forecast = progress::forecast(
        &progress.years,
        remaining_m2.unwrap_or(0.0),
        inputs.as_of,
        s.row.clearance_deadline,
        FORECAST_WINDOW,
    );
    let forecast = if remaining_m2.is_none() {
        Forecast {
            verdict: Verdict::CannotForecast {
                reason: "the remaining contamination is not known".into(),
            },
            earliest: None,
            central: None,
            latest: None,
            ..forecast
        }
    } else {
        forecast
    };
    let world: Vec<Estimate> = inputs
        .estimates
        .iter()
        .filter(|e| e.iso3.is_none())
        .cloned()
        .collect();
    let cost = cost::cost(
        iso3,
        remaining_m2.map(|m| m / M2_PER_KM2),
        &progress.years,
        &inputs.estimates,
        &world,
        &inputs.cost,
    );
    StateFigures {
        compliance: compliance::lines(&s.compliance, inputs.as_of),
        contamination,
        forecast,
        cost,
        casualties: casualties::per_year(&inputs.estimates, Some(iso3)),
        progress,
    }
}

fn status_section(s: &StateDetail, notes: &mut Notes) -> Section {
    let r = &s.row;
    let mut b = vec![p(format!(
        "{} ({}) is {} as of {}. Entry into force: {}. Art. 4 stockpile destruction deadline: {}. \
         Art. 5 clearance deadline in force: {} (the original ten-year deadline: {}).",
        r.name,
        r.iso3,
        r.status.replace('-', " "),
        s.as_of,
        opt_date(r.entry_into_force),
        opt_date(r.stockpile_destruction_deadline),
        opt_date(r.clearance_deadline),
        opt_date(s.original_clearance_deadline),
    ))];
    if let Some(w) = &s.withdrawal_notice {
        let src = w.announced_source.clone().unwrap_or_default();
        b.push(p(notes.with(format!("Withdrawal: {}.", w.status), &src)));
    }
    if s.events.is_empty() {
        b.push(missing(format!(
            "No treaty event (signature, instrument, declaration) is recorded for {} by {}.",
            r.name, s.as_of
        )));
    } else {
        b.push(h("Timeline"));
        let rows = s
            .events
            .iter()
            .map(|e| {
                vec![
                    e.date.to_string(),
                    e.event.replace('-', " "),
                    e.instrument.clone().unwrap_or_default(),
                    notes.with(e.note.clone().unwrap_or_default(), &e.source),
                ]
            })
            .collect();
        b.push(table(
            &["Date", "Event", "Instrument", "Note and source"],
            &[false, false, false, false],
            rows,
        ));
    }
    if !s.extensions.is_empty() {
        b.push(h("Art. 5 extension requests"));
        let rows = s
            .extensions
            .iter()
            .map(|x| {
                vec![
                    x.number.to_string(),
                    x.submitted.map(|d| d.to_string()).unwrap_or_default(),
                    x.decision.clone(),
                    x.granted_until.map(|d| d.to_string()).unwrap_or_default(),
                    notes.with(x.meeting.clone().unwrap_or_default(), &x.source),
                ]
            })
            .collect();
        b.push(table(
            &[
                "No.",
                "Submitted",
                "Decision",
                "Granted until",
                "Meeting and source",
            ],
            &[true, false, false, false, false],
            rows,
        ));
    }
    section("status", "Treaty status and timeline", b)
}

fn compliance_section(lines: &[ComplianceLine], notes: &mut Notes, name: &str) -> Section {
    if lines.is_empty() {
        return section(
            "compliance",
            "Obligations and compliance",
            vec![missing(format!(
                "{name} owes no obligation under the Convention on this date (not bound, or \
                 withdrawn)."
            ))],
        );
    }
    let rows = lines
        .iter()
        .map(|l| {
            let days = match (l.days_to_deadline, l.days_late) {
                (Some(d), _) => format!("{d} days to go"),
                (_, Some(d)) => format!("{d} days late"),
                _ => String::new(),
            };
            let basis = l
                .basis
                .iter()
                .map(|b| format!("Art. {}: {}", b.article, b.reason))
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                l.obligation.replace('-', " "),
                l.status.as_str().to_string(),
                opt_date(l.deadline),
                days,
                l.met_on.map(|d| d.to_string()).unwrap_or_default(),
                notes.with(basis, l.source.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    section(
        "compliance",
        "Obligations and compliance",
        vec![
            p(
                "Overdue only where a record says the deadline was missed; unknown where the \
               deadline has passed and no record decides either way.",
            ),
            table(
                &[
                    "Obligation",
                    "Status",
                    "Deadline",
                    "Days",
                    "Met on",
                    "Basis and source",
                ],
                &[false, false, false, true, false, false],
                rows,
            ),
        ],
    )
}

fn breakdown(title: &str, m: &std::collections::BTreeMap<String, f64>, limit: usize) -> Vec<Block> {
    if m.is_empty() {
        return vec![];
    }
    let mut v: Vec<(&String, &f64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let mut rows: Vec<Vec<String>> = v
        .iter()
        .take(limit)
        .map(|(k, x)| vec![k.to_string(), km2(**x)])
        .collect();
    if v.len() > limit {
        let rest: f64 = v.iter().skip(limit).map(|x| *x.1).sum();
        rows.push(vec![format!("{} others", v.len() - limit), km2(rest)]);
    }
    vec![
        h(title),
        table(&["Group", "Remaining km2"], &[false, true], rows),
    ]
}

fn contamination_section(c: &Contamination, name: &str, notes: &mut Notes) -> Section {
    let mut b = Vec::new();
    match c.basis {
        ContaminationBasis::HazardData => {
            b.push(p(format!(
                "From the hazard data held: {} km2 still counts as hazardous in {} area(s); the \
                 Landmine Monitor's band: {}.",
                km2(c.low_km2.unwrap_or(0.0)),
                num(c.hazard_areas as f64, 0),
                c.band.clone().unwrap_or_else(|| "unknown".into())
            )));
            b.extend(breakdown(
                "By survey type (SHA / CHA)",
                &c.by_hazard_type,
                10,
            ));
            b.extend(breakdown(
                "By device category (an area listing several counts under each)",
                &c.by_device,
                12,
            ));
            if c.by_admin_area.keys().all(|k| k == "unrecorded") {
                b.push(missing(
                    "No admin area is recorded for these areas (or the reader's access level \
                     withholds them), so there is no breakdown by region.",
                ));
            } else {
                b.extend(breakdown(
                    "By admin area (largest first)",
                    &c.by_admin_area,
                    15,
                ));
            }
        }
        ContaminationBasis::RecordEstimate => {
            b.push(p(notes.with(
                format!(
                    "No hazard data is held for {name}: the record's estimate ({}) is {} km2, \
                     band {}. It cannot be broken down by survey type, device or region.",
                    c.as_of.map(|d| d.to_string()).unwrap_or_default(),
                    range(c.low_km2.unwrap_or(0.0), c.high_km2.unwrap_or(0.0), 2),
                    c.band.clone().unwrap_or_else(|| "unknown".into())
                ),
                c.source.as_deref().unwrap_or(""),
            )));
        }
        ContaminationBasis::NoData => b.push(missing(format!(
            "Neither hazard data nor a contamination estimate is held for {name}: its \
             contamination is unknown (not zero)."
        ))),
    }
    b.push(p(
        "Bands: massive over 100 km2, large 20-99 km2, medium 5-19 km2, small under 5 km2.",
    ));
    section("contamination", "Contamination", b)
}

fn release_chart(prog: &Progress, title: &str) -> Chart {
    // Every year from the first to the last: a year without any activity held released nothing
    // in the hazard data.
    let first = prog.years.first().map_or(0, |y| y.year);
    let last = prog.years.last().map_or(0, |y| y.year);
    let full: Vec<progress::YearProgress> = (first..=last)
        .map(|y| {
            prog.years
                .iter()
                .find(|p| p.year == y)
                .cloned()
                .unwrap_or(progress::YearProgress {
                    year: y,
                    ..Default::default()
                })
        })
        .collect();
    let prog = &Progress {
        years: full,
        ..Default::default()
    };
    Chart {
        title: title.into(),
        kind: ChartKind::StackedBars,
        x: prog.years.iter().map(|y| y.year.to_string()).collect(),
        unit: "km2".into(),
        series: vec![
            Series {
                name: "Cancelled (non-technical survey)".into(),
                color: CANCELLED.into(),
                values: prog
                    .years
                    .iter()
                    .map(|y| Some(y.cancelled_m2 / M2_PER_KM2))
                    .collect(),
                dashed: false,
            },
            Series {
                name: "Reduced (technical survey)".into(),
                color: REDUCED.into(),
                values: prog
                    .years
                    .iter()
                    .map(|y| Some(y.reduced_m2 / M2_PER_KM2))
                    .collect(),
                dashed: false,
            },
            Series {
                name: "Cleared".into(),
                color: CLEARED.into(),
                values: prog
                    .years
                    .iter()
                    .map(|y| Some(y.cleared_m2 / M2_PER_KM2))
                    .collect(),
                dashed: false,
            },
        ],
        marker: None,
    }
}

fn release_rows(prog: &Progress) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = prog
        .years
        .iter()
        .map(|y| {
            vec![
                y.year.to_string(),
                km2(y.cancelled_m2 / M2_PER_KM2),
                km2(y.reduced_m2 / M2_PER_KM2),
                km2(y.cleared_m2 / M2_PER_KM2),
                km2(y.released_m2() / M2_PER_KM2),
                num(y.activities as f64, 0),
                num(y.devices_destroyed as f64, 0),
            ]
        })
        .collect();
    let u = &prog.undated;
    if u.activities > 0 || u.devices_found > 0 {
        rows.push(vec![
            "undated".into(),
            km2(u.cancelled_m2 / M2_PER_KM2),
            km2(u.reduced_m2 / M2_PER_KM2),
            km2(u.cleared_m2 / M2_PER_KM2),
            km2(u.released_m2() / M2_PER_KM2),
            num(u.activities as f64, 0),
            num(u.devices_destroyed as f64, 0),
        ]);
    }
    rows
}

const RELEASE_COLUMNS: [&str; 7] = [
    "Year",
    "Cancelled km2",
    "Reduced km2",
    "Cleared km2",
    "Released km2",
    "Activities",
    "Devices destroyed",
];
const RELEASE_NUMERIC: [bool; 7] = [false, true, true, true, true, true, true];

fn release_section(
    prog: &Progress,
    estimates: &[Estimate],
    iso3: &str,
    notes: &mut Notes,
) -> Section {
    let mut b = Vec::new();
    if prog.years.is_empty() && prog.undated.activities == 0 {
        let recorded: Vec<&Estimate> = estimates
            .iter()
            .filter(|e| {
                e.measure.starts_with("land_released_")
                    && e.iso3.is_some_and(|c| c.as_str() == iso3)
            })
            .collect();
        if recorded.is_empty() {
            b.push(missing(
                "No land release activity is held in the hazard data, and the record holds no \
                 land release figure for this State: progress is unknown.",
            ));
        } else {
            b.push(p(
                "No land release activity is held in the hazard data; the record's figures:",
            ));
            let rows = recorded
                .iter()
                .map(|e| {
                    vec![
                        e.as_of.to_string(),
                        e.measure
                            .trim_start_matches("land_released_")
                            .replace('_', " "),
                        notes.with(range(e.low, e.high, 2), &e.source),
                    ]
                })
                .collect();
            b.push(table(
                &["Year", "Method", "Figure and source"],
                &[false, false, true],
                rows,
            ));
        }
    } else {
        b.push(p(
            "From the land release activities held: each activity counts in the year it ended \
             (or started, without an end), with the land it released (overlaps counted once).",
        ));
        if !prog.years.is_empty() {
            b.push(Block::Chart(release_chart(
                prog,
                "Land released per year by method",
            )));
        }
        b.push(table(
            &RELEASE_COLUMNS,
            &RELEASE_NUMERIC,
            release_rows(prog),
        ));
        if !prog.destroyed_by_category.is_empty() {
            let rows = prog
                .destroyed_by_category
                .iter()
                .map(|(k, v)| vec![k.clone(), num(*v as f64, 0)])
                .collect();
            b.push(h("Devices destroyed by category"));
            b.push(table(&["Category", "Destroyed"], &[false, true], rows));
        }
    }
    section("release", "Land release progress", b)
}

fn forecast_chart(prog: &Progress, f: &Forecast, as_of: NaiveDate) -> Option<Chart> {
    let first = prog.years.first()?.year;
    let now = as_of.year();
    let end_year = [f.central, f.latest, f.deadline]
        .iter()
        .flatten()
        .map(|d| d.year())
        .max()
        .unwrap_or(now)
        .clamp(now, now + 30);
    let years: Vec<i32> = (first..=end_year.max(now)).collect();
    // Remaining at the end of year y: what remains now plus what was released after y.
    let mut history = Vec::new();
    for y in &years {
        if *y >= now {
            history.push(if *y == now {
                Some(f.remaining_km2)
            } else {
                None
            });
            continue;
        }
        let after: f64 = prog
            .years
            .iter()
            .filter(|p| p.year > *y)
            .map(|p| p.released_m2())
            .sum::<f64>()
            / M2_PER_KM2;
        history.push(Some(f.remaining_km2 + after));
    }
    let proj = |rate: Option<f64>| -> Vec<Option<f64>> {
        years
            .iter()
            .map(|y| {
                let r = rate?;
                if *y < now || r <= 0.0 {
                    return None;
                }
                Some((f.remaining_km2 - r * f64::from(*y - now)).max(0.0))
            })
            .collect()
    };
    let marker = f.deadline.and_then(|d| {
        let idx = years.iter().position(|y| *y == d.year())?;
        Some((
            idx as f64 + f64::from(d.ordinal0()) / 365.0,
            format!("Art. 5 deadline {d}"),
        ))
    });
    Some(Chart {
        title: "Remaining km2: record and projection at the trend, fast and slow rates".into(),
        kind: ChartKind::Lines,
        x: years.iter().map(|y| y.to_string()).collect(),
        unit: "km2".into(),
        series: vec![
            Series {
                name: "Remaining (record)".into(),
                color: INK.into(),
                values: history,
                dashed: false,
            },
            Series {
                name: "Trend rate".into(),
                color: CLEARED.into(),
                values: proj(f.trend_rate_km2),
                dashed: true,
            },
            Series {
                name: "Fast rate".into(),
                color: CANCELLED.into(),
                values: proj(f.fast_rate_km2),
                dashed: true,
            },
            Series {
                name: "Slow rate".into(),
                color: REDUCED.into(),
                values: proj(f.slow_rate_km2),
                dashed: true,
            },
        ],
        marker,
    })
}

fn forecast_section(prog: &Progress, f: &Forecast, as_of: NaiveDate) -> Section {
    let mut b = Vec::new();
    b.push(p(format!(
        "Method: {}; window {} years.",
        f.method, FORECAST_WINDOW
    )));
    let verdict = match &f.verdict {
        Verdict::Complete => "Nothing remains in the hazard data: complete.".to_string(),
        Verdict::OnTrack { margin_days } => {
            format!("On track: the central date falls {margin_days} days before the deadline.")
        }
        Verdict::Late { days } => format!(
            "Late: at the trend rate the work ends {days} days (about {:.1} years) after the \
             deadline in force.",
            *days as f64 / 365.25
        ),
        Verdict::NotAtTrend => {
            "At the trend rate (at or below zero) the work does not end.".to_string()
        }
        Verdict::NoDeadline => "No Art. 5 deadline is in force to compare with.".to_string(),
        Verdict::CannotForecast { reason } => format!("No forecast: {reason}."),
    };
    if matches!(f.verdict, Verdict::CannotForecast { .. }) {
        b.push(missing(verdict));
        return section("forecast", "Completion forecast", b);
    }
    b.push(p(format!(
        "Remaining {} km2. Rates over {}: {} km2 a year. Trend rate {} km2/yr, spread {} km2/yr \
         (fast {}, slow {}). Completion: earliest {}, central {}, latest {}. Deadline in force: \
         {}. {verdict}",
        km2(f.remaining_km2),
        f.years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        f.rates_km2
            .iter()
            .map(|r| km2(*r))
            .collect::<Vec<_>>()
            .join(", "),
        km2(f.trend_rate_km2.unwrap_or(0.0)),
        km2(f.spread_km2.unwrap_or(0.0)),
        km2(f.fast_rate_km2.unwrap_or(0.0)),
        km2(f.slow_rate_km2.unwrap_or(0.0)),
        opt_date(f.earliest),
        f.central
            .map_or("never at the trend".into(), |d| d.to_string()),
        f.latest
            .map_or("never at the slow rate".into(), |d| d.to_string()),
        opt_date(f.deadline),
    )));
    if let Some(c) = forecast_chart(prog, f, as_of) {
        b.push(Block::Chart(c));
    }
    section("forecast", "Completion forecast", b)
}

fn casualty_blocks(list: &[casualties::CasualtyYear], who: &str, notes: &mut Notes) -> Vec<Block> {
    if list.is_empty() {
        return vec![missing(format!(
            "The record holds no casualty figure for {who}: casualties are unknown, not zero."
        ))];
    }
    let pct =
        |v: Option<f64>| v.map_or("unknown".to_string(), |s| format!("{}%", num(s * 100.0, 0)));
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|y| {
            vec![
                y.year.to_string(),
                y.total.map_or("unknown".into(), |(l, h)| range(l, h, 0)),
                y.killed.map_or("unknown".into(), |v| num(v, 0)),
                y.injured.map_or("unknown".into(), |v| num(v, 0)),
                pct(y.civilian_share),
                pct(y.child_share),
                pct(y.female_share),
                notes.with(y.device_category.clone(), &y.sources.join(";")),
            ]
        })
        .collect();
    let mut b = Vec::new();
    let with_total: Vec<&casualties::CasualtyYear> =
        list.iter().filter(|y| y.total.is_some()).collect();
    if with_total.len() >= 2 {
        let first = with_total.first().map_or(0, |y| y.year);
        let last = with_total.last().map_or(0, |y| y.year);
        let years: Vec<i32> = (first..=last).collect();
        b.push(Block::Chart(Chart {
            title: "Casualties recorded per year (highest figure where sources differ; years \
                    without a figure are blank)"
                .into(),
            kind: ChartKind::StackedBars,
            x: years.iter().map(|y| y.to_string()).collect(),
            unit: "people".into(),
            series: vec![Series {
                name: "Casualties".into(),
                color: RED.into(),
                values: years
                    .iter()
                    .map(|y| {
                        with_total
                            .iter()
                            .find(|c| c.year == *y)
                            .and_then(|c| c.total.map(|t| t.1))
                    })
                    .collect(),
                dashed: false,
            }],
            marker: None,
        }));
    }
    b.push(table(
        &[
            "Year",
            "Total",
            "Killed",
            "Injured",
            "Civilian",
            "Child",
            "Female",
            "Device and source",
        ],
        &[false, true, true, true, true, true, true, false],
        rows,
    ));
    b.push(p(
        "Years without a figure are not shown; a share the record does not give reads unknown. \
         The record's estimates do not break casualties down by device category.",
    ));
    b
}

fn stockpile_section(s: &StateDetail, notes: &mut Notes) -> Section {
    let mut b = Vec::new();
    if s.stockpiles.is_empty() {
        b.push(missing(format!(
            "The record holds no stockpile, destruction or retention figure for {}.",
            s.row.name
        )));
    } else {
        let rows = s
            .stockpiles
            .iter()
            .map(|x| {
                vec![
                    x.date.to_string(),
                    x.record.replace('-', " "),
                    x.device_type.clone(),
                    x.quantity.map_or("not given".into(), |q| num(q as f64, 0)),
                    notes.with(x.note.clone().unwrap_or_default(), &x.source),
                ]
            })
            .collect();
        b.push(table(
            &["Date", "Record", "Type", "Quantity", "Note and source"],
            &[false, false, false, true, false],
            rows,
        ));
    }
    section(
        "stockpiles",
        "Stockpiles, destruction and retained mines",
        b,
    )
}

fn cost_blocks(c: &CostView, notes: &mut Notes) -> Vec<Block> {
    let mut b = Vec::new();
    let mut lines = Vec::new();
    if let Some(r) = &c.per_m2 {
        lines.push(notes.with(
            format!("Cost per m2: {} ({}).", usd(r.usd), r.basis),
            r.source.as_deref().unwrap_or(""),
        ));
    }
    if let Some(t) = c.cost_to_finish_usd {
        lines.push(format!(
            "Cost to finish the {} km2 remaining: {}.",
            km2(c.remaining_km2.unwrap_or(0.0)),
            usd(t)
        ));
    }
    lines.push(notes.with(
        format!(
            "Cost per mine: {} ({}).",
            usd(c.per_mine.usd),
            c.per_mine.basis
        ),
        c.per_mine.source.as_deref().unwrap_or(""),
    ));
    if let (Some((l, h, src)), Some((cl, ch))) = (&c.mines, c.cost_by_mines_usd) {
        lines.push(notes.with(
            format!(
                "Mines emplaced (estimate): {}; at that cost per mine: {} to {}.",
                range(*l, *h, 0),
                usd(cl),
                usd(ch)
            ),
            src,
        ));
    }
    if let Some((y, f, src)) = &c.annual_funding_usd {
        lines.push(notes.with(format!("Funding in {y}: {}.", usd(*f)), src));
    }
    if let Some(y) = c.years_to_finish {
        lines.push(format!("Years to finish at that funding: {}.", num(y, 1)));
    }
    b.push(p(lines.join(" ")));
    for m in &c.missing {
        b.push(missing(format!("Not computed: {m}.")));
    }
    b
}

/// A State's Monitor-style profile.
fn country(inputs: &Inputs, s: &StateDetail) -> Result<Report, ReportError> {
    let mut notes = Notes::new(&inputs.sources);
    let f = state_figures(inputs, s);
    let name = s.row.name.clone();
    let mut sections = vec![
        status_section(s, &mut notes),
        compliance_section(&f.compliance, &mut notes, &name),
        contamination_section(&f.contamination, &name, &mut notes),
        release_section(&f.progress, &inputs.estimates, &s.row.iso3, &mut notes),
        forecast_section(&f.progress, &f.forecast, inputs.as_of),
        section(
            "casualties",
            "Casualties",
            casualty_blocks(&f.casualties, &name, &mut notes),
        ),
        stockpile_section(s, &mut notes),
        section(
            "funding",
            "Funding and cost",
            cost_blocks(&f.cost, &mut notes),
        ),
    ];
    sections.retain(|s| !s.blocks.is_empty());
    Ok(Report {
        kind: "country".into(),
        title: format!("{name}: mine action profile"),
        subtitle: format!(
            "As of {}. Computed by demine from the record and the hazard data.",
            inputs.as_of
        ),
        as_of: inputs.as_of,
        sections,
        footnotes: notes.finish(),
        figures: json!({
            "iso3": s.row.iso3,
            "status": s.row.status,
            "compliance": f.compliance,
            "contamination": f.contamination,
            "progress": f.progress,
            "forecast": f.forecast,
            "cost": f.cost,
            "casualties": f.casualties,
        }),
    })
}

/// The world report.
fn world(inputs: &Inputs) -> Report {
    let mut notes = Notes::new(&inputs.sources);
    let as_of = inputs.as_of;
    let mut sections = Vec::new();
    // Status.
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in &inputs.states {
        *counts.entry(s.status.as_str()).or_insert(0) += 1;
    }
    let rows = counts
        .iter()
        .map(|(k, v)| vec![k.replace('-', " "), v.to_string()])
        .collect();
    sections.push(section(
        "status",
        "Treaty status",
        vec![
            p(format!(
                "{} States in the treaty universe as of {as_of}, by their status under the \
                 Convention (computed by the treaty engine from the recorded events).",
                inputs.states.len()
            )),
            table(&["Status", "States"], &[false, true], rows),
        ],
    ));
    // Compliance.
    let counts = compliance::counts(&inputs.states);
    let statuses = [
        "met",
        "met-late",
        "pending",
        "overdue",
        "unknown",
        "not-applicable",
    ];
    let rows = counts
        .iter()
        .map(|(ob, m)| {
            let mut r = vec![ob.replace('-', " ")];
            r.extend(
                statuses
                    .iter()
                    .map(|s| m.get(*s).copied().unwrap_or(0).to_string()),
            );
            r
        })
        .collect();
    let late = compliance::world_late(&inputs.states, as_of);
    let mut b = vec![table(
        &[
            "Obligation",
            "Met",
            "Met late",
            "Pending",
            "Overdue",
            "Unknown",
            "N/a",
        ],
        &[false, true, true, true, true, true, true],
        rows,
    )];
    b.push(h("Who is late, on what, since when"));
    let (overdue, unknown): (Vec<_>, Vec<_>) = late
        .iter()
        .partition(|l| l.status == demine_core::compliance::ComplianceStatus::Overdue);
    if overdue.is_empty() {
        b.push(missing(
            "No record says any State missed a deadline that is still unmet.",
        ));
    } else {
        let rows = overdue
            .iter()
            .map(|l| {
                vec![
                    format!("{} ({})", l.name, l.iso3),
                    l.obligation.replace('-', " "),
                    l.since.to_string(),
                    num(l.days_late as f64, 0),
                    notes.cite(l.source.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        b.push(table(
            &["State", "Obligation", "Late since", "Days late", "Source"],
            &[false, false, false, true, false],
            rows,
        ));
    }
    if !unknown.is_empty() {
        let mut by_ob: std::collections::BTreeMap<String, Vec<&compliance::LateEntry>> =
            Default::default();
        for l in &unknown {
            by_ob
                .entry(l.obligation.replace('-', " "))
                .or_default()
                .push(l);
        }
        b.push(p(format!(
            "Deadline passed and no record either way ({} obligations): unknown, not overdue.",
            unknown.len()
        )));
        let rows = by_ob
            .iter()
            .map(|(ob, ls)| {
                vec![
                    ob.clone(),
                    ls.len().to_string(),
                    ls.iter()
                        .map(|l| l.since)
                        .min()
                        .map_or(String::new(), |d| d.to_string()),
                    ls.iter()
                        .map(|l| l.iso3.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect();
        b.push(table(
            &["Obligation", "States", "Earliest since", "Which (ISO3)"],
            &[false, true, false, false],
            rows,
        ));
    }
    sections.push(section("compliance", "Obligations and compliance", b));
    // Contamination.
    let cont = contamination::world(&inputs.hazards.areas, &inputs.estimates);
    let mut b = Vec::new();
    if cont.is_empty() {
        b.push(missing(
            "Neither hazard data nor contamination estimates are held.",
        ));
    } else {
        let mut bands: std::collections::BTreeMap<String, usize> = Default::default();
        let rows = cont
            .iter()
            .map(|c| {
                *bands
                    .entry(c.band.clone().unwrap_or_else(|| "unknown".into()))
                    .or_insert(0) += 1;
                let name = inputs
                    .states
                    .iter()
                    .find(|s| s.iso3 == c.iso3)
                    .map_or(c.iso3.clone(), |s| s.name.clone());
                vec![
                    format!("{name} ({})", c.iso3),
                    match c.basis {
                        ContaminationBasis::HazardData => "hazard data".into(),
                        ContaminationBasis::RecordEstimate => {
                            format!(
                                "estimate {}",
                                c.as_of.map(|d| d.to_string()).unwrap_or_default()
                            )
                        }
                        ContaminationBasis::NoData => "no data".into(),
                    },
                    notes.with(
                        range(c.low_km2.unwrap_or(0.0), c.high_km2.unwrap_or(0.0), 2),
                        c.source.as_deref().unwrap_or(""),
                    ),
                    c.band.clone().unwrap_or_else(|| "unknown".into()),
                ]
            })
            .collect();
        b.push(p(format!(
            "{} States with hazard data or a contamination estimate. By band: {}.",
            cont.len(),
            bands
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
        b.push(table(
            &["State", "Basis", "Remaining km2", "Band"],
            &[false, false, true, false],
            rows,
        ));
    }
    sections.push(section("contamination", "Contamination", b));
    // Release.
    let prog = progress::progress(&inputs.hazards.releases, &inputs.hazards.devices);
    let mut b = Vec::new();
    if prog.years.is_empty() && prog.undated.activities == 0 {
        b.push(missing(
            "No land release activity is held in the hazard data.",
        ));
    } else {
        b.push(p(format!(
            "All States' land release activities held ({} States).",
            inputs.hazards.states().len()
        )));
        if !prog.years.is_empty() {
            b.push(Block::Chart(release_chart(
                &prog,
                "Land released per year by method, all States",
            )));
        }
        b.push(table(
            &RELEASE_COLUMNS,
            &RELEASE_NUMERIC,
            release_rows(&prog),
        ));
    }
    sections.push(section("release", "Land release progress", b));
    // Casualties and world figures.
    let cas = casualties::per_year(&inputs.estimates, Some("World"));
    sections.push(section(
        "casualties",
        "Casualties",
        casualty_blocks(&cas, "the world", &mut notes),
    ));
    let funding: Vec<&Estimate> = inputs
        .estimates
        .iter()
        .filter(|e| e.iso3.is_none() && e.measure.starts_with("funding_"))
        .collect();
    let b = if funding.is_empty() {
        vec![missing(
            "The record holds no world funding figure by this date.",
        )]
    } else {
        let mut funding = funding;
        funding.sort_by(|a, b| (a.as_of.start(), &a.measure).cmp(&(b.as_of.start(), &b.measure)));
        let first = funding.first().map_or(0, |e| e.as_of.year());
        let last = funding.last().map_or(0, |e| e.as_of.year());
        let years: Vec<i32> = (first..=last).collect();
        let series = |m: &str, name: &str, color: &str| Series {
            name: name.into(),
            color: color.into(),
            values: years
                .iter()
                .map(|y| {
                    funding
                        .iter()
                        .find(|e| e.as_of.year() == *y && e.measure == m)
                        .map(|e| e.high / 1e6)
                })
                .collect(),
            dashed: false,
        };
        let chart = Chart {
            title: "Mine action funding per year (years without a figure are blank)".into(),
            kind: ChartKind::StackedBars,
            x: years.iter().map(|y| y.to_string()).collect(),
            unit: "USD million".into(),
            series: vec![
                series("funding_international_usd", "International", INK),
                series(
                    "funding_national_usd",
                    "National (affected States)",
                    REDUCED,
                ),
            ],
            marker: None,
        };
        let rows = funding
            .iter()
            .map(|e| {
                vec![
                    e.as_of.to_string(),
                    e.measure.trim_start_matches("funding_").replace('_', " "),
                    notes.with(usd(e.high), &e.source),
                ]
            })
            .collect();
        vec![
            Block::Chart(chart),
            table(
                &["Year", "Funding", "Amount and source"],
                &[false, false, true],
                rows,
            ),
        ]
    };
    sections.push(section("funding", "Funding", b));
    sections.push(world_1997_section(inputs, &mut notes));
    Report {
        kind: "world".into(),
        title: "The Mine Ban Treaty and mine action: the world".into(),
        subtitle: format!("As of {as_of}. Computed by demine from the record and the hazard data."),
        as_of,
        sections,
        footnotes: notes.finish(),
        figures: json!({
            "compliance_counts": counts,
            "late": late,
            "contamination": cont,
            "progress": prog,
            "casualties": cas,
            "world_1997": world1997::world_1997(&inputs.estimates, &inputs.positions, &inputs.signed_1997),
        }),
    }
}

fn world_1997_section(inputs: &Inputs, notes: &mut Notes) -> Section {
    let w = world1997::world_1997(&inputs.estimates, &inputs.positions, &inputs.signed_1997);
    let mut b = Vec::new();
    if w.world_mines.is_empty() {
        b.push(missing(
            "The record holds no 1997 world estimate of mines emplaced (the date asked about may \
             precede it).",
        ));
        return section("world-1997", "The world on 3 December 1997", b);
    }
    let mut s = String::from("Mines in the ground: ");
    let parts: Vec<String> = w
        .world_mines
        .iter()
        .map(|m| {
            notes.with(
                format!(
                    "{} {}{}",
                    range(m.low, m.high, 0),
                    m.unit,
                    m.note
                        .as_ref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                ),
                &m.source,
            )
        })
        .collect();
    s.push_str(&parts.join("; against "));
    s.push('.');
    if let Some(a) = &w.affected_states {
        s.push_str(&format!(
            " {}",
            notes.with(
                format!("Mine-affected nations: {}.", num(a.high, 0)),
                &a.source
            )
        ));
    }
    if let Some(c) = &w.cost_per_mine {
        s.push_str(&format!(
            " {}",
            notes.with(
                format!("Cost of clearing a mine: {}.", usd(c.high)),
                &c.source
            )
        ));
        let bills: Vec<String> = w
            .clearance_bill_usd
            .iter()
            .map(|(l, h)| {
                if (l - h).abs() < 1.0 {
                    usd(*l)
                } else {
                    format!("{} to {}", usd(*l), usd(*h))
                }
            })
            .collect();
        s.push_str(&format!(
            " At that price clearing every mine would cost {} (computed: each estimate × the cost \
             per mine).",
            bills.join(", or ")
        ));
    }
    if let Some(c) = &w.casualties_per_year {
        s.push_str(&format!(
            " {}",
            notes.with(format!("Casualties: {} a year.", num(c.high, 0)), &c.source)
        ));
    }
    b.push(p(s));
    if !w.most_mined.is_empty() {
        let rows = w
            .most_mined
            .iter()
            .map(|m| {
                vec![
                    m.subject.clone(),
                    notes.with(range(m.low, m.high, 0), &m.source),
                ]
            })
            .collect();
        b.push(h("Most mined States (1997 estimates)"));
        b.push(table(&["State", "Mines and source"], &[false, true], rows));
    }
    b.push(p(format!(
        "{} States had signed by the close of the Ottawa conference on 4 December 1997 (from \
         the treaty events recorded).",
        w.signed.len()
    )));
    if !w.positions.is_empty() {
        let rows = w
            .positions
            .iter()
            .map(|x| {
                vec![
                    x.state.clone().unwrap_or_else(|| x.iso3.to_string()),
                    x.position.clone(),
                    notes.with(x.note.clone().unwrap_or_default(), &x.source),
                ]
            })
            .collect();
        b.push(h("Who led, who refused, and why"));
        b.push(table(
            &["State", "Position", "Why, and source"],
            &[false, false, false],
            rows,
        ));
    }
    section("world-1997", "The world on 3 December 1997", b)
}

/// The Art. 7 form of a year: forms A to J of the Convention's reporting format.
fn article7(inputs: &Inputs, s: &StateDetail, year: i32) -> Result<Report, ReportError> {
    let mut notes = Notes::new(&inputs.sources);
    let f = state_figures(inputs, s);
    let name = s.row.name.clone();
    let in_year = |d: demine_core::PartialDate| d.year() <= year;
    let mut sections = Vec::new();
    sections.push(section(
        "form-a",
        "Form A: National implementation measures (Art. 9)",
        vec![missing(format!(
            "The record holds no national implementation measure (law, regulation) of {name}: \
             to be completed by the State."
        ))],
    ));
    let declared: Vec<_> = s
        .stockpiles
        .iter()
        .filter(|x| x.record == "declared" && in_year(x.date))
        .collect();
    let b = if declared.is_empty() {
        vec![missing(format!(
            "No stockpile declaration of {name} is recorded by {year}; types, quantities and lot \
             numbers are to be completed by the State."
        ))]
    } else {
        let rows = declared
            .iter()
            .map(|x| {
                vec![
                    x.date.to_string(),
                    x.device_type.clone(),
                    x.quantity.map_or("not given".into(), |q| num(q as f64, 0)),
                    notes.with("not recorded", &x.source),
                ]
            })
            .collect();
        vec![
            table(
                &["Date", "Type", "Quantity", "Lot numbers and source"],
                &[false, false, true, false],
                rows,
            ),
            missing("Lot numbers are not held in the record."),
        ]
    };
    sections.push(section(
        "form-b",
        "Form B: Stockpiled anti-personnel mines (Art. 7.1.b)",
        b,
    ));
    let mut b = Vec::new();
    match f.contamination.basis {
        ContaminationBasis::HazardData => {
            let c = &f.contamination;
            b.push(p(format!(
                "Areas known or suspected to contain anti-personnel mines, from the hazard data \
                 as of {}: {} areas, {} km2.",
                inputs.as_of,
                num(c.hazard_areas as f64, 0),
                km2(c.low_km2.unwrap_or(0.0))
            )));
            b.extend(breakdown(
                "Suspected (SHA) and confirmed (CHA)",
                &c.by_hazard_type,
                10,
            ));
            b.extend(breakdown("Types of device", &c.by_device, 12));
            b.extend(breakdown("Location (admin area)", &c.by_admin_area, 20));
            b.push(missing(
                "Quantities of mines in each area are not held (the hazard data records areas \
                 and device categories, not counts).",
            ));
        }
        _ => b.push(missing(format!(
            "No hazard data is held for {name}: the location of mined areas, the types and \
             quantities of mines are to be completed by the State."
        ))),
    }
    sections.push(section("form-c", "Form C: Mined areas (Art. 7.1.c)", b));
    let retained: Vec<_> = s
        .stockpiles
        .iter()
        .filter(|x| x.record.contains("retain") && in_year(x.date))
        .collect();
    let b = if retained.is_empty() {
        vec![missing(format!(
            "No mine retained or transferred under Art. 3 is recorded for {name} by {year}."
        ))]
    } else {
        let rows = retained
            .iter()
            .map(|x| {
                vec![
                    x.date.to_string(),
                    x.device_type.clone(),
                    x.quantity.map_or("not given".into(), |q| num(q as f64, 0)),
                    notes.with(
                        x.note.clone().unwrap_or_else(|| "not recorded".into()),
                        &x.source,
                    ),
                ]
            })
            .collect();
        vec![
            table(
                &["Date", "Type", "Quantity", "Institution, purpose, source"],
                &[false, false, true, false],
                rows,
            ),
            missing(
                "The institutions authorised and the purposes are given only where the note says so.",
            ),
        ]
    };
    sections.push(section(
        "form-d",
        "Form D: Mines retained or transferred (Art. 3)",
        b,
    ));
    sections.push(section(
        "form-e",
        "Form E: Conversion or decommissioning of production facilities",
        vec![missing(
            "The record holds no production facility: to be completed by the State.",
        )],
    ));
    let destroyed: Vec<_> = s
        .stockpiles
        .iter()
        .filter(|x| x.record.contains("destruction") && in_year(x.date))
        .collect();
    let mut b = Vec::new();
    if destroyed.is_empty() {
        b.push(missing(format!(
            "No stockpile destruction programme of {name} is recorded by {year}."
        )));
    } else {
        let rows = destroyed
            .iter()
            .map(|x| {
                vec![
                    x.date.to_string(),
                    x.record.replace('-', " "),
                    x.quantity.map_or("not given".into(), |q| num(q as f64, 0)),
                    notes.with(x.note.clone().unwrap_or_default(), &x.source),
                ]
            })
            .collect();
        b.push(table(
            &["Date", "Record", "Quantity", "Note and source"],
            &[false, false, true, false],
            rows,
        ));
    }
    b.push(missing(
        "Methods, sites and safety and environmental standards are not held in the record.",
    ));
    sections.push(section(
        "form-f",
        "Form F: Destruction programmes (Art. 7.1.f)",
        b,
    ));
    let py = f.progress.years.iter().find(|y| y.year == year);
    let mut b = Vec::new();
    match py {
        Some(y) => b.push(p(format!(
            "Destroyed in clearance in {year} (hazard data): {} devices found, {} destroyed; \
             {} km2 released.",
            num(y.devices_found as f64, 0),
            num(y.devices_destroyed as f64, 0),
            km2(y.released_m2() / M2_PER_KM2)
        ))),
        None => b.push(missing(format!(
            "No land release activity in {year} is held in the hazard data for {name}."
        ))),
    }
    sections.push(section(
        "form-g",
        "Form G: Mines destroyed after entry into force",
        b,
    ));
    let cats = &f.contamination.by_device;
    sections.push(section(
        "form-h",
        "Form H: Technical characteristics of each type",
        vec![if cats.is_empty() {
            missing("No device category is recorded: the types and their characteristics are to be completed by the State.")
        } else {
            missing(format!(
                "Device categories recorded: {}. Their technical characteristics (dimensions, \
                 fuzing, explosive and metallic content) are not held in the record.",
                cats.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        }],
    ));
    sections.push(section(
        "form-i",
        "Form I: Measures to warn the population",
        vec![missing(
            "The record holds no warning or marking measure: to be completed by the State.",
        )],
    ));
    let mut b = casualty_blocks(&f.casualties, &name, &mut notes);
    b.extend(cost_blocks(&f.cost, &mut notes));
    sections.push(section(
        "form-j",
        "Form J: Other relevant matters (voluntary): victim assistance and cooperation",
        b,
    ));
    Ok(Report {
        kind: "article7".into(),
        title: format!("{name}: Article 7 transparency report for {year} (draft)"),
        subtitle: format!(
            "Calendar year {year}, as the record stands on {}. A draft from the data held: what \
             the data lacks is marked as missing, for the State to complete.",
            inputs.as_of
        ),
        as_of: inputs.as_of,
        sections,
        footnotes: notes.finish(),
        figures: json!({
            "iso3": s.row.iso3, "year": year,
            "contamination": f.contamination, "progress": f.progress, "casualties": f.casualties,
        }),
    })
}

/// The figures of an Art. 5(4) extension request.
fn extension(inputs: &Inputs, s: &StateDetail) -> Result<Report, ReportError> {
    let mut notes = Notes::new(&inputs.sources);
    let f = state_figures(inputs, s);
    let name = s.row.name.clone();
    let mut sections = Vec::new();
    let latest = s.extensions.iter().max_by_key(|x| x.number);
    let deadline = s.row.clearance_deadline;
    let mut b = vec![p(format!("Deadline in force: {}.", opt_date(deadline)))];
    match latest {
        Some(x) if x.decision == "pending" || x.granted_until.is_none() => b.push(p(notes.with(
            format!(
                "Request no. {} submitted {}, asking until {}{}.",
                x.number,
                x.submitted
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "(date not recorded)".into()),
                x.requested_until
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "(not recorded)".into()),
                match (x.requested_until, deadline) {
                    (Some(r), Some(d)) =>
                        format!(": {} days beyond the deadline", (r.start() - d).num_days()),
                    _ => String::new(),
                }
            ),
            &x.source,
        ))),
        _ => {
            let need = f
                .forecast
                .central
                .zip(deadline)
                .map(|(c, d)| (c - d).num_days());
            b.push(p(match need {
                Some(n) if n > 0 => format!(
                    "No pending request is recorded. At the trend rate the work ends on {}, {} days \
                     after the deadline: that is the duration a request would have to ask for.",
                    opt_date(f.forecast.central), n
                ),
                _ => "No pending request is recorded, and the forecast does not show one needed (or \
                      cannot be made)."
                    .into(),
            }));
        }
    }
    sections.push(section("duration", "Duration requested", b));
    let since = s
        .extensions
        .iter()
        .filter_map(|x| x.decided_on)
        .map(|d| d.year())
        .max()
        .or(s.row.entry_into_force.map(|d| d.year()));
    let prev: Vec<_> = f
        .progress
        .years
        .iter()
        .filter(|y| since.is_none_or(|s| y.year >= s))
        .cloned()
        .collect();
    let mut b = vec![p(format!(
        "Land released year by year since {} (the start of the current period: the last \
         extension decided, else entry into force), by method.",
        since.map_or("the first record".into(), |y| y.to_string())
    ))];
    if prev.is_empty() {
        b.push(missing(
            "No land release activity in the period is held in the hazard data; the plan of the \
             previous request is not held in the record either.",
        ));
    } else {
        let pr = Progress {
            years: prev,
            ..Default::default()
        };
        b.push(Block::Chart(release_chart(
            &pr,
            "Land released per year in the period",
        )));
        b.push(table(&RELEASE_COLUMNS, &RELEASE_NUMERIC, release_rows(&pr)));
        b.push(missing("The previous request's annual plan is not held in the record, so achievement against it cannot be shown."));
    }
    sections.push(section("previous", "Work done in the previous period", b));
    sections.push(contamination_section(&f.contamination, &name, &mut notes));
    let mut b = Vec::new();
    match (f.forecast.trend_rate_km2, f.contamination.high_km2) {
        (Some(rate), Some(rem)) if rate > 0.0 => {
            let ms = progress::milestones(rem, rate, inputs.as_of.year(), 40);
            let per_m2 = f.cost.per_m2.as_ref().map(|r| r.usd);
            b.push(p(format!(
                "A plan at the trend rate of {} km2 a year from {}: {} year(s).{}",
                km2(rate),
                inputs.as_of.year(),
                ms.len(),
                if per_m2.is_none() {
                    " Costs are not given: no cost per m2 is known."
                } else {
                    ""
                }
            )));
            let rows = ms
                .iter()
                .map(|(y, r, left)| {
                    vec![
                        y.to_string(),
                        km2(*r),
                        km2(*left),
                        per_m2.map_or("unknown".into(), |c| usd(c * r * M2_PER_KM2)),
                    ]
                })
                .collect();
            b.push(table(
                &["Year", "To release km2", "Remaining km2", "Cost"],
                &[false, true, true, true],
                rows,
            ));
        }
        _ => b.push(missing(
            "No plan can be drawn: the release rate or the remaining area is not known.",
        )),
    }
    sections.push(section("plan", "Annual milestones", b));
    sections.push(section(
        "cost",
        "Cost and funding in hand",
        cost_blocks(&f.cost, &mut notes),
    ));
    sections.push(section(
        "implications",
        "Humanitarian, social, economic and environmental implications",
        vec![
            h("Humanitarian implications"),
            missing("To be written by the State."),
            h("Social implications"),
            missing("To be written by the State."),
            h("Economic implications"),
            missing("To be written by the State."),
            h("Environmental implications"),
            missing("To be written by the State."),
            h("Circumstances that impeded completion"),
            missing("To be written by the State."),
        ],
    ));
    Ok(Report {
        kind: "extension".into(),
        title: format!("{name}: figures for an Article 5(4) extension request"),
        subtitle: format!(
            "As of {}. Computed by demine from the record and the hazard data.",
            inputs.as_of
        ),
        as_of: inputs.as_of,
        sections,
        footnotes: notes.finish(),
        figures: json!({
            "iso3": s.row.iso3, "forecast": f.forecast, "contamination": f.contamination,
            "progress": f.progress, "cost": f.cost,
        }),
    })
}
