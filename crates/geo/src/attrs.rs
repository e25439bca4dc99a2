//! Attributes as flat, typed fields (what KML `SchemaData`, GPX extensions, CSV with `.csvt` and
//! GeoPackage columns carry), and the readings of attribute values as GIS tools write them: lists
//! as JSON text, as GDAL's string-list syntax `(2:a,b)` or comma-separated; dates as date-times;
//! numbers as strings.

use serde_json::{Map, Value};

/// The type of a flat field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A whole number (64-bit).
    Integer,
    /// A floating-point number.
    Real,
    /// Text (lists and objects are written as JSON text).
    Text,
}

impl FieldType {
    /// The name GDAL's `.csvt` uses for it.
    pub fn csvt(self) -> &'static str {
        match self {
            FieldType::Integer => "Integer64",
            FieldType::Real => "Real",
            FieldType::Text => "String",
        }
    }

    /// The name KML's `SimpleField` uses for it.
    pub fn kml(self) -> &'static str {
        match self {
            FieldType::Integer => "int",
            FieldType::Real => "double",
            FieldType::Text => "string",
        }
    }

    /// The SQLite/GeoPackage column type.
    pub fn sql(self) -> &'static str {
        match self {
            FieldType::Integer => "INTEGER",
            FieldType::Real => "REAL",
            FieldType::Text => "TEXT",
        }
    }
}

fn type_of(v: &Value) -> Option<FieldType> {
    match v {
        Value::Null => None,
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(FieldType::Integer),
        Value::Number(_) => Some(FieldType::Real),
        _ => Some(FieldType::Text),
    }
}

fn widen(a: FieldType, b: FieldType) -> FieldType {
    use FieldType::*;
    match (a, b) {
        (x, y) if x == y => x,
        (Integer, Real) | (Real, Integer) => Real,
        _ => Text,
    }
}

/// The fields of a set of property maps: every key in first-seen order, typed by all its non-null
/// values (whole numbers are Integer, numbers Real, anything else Text). A key that is null
/// everywhere is Text.
pub fn schema<'a>(
    maps: impl IntoIterator<Item = &'a Map<String, Value>>,
) -> Vec<(String, FieldType)> {
    let mut out: Vec<(String, Option<FieldType>)> = Vec::new();
    let mut pos: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for m in maps {
        for (k, v) in m {
            let i = *pos.entry(k.clone()).or_insert_with(|| {
                out.push((k.clone(), None));
                out.len() - 1
            });
            if let Some(t) = type_of(v) {
                out[i].1 = Some(match out[i].1 {
                    None => t,
                    Some(old) => widen(old, t),
                });
            }
        }
    }
    out.into_iter()
        .map(|(k, t)| (k, t.unwrap_or(FieldType::Text)))
        .collect()
}

/// A value as the text of a flat field (None for null): numbers and text as they are, true/false,
/// lists and objects as compact JSON.
pub fn flat_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// A flat field's text as a JSON value of its type (what a reader puts in
/// [`crate::Properties::attributes`]): numbers for Integer and Real fields that parse, else text.
pub fn typed_value(text: &str, t: FieldType) -> Value {
    match t {
        FieldType::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        FieldType::Real => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_string())),
        FieldType::Text => Value::String(text.to_string()),
    }
}

/// A list of texts from a value: a JSON list, or text holding a JSON list, GDAL's string-list
/// syntax `(n:a,b,...)` (the count must match), or items separated by commas or semicolons.
pub fn list_items(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(xs) => xs
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.trim().to_string()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("list item {other} is not text or a number")),
            })
            .collect(),
        Value::String(s) => text_items(s),
        Value::Number(n) => Ok(vec![n.to_string()]),
        other => Err(format!("{other} is not a list")),
    }
}

fn text_items(s: &str) -> Result<Vec<String>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    if t.starts_with('[') {
        let v: Value =
            serde_json::from_str(t).map_err(|e| format!("{t:?} is not a JSON list: {e}"))?;
        return list_items(&v);
    }
    if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        // GDAL's string/real list: (count:item,item,...)
        let (n, rest) = inner
            .split_once(':')
            .ok_or_else(|| format!("{t:?} is not a GDAL list (n:a,b,...)"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("{t:?}: the count {n:?} of a GDAL list is not a number"))?;
        let items: Vec<String> = if rest.trim().is_empty() {
            Vec::new()
        } else {
            rest.split(',').map(|x| x.trim().to_string()).collect()
        };
        if items.len() != n {
            return Err(format!(
                "{t:?}: a GDAL list that says {n} item(s) but holds {}",
                items.len()
            ));
        }
        return Ok(items);
    }
    Ok(t.split([',', ';'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect())
}

/// A pair of numbers (e.g. a benchmark's [lon, lat]) from a JSON list or text in any of the list
/// forms [`list_items`] reads.
pub fn number_pair(v: &Value) -> Result<[f64; 2], String> {
    let items = list_items(v)?;
    let nums: Vec<f64> = items
        .iter()
        .map(|x| x.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{v} is not two numbers"))?;
    match nums[..] {
        [a, b] if a.is_finite() && b.is_finite() => Ok([a, b]),
        _ => Err(format!("{v} is not two numbers")),
    }
}

/// A calendar date from `YYYY-MM-DD`, or a date-time at that date as GIS tools write them
/// (`2023-02-11T00:00:00`, `2023-02-11 00:00:00`, with or without a zone or fraction; QGIS and
/// GDAL write a date field this way). The date part is kept as written.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    let t = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    // GDAL writes dates as YYYY/MM/DD in some drivers.
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y/%m/%d") {
        return Ok(d);
    }
    let head = t.get(..10).unwrap_or(t);
    let tail = t.get(10..).unwrap_or("");
    let time_like = tail.starts_with('T') || tail.starts_with(' ');
    if time_like
        && let Ok(d) = chrono::NaiveDate::parse_from_str(&head.replace('/', "-"), "%Y-%m-%d")
    {
        let rest = tail[1..].trim();
        let ok = chrono::NaiveTime::parse_from_str(rest.get(..8).unwrap_or(rest), "%H:%M:%S")
            .is_ok()
            || chrono::NaiveTime::parse_from_str(rest.get(..5).unwrap_or(rest), "%H:%M").is_ok();
        if ok {
            return Ok(d);
        }
    }
    Err(format!("{s:?} is not a date YYYY-MM-DD (or a date-time)"))
}

/// A JSON object from a value: an object, or text holding one (empty text: none).
pub fn object(v: &Value) -> Result<Option<Map<String, Value>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m.clone())),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => match serde_json::from_str::<Value>(s.trim()) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            _ => Err(format!("{s:?} is not a JSON object")),
        },
        other => Err(format!("{other} is not an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_types_by_every_value() {
        let a = json!({"id": 1, "r": 2, "name": "x", "n": null});
        let b = json!({"id": 2, "r": 2.5, "name": 3, "extra": [1]});
        let (Value::Object(a), Value::Object(b)) = (a, b) else {
            unreachable!()
        };
        let s = schema([&a, &b]);
        let names: Vec<_> = s.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["id", "n", "name", "r", "extra"]);
        let t = |k: &str| s.iter().find(|(n, _)| n == k).map(|(_, t)| *t);
        assert_eq!(t("id"), Some(FieldType::Integer));
        assert_eq!(t("r"), Some(FieldType::Real));
        assert_eq!(t("name"), Some(FieldType::Text));
        assert_eq!(t("n"), Some(FieldType::Text));
        assert_eq!(
            flat_text(&json!(["ap-mine"])).as_deref(),
            Some("[\"ap-mine\"]")
        );
        assert_eq!(typed_value("12", FieldType::Integer), json!(12));
        assert_eq!(typed_value("1.5", FieldType::Real), json!(1.5));
        assert_eq!(typed_value("x", FieldType::Integer), json!("x"));
    }

    #[test]
    fn lists_in_every_spelling() {
        for v in [
            json!(["ap-mine", "uxo"]),
            json!("[\"ap-mine\",\"uxo\"]"),
            json!("(2:ap-mine,uxo)"),
            json!("ap-mine, uxo"),
            json!("ap-mine;uxo"),
        ] {
            assert_eq!(list_items(&v).unwrap(), ["ap-mine", "uxo"], "{v}");
        }
        assert!(
            list_items(&json!("(3:a,b)"))
                .unwrap_err()
                .contains("says 3")
        );
        assert!(list_items(&json!("(x:a)")).is_err());
        assert_eq!(list_items(&json!("(0:)")).unwrap(), Vec::<String>::new());
        assert_eq!(
            number_pair(&json!("(2:102.82,12.846)")).unwrap(),
            [102.82, 12.846]
        );
        assert_eq!(number_pair(&json!([1, 2.5])).unwrap(), [1.0, 2.5]);
        assert!(number_pair(&json!("1,2,3")).is_err());
        assert!(number_pair(&json!("a,b")).is_err());
    }

    #[test]
    fn dates_and_date_times() {
        let d = chrono::NaiveDate::from_ymd_opt(2023, 2, 11).unwrap();
        for s in [
            "2023-02-11",
            "2023-02-11T00:00:00",
            "2023-02-11 00:00:00",
            "2023-02-11T09:30:00Z",
            "2023-02-11T09:30:00.000+07:00",
            "2023/02/11",
            "2023/02/11 00:00:00",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        for s in ["2023-02-30", "11/02/2023", "2023-02-11Tnoon", "yesterday"] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn objects_as_json_text() {
        assert_eq!(object(&json!("{\"a\":1}")).unwrap().unwrap()["a"], json!(1));
        assert_eq!(object(&json!("")).unwrap(), None);
        assert!(object(&json!("[1]")).is_err());
    }
}
