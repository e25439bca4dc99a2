use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::CoreError;

/// An ISO 3166-1 alpha-3 code (or a user-assigned code of the same shape, such as `XKX`).
/// Always three upper-case ASCII letters; lower case input is accepted and upper-cased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iso3([u8; 3]);

impl Iso3 {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The three bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Iso3 {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let b = t.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(CoreError::InvalidIso3 {
                value: s.to_string(),
            });
        }
        Ok(Iso3([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }
}

impl fmt::Display for Iso3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Iso3 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Iso3 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_upper_cases() {
        assert_eq!("afg".parse::<Iso3>().unwrap().as_str(), "AFG");
        assert_eq!(" USA ".parse::<Iso3>().unwrap().to_string(), "USA");
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "US", "USAA", "U5A", "ÄBC"] {
            assert!(bad.parse::<Iso3>().is_err(), "{bad:?} accepted");
        }
    }
}
