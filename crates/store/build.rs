//! Lists the record files in `data/record/` (every `*.csv`) so that `bundled.rs` compiles them
//! in without naming each: a record file dropped into the folder is bundled by the next build.
//! The kind of each file is its name up to the first `-` or `.` (`events-a.csv` is `events`).
//! Files load kind by kind (what is cited before what cites it), a plain `kind.csv` first.

use std::fmt::Write as _;
use std::path::Path;

/// The kinds a record file may hold, in the order they load (what is cited before what cites it).
const ORDER: [(&str, &str); 8] = [
    ("sources", "Sources"),
    ("meetings", "Meetings"),
    ("events", "Events"),
    ("extensions", "Extensions"),
    ("stockpiles", "Stockpiles"),
    ("reports", "Reports"),
    ("estimates", "Estimates"),
    ("use_findings", "UseFindings"),
];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest).join("../../data/record");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(usize, String, String)> = Vec::new();
    let mut errors = String::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".csv") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", e.path().display());
            let stem = name.split(['-', '.']).next().unwrap_or_default();
            match ORDER.iter().position(|(k, _)| *k == stem) {
                Some(rank) => files.push((rank, name, e.path().display().to_string())),
                None => {
                    let _ = write!(
                        errors,
                        "compile_error!(\"data/record/{name}: no kind is called {stem:?}; a record file is named after its kind: {}\");",
                        ORDER.map(|(k, _)| k).join(", ")
                    );
                }
            }
        }
    }
    // By kind, then by name without the extension, so that `sources.csv` loads before
    // `sources-a.csv`: where two files hold the same key, the more specific file's row stands.
    files.sort_by(|a, b| {
        (a.0, a.1.trim_end_matches(".csv")).cmp(&(b.0, b.1.trim_end_matches(".csv")))
    });
    let mut out = String::from(
        "/// The record files found in data/record/ when demine was built, in load order.\n\
         pub const RECORD: &[BundledFile] = &[\n",
    );
    for (rank, name, path) in &files {
        let _ = writeln!(
            out,
            "    BundledFile {{ kind: ImportKind::Kind(Kind::{}), name: \"data/record/{name}\", text: include_str!({path:?}) }},",
            ORDER[*rank].1
        );
    }
    out.push_str("];\n");
    out.push_str(&errors);
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("record_files.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=could not write {}: {e}", dest.display());
    }
}
