//! KMZ (what Google Earth saves by default): a zip archive holding one KML document (`doc.kml`,
//! or the first `.kml` at the top level) and perhaps images. Only the document is read, from
//! memory: nothing is extracted to disk. Bounded: an archive of more than [`MAX_ENTRIES`] entries,
//! an entry whose name climbs out of the archive (`..`, an absolute path), or a document that
//! inflates beyond [`MAX_KML_BYTES`] (whatever its header claims) is refused.

use std::io::{Read, Write};

use crate::error::GeoError;
use crate::feature::Collection;

/// The most entries a KMZ may hold.
pub const MAX_ENTRIES: usize = 10_000;

/// The largest KML document a KMZ may inflate to (128 MiB).
pub const MAX_KML_BYTES: u64 = 128 << 20;

fn fail(source_name: &str, message: String) -> GeoError {
    GeoError::Syntax {
        source_name: source_name.to_string(),
        line: 0,
        column: 0,
        message: format!("KMZ: {message}"),
    }
}

/// The KML document inside a KMZ's bytes.
pub fn kml_of_kmz(source_name: &str, bytes: &[u8]) -> Result<Vec<u8>, GeoError> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(source_name, format!("not a zip archive: {e}")))?;
    if z.len() > MAX_ENTRIES {
        return Err(fail(
            source_name,
            format!("{} entries (at most {MAX_ENTRIES})", z.len()),
        ));
    }
    let mut chosen: Option<(usize, bool)> = None;
    for i in 0..z.len() {
        let f = z
            .by_index_raw(i)
            .map_err(|e| fail(source_name, format!("entry {i}: {e}")))?;
        let name = f
            .name()
            .map_err(|e| fail(source_name, format!("entry {i}: {e}")))?
            .to_string();
        let climbs = name.starts_with('/')
            || name.starts_with('\\')
            || name.split(['/', '\\']).any(|p| p == "..")
            || name.contains(':');
        if climbs {
            return Err(fail(
                source_name,
                format!("entry {name:?} points outside the archive (refused)"),
            ));
        }
        let top = !name.contains('/');
        if name.to_ascii_lowercase().ends_with(".kml") {
            let is_doc = name.eq_ignore_ascii_case("doc.kml");
            match chosen {
                None => chosen = Some((i, is_doc || top)),
                Some((_, false)) if is_doc || top => chosen = Some((i, true)),
                Some(_) => {}
            }
            if is_doc {
                chosen = Some((i, true));
                break;
            }
        }
    }
    let Some((i, _)) = chosen else {
        return Err(fail(source_name, "no .kml document inside".into()));
    };
    let f = z
        .by_index(i)
        .map_err(|e| fail(source_name, format!("entry {i}: {e}")))?;
    let name = f
        .name()
        .map_err(|e| fail(source_name, format!("entry {i}: {e}")))?
        .to_string();
    let mut out = Vec::new();
    f.take(MAX_KML_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| fail(source_name, format!("{name}: {e}")))?;
    if out.len() as u64 > MAX_KML_BYTES {
        return Err(fail(
            source_name,
            format!("{name} inflates beyond {MAX_KML_BYTES} bytes (a zip bomb?)"),
        ));
    }
    Ok(out)
}

/// Reads and validates the KML inside a KMZ.
pub fn read_kmz(source_name: &str, bytes: &[u8]) -> Result<Collection, GeoError> {
    let kml = kml_of_kmz(source_name, bytes)?;
    crate::kml::read_kml(source_name, &kml)
}

/// A KMZ holding `kml` as `doc.kml`, deflated.
pub fn write_kmz(kml: &str) -> Result<Vec<u8>, GeoError> {
    let err = |e: &dyn std::fmt::Display| GeoError::Syntax {
        source_name: "KMZ output".into(),
        line: 0,
        column: 0,
        message: e.to_string(),
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("doc.kml", opts).map_err(|e| err(&e))?;
    w.write_all(kml.as_bytes()).map_err(|e| err(&e))?;
    let c = w.finish().map_err(|e| err(&e))?;
    Ok(c.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KML: &str = r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>a</name>
<ExtendedData><Data name="radius"><value>20</value></Data><Data name="organisation"><value>NPA</value></Data></ExtendedData>
<Point><coordinates>104.5,12.5</coordinates></Point></Placemark></Document></kml>"#;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in entries {
            w.start_file(*n, opts).unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn round_trip_and_google_earth_layout() {
        let kmz = write_kmz(KML).unwrap();
        let c = read_kmz("a.kmz", &kmz).unwrap();
        assert_eq!(c.features.len(), 1);
        assert_eq!(c.features[0].properties.attributes["organisation"], "NPA");
        // Google Earth: doc.kml beside a files/ folder of icons.
        let z = zip_of(&[("files/icon.png", b"\x89PNG"), ("doc.kml", KML.as_bytes())]);
        assert_eq!(read_kmz("b.kmz", &z).unwrap().features.len(), 1);
    }

    #[test]
    fn hostile_archives_are_refused() {
        let e = read_kmz("x.kmz", b"not a zip").unwrap_err().to_string();
        assert!(e.contains("not a zip"), "{e}");
        let z = zip_of(&[("../evil.kml", KML.as_bytes())]);
        let e = read_kmz("x.kmz", &z).unwrap_err().to_string();
        assert!(e.contains("outside the archive"), "{e}");
        let z = zip_of(&[("readme.txt", b"hello")]);
        let e = read_kmz("x.kmz", &z).unwrap_err().to_string();
        assert!(e.contains("no .kml"), "{e}");
    }
}
