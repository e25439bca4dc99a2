//! The hostile corpus for geometry and file readers: every case of `tests/hostile/geometry/MANIFEST.csv` (at the
//! repository root) run through the built `demine` binary by the shared reader-corpus runner
//! (`common/readers.rs`, which says what each expectation means).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/readers.rs"]
mod readers;

#[test]
fn every_file_of_the_corpus_is_in_the_manifest() {
    common::assert_files_match_manifest("geometry");
}

#[test]
fn hostile_geometry_corpus() {
    readers::run_corpus("geometry", 100);
}
