//! Every shipped example is evaluated and checked against its expected outcome.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::PathBuf;

use demine_treaty::{
    Category, DeviceDescription, ExtensionRequest, ItemVerdict, Proposal, Verdict, classify,
    evaluate_proposal, validate_extension_request,
};

fn examples(dir: &str) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn read<T: serde::de::DeserializeOwned>(path: &PathBuf) -> T {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_device_example_gets_its_expected_verdict() {
    let files = examples("devices");
    assert!(files.len() >= 10, "only {} device examples", files.len());
    let mut seen = std::collections::HashSet::new();
    for path in files {
        let device: DeviceDescription = read(&path);
        let expected = device
            .expected_verdict
            .unwrap_or_else(|| panic!("{}: no expected_verdict", path.display()));
        let c = classify(&device).unwrap();
        assert_eq!(c.verdict, expected, "{}: {:#?}", path.display(), c.reasons);
        assert!(!c.reasons.is_empty());
        assert!(c.reasons.iter().all(|r| !r.article.is_empty()));
        if c.verdict == Verdict::Contested {
            assert_eq!(c.readings.len(), 2, "{}", path.display());
        }
        if !device.components.is_empty() {
            assert_eq!(c.category, Category::MixedSystem);
            assert_eq!(c.components.len(), device.components.len());
        }
        seen.insert(c.verdict);
    }
    assert_eq!(seen.len(), 3, "examples should cover all three verdicts");
}

#[test]
fn the_1997_united_states_proposal_is_incompatible_item_by_item() {
    let path = examples("proposals")
        .into_iter()
        .find(|p| p.ends_with("us-1997.json"))
        .unwrap();
    let proposal: Proposal = read(&path);
    let e = evaluate_proposal(&proposal).unwrap();
    assert!(!e.compatible);
    let kinds: Vec<_> = e.items.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, ["geographic", "technological", "temporal"]);
    for item in &e.items {
        assert_eq!(item.verdict, ItemVerdict::Incompatible);
        assert_eq!(item.basis[0].article, "19");
    }
    let articles = |i: usize| -> Vec<&str> {
        e.items[i]
            .basis
            .iter()
            .map(|b| b.article.as_str())
            .collect()
    };
    assert!(articles(0).contains(&"1(1)"));
    assert!(articles(1).contains(&"2(1)"));
    assert!(articles(2).contains(&"17"));
    let device = e.items[1].device.as_ref().unwrap();
    assert_eq!(device.verdict, Verdict::Prohibited);
    assert_eq!(device.category, Category::MixedSystem);
}

#[test]
fn command_detonated_items_need_no_exemption_and_retention_is_flagged_far_beyond_practice() {
    let path = examples("proposals")
        .into_iter()
        .find(|p| p.ends_with("command-detonated-and-retention.json"))
        .unwrap();
    let proposal: Proposal = read(&path);
    let e = evaluate_proposal(&proposal).unwrap();
    assert!(e.compatible);
    let verdicts: Vec<_> = e.items.iter().map(|i| i.verdict).collect();
    assert_eq!(
        verdicts,
        [
            ItemVerdict::NotNeeded,
            ItemVerdict::Compatible,
            ItemVerdict::Compatible
        ]
    );
    assert!(e.items[1].flags.is_empty());
    assert!(e.items[2].flags[0].reason.contains("times"));
}

#[test]
fn extension_examples() {
    for path in examples("extensions") {
        let request: ExtensionRequest = read(&path);
        let v = validate_extension_request(&request).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "complete.json" {
            assert!(v.complete, "{:?}", v.findings);
        } else {
            assert!(!v.complete, "{name}");
            let articles: Vec<_> = v.findings.iter().map(|f| f.article.as_str()).collect();
            for a in [
                "5(3)",
                "5(4)(b)(ii)",
                "5(4)(b)(iii)",
                "5(4)(c)",
                "5(4)(d)",
                "5(6)",
            ] {
                assert!(
                    articles.contains(&a),
                    "{name}: {a} not reported in {articles:?}"
                );
            }
        }
    }
}
