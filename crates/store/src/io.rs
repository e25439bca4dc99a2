//! Reading import files (CSV with or without an HXL hashtag row, or JSON) into checked batches, and
//! writing exports (CSV with HXL hashtags, or JSON). Pure: no database here; the store applies a
//! batch in one transaction.

use std::collections::HashMap;
use std::io::{Read, Write};

use demine_core::schema::{Column, Default, Kind, Table, Value, check_row, parse_field};

use crate::StoreError;
use crate::bundled::ImportKind;

/// Rows of one kind read from one file, every field already checked against its column type.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub kind: Kind,
    /// The file's name, as errors and default sources name it.
    pub file: String,
    pub rows: Vec<Row>,
}

/// One record and the line of the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub values: Vec<Value>,
}

/// Formats for export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

fn invalid(file: &str, line: u64, column: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        file: file.to_string(),
        line,
        column: column.to_string(),
        reason: reason.into(),
    }
}

/// Is this CSV row an HXL hashtag row: at least one non-empty cell, and every non-empty cell a
/// hashtag with its attributes (`#affected +killed +f`), as HXL 1.1's tagging conventions write
/// them? A cell like `#1 Main street` is text, so a row holding it is not a hashtag row.
fn is_hxl_row(rec: &csv::StringRecord) -> bool {
    let mut any = false;
    for cell in rec.iter().map(str::trim).filter(|c| !c.is_empty()) {
        if !is_hashtag_spec(cell) {
            return false;
        }
        any = true;
    }
    any
}

/// `#tag` then any number of `+attribute`, each a letter then letters, digits or underscores;
/// whitespace between the parts is allowed.
pub(crate) fn is_hashtag_spec(cell: &str) -> bool {
    let compact: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(rest) = compact.strip_prefix('#') else {
        return false;
    };
    let name_ok = |n: &str| {
        let mut cs = n.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic())
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut parts = rest.split('+');
    parts.next().is_some_and(name_ok) && parts.all(name_ok)
}

/// How many rows at the top of a file may come before the hashtag row (HXL allows up to 24 rows
/// of titles and header text above it).
const HXL_SEARCH_ROWS: usize = 25;

/// An HXL hashtag as its tag and attributes, in lower case (`#Org +Donor` is `#org` with
/// `donor`).
fn hxl_parts(t: &str) -> (String, std::collections::BTreeSet<String>) {
    let norm: String = t
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let mut it = norm.split('+');
    let tag = it.next().unwrap_or("").to_string();
    (
        tag,
        it.filter(|a| !a.is_empty()).map(str::to_string).collect(),
    )
}

/// For each column of `table`, the file column whose hashtag names it: the same tag, and every
/// attribute the table's hashtag has (a file may add attributes, in any order: `#org +name
/// +donor` is `#org+donor`). Of several table columns a file hashtag could be, the one with the
/// most attributes in common takes it. Two file columns with hashtags naming the same table
/// column are an error (which holds the value?).
fn hxl_positions(
    table: &demine_core::schema::Table,
    tags: &[String],
    file: &str,
    line: u64,
) -> Result<Vec<Option<usize>>, StoreError> {
    let wanted: Vec<_> = table.columns.iter().map(|c| hxl_parts(c.hxl)).collect();
    let mut out: Vec<Option<usize>> = vec![None; table.columns.len()];
    for (i, t) in tags.iter().enumerate() {
        if !t.trim().starts_with('#') {
            continue;
        }
        let (tag, attrs) = hxl_parts(t);
        let best = wanted
            .iter()
            .enumerate()
            .filter(|(_, (wt, wa))| *wt == tag && wa.is_subset(&attrs))
            .max_by_key(|(_, (_, wa))| wa.len())
            .map(|(k, _)| k);
        if let Some(k) = best {
            if let Some(first) = out[k] {
                return Err(invalid(
                    file,
                    line,
                    &format!("{} ({t})", i + 1),
                    format!(
                        "hashtag {t:?} names column {} as column {} does: which one holds the \
                         value?",
                        table.columns[k].name,
                        first + 1
                    ),
                ));
            }
            out[k] = Some(i);
        }
    }
    Ok(out)
}

fn column_label(headers: &[String], idx: Option<usize>, name: &str) -> String {
    match idx {
        Some(i) => format!(
            "{} ({})",
            i + 1,
            headers.get(i).map(String::as_str).unwrap_or(name)
        ),
        None => name.to_string(),
    }
}

/// Reads a file of the given kind. `file` is the name used in errors and as the default source.
/// JSON (an array of objects keyed by column name) is read when `file` ends in `.json`.
pub fn read_batch(kind: ImportKind, file: &str, input: impl Read) -> Result<Batch, StoreError> {
    if file.to_ascii_lowercase().ends_with(".json") {
        let ImportKind::Kind(kind) = kind else {
            return Err(StoreError::BadFile {
                file: file.into(),
                reason: "the States Parties table is read from CSV only".into(),
            });
        };
        return read_json(kind, file, input);
    }
    if let ImportKind::Kind(k) = kind {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        return read_kind(k, file, rdr);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(file, &e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(StoreError::BadFile {
            file: file.into(),
            reason: "no header row".into(),
        });
    }
    read_parties(file, &headers, &mut rdr)
}

fn csv_error(file: &str, e: &csv::Error) -> StoreError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => invalid(
            file,
            line,
            "-",
            format!("the row has {len} fields where the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => invalid(
            file,
            line,
            &format!("{}", err.field() + 1),
            "not valid UTF-8 text",
        ),
        _ => StoreError::BadFile {
            file: file.into(),
            reason: format!("not readable as CSV: {e}"),
        },
    }
}

/// Default file name for a row's source: the file's own name without directories, except for
/// bundled files, which keep their `data/...` path.
pub fn source_name(file: &str) -> String {
    if file.starts_with("data/") {
        return file.to_string();
    }
    std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string())
}

fn apply_default(col: &Column, raw: &str, file: &str) -> String {
    if !raw.trim().is_empty() {
        return raw.to_string();
    }
    match col.default {
        Default::None => String::new(),
        Default::Text(t) => t.to_string(),
        Default::FileName => source_name(file),
    }
}

/// Where the header text and the hashtags are in a file's first rows. HXL puts the hashtag row
/// below the header text, possibly under title rows, or carries hashtags with no header text at
/// all: the first hashtag row among the first [`HXL_SEARCH_ROWS`] rows is the one, the row right
/// above it (if any) its header text, and the rows above that are titles, not read. A file
/// without a hashtag row there has its header text on the first row.
struct Layout {
    /// Lower-cased header text per file column (empty where a column has none).
    headers: Vec<String>,
    /// The hashtag row, when the file has one.
    tags: Option<Vec<String>>,
    /// The line the hashtag row is on (for errors about it).
    tags_line: u64,
    /// The line the header text is on.
    header_line: u64,
    /// How many rows of the preamble are the header, hashtags and titles (data starts after).
    skip: usize,
}

fn header_cells(rec: &csv::StringRecord) -> Vec<String> {
    rec.iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect()
}

fn layout(preamble: &[csv::StringRecord]) -> Option<Layout> {
    let line = |r: &csv::StringRecord| r.position().map(|p| p.line()).unwrap_or(0);
    match preamble.iter().position(is_hxl_row) {
        Some(t) => {
            let tags: Vec<String> = preamble[t]
                .iter()
                .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
                .collect();
            // The row above is header text when it is as wide as the hashtag row; a title row
            // (narrower or wider) is not. Where a column has no header text, its hashtag is all
            // the header it has (a file may carry hashtags only).
            let above = t
                .checked_sub(1)
                .map(|h| &preamble[h])
                .filter(|h| h.len() == tags.len());
            let text = above.map(header_cells).unwrap_or_default();
            let headers = tags
                .iter()
                .enumerate()
                .map(|(i, tag)| match text.get(i) {
                    Some(h) if !h.is_empty() => h.clone(),
                    _ => tag.to_lowercase(),
                })
                .collect();
            let header_line = above.map_or_else(|| line(&preamble[t]), line);
            Some(Layout {
                headers,
                tags_line: line(&preamble[t]),
                tags: Some(tags),
                header_line,
                skip: t + 1,
            })
        }
        None => preamble.first().map(|h| Layout {
            headers: header_cells(h),
            tags: None,
            tags_line: 0,
            header_line: line(h),
            skip: 1,
        }),
    }
}

fn read_kind<R: Read>(
    kind: Kind,
    file: &str,
    mut rdr: csv::Reader<R>,
) -> Result<Batch, StoreError> {
    let table = kind.table();
    let mut records = rdr.records();
    let mut preamble = Vec::new();
    for rec in records.by_ref().take(HXL_SEARCH_ROWS) {
        preamble.push(rec.map_err(|e| csv_error(file, &e))?);
    }
    let Some(Layout {
        headers,
        tags,
        tags_line,
        header_line,
        skip,
    }) = layout(&preamble)
    else {
        return Err(StoreError::BadFile {
            file: file.into(),
            reason: "no header row".into(),
        });
    };
    if headers.iter().all(String::is_empty) && tags.is_none() {
        return Err(StoreError::BadFile {
            file: file.into(),
            reason: "no header row".into(),
        });
    }
    let width = headers.len();
    // Where each of the table's columns is in the file: by hashtag first, header text second.
    let by_tag = match &tags {
        Some(t) => hxl_positions(table, t, file, tags_line)?,
        None => vec![None; table.columns.len()],
    };
    let mut positions: Vec<Option<usize>> = Vec::with_capacity(table.columns.len());
    for (c, t) in table.columns.iter().zip(&by_tag) {
        positions.push(t.or_else(|| {
            headers
                .iter()
                .enumerate()
                .position(|(i, h)| h == c.name && !by_tag.contains(&Some(i)))
        }));
    }
    for (i, h) in headers.iter().enumerate() {
        let matched = positions.contains(&Some(i));
        // A column whose header text names a column that a hashtag gave to another file column:
        // two candidates for one value, so neither is taken on trust.
        if !matched
            && let Some(k) = table.index(h)
            && let Some(other) = by_tag[k]
            && other != i
        {
            return Err(invalid(
                file,
                header_line,
                &format!("{} ({h})", i + 1),
                format!(
                    "column {} is headed {h:?} but column {} holds {h} by its hashtag {:?}: \
                     which one holds the value?",
                    i + 1,
                    other + 1,
                    tags.as_ref()
                        .and_then(|t| t.get(other))
                        .map(String::as_str)
                        .unwrap_or("")
                ),
            ));
        }
        if !matched && let Some(first) = headers[..i].iter().position(|x| x == h) {
            return Err(invalid(
                file,
                header_line,
                &format!("{} ({h})", i + 1),
                format!(
                    "column {h:?} appears twice (columns {} and {}): which one holds the value?",
                    first + 1,
                    i + 1
                ),
            ));
        }
        if !matched && table.index(h).is_none() {
            let known: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            let tag = tags
                .as_ref()
                .and_then(|t| t.get(i))
                .map(|t| format!(" (hashtag {t:?})"))
                .unwrap_or_default();
            return Err(invalid(
                file,
                header_line,
                &format!("{} ({h})", i + 1),
                format!(
                    "unknown column {h:?}{tag} for {kind}; its columns are {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for (c, p) in table.columns.iter().zip(&positions) {
        if p.is_none() && c.required && c.default == Default::None {
            return Err(invalid(
                file,
                header_line,
                c.name,
                format!("required column {} is missing", c.name),
            ));
        }
    }
    let mut rows = Vec::new();
    let data = preamble
        .into_iter()
        .skip(skip)
        .map(Ok)
        .chain(records.map(|r| r.map_err(|e| csv_error(file, &e))));
    for rec in data {
        let rec = rec?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() != width {
            return Err(invalid(
                file,
                line,
                "-",
                format!(
                    "the row has {} fields where the header has {width}",
                    rec.len()
                ),
            ));
        }
        let mut values = Vec::with_capacity(table.columns.len());
        for (c, p) in table.columns.iter().zip(&positions) {
            let raw = p.and_then(|i| rec.get(i)).unwrap_or("");
            let raw = apply_default(c, raw, file);
            let v = parse_field(c, &raw).map_err(|r| {
                invalid(
                    file,
                    line,
                    &column_label(&headers, *p, c.name),
                    shown_reason(kind, c, r),
                )
            })?;
            values.push(v);
        }
        check_row(kind, &values).map_err(|(name, r)| {
            let p = positions
                .get(table.index(name).unwrap_or(0))
                .copied()
                .flatten();
            invalid(file, line, &column_label(&headers, p, name), r)
        })?;
        rows.push(Row { line, values });
    }
    Ok(Batch {
        kind,
        file: file.to_string(),
        rows,
    })
}

/// Reads a JSON array of objects as a stream: one record at a time is parsed into a JSON value,
/// checked and turned into a row, so memory holds the rows, not the file's text and a tree of it
/// (a 200 MB file took 2.9 GB that way). `line` in errors is the record's position in the array,
/// from 1.
fn read_json(kind: Kind, file: &str, input: impl Read) -> Result<Batch, StoreError> {
    use serde::de::DeserializeSeed;
    use std::io::BufRead;
    let mut input = std::io::BufReader::new(input);
    // A byte order mark (written by some Windows tools) is not part of the JSON.
    if input
        .fill_buf()
        .map(|b| b.starts_with(b"\xEF\xBB\xBF"))
        .unwrap_or(false)
    {
        input.consume(3);
    }
    let mut de = serde_json::Deserializer::from_reader(input);
    let mut rows = Vec::new();
    let mut fault = None;
    let seed = JsonRows {
        kind,
        file,
        rows: &mut rows,
        fault: &mut fault,
    };
    let parsed = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Some(f) = fault {
        return Err(f);
    }
    parsed.map_err(|e| {
        if e.is_io() {
            StoreError::BadFile {
                file: file.into(),
                reason: format!("not readable: {e}"),
            }
        } else if e.is_data() {
            StoreError::BadFile {
                file: file.into(),
                reason: format!("expected a JSON array of objects: {e}"),
            }
        } else {
            StoreError::Invalid {
                file: file.into(),
                line: e.line() as u64,
                column: e.column().to_string(),
                reason: format!("malformed JSON: {e}"),
            }
        }
    })?;
    Ok(Batch {
        kind,
        file: file.to_string(),
        rows,
    })
}

/// The visitor behind [`read_json`]: the array's elements, one at a time.
struct JsonRows<'a> {
    kind: Kind,
    file: &'a str,
    rows: &'a mut Vec<Row>,
    /// The first bad record, when one stopped the stream.
    fault: &'a mut Option<StoreError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for JsonRows<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for JsonRows<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n: u64 = 0;
        while let Some(item) = seq.next_element::<Record>()? {
            n += 1;
            let item = match item {
                Record::Object(o) => serde_json::Value::Object(o),
                Record::Other(v) => v,
                Record::Duplicate(k) => {
                    *self.fault = Some(invalid(
                        self.file,
                        n,
                        &k,
                        format!(
                            "field {k:?} appears twice in the record: which one holds the value?"
                        ),
                    ));
                    return Err(serde::de::Error::custom("stopped at a bad record"));
                }
            };
            match json_row(self.kind, self.file, n, item) {
                Ok(row) => self.rows.push(row),
                Err(e) => {
                    *self.fault = Some(e);
                    return Err(serde::de::Error::custom("stopped at a bad record"));
                }
            }
        }
        Ok(())
    }
}

/// One element of the array: an object (whose keys must each appear once), a duplicated key, or
/// anything else (refused by [`json_row`]).
enum Record {
    Object(serde_json::Map<String, serde_json::Value>),
    Duplicate(String),
    Other(serde_json::Value),
}

impl<'de> serde::Deserialize<'de> for Record {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Record, D::Error> {
        d.deserialize_any(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> serde::de::Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut obj = serde_json::Map::new();
        let mut dup = None;
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            if obj.contains_key(&k) && dup.is_none() {
                dup = Some(k.clone());
            }
            obj.insert(k, v);
        }
        Ok(match dup {
            Some(k) => Record::Duplicate(k),
            None => Record::Object(obj),
        })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Record, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            items.push(v);
        }
        Ok(Record::Other(serde_json::Value::Array(items)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Record, E> {
        Ok(Record::Other(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Record, E> {
        Ok(Record::Other(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Record, E> {
        Ok(Record::Other(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Record, E> {
        Ok(Record::Other(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Record, E> {
        Ok(Record::Other(v.into()))
    }
    fn visit_unit<E>(self) -> Result<Record, E> {
        Ok(Record::Other(serde_json::Value::Null))
    }
}

/// One record of a JSON import, checked.
fn json_row(kind: Kind, file: &str, line: u64, item: serde_json::Value) -> Result<Row, StoreError> {
    let table = kind.table();
    let serde_json::Value::Object(mut obj) = item else {
        return Err(invalid(file, line, "-", "record is not a JSON object"));
    };
    for k in obj.keys() {
        if table.index(k).is_none() {
            return Err(invalid(
                file,
                line,
                k,
                format!("unknown field {k:?} for {kind}"),
            ));
        }
    }
    for c in table.columns {
        let empty = matches!(obj.get(c.name), None | Some(serde_json::Value::Null));
        if empty {
            let d = apply_default(c, "", file);
            if !d.is_empty() {
                obj.insert(c.name.to_string(), serde_json::Value::String(d));
            }
        }
    }
    let values = table.from_json(&obj).map_err(|(i, r)| {
        let c = &table.columns[i];
        invalid(file, line, c.name, shown_reason(kind, c, r))
    })?;
    Ok(Row { line, values })
}

/// A field's fault as a message may show it: for a restricted kind, without the value.
fn shown_reason(kind: Kind, c: &Column, reason: String) -> String {
    // Only reasons that cannot hold the value are shown as they are.
    let safe = reason.ends_with("is required but empty") || reason.contains("characters (");
    if crate::access::is_restricted(kind) && !safe {
        crate::access::withheld_reason(c.name, &c.ty.describe())
    } else {
        reason
    }
}

/// The States Parties table (`state,iso3,signed,deposited,instrument,succession_date,
/// withdrawal_deposited,notes`) becomes signature, deposit and withdrawal events. A `source:` in
/// the notes is the events' source; the rest of the notes is their note.
fn read_parties<R: Read>(
    file: &str,
    headers: &[String],
    rdr: &mut csv::Reader<R>,
) -> Result<Batch, StoreError> {
    const COLS: [&str; 8] = [
        "state",
        "iso3",
        "signed",
        "deposited",
        "instrument",
        "succession_date",
        "withdrawal_deposited",
        "notes",
    ];
    let pos: HashMap<&str, usize> = COLS
        .iter()
        .filter_map(|c| headers.iter().position(|h| h == c).map(|i| (*c, i)))
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if !COLS.contains(&h.as_str()) {
            return Err(invalid(
                file,
                1,
                &format!("{} ({h})", i + 1),
                format!(
                    "unknown column {h:?} for parties; its columns are {}",
                    COLS.join(", ")
                ),
            ));
        }
    }
    for c in ["iso3", "signed", "deposited", "instrument"] {
        if !pos.contains_key(c) {
            return Err(invalid(
                file,
                1,
                c,
                format!("required column {c} is missing"),
            ));
        }
    }
    let table = Kind::Events.table();
    let mut rows = Vec::new();
    let mut first = true;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if first && is_hxl_row(&rec) {
            first = false;
            continue;
        }
        first = false;
        let get = |c: &str| pos.get(c).and_then(|i| rec.get(*i)).unwrap_or("").trim();
        let notes = get("notes");
        let (note, source) = match notes.find("source:") {
            Some(i) => (
                notes[..i].trim().trim_end_matches(';').trim(),
                notes[i + "source:".len()..].trim(),
            ),
            None => (notes, ""),
        };
        let source = if source.is_empty() {
            source_name(file)
        } else {
            source.to_string()
        };
        let mut events: Vec<[(&str, String, &str); 4]> = Vec::new();
        if !get("signed").is_empty() {
            events.push([
                ("event", "signature".into(), "signed"),
                ("date", get("signed").into(), "signed"),
                ("instrument", String::new(), "instrument"),
                ("succession_date", String::new(), "succession_date"),
            ]);
        }
        if !get("deposited").is_empty() || !get("instrument").is_empty() {
            events.push([
                ("event", "deposit".into(), "deposited"),
                ("date", get("deposited").into(), "deposited"),
                ("instrument", get("instrument").into(), "instrument"),
                (
                    "succession_date",
                    get("succession_date").into(),
                    "succession_date",
                ),
            ]);
        } else if !get("succession_date").is_empty() {
            return Err(invalid(
                file,
                line,
                &column_label(
                    headers,
                    pos.get("succession_date").copied(),
                    "succession_date",
                ),
                "a succession date without a deposit",
            ));
        }
        if !get("withdrawal_deposited").is_empty() {
            events.push([
                ("event", "withdrawal".into(), "withdrawal_deposited"),
                (
                    "date",
                    get("withdrawal_deposited").into(),
                    "withdrawal_deposited",
                ),
                ("instrument", String::new(), "instrument"),
                ("succession_date", String::new(), "succession_date"),
            ]);
        }
        for ev in events {
            let mut values = Vec::with_capacity(table.columns.len());
            for c in table.columns {
                let (raw, src_col) = match c.name {
                    "iso3" => (get("iso3").to_string(), "iso3"),
                    "source" => (source.clone(), "notes"),
                    "note" => (note.to_string(), "notes"),
                    name => ev
                        .iter()
                        .find(|(n, _, _)| *n == name)
                        .map(|(_, v, s)| (v.clone(), *s))
                        .unwrap_or((String::new(), name)),
                };
                let v = parse_field(c, &raw).map_err(|r| {
                    let r = r.replacen(c.name, src_col, 1);
                    invalid(
                        file,
                        line,
                        &column_label(headers, pos.get(src_col).copied(), src_col),
                        r,
                    )
                })?;
                values.push(v);
            }
            check_row(Kind::Events, &values).map_err(|(name, r)| {
                invalid(
                    file,
                    line,
                    &column_label(headers, pos.get(name).copied(), name),
                    r,
                )
            })?;
            rows.push(Row { line, values });
        }
    }
    Ok(Batch {
        kind: Kind::Events,
        file: file.to_string(),
        rows,
    })
}

/// Writes records of a kind as CSV (a header row, then the HXL hashtag row unless `hxl` is
/// false) or as a JSON array of objects.
pub fn write_records(
    table: &Table,
    records: &[Vec<Value>],
    format: Format,
    hxl: bool,
    out: &mut dyn Write,
) -> Result<(), std::io::Error> {
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(out);
            w.write_record(table.columns.iter().map(|c| c.name))?;
            if hxl {
                w.write_record(table.columns.iter().map(|c| c.hxl))?;
            }
            for r in records {
                w.write_record(r.iter().map(Value::to_text))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let arr: Vec<serde_json::Value> = records
                .iter()
                .map(|r| serde_json::Value::Object(table.to_json(r)))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &arr)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: &str, text: &str) -> Result<Batch, StoreError> {
        read_batch(kind.parse().unwrap(), "t.csv", text.as_bytes())
    }

    #[test]
    fn hxl_row_is_optional() {
        let plain = read("states", "iso3,name,un_member\nAFG,Afghanistan,yes\n").unwrap();
        let tagged = read(
            "states",
            "iso3,name,un_member\n#country+code,#country+name,#x\nAFG,Afghanistan,yes\n",
        )
        .unwrap();
        assert_eq!(plain.rows[0].values, tagged.rows[0].values);
        assert_eq!(tagged.rows[0].line, 3);
        // defaults: treaty_universe yes, source = the file name
        assert_eq!(plain.rows[0].values[3], Value::Bool(true));
        assert_eq!(plain.rows[0].values[4], Value::Text("t.csv".into()));
    }

    #[test]
    fn hashtags_first_header_text_second() {
        let plain = read(
            "funding",
            "donor,recipient,recipient_iso3,year,amount,currency,purpose,source,note\n\
             D,R,KHM,2024,100,USD,clearance,s1,n\n",
        )
        .unwrap();
        // Hashtags only (as HXL tools write), attributes in another order and case.
        let tags_only = read(
            "funding",
            "#org+donor,#org +recipient,#country+code,#date+year,#value,#currency,\
             #sector+purpose,#meta+source,#description+notes\n\
             D,R,KHM,2024,100,USD,clearance,s1,n\n",
        )
        .unwrap();
        assert_eq!(plain.rows[0].values, tags_only.rows[0].values);
        // Other header wording, columns in another order: the hashtag row decides.
        let worded = read(
            "funding",
            "Amount,Donor organisation,Recipient,Country,Year,Currency,Purpose,Source,Notes\n\
             #value,#org+name+donor,#org+recipient,#country+code,#date+year,#currency,\
             #sector+purpose,#meta+source,#description+notes\n\
             100,D,R,KHM,2024,USD,clearance,s1,n\n",
        )
        .unwrap();
        assert_eq!(plain.rows[0].values, worded.rows[0].values);
        // Two columns with the same hashtag: which holds the value?
        let e = read(
            "funding",
            "a,b,c,d,e,f,g,h\n#org+donor,#org+donor,#country+code,#date+year,#value,#currency,\
             #meta+source,#org+recipient\nD,E,KHM,2024,100,USD,s1,R\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("names column donor"), "{e}");
    }

    const CAS_PLAIN: &str = "id,date,iso3,admin_area,device_category,killed,injured,group,\
                             age_group,sex,source\n\
                             C1,2020-01-02,AFG,Helmand,ap-mine,1,2,civilian,child,female,s\n";

    #[test]
    fn hashtag_row_is_found_below_titles_and_header_text() {
        let plain = read("casualties", CAS_PLAIN).unwrap();
        // Two title rows (shorter than the table, as spreadsheets save them), header text in
        // other words, then the hashtags; columns in another order; attributes added (+f, +children)
        // and in another order; the header text of an untagged column still matches.
        let hxl = "Casualty incidents 2020\n\
                   Compiled by the mine action centre,,\n\
                   Injured,Killed,Incident,When,Country,Province,Device,Group,Age,Sex,source\n\
                   #affected +injured +f +children,#affected+children+f+killed,#event+id,#date,\
                   #country+code,#adm1+name,#item+device,#category+group,#category+age,\
                   #category+sex,\n\
                   2,1,C1,2020-01-02,AFG,Helmand,ap-mine,civilian,child,female,s\n";
        let b = read("casualties", hxl).unwrap();
        assert_eq!(b.rows[0].values, plain.rows[0].values);
        assert_eq!(b.rows[0].line, 5);
        // Hashtags only, under a title row.
        let tags_only = "Casualties\n\
                         #event+id,#date,#country+code,#adm1+name,#item+device,#affected+killed,\
                         #affected+injured,#category+group,#category+age,#category+sex,#meta+source\n\
                         C1,2020-01-02,AFG,Helmand,ap-mine,1,2,civilian,child,female,s\n";
        let b = read("casualties", tags_only).unwrap();
        assert_eq!(b.rows[0].values, plain.rows[0].values);
        // A file of an older export, tagged #affected+type: header text takes those columns.
        let old = "id,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n\
                   #event+id,#date,#country+code,#adm1+name,#item+device,#affected+killed,\
                   #affected+injured,#affected+type,#affected+age,#affected+sex,#meta+source\n\
                   C1,2020-01-02,AFG,Helmand,ap-mine,1,2,civilian,child,female,s\n";
        assert_eq!(
            read("casualties", old).unwrap().rows[0].values,
            plain.rows[0].values
        );
        // A cell that merely starts with # is data, not a hashtag row.
        let b = read(
            "casualties",
            "id,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n\
             #1 north,2020-01-02,AFG,#2 road,ap-mine,1,2,civilian,child,female,s\n",
        )
        .unwrap();
        assert_eq!(b.rows[0].values[0], Value::Text("#1 north".into()));
    }

    #[test]
    fn disaggregated_or_doubly_named_columns_are_refused() {
        // Killed women and killed men: two columns for one value, and demine does not add them up.
        let e = read(
            "casualties",
            "a,b,c,d,e,f,g,h,i,j,k,l\n\
             #event+id,#date,#country+code,#adm1+name,#item+device,#affected+killed+f,\
             #affected+killed+m,#affected+injured,#category+group,#category+age,#category+sex,\
             #meta+source\n\
             C1,2020-01-02,AFG,H,ap-mine,1,1,2,civilian,child,female,s\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t.csv:2") && e.contains("names column killed"),
            "{e}"
        );
        // Header text "killed" on one column, the killed hashtag on another.
        let e = read(
            "casualties",
            "killed,id,date,iso3,admin_area,device_category,x,injured,group,age_group,sex,source\n\
             ,#event+id,#date,#country+code,#adm1+name,#item+device,#affected+killed,\
             #affected+injured,,,,\n\
             3,C1,2020-01-02,AFG,H,ap-mine,1,2,civilian,child,female,s\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("column 1 is headed \"killed\" but column 7 holds killed"),
            "{e}"
        );
        // A data row shorter than the hashtag row is refused with its line.
        let e = read(
            "casualties",
            "Title\nid,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n\
             #event+id,#date,#country+code,,,,,,,,\n\
             C1,2020-01-02,AFG,Helmand,ap-mine,1,2,civilian,child,female\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t.csv:4") && e.contains("10 fields where the header has 11"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = read(
            "events",
            "iso3,event,date\nAFG,signature,1997-12-03\nAFG,signature,1997-13-01\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("t.csv:3: column 3 (date)"), "{e}");
        let e = read("states", "iso3,name\nAFG,Afghanistan\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("required column un_member is missing"), "{e}");
        let e = read("states", "iso3,name,un_member,colour\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown column \"colour\""), "{e}");
        let e = read("states", "iso3,name,un_member\nAFG,Afghanistan\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.csv:2") && e.contains("2 fields where the header has 3"),
            "{e}"
        );
    }

    #[test]
    fn ambiguous_files_are_refused() {
        let e = read(
            "funding",
            "donor,recipient,year,amount,amount,currency,purpose\nA,B,1999,1,2,USD,p\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("appears twice"), "{e}");
        let json = |t: &str| read_batch("funding".parse().unwrap(), "f.json", t.as_bytes());
        let e = json(r#"[{"donor":"A","recipient":"B","year":1999,"amount":-1,"amount":1,"currency":"USD","purpose":"p"}]"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("f.json:1: column amount") && e.contains("twice"),
            "{e}"
        );
        let ok = json("\u{feff}[{\"donor\":\"A\",\"recipient\":\"B\",\"year\":1999,\"amount\":1,\"currency\":\"USD\",\"purpose\":\"p\"}]")
            .unwrap();
        assert_eq!(ok.rows.len(), 1);
    }

    #[test]
    fn parties_become_events_with_sources() {
        let b = read(
            "parties",
            "state,iso3,signed,deposited,instrument,succession_date,withdrawal_deposited,notes\n\
             Poland,POL,1997-12-04,2012-12-27,ratification,,2025-08-20,inferred; source: UNTC\n",
        )
        .unwrap();
        assert_eq!(b.kind, Kind::Events);
        assert_eq!(b.rows.len(), 3);
        let t = Kind::Events.table();
        let j = t.to_json(&b.rows[2].values);
        assert_eq!(j["event"], "withdrawal");
        assert_eq!(j["source"], "UNTC");
        assert_eq!(j["note"], "inferred");
        let e = read(
            "parties",
            "state,iso3,signed,deposited,instrument\nX,POL,,2012-12-27,ratified\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("column 5 (instrument)") && e.contains("ratified"),
            "{e}"
        );
    }

    #[test]
    fn csv_export_reads_back() {
        let b = read(
            "estimates",
            "subject,measure,low,high,unit,as_of,source\nWorld,m,1.5,2,mines,1997,s\n",
        )
        .unwrap();
        let recs: Vec<_> = b.rows.iter().map(|r| r.values.clone()).collect();
        for (fmt, name) in [(Format::Csv, "x.csv"), (Format::Json, "x.json")] {
            let mut out = Vec::new();
            write_records(Kind::Estimates.table(), &recs, fmt, true, &mut out).unwrap();
            let back = read_batch("estimates".parse().unwrap(), name, out.as_slice()).unwrap();
            assert_eq!(back.rows[0].values, recs[0]);
        }
    }
}
