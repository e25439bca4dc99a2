//! Rings and lines drawn across the antimeridian.
//!
//! RFC 7946 (§3.1.9) asks writers to cut a geometry that crosses ±180° into parts on either side;
//! many files do not, and simply jump from 179.9 to -179.9. Taken literally (edges are straight in
//! lon/lat) such a ring is a band almost 360° wide, the inverse of the area meant. demine reads an
//! edge spanning more than 180° of longitude as crossing the antimeridian: the ring is unwrapped
//! (longitudes continued past ±180 so that no edge spans more than 180°) and cut at ±180 into parts
//! that each lie within -180..180. A ring that does not close once unwrapped winds around a pole,
//! and which side is inside cannot be told: it is refused.

use crate::geom::{Coord, Polygon};

/// Whether any edge of the path spans more than 180° of longitude. An edge along a pole (both
/// ends at latitude 90, or both at -90, as in a ring drawn around Antarctica's coast and down the
/// ±180 meridian) is a line of the lon/lat plane and is taken as written.
pub(crate) fn crosses(path: &[Coord]) -> bool {
    path.windows(2).any(|w| {
        (w[1].lon - w[0].lon).abs() > 180.0 && !(w[0].lat == w[1].lat && w[0].lat.abs() == 90.0)
    })
}

/// The path with its longitudes continued so that no edge spans more than 180°.
fn unwrap(path: &[Coord]) -> Vec<Coord> {
    let mut out: Vec<Coord> = Vec::with_capacity(path.len());
    for &c in path {
        let lon = match out.last() {
            Some(prev) if prev.lat == c.lat && c.lat.abs() == 90.0 => c.lon,
            Some(prev) => {
                let mut lon = c.lon;
                while lon - prev.lon > 180.0 {
                    lon -= 360.0;
                }
                while prev.lon - lon > 180.0 {
                    lon += 360.0;
                }
                lon
            }
            None => c.lon,
        };
        out.push(Coord::new(lon, c.lat));
    }
    out
}

/// Why a ring cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// Ring `ring` (0 the exterior) winds around a pole or spans 360° or more of longitude.
    AroundPole { ring: usize },
}

/// Splits a polygon that crosses the antimeridian into parts within -180..180 (the exterior and
/// holes unwrapped together, then clipped to each 360° window they reach). Rings must be closed.
pub(crate) fn split_polygon(poly: &Polygon) -> Result<Vec<Polygon>, SplitError> {
    let exterior = unwrap(&poly.exterior);
    if exterior.first() != exterior.last() {
        return Err(SplitError::AroundPole { ring: 0 });
    }
    let (min, max) = lon_range(&exterior);
    if max - min >= 360.0 {
        return Err(SplitError::AroundPole { ring: 0 });
    }
    let mid = (min + max) / 2.0;
    let mut holes = Vec::with_capacity(poly.holes.len());
    for (i, h) in poly.holes.iter().enumerate() {
        let mut h = unwrap(h);
        if h.first() != h.last() {
            return Err(SplitError::AroundPole { ring: i + 1 });
        }
        // Bring the hole next to the exterior.
        if let Some(first) = h.first() {
            let k = ((mid - first.lon) / 360.0).round();
            if k != 0.0 {
                for c in &mut h {
                    c.lon += 360.0 * k;
                }
            }
        }
        holes.push(h);
    }
    let (lat_lo, lat_hi) = exterior
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
            (lo.min(c.lat), hi.max(c.lat))
        });
    let whole = Polygon { exterior, holes };
    let mut parts = Vec::new();
    let k_lo = ((min + 180.0) / 360.0).floor() as i32;
    let k_hi = ((max + 180.0) / 360.0).ceil() as i32;
    for k in k_lo..k_hi {
        let west = -180.0 + 360.0 * f64::from(k);
        let east = west + 360.0;
        if max <= west || min >= east {
            continue;
        }
        // The window cut to the polygon's own box: the overlay snaps to a grid over the extent
        // of its inputs, so a tight box keeps the positions as precise as they came.
        let (w, e) = (west.max(min), east.min(max));
        let window = Polygon::new(vec![
            Coord::new(w, lat_lo),
            Coord::new(e, lat_lo),
            Coord::new(e, lat_hi),
            Coord::new(w, lat_hi),
            Coord::new(w, lat_lo),
        ]);
        let shift = 360.0 * f64::from(k);
        for mut p in crate::ops::intersection(std::slice::from_ref(&whole), &[window]) {
            for r in std::iter::once(&mut p.exterior).chain(p.holes.iter_mut()) {
                for c in r.iter_mut() {
                    c.lon = (c.lon - shift).clamp(-180.0, 180.0);
                    c.lat = c.lat.clamp(-90.0, 90.0);
                }
            }
            parts.push(p);
        }
    }
    Ok(parts)
}

fn lon_range(path: &[Coord]) -> (f64, f64) {
    path.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
            (lo.min(c.lon), hi.max(c.lon))
        })
}

/// Splits a line that crosses the antimeridian into pieces within -180..180, each ending (or
/// starting) on ±180 where the line crosses it. Pieces of fewer than two distinct positions are
/// dropped.
pub(crate) fn split_line(path: &[Coord]) -> Vec<Vec<Coord>> {
    let u = unwrap(path);
    let window = |lon: f64| ((lon + 180.0) / 360.0).floor();
    let mut pieces: Vec<Vec<Coord>> = Vec::new();
    let mut cur: Vec<Coord> = Vec::new();
    let mut k = match u.first() {
        Some(c) => window(c.lon),
        None => return pieces,
    };
    let shifted = |c: Coord, k: f64| Coord::new((c.lon - 360.0 * k).clamp(-180.0, 180.0), c.lat);
    for (i, &c) in u.iter().enumerate() {
        let kc = window(c.lon);
        if i > 0 && kc != k {
            let a = u[i - 1];
            // The boundary between windows k and kc (neighbours: no edge spans more than 180°).
            let b = 180.0 + 360.0 * k.min(kc);
            let t = if c.lon == a.lon {
                0.0
            } else {
                (b - a.lon) / (c.lon - a.lon)
            };
            let lat = a.lat + t * (c.lat - a.lat);
            cur.push(shifted(Coord::new(b, lat), k));
            pieces.push(std::mem::take(&mut cur));
            cur.push(shifted(Coord::new(b, lat), kc));
            k = kc;
        }
        cur.push(shifted(c, k));
    }
    pieces.push(cur);
    pieces
        .into_iter()
        .map(|mut p| {
            p.dedup();
            p
        })
        .filter(|p| p.len() >= 2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::point_in_polygon;

    fn c(lon: f64, lat: f64) -> Coord {
        Coord::new(lon, lat)
    }

    #[test]
    fn a_ring_across_the_antimeridian_splits_into_two_parts() {
        let ring = vec![
            c(179.9, -16.0),
            c(-179.9, -16.0),
            c(-179.9, -16.1),
            c(179.9, -16.1),
            c(179.9, -16.0),
        ];
        assert!(crosses(&ring));
        let parts = split_polygon(&Polygon::new(ring)).unwrap();
        assert_eq!(parts.len(), 2, "{parts:?}");
        let inside = |p: Coord| parts.iter().any(|x| point_in_polygon(p, x));
        assert!(inside(c(179.95, -16.05)));
        assert!(inside(c(-179.95, -16.05)));
        assert!(!inside(c(0.0, -16.05)));
        assert!(!inside(c(179.8, -16.05)));
        for p in &parts {
            for v in &p.exterior {
                assert!(v.lon.abs() <= 180.0);
                // Positions kept as precise as they came.
                let near = |x: f64, ys: &[f64]| ys.iter().any(|y| (x - y).abs() < 1e-9);
                assert!(near(v.lon.abs(), &[179.9, 180.0]), "{v:?}");
                assert!(near(v.lat, &[-16.0, -16.1]), "{v:?}");
            }
        }
        let area: f64 = parts.iter().map(crate::geodesy::polygon_area_m2).sum();
        // 0.2° x 0.1° near 16°S: about 21.4 km x 11.1 km.
        assert!((area - 2.37e8).abs() / 2.37e8 < 0.02, "{area}");
    }

    #[test]
    fn a_ring_around_a_pole_is_refused() {
        let ring = vec![c(0.0, 80.0), c(120.0, 80.0), c(-120.0, 80.0), c(0.0, 80.0)];
        assert!(crosses(&ring));
        assert_eq!(
            split_polygon(&Polygon::new(ring)),
            Err(SplitError::AroundPole { ring: 0 })
        );
    }

    #[test]
    fn an_edge_along_a_pole_is_not_a_crossing() {
        let ring = vec![
            c(-180.0, -80.0),
            c(0.0, -70.0),
            c(180.0, -80.0),
            c(180.0, -90.0),
            c(-180.0, -90.0),
            c(-180.0, -80.0),
        ];
        assert!(!crosses(&ring));
    }

    #[test]
    fn a_line_across_the_antimeridian_splits_at_180() {
        let pieces = split_line(&[c(179.0, 0.0), c(-179.0, 2.0)]);
        assert_eq!(
            pieces,
            vec![
                vec![c(179.0, 0.0), c(180.0, 1.0)],
                vec![c(-180.0, 1.0), c(-179.0, 2.0)]
            ]
        );
        let back = split_line(&[c(-179.0, 2.0), c(179.0, 0.0), c(178.0, 0.0)]);
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].last(), Some(&c(-180.0, 1.0)));
        assert_eq!(back[1][0], c(180.0, 1.0));
    }
}
