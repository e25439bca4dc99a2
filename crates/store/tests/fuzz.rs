//! Fuzzing the store's parsers: registry imports (CSV and JSON, every kind) and restore dumps,
//! from arbitrary bytes and from valid files with bytes flipped, inserted, removed and fields
//! replaced. Reading may refuse with an error; it must never panic, and what it accepts must
//! apply to a real database or be refused there, all-or-nothing, with the audit log verifying.
//! `DEMINE_FUZZ_CASES` sets the number of cases per property (default 64); `scripts/fuzz` runs
//! them with more. A case that once crashed belongs in `tests/hostile/ops/` (a file and a
//! MANIFEST.csv line), so that it is kept for good.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use demine_store::io::read_batch;
use demine_store::{AnyStore, ImportKind, Kind, SqliteStore, Store, ops};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("DEMINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// One seeded database and a runtime, shared by every case.
struct Db {
    rt: tokio::runtime::Runtime,
    store: AnyStore,
    dir: tempfile::TempDir,
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = rt.block_on(async {
            let s = AnyStore::Sqlite(SqliteStore::open(&dir.path().join("f.db")).await.unwrap())
                .with_access(demine_store::Access::Restricted);
            ops::seed(&s, "fuzz").await.unwrap();
            s
        });
        Db { rt, store, dir }
    })
}

const FUNDING: &str = "donor,recipient,recipient_iso3,year,amount,currency,purpose,source,note\n\
#org+donor,#org+recipient,#country+code,#date+year,#value,#currency,#sector+purpose,#meta+source,#description+notes\n\
Norway,Angola,AGO,1998,2500000,USD,clearance,fuzz,\"a \"\"quoted\"\" note, with a comma\"\n\
Japan,Cambodia,KHM,2001,750000.5,USD,survey,fuzz,\n";
const EVENTS: &str = "iso3,event,date,instrument,succession_date,end_date,source,note\n\
AGO,armed-conflict,2001-01-01,,,2002-04-04,fuzz,\n";
const ESTIMATES: &str = "subject,iso3,measure,low,high,unit,as_of,source\n\
World,,mines_emplaced,80000000,110000000,mines,1997,fuzz\n";
const CASUALTIES: &str = "id,date,iso3,device_category,killed,injured,group,age_group,sex\n\
F1,2020-01-02,AFG,ap-mine,0,1,civilian,adult,female\n";
const VICTIMS: &str =
    "casualty_id,person_name,birth_date,contact\nF1,A. Person,1980-02-29,+1 555\n";
const FUNDING_JSON: &str = r#"[{"donor":"Norway","recipient":"Angola","recipient_iso3":"AGO","year":1998,"amount":2500000,"currency":"USD","purpose":"clearance"},
{"donor":"Japan","recipient":"Cambodia","year":"2001","amount":"750000.5","currency":"USD","purpose":"survey","note":null}]"#;

const SAMPLES: [(&str, &str, &str); 6] = [
    ("funding", "f.csv", FUNDING),
    ("events", "e.csv", EVENTS),
    ("estimates", "s.csv", ESTIMATES),
    ("casualties", "c.csv", CASUALTIES),
    ("victims", "v.csv", VICTIMS),
    ("funding", "f.json", FUNDING_JSON),
];

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let nasty = prop::sample::select(vec![
        b",".to_vec(),
        b"\"".to_vec(),
        b"\n".to_vec(),
        b"\r".to_vec(),
        b"-".to_vec(),
        b"0000".to_vec(),
        b"1899-12-31".to_vec(),
        b"\xEF\xBB\xBF".to_vec(),
        b"\xff\xfe".to_vec(),
        b"\0".to_vec(),
        b"{".to_vec(),
        b"[".to_vec(),
        b"}".to_vec(),
        b"1e999".to_vec(),
        b";".to_vec(),
        b"\t".to_vec(),
        b"#".to_vec(),
        b"AGO".to_vec(),
        b"XXX".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), nasty).prop_map(|(i, s)| Edit::Insert(i, s)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, s)| Edit::Insert(i, s)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Edit::Remove(i, n)),
    ]
}

fn apply_edits(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = base.to_vec();
    for e in edits {
        let len = b.len().max(1);
        match e {
            Edit::Flip(i, x) if !b.is_empty() => b[i % len] ^= x | 1,
            Edit::Flip(..) => {}
            Edit::Insert(i, s) => {
                let at = i % (b.len() + 1);
                b.splice(at..at, s.iter().copied());
            }
            Edit::Remove(i, n) if !b.is_empty() => {
                let at = i % b.len();
                let end = (at + n).min(b.len());
                b.drain(at..end);
            }
            Edit::Remove(..) => {}
        }
    }
    b
}

/// Reads a file as an import of `kind`; what reads is applied, and either lands whole or not at
/// all, with the audit log still verifying.
fn import(kind: &str, name: &str, bytes: &[u8]) {
    let kind: ImportKind = kind.parse().unwrap();
    let Ok(batch) = read_batch(kind, name, bytes) else {
        return;
    };
    // Every value read is one its column accepts again (the form stored is canonical).
    let table = batch.kind.table();
    for row in &batch.rows {
        let obj = table.to_json(&row.values);
        assert_eq!(table.from_json(&obj).unwrap(), row.values, "{obj:?}");
    }
    let d = db();
    d.rt.block_on(async {
        let before = d.store.records(batch.kind, None).await.unwrap().len();
        match ops::apply_checked(&d.store, &batch, "fuzz", &|_, _| {}).await {
            Ok(r) => assert_eq!(r.rows as usize, batch.rows.len()),
            Err(_) => {
                let after = d.store.records(batch.kind, None).await.unwrap().len();
                assert_eq!(before, after, "a refused import changed the table");
            }
        }
        assert!(ops::verify_audit(&d.store).await.unwrap().ok);
    });
}

/// Reads a file as a backup; one that reads is restored into the shared database.
fn restore(bytes: &[u8], n: u64) {
    let d = db();
    let path = d.dir.path().join(format!("dump{n}.json"));
    std::fs::write(&path, bytes).unwrap();
    d.rt.block_on(async {
        if let Ok(dump) = ops::read_backup(&path).await {
            let _ = d.store.replace_all(&dump, "fuzz", "fuzz dump").await;
            assert!(ops::verify_audit(&d.store).await.unwrap().ok);
        }
    });
    let _ = std::fs::remove_file(&path);
}

/// A small valid dump: the shared database's, taken once.
fn valid_dump() -> &'static Vec<u8> {
    static DUMP: OnceLock<Vec<u8>> = OnceLock::new();
    DUMP.get_or_init(|| {
        let d = db();
        d.rt.block_on(async {
            let mut dump = d.store.dump().await.unwrap();
            // Keep it small: the first States and the audit entries that made them, a valid
            // backup of its own.
            let states = dump.tables.get_mut("states").unwrap();
            states.truncate(5);
            dump.tables.retain(|k, _| k == "states");
            dump.audit.truncate(5);
            // The meta rows were recorded by later entries of the chain.
            dump.meta.clear();
            serde_json::to_vec(&dump).unwrap()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_any_import(
        kind in prop::sample::select(Kind::ALL.map(Kind::name).to_vec()),
        json in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        import(kind, if json { "x.json" } else { "x.csv" }, &bytes);
    }

    #[test]
    fn mutated_imports(which in 0usize..SAMPLES.len(), edits in prop::collection::vec(edit(), 1..6)) {
        let (kind, name, text) = SAMPLES[which];
        import(kind, name, &apply_edits(text.as_bytes(), &edits));
    }

    #[test]
    fn arbitrary_bytes_as_a_backup(bytes in prop::collection::vec(any::<u8>(), 0..300), n in any::<u64>()) {
        restore(&bytes, n);
    }

    #[test]
    fn mutated_backups(edits in prop::collection::vec(edit(), 1..4), n in any::<u64>()) {
        restore(&apply_edits(valid_dump(), &edits), n);
    }
}

/// The base of the mutated backups is itself a valid backup, and the samples valid imports, so
/// that mutations start from what passes.
#[test]
fn the_seeds_of_the_mutations_are_valid() {
    let d = db();
    let path = d.dir.path().join("valid.json");
    std::fs::write(&path, valid_dump()).unwrap();
    d.rt.block_on(async {
        let dump = ops::read_backup(&path).await.unwrap();
        assert_eq!(dump.tables["states"].len(), 5);
    });
    for (kind, name, text) in SAMPLES {
        let b = read_batch(kind.parse().unwrap(), name, text.as_bytes()).unwrap();
        assert!(!b.rows.is_empty(), "{name}");
    }
}
