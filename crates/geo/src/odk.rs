//! Submissions of ODK forms as ODK Central and KoboToolbox export them, and the geometry strings
//! of ODK's `geopoint`, `geotrace` and `geoshape` questions.
//!
//! Five layouts are read, told apart by their content:
//! - ODK Central's CSV: the main table (`SubmissionDate`, group paths joined by `-`,
//!   `meta-instanceID`, `KEY`; a geopoint split into `-Latitude`, `-Longitude`, `-Altitude`,
//!   `-Accuracy` columns) and one table per repeat group (`PARENT_KEY`, `KEY` =
//!   `parent/repeat[n]`);
//! - ODK Central's OData JSON: a `value` array, `__id`, `__system`, groups as nested objects,
//!   repeats as arrays (a repeat given only as an `@odata.navigationLink` is refused: export
//!   with `$expand=*`), geometry as GeoJSON (the default), WKT (`$wkt=true`) or ODK strings;
//! - KoboToolbox's CSV: group paths joined by `/`, `_uuid`, `_id`, `_submission_time`,
//!   `meta/instanceID`, `,` or `;` between fields (KoboToolbox writes only the main table to a
//!   CSV: repeat groups are left out, so a repeat table given beside one is refused, naming the
//!   Excel and JSON exports that carry them); a geopoint's `_q_latitude`... columns and a
//!   select_multiple's per-option 0/1 columns (`q/option` beside `q`) are not answers;
//! - KoboToolbox's Excel (.xlsx): the same columns, the main table on the first sheet (named
//!   after the form), and one sheet per repeat group named after it, whose rows join their
//!   submission by `_parent_index` = the main sheet's `_index` (`_parent_table_name` naming the
//!   main sheet's section, and `_submission__uuid`, when there, its `_uuid`);
//! - KoboToolbox's JSON: the `results` array of the v2 data API (or a bare array), keys as group
//!   paths joined by `/`, repeats as arrays of objects.
//!
//! A question is named by its own name (the last part of its path): XLSForm names are unique
//! within a form. Answers are kept as text; what they mean is the caller's mapping. Nothing here
//! guesses: a submission without an instance id, a repeat row without its parent, a coordinate
//! out of range are errors naming the file, the line or submission and the field.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::GeoError;
use crate::geom::{Coord, Geometry, Polygon};

/// Which export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// ODK Central, CSV (main table and repeat tables).
    CentralCsv,
    /// ODK Central, OData JSON.
    CentralJson,
    /// KoboToolbox, CSV.
    KoboCsv,
    /// KoboToolbox, JSON (v2 data API).
    KoboJson,
    /// KoboToolbox, Excel (.xlsx): the main sheet and one sheet per repeat group.
    KoboXlsx,
}

impl Flavour {
    /// Its name in messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::CentralCsv => "ODK Central CSV",
            Flavour::CentralJson => "ODK Central JSON",
            Flavour::KoboCsv => "KoboToolbox CSV",
            Flavour::KoboJson => "KoboToolbox JSON",
            Flavour::KoboXlsx => "KoboToolbox Excel",
        }
    }
}

/// One row of a repeat group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepeatRow {
    /// Where it is (file and line, or submission and index), for messages.
    pub at: String,
    /// Its answers by question name.
    pub answers: BTreeMap<String, String>,
}

/// One submission.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Submission {
    /// Where it is in the file (`line N` or `submission #N`), for messages.
    pub at: String,
    /// The instance id of this version of the submission (`uuid:...`).
    pub instance_id: String,
    /// The submission's first instance id when the export keeps it apart from the version's
    /// (ODK Central's `KEY` / `__id`); else the instance id.
    pub root_id: String,
    /// The instance id of the version an edit replaced (`meta/deprecatedID`).
    pub deprecated_id: Option<String>,
    /// When the server received it, as exported.
    pub submitted_at: Option<String>,
    /// The form's id when the export says it.
    pub form_id: Option<String>,
    /// Answers by question name (empty answers are left out).
    pub answers: BTreeMap<String, String>,
    /// Repeat groups by name, their rows in order.
    pub repeats: BTreeMap<String, Vec<RepeatRow>>,
}

/// A file of an export: its name and bytes.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn fail(file: &str, at: &str, message: impl Into<String>) -> GeoError {
    GeoError::Submission {
        source_name: file.to_string(),
        at: at.to_string(),
        message: message.into(),
    }
}

/// The last part of a question's path.
fn leaf(path: &str, sep: char) -> &str {
    path.rsplit(sep).next().unwrap_or(path)
}

/// Reads the submissions of an export: `files[0]` is the main file, any others are ODK Central
/// repeat tables (CSV with `PARENT_KEY`). Returns the flavour found and the submissions in file
/// order. Two submissions with the same instance id are refused.
pub fn read_submissions(files: &[ExportFile]) -> Result<(Flavour, Vec<Submission>), GeoError> {
    let Some(main) = files.first() else {
        return Err(fail("(none)", "", "no file given"));
    };
    if crate::xlsx::is_zip(&main.bytes) {
        if let Some(extra) = files.get(1) {
            return Err(fail(
                &extra.name,
                "",
                format!(
                    "{} is a workbook: its repeat groups are its own sheets, no other file goes \
                     with it",
                    main.name
                ),
            ));
        }
        let subs = read_kobo_xlsx(&main.name, &main.bytes)?;
        no_duplicates(&main.name, &subs)?;
        return Ok((Flavour::KoboXlsx, subs));
    }
    let text = std::str::from_utf8(&main.bytes)
        .map_err(|e| fail(&main.name, "", format!("not UTF-8 text: {e}")))?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.trim_start().chars().next();
    let (flavour, subs) = if matches!(first, Some('{') | Some('[')) {
        read_json(&main.name, text)?
    } else {
        read_csv(&main.name, text, &files[1..])?
    };
    if files.len() > 1 && flavour != Flavour::CentralCsv {
        return Err(fail(
            &files[1].name,
            "",
            format!(
                "repeat tables go with an ODK Central CSV export, and {} is {}",
                main.name,
                flavour.name()
            ),
        ));
    }
    no_duplicates(&main.name, &subs)?;
    Ok((flavour, subs))
}

/// Two submissions with the same instance id are refused.
fn no_duplicates(file: &str, subs: &[Submission]) -> Result<(), GeoError> {
    let mut seen = BTreeMap::new();
    for s in subs {
        if let Some(prev) = seen.insert(s.instance_id.clone(), s.at.clone()) {
            return Err(fail(
                file,
                &s.at,
                format!("instance id {} is also at {prev}", s.instance_id),
            ));
        }
    }
    Ok(())
}

/// The most entries an export zip may hold.
pub const MAX_ZIP_ENTRIES: usize = 1_000;

/// The most bytes an export zip's tables may inflate to, together (256 MiB).
pub const MAX_ZIP_BYTES: u64 = 256 << 20;

/// The tables of an ODK Central export zip (its `.csv` entries; media are left out), the main
/// table first (the one without `PARENT_KEY`), then the repeat tables. Bounded like a KMZ: too
/// many entries, a name that climbs out of the archive, or tables inflating beyond
/// [`MAX_ZIP_BYTES`] are refused.
pub fn zip_tables(name: &str, bytes: &[u8]) -> Result<Vec<ExportFile>, GeoError> {
    use std::io::Read;
    let bad = |m: String| fail(name, "", format!("export zip: {m}"));
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a zip archive: {e}")))?;
    if z.len() > MAX_ZIP_ENTRIES {
        return Err(bad(format!(
            "{} entries (at most {MAX_ZIP_ENTRIES})",
            z.len()
        )));
    }
    let mut main = Vec::new();
    let mut repeats = Vec::new();
    let mut budget = MAX_ZIP_BYTES;
    for i in 0..z.len() {
        let f = z.by_index(i).map_err(|e| bad(format!("entry {i}: {e}")))?;
        let entry = f
            .name()
            .map_err(|e| bad(format!("entry {i}: {e}")))?
            .to_string();
        if entry.starts_with('/')
            || entry.starts_with('\\')
            || entry.split(['/', '\\']).any(|p| p == "..")
            || entry.contains(':')
        {
            return Err(bad(format!(
                "entry {entry:?} points outside the archive (refused)"
            )));
        }
        if !entry.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        let mut out = Vec::new();
        f.take(budget + 1)
            .read_to_end(&mut out)
            .map_err(|e| bad(format!("{entry}: {e}")))?;
        if out.len() as u64 > budget {
            return Err(bad(format!(
                "its tables inflate beyond {MAX_ZIP_BYTES} bytes (a zip bomb?)"
            )));
        }
        budget -= out.len() as u64;
        let header = out.split(|b| *b == b'\n').next().unwrap_or(&[]);
        let is_repeat = header.windows(10).any(|w| w == b"PARENT_KEY");
        let file = ExportFile {
            name: format!("{name}!{entry}"),
            bytes: out,
        };
        if is_repeat {
            repeats.push(file);
        } else {
            main.push(file);
        }
    }
    if main.len() != 1 {
        return Err(bad(format!(
            "{} main tables (a .csv without PARENT_KEY); an export of one form has one",
            main.len()
        )));
    }
    main.extend(repeats);
    Ok(main)
}

// ---------------------------------------------------------------------------------------------
// CSV

fn delimiter(header_line: &str) -> u8 {
    let semis = header_line.matches(';').count();
    let commas = header_line.matches(',').count();
    if semis > commas { b';' } else { b',' }
}

struct Table {
    headers: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

fn read_table(file: &str, text: &str) -> Result<Table, GeoError> {
    let header_line = text.lines().next().unwrap_or("");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| fail(file, "line 1", e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            fail(file, &format!("line {line}"), e.to_string())
        })?;
        let line = rec.position().map_or(0, csv::Position::line);
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(Table { headers, rows })
}

/// ODK Central's CSV system columns (not answers).
const CENTRAL_SYSTEM: &[&str] = &[
    "SubmissionDate",
    "KEY",
    "PARENT_KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
];

/// The geopoint parts ODK Central's CSV splits a geopoint into, in ODK's order.
const POINT_PARTS: [&str; 4] = ["Latitude", "Longitude", "Altitude", "Accuracy"];

/// Answers of one Central CSV row: geopoint parts joined back into ODK's string form.
fn central_answers(
    file: &str,
    at: &str,
    headers: &[String],
    row: &[String],
) -> Result<BTreeMap<String, String>, GeoError> {
    let mut out = BTreeMap::new();
    let mut points: BTreeMap<String, [String; 4]> = BTreeMap::new();
    for (h, v) in headers.iter().zip(row) {
        if CENTRAL_SYSTEM.contains(&h.as_str()) || h.starts_with("meta-") || h == "meta" {
            continue;
        }
        let v = v.trim();
        if let Some((base, part)) = h.rsplit_once('-')
            && let Some(k) = POINT_PARTS.iter().position(|p| *p == part)
        {
            points.entry(base.to_string()).or_default()[k] = v.to_string();
            continue;
        }
        if !v.is_empty() {
            insert_answer(file, at, &mut out, leaf(h, '-'), v)?;
        }
    }
    for (base, parts) in points {
        if parts.iter().all(String::is_empty) {
            continue;
        }
        if parts[0].is_empty() || parts[1].is_empty() {
            return Err(fail(
                file,
                at,
                format!("field {base}: a geopoint needs both its Latitude and Longitude columns"),
            ));
        }
        let text = parts
            .iter()
            .map(|p| if p.is_empty() { "0" } else { p.as_str() })
            .collect::<Vec<_>>()
            .join(" ");
        insert_answer(file, at, &mut out, leaf(&base, '-'), &text)?;
    }
    Ok(out)
}

fn insert_answer(
    file: &str,
    at: &str,
    out: &mut BTreeMap<String, String>,
    name: &str,
    value: &str,
) -> Result<(), GeoError> {
    if out.insert(name.to_string(), value.to_string()).is_some() {
        return Err(fail(
            file,
            at,
            format!("field {name}: two columns answer a question of that name"),
        ));
    }
    Ok(())
}

fn column(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h == name)
}

fn cell(row: &[String], c: Option<usize>) -> Option<String> {
    c.and_then(|c| row.get(c))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn read_csv(
    file: &str,
    text: &str,
    repeat_files: &[ExportFile],
) -> Result<(Flavour, Vec<Submission>), GeoError> {
    let t = read_table(file, text)?;
    let h = &t.headers;
    if column(h, "KEY").is_some() {
        if column(h, "PARENT_KEY").is_some() {
            return Err(fail(
                file,
                "line 1",
                "this is a repeat table (it has PARENT_KEY): give the main table first",
            ));
        }
        let mut subs = read_central_csv(file, &t)?;
        for rf in repeat_files {
            add_central_repeats(rf, &mut subs)?;
        }
        return Ok((Flavour::CentralCsv, subs));
    }
    if column(h, "_parent_index").is_some() {
        return Err(fail(
            file,
            "line 1",
            "this is a repeat table (it has _parent_index): give the main table first",
        ));
    }
    if column(h, "_uuid").is_some() || column(h, "meta/instanceID").is_some() {
        if let Some(rf) = repeat_files.first() {
            return Err(fail(
                &rf.name,
                "",
                format!(
                    "{file} is a KoboToolbox CSV export, which leaves repeat groups out: export \
                     the form as XLSX (each repeat group its own sheet) or JSON instead"
                ),
            ));
        }
        return Ok((Flavour::KoboCsv, read_kobo_csv(file, &t)?));
    }
    Err(fail(
        file,
        "line 1",
        "not a submissions export: an ODK Central CSV has a KEY column, a KoboToolbox CSV \
         _uuid or meta/instanceID",
    ))
}

fn read_central_csv(file: &str, t: &Table) -> Result<Vec<Submission>, GeoError> {
    let h = &t.headers;
    let key_c = column(h, "KEY");
    let inst_c = column(h, "meta-instanceID");
    let dep_c = column(h, "meta-deprecatedID");
    let date_c = column(h, "SubmissionDate");
    let mut out = Vec::new();
    for (line, row) in &t.rows {
        let at = format!("line {line}");
        let root = cell(row, key_c);
        let inst = cell(row, inst_c).or_else(|| root.clone());
        let Some(instance_id) = inst else {
            return Err(fail(
                file,
                &at,
                "field meta-instanceID: no instance id (nor KEY)",
            ));
        };
        out.push(Submission {
            at: at.clone(),
            root_id: root.unwrap_or_else(|| instance_id.clone()),
            instance_id,
            deprecated_id: cell(row, dep_c),
            submitted_at: cell(row, date_c),
            form_id: std::path::Path::new(file.rsplit('!').next().unwrap_or(file))
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string),
            answers: central_answers(file, &at, h, row)?,
            repeats: BTreeMap::new(),
        });
    }
    Ok(out)
}

/// The repeat's name in a Central repeat row's KEY (`uuid:.../group/repeat[2]`).
fn repeat_name(key: &str) -> Option<&str> {
    let last = key.rsplit('/').next()?;
    let name = last.split('[').next()?;
    (!name.is_empty() && last.ends_with(']')).then_some(name)
}

fn add_central_repeats(rf: &ExportFile, subs: &mut [Submission]) -> Result<(), GeoError> {
    let text = std::str::from_utf8(&rf.bytes)
        .map_err(|e| fail(&rf.name, "", format!("not UTF-8 text: {e}")))?;
    let t = read_table(&rf.name, text.trim_start_matches('\u{feff}'))?;
    let h = &t.headers;
    let (Some(pk), Some(k)) = (column(h, "PARENT_KEY"), column(h, "KEY")) else {
        return Err(fail(
            &rf.name,
            "line 1",
            "a repeat table has PARENT_KEY and KEY columns",
        ));
    };
    for (line, row) in &t.rows {
        let at = format!("{} line {line}", rf.name);
        let parent = cell(row, Some(pk)).unwrap_or_default();
        let key = cell(row, Some(k)).unwrap_or_default();
        let Some(name) = repeat_name(&key) else {
            return Err(fail(
                &rf.name,
                &format!("line {line}"),
                format!("field KEY: {key:?} is not a repeat row's key (parent/repeat[n])"),
            ));
        };
        let Some(sub) = subs.iter_mut().find(|s| s.root_id == parent) else {
            return Err(fail(
                &rf.name,
                &format!("line {line}"),
                format!(
                    "field PARENT_KEY: no submission {parent:?} in the main table (nested repeats \
                     are not read)"
                ),
            ));
        };
        let answers = central_answers(&rf.name, &at, h, row)?;
        sub.repeats
            .entry(name.to_string())
            .or_default()
            .push(RepeatRow { at, answers });
    }
    Ok(())
}

fn kobo_system(h: &str) -> bool {
    h.starts_with('_') || h.starts_with("meta/") || h == "formhub/uuid" || h == "__version__"
}

/// Whether a KoboToolbox CSV or Excel column is not an answer of its own: a system column
/// (`_id`, `_uuid`, `_index`, `_parent_index`, `_submission__...`, `meta/...`), the parts
/// KoboToolbox adds beside a geopoint (`grp/_loc_latitude`, `_longitude`, `_altitude`,
/// `_precision`), or one option's 0/1 column of a select_multiple exported "both" ways
/// (`grp/land_use/agriculture` beside the question's own `grp/land_use`).
fn kobo_skipped(h: &str, headers: &[String]) -> bool {
    if kobo_system(h) || leaf(h, '/').starts_with('_') {
        return true;
    }
    h.rsplit_once('/')
        .is_some_and(|(question, _)| headers.iter().any(|o| o == question))
}

fn kobo_answers(
    file: &str,
    at: &str,
    headers: &[String],
    row: &[String],
) -> Result<BTreeMap<String, String>, GeoError> {
    let mut answers = BTreeMap::new();
    for (name, v) in headers.iter().zip(row) {
        let v = v.trim();
        if v.is_empty() || kobo_skipped(name, headers) {
            continue;
        }
        insert_answer(file, at, &mut answers, leaf(name, '/'), v)?;
    }
    Ok(answers)
}

fn read_kobo_csv(file: &str, t: &Table) -> Result<Vec<Submission>, GeoError> {
    let h = &t.headers;
    let inst_c = column(h, "meta/instanceID");
    let uuid_c = column(h, "_uuid");
    let dep_c = column(h, "meta/deprecatedID");
    let date_c = column(h, "_submission_time");
    let mut out = Vec::new();
    for (line, row) in &t.rows {
        let at = format!("line {line}");
        let inst = cell(row, inst_c).or_else(|| cell(row, uuid_c).map(|u| format!("uuid:{u}")));
        let Some(instance_id) = inst else {
            return Err(fail(
                file,
                &at,
                "field meta/instanceID: no instance id (nor _uuid)",
            ));
        };
        out.push(Submission {
            at: at.clone(),
            root_id: instance_id.clone(),
            instance_id,
            deprecated_id: cell(row, dep_c),
            submitted_at: cell(row, date_c),
            form_id: None,
            answers: kobo_answers(file, &at, h, row)?,
            repeats: BTreeMap::new(),
        });
    }
    Ok(out)
}

/// The characters Excel refuses in a sheet name, which KoboToolbox's export replaces with `_`.
const SHEET_FORBIDDEN: &[char] = &['[', ']', ':', '*', '?', '/', '\\'];

/// The most characters of an Excel sheet name.
const SHEET_NAME_MAX: usize = 31;

/// The sheet name KoboToolbox's export gives a section: forbidden characters as `_`, and a
/// name longer than Excel allows cut to 28 characters and `...`.
fn kobo_sheet_name(section: &str) -> String {
    let clean: String = section
        .chars()
        .map(|c| if SHEET_FORBIDDEN.contains(&c) { '_' } else { c })
        .collect();
    if clean.chars().count() > SHEET_NAME_MAX {
        let mut cut: String = clean.chars().take(SHEET_NAME_MAX - 3).collect();
        cut.push_str("...");
        cut
    } else {
        clean
    }
}

/// Whether a section name (as `_parent_table_name` gives it) is the one a sheet stands for.
fn names_sheet(section: &str, sheet: &str) -> bool {
    section == sheet || kobo_sheet_name(section) == sheet
}

/// Joins KoboToolbox repeat tables to their submissions: each repeat row's `_parent_index` is
/// the `_index` of its submission in the main table named by `_parent_table_name`, and, when the
/// export carries it, its `_submission__uuid` must be that submission's `_uuid`. `tables` are
/// (file or sheet for messages, repeat name, table).
fn add_kobo_repeats(
    main_file: &str,
    main_section: &str,
    main: &Table,
    subs: &mut [Submission],
    tables: &[(String, String, Table)],
) -> Result<(), GeoError> {
    if tables.is_empty() {
        return Ok(());
    }
    let h = &main.headers;
    let Some(index_c) = column(h, "_index") else {
        return Err(fail(
            main_file,
            "line 1",
            "field _index: the main table has no _index column, so its repeat rows cannot be \
             joined to their submissions",
        ));
    };
    let uuid_c = column(h, "_uuid");
    let mut by_index: BTreeMap<String, (usize, Option<String>)> = BTreeMap::new();
    for (i, (line, row)) in main.rows.iter().enumerate() {
        let Some(ix) = cell(row, Some(index_c)) else {
            return Err(fail(
                main_file,
                &format!("row {line}"),
                "field _index: empty (repeat rows join their submission by it)",
            ));
        };
        if by_index
            .insert(ix.clone(), (i, cell(row, uuid_c)))
            .is_some()
        {
            return Err(fail(
                main_file,
                &format!("row {line}"),
                format!("field _index: {ix} is also another submission's"),
            ));
        }
    }
    for (file, name, t) in tables {
        let rh = &t.headers;
        let (Some(pt), Some(pi)) = (
            column(rh, "_parent_table_name"),
            column(rh, "_parent_index"),
        ) else {
            return Err(fail(
                file,
                "line 1",
                "a KoboToolbox repeat table has _parent_table_name and _parent_index columns",
            ));
        };
        let su = column(rh, "_submission__uuid");
        for (line, row) in &t.rows {
            let here = format!("row {line}");
            let parent_table = cell(row, Some(pt)).unwrap_or_default();
            if !names_sheet(&parent_table, main_section) {
                let nested = tables.iter().any(|(_, n, _)| names_sheet(&parent_table, n));
                return Err(fail(
                    file,
                    &here,
                    if nested {
                        format!(
                            "field _parent_table_name: {parent_table:?} is another repeat group \
                             (nested repeats are not read)"
                        )
                    } else {
                        format!(
                            "field _parent_table_name: {parent_table:?} is not the main table \
                             {main_section:?}"
                        )
                    },
                ));
            }
            let parent = cell(row, Some(pi)).unwrap_or_default();
            let Some((i, uuid)) = by_index.get(&parent) else {
                return Err(fail(
                    file,
                    &here,
                    format!(
                        "field _parent_index: no submission with _index {parent:?} in \
                         {main_file}"
                    ),
                ));
            };
            if let Some(theirs) = cell(row, su)
                && uuid.as_ref().is_some_and(|u| *u != theirs)
            {
                return Err(fail(
                    file,
                    &here,
                    format!(
                        "field _submission__uuid: {theirs} is not the _uuid of the submission \
                         with _index {parent} ({}): are the tables of one export?",
                        uuid.as_deref().unwrap_or_default()
                    ),
                ));
            }
            let at = format!("{file} {here}");
            let answers = kobo_answers(file, &here, rh, row)?;
            let sub = &mut subs[*i];
            sub.repeats
                .entry(name.clone())
                .or_default()
                .push(RepeatRow { at, answers });
        }
    }
    Ok(())
}

/// A KoboToolbox Excel export: the first sheet is the main table (the form's section), each
/// other sheet a repeat group's rows, named after the repeat.
fn read_kobo_xlsx(file: &str, bytes: &[u8]) -> Result<Vec<Submission>, GeoError> {
    let sheets = crate::xlsx::read_sheets(file, bytes)?;
    let mut tables = Vec::with_capacity(sheets.len());
    for sh in sheets {
        let mut rows = sh.rows.into_iter();
        let Some((_, header)) = rows.next() else {
            return Err(fail(
                &format!("{file}!{}", sh.name),
                "",
                "an empty sheet (no header row)",
            ));
        };
        let headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let rows: Vec<(u64, Vec<String>)> = rows
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .collect();
        tables.push((sh.name, Table { headers, rows }));
    }
    let mut tables = tables.into_iter();
    let Some((main_name, main)) = tables.next() else {
        return Err(fail(file, "", "a workbook without sheets"));
    };
    let main_file = format!("{file}!{main_name}");
    let h = &main.headers;
    if column(h, "_uuid").is_none() && column(h, "meta/instanceID").is_none() {
        return Err(fail(
            &main_file,
            "line 1",
            "not a KoboToolbox export sheet: it has no _uuid nor meta/instanceID column (export \
             with XML values and headers)",
        ));
    }
    let mut subs = read_kobo_csv(&main_file, &main)?;
    for s in &mut subs {
        // A sheet has rows, not lines: say which sheet and row.
        let row = s.at.strip_prefix("line ").unwrap_or(&s.at).to_string();
        s.at = format!("sheet {main_name:?} row {row}");
    }
    let mut repeats = Vec::new();
    for (name, t) in tables {
        if name.ends_with("...") || name.ends_with(')') && name.contains("... (") {
            return Err(fail(
                &format!("{file}!{name}"),
                "",
                "the sheet's name was cut to Excel's 31 characters, so the repeat group it holds \
                 cannot be named: use the JSON export",
            ));
        }
        repeats.push((format!("{file}!{name}"), name, t));
    }
    add_kobo_repeats(&main_file, &main_name, &main, &mut subs, &repeats)?;
    Ok(subs)
}

// ---------------------------------------------------------------------------------------------
// JSON

fn read_json(file: &str, text: &str) -> Result<(Flavour, Vec<Submission>), GeoError> {
    let v: Value = serde_json::from_str(text).map_err(|e| GeoError::Syntax {
        source_name: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let (flavour, items) = match &v {
        Value::Object(o) if o.get("value").is_some_and(Value::is_array) => {
            (Flavour::CentralJson, o.get("value"))
        }
        Value::Object(o) if o.get("results").is_some_and(Value::is_array) => {
            (Flavour::KoboJson, o.get("results"))
        }
        Value::Array(_) => (Flavour::KoboJson, Some(&v)),
        _ => {
            return Err(fail(
                file,
                "",
                "not a submissions export: ODK Central's OData has a \"value\" array, \
                 KoboToolbox's data API a \"results\" array",
            ));
        }
    };
    let items = items
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("submission #{i}");
        let Some(obj) = item.as_object() else {
            return Err(fail(file, &at, "not a JSON object"));
        };
        out.push(match flavour {
            Flavour::CentralJson => central_json(file, &at, obj)?,
            _ => kobo_json(file, &at, obj)?,
        });
    }
    Ok((flavour, out))
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A GeoJSON geometry (as ODK Central's OData gives geo answers) in ODK's string form.
fn geojson_as_odk(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    let pos = |p: &Value| -> Option<String> {
        let a = p.as_array()?;
        let lon = a.first()?.as_f64()?;
        let lat = a.get(1)?.as_f64()?;
        let alt = a.get(2).and_then(Value::as_f64).unwrap_or(0.0);
        Some(format!("{lat} {lon} {alt} 0"))
    };
    let list = |ps: &Value| -> Option<String> {
        let v: Option<Vec<String>> = ps.as_array()?.iter().map(pos).collect();
        Some(v?.join(";"))
    };
    let coords = o.get("coordinates")?;
    match o.get("type")?.as_str()? {
        "Point" => {
            let acc = o
                .get("properties")
                .and_then(|p| p.get("accuracy"))
                .and_then(Value::as_f64);
            let s = pos(coords)?;
            Some(match acc {
                Some(a) => format!("{} {a}", s.trim_end_matches(" 0")),
                None => s,
            })
        }
        "LineString" => list(coords),
        "Polygon" => list(coords.as_array()?.first()?),
        _ => None,
    }
}

/// Whether an answer is WKT (ODK Central's OData with `$wkt=true`).
fn is_wkt(t: &str) -> bool {
    let u = t.trim_start().to_ascii_uppercase();
    ["POINT", "LINESTRING", "POLYGON"].iter().any(|k| {
        u.strip_prefix(k)
            .is_some_and(|r| r.trim_start().starts_with(['(', 'Z']))
    })
}

/// A WKT point, line or polygon (lon lat) in ODK's string form (lat lon).
fn wkt_as_odk(t: &str) -> Option<String> {
    let pos = |c: &Coord| format!("{} {} 0 0", c.lat, c.lon);
    let list = |cs: &[Coord]| cs.iter().map(pos).collect::<Vec<_>>().join(";");
    // Central writes the altitude as a third ordinate without the Z tag: keep lon and lat.
    let mut flat = String::with_capacity(t.len());
    for (i, part) in t.split_inclusive(['(', ')', ',']).enumerate() {
        let (body, delim) = match part.char_indices().last() {
            Some((j, '(' | ')' | ',')) => (&part[..j], &part[j..]),
            _ => (part, ""),
        };
        let words: Vec<&str> = body.split_whitespace().collect();
        let numeric = !words.is_empty() && words.iter().all(|w| w.parse::<f64>().is_ok());
        if numeric && i > 0 {
            flat.push_str(&words[..words.len().min(2)].join(" "));
        } else {
            flat.push_str(body);
        }
        flat.push_str(delim);
    }
    match crate::wkt::parse_wkt(&flat).ok()? {
        Geometry::Point(c) => Some(pos(&c)),
        Geometry::LineString(cs) => Some(list(&cs)),
        Geometry::Polygon(p) if p.holes.is_empty() => Some(list(&p.exterior)),
        _ => None,
    }
}

/// Flattens a JSON object's answers: groups (objects) are walked into, arrays are repeats.
fn flatten(
    file: &str,
    at: &str,
    sep: char,
    obj: &serde_json::Map<String, Value>,
    skip: &dyn Fn(&str) -> bool,
    answers: &mut BTreeMap<String, String>,
    repeats: &mut BTreeMap<String, Vec<RepeatRow>>,
) -> Result<(), GeoError> {
    for (k, v) in obj {
        if skip(k) {
            continue;
        }
        if let Some(name) = k.strip_suffix("@odata.navigationLink") {
            if !obj.contains_key(name) {
                return Err(fail(
                    file,
                    at,
                    format!(
                        "field {name}: the repeat is only linked ({k}), not given: export with \
                         $expand=* so its rows come with the submission"
                    ),
                ));
            }
            continue;
        }
        let name = leaf(k, sep);
        match v {
            Value::Null => {}
            Value::Array(rows) => {
                let mut out = Vec::with_capacity(rows.len());
                for (j, r) in rows.iter().enumerate() {
                    let rat = format!("{at} {name}[{}]", j + 1);
                    let Some(ro) = r.as_object() else {
                        return Err(fail(file, &rat, "a repeat row is not a JSON object"));
                    };
                    let mut ra = BTreeMap::new();
                    let mut nested = BTreeMap::new();
                    flatten(file, &rat, sep, ro, skip, &mut ra, &mut nested)?;
                    if let Some(n) = nested.keys().next() {
                        return Err(fail(
                            file,
                            &rat,
                            format!("field {n}: nested repeats are not read"),
                        ));
                    }
                    out.push(RepeatRow {
                        at: rat,
                        answers: ra,
                    });
                }
                repeats.insert(name.to_string(), out);
            }
            Value::Object(o) if o.contains_key("coordinates") => {
                let s = geojson_as_odk(v).ok_or_else(|| {
                    fail(
                        file,
                        at,
                        format!("field {name}: not a GeoJSON point, line or polygon"),
                    )
                })?;
                insert_answer(file, at, answers, name, &s)?;
            }
            Value::Object(o) => flatten(file, at, sep, o, skip, answers, repeats)?,
            Value::String(t) if is_wkt(t) => {
                let s = wkt_as_odk(t).ok_or_else(|| {
                    fail(
                        file,
                        at,
                        format!("field {name}: {t:?} is not a WKT point, line or polygon"),
                    )
                })?;
                insert_answer(file, at, answers, name, &s)?;
            }
            other => {
                if let Some(s) = text_of(other) {
                    insert_answer(file, at, answers, name, &s)?;
                }
            }
        }
    }
    Ok(())
}

fn central_json(
    file: &str,
    at: &str,
    obj: &serde_json::Map<String, Value>,
) -> Result<Submission, GeoError> {
    let meta = obj.get("meta");
    let inst = meta
        .and_then(|m| m.get("instanceID"))
        .and_then(text_of)
        .or_else(|| obj.get("__id").and_then(text_of));
    let Some(instance_id) = inst else {
        return Err(fail(file, at, "field __id: no instance id"));
    };
    let sys = obj.get("__system");
    let mut answers = BTreeMap::new();
    let mut repeats = BTreeMap::new();
    let skip = |k: &str| k == "__id" || k == "__system" || k == "meta" || k.starts_with("@odata");
    flatten(file, at, '/', obj, &skip, &mut answers, &mut repeats)?;
    Ok(Submission {
        at: at.to_string(),
        root_id: obj
            .get("__id")
            .and_then(text_of)
            .unwrap_or_else(|| instance_id.clone()),
        instance_id,
        deprecated_id: meta.and_then(|m| m.get("deprecatedID")).and_then(text_of),
        submitted_at: sys.and_then(|s| s.get("submissionDate")).and_then(text_of),
        form_id: None,
        answers,
        repeats,
    })
}

fn kobo_json(
    file: &str,
    at: &str,
    obj: &serde_json::Map<String, Value>,
) -> Result<Submission, GeoError> {
    let inst = obj.get("meta/instanceID").and_then(text_of).or_else(|| {
        obj.get("_uuid")
            .and_then(text_of)
            .map(|u| format!("uuid:{u}"))
    });
    let Some(instance_id) = inst else {
        return Err(fail(
            file,
            at,
            "field meta/instanceID: no instance id (nor _uuid)",
        ));
    };
    let mut answers = BTreeMap::new();
    let mut repeats = BTreeMap::new();
    flatten(
        file,
        at,
        '/',
        obj,
        &|k: &str| kobo_system(k),
        &mut answers,
        &mut repeats,
    )?;
    Ok(Submission {
        at: at.to_string(),
        root_id: instance_id.clone(),
        instance_id,
        deprecated_id: obj.get("meta/deprecatedID").and_then(text_of),
        submitted_at: obj.get("_submission_time").and_then(text_of),
        form_id: obj.get("_xform_id_string").and_then(text_of),
        answers,
        repeats,
    })
}

// ---------------------------------------------------------------------------------------------
// Geometry strings

/// One ODK position, "lat lon [alt [accuracy]]" (latitude first). Returns the position and the
/// accuracy in metres when given.
pub fn parse_odk_position(s: &str) -> Result<(Coord, Option<f64>), String> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if !(2..=4).contains(&parts.len()) {
        return Err(format!(
            "{s:?} is not an ODK position \"latitude longitude altitude accuracy\""
        ));
    }
    let num = |i: usize, what: &str| -> Result<f64, String> {
        parts[i]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{s:?}: {what} {:?} is not a number", parts[i]))
    };
    let lat = num(0, "latitude")?;
    let lon = num(1, "longitude")?;
    if parts.len() > 2 {
        num(2, "altitude")?;
    }
    let acc = if parts.len() > 3 {
        Some(num(3, "accuracy")?)
    } else {
        None
    };
    if !(-90.0..=90.0).contains(&lat) {
        let hint = if (-90.0..=90.0).contains(&lon) {
            " (ODK writes latitude first: are latitude and longitude swapped?)"
        } else {
            ""
        };
        return Err(format!(
            "{s:?}: latitude {lat} is out of range -90..90{hint}"
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("{s:?}: longitude {lon} is out of range -180..180"));
    }
    Ok((Coord::new(lon, lat), acc))
}

/// The kind of an ODK geo question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoKind {
    /// `geopoint`: one position.
    Point,
    /// `geotrace`: a line of two or more positions.
    Trace,
    /// `geoshape`: a closed ring (the first position repeated at the end).
    Shape,
}

/// Parses a `geopoint`, `geotrace` or `geoshape` answer ("lat lon alt acc;lat lon alt acc;...").
/// A shape must be closed (ODK repeats the first vertex at the end) with at least three distinct
/// vertices; a trace needs two positions. Validity beyond that (self-intersections, areas) is
/// checked by the same rules as every import, by whoever imports the geometry.
pub fn parse_odk_geometry(kind: GeoKind, s: &str) -> Result<Geometry, String> {
    let mut coords = Vec::new();
    for (i, p) in s.split(';').enumerate() {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let (c, _) = parse_odk_position(p).map_err(|e| format!("vertex {}: {e}", i + 1))?;
        coords.push(c);
    }
    match kind {
        GeoKind::Point => match coords.as_slice() {
            [c] => Ok(Geometry::Point(*c)),
            _ => Err(format!(
                "a geopoint is one position, not {} ({s:?})",
                coords.len()
            )),
        },
        GeoKind::Trace => {
            if coords.len() < 2 {
                return Err(format!(
                    "a geotrace needs at least 2 positions, not {}",
                    coords.len()
                ));
            }
            Ok(Geometry::LineString(coords))
        }
        GeoKind::Shape => {
            if coords.len() < 4 {
                return Err(format!(
                    "a geoshape needs at least 3 vertices and the first repeated at the end, not \
                     {} positions",
                    coords.len()
                ));
            }
            if coords.first() != coords.last() {
                return Err(
                    "open geoshape: its last vertex is not its first (ODK closes a shape by \
                     repeating the first vertex; demine does not guess the closing edge)"
                        .into(),
                );
            }
            Ok(Geometry::Polygon(Polygon::new(coords)))
        }
    }
}

/// The accuracy (metres) of a geopoint answer, when it has one.
pub fn position_accuracy(s: &str) -> Option<f64> {
    parse_odk_position(s).ok().and_then(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> ExportFile {
        ExportFile {
            name: name.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn positions_are_latitude_first() {
        let (c, acc) = parse_odk_position("11.56 104.92 12 4.5").unwrap();
        assert_eq!((c.lon, c.lat, acc), (104.92, 11.56, Some(4.5)));
        let e = parse_odk_position("104.92 11.56 0 0").unwrap_err();
        assert!(e.contains("swapped"), "{e}");
        assert!(
            parse_odk_position("11.5 200 0 0")
                .unwrap_err()
                .contains("longitude")
        );
        assert!(parse_odk_position("11.5").is_err());
        assert!(parse_odk_position("a b").is_err());
    }

    #[test]
    fn shapes_must_be_closed_and_traces_long_enough() {
        let closed = "11.0 104.0 0 0;11.0 104.1 0 0;11.1 104.1 0 0;11.0 104.0 0 0";
        assert!(matches!(
            parse_odk_geometry(GeoKind::Shape, closed),
            Ok(Geometry::Polygon(_))
        ));
        let open = "11.0 104.0 0 0;11.0 104.1 0 0;11.1 104.1 0 0;11.1 104.0 0 0";
        let e = parse_odk_geometry(GeoKind::Shape, open).unwrap_err();
        assert!(e.contains("open geoshape"), "{e}");
        assert!(parse_odk_geometry(GeoKind::Trace, "11 104 0 0").is_err());
        let t = parse_odk_geometry(GeoKind::Trace, "11 104 0 0;11.1 104.1 0 0;").unwrap();
        assert!(matches!(t, Geometry::LineString(ref v) if v.len() == 2));
        let e = parse_odk_geometry(
            GeoKind::Shape,
            "11 104 0 0;95 104.1 0 0;11 104 0 0;11 104 0 0",
        )
        .unwrap_err();
        assert!(e.contains("vertex 2"), "{e}");
    }

    #[test]
    fn central_csv_joins_split_geopoints_and_reads_repeat_tables() {
        let main = "SubmissionDate,grp-name,grp-loc-Latitude,grp-loc-Longitude,grp-loc-Altitude,\
                    grp-loc-Accuracy,meta-instanceID,KEY\n\
                    2024-01-02T10:00:00Z,A,11.5,104.9,3,5,uuid:b,uuid:a\n";
        let rep = "dev_category,PARENT_KEY,KEY\nap-mine,uuid:a,uuid:a/device[1]\n";
        let (f, subs) =
            read_submissions(&[file("hazard.csv", main), file("hazard-device.csv", rep)]).unwrap();
        assert_eq!(f, Flavour::CentralCsv);
        let s = &subs[0];
        assert_eq!(
            (s.instance_id.as_str(), s.root_id.as_str()),
            ("uuid:b", "uuid:a")
        );
        assert_eq!(s.answers["name"], "A");
        assert_eq!(s.answers["loc"], "11.5 104.9 3 5");
        assert_eq!(s.repeats["device"][0].answers["dev_category"], "ap-mine");
        let orphan = "dev_category,PARENT_KEY,KEY\nap-mine,uuid:zz,uuid:zz/device[1]\n";
        let e = read_submissions(&[file("h.csv", main), file("h-device.csv", orphan)]).unwrap_err();
        assert!(e.to_string().contains("h-device.csv") && e.to_string().contains("PARENT_KEY"));
    }

    #[test]
    fn kobo_csv_takes_semicolons_and_needs_an_instance_id() {
        let t = "start;grp/name;meta/instanceID;_uuid;_id\n2024;B;uuid:k1;k1;7\n";
        let (f, subs) = read_submissions(&[file("k.csv", t)]).unwrap();
        assert_eq!(f, Flavour::KoboCsv);
        assert_eq!(subs[0].answers["name"], "B");
        assert!(!subs[0].answers.contains_key("_id"));
        // As kpi writes it: every field quoted, CRLF, a geopoint followed by its parts and a
        // select_multiple by one 0/1 column per option, none of them answers of their own.
        let t = "\"g/loc\";\"g/_loc_latitude\";\"g/_loc_longitude\";\"g/_loc_altitude\";\
                 \"g/_loc_precision\";\"use\";\"use/farm\";\"use/road\";\"_uuid\";\"_index\"\r\n\
                 \"11.5 104.9 3 5\";\"11.5\";\"104.9\";\"3\";\"5\";\"farm road\";\"1\";\"1\";\"k2\";\"1\"\r\n";
        let (_, subs) = read_submissions(&[file("k.csv", t)]).unwrap();
        assert_eq!(
            subs[0].answers.iter().collect::<Vec<_>>(),
            [
                (&"loc".to_string(), &"11.5 104.9 3 5".to_string()),
                (&"use".to_string(), &"farm road".to_string())
            ]
        );
        let t = "grp/name;meta/instanceID;_uuid\nB;;\n";
        let e = read_submissions(&[file("k.csv", t)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("k.csv") && e.contains("line 2") && e.contains("instance"),
            "{e}"
        );
    }

    #[test]
    fn json_flavours_flatten_groups_and_repeats() {
        let central = r#"{"value":[{"__id":"uuid:r","__system":{"submissionDate":"2024"},
            "meta":{"instanceID":"uuid:v2","deprecatedID":"uuid:r"},
            "grp":{"name":"C","loc":{"type":"Point","coordinates":[104.9,11.5,2],
              "properties":{"accuracy":4}}},
            "device@odata.navigationLink":"x","device":[{"dev_category":"cmr"}]}]}"#;
        let (f, subs) = read_submissions(&[file("c.json", central)]).unwrap();
        assert_eq!(f, Flavour::CentralJson);
        let s = &subs[0];
        assert_eq!(s.deprecated_id.as_deref(), Some("uuid:r"));
        assert_eq!(s.answers["loc"], "11.5 104.9 2 4");
        assert_eq!(s.repeats["device"][0].answers["dev_category"], "cmr");
        let wkt = r#"{"value":[{"__id":"uuid:w","grp":{"loc":"POINT (104.9 11.5 2)",
            "shape":"POLYGON ((104 11, 104.1 11, 104.1 11.1, 104 11))"}}]}"#;
        let (_, subs) = read_submissions(&[file("w.json", wkt)]).unwrap();
        assert_eq!(subs[0].answers["loc"], "11.5 104.9 0 0");
        let shape = parse_odk_geometry(GeoKind::Shape, &subs[0].answers["shape"]).unwrap();
        assert!(
            matches!(shape, Geometry::Polygon(ref p) if p.exterior[1] == Coord::new(104.1, 11.0))
        );
        let linked = r#"{"value":[{"__id":"uuid:r","device@odata.navigationLink":"x"}]}"#;
        let e = read_submissions(&[file("c.json", linked)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("$expand"), "{e}");
        let kobo = r#"{"count":1,"results":[{"_id":3,"_uuid":"k","grp/name":"D",
            "_geolocation":[11.5,104.9],"grp/device":[{"grp/device/dev_category":"ied"}]}]}"#;
        let (f, subs) = read_submissions(&[file("k.json", kobo)]).unwrap();
        assert_eq!(f, Flavour::KoboJson);
        assert_eq!(subs[0].instance_id, "uuid:k");
        assert_eq!(subs[0].repeats["device"][0].answers["dev_category"], "ied");
    }

    #[test]
    fn an_export_zip_gives_its_main_table_first() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("f-rep.csv", o).unwrap();
            z.write_all(b"q,PARENT_KEY,KEY\n1,uuid:a,uuid:a/rep[1]\n")
                .unwrap();
            z.start_file("media/x.jpg", o).unwrap();
            z.write_all(b"jpg").unwrap();
            z.start_file("f.csv", o).unwrap();
            z.write_all(b"name,meta-instanceID,KEY\nA,uuid:a,uuid:a\n")
                .unwrap();
            z.finish().unwrap();
        }
        let files = zip_tables("f.zip", buf.get_ref()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].name, "f.zip!f.csv");
        let (_, subs) = read_submissions(&files).unwrap();
        assert_eq!(subs[0].repeats["rep"][0].answers["q"], "1");
        assert!(zip_tables("f.zip", b"not a zip").is_err());
    }

    #[test]
    fn kobo_xlsx_joins_repeat_sheets_by_parent_index() {
        use crate::xlsx::tests::workbook;
        let main: &[&[&str]] = &[
            &[
                "start",
                "grp/loc",
                "grp/_loc_latitude",
                "grp/_loc_longitude",
                "grp/use",
                "grp/use/farm",
                "grp/use/road",
                "meta/instanceID",
                "_id",
                "_uuid",
                "_index",
            ],
            &[
                "2024",
                "11.5 104.9 3 5",
                "11.5",
                "104.9",
                "farm",
                "1",
                "0",
                "uuid:a1",
                "7",
                "a1",
                "1",
            ],
            &["2024", "", "", "", "", "", "", "uuid:b2", "8", "b2", "2"],
        ];
        let rep_head: &[&str] = &[
            "grp/device/dev_category",
            "grp/device/dev_count",
            "_index",
            "_parent_table_name",
            "_parent_index",
            "_submission__id",
            "_submission__uuid",
        ];
        let rep: &[&[&str]] = &[
            rep_head,
            &["ap-mine", "2", "1", "Hazard form", "1", "7", "a1"],
            &["uxo", "1", "2", "Hazard form", "2", "8", "b2"],
            &["cmr", "4", "3", "Hazard form", "1", "7", "a1"],
        ];
        let book = workbook(&[("Hazard form", main), ("device", rep)]);
        let (f, subs) = read_submissions(&[ExportFile {
            name: "h.xlsx".into(),
            bytes: book,
        }])
        .unwrap();
        assert_eq!(f, Flavour::KoboXlsx);
        assert_eq!(subs.len(), 2);
        let a = &subs[0];
        assert_eq!(a.instance_id, "uuid:a1");
        assert_eq!(a.answers["loc"], "11.5 104.9 3 5");
        assert_eq!(a.answers["use"], "farm");
        assert_eq!(
            a.answers.keys().cloned().collect::<Vec<_>>(),
            ["loc", "start", "use"]
        );
        let devs: Vec<&str> = a.repeats["device"]
            .iter()
            .map(|r| r.answers["dev_category"].as_str())
            .collect();
        assert_eq!(devs, ["ap-mine", "cmr"]);
        assert!(a.repeats["device"][1].at.contains("h.xlsx!device row 4"));
        assert_eq!(a.at, "sheet \"Hazard form\" row 2");
        assert_eq!(subs[1].repeats["device"][0].answers["dev_count"], "1");

        let read = |rows: &[&[&str]]| {
            let book = workbook(&[("Hazard form", main), ("device", rows)]);
            read_submissions(&[ExportFile {
                name: "h.xlsx".into(),
                bytes: book,
            }])
            .unwrap_err()
            .to_string()
        };
        let e = read(&[rep_head, &["uxo", "1", "1", "Hazard form", "9", "", ""]]);
        assert!(
            e.contains("h.xlsx!device") && e.contains("row 2") && e.contains("_parent_index"),
            "{e}"
        );
        let e = read(&[rep_head, &["uxo", "1", "1", "Hazard form", "1", "7", "b2"]]);
        assert!(e.contains("_submission__uuid"), "{e}");
        let e = read(&[rep_head, &["uxo", "1", "1", "device", "1", "7", "a1"]]);
        assert!(e.contains("nested repeats"), "{e}");
        let e = read(&[&["dev_category", "_index"], &["uxo", "1"]]);
        assert!(e.contains("_parent_index"), "{e}");
        // A repeat sheet without the main table's _index to join to.
        let no_index: &[&[&str]] = &[&["q", "_uuid"], &["x", "a1"]];
        let book = workbook(&[("f", no_index), ("device", rep)]);
        let e = read_submissions(&[ExportFile {
            name: "h.xlsx".into(),
            bytes: book,
        }])
        .unwrap_err()
        .to_string();
        assert!(e.contains("h.xlsx!f") && e.contains("_index"), "{e}");
        assert_eq!(kobo_sheet_name("a/b:c"), "a_b_c");
        assert_eq!(
            kobo_sheet_name("a_form_title_longer_than_thirty_one"),
            "a_form_title_longer_than_thi..."
        );
        assert!(names_sheet(
            "a_form_title_longer_than_thirty_one",
            "a_form_title_longer_than_thi..."
        ));
    }

    #[test]
    fn kobo_csv_has_no_repeat_tables() {
        let t = "grp/name;meta/instanceID;_uuid;_index\nB;uuid:k1;k1;1\n";
        let r = "q;_parent_table_name;_parent_index\nx;f;1\n";
        let e = read_submissions(&[file("k.csv", t), file("k-rep.csv", r)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("k-rep.csv") && e.contains("XLSX"), "{e}");
        let e = read_submissions(&[file("k-rep.csv", r)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("repeat table"), "{e}");
    }

    #[test]
    fn duplicate_instance_ids_are_refused() {
        let t = "x,meta/instanceID\n1,uuid:a\n2,uuid:a\n";
        let e = read_submissions(&[file("k.csv", t)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("uuid:a") && e.contains("line 3"), "{e}");
    }
}
