//! Fuzzing the treaty commands' JSON inputs (device descriptions, exemption proposals, extension
//! requests): arbitrary bytes, and the bundled examples with their values replaced by values of
//! every type and range. Parsing may refuse; what parses must be answered without a panic, with
//! an answer or a `TreatyError`. `DEMINE_FUZZ_CASES` sets the number of cases per property
//! (default 256); `scripts/fuzz` runs them with more. A case that once crashed belongs in
//! `tests/hostile/ops/` (a file and a MANIFEST.csv line), so that it is kept for good.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_treaty::{
    DeviceDescription, ExtensionRequest, Proposal, classify, evaluate_proposal,
    validate_extension_request,
};
use proptest::prelude::*;
use serde_json::Value;

fn cases() -> u32 {
    std::env::var("DEMINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

const DEVICES: [&str; 4] = [
    include_str!("../../../examples/devices/pmn-2.json"),
    include_str!("../../../examples/devices/tm-46-mvn-72.json"),
    include_str!("../../../examples/devices/m18a1-claymore-tripwire.json"),
    include_str!("../../../examples/devices/volcano-m87a1.json"),
];
const PROPOSAL: &str = include_str!("../../../examples/proposals/us-1997.json");
const EXTENSIONS: [&str; 2] = [
    include_str!("../../../examples/extensions/complete.json"),
    include_str!("../../../examples/extensions/incomplete-further.json"),
];

/// Runs every command on whatever parses; only a panic fails.
fn answer(bytes: &[u8]) {
    if let Ok(d) = serde_json::from_slice::<DeviceDescription>(bytes) {
        let _ = classify(&d);
    }
    if let Ok(p) = serde_json::from_slice::<Proposal>(bytes) {
        let _ = evaluate_proposal(&p);
    }
    if let Ok(r) = serde_json::from_slice::<ExtensionRequest>(bytes) {
        let _ = validate_extension_request(&r);
    }
}

/// Values a hostile or careless file puts where another was expected.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            0.0, -0.0, -1.0, 1e308, -1e308, 5e-324, 1e15, 24.99, 25.0, 150.0,
        ])
        .prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "0000-01-01",
            "9999-12-31",
            "262143-12-31",
            "1997-02-29",
            "2000-02-29",
            "1999-03-01",
            "pressure",
            "persons",
            "vehicles",
            "tripwire",
            "prohibited",
            "permitted",
            "contested",
            "\u{0}",
            "Ω",
            "-1",
        ])
        .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({})),
    ]
}

/// Replaces the `pick`-th value of the tree (in a depth-first walk) with `new`.
fn replace_nth(v: &mut Value, pick: &mut usize, new: &Value) -> bool {
    if *pick == 0 {
        *v = new.clone();
        return true;
    }
    *pick -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| replace_nth(i, pick, new)),
        Value::Object(map) => map.values_mut().any(|i| replace_nth(i, pick, new)),
        _ => false,
    }
}

/// Removes or duplicates an entry somewhere, by the same walk.
fn drop_nth_key(v: &mut Value, pick: &mut usize) -> bool {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if *pick == 0 {
                    map.remove(&k);
                    return true;
                }
                *pick -= 1;
                if let Some(child) = map.get_mut(&k)
                    && drop_nth_key(child, pick)
                {
                    return true;
                }
            }
            false
        }
        Value::Array(items) => items.iter_mut().any(|i| drop_nth_key(i, pick)),
        _ => false,
    }
}

fn mutated(base: &str, edits: &[(usize, bool, Value)]) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(base).unwrap();
    for (pick, drop, new) in edits {
        let mut p = *pick;
        if *drop {
            drop_nth_key(&mut v, &mut p);
        } else {
            replace_nth(&mut v, &mut p, new);
        }
    }
    serde_json::to_vec(&v).unwrap()
}

fn edits() -> impl Strategy<Value = Vec<(usize, bool, Value)>> {
    prop::collection::vec(
        (0usize..80, prop::bool::weighted(0.2), hostile_value()),
        1..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        answer(&bytes);
    }

    #[test]
    fn mutated_devices(which in 0usize..DEVICES.len(), e in edits()) {
        answer(&mutated(DEVICES[which], &e));
    }

    #[test]
    fn mutated_proposals(e in edits()) {
        answer(&mutated(PROPOSAL, &e));
    }

    #[test]
    fn mutated_extension_requests(which in 0usize..EXTENSIONS.len(), e in edits()) {
        answer(&mutated(EXTENSIONS[which], &e));
    }

    #[test]
    fn truncated_inputs(which in 0usize..7, cut in 0usize..4000) {
        let all: Vec<&str> = DEVICES.iter().chain([&PROPOSAL]).chain(EXTENSIONS.iter()).copied().collect();
        let text = all[which].as_bytes();
        answer(&text[..cut.min(text.len())]);
    }
}

/// Extreme dates that once could overflow the calendar arithmetic.
#[test]
fn extreme_extension_dates() {
    for (current, until) in [
        ("9999-12-31", "9999-12-31"),
        ("262142-12-31", "262143-12-31"),
        ("0001-01-01", "0001-01-02"),
        ("2009-03-01", "0001-01-01"),
    ] {
        let mut v: Value = serde_json::from_str(EXTENSIONS[0]).unwrap();
        v["current_deadline"] = current.into();
        v["requested_until"] = until.into();
        answer(&serde_json::to_vec(&v).unwrap());
    }
}
