//! Plain geometry types in WGS84 longitude/latitude degrees (RFC 7946 axis order: lon, lat).
//!
//! Rings are stored closed (first vertex repeated at the end). Edges are straight lines in
//! longitude/latitude, as RFC 7946 defines them.

/// A position: longitude then latitude, in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coord {
    /// Longitude in degrees, east positive.
    pub lon: f64,
    /// Latitude in degrees, north positive.
    pub lat: f64,
}

impl Coord {
    /// A position from longitude and latitude in degrees.
    pub const fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }
}

/// A polygon: one exterior ring and zero or more holes, each ring closed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Polygon {
    /// The outer boundary (counter-clockwise once validated).
    pub exterior: Vec<Coord>,
    /// Holes (clockwise once validated).
    pub holes: Vec<Vec<Coord>>,
}

impl Polygon {
    /// A polygon without holes.
    pub fn new(exterior: Vec<Coord>) -> Self {
        Self {
            exterior,
            holes: Vec::new(),
        }
    }

    /// Every ring, exterior first.
    pub fn rings(&self) -> impl Iterator<Item = &Vec<Coord>> {
        std::iter::once(&self.exterior).chain(self.holes.iter())
    }

    /// Number of vertices over all rings (closing vertices included).
    pub fn vertex_count(&self) -> usize {
        self.rings().map(Vec::len).sum()
    }
}

/// A geometry as read from a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    /// A single position.
    Point(Coord),
    /// Several positions.
    MultiPoint(Vec<Coord>),
    /// A line through two or more positions.
    LineString(Vec<Coord>),
    /// Several lines.
    MultiLineString(Vec<Vec<Coord>>),
    /// A polygon with optional holes.
    Polygon(Polygon),
    /// Several polygons.
    MultiPolygon(Vec<Polygon>),
}

impl Geometry {
    /// The GeoJSON name of the geometry type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "Point",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::LineString(_) => "LineString",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPolygon(_) => "MultiPolygon",
        }
    }

    /// Calls `f` on every position of the geometry.
    pub fn for_each_coord(&self, mut f: impl FnMut(Coord)) {
        match self {
            Geometry::Point(c) => f(*c),
            Geometry::MultiPoint(cs) | Geometry::LineString(cs) => cs.iter().copied().for_each(f),
            Geometry::MultiLineString(ls) => ls.iter().flatten().copied().for_each(f),
            Geometry::Polygon(p) => p.rings().flatten().copied().for_each(f),
            Geometry::MultiPolygon(ps) => ps
                .iter()
                .flat_map(|p| p.rings())
                .flatten()
                .copied()
                .for_each(f),
        }
    }

    /// The bounding box of the geometry, or `None` if it has no position.
    pub fn bbox(&self) -> Option<Bbox> {
        let mut b: Option<Bbox> = None;
        self.for_each_coord(|c| match &mut b {
            Some(b) => b.extend(c),
            None => b = Some(Bbox::of_point(c)),
        });
        b
    }
}

/// An axis-aligned box in longitude/latitude degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bbox {
    /// Western edge.
    pub min_lon: f64,
    /// Southern edge.
    pub min_lat: f64,
    /// Eastern edge.
    pub max_lon: f64,
    /// Northern edge.
    pub max_lat: f64,
}

impl Bbox {
    /// The degenerate box of one point.
    pub fn of_point(c: Coord) -> Self {
        Self {
            min_lon: c.lon,
            min_lat: c.lat,
            max_lon: c.lon,
            max_lat: c.lat,
        }
    }

    /// The box of a non-empty slice of positions.
    pub fn of_coords(cs: &[Coord]) -> Option<Self> {
        let (first, rest) = cs.split_first()?;
        let mut b = Self::of_point(*first);
        for c in rest {
            b.extend(*c);
        }
        Some(b)
    }

    /// Grows the box to hold `c`.
    pub fn extend(&mut self, c: Coord) {
        self.min_lon = self.min_lon.min(c.lon);
        self.min_lat = self.min_lat.min(c.lat);
        self.max_lon = self.max_lon.max(c.lon);
        self.max_lat = self.max_lat.max(c.lat);
    }

    /// Grows the box to hold `o`.
    pub fn union(&mut self, o: &Bbox) {
        self.min_lon = self.min_lon.min(o.min_lon);
        self.min_lat = self.min_lat.min(o.min_lat);
        self.max_lon = self.max_lon.max(o.max_lon);
        self.max_lat = self.max_lat.max(o.max_lat);
    }

    /// Whether the two boxes share at least one point.
    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min_lon <= o.max_lon
            && o.min_lon <= self.max_lon
            && self.min_lat <= o.max_lat
            && o.min_lat <= self.max_lat
    }
}

/// Twice the signed area of a closed ring in the lon/lat plane: positive when counter-clockwise.
pub fn ring_signed_area2(ring: &[Coord]) -> f64 {
    if ring.len() < 3 {
        return 0.0;
    }
    // Shift to the first vertex to keep the products small and accurate.
    let o = ring[0];
    let mut s = 0.0;
    for w in ring.windows(2) {
        let (ax, ay) = (w[0].lon - o.lon, w[0].lat - o.lat);
        let (bx, by) = (w[1].lon - o.lon, w[1].lat - o.lat);
        s += ax * by - bx * ay;
    }
    s
}

/// Whether a closed ring runs counter-clockwise in the lon/lat plane.
pub fn ring_is_ccw(ring: &[Coord]) -> bool {
    ring_signed_area2(ring) > 0.0
}

/// Whether `p` lies inside (or on the boundary of) the closed ring, with edges straight in
/// lon/lat. Crossing-number test along the ray towards east.
pub fn point_in_ring(p: Coord, ring: &[Coord]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let t = (p.lat - a.lat) / (b.lat - a.lat);
            let x = a.lon + t * (b.lon - a.lon);
            if x > p.lon {
                inside = !inside;
            } else if x == p.lon {
                return true;
            }
        } else if a.lat == p.lat && b.lat == p.lat && (a.lon - p.lon) * (b.lon - p.lon) <= 0.0 {
            return true;
        }
    }
    inside
}

/// Whether `p` lies inside the polygon (in the exterior ring and in no hole); the boundary counts
/// as inside.
pub fn point_in_polygon(p: Coord, poly: &Polygon) -> bool {
    if !point_in_ring(p, &poly.exterior) {
        return false;
    }
    for h in &poly.holes {
        if point_in_ring(p, h) && !point_on_ring(p, h) {
            return false;
        }
    }
    true
}

fn point_on_ring(p: Coord, ring: &[Coord]) -> bool {
    ring.windows(2).any(|w| {
        let (a, b) = (w[0], w[1]);
        let cross = (b.lon - a.lon) * (p.lat - a.lat) - (b.lat - a.lat) * (p.lon - a.lon);
        cross == 0.0
            && p.lon >= a.lon.min(b.lon)
            && p.lon <= a.lon.max(b.lon)
            && p.lat >= a.lat.min(b.lat)
            && p.lat <= a.lat.max(b.lat)
    })
}

/// Orientation of the triple (a, b, c): > 0 counter-clockwise, < 0 clockwise, 0 collinear.
pub(crate) fn orient(a: Coord, b: Coord, c: Coord) -> f64 {
    (b.lon - a.lon) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lon - a.lon)
}

fn on_segment(a: Coord, b: Coord, p: Coord) -> bool {
    p.lon >= a.lon.min(b.lon)
        && p.lon <= a.lon.max(b.lon)
        && p.lat >= a.lat.min(b.lat)
        && p.lat <= a.lat.max(b.lat)
}

/// Whether the closed segments a-b and c-d share a point.
pub fn segments_intersect(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let d1 = orient(c, d, a);
    let d2 = orient(c, d, b);
    let d3 = orient(a, b, c);
    let d4 = orient(a, b, d);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Vec<Coord> {
        vec![
            Coord::new(0.0, 0.0),
            Coord::new(1.0, 0.0),
            Coord::new(1.0, 1.0),
            Coord::new(0.0, 1.0),
            Coord::new(0.0, 0.0),
        ]
    }

    #[test]
    fn orientation_of_square() {
        let mut r = square();
        assert!(ring_is_ccw(&r));
        assert_eq!(ring_signed_area2(&r), 2.0);
        r.reverse();
        assert!(!ring_is_ccw(&r));
    }

    #[test]
    fn point_in_ring_inside_outside_boundary() {
        let r = square();
        assert!(point_in_ring(Coord::new(0.5, 0.5), &r));
        assert!(!point_in_ring(Coord::new(1.5, 0.5), &r));
        assert!(!point_in_ring(Coord::new(-0.5, 0.5), &r));
        assert!(point_in_ring(Coord::new(1.0, 0.5), &r));
        assert!(point_in_ring(Coord::new(0.5, 0.0), &r));
        assert!(point_in_ring(Coord::new(0.0, 0.0), &r));
    }

    #[test]
    fn holes_exclude() {
        let hole = vec![
            Coord::new(0.25, 0.25),
            Coord::new(0.25, 0.75),
            Coord::new(0.75, 0.75),
            Coord::new(0.75, 0.25),
            Coord::new(0.25, 0.25),
        ];
        let p = Polygon {
            exterior: square(),
            holes: vec![hole],
        };
        assert!(!point_in_polygon(Coord::new(0.5, 0.5), &p));
        assert!(point_in_polygon(Coord::new(0.1, 0.5), &p));
        assert!(point_in_polygon(Coord::new(0.25, 0.5), &p));
    }

    #[test]
    fn segment_intersection_cases() {
        let c = Coord::new;
        assert!(segments_intersect(
            c(0., 0.),
            c(1., 1.),
            c(0., 1.),
            c(1., 0.)
        ));
        assert!(!segments_intersect(
            c(0., 0.),
            c(1., 0.),
            c(0., 1.),
            c(1., 1.)
        ));
        assert!(segments_intersect(
            c(0., 0.),
            c(2., 0.),
            c(1., 0.),
            c(3., 0.)
        ));
        assert!(segments_intersect(
            c(0., 0.),
            c(1., 0.),
            c(1., 0.),
            c(1., 1.)
        ));
        assert!(!segments_intersect(
            c(0., 0.),
            c(1., 0.),
            c(2., 0.),
            c(3., 0.)
        ));
    }

    #[test]
    fn bbox_of_geometry() {
        let g = Geometry::Polygon(Polygon::new(square()));
        let b = g.bbox().unwrap();
        assert_eq!(
            (b.min_lon, b.min_lat, b.max_lon, b.max_lat),
            (0., 0., 1., 1.)
        );
    }
}
