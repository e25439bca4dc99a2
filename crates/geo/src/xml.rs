//! Shared pieces of the XML readers (KML, GPX): an event loop over quick-xml that tracks the
//! element path and gathers text, and error conversion with line and column.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::error::{GeoError, line_col};

/// How deep elements may nest. KML and GPX need about a dozen levels; anything deeper is refused
/// with a named error.
pub(crate) const MAX_DEPTH: usize = 256;

/// What the reader hands to a format's handler.
pub(crate) enum XmlEvent<'a> {
    /// An element opened: its local name and attributes (local names, unescaped values).
    Start(&'a str, &'a [(String, String)]),
    /// An element closed: its local name and the text gathered directly inside it.
    End(&'a str, &'a str),
}

/// Runs `handle` over every element of the document. `handle` gets the path of open elements
/// (local names, the current one last) and the event; it returns an error message to stop.
pub(crate) fn walk(
    source_name: &str,
    text: &[u8],
    mut handle: impl FnMut(&[String], XmlEvent<'_>) -> Result<(), String>,
) -> Result<(), GeoError> {
    let s = std::str::from_utf8(text).map_err(|e| {
        let (line, column) = line_col(text, e.valid_up_to());
        GeoError::Syntax {
            source_name: source_name.to_string(),
            line,
            column,
            message: "not valid UTF-8".into(),
        }
    })?;
    let mut r = Reader::from_str(s);
    let mut path: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let err_at = |pos: u64, message: String| {
        let (line, column) = line_col(text, pos as usize);
        GeoError::Syntax {
            source_name: source_name.to_string(),
            line,
            column,
            message,
        }
    };
    loop {
        let ev = r
            .read_event()
            .map_err(|e| err_at(r.error_position(), format!("XML: {e}")))?;
        let pos = r.buffer_position();
        match ev {
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (empty, e) = match ev {
                    Event::Empty(e) => (true, e),
                    Event::Start(e) => (false, e),
                    _ => continue,
                };
                if path.len() >= MAX_DEPTH {
                    return Err(err_at(
                        pos,
                        format!(
                            "XML nested deeper than {MAX_DEPTH} elements (refused: no KML or GPX \
                             needs that)"
                        ),
                    ));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|x| err_at(pos, format!("XML attribute: {x}")))?;
                    let v = a
                        .unescape_value()
                        .map_err(|x| err_at(pos, format!("XML attribute: {x}")))?;
                    attrs.push((
                        String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
                        v.into_owned(),
                    ));
                }
                path.push(name.clone());
                texts.push(String::new());
                handle(&path, XmlEvent::Start(&name, &attrs)).map_err(|m| err_at(pos, m))?;
                if empty {
                    let t = texts.pop().unwrap_or_default();
                    handle(&path, XmlEvent::End(&name, &t)).map_err(|m| err_at(pos, m))?;
                    path.pop();
                }
            }
            Event::End(_) => {
                let t = texts.pop().unwrap_or_default();
                let name = path.last().cloned().unwrap_or_default();
                handle(&path, XmlEvent::End(&name, &t)).map_err(|m| err_at(pos, m))?;
                path.pop();
            }
            Event::Text(t) => {
                if let Some(buf) = texts.last_mut() {
                    let d = t
                        .xml_content()
                        .map_err(|x| err_at(pos, format!("XML text: {x}")))?;
                    buf.push_str(&d);
                }
            }
            Event::CData(t) => {
                if let Some(buf) = texts.last_mut() {
                    buf.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(g) => {
                if let Some(buf) = texts.last_mut() {
                    if let Ok(Some(c)) = g.resolve_char_ref() {
                        buf.push(c);
                    } else {
                        let name = g
                            .decode()
                            .map_err(|x| err_at(pos, format!("XML entity: {x}")))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(v) => buf.push_str(v),
                            None => {
                                return Err(err_at(pos, format!("unknown XML entity &{name};")));
                            }
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = path.last() {
        return Err(err_at(
            text.len() as u64,
            format!("element <{open}> is never closed"),
        ));
    }
    Ok(())
}
