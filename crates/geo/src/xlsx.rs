//! A small reader of Office Open XML workbooks (.xlsx): every sheet as rows of cell text, the
//! way KoboToolbox's Excel export writes them (one sheet per section of the form). Only what a
//! table of answers needs is read: the sheet names and order (`xl/workbook.xml` and its
//! relationships), the shared strings, and each cell's value as text (shared, inline or plain
//! strings, numbers as written). Styles, formulas' expressions and formats are ignored: a number
//! is its text as stored, never turned into a date.
//!
//! The archive is bounded like a KMZ or an export zip: too many entries, or parts inflating
//! beyond [`MAX_XLSX_BYTES`], are refused, and every sheet is bounded in rows and columns.

use std::collections::BTreeMap;
use std::io::Read;

use crate::error::GeoError;
use crate::xml::{XmlEvent, walk};

/// The most entries a workbook may hold.
pub const MAX_XLSX_ENTRIES: usize = 1_000;

/// The most bytes a workbook's parts may inflate to, together (256 MiB).
pub const MAX_XLSX_BYTES: u64 = 256 << 20;

/// The most columns a sheet may have (Excel's own limit).
pub const MAX_COLUMNS: usize = 16_384;

/// One sheet: its name and its rows, each with its row number (1-based, as Excel shows it) and
/// its cells' text (empty cells as empty strings, trailing ones left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<(u64, Vec<String>)>,
}

fn fail(name: &str, message: impl Into<String>) -> GeoError {
    GeoError::Submission {
        source_name: name.to_string(),
        at: String::new(),
        message: message.into(),
    }
}

/// Whether the bytes are a zip archive (an .xlsx is one).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

struct Parts {
    files: BTreeMap<String, Vec<u8>>,
}

fn read_parts(name: &str, bytes: &[u8]) -> Result<Parts, GeoError> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(name, format!("not an .xlsx workbook (zip: {e})")))?;
    if z.len() > MAX_XLSX_ENTRIES {
        return Err(fail(
            name,
            format!("workbook: {} entries (at most {MAX_XLSX_ENTRIES})", z.len()),
        ));
    }
    let mut files = BTreeMap::new();
    let mut budget = MAX_XLSX_BYTES;
    for i in 0..z.len() {
        let f = z
            .by_index(i)
            .map_err(|e| fail(name, format!("workbook entry {i}: {e}")))?;
        let entry = f
            .name()
            .map_err(|e| fail(name, format!("workbook entry {i}: {e}")))?
            .to_string();
        if !entry.ends_with(".xml") && !entry.ends_with(".rels") {
            continue;
        }
        let mut out = Vec::new();
        f.take(budget + 1)
            .read_to_end(&mut out)
            .map_err(|e| fail(name, format!("workbook {entry}: {e}")))?;
        if out.len() as u64 > budget {
            return Err(fail(
                name,
                format!("workbook: its parts inflate beyond {MAX_XLSX_BYTES} bytes (a zip bomb?)"),
            ));
        }
        budget -= out.len() as u64;
        files.insert(entry, out);
    }
    Ok(Parts { files })
}

impl Parts {
    fn get(&self, name: &str, part: &str) -> Result<&[u8], GeoError> {
        self.files
            .get(part)
            .map(Vec::as_slice)
            .ok_or_else(|| fail(name, format!("not an .xlsx workbook: it has no {part}")))
    }
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The shared strings: each `<si>`'s text runs joined (phonetic runs left out).
fn shared_strings(name: &str, xml: &[u8]) -> Result<Vec<String>, GeoError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    walk(&format!("{name}!xl/sharedStrings.xml"), xml, |path, ev| {
        match ev {
            XmlEvent::Start("si", _) => cur.clear(),
            XmlEvent::End("t", t) if !path.iter().any(|p| p == "rPh") => cur.push_str(t),
            XmlEvent::End("si", _) => out.push(std::mem::take(&mut cur)),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// The column (0-based) of a cell reference such as `AB12`.
fn column_of(r: &str) -> Option<usize> {
    let letters: String = r.chars().take_while(char::is_ascii_alphabetic).collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n = 0usize;
    for c in letters.chars() {
        n = n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1);
    }
    Some(n - 1)
}

fn sheet_rows(
    part: &str,
    xml: &[u8],
    shared: &[String],
) -> Result<Vec<(u64, Vec<String>)>, GeoError> {
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut row_n = 0u64;
    let mut col = 0usize;
    let mut kind = String::new();
    let mut value: Option<String> = None;
    walk(part, xml, |path, ev| {
        match ev {
            XmlEvent::Start("row", a) => {
                row_n = match attr(a, "r") {
                    Some(r) => r
                        .parse()
                        .map_err(|_| format!("row number {r:?} is not a number"))?,
                    None => row_n + 1,
                };
                row.clear();
                col = 0;
            }
            XmlEvent::Start("c", a) => {
                if let Some(r) = attr(a, "r") {
                    col =
                        column_of(r).ok_or_else(|| format!("cell reference {r:?} is not valid"))?;
                }
                if col >= MAX_COLUMNS {
                    return Err(format!("row {row_n}: more than {MAX_COLUMNS} columns"));
                }
                kind = attr(a, "t").unwrap_or("n").to_string();
                value = None;
            }
            XmlEvent::End("v", t) if path.len() >= 2 && path[path.len() - 2] == "c" => {
                value = Some(t.to_string());
            }
            XmlEvent::End("t", t)
                if path.iter().any(|p| p == "is") && !path.iter().any(|p| p == "rPh") =>
            {
                value.get_or_insert_with(String::new).push_str(t);
            }
            XmlEvent::End("c", _) => {
                let text = match (kind.as_str(), value.take()) {
                    (_, None) => String::new(),
                    ("s", Some(i)) => {
                        let i: usize = i
                            .trim()
                            .parse()
                            .map_err(|_| format!("row {row_n}: shared string index {i:?}"))?;
                        shared.get(i).cloned().ok_or_else(|| {
                            format!("row {row_n}: shared string {i} does not exist")
                        })?
                    }
                    ("e", Some(e)) => {
                        return Err(format!(
                            "row {row_n} column {}: the cell holds the error {e}",
                            col + 1
                        ));
                    }
                    (_, Some(v)) => v,
                };
                if row.len() <= col {
                    row.resize(col + 1, String::new());
                }
                row[col] = text;
                col += 1;
            }
            XmlEvent::End("row", _) => {
                while row.last().is_some_and(String::is_empty) {
                    row.pop();
                }
                if let Some((prev, _)) = rows.last()
                    && *prev >= row_n
                {
                    return Err(format!("row {row_n} comes after row {prev}"));
                }
                rows.push((row_n, std::mem::take(&mut row)));
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(rows)
}

/// Reads every sheet of a workbook, in the workbook's order.
pub fn read_sheets(name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, GeoError> {
    let parts = read_parts(name, bytes)?;
    let mut targets = BTreeMap::new();
    walk(
        &format!("{name}!xl/_rels/workbook.xml.rels"),
        parts.get(name, "xl/_rels/workbook.xml.rels")?,
        |_, ev| {
            if let XmlEvent::Start("Relationship", a) = ev
                && let (Some(id), Some(t)) = (attr(a, "Id"), attr(a, "Target"))
            {
                targets.insert(id.to_string(), t.to_string());
            }
            Ok(())
        },
    )?;
    let mut listed = Vec::new();
    walk(
        &format!("{name}!xl/workbook.xml"),
        parts.get(name, "xl/workbook.xml")?,
        |path, ev| {
            if let XmlEvent::Start("sheet", a) = ev
                && path.iter().any(|p| p == "sheets")
            {
                let sheet = attr(a, "name").ok_or("a <sheet> without a name")?;
                let id = attr(a, "id").ok_or("a <sheet> without its r:id")?;
                listed.push((sheet.to_string(), id.to_string()));
            }
            Ok(())
        },
    )?;
    let shared = match parts.files.get("xl/sharedStrings.xml") {
        Some(x) => shared_strings(name, x)?,
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(listed.len());
    for (sheet, id) in listed {
        let target = targets.get(&id).ok_or_else(|| {
            fail(
                name,
                format!("sheet {sheet:?}: its relationship {id} is not in the workbook"),
            )
        })?;
        let part = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let xml = parts.get(name, &part)?;
        let rows = sheet_rows(&format!("{name}!{part} (sheet {sheet})"), xml, &shared)?;
        out.push(Sheet { name: sheet, rows });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A workbook with the given sheets (rows of cells; strings shared, numbers plain).
    pub(crate) fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
        let mut shared: Vec<String> = Vec::new();
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        let mut wb = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        for (i, (name, rows)) in sheets.iter().enumerate() {
            let n = i + 1;
            wb.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
            ));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
            let mut x = String::from(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
            );
            for (r, cells) in rows.iter().enumerate() {
                x.push_str(&format!(r#"<row r="{}">"#, r + 1));
                for (c, v) in cells.iter().enumerate() {
                    if v.is_empty() {
                        continue;
                    }
                    let col = (b'A' + c as u8) as char;
                    if v.parse::<f64>().is_ok() {
                        x.push_str(&format!(r#"<c r="{col}{}"><v>{v}</v></c>"#, r + 1));
                    } else {
                        let k = shared.iter().position(|s| s == v).unwrap_or_else(|| {
                            shared.push(v.to_string());
                            shared.len() - 1
                        });
                        x.push_str(&format!(r#"<c r="{col}{}" t="s"><v>{k}</v></c>"#, r + 1));
                    }
                }
                x.push_str("</row>");
            }
            x.push_str("</sheetData></worksheet>");
            z.start_file(format!("xl/worksheets/sheet{n}.xml"), o)
                .unwrap();
            z.write_all(x.as_bytes()).unwrap();
        }
        wb.push_str("</sheets></workbook>");
        rels.push_str("</Relationships>");
        let mut ss = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        );
        for s in &shared {
            let esc = s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            ss.push_str(&format!("<si><t>{esc}</t></si>"));
        }
        ss.push_str("</sst>");
        for (p, t) in [
            ("xl/workbook.xml", wb),
            ("xl/_rels/workbook.xml.rels", rels),
            ("xl/sharedStrings.xml", ss),
        ] {
            z.start_file(p, o).unwrap();
            z.write_all(t.as_bytes()).unwrap();
        }
        z.finish().unwrap();
        buf.into_inner()
    }

    #[test]
    fn sheets_come_in_order_with_shared_inline_and_sparse_cells() {
        let book = workbook(&[
            ("main", &[&["a", "b", "c"], &["x & y", "", "3.5"]]),
            ("rep", &[&["q"]]),
        ]);
        let sheets = read_sheets("b.xlsx", &book).unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].name, "main");
        assert_eq!(
            sheets[0].rows[1],
            (2, vec!["x & y".into(), "".into(), "3.5".into()])
        );
        assert_eq!(sheets[1].rows, vec![(1, vec!["q".to_string()])]);
        // Inline strings and rich text runs, a phonetic run left out, a cell reference skipping
        // columns.
        let x = br#"<worksheet><sheetData><row r="4"><c r="C4" t="inlineStr"><is><r><t>ab</t></r><r><t xml:space="preserve"> c</t></r><rPh><t>zz</t></rPh></is></c></row></sheetData></worksheet>"#;
        let rows = sheet_rows("s", x, &[]).unwrap();
        assert_eq!(rows, vec![(4, vec!["".into(), "".into(), "ab c".into()])]);
        assert_eq!(column_of("AB12"), Some(27));
        assert_eq!(column_of("12"), None);
    }

    #[test]
    fn broken_workbooks_are_named() {
        let e = read_sheets("b.xlsx", b"PK\x03\x04 not really").unwrap_err();
        assert!(e.to_string().contains("b.xlsx"), "{e}");
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("x.xml", zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(b"<x/>").unwrap();
            z.finish().unwrap();
        }
        let e = read_sheets("b.xlsx", buf.get_ref())
            .unwrap_err()
            .to_string();
        assert!(e.contains("workbook.xml"), "{e}");
        let x = br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>9</v></c></row></sheetData></worksheet>"#;
        let e = sheet_rows("s", x, &[]).unwrap_err().to_string();
        assert!(e.contains("shared string 9"), "{e}");
        let x = br#"<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#REF!</v></c></row></sheetData></worksheet>"#;
        let e = sheet_rows("s", x, &[]).unwrap_err().to_string();
        assert!(e.contains("#REF!"), "{e}");
    }
}
