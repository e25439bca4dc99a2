//! Reservations and exemptions (Art. 19).
//!
//! "The Articles of this Convention shall not be subject to reservations." Any exemption a State
//! might propose — for a region, a type of weapon, or a delay — would exclude or modify the legal
//! effect of an article for that State, which is what a reservation is, so every one is
//! incompatible. The evaluator says so item by item and names the article each exemption would
//! defeat. A purely interpretative declaration, which neither excludes nor modifies any obligation,
//! is not a reservation and is reported as compatible. An exemption for something the Convention
//! does not ban (a command-detonated munition, say) is reported as not needed. A proposal to retain
//! mines under Art. 3 is compatible (the article permits it) and is flagged, with the comparison,
//! when the number is far beyond what States retain in practice
//! ([`RETENTION_FAR_BEYOND_PRACTICE`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::device::{Classification, DeviceDescription, Verdict, classify};
use crate::{Basis, TreatyError};

/// The number of retained mines above which a proposal under Art. 3 is flagged as far beyond
/// practice: States Parties that retain mines under Art. 3 declare from a few hundred to a few
/// thousand in their Art. 7 reports, and the largest declared holdings are of the order of ten
/// thousand. This is the engine's documented policy figure (like the pressure bands of
/// [`crate::device`]), not a number in the Convention, which asks only for "the minimum number
/// absolutely necessary".
pub const RETENTION_FAR_BEYOND_PRACTICE: u64 = 10_000;

/// Which obligations a temporal exemption would delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemporalScope {
    /// The Convention's entry into force for the State as a whole (or a deferral of compliance).
    EntryIntoForce,
    /// The prohibitions of Art. 1 (continued use, stockpiling or transfer for a while).
    Prohibitions,
    /// Stockpile destruction beyond Art. 4's four years.
    StockpileDestruction,
    /// Clearance beyond Art. 5's ten years other than by an extension request.
    Clearance,
}

/// One exemption in a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ExemptionItem {
    /// Keep using anti-personnel mines in a region.
    Geographic {
        /// The region.
        region: String,
        /// Details, for the record.
        #[serde(default)]
        description: Option<String>,
    },
    /// Exempt a type of weapon.
    Technological {
        /// The weapon or class of weapons.
        weapon: String,
        /// Details, for the record.
        #[serde(default)]
        description: Option<String>,
        /// A structured description of the weapon, to classify under Art. 2.
        #[serde(default)]
        device: Option<Box<DeviceDescription>>,
    },
    /// Delay some obligations.
    Temporal {
        /// Which obligations.
        delays: TemporalScope,
        /// By how many years.
        years: u32,
        /// Details, for the record.
        #[serde(default)]
        description: Option<String>,
    },
    /// A reservation in free text.
    Reservation {
        /// Its text.
        text: String,
    },
    /// Retain mines under Art. 3 for training and development (not an exemption: the Convention
    /// permits it, up to the minimum number absolutely necessary).
    Retention {
        /// How many anti-personnel mines.
        mines: u64,
        /// What for, for the record.
        #[serde(default)]
        purpose: Option<String>,
        /// Details, for the record.
        #[serde(default)]
        description: Option<String>,
    },
    /// A declaration on how the State understands a provision.
    Declaration {
        /// Its text.
        text: String,
        /// Whether it purports to exclude or modify the legal effect of a provision (which makes
        /// it a reservation, whatever its name).
        #[serde(default)]
        excludes_or_modifies: bool,
    },
}

impl ExemptionItem {
    fn kind(&self) -> &'static str {
        match self {
            ExemptionItem::Geographic { .. } => "geographic",
            ExemptionItem::Technological { .. } => "technological",
            ExemptionItem::Temporal { .. } => "temporal",
            ExemptionItem::Reservation { .. } => "reservation",
            ExemptionItem::Retention { .. } => "retention",
            ExemptionItem::Declaration { .. } => "declaration",
        }
    }
}

/// A proposal of exemptions: the JSON input of `demine treaty evaluate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// A title.
    pub title: String,
    /// Who proposed it.
    #[serde(default)]
    pub proposer: Option<String>,
    /// When.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Where the facts come from.
    #[serde(default)]
    pub source: Option<String>,
    /// The exemptions.
    pub items: Vec<ExemptionItem>,
}

/// The verdict on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemVerdict {
    /// Barred by Art. 19.
    Incompatible,
    /// Not a reservation (an interpretative declaration; a retention Art. 3 permits).
    Compatible,
    /// Nothing to exempt: the item is outside the ban as described.
    NotNeeded,
}

impl std::fmt::Display for ItemVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ItemVerdict::Incompatible => "incompatible",
            ItemVerdict::Compatible => "compatible",
            ItemVerdict::NotNeeded => "not-needed",
        })
    }
}

/// The evaluation of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemEvaluation {
    /// 1-based position in the proposal.
    pub index: usize,
    /// The item's kind.
    pub kind: String,
    /// A one-line summary of what the item asks.
    pub summary: String,
    /// The verdict.
    pub verdict: ItemVerdict,
    /// Why, each step with its article.
    pub basis: Vec<Basis>,
    /// For a technological item with a device description: its classification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Classification>,
    /// What stands out although the item is allowed (a retention far beyond practice), with
    /// the comparison.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Basis>,
}

/// The evaluation of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalEvaluation {
    /// The proposal's title.
    pub title: String,
    /// True only if no item is a reservation.
    pub compatible: bool,
    /// Item by item.
    pub items: Vec<ItemEvaluation>,
    /// The articles the whole answer rests on.
    pub basis: Vec<Basis>,
}

fn no_reservations(what: &str) -> Basis {
    Basis::new(
        "19",
        format!(
            "the Articles of the Convention are not subject to reservations: {what} would exclude \
             or modify the legal effect of an article for the proposing State, which is a \
             reservation"
        ),
    )
}

/// Evaluate a proposal of exemptions against Art. 19 and the articles each would defeat.
pub fn evaluate_proposal(proposal: &Proposal) -> Result<ProposalEvaluation, TreatyError> {
    if proposal.items.is_empty() {
        return Err(TreatyError::InvalidProposal {
            path: "items".into(),
            reason: "is empty: list at least one exemption".into(),
        });
    }
    let mut items = Vec::with_capacity(proposal.items.len());
    for (i, item) in proposal.items.iter().enumerate() {
        items.push(evaluate_item(i, item)?);
    }
    let compatible = items.iter().all(|i| i.verdict != ItemVerdict::Incompatible);
    let incompatible = items
        .iter()
        .filter(|i| i.verdict == ItemVerdict::Incompatible)
        .count();
    let basis = vec![Basis::new(
        "19",
        if compatible {
            "no item excludes or modifies an obligation: nothing in the proposal is a reservation"
                .to_string()
        } else {
            format!(
                "{incompatible} of {} items would be reservations, which the Convention does not \
                 admit; a State can join only on the Convention's own terms",
                items.len()
            )
        },
    )];
    Ok(ProposalEvaluation {
        title: proposal.title.clone(),
        compatible,
        items,
        basis,
    })
}

fn nonblank(path: String, value: &str) -> Result<(), TreatyError> {
    if value.trim().is_empty() {
        Err(TreatyError::InvalidProposal {
            path,
            reason: "is empty".into(),
        })
    } else {
        Ok(())
    }
}

fn evaluate_item(i: usize, item: &ExemptionItem) -> Result<ItemEvaluation, TreatyError> {
    let path = |f: &str| format!("items[{i}].{f}");
    let mut device = None;
    let mut flags = Vec::new();
    let (summary, verdict, basis) = match item {
        ExemptionItem::Geographic { region, .. } => {
            nonblank(path("region"), region)?;
            (
                format!("keep using anti-personnel mines in {region}"),
                ItemVerdict::Incompatible,
                vec![
                    no_reservations("an exemption for a region"),
                    Basis::new(
                        "1(1)",
                        format!(
                            "a State Party undertakes never under any circumstances to use, \
                             stockpile, retain or transfer anti-personnel mines; there is no \
                             exception for a territory, border or alliance, including {region}"
                        ),
                    ),
                    Basis::new(
                        "4",
                        "mines stockpiled for that region are part of the stockpile to be \
                         destroyed within four years",
                    ),
                    Basis::new(
                        "5(1)",
                        format!(
                            "mined areas under the State's jurisdiction or control, in {region} \
                             too, are to be cleared within ten years"
                        ),
                    ),
                ],
            )
        }
        ExemptionItem::Technological {
            weapon, device: d, ..
        } => {
            nonblank(path("weapon"), weapon)?;
            let mut basis = vec![
                no_reservations("an exemption for a type of weapon"),
                Basis::new(
                    "2(1)",
                    format!(
                        "what is an anti-personnel mine is fixed by the definition (what sets it \
                         off and whom it harms), not by technology; exempting {weapon} would \
                         rewrite the definition for one State"
                    ),
                ),
                Basis::new(
                    "1(1)",
                    "if the weapon is or contains an anti-personnel mine, its use, stockpiling, \
                     production and transfer are prohibited without exception",
                ),
            ];
            if let Some(d) = d {
                let c = classify(d).map_err(|e| TreatyError::InvalidProposal {
                    path: path("device"),
                    reason: e.to_string(),
                })?;
                let note = match c.verdict {
                    Verdict::Prohibited => format!(
                        "as described, {} is prohibited: the exemption would license \
                         anti-personnel mines",
                        c.name
                    ),
                    Verdict::Contested => format!(
                        "as described, {} is contested under Art. 2; an exemption cannot settle \
                         the question for one State",
                        c.name
                    ),
                    Verdict::Permitted => format!(
                        "as described, {} is not an anti-personnel mine and needs no exemption; \
                         asking for one would still be a reservation",
                        c.name
                    ),
                };
                let permitted = c.verdict == Verdict::Permitted;
                basis.push(Basis::new("2", note));
                device = Some(c);
                if permitted {
                    // Nothing to exempt: say so rather than call the item a reservation.
                    let what = device.as_ref().map(|c| c.name.clone()).unwrap_or_default();
                    let basis = vec![
                        Basis::new(
                            "2(1)",
                            format!(
                                "as described, {what} is not an anti-personnel mine on any \
                                 reading (nothing its victim does sets it off): the Convention \
                                 does not ban it, so there is nothing to exempt"
                            ),
                        ),
                        Basis::new(
                            "19",
                            "no exemption is needed, so none need be asked for; a State that \
                             asked for one anyway would be making a reservation",
                        ),
                        Basis::new(
                            "1(1)",
                            "if it were ever rigged to be set off by its victim, it would be an \
                             anti-personnel mine and prohibited",
                        ),
                    ];
                    return Ok(ItemEvaluation {
                        index: i + 1,
                        kind: item.kind().into(),
                        summary: format!("exempt {weapon}"),
                        verdict: ItemVerdict::NotNeeded,
                        basis,
                        device,
                        flags,
                    });
                }
            }
            (format!("exempt {weapon}"), ItemVerdict::Incompatible, basis)
        }
        ExemptionItem::Temporal { delays, years, .. } => {
            if *years == 0 {
                return Err(TreatyError::InvalidProposal {
                    path: path("years"),
                    reason: "must be at least 1".into(),
                });
            }
            let mut basis = vec![no_reservations("a delay of obligations")];
            let summary = match delays {
                TemporalScope::EntryIntoForce => {
                    basis.push(Basis::new(
                        "17",
                        "the Convention enters into force for a State on the date Art. 17 fixes, \
                         for all its articles at once; a State cannot defer it",
                    ));
                    basis.push(Basis::new(
                        "1(1)",
                        "from entry into force the prohibitions apply never under any \
                         circumstances",
                    ));
                    format!("defer entry into force (or compliance) by {years} years")
                }
                TemporalScope::Prohibitions => {
                    basis.push(Basis::new(
                        "1(1)",
                        "the prohibitions bind from entry into force, never under any \
                         circumstances; there is no transition period",
                    ));
                    basis.push(Basis::new(
                        "17",
                        "the date from which a State is bound is fixed by Art. 17",
                    ));
                    format!("keep using or stockpiling anti-personnel mines for {years} years")
                }
                TemporalScope::StockpileDestruction => {
                    basis.push(Basis::new(
                        "4",
                        "stockpiles are destroyed not later than four years after entry into \
                         force, with no extension",
                    ));
                    format!("destroy stockpiles {years} years later than Art. 4 allows")
                }
                TemporalScope::Clearance => {
                    basis.push(Basis::new(
                        "5(1)",
                        "mined areas are cleared not later than ten years after entry into force",
                    ));
                    basis.push(Basis::new(
                        "5(3)",
                        "the only way to more time is a request for an extension of up to ten \
                         years, assessed and decided by the States Parties (Art. 5(3)-(6)), not a \
                         unilateral deferral",
                    ));
                    format!("clear mined areas {years} years later than Art. 5 allows")
                }
            };
            (summary, ItemVerdict::Incompatible, basis)
        }
        ExemptionItem::Reservation { text } => {
            nonblank(path("text"), text)?;
            (
                format!("reservation: {text}"),
                ItemVerdict::Incompatible,
                vec![Basis::new(
                    "19",
                    "the Articles of this Convention shall not be subject to reservations",
                )],
            )
        }
        ExemptionItem::Retention { mines, .. } => {
            let basis = vec![
                Basis::new(
                    "3(1)",
                    format!(
                        "retaining or transferring {mines} anti-personnel mines for the development of \
                     and training in mine detection, mine clearance or mine destruction techniques \
                     is permitted; the amount shall not exceed the minimum number absolutely \
                     necessary for those purposes"
                    ),
                ),
                Basis::new(
                    "7(1)(d)",
                    "the number retained, by type, is reported every year in the transparency report",
                ),
            ];
            if *mines > RETENTION_FAR_BEYOND_PRACTICE {
                flags.push(Basis::new(
                    "3(1)",
                    format!(
                        "{mines} mines is {:.1} times the engine's reference for practice \
                         ({RETENTION_FAR_BEYOND_PRACTICE}: States that retain mines declare from a \
                         few hundred to a few thousand, the largest holdings about ten thousand): \
                         far beyond what States retain, hard to reconcile with \
                         \"the minimum number absolutely necessary\"",
                        *mines as f64 / RETENTION_FAR_BEYOND_PRACTICE as f64
                    ),
                ));
            }
            (
                format!("retain {mines} anti-personnel mines under Art. 3"),
                ItemVerdict::Compatible,
                basis,
            )
        }
        ExemptionItem::Declaration {
            text,
            excludes_or_modifies,
        } => {
            nonblank(path("text"), text)?;
            if *excludes_or_modifies {
                (
                    format!("declaration: {text}"),
                    ItemVerdict::Incompatible,
                    vec![no_reservations(
                        "a declaration that purports to exclude or modify an obligation (a \
                         reservation whatever it is called, Vienna Convention on the Law of \
                         Treaties, Art. 2(1)(d))",
                    )],
                )
            } else {
                (
                    format!("declaration: {text}"),
                    ItemVerdict::Compatible,
                    vec![Basis::new(
                        "19",
                        "an interpretative declaration that neither excludes nor modifies the \
                         legal effect of any article is not a reservation; Art. 19 does not bar \
                         it",
                    )],
                )
            }
        }
    };
    Ok(ItemEvaluation {
        index: i + 1,
        kind: item.kind().into(),
        summary,
        verdict,
        basis,
        device,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(items: Vec<ExemptionItem>) -> Proposal {
        Proposal {
            title: "t".into(),
            proposer: None,
            date: None,
            source: None,
            items,
        }
    }

    fn articles(e: &ItemEvaluation) -> Vec<&str> {
        e.basis.iter().map(|b| b.article.as_str()).collect()
    }

    #[test]
    fn every_exemption_kind_is_incompatible_with_its_article() {
        let e = evaluate_proposal(&proposal(vec![
            ExemptionItem::Geographic {
                region: "Korea".into(),
                description: None,
            },
            ExemptionItem::Technological {
                weapon: "smart mines".into(),
                description: None,
                device: None,
            },
            ExemptionItem::Temporal {
                delays: TemporalScope::EntryIntoForce,
                years: 9,
                description: None,
            },
            ExemptionItem::Temporal {
                delays: TemporalScope::StockpileDestruction,
                years: 2,
                description: None,
            },
            ExemptionItem::Temporal {
                delays: TemporalScope::Clearance,
                years: 2,
                description: None,
            },
            ExemptionItem::Temporal {
                delays: TemporalScope::Prohibitions,
                years: 2,
                description: None,
            },
            ExemptionItem::Reservation {
                text: "Art. 1 does not apply".into(),
            },
        ]))
        .unwrap();
        assert!(!e.compatible);
        assert!(
            e.items
                .iter()
                .all(|i| i.verdict == ItemVerdict::Incompatible)
        );
        assert!(e.items.iter().all(|i| articles(i)[0] == "19"));
        assert!(articles(&e.items[0]).contains(&"1(1)"));
        assert!(articles(&e.items[1]).contains(&"2(1)"));
        assert!(articles(&e.items[2]).contains(&"17"));
        assert!(articles(&e.items[3]).contains(&"4"));
        assert!(articles(&e.items[4]).contains(&"5(3)"));
        assert!(articles(&e.items[5]).contains(&"1(1)"));
        assert_eq!(e.items[6].index, 7);
    }

    #[test]
    fn technological_item_for_a_banned_device_is_a_reservation() {
        let ap: DeviceDescription = serde_json::from_str(
            r#"{"name":"AP","triggers":[{"kind":"tripwire"}],"designed_to_harm":["persons"]}"#,
        )
        .unwrap();
        let e = evaluate_proposal(&proposal(vec![ExemptionItem::Technological {
            weapon: "tripwire mines".into(),
            description: None,
            device: Some(Box::new(ap)),
        }]))
        .unwrap();
        assert!(!e.compatible);
        assert_eq!(e.items[0].verdict, ItemVerdict::Incompatible);
    }

    #[test]
    fn a_command_detonated_item_needs_no_exemption() {
        let claymore: DeviceDescription = serde_json::from_str(
            r#"{"name":"Claymore (command)","triggers":[{"kind":"command"}],
                "designed_to_harm":["persons"]}"#,
        )
        .unwrap();
        let e = evaluate_proposal(&proposal(vec![ExemptionItem::Technological {
            weapon: "command-detonated directional munitions".into(),
            description: None,
            device: Some(Box::new(claymore)),
        }]))
        .unwrap();
        assert!(e.compatible, "nothing to exempt is no reservation");
        let item = &e.items[0];
        assert_eq!(item.verdict, ItemVerdict::NotNeeded);
        assert_eq!(item.verdict.to_string(), "not-needed");
        assert_eq!(item.basis[0].article, "2(1)");
        assert!(item.basis[0].reason.contains("nothing to exempt"));
    }

    #[test]
    fn retention_is_compatible_and_flagged_far_beyond_practice() {
        let e = evaluate_proposal(&proposal(vec![
            ExemptionItem::Retention {
                mines: 1_500,
                purpose: Some("training of deminers".into()),
                description: None,
            },
            ExemptionItem::Retention {
                mines: 250_000,
                purpose: None,
                description: None,
            },
        ]))
        .unwrap();
        assert!(e.compatible);
        assert_eq!(e.items[0].verdict, ItemVerdict::Compatible);
        assert!(e.items[0].flags.is_empty());
        assert_eq!(e.items[0].basis[0].article, "3(1)");
        let flag = &e.items[1].flags[0];
        assert!(flag.reason.contains("25.0 times"), "{}", flag.reason);
        assert!(flag.reason.contains("10000"), "{}", flag.reason);
    }

    #[test]
    fn technological_item_classifies_its_device_and_says_when_none_is_needed() {
        let av: DeviceDescription = serde_json::from_str(
            r#"{"name":"AV","triggers":[{"kind":"pressure","threshold_kg":300}],
                "designed_to_harm":["vehicles"]}"#,
        )
        .unwrap();
        let e = evaluate_proposal(&proposal(vec![ExemptionItem::Technological {
            weapon: "heavy anti-tank mines".into(),
            description: None,
            device: Some(Box::new(av)),
        }]))
        .unwrap();
        assert!(e.compatible);
        let item = &e.items[0];
        assert_eq!(item.device.as_ref().unwrap().verdict, Verdict::Permitted);
        assert_eq!(item.verdict, ItemVerdict::NotNeeded);

        let bad: DeviceDescription = serde_json::from_str(r#"{"name":"X","triggers":[]}"#).unwrap();
        let err = evaluate_proposal(&proposal(vec![ExemptionItem::Technological {
            weapon: "x".into(),
            description: None,
            device: Some(Box::new(bad)),
        }]))
        .unwrap_err();
        assert!(err.to_string().contains("items[0].device"), "{err}");
    }

    #[test]
    fn interpretative_declaration_is_compatible_unless_it_modifies() {
        let ok = evaluate_proposal(&proposal(vec![ExemptionItem::Declaration {
            text: "we understand 'assist' as ...".into(),
            excludes_or_modifies: false,
        }]))
        .unwrap();
        assert!(ok.compatible);
        let bad = evaluate_proposal(&proposal(vec![ExemptionItem::Declaration {
            text: "Art. 1 shall not apply to joint operations".into(),
            excludes_or_modifies: true,
        }]))
        .unwrap();
        assert!(!bad.compatible);
    }

    #[test]
    fn bad_proposals_name_the_path() {
        let err = evaluate_proposal(&proposal(vec![])).unwrap_err();
        assert!(err.to_string().contains("items"));
        let err = evaluate_proposal(&proposal(vec![
            ExemptionItem::Reservation { text: "x".into() },
            ExemptionItem::Temporal {
                delays: TemporalScope::Clearance,
                years: 0,
                description: None,
            },
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("items[1].years"), "{err}");
    }
}
