//! The Art. 5 clearance deadline in force, from a State's extension requests as the registry
//! records them: when each grant applies, what the engine makes of the run of dated grants, and
//! where the record departs from the Convention's letter or cannot be checked.

use chrono::NaiveDate;
use serde::Serialize;

use demine_core::PartialDate;
use demine_core::records::ExtensionRequest;
use demine_treaty::{ExtensionBasis, GrantedExtension};

/// The clearance deadline in force, as the registry's record gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClearanceRecord {
    /// Entry into force + ten years (Art. 5(1)).
    pub original: NaiveDate,
    /// The deadline in force; `None` when an extension was granted whose new deadline the
    /// registry does not hold (and no later grant with a deadline is recorded).
    pub deadline: Option<NaiveDate>,
    pub basis: Vec<demine_treaty::Basis>,
    /// Departures from the letter, and links the registry cannot check, each citing the decision.
    pub flags: Vec<demine_treaty::Basis>,
    /// When each request of the history applies ([`applies_from`]), aligned with it.
    #[serde(skip)]
    pub applies_from: Vec<Option<NaiveDate>>,
}

fn decision_of(x: &ExtensionRequest) -> Option<String> {
    x.meeting
        .as_ref()
        .map(|m| format!("{m} [source: {}]", x.source))
}

/// When each granted request applies, in the State's order of requests (`number`): the day of
/// its decision (the end of the period given, when the date is partial); for a grant whose
/// decision date the record lacks, the day it was submitted when known, else the day after the
/// deadline it extends (for a deadline under the Twelfth Meeting's decision, not before the first
/// mined areas reported found since then, given in `found`: it answers them). `None` for a
/// request that is not granted. The error is (position in
/// `extensions`, reason): a grant that cannot be placed in time, or requests whose decisions run
/// against their numbers.
pub fn applies_from(
    original: NaiveDate,
    extensions: &[ExtensionRequest],
    found: &[NaiveDate],
) -> Result<Vec<Option<NaiveDate>>, (Option<usize>, String)> {
    let mut out = vec![None; extensions.len()];
    let mut by_number: Vec<usize> = (0..extensions.len()).collect();
    by_number.sort_by_key(|&i| extensions[i].number);
    let mut before = Some(original);
    let mut last: Option<(NaiveDate, u32)> = None;
    for i in by_number {
        let x = &extensions[i];
        if x.decision != "granted" {
            continue;
        }
        let from = match x.decided_on {
            Some(d) => {
                let d = d.end();
                if let Some((p, n)) = last
                    && d < p
                {
                    return Err((
                        Some(i),
                        format!(
                            "request {} was decided on {d}, before request {n} ({p}): requests are \
                             numbered in the order the State made them",
                            x.number
                        ),
                    ));
                }
                d
            }
            None => {
                let after_deadline = before.and_then(|b| b.succ_opt()).map(|day| {
                    if x.basis == "msp12" {
                        found
                            .iter()
                            .copied()
                            .filter(|f| *f >= day)
                            .min()
                            .unwrap_or(day)
                    } else {
                        day
                    }
                });
                let from = x
                    .submitted
                    .map(|s| s.start())
                    .or(after_deadline)
                    .ok_or_else(|| {
                        (
                            Some(i),
                            format!(
                                "request {} has no decision date, no submission date and no \
                                 recorded deadline before it: it cannot be placed in time",
                                x.number
                            ),
                        )
                    })?;
                // Not before the grant it follows.
                last.map_or(from, |(p, _)| from.max(p))
            }
        };
        before = x.granted_until.map(|g| g.start());
        last = Some((from, x.number));
        out[i] = Some(from);
    }
    Ok(out)
}

/// The granted extensions known by `as_of` (applying, as [`applies_from`] places them, by then)
/// as the engine takes them, in the State's order of requests: a deadline given as a month or
/// year means its first day (the earliest it can be: no time is claimed that the record does not
/// give); a decision at a recorded meeting is cited. A grant whose new deadline is not recorded
/// makes the deadline unknown from then on, until a later grant gives one; a grant whose decision
/// date is not recorded is applied and flagged. The error is (position in `extensions`, reason).
pub fn clearance(
    eif: NaiveDate,
    extensions: &[ExtensionRequest],
    found: &[NaiveDate],
    as_of: NaiveDate,
) -> Result<ClearanceRecord, (Option<usize>, String)> {
    let original = demine_treaty::clearance_deadline(eif, &[])
        .map_err(|e| (None, e.to_string()))?
        .original;
    let placed = applies_from(original, extensions, found)?;
    let mut order: Vec<(NaiveDate, usize)> = placed
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.map(|d| (d, i)))
        .filter(|(d, _)| *d <= as_of)
        .collect();
    order.sort_by_key(|(_, i)| extensions[*i].number);
    // The run of dated grants with a recorded deadline, up to the first that is not: the engine's.
    let split = order
        .iter()
        .position(|(_, i)| {
            extensions[*i].granted_until.is_none() || extensions[*i].decided_on.is_none()
        })
        .unwrap_or(order.len());
    let (run, rest) = order.split_at(split);
    let granted: Vec<GrantedExtension> = run
        .iter()
        .filter_map(|(d, i)| {
            let x = &extensions[*i];
            x.granted_until.map(|g| GrantedExtension {
                decided_on: *d,
                granted_until: g.start(),
                basis: if x.basis == "msp12" {
                    ExtensionBasis::Msp12
                } else {
                    ExtensionBasis::Art5
                },
                decision: decision_of(x),
            })
        })
        .collect();
    let c = demine_treaty::clearance_deadline(eif, &granted).map_err(|e| match &e {
        demine_treaty::TreatyError::InvalidExtension { index, .. } => (
            index
                .checked_sub(1)
                .and_then(|i| run.get(i).map(|(_, p)| *p)),
            e.to_string(),
        ),
        _ => (None, e.to_string()),
    })?;
    let mut out = ClearanceRecord {
        original: c.original,
        deadline: Some(c.deadline),
        basis: c.basis,
        flags: c.flags,
        applies_from: placed,
    };
    // The engine dates a decision by a day; where the record gives only its month or year, say
    // so rather than show the last day of that period as the day it was taken.
    for (d, i) in run {
        let x = &extensions[*i];
        let Some(partial) = x.decided_on.filter(|p| !matches!(p, PartialDate::Day(_))) else {
            continue;
        };
        let cited = decision_of(x)
            .map(|m| format!(" by {m}"))
            .unwrap_or_default();
        let engine = format!("decided on {d}{cited}");
        let honest =
            format!("decided in {partial} (counted from {d}, the end of that period){cited}");
        for b in out.basis.iter_mut().chain(out.flags.iter_mut()) {
            if b.reason.contains(&engine) {
                b.reason = b.reason.replace(&engine, &honest);
            }
        }
    }
    for (position, (d, i)) in rest.iter().enumerate() {
        let x = &extensions[*i];
        let by = decision_of(x)
            .map(|m| format!(" by {m}"))
            .unwrap_or_else(|| format!(" [source: {}]", x.source));
        let dated = x.decided_on.is_some();
        if dated && *d < eif {
            return Err((
                Some(*i),
                format!(
                    "extension decided on {d} before the Convention entered into force for the \
                     State ({eif})"
                ),
            ));
        }
        let when = match x.decided_on {
            Some(PartialDate::Day(_)) => format!("decided on {d}"),
            Some(p) => format!("decided in {p} (counted from {d}, the end of that period)"),
            None => format!(
                "(request {}: decision date not in the record; applied from {d})",
                x.number
            ),
        };
        if !dated {
            out.flags.push(demine_treaty::Basis::new(
                "5(3)",
                format!(
                    "request {}{by}: decision date not in the record; the grant is placed by its \
                     number and applied from {d}, and its timing under Art. 5(3) cannot be checked",
                    x.number
                ),
            ));
        }
        let (article, kind) = match (x.basis.as_str(), run.len() + position) {
            ("msp12", _) => ("5", "deadline under the Twelfth Meeting's decision"),
            (_, 0) => ("5(5)", "extension"),
            _ => ("5(6)", "further extension"),
        };
        match x.granted_until {
            None => {
                out.basis.push(demine_treaty::Basis::new(
                    article,
                    format!(
                        "{kind} {when}{by}: the registry does not hold the deadline it granted, \
                         so the deadline in force is unknown"
                    ),
                ));
                out.deadline = None;
            }
            Some(g) => {
                let g = g.start();
                if let Some(prev) = out.deadline
                    && g <= prev
                {
                    return Err((
                        Some(*i),
                        format!(
                            "granted_until {g} does not move the deadline in force ({prev}) later"
                        ),
                    ));
                }
                if g <= *d {
                    return Err((
                        Some(*i),
                        format!("granted_until {g} is not after the decision ({d})"),
                    ));
                }
                out.basis.push(demine_treaty::Basis::new(
                    article,
                    format!("{kind} {when}{by} sets the deadline to {g}"),
                ));
                if x.basis == "msp12" {
                    out.flags.push(demine_treaty::Basis::new(
                        "5",
                        format!(
                            "the deadline {g} rests on the Twelfth Meeting's decision (2012) on \
                             mined areas found after the deadline, not on an Art. 5(3) request{by}"
                        ),
                    ));
                }
                if out.deadline.is_none() {
                    out.flags.push(demine_treaty::Basis::new(
                        "5(3)",
                        format!(
                            "the deadline this grant extends is not recorded: its length under \
                             Art. 5(3) cannot be checked; accepted as decided{by}"
                        ),
                    ));
                }
                out.deadline = Some(g);
            }
        }
    }
    Ok(out)
}
