//! CSV readers: batch points (`id,lon,lat`) and features with lon/lat or WKT geometry.
//!
//! The points reader is the batch check's input and is built for size: the text is cut at line
//! breaks and the pieces are parsed on several threads. A file with quoted fields goes through the
//! `csv` crate instead, sequentially.

use std::io::Read;

use crate::error::GeoError;
use crate::feature::{Collection, Feature, FeatureId, Properties};
use crate::geom::{Coord, Geometry};
use crate::index::BatchPoint;
use crate::json::Cursor;
use crate::validate::validate;
use crate::wkt::parse_wkt;
use crate::worker::FailWorker;

/// Column positions of a points file.
#[derive(Clone, Copy, Debug)]
struct PointCols {
    id: usize,
    lon: usize,
    lat: usize,
}

fn norm(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()
}

fn find_col(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.contains(&h.as_str()))
}

const ID_NAMES: &[&str] = &["id", "point_id", "pid", "fid"];
const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "x"];
const LAT_NAMES: &[&str] = &["lat", "latitude", "y"];

/// Works out the columns from a header line, or None when the first line is data.
fn point_cols(source_name: &str, first: &str) -> Result<Option<PointCols>, GeoError> {
    // Names may be quoted (`"id","lon","lat"`, as spreadsheets and pandas write them).
    let headers: Vec<String> = first
        .split(',')
        .map(|h| norm(h.trim().trim_matches('"')))
        .collect();
    // A first line whose second and third fields are numbers is a point (`WP001,102.5,11.2`): no
    // header names its columns with numbers.
    let looks_numeric =
        headers.len() >= 3 && headers[1..3].iter().all(|h| h.parse::<f64>().is_ok());
    if looks_numeric {
        return Ok(None);
    }
    let miss = |what: &str| GeoError::Csv {
        source_name: source_name.to_string(),
        line: 1,
        message: format!("header has no {what} column (found: {})", headers.join(",")),
    };
    Ok(Some(PointCols {
        id: find_col(&headers, ID_NAMES).ok_or_else(|| miss("id"))?,
        lon: find_col(&headers, LON_NAMES).ok_or_else(|| miss("lon"))?,
        lat: find_col(&headers, LAT_NAMES).ok_or_else(|| miss("lat"))?,
    }))
}

fn parse_f64(field: &str) -> Option<f64> {
    let t = field.trim();
    let mut c = Cursor::new(t.as_bytes(), 0);
    match c.number() {
        Ok(v) if c.i == t.len() => Some(v),
        _ => t.parse::<f64>().ok(),
    }
}

/// Why a point line was rejected (relative line within a piece).
struct LineErr {
    line: u64,
    message: String,
}

/// One point line as read: the id as written (trimmed), the place, and the line (relative to its
/// piece while pieces are parsed, then absolute).
struct RawPoint<'a> {
    id: std::borrow::Cow<'a, str>,
    coord: Coord,
    line: u64,
}

fn point_from_fields<'a>(fields: &[&'a str], cols: PointCols) -> Result<(&'a str, Coord), String> {
    let get = |i: usize, name: &str| {
        fields
            .get(i)
            .copied()
            .ok_or_else(|| format!("missing field {name} (column {})", i + 1))
    };
    let id = get(cols.id, "id")?.trim();
    let lon_s = get(cols.lon, "lon")?;
    let lat_s = get(cols.lat, "lat")?;
    // Each fault names its own field and column: a bad latitude is never blamed on the longitude.
    let (lon_f, lat_f) = (
        format!("field lon (column {})", cols.lon + 1),
        format!("field lat (column {})", cols.lat + 1),
    );
    let lon =
        parse_f64(lon_s).ok_or_else(|| format!("{lon_f}: {:?} is not a number", lon_s.trim()))?;
    let lat =
        parse_f64(lat_s).ok_or_else(|| format!("{lat_f}: {:?} is not a number", lat_s.trim()))?;
    if !lon.is_finite() {
        return Err(format!("{lon_f}: longitude {lon} is not a finite number"));
    }
    if !lat.is_finite() {
        return Err(format!("{lat_f}: latitude {lat} is not a finite number"));
    }
    if lon.abs() > 180.0 {
        return Err(format!(
            "{lon_f}: longitude {lon} is out of range -180..180"
        ));
    }
    if lat.abs() > 90.0 {
        return Err(if lon.abs() <= 90.0 {
            format!("{lat_f}: latitude {lat} is beyond 90: are lon and lat swapped?")
        } else {
            format!("{lat_f}: latitude {lat} is out of range -90..90")
        });
    }
    Ok((id, Coord::new(lon, lat)))
}

/// The common case `id,lon,lat` with plain numbers, parsed straight from the bytes. Anything else
/// (including every fault) returns None and goes the general way, which names the fault.
#[inline]
fn fast_line(line: &str) -> Option<(&str, Coord)> {
    let b = line.as_bytes();
    let comma = b.iter().position(|&c| c == b',')?;
    let id = &line[..comma];
    if id.trim() != id {
        return None;
    }
    let mut c = Cursor::new(b, comma + 1);
    let lon = c.number().ok()?;
    if c.peek() != Some(b',') {
        return None;
    }
    c.i += 1;
    let lat = c.number().ok()?;
    if c.i != b.len() || !(lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return None;
    }
    Some((id, Coord::new(lon, lat)))
}

/// What parsing one piece gives: None when a quote was seen, else the points and line count or
/// the first bad line.
type PieceResult<'a> = Option<Result<(Vec<RawPoint<'a>>, u64), LineErr>>;

/// Parses one piece of plain lines. Returns the points and the number of lines, or None when a
/// quote was seen (the caller then uses the csv crate).
fn parse_piece(text: &str, cols: PointCols) -> PieceResult<'_> {
    let mut out = Vec::with_capacity(text.len() / 28);
    let mut fields: Vec<&str> = Vec::with_capacity(8);
    let mut n = 0u64;
    let fast = cols.id == 0 && cols.lon == 1 && cols.lat == 2;
    for line in text.split_inclusive('\n') {
        n += 1;
        let line = line.trim_end_matches(['\n', '\r']);
        if line.contains('"') {
            return None;
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match fast.then(|| fast_line(line)).flatten() {
            Some(p) => Ok(p),
            None => {
                fields.clear();
                fields.extend(line.split(','));
                point_from_fields(&fields, cols)
            }
        };
        match parsed {
            Ok((id, coord)) => out.push(RawPoint {
                id: std::borrow::Cow::Borrowed(id),
                coord,
                line: n,
            }),
            Err(message) => return Some(Err(LineErr { line: n, message })),
        }
    }
    Some(Ok((out, n)))
}

/// Reads batch points from CSV text: a header naming `id`, `lon`, `lat` columns (any order; also
/// `longitude`/`latitude`, `x`/`y`), or no header and the columns `id,lon,lat`. Ids must be
/// integers here; [`read_point_batch`] keeps them as text.
pub fn read_points(
    source_name: &str,
    text: &[u8],
    threads: usize,
) -> Result<Vec<BatchPoint>, GeoError> {
    read_points_failing(source_name, text, threads, FailWorker::NONE)
}

/// [`read_points`], with a worker made to fail in tests.
fn read_points_failing(
    source_name: &str,
    text: &[u8],
    threads: usize,
    fail: FailWorker,
) -> Result<Vec<BatchPoint>, GeoError> {
    let text = utf8(source_name, text)?;
    read_raw(source_name, text, threads, fail)?
        .into_iter()
        .map(|p| {
            let id = p.id.parse::<i64>().map_err(|_| GeoError::Csv {
                source_name: source_name.to_string(),
                line: p.line,
                message: format!("field id: {:?} is not an integer", p.id),
            })?;
            Ok(BatchPoint { id, coord: p.coord })
        })
        .collect()
}

/// Points whose ids are text, as GPS units and spreadsheets name them ("WP001", "Mine 12b"). Each
/// point's [`BatchPoint::id`] is its position in the batch, and [`PointBatch::id`] gives back the
/// id it was given.
///
/// The ids lie one after the other in one string (not one allocation per point: two million
/// points made that, and the map that found repeats, a fifth of the batch check's time).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointBatch {
    /// The points, in input order; each one's `id` is its position (0, 1, 2, ...).
    pub points: Vec<BatchPoint>,
    /// The ids as the input gave them, one after the other.
    text: String,
    /// Where each point's id ends in `text`, by position.
    ends: Vec<usize>,
}

/// Where a point came from, written only when a message names it: `line 4` of a CSV file.
#[derive(Clone, Copy, Debug)]
struct Line(u64);

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.0)
    }
}

/// Orders ids by length, then bytes: a total order in which only equal ids are equal, so ids in
/// strictly increasing order hold no repeat. Numbered ids (1, 2, ..., 10, ...) and zero-padded
/// ones (WP001, WP002, ...) written in order are increasing in it.
fn shortlex(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl PointBatch {
    /// A batch from ids and places in input order, each with where it came from (`line 4`,
    /// `waypoint 2`: written only into a message). An empty id, or an id given twice, is refused,
    /// naming both places.
    pub fn new<S: AsRef<str>, A: std::fmt::Display>(
        source_name: &str,
        items: impl IntoIterator<Item = (S, Coord, A)>,
    ) -> Result<Self, GeoError> {
        let items = items.into_iter();
        let mut batch = PointBatch::default();
        let mut ats = Vec::with_capacity(items.size_hint().0);
        batch.points.reserve(items.size_hint().0);
        batch.ends.reserve(items.size_hint().0);
        for (pos, (id, coord, at)) in items.enumerate() {
            let id = id.as_ref();
            if id.trim().is_empty() {
                return Err(GeoError::Points {
                    source_name: source_name.to_string(),
                    message: format!("{at}: the point has an empty id"),
                });
            }
            batch.points.push(BatchPoint {
                id: i64::try_from(pos).unwrap_or(i64::MAX),
                coord,
            });
            batch.text.push_str(id);
            batch.ends.push(batch.text.len());
            ats.push(at);
        }
        if let Some((first, pos)) = batch.first_repeat() {
            let at = |i: usize| ats.get(i).map_or_else(String::new, ToString::to_string);
            return Err(GeoError::Points {
                source_name: source_name.to_string(),
                message: format!(
                    "{}: id {:?} is already the id of the point on {}: which point is it?",
                    at(pos),
                    batch.id(pos as i64),
                    at(first)
                ),
            });
        }
        Ok(batch)
    }

    /// The first id given again, in input order: the positions of its first and second use.
    fn first_repeat(&self) -> Option<(usize, usize)> {
        // The usual file numbers its points in order: one walk proves there is no repeat.
        let increasing =
            (1..self.len()).all(|i| shortlex(self.id(i as i64 - 1), self.id(i as i64)).is_lt());
        if increasing {
            return None;
        }
        let mut seen: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::with_capacity(self.len());
        (0..self.len()).find_map(|pos| {
            seen.insert(self.id(pos as i64), pos)
                .map(|first| (first, pos))
        })
    }

    /// The id of the point at `position` (a [`BatchPoint::id`] of this batch).
    pub fn id(&self, position: i64) -> &str {
        let Ok(i) = usize::try_from(position) else {
            return "";
        };
        let start = match i.checked_sub(1) {
            None => 0,
            Some(before) => self.ends.get(before).copied().unwrap_or(usize::MAX),
        };
        self.ends
            .get(i)
            .and_then(|end| self.text.get(start..*end))
            .unwrap_or("")
    }

    /// The ids, in input order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.id(i as i64))
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Reads a CSV of points like [`read_points`], keeping each id as the text it is. An empty id or
/// an id on two lines is refused with both lines.
pub fn read_point_batch(
    source_name: &str,
    text: &[u8],
    threads: usize,
) -> Result<PointBatch, GeoError> {
    let text = utf8(source_name, text)?;
    let raw = read_raw(source_name, text, threads, FailWorker::NONE)?;
    PointBatch::new(
        source_name,
        raw.iter().map(|p| (&*p.id, p.coord, Line(p.line))),
    )
}

fn utf8<'a>(source_name: &str, text: &'a [u8]) -> Result<&'a str, GeoError> {
    std::str::from_utf8(text).map_err(|e| {
        let (line, _) = crate::error::line_col(text, e.valid_up_to());
        GeoError::Csv {
            source_name: source_name.to_string(),
            line: line as u64,
            message: "not valid UTF-8".into(),
        }
    })
}

/// The points of a CSV text with their ids as written and their lines.
fn read_raw<'a>(
    source_name: &str,
    text: &'a str,
    threads: usize,
    fail: FailWorker,
) -> Result<Vec<RawPoint<'a>>, GeoError> {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let first = text[..first_end].trim_end_matches(['\n', '\r']);
    let (cols, body, body_line) = match point_cols(source_name, first)? {
        Some(c) => (c, &text[first_end..], 2u64),
        None => (
            PointCols {
                id: 0,
                lon: 1,
                lat: 2,
            },
            text,
            1u64,
        ),
    };
    // Cut the body at line breaks.
    let threads = threads.max(1);
    let mut cuts = vec![0usize];
    if threads > 1 && body.len() > 1 << 20 {
        for k in 1..threads {
            let mut p = body.len() / threads * k;
            while p < body.len() && body.as_bytes()[p] != b'\n' {
                p += 1;
            }
            if p < body.len() && p + 1 > cuts[cuts.len() - 1] {
                cuts.push(p + 1);
            }
        }
    }
    cuts.push(body.len());
    let pieces: Vec<&str> = cuts.windows(2).map(|w| &body[w[0]..w[1]]).collect();
    let results: Vec<PieceResult<'a>> = if pieces.len() == 1 {
        vec![parse_piece(pieces[0], cols)]
    } else {
        std::thread::scope(|s| {
            let hs: Vec<_> = pieces
                .iter()
                .enumerate()
                .map(|(k, piece)| {
                    s.spawn(move || {
                        fail.at(k);
                        parse_piece(piece, cols)
                    })
                })
                .collect();
            crate::worker::join_all(&format!("{source_name}: reading points"), hs)
        })?
    };
    if results.iter().any(Option::is_none) {
        return read_points_quoted(source_name, text.as_bytes(), cols, body_line > 1);
    }
    let mut out = Vec::new();
    let mut line_base = body_line;
    for r in results.into_iter().flatten() {
        match r {
            Ok((mut pts, n)) => {
                for p in &mut pts {
                    p.line += line_base - 1;
                }
                if out.is_empty() {
                    out = pts;
                } else {
                    out.extend(pts);
                }
                line_base += n;
            }
            Err(e) => {
                return Err(GeoError::Csv {
                    source_name: source_name.to_string(),
                    line: line_base + e.line - 1,
                    message: e.message,
                });
            }
        }
    }
    Ok(out)
}

fn read_points_quoted(
    source_name: &str,
    text: &[u8],
    cols: PointCols,
    has_header: bool,
) -> Result<Vec<RawPoint<'static>>, GeoError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(has_header)
        .flexible(true)
        .from_reader(text);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(source_name, &e))?;
        let line = rec.position().map_or(0, csv::Position::line);
        let fields: Vec<&str> = rec.iter().collect();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let (id, coord) = point_from_fields(&fields, cols).map_err(|message| GeoError::Csv {
            source_name: source_name.to_string(),
            line,
            message,
        })?;
        out.push(RawPoint {
            id: std::borrow::Cow::Owned(id.to_string()),
            coord,
            line,
        });
    }
    Ok(out)
}

fn csv_err(source_name: &str, e: &csv::Error) -> GeoError {
    GeoError::Csv {
        source_name: source_name.to_string(),
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    }
}

/// Reads features from CSV with a header: an `id` column (optional), either `lon`+`lat` columns
/// (points) or a `wkt`/`geometry`/`geom` column (any WKT geometry), and optional `status`,
/// `type`/`hazard_type`, `name`, `radius`/`radius_m` columns. Validated like every reader.
pub fn read_features_csv(source_name: &str, input: impl Read) -> Result<Collection, GeoError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let raw_headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_err(source_name, &e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let headers: Vec<String> = raw_headers.iter().map(|h| norm(h)).collect();
    let id_c = find_col(&headers, ID_NAMES);
    let wkt_c = find_col(&headers, &["wkt", "geometry", "geom", "the_geom"]);
    let lon_c = find_col(&headers, LON_NAMES);
    let lat_c = find_col(&headers, LAT_NAMES);
    let status_c = find_col(&headers, &["status"]);
    let type_c = find_col(&headers, &["type", "hazard_type"]);
    let name_c = find_col(&headers, &["name"]);
    let radius_c = find_col(&headers, &["radius", "radius_m"]);
    if wkt_c.is_none() && (lon_c.is_none() || lat_c.is_none()) {
        return Err(GeoError::Csv {
            source_name: source_name.to_string(),
            line: 1,
            message: "header needs a wkt (or geometry) column, or lon and lat columns".into(),
        });
    }
    let mut features = Vec::new();
    for (index, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| csv_err(source_name, &e))?;
        let line = rec.position().map_or(0, csv::Position::line);
        let err = |message: String| GeoError::Csv {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let field = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let geometry = if let Some(w) = field(wkt_c) {
            parse_wkt(w).map_err(|e| err(format!("field wkt: {e}")))?
        } else {
            let lon_s = field(lon_c).ok_or_else(|| err("field lon is empty".into()))?;
            let lat_s = field(lat_c).ok_or_else(|| err("field lat is empty".into()))?;
            let lon = parse_f64(lon_s)
                .ok_or_else(|| err(format!("field lon: {lon_s:?} is not a number")))?;
            let lat = parse_f64(lat_s)
                .ok_or_else(|| err(format!("field lat: {lat_s:?} is not a number")))?;
            Geometry::Point(Coord::new(lon, lat))
        };
        let radius_m = match field(radius_c) {
            Some(r) => Some(
                parse_f64(r).ok_or_else(|| err(format!("field radius: {r:?} is not a number")))?,
            ),
            None => None,
        };
        let id = field(id_c).map(|s| match s.parse::<i64>() {
            Ok(i) => FeatureId::Int(i),
            Err(_) => FeatureId::Str(s.to_string()),
        });
        let used = [
            id_c, wkt_c, lon_c, lat_c, status_c, type_c, name_c, radius_c,
        ];
        let mut attributes = serde_json::Map::new();
        for (c, h) in raw_headers.iter().enumerate() {
            if used.contains(&Some(c)) || h.is_empty() {
                continue;
            }
            if let Some(v) = field(Some(c)) {
                attributes
                    .entry(h.clone())
                    .or_insert(serde_json::Value::String(v.to_string()));
            }
        }
        features.push(Feature {
            index,
            id,
            properties: Properties {
                status: field(status_c).map(str::to_string),
                hazard_type: field(type_c).map(str::to_string),
                name: field(name_c).map(str::to_string),
                radius_m,
                attributes,
            },
            geometry: Some(geometry),
        });
    }
    validate(source_name, features, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_with_header_any_order() {
        let p = read_points("p.csv", b"lat,id,lon\n10.5,7,102.25\n\n11,8,103\n", 1).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].id, 7);
        assert_eq!(p[0].coord, Coord::new(102.25, 10.5));
    }

    #[test]
    fn points_without_header_and_quoted() {
        let p = read_points("p.csv", b"1,2.5,3.5\r\n2,4,5\r\n", 1).unwrap();
        assert_eq!(p.len(), 2);
        let q = read_points("p.csv", b"id,lon,lat\n\"1\",\"2.5\",3.5\n", 1).unwrap();
        assert_eq!(q[0].coord, Coord::new(2.5, 3.5));
    }

    #[test]
    fn text_ids_are_kept_and_duplicates_or_empty_refused() {
        let b = read_point_batch(
            "p.csv",
            b"id,lon,lat\nWP001,102.5,11.25\nMine 12b,103,12\n\"Gate, north\",104,13\n",
            1,
        );
        let b = b.unwrap();
        assert_eq!(
            b.ids().collect::<Vec<_>>(),
            ["WP001", "Mine 12b", "Gate, north"]
        );
        assert_eq!(b.points[1].id, 1);
        assert_eq!(b.id(2), "Gate, north");
        // No header, text ids; numbers stay as written ("007" is not 7).
        let b = read_point_batch("p.csv", b"WP1,1,2\n007,3,4\n", 1).unwrap();
        assert_eq!(b.ids().collect::<Vec<_>>(), ["WP1", "007"]);
        let e = read_point_batch("p.csv", b"id,lon,lat\nA,1,2\nB,1,2\nA,3,4\n", 1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "p.csv: line 4: id \"A\" is already the id of the point on line 2: which point is it?"
        );
        let e = read_point_batch("p.csv", b"id,lon,lat\nA,1,2\n,3,4\n", 1)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "p.csv: line 3: the point has an empty id");
        // Across pieces read on several threads, the lines are still the file's.
        let mut s = String::from("id,lon,lat\n");
        for i in 0..60_000 {
            s.push_str(&format!("P{i},{}.5,{}.5\n", i % 170, i % 80));
        }
        s.push_str("P17,1,1\n");
        let e = read_point_batch("p", s.as_bytes(), 4)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 60002: id \"P17\"") && e.contains("on line 19"),
            "{e}"
        );
    }

    #[test]
    fn ids_in_order_need_no_map_and_repeats_out_of_order_are_found() {
        // Numbered in order: no repeat, and every id is given back as written.
        let text: String = (1..=5000).map(|i| format!("{i},1,2\n")).collect();
        let b = read_point_batch("p", text.as_bytes(), 1).unwrap();
        assert_eq!(b.len(), 5000);
        assert_eq!(b.id(0), "1");
        assert_eq!(b.id(4999), "5000");
        assert_eq!(b.id(5000), "");
        assert_eq!(b.id(-1), "");
        // In order but for one repeat at the end, and a repeat next to itself.
        for tail in ["3,1,2\n", "5000,1,2\n"] {
            let e = read_point_batch("p", format!("{text}{tail}").as_bytes(), 1)
                .unwrap_err()
                .to_string();
            let id = tail.split(',').next().unwrap_or_default();
            assert!(e.contains(&format!("line 5001: id \"{id}\"")), "{e}");
        }
        // "10" before "9" is out of order: the map decides (no repeat).
        let b = read_point_batch("p", b"10,1,2\n9,1,2\n", 1).unwrap();
        assert_eq!(b.ids().collect::<Vec<_>>(), ["10", "9"]);
    }

    proptest::proptest! {
        #[test]
        fn the_first_repeat_is_the_naive_one(
            ids in proptest::collection::vec("[a-c0-9]{1,3}", 0..40),
            sorted in proptest::bool::ANY,
        ) {
            let mut ids = ids;
            if sorted {
                ids.sort_by(|a, b| shortlex(a, b));
            }
            let naive = (0..ids.len()).find_map(|j| {
                (0..j).find(|i| ids[*i] == ids[j]).map(|i| (i, j))
            });
            let items = ids.iter().map(|id| (id.as_str(), Coord::new(1.0, 2.0), "here"));
            match PointBatch::new("p", items) {
                Ok(b) => {
                    proptest::prop_assert_eq!(naive, None);
                    proptest::prop_assert_eq!(b.ids().collect::<Vec<_>>(), ids.iter().map(String::as_str).collect::<Vec<_>>());
                }
                Err(e) => {
                    let (_, j) = naive.unwrap_or((0, 0));
                    proptest::prop_assert!(e.to_string().contains(&format!("id {:?}", ids[j])), "{}", e);
                }
            }
        }
    }

    #[test]
    fn point_errors_name_line_and_field() {
        let e = read_points("p.csv", b"id,lon,lat\n1,2,3\n2,x,3\n", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv: line 3: field lon (column 2): \"x\" is not a number"
        );
        let e = read_points("p.csv", b"id,lon,lat\n1,12.0,104.9\n", 1).unwrap_err();
        assert!(e.to_string().contains("swapped"), "{e}");
        let e = read_points("p.csv", b"id,lat\n1,2\n", 1).unwrap_err();
        assert!(e.to_string().contains("no lon column"), "{e}");
    }

    #[test]
    fn parallel_points_equal_sequential() {
        let mut s = String::from("id,lon,lat\n");
        for i in 0..60_000 {
            s.push_str(&format!("{i},{}.1234567,{}.7654321\n", i % 170, i % 80));
        }
        let a = read_points("p", s.as_bytes(), 1).unwrap();
        let b = read_points("p", s.as_bytes(), 4).unwrap();
        assert_eq!(a.len(), 60_000);
        assert_eq!(a, b);
        s.push_str("60000,1,bad\n");
        let e = read_points("p", s.as_bytes(), 4).unwrap_err();
        assert!(e.to_string().contains("line 60002"), "{e}");
    }

    #[test]
    fn features_from_wkt_and_lonlat() {
        let t = "id,status,wkt\n1,suspected,\"POLYGON((0 0,1 0,1 1,0 0))\"\n2,cleared,POINT(5 5)\n";
        let c = read_features_csv("h.csv", t.as_bytes()).unwrap();
        assert_eq!(c.features.len(), 2);
        assert!(matches!(c.features[0].geometry, Some(Geometry::Polygon(_))));
        let t = "id,lon,lat,radius,status\n3,102.5,12.5,50,suspected\n";
        let c = read_features_csv("h.csv", t.as_bytes()).unwrap();
        assert_eq!(c.features[0].properties.radius_m, Some(50.0));
        let e = read_features_csv("h.csv", "id,wkt\n1,POLYGON((0 0,1 0\n".as_bytes()).unwrap_err();
        assert!(
            e.to_string().starts_with("h.csv: line 2: field wkt:"),
            "{e}"
        );
    }

    /// A failed worker of the parallel point reader fails the read, naming the file.
    #[test]
    fn a_failed_reader_worker_fails_the_read() {
        let mut s = String::from("id,lon,lat\n");
        for i in 0..120_000 {
            s.push_str(&format!("{i},{}.5,{}.25\n", i % 170, i % 80));
        }
        assert_eq!(
            read_points("p.csv", s.as_bytes(), 4).unwrap().len(),
            120_000
        );
        let e = read_points_failing("p.csv", s.as_bytes(), 4, FailWorker(Some(2))).unwrap_err();
        assert!(matches!(e, GeoError::Worker { worker: 2, .. }), "{e:?}");
        assert!(e.to_string().starts_with("p.csv: reading points"), "{e}");
    }

    /// A bad latitude is reported as the latitude, with its column, file and line; a bad
    /// longitude as the longitude.
    #[test]
    fn quoted_header_names() {
        let p = read_points(
            "p.csv",
            b"\"id\",\"lon\",\"lat\"\n\"7\",\"104.5\",\"11.5\"\n",
            1,
        )
        .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].id, p[0].coord), (7, Coord::new(104.5, 11.5)));
    }

    #[test]
    fn faults_name_the_right_field() {
        let cases: &[(&str, &str)] = &[
            (
                "id,lon,lat\n1,104,NaN\n",
                "line 2: field lat (column 3): latitude NaN is not",
            ),
            (
                "id,lon,lat\n1,104,inf\n",
                "line 2: field lat (column 3): latitude inf is not",
            ),
            (
                "id,lon,lat\n1,NaN,11\n",
                "line 2: field lon (column 2): longitude NaN is not",
            ),
            (
                "id,lon,lat\n1,104,91\n",
                "field lat (column 3): latitude 91 is out of range",
            ),
            (
                "id,lon,lat\n1,11,104\n",
                "field lat (column 3): latitude 104 is beyond 90",
            ),
            (
                "id,lon,lat\n1,181,11\n",
                "field lon (column 2): longitude 181 is out of range",
            ),
            (
                "id,lat,lon\n1,95,10\n",
                "field lat (column 2): latitude 95 is beyond 90",
            ),
            (
                "id,lon,lat\n1,104,eleven\n",
                "field lat (column 3): \"eleven\" is not a number",
            ),
            (
                "1,104,11\n2,104,-90.5\n",
                "p.csv: line 2: field lat (column 3)",
            ),
        ];
        for (text, want) in cases {
            for threads in [1, 4] {
                let e = read_points("p.csv", text.as_bytes(), threads).unwrap_err();
                assert!(e.to_string().contains(want), "{text:?}: {e}");
                assert!(e.to_string().starts_with("p.csv: line "), "{text:?}: {e}");
            }
        }
    }
}
