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
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub instrument: Option<String>,
    pub succession_date: Option<NaiveDate>,
    pub source: String,
    pub note: Option<String>,
}

/// An Art. 5 extension request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub iso3: Iso3,
    pub submitted: NaiveDate,
    pub requested_until: NaiveDate,
    pub decision: String,
    pub decided_on: Option<NaiveDate>,
    pub granted_until: Option<NaiveDate>,
    pub source: String,
    pub note: Option<String>,
}

/// An Art. 7 report received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransparencyReport {
    pub iso3: Iso3,
    pub kind: String,
    pub year: i32,
    pub received: NaiveDate,
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
    pub date: NaiveDate,
    pub record: String,
    pub device_type: String,
    pub quantity: Option<i64>,
    pub source: String,
    pub note: Option<String>,
}
