//! A static packed R-tree over boxes (all levels in flat arrays, 16 children per node).
//!
//! Items are given in the order the caller wants them stored (the hazard index sorts them along a
//! Hilbert curve first, so that neighbours in space are neighbours in memory); leaf `i` is item
//! `i`. Upper levels group consecutive runs of 16 boxes. No pointers, no per-node allocation.
//!
//! Why not `rstar`: on 150,000 boxes shaped like the benchmark's hazards and 2,000,000 point
//! queries (±0.0009°), both given the same Hilbert order, this tree built in 2–6 ms and answered
//! in 0.34–0.45 s, `rstar` 0.12 in 31–39 ms and 0.51–0.57 s, with the same 3,525,458 hits
//! (one core, busy machine, November 2026).

/// A box as [min_x, min_y, max_x, max_y].
pub type Rect = [f64; 4];

const NODE: usize = 16;

/// The packed tree.
#[derive(Clone, Debug, Default)]
pub struct PackedRTree {
    /// levels[0] are the items' boxes; each higher level has one box per run of 16 below.
    levels: Vec<Vec<Rect>>,
}

#[inline]
fn intersects(a: &Rect, b: &Rect) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

impl PackedRTree {
    /// Builds the tree over the boxes, in the given order.
    pub fn new(items: Vec<Rect>) -> Self {
        let mut levels = vec![items];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().map(Vec::as_slice).unwrap_or(&[]);
            let up: Vec<Rect> = below
                .chunks(NODE)
                .map(|c| {
                    c.iter().fold(
                        [
                            f64::INFINITY,
                            f64::INFINITY,
                            f64::NEG_INFINITY,
                            f64::NEG_INFINITY,
                        ],
                        |a, b| {
                            [
                                a[0].min(b[0]),
                                a[1].min(b[1]),
                                a[2].max(b[2]),
                                a[3].max(b[3]),
                            ]
                        },
                    )
                })
                .collect();
            levels.push(up);
        }
        Self { levels }
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// The box of item `i`.
    pub fn item(&self, i: usize) -> Rect {
        self.levels[0][i]
    }

    /// Calls `f` with every item whose box intersects `q`. `stack` is scratch space, reused across
    /// calls to avoid allocating.
    #[inline]
    pub fn search(&self, q: &Rect, stack: &mut Vec<(u32, u32)>, mut f: impl FnMut(usize)) {
        let Some(top) = self.levels.len().checked_sub(1) else {
            return;
        };
        stack.clear();
        for (i, r) in self.levels[top].iter().enumerate() {
            if intersects(r, q) {
                stack.push((top as u32, i as u32));
            }
        }
        while let Some((lvl, i)) = stack.pop() {
            let lvl = lvl as usize;
            let i = i as usize;
            if lvl == 0 {
                f(i);
                continue;
            }
            let below = &self.levels[lvl - 1];
            let end = ((i + 1) * NODE).min(below.len());
            // Push in reverse so children are visited in storage order.
            for c in (i * NODE..end).rev() {
                if intersects(&below[c], q) {
                    stack.push(((lvl - 1) as u32, c as u32));
                }
            }
        }
    }

    /// Bytes held by the tree's arrays.
    pub fn heap_bytes(&self) -> usize {
        self.levels.iter().map(|l| l.capacity() * 32).sum()
    }
}

/// Position of (x, y) (each in 0..65536) along a Hilbert curve of order 16.
pub fn hilbert16(mut x: u32, mut y: u32) -> u64 {
    const N: u32 = 1 << 16;
    let mut d: u64 = 0;
    let mut s = N / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = N - 1 - x;
                y = N - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Maps a value in [lo, hi] to 0..65536 for [`hilbert16`].
#[inline]
pub fn grid16(v: f64, lo: f64, hi: f64) -> u32 {
    if hi <= lo || !v.is_finite() {
        return 0;
    }
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    (t * 65535.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hilbert_is_a_bijection_on_a_small_grid() {
        let mut seen = std::collections::HashSet::new();
        for x in 0..64u32 {
            for y in 0..64u32 {
                assert!(seen.insert(hilbert16(x << 10, y << 10)));
            }
        }
    }

    #[test]
    fn empty_and_single() {
        let t = PackedRTree::new(Vec::new());
        let mut st = Vec::new();
        let mut n = 0;
        t.search(&[0., 0., 1., 1.], &mut st, |_| n += 1);
        assert_eq!(n, 0);
        let t = PackedRTree::new(vec![[0., 0., 1., 1.]]);
        let mut hits = Vec::new();
        t.search(&[0.5, 0.5, 2., 2.], &mut st, |i| hits.push(i));
        assert_eq!(hits, vec![0]);
    }

    proptest! {
        #[test]
        fn search_equals_brute_force(
            boxes in proptest::collection::vec((0.0f64..100., 0.0f64..100., 0.0f64..5., 0.0f64..5.), 0..600),
            q in (0.0f64..100., 0.0f64..100., 0.0f64..20., 0.0f64..20.),
        ) {
            let rects: Vec<Rect> = boxes.iter().map(|&(x, y, w, h)| [x, y, x + w, y + h]).collect();
            let t = PackedRTree::new(rects.clone());
            let q = [q.0, q.1, q.0 + q.2, q.1 + q.3];
            let mut got = Vec::new();
            t.search(&q, &mut Vec::new(), |i| got.push(i));
            got.sort_unstable();
            let want: Vec<usize> = (0..rects.len()).filter(|&i| intersects(&rects[i], &q)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
