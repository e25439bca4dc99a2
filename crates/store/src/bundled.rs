//! The reference data bundled into the binary, so that a new database is complete without the
//! repository at hand. Each file keeps its sources (see data/README.md). [`BUNDLED`] names the
//! reference files; [`RECORD`] is every `data/record/*.csv` found at build time (the build script
//! lists them), so that a record file dropped into that folder is bundled by the next build.

use demine_core::schema::Kind;

/// One bundled file: its kind, its name (the default source of its rows) and its text.
#[derive(Debug, Clone, Copy)]
pub struct BundledFile {
    pub kind: ImportKind,
    pub name: &'static str,
    pub text: &'static str,
}

/// What an import reads: one of the registry's kinds in its own columns, or the table of States
/// Parties (one row per State with signature, deposit and withdrawal dates) that becomes events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Kind(Kind),
    Parties,
}

impl std::fmt::Display for ImportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportKind::Kind(k) => write!(f, "{k}"),
            ImportKind::Parties => f.write_str("parties"),
        }
    }
}

impl std::str::FromStr for ImportKind {
    type Err = demine_core::CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("parties") {
            return Ok(ImportKind::Parties);
        }
        s.parse::<Kind>()
            .map(ImportKind::Kind)
            .map_err(|e| match e {
                demine_core::CoreError::UnknownKind { value, known } => {
                    demine_core::CoreError::UnknownKind {
                        value,
                        known: format!("{known}, parties"),
                    }
                }
                other => other,
            })
    }
}

/// The bundled files, in the order they are loaded.
pub const BUNDLED: [BundledFile; 6] = [
    BundledFile {
        kind: ImportKind::Kind(Kind::States),
        name: "data/states.csv",
        text: include_str!("../../../data/states.csv"),
    },
    BundledFile {
        kind: ImportKind::Kind(Kind::States),
        name: "data/boundary_entities.csv",
        text: include_str!("../../../data/boundary_entities.csv"),
    },
    BundledFile {
        kind: ImportKind::Parties,
        name: "data/mbt_states_parties.csv",
        text: include_str!("../../../data/mbt_states_parties.csv"),
    },
    BundledFile {
        kind: ImportKind::Kind(Kind::Estimates),
        name: "data/seed_1997_figures.csv",
        text: include_str!("../../../data/seed_1997_figures.csv"),
    },
    BundledFile {
        kind: ImportKind::Kind(Kind::Positions),
        name: "data/seed_1997_positions.csv",
        text: include_str!("../../../data/seed_1997_positions.csv"),
    },
    BundledFile {
        kind: ImportKind::Kind(Kind::Commitments),
        name: "data/seed_1997_commitments.csv",
        text: include_str!("../../../data/seed_1997_commitments.csv"),
    },
];

include!(concat!(env!("OUT_DIR"), "/record_files.rs"));

/// Every bundled file in load order: the reference data, then the treaty's record.
pub fn all() -> impl Iterator<Item = &'static BundledFile> {
    BUNDLED.iter().chain(RECORD.iter())
}
