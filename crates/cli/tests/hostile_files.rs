//! The hostile corpus for the readers of the files people bring (KMZ, GeoPackage, GPX, KML, CSV
//! attributes): every case of `tests/hostile/files/MANIFEST.csv` (at the
//! repository root) run through the built `demine` binary by the shared reader-corpus runner
//! (`common/readers.rs`, which says what each expectation means).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/readers.rs"]
mod readers;

#[test]
fn every_file_of_the_corpus_is_in_the_manifest() {
    common::assert_files_match_manifest("files");
}

#[test]
fn hostile_files_corpus() {
    readers::run_corpus("files", 15);
}
