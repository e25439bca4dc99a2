//! Extensions of the clearance deadline (Art. 5(3)-(6)).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dates::add_years;
use crate::entry::CLEARANCE_YEARS;
use crate::{Basis, TreatyError};

/// The longest single extension (Art. 5(3)): ten years.
pub const MAX_EXTENSION_YEARS: u32 = 10;

/// What a granted deadline rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtensionBasis {
    /// An ordinary request under Art. 5(3)-(6).
    #[default]
    Art5,
    /// A deadline set under the decision of the Twelfth Meeting of the States Parties (2012) on
    /// mined areas found after a State's deadline had passed (or after it declared completion).
    Msp12,
}

/// An extension granted by a Meeting of the States Parties or a Review Conference (Art. 5(5)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedExtension {
    /// When the Meeting or Review Conference decided it.
    pub decided_on: NaiveDate,
    /// The new deadline it granted.
    pub granted_until: NaiveDate,
    /// What the grant rests on (default: an ordinary Art. 5 request).
    #[serde(default)]
    pub basis: ExtensionBasis,
    /// The recorded decision, when the grant comes from the record: the meeting that took it
    /// and the source that reports it (e.g. `MSP9 [source: apmbc-9msp-final-report]`). A
    /// recorded decision is accepted where it departs from the letter of Art. 5, and flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// The clearance deadline in force and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearanceDeadline {
    /// Entry into force + ten years (Art. 5(1)).
    pub original: NaiveDate,
    /// The deadline in force: the last granted extension's, or the original.
    pub deadline: NaiveDate,
    pub basis: Vec<Basis>,
    /// Where the record departs from the Convention's letter (a grant beyond ten years, a
    /// decision after the deadline had passed, a deadline under the Twelfth Meeting's decision),
    /// each citing the decision that made it so. Accepted, and said.
    pub flags: Vec<Basis>,
}

/// The clearance deadline in force after a history of granted extensions, as (deadline, basis);
/// departures from the letter that [`clearance_deadline`] accepts are in the basis too.
pub fn current_clearance_deadline(
    entry_into_force: NaiveDate,
    granted: &[GrantedExtension],
) -> Result<(NaiveDate, Vec<Basis>), TreatyError> {
    let c = clearance_deadline(entry_into_force, granted)?;
    let mut basis = c.basis;
    basis.extend(c.flags);
    Ok((c.deadline, basis))
}

/// The clearance deadline in force after a history of granted extensions.
///
/// Starts from entry into force + 10 years (Art. 5(1)); each extension, in the order decided,
/// replaces the deadline. Each must move the deadline later and cannot be decided before the
/// Convention entered into force for the State. Art. 5(3) allows at most ten years: a longer
/// grant is refused unless it is a recorded decision (`decision`) or rests on the Twelfth
/// Meeting's decision (`msp12`), in which case it is accepted, cited and flagged. A decision
/// taken after the deadline it extends had passed is accepted and flagged.
pub fn clearance_deadline(
    entry_into_force: NaiveDate,
    granted: &[GrantedExtension],
) -> Result<ClearanceDeadline, TreatyError> {
    let original = add_years(entry_into_force, CLEARANCE_YEARS, "clearance deadline")?;
    let mut deadline = original;
    let mut flags = Vec::new();
    let mut basis = vec![Basis::new(
        "5(1)",
        format!(
            "in force since {entry_into_force}: mined areas cleared not later than ten years \
             after, {deadline}"
        ),
    )];
    let mut order: Vec<(usize, &GrantedExtension)> = granted.iter().enumerate().collect();
    order.sort_by_key(|(i, g)| (g.decided_on, *i));
    for (position, (i, g)) in order.into_iter().enumerate() {
        let index = i + 1;
        let err = |reason: String| TreatyError::InvalidExtension {
            index,
            decided_on: g.decided_on,
            reason,
        };
        if g.decided_on < entry_into_force {
            return Err(err(format!(
                "decided before the Convention entered into force for the State ({entry_into_force})"
            )));
        }
        if g.granted_until <= deadline {
            return Err(err(format!(
                "granted_until {} does not move the deadline in force ({deadline}) later",
                g.granted_until
            )));
        }
        let cited = g
            .decision
            .as_deref()
            .map(|d| format!(" by {d}"))
            .unwrap_or_default();
        let cap = add_years(deadline, MAX_EXTENSION_YEARS, "longest extension")?;
        if g.granted_until > cap {
            if g.basis == ExtensionBasis::Art5 && g.decision.is_none() {
                return Err(err(format!(
                    "granted_until {} is more than ten years after the deadline it extends \
                     ({deadline}); Art. 5(3) allows up to ten years (a longer grant needs the \
                     decision on record, or basis msp12)",
                    g.granted_until
                )));
            }
            flags.push(Basis::new(
                "5(3)",
                format!(
                    "the grant{cited} to {} is more than ten years after the deadline it extends \
                     ({deadline}): beyond the letter of Art. 5(3), accepted as decided",
                    g.granted_until
                ),
            ));
        }
        let (article, kind) = match (g.basis, position) {
            (ExtensionBasis::Msp12, _) => ("5", "deadline under the Twelfth Meeting's decision"),
            (ExtensionBasis::Art5, 0) => ("5(5)", "extension"),
            (ExtensionBasis::Art5, _) => ("5(6)", "further extension"),
        };
        basis.push(Basis::new(
            article,
            format!(
                "{kind} decided on {}{cited} moves the deadline from {deadline} to {}",
                g.decided_on, g.granted_until
            ),
        ));
        if g.basis == ExtensionBasis::Msp12 {
            flags.push(Basis::new(
                "5",
                format!(
                    "the deadline {} rests on the Twelfth Meeting's decision (2012) on mined areas \
                     found after the deadline, not on an Art. 5(3) request{cited}",
                    g.granted_until
                ),
            ));
        }
        if g.decided_on > deadline {
            flags.push(Basis::new(
                "5(3)",
                format!(
                    "decided on {}{cited}, after the deadline it extends ({deadline}) had passed: \
                     Art. 5(3) foresees a request before the deadline; accepted as decided",
                    g.decided_on
                ),
            ));
        }
        deadline = g.granted_until;
    }
    Ok(ClearanceDeadline {
        original,
        deadline,
        basis,
        flags,
    })
}

/// Reasons for an extension request (Art. 5(4)(b)).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasons {
    /// A general detailed explanation (optional; the three items below are required).
    #[serde(default)]
    pub explanation: Option<String>,
    /// (b)(i) the preparation and status of work under national demining programmes.
    #[serde(default)]
    pub national_demining_programme: Option<String>,
    /// (b)(ii) the financial and technical means available to destroy all the mines.
    #[serde(default)]
    pub financial_and_technical_means: Option<String>,
    /// (b)(iii) circumstances which impede destroying all the mines in mined areas.
    #[serde(default)]
    pub impeding_circumstances: Option<String>,
}

/// Implications of the extension (Art. 5(4)(c)).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Implications {
    /// Humanitarian implications.
    #[serde(default)]
    pub humanitarian: Option<String>,
    /// Social implications.
    #[serde(default)]
    pub social: Option<String>,
    /// Economic implications.
    #[serde(default)]
    pub economic: Option<String>,
    /// Environmental implications.
    #[serde(default)]
    pub environmental: Option<String>,
}

/// The previous extension period, for a further request (Art. 5(6)).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousExtension {
    /// The deadline the previous extension granted.
    #[serde(default)]
    pub granted_until: Option<NaiveDate>,
    /// What was undertaken during the previous extension period.
    #[serde(default)]
    pub work_undertaken: Option<String>,
}

/// A request to extend the clearance deadline (Art. 5(3)-(4), (6)); the JSON input of
/// `demine treaty extension validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// The requesting State (free text or ISO alpha-3), for the record.
    #[serde(default)]
    pub state: Option<String>,
    /// The deadline the request would extend (the Art. 5(1) deadline, or the last granted one).
    pub current_deadline: NaiveDate,
    /// (a) the proposed new deadline, which fixes the duration.
    #[serde(default)]
    pub requested_until: Option<NaiveDate>,
    /// (b) the reasons.
    #[serde(default)]
    pub reasons: Option<Reasons>,
    /// (c) the humanitarian, social, economic and environmental implications.
    #[serde(default)]
    pub implications: Option<Implications>,
    /// (d) any other relevant information.
    #[serde(default)]
    pub other_information: Option<String>,
    /// Whether this is a further request after an earlier extension (Art. 5(6)); implied when
    /// `previous_extension` is given.
    #[serde(default)]
    pub further_request: bool,
    /// The previous extension period, for a further request.
    #[serde(default)]
    pub previous_extension: Option<PreviousExtension>,
}

/// One problem with an extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionFinding {
    /// The article that requires the item, e.g. `"5(4)(b)(ii)"`.
    pub article: String,
    /// The JSON field at fault, e.g. `"reasons.financial_and_technical_means"`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

/// The outcome of checking an extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionValidation {
    /// True when nothing is missing and the duration is allowed.
    pub complete: bool,
    /// The deadline the request would extend.
    pub current_deadline: NaiveDate,
    /// The proposed deadline, if given.
    pub requested_until: Option<NaiveDate>,
    /// The latest date a single extension could reach (current deadline + 10 years).
    pub latest_allowed: NaiveDate,
    /// Whether the request is a further one (Art. 5(6)).
    pub further_request: bool,
    /// Every missing or faulty item, each with its article.
    pub findings: Vec<ExtensionFinding>,
    /// The articles the check rests on.
    pub basis: Vec<Basis>,
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|t| t.trim().is_empty())
}

/// Check an extension request: the duration is at most ten years from the deadline it extends,
/// every required item of Art. 5(4) is present (non-blank), and a further request says what was
/// done in the previous period (Art. 5(6)). Every problem is reported, not just the first.
pub fn validate_extension_request(
    request: &ExtensionRequest,
) -> Result<ExtensionValidation, TreatyError> {
    let current = request.current_deadline;
    let latest = add_years(current, MAX_EXTENSION_YEARS, "latest extension").map_err(|_| {
        TreatyError::InvalidExtensionRequest {
            field: "current_deadline".into(),
            reason: format!("{current} + 10 years is beyond the supported calendar"),
        }
    })?;
    let mut findings = Vec::new();
    let mut find = |article: &str, field: &str, problem: String| {
        findings.push(ExtensionFinding {
            article: article.into(),
            field: field.into(),
            problem,
        })
    };

    match request.requested_until {
        None => find(
            "5(4)(a)",
            "requested_until",
            "missing: the duration of the proposed extension (the requested new deadline)".into(),
        ),
        Some(until) if until <= current => find(
            "5(3)",
            "requested_until",
            format!("{until} is not after the deadline being extended ({current})"),
        ),
        Some(until) if until > latest => find(
            "5(3)",
            "requested_until",
            format!(
                "{until} is more than ten years after the deadline being extended ({current}); \
                 the latest a single extension can reach is {latest}"
            ),
        ),
        Some(_) => {}
    }

    let no_reasons = Reasons::default();
    let reasons = request.reasons.as_ref().unwrap_or(&no_reasons);
    let reason_items = [
        (
            "5(4)(b)(i)",
            "reasons.national_demining_programme",
            &reasons.national_demining_programme,
            "the preparation and status of work conducted under national demining programmes",
        ),
        (
            "5(4)(b)(ii)",
            "reasons.financial_and_technical_means",
            &reasons.financial_and_technical_means,
            "the financial and technical means available for the destruction of all the mines",
        ),
        (
            "5(4)(b)(iii)",
            "reasons.impeding_circumstances",
            &reasons.impeding_circumstances,
            "the circumstances which impede the ability to destroy all the mines in mined areas",
        ),
    ];
    if request.reasons.is_none() {
        find(
            "5(4)(b)",
            "reasons",
            "missing: a detailed explanation of the reasons for the proposed extension".into(),
        );
    }
    for (article, field, value, what) in reason_items {
        if blank(value) {
            find(article, field, format!("missing: {what}"));
        }
    }

    let no_implications = Implications::default();
    let implications = request.implications.as_ref().unwrap_or(&no_implications);
    if request.implications.is_none() {
        find(
            "5(4)(c)",
            "implications",
            "missing: the humanitarian, social, economic and environmental implications of the \
             extension"
                .into(),
        );
    }
    for (field, value) in [
        ("implications.humanitarian", &implications.humanitarian),
        ("implications.social", &implications.social),
        ("implications.economic", &implications.economic),
        ("implications.environmental", &implications.environmental),
    ] {
        if blank(value) {
            let aspect = field.trim_start_matches("implications.");
            find(
                "5(4)(c)",
                field,
                format!("missing: the {aspect} implications of the extension"),
            );
        }
    }

    if blank(&request.other_information) {
        find(
            "5(4)(d)",
            "other_information",
            "missing: any other information relevant to the request (state \"none\" explicitly \
             if there is none)"
                .into(),
        );
    }

    let further = request.further_request || request.previous_extension.is_some();
    if further {
        match &request.previous_extension {
            None => find(
                "5(6)",
                "previous_extension",
                "missing: a further request must report on the previous extension period".into(),
            ),
            Some(prev) => {
                if blank(&prev.work_undertaken) {
                    find(
                        "5(6)",
                        "previous_extension.work_undertaken",
                        "missing: what was undertaken in the previous extension period".into(),
                    );
                }
                if let Some(until) = prev.granted_until
                    && until != current
                {
                    find(
                        "5(6)",
                        "previous_extension.granted_until",
                        format!(
                            "the previous extension ran until {until}, but current_deadline is \
                             {current}; a further request extends the deadline last granted"
                        ),
                    );
                }
            }
        }
    }

    let mut basis = vec![
        Basis::new(
            "5(3)",
            format!(
                "a State Party may request an extension of up to ten years: from {current}, no \
                 later than {latest}"
            ),
        ),
        Basis::new(
            "5(4)",
            "the request contains (a) the duration, (b) a detailed explanation of the reasons \
             including (i)-(iii), (c) the implications and (d) any other relevant information",
        ),
        Basis::new(
            "5(5)",
            "a Meeting of the States Parties or Review Conference assesses the request and decides \
             by a majority of States Parties present and voting",
        ),
    ];
    if further {
        basis.push(Basis::new(
            "5(6)",
            "a further request adds information on what was undertaken in the previous extension \
             period",
        ));
    }
    Ok(ExtensionValidation {
        complete: findings.is_empty(),
        current_deadline: current,
        requested_until: request.requested_until,
        latest_allowed: latest,
        further_request: further,
        findings,
        basis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn full() -> ExtensionRequest {
        ExtensionRequest {
            state: Some("XYZ".into()),
            current_deadline: d("2009-03-01"),
            requested_until: Some(d("2019-03-01")),
            reasons: Some(Reasons {
                explanation: None,
                national_demining_programme: Some("programme".into()),
                financial_and_technical_means: Some("means".into()),
                impeding_circumstances: Some("circumstances".into()),
            }),
            implications: Some(Implications {
                humanitarian: Some("h".into()),
                social: Some("s".into()),
                economic: Some("e".into()),
                environmental: Some("env".into()),
            }),
            other_information: Some("none".into()),
            further_request: false,
            previous_extension: None,
        }
    }

    #[test]
    fn complete_request_passes() {
        let v = validate_extension_request(&full()).unwrap();
        assert!(v.complete, "{:?}", v.findings);
        assert_eq!(v.latest_allowed, d("2019-03-01"));
    }

    #[test]
    fn duration_limits() {
        let mut r = full();
        r.requested_until = Some(d("2019-03-02"));
        let v = validate_extension_request(&r).unwrap();
        assert!(!v.complete);
        assert_eq!(v.findings[0].article, "5(3)");
        r.requested_until = Some(d("2009-03-01"));
        assert_eq!(
            validate_extension_request(&r).unwrap().findings[0].article,
            "5(3)"
        );
        r.requested_until = None;
        assert_eq!(
            validate_extension_request(&r).unwrap().findings[0].article,
            "5(4)(a)"
        );
    }

    #[test]
    fn every_missing_item_is_reported_with_its_article() {
        let r = ExtensionRequest {
            state: None,
            current_deadline: d("2009-03-01"),
            requested_until: Some(d("2014-03-01")),
            reasons: Some(Reasons {
                national_demining_programme: Some("  ".into()),
                ..Reasons::default()
            }),
            implications: None,
            other_information: None,
            further_request: true,
            previous_extension: None,
        };
        let v = validate_extension_request(&r).unwrap();
        let articles: Vec<_> = v.findings.iter().map(|f| f.article.as_str()).collect();
        assert_eq!(
            articles,
            [
                "5(4)(b)(i)",
                "5(4)(b)(ii)",
                "5(4)(b)(iii)",
                "5(4)(c)",
                "5(4)(c)",
                "5(4)(c)",
                "5(4)(c)",
                "5(4)(c)",
                "5(4)(d)",
                "5(6)"
            ]
        );
        assert!(v.further_request);
    }

    #[test]
    fn further_request_needs_previous_work_and_matching_deadline() {
        let mut r = full();
        r.previous_extension = Some(PreviousExtension {
            granted_until: Some(d("2008-03-01")),
            work_undertaken: None,
        });
        let v = validate_extension_request(&r).unwrap();
        let fields: Vec<_> = v.findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "previous_extension.work_undertaken",
                "previous_extension.granted_until"
            ]
        );
        assert!(v.basis.iter().any(|b| b.article == "5(6)"));
    }

    #[test]
    fn clearance_deadline_follows_extensions() {
        let eif = d("1999-03-01");
        let (base, _) = current_clearance_deadline(eif, &[]).unwrap();
        assert_eq!(base, d("2009-03-01"));
        let granted = [
            GrantedExtension {
                decided_on: d("2018-11-30"),
                granted_until: d("2025-12-31"),
                basis: ExtensionBasis::Art5,
                decision: None,
            },
            GrantedExtension {
                decided_on: d("2008-11-28"),
                granted_until: d("2019-03-01"),
                basis: ExtensionBasis::Art5,
                decision: None,
            },
        ];
        let (now, basis) = current_clearance_deadline(eif, &granted).unwrap();
        assert_eq!(now, d("2025-12-31"));
        let articles: Vec<_> = basis.iter().map(|b| b.article.as_str()).collect();
        assert_eq!(articles, ["5(1)", "5(5)", "5(6)"]);
    }

    #[test]
    fn bad_extension_histories_are_errors() {
        let eif = d("1999-03-01");
        let too_long = [GrantedExtension {
            decided_on: d("2008-11-28"),
            granted_until: d("2019-03-02"),
            basis: ExtensionBasis::Art5,
            decision: None,
        }];
        assert!(matches!(
            current_clearance_deadline(eif, &too_long),
            Err(TreatyError::InvalidExtension { index: 1, .. })
        ));
        let backwards = [GrantedExtension {
            decided_on: d("2008-11-28"),
            granted_until: d("2008-12-01"),
            basis: ExtensionBasis::Art5,
            decision: None,
        }];
        assert!(current_clearance_deadline(eif, &backwards).is_err());
        let early = [GrantedExtension {
            decided_on: d("1998-11-28"),
            granted_until: d("2010-12-01"),
            basis: ExtensionBasis::Art5,
            decision: None,
        }];
        assert!(current_clearance_deadline(eif, &early).is_err());
    }

    #[test]
    fn recorded_departures_are_accepted_cited_and_flagged() {
        let eif = d("1999-03-01");
        let g = |decided: &str, until: &str, basis, decision: Option<&str>| GrantedExtension {
            decided_on: d(decided),
            granted_until: d(until),
            basis,
            decision: decision.map(str::to_string),
        };
        // Twelve years: refused bare, accepted as a recorded decision or under msp12.
        let bare = [g("2008-11-28", "2021-03-01", ExtensionBasis::Art5, None)];
        assert!(clearance_deadline(eif, &bare).is_err());
        let recorded = [g(
            "2008-11-28",
            "2021-03-01",
            ExtensionBasis::Art5,
            Some("MSP9 [source: x]"),
        )];
        let c = clearance_deadline(eif, &recorded).unwrap();
        assert_eq!(c.deadline, d("2021-03-01"));
        assert_eq!(c.original, d("2009-03-01"));
        assert_eq!(c.flags.len(), 1);
        assert!(c.flags[0].reason.contains("MSP9"), "{:?}", c.flags);
        let msp12 = [g("2013-12-05", "2025-12-31", ExtensionBasis::Msp12, None)];
        let c = clearance_deadline(eif, &msp12).unwrap();
        assert!(c.flags.iter().any(|f| f.reason.contains("Twelfth")));
        assert!(
            c.flags
                .iter()
                .any(|f| f.reason.contains("after the deadline"))
        );
        // A decision after the deadline passed is flagged, not refused.
        let late = [g("2009-06-01", "2012-03-01", ExtensionBasis::Art5, None)];
        let c = clearance_deadline(eif, &late).unwrap();
        assert_eq!(c.flags.len(), 1);
        // Before entry into force stays an error, recorded or not.
        let early = [g(
            "1998-11-28",
            "2010-12-01",
            ExtensionBasis::Msp12,
            Some("MSP0"),
        )];
        assert!(clearance_deadline(eif, &early).is_err());
    }

    #[test]
    fn request_json_shape() {
        let json = r#"{"current_deadline":"2009-03-01","requested_until":"2014-03-01",
            "reasons":{"national_demining_programme":"a","financial_and_technical_means":"b",
            "impeding_circumstances":"c"},
            "implications":{"humanitarian":"h","social":"s","economic":"e","environmental":"v"},
            "other_information":"none"}"#;
        let r: ExtensionRequest = serde_json::from_str(json).unwrap();
        assert!(validate_extension_request(&r).unwrap().complete);
        let typo = r#"{"current_deadline":"2009-03-01","reasonz":{}}"#;
        let err = serde_json::from_str::<ExtensionRequest>(typo).unwrap_err();
        assert!(err.to_string().contains("reasonz"));
        let missing = r#"{"requested_until":"2014-03-01"}"#;
        let err = serde_json::from_str::<ExtensionRequest>(missing).unwrap_err();
        assert!(err.to_string().contains("current_deadline"));
    }
}
