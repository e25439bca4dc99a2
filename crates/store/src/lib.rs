//! Persistence behind one trait: SQLite (embedded default) and PostgreSQL with PostGIS.
//!
//! [`Store`] is the small set of primitives a backend implements ([`SqliteStore`], [`PgStore`]):
//! read a kind's records, apply a checked [`Batch`] in one transaction with its audit entries,
//! read the audit log, take a consistent [`Dump`], replace everything from one, and back up.
//! Everything else (imports, exports, the bundled data, audit verification, backup and restore,
//! the views that ask the treaty engine) is written once over the trait, in [`ops`] and
//! [`view`], so both backends behave the same by construction and one test suite covers both.
//!
//! Extending the store (hazardous areas, issue 4): add a migration per backend, and either new
//! kinds in `demine_core::schema` (tabular data gets import, export, audit and dump for free) or
//! new trait methods for what is not tabular (geometry), implemented in `backend.rs`.

mod audit;
mod backend;
pub mod boundaries;
pub mod bundled;
pub mod coverage;
mod error;
pub mod hazards;
pub mod hazards_io;
pub mod io;
pub mod ops;
mod postgres;
mod sqlite;
pub mod view;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use audit::{AuditEntry, AuditReport, Broken};
pub use bundled::{BUNDLED, BundledFile, ImportKind};
pub use demine_core::schema::{Kind, Value};
pub use error::{FeatureFault, StoreError};
pub use hazards::{
    AreaFilter, AreaVersion, HazardImportReport, HazardStore, NewArea, StoredActivity, StoredArea,
};
pub use io::{Batch, Format, Row};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// One record: its values in the order of its kind's columns.
pub type Record = Vec<Value>;

/// What applying a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub kind: String,
    pub file: String,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// A whole database in a portable form: every kind's rows (as JSON objects keyed by column), the
/// audit log and the meta facts. Backups of PostgreSQL are written in this form; restores of
/// either backend go through it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    pub format: String,
    pub version: u32,
    pub tables: BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
    pub audit: Vec<AuditEntry>,
    pub meta: BTreeMap<String, String>,
}

/// The `format` field of a [`Dump`].
pub const DUMP_FORMAT: &str = "demine-dump";

/// Progress of a long operation: (done, total).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// The primitives a storage backend provides. All writes are transactions: a batch, a restore.
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Every record of a kind in the order it was first stored; with `iso3`, only those whose
    /// `iso3` column is that State (kinds without one return all).
    fn records(
        &self,
        kind: Kind,
        iso3: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;

    /// Stores a batch in one transaction: each row is inserted, or updates the row with the same
    /// key, with an audit entry per change (unchanged rows are skipped). ISO3 codes must name a
    /// State in the registry (or in the batch itself, for States). Any error leaves the database
    /// exactly as it was.
    fn apply(
        &self,
        batch: &Batch,
        actor: &str,
        progress: Progress<'_>,
    ) -> impl Future<Output = Result<ApplyReport, StoreError>> + Send;

    /// The audit log, in order.
    fn audit_entries(&self) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// A meta fact (`seeded`, ...).
    fn meta(&self, key: &str) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Records a meta fact.
    fn set_meta(
        &self,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Everything, read in one consistent snapshot.
    fn dump(&self) -> impl Future<Output = Result<Dump, StoreError>> + Send;

    /// Replaces everything with the dump's contents in one transaction, then records the restore
    /// in the audit log.
    fn replace_all(
        &self,
        dump: &Dump,
        actor: &str,
        what: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes a consistent backup to `path` while the database stays in use (SQLite: a copy of
    /// the database made by `VACUUM INTO`; PostgreSQL: a [`Dump`] as JSON).
    fn backup(&self, path: &Path) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Either backend, chosen at run time from a database URL or path.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens (creating and migrating) the database: `postgres://...` or `postgresql://...` is
    /// PostgreSQL, anything else a SQLite file path (`sqlite://` prefix optional).
    pub async fn open(target: &str) -> Result<AnyStore, StoreError> {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Ok(AnyStore::Postgres(PgStore::open(target).await?))
        } else if let Some(path) = target.strip_prefix("sqlite://") {
            Ok(AnyStore::Sqlite(SqliteStore::open(Path::new(path)).await?))
        } else if target.contains("://") {
            Err(StoreError::UnsupportedUrl {
                url: target.to_string(),
            })
        } else {
            Ok(AnyStore::Sqlite(
                SqliteStore::open(Path::new(target)).await?,
            ))
        }
    }
}
