//! The registry's public entities as typed structs. Field names are the column names of
//! [`crate::schema`], so a stored record (as JSON) deserializes straight into them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Iso3, PartialDate};

/// A State (or other entity the boundaries name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRecord {
    pub iso3: Iso3,
    pub name: String,
    pub un_member: bool,
    pub treaty_universe: bool,
    pub source: String,
}

/// A dated treaty event of one State.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreatyEvent {
    pub iso3: Iso3,
    pub event: String,
    /// Known to the day for signature, deposit, withdrawal and armed conflict (the schema checks).
    pub date: PartialDate,
    pub end_date: Option<NaiveDate>,
    pub instrument: Option<String>,
    pub succession_date: Option<NaiveDate>,
    #[serde(default)]
    pub meeting: Option<String>,
    pub source: String,
    pub note: Option<String>,
}

/// An Art. 5 extension request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub iso3: Iso3,
    /// The ordinal of the State's request (1 = its first extension request; refusals count).
    pub number: u32,
    /// When the request was submitted; `None` when the source does not give it.
    #[serde(default)]
    pub submitted: Option<PartialDate>,
    pub requested_until: Option<PartialDate>,
    pub decision: String,
    pub decided_on: Option<PartialDate>,
    pub granted_until: Option<PartialDate>,
    #[serde(default)]
    pub meeting: Option<String>,
    /// `art5` or `msp12`.
    #[serde(default = "art5")]
    pub basis: String,
    pub source: String,
    pub note: Option<String>,
}

/// An Art. 7 report received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransparencyReport {
    pub iso3: Iso3,
    pub kind: String,
    pub year: i32,
    pub received: PartialDate,
    pub source: String,
    pub note: Option<String>,
}

/// A State's position, dated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub iso3: Iso3,
    pub state: Option<String>,
    pub position: String,
    pub as_of: PartialDate,
    pub source: String,
    pub note: Option<String>,
}

/// A pledge, tracked to an outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    pub iso3: Iso3,
    pub commitment: String,
    pub due: Option<PartialDate>,
    pub source: String,
    pub note: Option<String>,
    pub outcome: Option<String>,
    pub outcome_date: Option<PartialDate>,
}

/// A figure with its range, unit, date and source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub subject: String,
    pub iso3: Option<Iso3>,
    pub measure: String,
    pub low: f64,
    pub high: f64,
    pub unit: String,
    pub as_of: PartialDate,
    pub source: String,
    pub note: Option<String>,
}

/// A stockpile declaration, destruction figure or retention under Art. 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockpileRecord {
    pub iso3: Iso3,
    pub date: PartialDate,
    pub record: String,
    pub device_type: String,
    pub quantity: Option<i64>,
    pub source: String,
    pub note: Option<String>,
}

fn art5() -> String {
    "art5".to_string()
}

impl TreatyEvent {
    /// The day, for the events the schema requires to be known to the day (and the first day the
    /// date can mean for the others).
    pub fn day(&self) -> NaiveDate {
        self.date.start()
    }
}

/// A document the record cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub id: String,
    pub title: String,
    pub publisher: String,
    /// Year of publication; `None` for an undated page (cited "n.d.").
    #[serde(default)]
    pub year: Option<i32>,
    pub url: String,
}

/// A Meeting of the States Parties, Review Conference or special meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub kind: String,
    pub number: Option<i64>,
    pub city: Option<String>,
    pub country_iso3: Option<Iso3>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub source: String,
}

/// A finding of new use of anti-personnel mines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseFinding {
    pub year: i32,
    pub iso3: Iso3,
    pub actor_kind: String,
    pub actor: String,
    pub finding: String,
    pub source: String,
    pub note: Option<String>,
}

/// The ids a `source` cell cites: one or more, separated by `;`.
pub fn source_ids(source: &str) -> impl Iterator<Item = &str> {
    source.split(';').map(str::trim).filter(|s| !s.is_empty())
}
