use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::CoreError;

/// A date known only as precisely as its source gives it: a year (`1997`), a month (`1997-09`)
/// or a day (`1997-09-17`). Its text form is kept as given, so that data round-trips unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartialDate {
    Year(i32),
    Month(i32, u32),
    Day(NaiveDate),
}

impl PartialDate {
    /// The first day the date can mean (1 January for a year).
    pub fn start(&self) -> NaiveDate {
        match *self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1),
            PartialDate::Month(y, m) => NaiveDate::from_ymd_opt(y, m, 1),
            PartialDate::Day(d) => Some(d),
        }
        .unwrap_or(NaiveDate::MIN)
    }

    /// The last day the date can mean (31 December for a year).
    pub fn end(&self) -> NaiveDate {
        match *self {
            PartialDate::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31),
            PartialDate::Month(y, m) => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| d.pred_opt())
            }
            PartialDate::Day(d) => Some(d),
        }
        .unwrap_or(NaiveDate::MAX)
    }

    /// The calendar year.
    pub fn year(&self) -> i32 {
        match *self {
            PartialDate::Year(y) | PartialDate::Month(y, _) => y,
            PartialDate::Day(d) => d.year(),
        }
    }
}

fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl FromStr for PartialDate {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CoreError::InvalidDate {
            value: s.to_string(),
        };
        let t = s.trim();
        let parts: Vec<&str> = t.split('-').collect();
        match parts.as_slice() {
            [y] => parse_year(y).map(PartialDate::Year).ok_or_else(bad),
            [y, m] => {
                let y = parse_year(y).ok_or_else(bad)?;
                let m: u32 = (m.len() == 2)
                    .then(|| m.parse().ok())
                    .flatten()
                    .ok_or_else(bad)?;
                NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
                Ok(PartialDate::Month(y, m))
            }
            [_, _, _] => parse_day(t).map(PartialDate::Day).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

/// Parses a full `YYYY-MM-DD` date strictly (four-digit year, two-digit month and day).
pub(crate) fn parse_day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            PartialDate::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn year_month_day_forms() {
        let y: PartialDate = "1997".parse().unwrap();
        assert_eq!((y.start(), y.end()), (d(1997, 1, 1), d(1997, 12, 31)));
        let m: PartialDate = "2000-02".parse().unwrap();
        assert_eq!((m.start(), m.end()), (d(2000, 2, 1), d(2000, 2, 29)));
        let m: PartialDate = "1999-12".parse().unwrap();
        assert_eq!(m.end(), d(1999, 12, 31));
        let x: PartialDate = "1997-09-17".parse().unwrap();
        assert_eq!((x.start(), x.end()), (d(1997, 9, 17), d(1997, 9, 17)));
        for s in ["1997", "2000-02", "1997-09-17"] {
            assert_eq!(s.parse::<PartialDate>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_impossible_or_malformed() {
        for bad in [
            "97",
            "1997-13",
            "1997-02-30",
            "1997/01/01",
            "",
            "1997-1-01",
            "abcd",
        ] {
            assert!(bad.parse::<PartialDate>().is_err(), "{bad:?} accepted");
        }
    }
}
