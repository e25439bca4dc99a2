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

pub mod access;
pub mod accounts;
mod audit;
mod backend;
pub mod boundaries;
pub mod bundled;
pub mod coverage;
mod error;
pub mod gpkg;
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

pub use access::{Access, Requester};
pub use audit::{AuditEntry, AuditReport, Broken, Head, head_file_for, read_head_file};
pub use bundled::{BUNDLED, BundledFile, ImportKind, RECORD};
pub use demine_core::schema::{Kind, Value};
pub use error::{FeatureFault, StoreError};
pub use hazards::{
    AreaFilter, AreaVersion, HazardImportReport, HazardStore, HazardVersion, MAX_AREA_ID, NewArea,
    StoredActivity, StoredArea,
};
pub use io::{Batch, Format, Row};
pub use postgres::PgStore;
pub use sqlite::{BUSY_WAIT, SqliteStore};

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

/// A token only this crate can make: methods that take it cannot be called from outside.
#[derive(Debug)]
pub struct Internal(());

impl Internal {
    pub(crate) fn new() -> Internal {
        Internal(())
    }
}

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

    /// The reader's access level, set when the handle was opened.
    fn access(&self) -> Access;

    /// Everything, read in one consistent snapshot, whatever the access level: for the store's
    /// own use (verifying the audit log, backing up), which [`Internal`] keeps inside the crate.
    fn snapshot(&self, _: Internal) -> impl Future<Output = Result<Dump, StoreError>> + Send;

    /// Everything, read in one consistent snapshot. A dump holding personal data needs
    /// [`Access::Restricted`], one holding hazardous areas [`Access::Operational`].
    fn dump(&self) -> impl Future<Output = Result<Dump, StoreError>> + Send {
        async move {
            let d = self.snapshot(Internal(())).await?;
            access::check_dump(self.access(), &d)?;
            Ok(d)
        }
    }

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

/// Either backend, chosen at run time from a database URL or path. Cloning shares the
/// connection pool (the server hands each request a clone at the requester's access level).
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// The file the audit chain's head is written to after every write (SQLite: `<db>.audit-head`
    /// by default; PostgreSQL: none unless set).
    pub fn head_file(&self) -> Option<&Path> {
        match self {
            AnyStore::Sqlite(s) => s.head_file(),
            AnyStore::Postgres(s) => s.head_file(),
        }
    }

    /// Sets (or with None, stops) the file the audit head is written to after every write.
    pub fn set_head_file(&mut self, path: Option<std::path::PathBuf>) {
        match self {
            AnyStore::Sqlite(s) => s.set_head_file(path),
            AnyStore::Postgres(s) => s.set_head_file(path),
        }
    }

    /// Writes the chain's head to the head file now, if there is one (for a head file set after
    /// the writes that opening made, such as loading the bundled data).
    pub async fn note_head(&self) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.note_head().await,
            AnyStore::Postgres(s) => s.note_head().await,
        }
    }

    /// The audit chain's head as committed.
    pub async fn audit_head(&self) -> Result<Head, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.audit_head().await,
            AnyStore::Postgres(s) => s.audit_head().await,
        }
    }

    /// Where to keep the database a restore replaces: beside a SQLite file
    /// (`<db>.before-restore-<UTC time>`), or for PostgreSQL a JSON dump beside the backup being
    /// restored (`<backup>.before-restore-<UTC time>.json`).
    pub fn before_restore_path(&self, restoring: &Path) -> std::path::PathBuf {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let (base, ext) = match self {
            AnyStore::Sqlite(s) => (s.path().to_path_buf(), ""),
            AnyStore::Postgres(_) => (restoring.to_path_buf(), ".json"),
        };
        let mut name = base.as_os_str().to_os_string();
        name.push(format!(".before-restore-{stamp}{ext}"));
        std::path::PathBuf::from(name)
    }
}

/// What a database target names.
pub(crate) enum Target<'a> {
    Sqlite(&'a Path),
    Postgres(&'a str),
}

impl<'a> Target<'a> {
    /// `postgres://...` or `postgresql://...` is PostgreSQL, anything else a SQLite file path
    /// (`sqlite://` prefix optional).
    pub(crate) fn parse(target: &'a str) -> Result<Target<'a>, StoreError> {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Ok(Target::Postgres(target))
        } else if let Some(path) = target.strip_prefix("sqlite://") {
            Ok(Target::Sqlite(Path::new(path)))
        } else if target.contains("://") {
            Err(StoreError::UnsupportedUrl {
                url: target.to_string(),
            })
        } else {
            Ok(Target::Sqlite(Path::new(target)))
        }
    }
}

/// The setup lock of a database, held while it is created, migrated and seeded.
pub(crate) enum SetupLock {
    File(std::fs::File),
    Pg(postgres::PgSetupLock),
}

impl SetupLock {
    pub(crate) async fn take(target: &Target<'_>) -> Result<SetupLock, StoreError> {
        Ok(match target {
            Target::Sqlite(p) => SetupLock::File(sqlite::setup_lock(p).await?),
            Target::Postgres(u) => SetupLock::Pg(PgStore::setup_lock(u).await?),
        })
    }

    pub(crate) async fn release(self) {
        match self {
            SetupLock::File(f) => drop(f),
            SetupLock::Pg(l) => l.release().await,
        }
    }
}

impl AnyStore {
    /// Opens (creating and migrating) the database: `postgres://...` or `postgresql://...` is
    /// PostgreSQL, anything else a SQLite file path (`sqlite://` prefix optional). Migrating
    /// holds a lock, so that processes started at once on a new database do not race. The handle
    /// reads at [`Access::Operational`] until [`AnyStore::with_access`] says otherwise.
    pub async fn open(target: &str) -> Result<AnyStore, StoreError> {
        let t = Target::parse(target)?;
        let lock = SetupLock::take(&t).await?;
        let store = Self::open_locked(&t).await;
        lock.release().await;
        store
    }

    pub(crate) async fn open_locked(t: &Target<'_>) -> Result<AnyStore, StoreError> {
        Ok(match t {
            Target::Sqlite(p) => AnyStore::Sqlite(SqliteStore::open_locked(p).await?),
            Target::Postgres(u) => AnyStore::Postgres(PgStore::open_locked(u).await?),
        })
    }

    /// The same store with another access level (see [`access`]).
    pub fn with_access(self, access: Access) -> AnyStore {
        match self {
            AnyStore::Sqlite(s) => AnyStore::Sqlite(s.with_access(access)),
            AnyStore::Postgres(s) => AnyStore::Postgres(s.with_access(access)),
        }
    }

    /// Another handle on the same database (the connections are shared) for a requester: their
    /// access level, and the scope their writes and hazard reads are limited to.
    pub fn as_requester(&self, who: &Requester) -> AnyStore {
        self.clone().with_requester(who)
    }

    /// The same store for a requester (see [`AnyStore::as_requester`]).
    pub fn with_requester(self, who: &Requester) -> AnyStore {
        match self {
            AnyStore::Sqlite(s) => AnyStore::Sqlite(s.with_requester(who)),
            AnyStore::Postgres(s) => AnyStore::Postgres(s.with_requester(who)),
        }
    }

    /// Who asks, when a requester was set ([`AnyStore::as_requester`]).
    pub fn requester(&self) -> Option<&Requester> {
        match self {
            AnyStore::Sqlite(s) => s.requester(),
            AnyStore::Postgres(s) => s.requester(),
        }
    }

    /// The version of the data: the audit chain's head (its last entry's sequence number and
    /// hash). Every write appends to the chain, so the version changes with every write, and a
    /// cache built at one version (the safety check's index) is stale once it moved.
    pub async fn data_version(&self) -> Result<Head, StoreError> {
        self.audit_head().await
    }

    /// The version of the hazard data alone (see [`HazardVersion`]): what the safety check's
    /// shared index is keyed on. Account, field-report and registry writes do not move it.
    pub async fn hazard_version(&self) -> Result<HazardVersion, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.hazard_version().await,
            AnyStore::Postgres(s) => s.hazard_version().await,
        }
    }

    /// The reader's access level.
    pub fn access(&self) -> Access {
        match self {
            AnyStore::Sqlite(s) => s.access(),
            AnyStore::Postgres(s) => s.access(),
        }
    }

    /// Ends the session: SQLite checkpoints its write-ahead log into the database file (so that
    /// a copy of the `.db` file alone has every write) and closes its connections.
    pub async fn close(self) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.close().await,
            AnyStore::Postgres(s) => s.close().await,
        }
    }
}
