//! The world map: the bundled 1:110m boundaries projected and simplified once per process into
//! SVG paths, coloured on each request by treaty status, deadline risk or contamination band as
//! of a date.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use demine_analytics::registry::{self as view, StateRow};

use crate::html::esc;

const COUNTRIES: &str = include_str!("../../../data/countries_110m.geojson");

/// The map's frame: longitude -180..180 and latitude 84..-60 at this many units per degree.
pub const SCALE: f64 = 2.0;
pub const TOP_LAT: f64 = 84.0;
pub const BOTTOM_LAT: f64 = -60.0;

/// One country, ready to draw.
#[derive(Debug, Clone)]
pub struct Country {
    pub iso3: String,
    pub name: String,
    /// The SVG path (`d`), in map units.
    pub path: String,
    /// Its box in lon/lat: west, south, east, north.
    pub bbox: [f64; 4],
}

/// Every country, built once.
#[derive(Debug)]
pub struct World {
    pub countries: Vec<Country>,
    pub by_iso3: HashMap<String, usize>,
}

static WORLD: OnceLock<World> = OnceLock::new();

/// The projected, simplified boundaries (built on first use).
pub fn world() -> &'static World {
    WORLD.get_or_init(build)
}

pub fn project(lon: f64, lat: f64) -> (f64, f64) {
    (
        (lon + 180.0) * SCALE,
        (TOP_LAT - lat.clamp(BOTTOM_LAT - 5.0, 90.0)) * SCALE,
    )
}

fn ring_path(out: &mut String, ring: &[serde_json::Value]) {
    let mut last: Option<(i32, i32)> = None;
    let mut n = 0;
    for p in ring {
        let (Some(lon), Some(lat)) = (
            p.get(0).and_then(serde_json::Value::as_f64),
            p.get(1).and_then(serde_json::Value::as_f64),
        ) else {
            continue;
        };
        let (x, y) = project(lon, lat);
        // Simplified to a grid of half a map unit (a quarter of a degree): enough at this scale.
        let q = ((x * 2.0).round() as i32, (y * 2.0).round() as i32);
        if last == Some(q) {
            continue;
        }
        last = Some(q);
        let _ = write!(
            out,
            "{}{} {}",
            if n == 0 { "M" } else { "L" },
            f64::from(q.0) / 2.0,
            f64::from(q.1) / 2.0
        );
        n += 1;
    }
    if n > 0 {
        out.push('Z');
    }
}

fn build() -> World {
    let mut countries = Vec::new();
    let parsed: serde_json::Value = serde_json::from_str(COUNTRIES).unwrap_or_default();
    let empty = Vec::new();
    let features = parsed
        .get("features")
        .and_then(serde_json::Value::as_array)
        .unwrap_or(&empty);
    for f in features {
        let props = f.get("properties");
        let Some(iso3) = props
            .and_then(|p| p.get("iso3"))
            .and_then(serde_json::Value::as_str)
        else {
            continue;
        };
        let name = props
            .and_then(|p| p.get("name"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(iso3);
        let Some(g) = f.get("geometry") else { continue };
        let kind = g.get("type").and_then(serde_json::Value::as_str);
        let coords = g.get("coordinates").and_then(serde_json::Value::as_array);
        let Some(coords) = coords else { continue };
        let polys: Vec<&Vec<serde_json::Value>> = match kind {
            Some("Polygon") => vec![coords],
            Some("MultiPolygon") => coords.iter().filter_map(|p| p.as_array()).collect(),
            _ => continue,
        };
        let mut path = String::new();
        let mut bbox = [180.0f64, 90.0f64, -180.0f64, -90.0f64];
        for poly in polys {
            for ring in poly.iter().filter_map(|r| r.as_array()) {
                ring_path(&mut path, ring);
                for p in ring {
                    if let (Some(lon), Some(lat)) = (
                        p.get(0).and_then(serde_json::Value::as_f64),
                        p.get(1).and_then(serde_json::Value::as_f64),
                    ) {
                        bbox = [
                            bbox[0].min(lon),
                            bbox[1].min(lat),
                            bbox[2].max(lon),
                            bbox[3].max(lat),
                        ];
                    }
                }
            }
        }
        if path.is_empty() {
            continue;
        }
        countries.push(Country {
            iso3: iso3.to_string(),
            name: name.to_string(),
            path,
            bbox,
        });
    }
    let by_iso3 = countries
        .iter()
        .enumerate()
        .map(|(i, c)| (c.iso3.clone(), i))
        .collect();
    World { countries, by_iso3 }
}

/// What the map is coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colouring {
    Status,
    Risk,
    Contamination,
}

impl Colouring {
    pub fn parse(s: Option<&str>) -> Colouring {
        match s {
            Some("risk") => Colouring::Risk,
            Some("contamination") => Colouring::Contamination,
            _ => Colouring::Status,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Colouring::Status => "status",
            Colouring::Risk => "risk",
            Colouring::Contamination => "contamination",
        }
    }
}

/// A class and its legend text for each category of a colouring, in legend order.
pub fn legend(c: Colouring) -> &'static [(&'static str, &'static str)] {
    match c {
        Colouring::Status => &[
            ("party", "State Party"),
            ("signatory", "Signatory (not bound)"),
            (
                "pending-entry-into-force",
                "Bound soon (entry into force pending)",
            ),
            ("withdrawal-pending", "Withdrawal pending"),
            ("withdrawn", "Withdrawn"),
            ("not-signatory", "Not a signatory"),
            ("none", "Not in the registry"),
        ],
        Colouring::Risk => &[
            ("passed", "Clearance deadline passed"),
            ("within-1y", "Deadline within a year"),
            ("within-3y", "Deadline within three years"),
            ("later", "Deadline later"),
            (
                "no-deadline",
                "No clearance deadline (not bound or none held)",
            ),
            ("none", "Not in the registry"),
        ],
        Colouring::Contamination => &[
            ("massive", "Massive (over 100 km²)"),
            ("large", "Large (20–99 km²)"),
            ("medium", "Medium (5–19 km²)"),
            ("small", "Small (under 5 km²)"),
            ("unknown", "No estimate on record"),
            ("none", "Not in the registry"),
        ],
    }
}

/// The class of a State's risk: how far its clearance deadline (as moved by extensions granted
/// by the date) is from the date. A passed deadline is not "overdue": the State page says what
/// the record shows.
pub fn risk_class(row: &StateRow, as_of: NaiveDate) -> &'static str {
    match row.clearance_deadline {
        None => "no-deadline",
        Some(d) if d < as_of => "passed",
        Some(d) if (d - as_of).num_days() <= 365 => "within-1y",
        Some(d) if (d - as_of).num_days() <= 3 * 365 => "within-3y",
        Some(_) => "later",
    }
}

/// The latest contamination estimate known by the date, per State: the Monitor's band of its
/// range (`medium` etc.; the higher band when the range spans two).
pub fn contamination_bands(
    estimates: &[demine_core::records::Estimate],
) -> BTreeMap<String, &'static str> {
    let mut latest: BTreeMap<String, &demine_core::records::Estimate> = BTreeMap::new();
    for e in estimates {
        let Some(iso3) = &e.iso3 else { continue };
        let key = iso3.to_string();
        let newer = match latest.get(&key) {
            Some(old) => e.as_of.start() >= old.as_of.start(),
            None => true,
        };
        if newer {
            latest.insert(key, e);
        }
    }
    latest
        .into_iter()
        .map(|(k, e)| (k, view::contamination_band(e.high)))
        .collect()
}

/// The SVG of the world with each country's class.
pub fn svg(classes: &HashMap<&str, (&'static str, &str)>, as_of: NaiveDate) -> String {
    let w = world();
    let width = 360.0 * SCALE;
    let height = (TOP_LAT - BOTTOM_LAT) * SCALE;
    let mut s = String::with_capacity(260_000);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         class=\"worldmap\" role=\"img\" aria-label=\"World map as of {as_of}\" id=\"worldmap\">\
         <rect width=\"{width}\" height=\"{height}\" class=\"sea\"/>"
    );
    for c in &w.countries {
        let (class, status) = classes
            .get(c.iso3.as_str())
            .copied()
            .unwrap_or(("none", ""));
        let _ = write!(
            s,
            "<a href=\"/state/{iso}?as_of={as_of}\" data-iso3=\"{iso}\"><path class=\"c-{class}\" d=\"{d}\">\
             <title>{name}: {status}</title></path></a>",
            iso = esc(&c.iso3),
            d = c.path,
            name = esc(&c.name),
            status = esc(if status.is_empty() {
                "not in the registry"
            } else {
                status
            }),
        );
    }
    s.push_str("</svg>");
    s
}

/// The date asked about: `as_of` when given, else the end of `year` (today for this year), else
/// today.
pub fn pick_date(
    as_of: Option<&str>,
    year: Option<&str>,
    today: NaiveDate,
) -> Result<NaiveDate, String> {
    if let Some(s) = as_of.filter(|s| !s.is_empty()) {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| format!("as of {s:?} is not a date (YYYY-MM-DD)"));
    }
    if let Some(y) = year.filter(|s| !s.is_empty()) {
        let y: i32 = y.parse().map_err(|_| format!("year {y:?} is not a year"))?;
        if !(1997..=today.year()).contains(&y) {
            return Err(format!("year {y} is outside 1997 to {}", today.year()));
        }
        if y == today.year() {
            return Ok(today);
        }
        return NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(|| format!("year {y}"));
    }
    Ok(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_is_built_from_the_bundled_boundaries() {
        let w = world();
        assert!(w.countries.len() > 150, "{}", w.countries.len());
        let khm = &w.countries[w.by_iso3["KHM"]];
        assert!(khm.bbox[0] > 102.0 && khm.bbox[2] < 108.0);
        assert!(khm.path.starts_with('M') && khm.path.ends_with('Z'));
    }

    #[test]
    fn dates_come_from_the_field_then_the_year() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        assert_eq!(
            pick_date(Some("1999-03-01"), Some("2001"), today).ok(),
            NaiveDate::from_ymd_opt(1999, 3, 1)
        );
        assert_eq!(
            pick_date(None, Some("1997"), today).ok(),
            NaiveDate::from_ymd_opt(1997, 12, 31)
        );
        assert_eq!(pick_date(None, Some("2026"), today).ok(), Some(today));
        assert!(pick_date(None, Some("1990"), today).is_err());
        assert!(pick_date(Some("yesterday"), None, today).is_err());
    }
}
