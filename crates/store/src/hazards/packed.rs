//! The packed form of the safety check's hazard rows (`hazard_index_cache`): every row
//! `index_records` selects, one after the other in one blob, so that the whole store's hazards
//! are read as one value instead of row by row.
//!
//! Layout (little-endian): the magic `DMXPACK1`, the row count (u64), then per row: id (i64),
//! status (u32 length + UTF-8), hazard type (u32 length + UTF-8, or u32::MAX for none), radius
//! (u8 0/1 + f64), WKB (u32 length + bytes). Any fault in decoding is an error: the caller reads
//! the rows from their tables instead.

use sha2::{Digest, Sha256};

use super::IndexRow;

const MAGIC: &[u8; 8] = b"DMXPACK1";
const NONE: u32 = u32::MAX;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // Rows come from the store's own tables: a string or WKB over 4 GiB cannot be stored there.
    let n = u32::try_from(b.len()).unwrap_or(NONE - 1);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&b[..n as usize]);
}

/// Packs rows.
pub(crate) fn encode(rows: &[IndexRow]) -> Vec<u8> {
    let size: usize = rows
        .iter()
        .map(|r| 8 + 4 + r.1.len() + 4 + r.2.as_ref().map_or(0, String::len) + 9 + 4 + r.3.len())
        .sum();
    let mut out = Vec::with_capacity(16 + size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    for (id, status, hazard_type, wkb, radius) in rows {
        out.extend_from_slice(&id.to_le_bytes());
        put_bytes(&mut out, status.as_bytes());
        match hazard_type {
            Some(t) => put_bytes(&mut out, t.as_bytes()),
            None => out.extend_from_slice(&NONE.to_le_bytes()),
        }
        match radius {
            Some(r) => {
                out.push(1);
                out.extend_from_slice(&r.to_le_bytes());
            }
            None => {
                out.push(0);
                out.extend_from_slice(&0f64.to_le_bytes());
            }
        }
        put_bytes(&mut out, wkb);
    }
    out
}

/// The SHA-256 of a blob, in hexadecimal.
pub(crate) fn digest(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.data.len());
        let Some(end) = end else {
            return Err(format!("truncated at byte {}", self.at));
        };
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
}

/// One row as it lies in the blob (borrowed: nothing is copied).
type RowRef<'a> = (i64, &'a str, Option<&'a str>, &'a [u8], Option<f64>);

fn text(b: &[u8], at: usize) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|_| format!("text that is not UTF-8 before byte {at}"))
}

/// Finds every row of a blob; a blob that is not exactly a packed list of rows is an error.
fn scan(data: &[u8]) -> Result<Vec<RowRef<'_>>, String> {
    let mut r = Reader { data, at: 0 };
    if r.take(8)? != MAGIC {
        return Err("not a packed index".into());
    }
    let n = u64::from_le_bytes(r.array()?);
    // Each row takes at least 29 bytes: a count beyond that is a damaged blob.
    if n > (data.len() / 29) as u64 {
        return Err(format!("{n} rows cannot fit in {} bytes", data.len()));
    }
    let mut rows = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let id = i64::from_le_bytes(r.array()?);
        let len = r.u32()?;
        let status = text(r.take(len as usize)?, r.at)?;
        let len = r.u32()?;
        let hazard_type = if len == NONE {
            None
        } else {
            Some(text(r.take(len as usize)?, r.at)?)
        };
        let flag = r.array::<1>()?[0];
        let radius = f64::from_le_bytes(r.array()?);
        let radius = match flag {
            0 => None,
            1 => Some(radius),
            other => return Err(format!("radius flag {other} at byte {}", r.at)),
        };
        let len = r.u32()?;
        let wkb = r.take(len as usize)?;
        rows.push((id, status, hazard_type, wkb, radius));
    }
    if r.at != data.len() {
        return Err(format!("{} bytes after the last row", data.len() - r.at));
    }
    Ok(rows)
}

/// Unpacks rows; a blob that is not exactly a packed list of rows is an error.
#[cfg(test)]
pub(crate) fn decode(data: &[u8]) -> Result<Vec<IndexRow>, String> {
    Ok(scan(data)?
        .into_iter()
        .map(|(id, s, t, w, r)| (id, s.to_string(), t.map(str::to_string), w.to_vec(), r))
        .collect())
}

/// Unpacks rows straight into hazard records (the WKB decoded where it lies, on `threads`
/// threads). `Ok(None)` when the blob is not a packed list of rows (the caller reads the rows
/// from their tables); a row whose geometry does not decode is an error, as from the table.
pub(crate) fn decode_records(
    data: &[u8],
    threads: usize,
) -> Result<Option<Vec<demine_geo::HazardRecord>>, crate::StoreError> {
    let Ok(rows) = scan(data) else {
        return Ok(None);
    };
    let one = |(id, status, hazard_type, wkb, radius): &RowRef<'_>| {
        super::shape_from(*id, wkb, *radius).map(|shape| demine_geo::HazardRecord {
            id: *id,
            status: status.to_string(),
            hazard_type: hazard_type.map(str::to_string),
            shape,
        })
    };
    let threads = threads.max(1);
    if threads == 1 || rows.len() < 4096 {
        return rows.iter().map(one).collect::<Result<_, _>>().map(Some);
    }
    let chunk = rows.len().div_ceil(threads);
    let results: Vec<Result<Vec<_>, crate::StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Result<Vec<_>, _>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::StoreError::Corrupt {
                        table: "hazard_index_cache".into(),
                        reason: "a decoding thread failed".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(rows.len());
    for r in results {
        out.extend(r?);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<IndexRow> {
        vec![
            (
                1,
                "confirmed".into(),
                Some("CHA".into()),
                vec![1, 2, 3],
                None,
            ),
            (7, "open".into(), None, vec![], Some(250.0)),
        ]
    }

    #[test]
    fn rows_round_trip() {
        let b = encode(&rows());
        assert_eq!(decode(&b).unwrap(), rows());
        assert_eq!(decode(&encode(&[])).unwrap(), Vec::<IndexRow>::new());
    }

    #[test]
    fn records_decode_where_they_lie() {
        use demine_geo::{Coord, Geometry, HazardShape, encode_wkb};
        let point = encode_wkb(&Geometry::Point(Coord::new(104.0, 12.0)));
        let rows: Vec<IndexRow> = (1..=5000)
            .map(|i| (i, "open".to_string(), None, point.clone(), Some(50.0)))
            .collect();
        for threads in [1, 3] {
            let recs = decode_records(&encode(&rows), threads).unwrap().unwrap();
            assert_eq!(recs.len(), 5000);
            assert_eq!(recs[4999].id, 5000);
            assert!(
                matches!(recs[0].shape, HazardShape::Circle { radius_m, .. } if radius_m == 50.0)
            );
        }
        assert!(decode_records(b"garbage", 2).unwrap().is_none());
    }

    #[test]
    fn damaged_blobs_are_refused() {
        let b = encode(&rows());
        for cut in 0..b.len() {
            assert!(decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        let mut magic = b.clone();
        magic[0] = b'X';
        assert!(decode(&magic).is_err());
        let mut count = b;
        count[8] = 0xff;
        assert!(decode(&count).is_err());
    }
}
