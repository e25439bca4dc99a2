//! The XLSForms in forms/: each committed .xlsx holds exactly what its source CSVs say (the
//! workbook read back from its sheet XML), and every question of every form is mapped by
//! forms/mapping.csv (to a demine field, keep, or ignore) with its type, and nothing else is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use demine_app::odk::Mapping;
use quick_xml::events::Event;

const FORMS: [&str; 4] = [
    "hazardous_area",
    "non_technical_survey",
    "technical_survey_clearance",
    "accident_victim",
];
const SHEETS: [&str; 3] = ["survey", "choices", "settings"];

fn forms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms")
}

type Sheet = Vec<Vec<String>>;

fn entry(z: &mut zip::ZipArchive<std::fs::File>, name: &str) -> String {
    let name = name.trim_start_matches('/');
    let mut f = z.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

/// Attribute `key` of an element.
fn attr(e: &quick_xml::events::BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// The column (from 0) of a cell reference such as "C12".
fn column(r: &str) -> usize {
    r.chars()
        .take_while(char::is_ascii_uppercase)
        .fold(0, |n, c| n * 26 + (c as usize - 'A' as usize + 1))
        - 1
}

/// The texts of an XML document's `<t>` elements, in order, grouped by `<si>` (shared strings).
fn shared_strings(xml: &str) -> Vec<String> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut in_t = false;
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"si" => cur = Some(String::new()),
            Event::Start(e) if e.name().as_ref() == b"t" => in_t = true,
            Event::End(e) if e.name().as_ref() == b"t" => in_t = false,
            Event::Text(t) if in_t => {
                if let Some(c) = cur.as_mut() {
                    c.push_str(&t.xml10_content().unwrap());
                }
            }
            Event::GeneralRef(g) if in_t => {
                if let Some(c) = cur.as_mut() {
                    c.push_str(&unescape_ref(&g));
                }
            }
            Event::End(e) if e.name().as_ref() == b"si" => out.extend(cur.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn unescape_ref(g: &[u8]) -> String {
    match g {
        b"amp" => "&".into(),
        b"lt" => "<".into(),
        b"gt" => ">".into(),
        b"quot" => "\"".into(),
        b"apos" => "'".into(),
        other => panic!("unexpected entity {}", String::from_utf8_lossy(other)),
    }
}

/// A worksheet's rows, cells as text (inline or shared strings), empty cells as "".
fn sheet_rows(xml: &str, shared: &[String]) -> Sheet {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut rows: Sheet = Vec::new();
    let mut col = 0;
    let mut kind = String::new();
    let mut text = String::new();
    let mut in_text = false;
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"row" => rows.push(Vec::new()),
            Event::Start(e) if e.name().as_ref() == b"c" => {
                col = column(&attr(&e, b"r").unwrap());
                kind = attr(&e, b"t").unwrap_or_default();
                text.clear();
            }
            Event::Start(e) if matches!(e.name().as_ref(), b"t" | b"v") => in_text = true,
            Event::End(e) if matches!(e.name().as_ref(), b"t" | b"v") => in_text = false,
            Event::Text(t) if in_text => text.push_str(&t.xml10_content().unwrap()),
            Event::GeneralRef(g) if in_text => text.push_str(&unescape_ref(&g)),
            Event::End(e) if e.name().as_ref() == b"c" => {
                let value = if kind == "s" {
                    shared[text.trim().parse::<usize>().unwrap()].clone()
                } else {
                    text.clone()
                };
                let row = rows.last_mut().unwrap();
                row.resize(row.len().max(col + 1), String::new());
                row[col] = value;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    rows
}

/// The sheets of an .xlsx by name.
fn read_xlsx(path: &Path) -> BTreeMap<String, Sheet> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let workbook = entry(&mut z, "xl/workbook.xml");
    let rels = entry(&mut z, "xl/_rels/workbook.xml.rels");
    let has_shared = z
        .file_names()
        .any(|n| n.is_ok_and(|n| n == "xl/sharedStrings.xml"));
    let shared = if has_shared {
        shared_strings(&entry(&mut z, "xl/sharedStrings.xml"))
    } else {
        Vec::new()
    };
    let mut targets = BTreeMap::new();
    let mut r = quick_xml::Reader::from_str(&rels);
    loop {
        match r.read_event().unwrap() {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"Relationship" => {
                targets.insert(attr(&e, b"Id").unwrap(), attr(&e, b"Target").unwrap());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut sheets = Vec::new();
    let mut r = quick_xml::Reader::from_str(&workbook);
    loop {
        match r.read_event().unwrap() {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"sheet" => {
                sheets.push((attr(&e, b"name").unwrap(), attr(&e, b"r:id").unwrap()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    sheets
        .into_iter()
        .map(|(name, rid)| {
            let t = &targets[&rid];
            let t = if t.starts_with('/') {
                t.clone()
            } else {
                format!("xl/{t}")
            };
            let xml = entry(&mut z, &t);
            (name, sheet_rows(&xml, &shared))
        })
        .collect()
}

fn read_csv(path: &Path) -> Sheet {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Rows with trailing empty cells dropped (a spreadsheet does not keep them).
fn trimmed(s: Sheet) -> Sheet {
    s.into_iter()
        .map(|mut r| {
            while r.last().is_some_and(String::is_empty) {
                r.pop();
            }
            r
        })
        .collect()
}

#[test]
fn each_committed_xlsx_matches_its_source_csvs() {
    for form in FORMS {
        let book = read_xlsx(&forms_dir().join(format!("{form}.xlsx")));
        assert_eq!(
            book.keys().cloned().collect::<BTreeSet<_>>(),
            SHEETS.iter().map(|s| s.to_string()).collect(),
            "{form}.xlsx sheets"
        );
        for sheet in SHEETS {
            let src = read_csv(
                &forms_dir()
                    .join("src")
                    .join(form)
                    .join(format!("{sheet}.csv")),
            );
            assert_eq!(
                trimmed(book[sheet].clone()),
                trimmed(src),
                "forms/{form}.xlsx sheet {sheet} differs from forms/src/{form}/{sheet}.csv: run \
                 python3 forms/build.py"
            );
        }
        let settings = &book["settings"];
        let col = |name: &str| settings[0].iter().position(|h| h == name).unwrap();
        assert_eq!(settings[1][col("form_id")], form);
        assert!(!settings[1][col("version")].is_empty());
        assert!(!settings[1][col("instance_name")].is_empty());
    }
}

/// The questions of a form's survey sheet: name and base type (groups, repeats and notes are
/// not questions).
fn questions(form: &str) -> BTreeMap<String, String> {
    let rows = read_csv(&forms_dir().join("src").join(form).join("survey.csv"));
    let h = &rows[0];
    let (t, n) = (
        h.iter().position(|c| c == "type").unwrap(),
        h.iter().position(|c| c == "name").unwrap(),
    );
    rows[1..]
        .iter()
        .filter_map(|r| {
            let base = r[t].split_whitespace().next()?.to_string();
            let structural = matches!(
                base.as_str(),
                "begin_group" | "end_group" | "begin_repeat" | "end_repeat" | "note"
            );
            (!structural).then(|| (r[n].clone(), base))
        })
        .collect()
}

#[test]
fn every_question_is_mapped_with_its_type_and_nothing_else_is() {
    let text = std::fs::read_to_string(forms_dir().join("mapping.csv")).unwrap();
    let m = Mapping::parse("forms/mapping.csv", &text).unwrap();
    assert_eq!(
        m.forms.keys().cloned().collect::<BTreeSet<_>>(),
        FORMS.iter().map(|s| s.to_string()).collect()
    );
    for form in FORMS {
        let qs = questions(form);
        let mapped = &m.forms[form].questions;
        for (name, kind) in &qs {
            let q = mapped
                .get(name)
                .unwrap_or_else(|| panic!("{form}: question {name} is not in forms/mapping.csv"));
            assert_eq!(&q.kind, kind, "{form}: question {name}'s type");
        }
        for name in mapped.keys() {
            assert!(
                qs.contains_key(name),
                "{form}: mapping names {name}, not in the form"
            );
        }
        // XLSForm names are unique in a form, and the readers take a question by its own name:
        // no name may hold the group separators of the exports.
        for name in qs.keys() {
            assert!(!name.contains(['-', '/']), "{form}: question {name}");
        }
    }
}
