//! Every HXL export demine writes, read by libhxl (the HXL standard's own Python library): the
//! hashtag row is found, every hashtag is valid HXL 1.1, every `#affected` (and other numeric)
//! value is a number, and libhxl's default validation schema finds no error. libhxl lives in a
//! virtual environment that `scripts/test` creates under `target/hxl-venv`; without it this test
//! fails and says how to make it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("DEMINE_DATABASE_URL")
        .env("USER", "cli-test");
    c
}

/// The Python with libhxl: `DEMINE_HXL_PYTHON`, else the workspace's `target/hxl-venv`.
fn hxl_python() -> PathBuf {
    let python = std::env::var_os("DEMINE_HXL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/hxl-venv/bin/python")
        });
    let ok = StdCommand::new(&python)
        .args(["-c", "import hxl"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "libhxl is missing: {} cannot `import hxl`. scripts/test creates it; by hand: \
         python3 -m venv target/hxl-venv && target/hxl-venv/bin/pip install libhxl==5.2.2 \
         six==1.17.0 (or set DEMINE_HXL_PYTHON to a Python that has libhxl)",
        python.display()
    );
    python
}

fn checker() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hxl/check_exports.py")
}

fn run_checker(python: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = StdCommand::new(python)
        .arg(checker())
        .args(files)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn every_hxl_export_reads_in_libhxl() {
    let python = hxl_python();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    // The kinds the bundled record leaves empty get rows of their own, so that their numbers and
    // categories are checked too.
    let files = [
        (
            "casualties",
            "id,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n\
             C1,2020-01-02,AFG,Helmand,ap-mine,1,2,civilian,child,female,s\n\
             C2,2021-05-06,KHM,,at-mine,0,3,deminer,adult,male,s\n",
        ),
        (
            "victims",
            "casualty_id,person_name,birth_date,contact,source\nC1,A. Person,2012-03-04,+855 1,s\n",
        ),
        (
            "funding",
            "donor,recipient,recipient_iso3,year,amount,currency,purpose,source\n\
             Norway,HALO Trust,KHM,2024,1250000.5,USD,clearance,s\n",
        ),
    ];
    for (kind, text) in files {
        let path = dir.path().join(format!("{kind}.csv"));
        std::fs::write(&path, text).unwrap();
        demine(&db)
            .args(["--access", "restricted", "import", kind])
            .arg(&path)
            .assert()
            .success();
    }
    let out = dir.path().join("out");
    demine(&db)
        .args(["--access", "restricted", "export", "all"])
        .arg(&out)
        .arg("--include-restricted")
        .assert()
        .success();
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    csvs.sort();
    // Every kind the registry has, restricted ones included.
    assert_eq!(csvs.len(), demine_core::schema::Kind::ALL.len(), "{csvs:?}");
    let (ok, report) = run_checker(&python, &csvs);
    assert!(ok, "libhxl found problems in demine's exports:\n{report}");
    assert!(
        report.contains("casualties.csv: 12 columns, 2 rows, 0 problems"),
        "{report}"
    );

    // The checker is no rubber stamp: the casualties export as it was before categories had a
    // hashtag of their own (#affected+type holding "civilian") is refused, and so is a hashtag
    // outside the HXL dictionary.
    let old = dir.path().join("old.csv");
    std::fs::write(
        &old,
        "id,killed,group\n#event+id,#affected+killed,#affected+type\nC1,1,civilian\n",
    )
    .unwrap();
    let (ok, report) = run_checker(&python, &[old]);
    assert!(
        !ok && report.contains("'civilian' is not a number"),
        "{report}"
    );
    let odd = dir.path().join("odd.csv");
    std::fs::write(&odd, "id,x\n#event+id,#mines+found\nC1,3\n").unwrap();
    let (ok, report) = run_checker(&python, &[odd]);
    assert!(
        !ok && report.contains("#mines is not a hashtag of the HXL 1.1 dictionary"),
        "{report}"
    );
}
