//! GeoJSON (RFC 7946) reader: FeatureCollection, Feature or a bare geometry.
//!
//! Written for speed on large files: a byte-level parser with no intermediate JSON tree, and, for a
//! large `features` array, parallel parsing. The array is cut at line breaks into one chunk per
//! thread and each chunk is parsed on the guess that a feature starts there; a chunk's guess is
//! accepted only if the chunk before it, parsed from a known boundary, ends exactly where it
//! begins. Otherwise the rest is parsed sequentially, so the result never depends on the guess.
//! (A raw line break cannot occur inside a JSON string, so every cut is between tokens.)

use std::borrow::Cow;

use crate::error::Fault;
use crate::error::{GeoError, line_col};
use crate::feature::{Collection, Feature, FeatureId, Properties};
use crate::geom::{Coord, Geometry, Polygon};
use crate::json::{Cursor, PErr, PResult};
use crate::validate::{finish, validate, validate_feature};

/// Below this many bytes of features, parsing stays on one thread.
const PARALLEL_MIN_BYTES: usize = 1 << 22;

/// Reads and validates GeoJSON text. `source_name` names the input in messages; `threads` is the
/// number of threads to parse and validate with (1 = sequential).
pub fn read_geojson(
    source_name: &str,
    text: &[u8],
    threads: usize,
) -> Result<Collection, GeoError> {
    read_checked(source_name, text, threads, false)
}

/// Reads and validates GeoJSON text like [`read_geojson`], keeping every property of a feature
/// besides those [`Properties`] names (`id`, `status`, `type`/`hazard_type`/`hazardType`,
/// `name`, `radius`/`radius_m`) in its `Properties::attributes`, as written: what an import
/// stores besides the geometry, read in the same pass as the rest.
pub fn read_geojson_with_attributes(
    source_name: &str,
    text: &[u8],
    threads: usize,
) -> Result<Collection, GeoError> {
    read_checked(source_name, text, threads, true)
}

fn read_checked(
    source_name: &str,
    text: &[u8],
    threads: usize,
    attributes: bool,
) -> Result<Collection, GeoError> {
    let (features, faults) = parse_inner(source_name, text, threads, true, attributes)?;
    match faults {
        // Every feature of a collection was checked by the thread that parsed it, while its data
        // was still in cache; what is left is the check across features (duplicate ids).
        Some(faults) => finish(source_name, features, faults),
        None => validate(source_name, features, threads),
    }
}

/// Reads and validates GeoJSON from a reader (read whole, then parsed in parallel).
pub fn read_geojson_from(
    source_name: &str,
    input: impl std::io::Read,
    threads: usize,
) -> Result<Collection, GeoError> {
    let text = crate::error::read_source(source_name, input)?;
    read_geojson(source_name, &text, threads)
}

/// Parses GeoJSON text into features without validating them.
pub fn parse_geojson(
    source_name: &str,
    text: &[u8],
    threads: usize,
) -> Result<Vec<Feature>, GeoError> {
    parse_inner(source_name, text, threads, false, false).map(|(f, _)| f)
}

/// Parses; with `check`, the features of a collection are also validated as they are parsed and
/// their faults returned (None when they were not checked).
fn parse_inner(
    source_name: &str,
    text: &[u8],
    threads: usize,
    check: bool,
    attributes: bool,
) -> Result<(Vec<Feature>, Option<Vec<Fault>>), GeoError> {
    let mut c = Cursor::new(text, 0);
    // A UTF-8 byte order mark is tolerated.
    if text.starts_with(&[0xEF, 0xBB, 0xBF]) {
        c.i = 3;
    }
    let r = top_level(
        &mut c,
        Opts {
            threads: threads.max(1),
            check,
            attributes,
        },
    )
    .and_then(|f| {
        c.ws();
        if c.i < text.len() {
            c.err("trailing characters after the GeoJSON object")
        } else {
            Ok(f)
        }
    });
    r.map_err(|e| syntax(source_name, text, e))
}

fn syntax(source_name: &str, text: &[u8], e: PErr) -> GeoError {
    let (line, column) = line_col(text, e.pos);
    GeoError::Syntax {
        source_name: source_name.to_string(),
        line,
        column,
        message: e.msg,
    }
}

/// Coordinates parsed at their nesting depth.
enum Coords {
    Empty,
    P(Coord),
    L1(Vec<Coord>),
    L2(Vec<Vec<Coord>>),
    L3(Vec<Vec<Vec<Coord>>>),
}

/// How to parse a features array.
#[derive(Clone, Copy)]
struct Opts {
    threads: usize,
    /// Validate each feature right after parsing it.
    check: bool,
    /// Keep the properties [`Properties`] does not name in its `attributes`.
    attributes: bool,
}

/// Features of an array and, when checked, their faults (indexes within the array).
type Parsed = (Vec<Feature>, Option<Vec<Fault>>);

/// Everything a top-level object, a feature or a geometry can hold that we use.
#[derive(Default)]
struct Members<'a> {
    /// Borrowed from the text (no allocation) unless it held an escape.
    type_: Option<Cow<'a, str>>,
    type_pos: usize,
    features: Option<Parsed>,
    geometry: Option<Option<Geometry>>,
    properties: Option<Properties>,
    prop_id: Option<FeatureId>,
    id: Option<FeatureId>,
    coordinates: Option<(Coords, usize)>,
}

fn top_level(c: &mut Cursor<'_>, opts: Opts) -> PResult<Parsed> {
    c.ws();
    let start = c.i;
    let m = members(c, opts, true)?;
    let Some(t) = m.type_.as_deref() else {
        c.i = start;
        return c.err("the GeoJSON object has no \"type\"");
    };
    match t {
        "FeatureCollection" => {
            let Some((mut features, faults)) = m.features else {
                c.i = start;
                return c.err("FeatureCollection has no \"features\" array");
            };
            for (i, f) in features.iter_mut().enumerate() {
                f.index = i;
            }
            Ok((features, faults))
        }
        "Feature" => {
            let mut f = feature_from(m, c)?;
            f.index = 0;
            Ok((vec![f], None))
        }
        _ => {
            let g = geometry_from(m, c)?;
            Ok((vec![Feature::new(0, g)], None))
        }
    }
}

/// Parses an object's members. `top` allows a `features` array.
fn members<'a>(c: &mut Cursor<'a>, opts: Opts, top: bool) -> PResult<Members<'a>> {
    c.ws();
    c.enter()?;
    let m = members_inner(c, opts, top);
    c.leave();
    m
}

fn members_inner<'a>(c: &mut Cursor<'a>, opts: Opts, top: bool) -> PResult<Members<'a>> {
    let mut m = Members::default();
    if !c.open_object()? {
        return Ok(m);
    }
    loop {
        let k = c.key()?;
        match k.as_ref() {
            "type" => {
                m.type_pos = c.i;
                m.type_ = Some(c.string()?);
            }
            "features" if top => m.features = Some(features_array(c, opts)?),
            "geometry" => {
                m.geometry = Some(if c.null() {
                    None
                } else {
                    let gs = c.i;
                    let gm = members(
                        c,
                        Opts {
                            threads: 1,
                            check: false,
                            attributes: false,
                        },
                        false,
                    )?;
                    let end = c.i;
                    c.i = gs;
                    let g = geometry_from(gm, c)?;
                    c.i = end;
                    Some(g)
                })
            }
            "properties" => {
                if !c.null() {
                    let (p, pid) = properties(c, opts.attributes)?;
                    m.properties = Some(p);
                    m.prop_id = pid;
                }
            }
            "id" => {
                // `"id": null` is a feature without an id (GDAL and others write it).
                if !c.null() {
                    m.id = Some(feature_id(c)?);
                }
            }
            "coordinates" => {
                let pos = c.i;
                m.coordinates = Some((coordinates(c)?, pos));
            }
            "geometries" => {
                return c.err(
                    "GeometryCollection is not supported; use a MultiPolygon or separate features",
                );
            }
            _ => c.skip_value()?,
        }
        if !c.next_or_close(b'}')? {
            break;
        }
    }
    Ok(m)
}

fn feature_id(c: &mut Cursor<'_>) -> PResult<FeatureId> {
    c.ws();
    match c.peek() {
        Some(b'"') => Ok(FeatureId::Str(c.string()?.into_owned())),
        _ => {
            let pos = c.i;
            let v = c.number()?;
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(FeatureId::Int(v as i64))
            } else {
                // Keep the id as written.
                let s = std::str::from_utf8(&c.b[pos..c.i]).unwrap_or("?");
                Ok(FeatureId::Str(s.to_string()))
            }
        }
    }
}

fn opt_string(c: &mut Cursor<'_>, name: &str) -> PResult<Option<String>> {
    if c.null() {
        return Ok(None);
    }
    c.ws();
    match c.peek() {
        Some(b'"') => Ok(Some(c.string()?.into_owned())),
        _ => c.err(format!("property \"{name}\" must be a string")),
    }
}

/// A feature's properties; with `attributes`, those [`Properties`] does not name are kept in
/// its `attributes` (a key given twice keeps its last value).
fn properties(c: &mut Cursor<'_>, attributes: bool) -> PResult<(Properties, Option<FeatureId>)> {
    let mut p = Properties::default();
    let mut id = None;
    if !c.open_object()? {
        return Ok((p, id));
    }
    loop {
        let k: Cow<'_, str> = c.key()?;
        match k.as_ref() {
            "id" => {
                if !c.null() {
                    id = Some(feature_id(c)?);
                }
            }
            "status" => p.status = opt_string(c, "status")?,
            "hazard_type" | "hazardType" | "type" => p.hazard_type = opt_string(c, &k)?,
            "name" => p.name = opt_string(c, "name")?,
            "radius" | "radius_m" => {
                if !c.null() {
                    p.radius_m = Some(c.number()?);
                }
            }
            _ if attributes => {
                let key = k.to_string();
                c.ws();
                let start = c.i;
                c.skip_value()?;
                let value = match serde_json::from_slice(&c.b[start..c.i]) {
                    Ok(v) => v,
                    Err(e) => {
                        c.i = start;
                        return c.err(format!("property {key:?}: {e}"));
                    }
                };
                p.attributes.insert(key, value);
            }
            _ => c.skip_value()?,
        }
        if !c.next_or_close(b'}')? {
            break;
        }
    }
    Ok((p, id))
}

fn feature_from(m: Members<'_>, c: &mut Cursor<'_>) -> PResult<Feature> {
    let Some(geometry) = m.geometry else {
        return c.err("Feature has no \"geometry\" member");
    };
    Ok(Feature {
        index: 0,
        id: m.id.or(m.prop_id),
        properties: m.properties.unwrap_or_default(),
        geometry,
    })
}

fn geometry_from(m: Members<'_>, c: &mut Cursor<'_>) -> PResult<Geometry> {
    let Some(t) = m.type_ else {
        return c.err("geometry has no \"type\"");
    };
    let Some((coords, pos)) = m.coordinates else {
        c.i = m.type_pos;
        return c.err(format!("{t} has no \"coordinates\""));
    };
    let bad = |c: &mut Cursor<'_>, what: &str| -> PResult<Geometry> {
        c.i = pos;
        c.err(format!("{t} coordinates must be {what}"))
    };
    let g = match (t.as_ref(), coords) {
        ("Point", Coords::P(p)) => Geometry::Point(p),
        ("Point", _) => return bad(c, "one position [lon, lat]"),
        ("MultiPoint", Coords::L1(v)) => Geometry::MultiPoint(v),
        ("MultiPoint", Coords::Empty) => Geometry::MultiPoint(Vec::new()),
        ("MultiPoint", _) => return bad(c, "an array of positions"),
        ("LineString", Coords::L1(v)) => Geometry::LineString(v),
        ("LineString", Coords::Empty) => Geometry::LineString(Vec::new()),
        ("LineString", _) => return bad(c, "an array of positions"),
        ("MultiLineString", Coords::L2(v)) => Geometry::MultiLineString(v),
        ("MultiLineString", Coords::Empty) => Geometry::MultiLineString(Vec::new()),
        ("MultiLineString", _) => return bad(c, "an array of arrays of positions"),
        ("Polygon", Coords::L2(v)) => match polygon(v) {
            Some(p) => Geometry::Polygon(p),
            None => return bad(c, "at least one ring"),
        },
        ("Polygon", _) => return bad(c, "an array of rings (arrays of positions)"),
        ("MultiPolygon", Coords::L3(v)) => {
            let mut ps = Vec::with_capacity(v.len());
            for rings in v {
                match polygon(rings) {
                    Some(p) => ps.push(p),
                    None => return bad(c, "polygons of at least one ring"),
                }
            }
            Geometry::MultiPolygon(ps)
        }
        ("MultiPolygon", Coords::Empty) => Geometry::MultiPolygon(Vec::new()),
        ("MultiPolygon", _) => return bad(c, "an array of polygons"),
        (other, _) => {
            c.i = m.type_pos;
            return c.err(format!("unknown geometry type {other:?}"));
        }
    };
    Ok(g)
}

fn polygon(mut rings: Vec<Vec<Coord>>) -> Option<Polygon> {
    if rings.is_empty() {
        return None;
    }
    let exterior = rings.remove(0);
    Some(Polygon {
        exterior,
        holes: rings,
    })
}

fn coordinates(c: &mut Cursor<'_>) -> PResult<Coords> {
    c.ws();
    // Depth = number of '[' before the first number.
    let mut j = c.i;
    let mut depth = 0;
    while let Some(&ch) = c.b.get(j) {
        match ch {
            b'[' => depth += 1,
            b' ' | b'\n' | b'\r' | b'\t' => {}
            b']' => {
                // An empty array at some level.
                c.skip_value()?;
                return Ok(Coords::Empty);
            }
            _ => break,
        }
        j += 1;
    }
    Ok(match depth {
        1 => Coords::P(position(c)?),
        2 => Coords::L1(positions(c)?),
        3 => Coords::L2(list(c, positions)?),
        4 => Coords::L3(list(c, |c| list(c, positions))?),
        0 => return c.err("\"coordinates\" must be an array"),
        _ => return c.err("\"coordinates\" are nested too deep"),
    })
}

#[inline]
fn position(c: &mut Cursor<'_>) -> PResult<Coord> {
    c.expect(b'[')?;
    let lon = c.number()?;
    c.expect(b',')?;
    let lat = c.number()?;
    // Altitude and further values are allowed and ignored.
    while c.next_or_close(b']')? {
        c.number()?;
    }
    Ok(Coord::new(lon, lat))
}

fn positions(c: &mut Cursor<'_>) -> PResult<Vec<Coord>> {
    let mut v = Vec::with_capacity(16);
    c.expect(b'[')?;
    c.ws();
    if c.peek() == Some(b']') {
        c.i += 1;
        return Ok(v);
    }
    loop {
        v.push(position(c)?);
        if !c.next_or_close(b']')? {
            break;
        }
    }
    Ok(v)
}

fn list<T>(c: &mut Cursor<'_>, item: impl Fn(&mut Cursor<'_>) -> PResult<T>) -> PResult<Vec<T>> {
    let mut v = Vec::new();
    c.expect(b'[')?;
    c.ws();
    if c.peek() == Some(b']') {
        c.i += 1;
        return Ok(v);
    }
    loop {
        v.push(item(c)?);
        if !c.next_or_close(b']')? {
            break;
        }
    }
    Ok(v)
}

fn one_feature(c: &mut Cursor<'_>, attributes: bool) -> PResult<Feature> {
    c.ws();
    let start = c.i;
    let m = members(
        c,
        Opts {
            threads: 1,
            check: false,
            attributes,
        },
        false,
    )?;
    match m.type_.as_deref() {
        Some("Feature") => feature_from(m, c),
        Some(other) => {
            c.i = start;
            c.err(format!(
                "expected a Feature in \"features\", found type {other:?}"
            ))
        }
        None => {
            c.i = start;
            c.err("feature has no \"type\"")
        }
    }
}

/// What one parsing run over (part of) the features array produced.
struct Run {
    features: Vec<Feature>,
    /// Faults of the features, indexed by position within this run.
    faults: Vec<Fault>,
    /// Where the run stopped: at the next element (after the comma) or just after ']'.
    end: usize,
    closed: bool,
    err: Option<PErr>,
}

/// Parses features from `start` (an element boundary) until the array closes or, with `limit`,
/// until the position after an element reaches `limit`.
fn run(b: &[u8], start: usize, limit: Option<usize>, opts: Opts) -> Run {
    let Opts {
        check, attributes, ..
    } = opts;
    let mut c = Cursor::new(b, start);
    let mut features = Vec::new();
    let mut faults = Vec::new();
    loop {
        match one_feature(&mut c, attributes).and_then(|mut f| {
            if check {
                let k = features.len();
                faults.extend(validate_feature(&mut f).into_iter().map(|mut x| {
                    x.index = k;
                    x
                }));
            }
            features.push(f);
            c.next_or_close(b']')
        }) {
            Ok(true) => {
                c.ws();
                if let Some(l) = limit
                    && c.i >= l
                {
                    return Run {
                        features,
                        faults,
                        end: c.i,
                        closed: false,
                        err: None,
                    };
                }
            }
            Ok(false) => {
                return Run {
                    features,
                    faults,
                    end: c.i,
                    closed: true,
                    err: None,
                };
            }
            Err(e) => {
                return Run {
                    features,
                    faults,
                    end: c.i,
                    closed: false,
                    err: Some(e),
                };
            }
        }
    }
}

fn features_array(c: &mut Cursor<'_>, opts: Opts) -> PResult<Parsed> {
    let Opts { threads, check, .. } = opts;
    c.expect(b'[')?;
    c.ws();
    if c.peek() == Some(b']') {
        c.i += 1;
        return Ok((Vec::new(), check.then(Vec::new)));
    }
    let b = c.b;
    let start = c.i;
    let mut starts = vec![start];
    if threads > 1 && b.len() - start >= PARALLEL_MIN_BYTES {
        let span = b.len() - start;
        for k in 1..threads {
            let mut p = start + span / threads * k;
            while p < b.len() && b[p] != b'\n' {
                p += 1;
            }
            while p < b.len() && matches!(b[p], b'\n' | b'\r' | b' ' | b'\t') {
                p += 1;
            }
            if p < b.len() && b[p] == b'{' && p > starts[starts.len() - 1] {
                starts.push(p);
            }
        }
    }
    let runs: Vec<Run> = if starts.len() == 1 {
        vec![run(b, start, None, opts)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..starts.len())
                .map(|k| {
                    let from = starts[k];
                    let limit = starts.get(k + 1).copied();
                    s.spawn(move || run(b, from, limit, opts))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Run {
                        features: Vec::new(),
                        faults: Vec::new(),
                        end: start,
                        closed: false,
                        err: Some(PErr {
                            pos: start,
                            msg: "parser thread failed".into(),
                        }),
                    })
                })
                .collect()
        })
    };
    let mut out: Vec<Feature> = Vec::new();
    let mut faults: Vec<Fault> = Vec::new();
    let mut take = |out: &mut Vec<Feature>, r: Run| {
        let base = out.len();
        faults.extend(r.faults.into_iter().map(|mut x| {
            x.index += base;
            x
        }));
        out.extend(r.features);
    };
    let n = runs.len();
    for (k, mut r) in runs.into_iter().enumerate() {
        // This run started at a verified boundary (k = 0, or the previous run ended exactly here).
        if let Some(e) = r.err.take() {
            return Err(e);
        }
        let (closed, end) = (r.closed, r.end);
        take(&mut out, r);
        if closed {
            c.i = end;
            return Ok((out, check.then_some(faults)));
        }
        if k + 1 < n && end == starts[k + 1] {
            continue;
        }
        // The guess for the next chunk was wrong: finish sequentially from here.
        let mut rest = run(b, end, None, opts);
        if let Some(e) = rest.err.take() {
            return Err(e);
        }
        let rest_end = rest.end;
        take(&mut out, rest);
        c.i = rest_end;
        return Ok((out, check.then_some(faults)));
    }
    // Unreachable in practice: the last run has no limit, so it closes or fails.
    c.err("unterminated \"features\" array")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FC: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"suspected"},"geometry":{"type":"Polygon","coordinates":[[[102.0,10.0],[102.01,10.0],[102.01,10.01],[102.0,10.0]]]}},
{"type":"Feature","id":"a-2","properties":{"status":"cleared","name":"x"},"geometry":{"coordinates":[102.5,11.0,3.0],"type":"Point"}},
{"type":"Feature","properties":null,"geometry":null}
]}"#;

    #[test]
    fn reads_a_feature_collection() {
        let f = parse_geojson("t", FC.as_bytes(), 1).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].id, Some(FeatureId::Int(1)));
        assert_eq!(f[0].properties.status.as_deref(), Some("suspected"));
        assert!(matches!(f[0].geometry, Some(Geometry::Polygon(_))));
        assert_eq!(f[1].id, Some(FeatureId::Str("a-2".into())));
        assert_eq!(
            f[1].geometry,
            Some(Geometry::Point(Coord::new(102.5, 11.0)))
        );
        assert_eq!(f[2].geometry, None);
        assert_eq!(f[2].index, 2);
    }

    #[test]
    fn a_null_feature_id_is_no_id() {
        let f = parse_geojson(
            "t",
            br#"{"type":"FeatureCollection","features":[{"type":"Feature","id":null,"properties":{"id":null},"geometry":null}]}"#,
            1,
        )
        .unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, None);
    }

    #[test]
    fn reads_a_bare_geometry_and_a_feature() {
        let g = parse_geojson(
            "t",
            br#"{"type":"LineString","coordinates":[[1,2],[3,4]]}"#,
            1,
        )
        .unwrap();
        assert_eq!(
            g[0].geometry,
            Some(Geometry::LineString(vec![
                Coord::new(1., 2.),
                Coord::new(3., 4.)
            ]))
        );
        let f = parse_geojson(
            "t",
            br#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]},"properties":{"radius":5}}"#,
            1,
        )
        .unwrap();
        let Some(Geometry::MultiPolygon(ps)) = &f[0].geometry else {
            panic!()
        };
        assert_eq!(ps.len(), 2);
        assert_eq!(f[0].properties.radius_m, Some(5.0));
    }

    #[test]
    fn attributes_are_kept_only_when_asked_and_equal_what_serde_json_reads() {
        let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":7,"status":"suspected","iso3":"KHM","organisation":"HALO \"Trust\"","devices":["PMN-2"],"custom":{"depth_cm":12.50},"benchmark":[102.1,10.2],"notes":null,"iso3":"LAO"},"geometry":{"type":"Point","coordinates":[102.0,10.0]}},
{"type":"Feature","properties":{"name":"x","radius":10},"geometry":{"type":"Point","coordinates":[102.5,11.0]}}
]}"#;
        let plain = read_geojson("t", text.as_bytes(), 1).unwrap();
        assert!(
            plain
                .features
                .iter()
                .all(|f| f.properties.attributes.is_empty())
        );
        let c = read_geojson_with_attributes("t", text.as_bytes(), 1).unwrap();
        let whole: serde_json::Value = serde_json::from_str(text).unwrap();
        for (f, w) in c.features.iter().zip(whole["features"].as_array().unwrap()) {
            let mut expected = w["properties"].as_object().unwrap().clone();
            for k in ["id", "status", "name", "radius"] {
                expected.remove(k);
            }
            assert_eq!(f.properties.attributes, expected);
        }
        // A key given twice keeps its last value, as serde_json's map does.
        assert_eq!(c.features[0].properties.attributes["iso3"], "LAO");
        // The named properties are read as before.
        assert_eq!(
            c.features[0].properties.status.as_deref(),
            Some("suspected")
        );
        assert_eq!(c.features[1].properties.radius_m, Some(10.0));
    }

    #[test]
    fn attributes_read_in_parallel_equal_sequential() {
        let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
        for i in 0..3000 {
            if i > 0 {
                s.push_str(",\n");
            }
            s.push_str(&format!(
                "{{\"type\":\"Feature\",\"properties\":{{\"id\":{},\"iso3\":\"KHM\",\"notes\":\"{}\",\"pad\":\"{}\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[102.0,10.0]}}}}",
                i + 1,
                i,
                "x".repeat(1500)
            ));
        }
        s.push_str("\n]}");
        assert!(s.len() > PARALLEL_MIN_BYTES);
        let one = parse_inner("t", s.as_bytes(), 1, false, true).unwrap().0;
        let four = parse_inner("t", s.as_bytes(), 4, false, true).unwrap().0;
        assert_eq!(one, four);
        assert_eq!(four[2999].properties.attributes["notes"], "2999");
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let bad = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,]}}]}";
        let e = parse_geojson("f.geojson", bad.as_bytes(), 1).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("f.geojson: line 2, column"), "{s}");
        let e = parse_geojson("f", br#"{"type":"Point","coordinates":[[1,2]]}"#, 1).unwrap_err();
        assert!(e.to_string().contains("Point coordinates must be"), "{e}");
        let e = parse_geojson("f", br#"{"type":"Triangle","coordinates":[1,2]}"#, 1).unwrap_err();
        assert!(e.to_string().contains("unknown geometry type"), "{e}");
        assert!(parse_geojson("f", b"{} x", 1).is_err());
    }

    fn big_collection(n: usize, pretty: bool) -> String {
        let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
        for i in 0..n {
            let x = (i % 1000) as f64 * 0.01;
            let feat = if pretty {
                format!(
                    "{{\n \"type\": \"Feature\",\n \"properties\": {{\"id\": {i}, \"status\": \"open\"}},\n \"geometry\": {{\n  \"type\": \"Polygon\",\n  \"coordinates\": [[[{x},0.0],[{},0.0],[{},0.005],[{x},0.0]]]\n }}\n}}",
                    x + 0.005,
                    x + 0.005
                )
            } else {
                format!(
                    "{{\"type\":\"Feature\",\"properties\":{{\"id\":{i},\"status\":\"open\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},0.0],[{},0.0],[{},0.005],[{x},0.0]]]}}}}",
                    x + 0.005,
                    x + 0.005
                )
            };
            s.push_str(&feat);
            if i + 1 < n {
                s.push(',');
            }
            s.push('\n');
        }
        s.push_str("]}\n");
        s
    }

    #[test]
    fn parallel_parse_equals_sequential() {
        for pretty in [false, true] {
            let s = big_collection(60_000, pretty);
            assert!(s.len() > PARALLEL_MIN_BYTES);
            let a = parse_geojson("t", s.as_bytes(), 1).unwrap();
            let b = parse_geojson("t", s.as_bytes(), 3).unwrap();
            assert_eq!(a.len(), 60_000);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn faults_found_while_parsing_in_parallel_name_the_right_feature() {
        let mut s = big_collection(60_000, false);
        // Feature 45000 gets a first ring that its second ring (the old exterior, now a hole)
        // touches at (0, 0): an error. Feature 52000's ring runs clockwise: a warning.
        let replace_ring = |s: &mut String, id: usize, f: &dyn Fn(&str) -> String| {
            let key = format!("\"id\":{id},");
            let at = s.find(&key).unwrap();
            let line_end = at + s[at..].find('\n').unwrap();
            let line = s[at..line_end].to_string();
            s.replace_range(at..line_end, &f(&line));
        };
        replace_ring(&mut s, 45_000, &|l| {
            l.replace("[[[", "[[[0.0,0.0],[0.0,0.001],[0.001,0.0],[0.0,0.0]],[[")
        });
        replace_ring(&mut s, 52_000, &|l| {
            let a = l.find("[[[").unwrap();
            let b = l.find("]]]").unwrap() + 3;
            let mut out = l.to_string();
            out.replace_range(a..b, "[[[20.0,0.0],[20.0,0.005],[20.005,0.0],[20.0,0.0]]]");
            out
        });
        for threads in [1, 2, 3] {
            let e = read_geojson("t", s.as_bytes(), threads).unwrap_err();
            let GeoError::Invalid { faults, .. } = &e else {
                panic!("{e}")
            };
            assert_eq!(faults.len(), 1, "{faults:?}");
            assert_eq!(faults[0].index, 45_000);
            assert!(e.to_string().contains("feature #45000 (id 45000)"), "{e}");
        }
        replace_ring(&mut s, 45_000, &|l| {
            l.replace("[[[0.0,0.0],[0.0,0.001],[0.001,0.0],[0.0,0.0]],[[", "[[[")
        });
        for threads in [1, 2, 3] {
            let c = read_geojson("t", s.as_bytes(), threads).unwrap();
            assert_eq!(c.features.len(), 60_000);
            assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
            assert_eq!(c.warnings[0].index, 52_000);
            assert_eq!(c.warnings[0].id.as_deref(), Some("52000"));
        }
    }

    #[test]
    fn parallel_parse_reports_the_real_error() {
        let mut s = big_collection(60_000, false);
        let at = s.len() * 3 / 4;
        let nl = at + s[at..].find("\"status\"").unwrap();
        s.replace_range(nl..nl + 8, "\"status\"\"");
        let a = parse_geojson("t", s.as_bytes(), 1).unwrap_err().to_string();
        let b = parse_geojson("t", s.as_bytes(), 2).unwrap_err().to_string();
        assert_eq!(a, b);
    }
}
