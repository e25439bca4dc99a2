//! The README's tour, run as written: every `demine ...` line of the `sh` blocks under "A tour",
//! in order, against one fresh database in a fresh folder (where `examples/` is the repository's),
//! so that the README fails this test when it drifts from what demine does. A line that needs a
//! PostgreSQL server of the reader's own (`--database-url postgres://...`) is the only one left
//! out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// The tour's command lines (comments and continuation comments removed), in order.
fn tour_lines(readme: &str) -> Vec<String> {
    let start = readme.find("\n## A tour").expect("README has a tour");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let tour = &rest[..end];
    let mut lines = Vec::new();
    let mut in_sh = false;
    for line in tour.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = t == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let cmd = match t.find(" #") {
            Some(i) => t[..i].trim(),
            None => t,
        };
        if cmd.is_empty() || cmd.starts_with('#') {
            continue;
        }
        lines.push(cmd.to_string());
    }
    lines
}

#[test]
fn every_command_of_the_tour_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lines = tour_lines(&readme);
    assert!(lines.len() > 30, "the tour has {} lines", lines.len());
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        root.join("examples").canonicalize().unwrap(),
        dir.path().join("examples"),
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("demine");
    let mut ran = 0;
    let mut failures = Vec::new();
    for line in &lines {
        if line.contains("postgres://") {
            continue;
        }
        for cmd in line.split("&&") {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            assert_eq!(
                words.first(),
                Some(&"demine"),
                "not a demine command: {line}"
            );
            let out = std::process::Command::new(&bin)
                .current_dir(dir.path())
                .env("USER", "tour")
                .args(&words[1..])
                .output()
                .unwrap();
            let code = out.status.code();
            // Commands whose exit status is their answer (as their --help says): a check exits 0
            // safe, 3 hazard within the distance, 4 no data; a validation 3 when the request it
            // judged is incomplete, with the judgement on standard output.
            let answers = words.get(1) == Some(&"check")
                || (words.get(1) == Some(&"treaty") && words.contains(&"validate"));
            let ok = if answers {
                matches!(code, Some(0 | 3 | 4)) && !out.stdout.is_empty()
            } else {
                code == Some(0)
            };
            if !ok {
                failures.push(format!(
                    "`{cmd}` exited {code:?}\nstdout: {}\nstderr: {}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            ran += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "README tour:\n{}",
        failures.join("\n\n")
    );
    assert!(ran > 30, "{ran} commands ran");
    // What the tour wrote is there.
    for f in [
        "out.csv",
        "areas.kml",
        "areas.gpkg",
        "areas-recorded.kmz",
        "areas.csv",
        "areas.csvt",
        "areas.prj",
    ] {
        assert!(dir.path().join(f).exists(), "the tour did not write {f}");
    }
}

#[test]
fn the_parser_finds_the_tour_and_drops_comments() {
    let md = "intro\n## A tour\n```sh\ndemine a   # note\n   # more\ndemine b && demine c\n```\n\
              text\n```\nnot sh\n```\n## Next\n```sh\ndemine z\n```\n";
    assert_eq!(tour_lines(md), ["demine a", "demine b && demine c"]);
}
