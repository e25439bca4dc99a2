//! What the hostile-corpus harnesses (`hostile_*.rs`) share: where a corpus is and how its
//! `MANIFEST.csv` reads.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// `tests/hostile/AREA` at the repository root.
pub fn corpus(area: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/hostile")
        .join(area)
}

/// One case of a manifest: the file, the demine arguments (`{file}` stands for the file), what
/// must happen and a text the output must contain.
#[derive(Debug, Clone)]
pub struct Case {
    /// The line of the manifest (the header is line 1).
    pub line: usize,
    pub file: String,
    pub args: String,
    pub expect: String,
    pub message: String,
}

/// The cases of `tests/hostile/AREA/MANIFEST.csv`, whose header must be
/// `file,args,expect,message`.
pub fn manifest(area: &str) -> Vec<Case> {
    let mut r = csv::Reader::from_path(corpus(area).join("MANIFEST.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["file", "args", "expect", "message"]
    );
    r.records()
        .enumerate()
        .map(|(i, rec)| {
            let rec = rec.unwrap();
            Case {
                line: i + 2,
                file: rec[0].to_string(),
                args: rec[1].to_string(),
                expect: rec[2].to_string(),
                message: rec[3].to_string(),
            }
        })
        .collect()
}

/// Every file of `tests/hostile/AREA` (but the manifest) is a case of the manifest, and every
/// case names a file that exists. Returns the cases, for further checks.
pub fn assert_files_match_manifest(area: &str) -> Vec<Case> {
    let cases = manifest(area);
    let listed: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    for e in std::fs::read_dir(corpus(area)).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name != "MANIFEST.csv" {
            assert!(
                listed.contains(name.as_str()),
                "{name} is not in MANIFEST.csv"
            );
        }
    }
    for f in &listed {
        assert!(corpus(area).join(f).is_file(), "{f} is listed but missing");
    }
    cases
}
