use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database error while {context}: {source}")]
    Database {
        context: String,
        #[source]
        source: sqlx::Error,
    },
    /// A migration could not be applied.
    #[error("could not migrate the database: {source}")]
    Migrate {
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A row of an imported file is wrong; nothing of the import was stored.
    #[error("{file}:{line}: column {column}: {reason} (nothing was imported)")]
    Invalid {
        file: String,
        line: u64,
        column: String,
        reason: String,
    },
    /// A file as a whole is wrong (not CSV, no header, not a backup, ...).
    #[error("{file}: {reason}")]
    BadFile { file: String, reason: String },
    /// The treaty engine rejected a State's events.
    #[error("treaty engine, for {iso3}: {reason}")]
    Treaty { iso3: String, reason: String },
    /// Something asked for is not in the registry.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// A stored row does not decode as its schema says (the database was changed by hand?).
    #[error("stored data is corrupt in {table}: {reason}")]
    Corrupt { table: String, reason: String },
    /// The database URL names a backend this program does not have.
    #[error("unsupported database URL {url:?}: use a file path (SQLite) or postgres://...")]
    UnsupportedUrl { url: String },
    /// Features of an imported file are wrong; nothing of the import was stored.
    #[error("{file}: {} feature fault(s), nothing imported:{}", .faults.len(), list_faults(.faults))]
    Features {
        file: String,
        faults: Vec<FeatureFault>,
    },
    /// A restore would remove data present now and was not forced; nothing was changed.
    #[error(
        "{file}: restoring it would remove what the database holds now: {what}; nothing was \
         changed (give --force to restore anyway: the current database is kept as a backup first)"
    )]
    WouldRemove { file: String, what: String },
    /// The reader's access level does not allow this read (see `access`).
    #[error(
        "{what} needs access level {needs}; this reader has {have} (give --access {needs} if you \
         are entitled to it)"
    )]
    Forbidden {
        what: String,
        needs: crate::Access,
        have: crate::Access,
    },
    /// The requester may not make this write: they read only, or it is outside their scope (a
    /// State, an organisation). Nothing was changed.
    #[error("refused: {reason}; nothing was changed")]
    Refused { reason: String },
    /// The folder a database file should be in does not exist.
    #[error("no folder {}: the database {} cannot be created there (create the folder first, or give another --db)", folder.display(), path.display())]
    NoFolder { path: PathBuf, folder: PathBuf },
    /// The database cannot be written here, and this needs a write.
    #[error("{}: {reason}", path.display())]
    ReadOnly { path: PathBuf, reason: String },
    /// Another process holds the write lock for longer than demine waits.
    #[error("{}: {holder} is writing to this database and did not finish within {waited_s} s; wait for it to finish (or stop it) and run this again", path.display())]
    Busy {
        path: PathBuf,
        /// Who holds it, as well as can be told: `another demine process (pid 123)`.
        holder: String,
        waited_s: u64,
    },
    /// A change conflicts with what is stored (a name taken, a report no longer a draft).
    #[error("{what}: {reason}")]
    Conflict { what: String, reason: String },
    /// Geometry could not be read, checked or written.
    #[error(transparent)]
    Geo(#[from] demine_geo::GeoError),
}

/// What is wrong with one feature of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureFault {
    /// Its position in the file, from 0.
    pub index: usize,
    /// Its id as written, if any.
    pub id: Option<String>,
    /// What is wrong, naming the property at fault.
    pub reason: String,
}

impl std::fmt::Display for FeatureFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "feature #{} (id {}): {}",
            self.index,
            self.id.as_deref().unwrap_or("-"),
            self.reason
        )
    }
}

fn list_faults(faults: &[FeatureFault]) -> String {
    const SHOWN: usize = 20;
    let mut s = String::new();
    for f in faults.iter().take(SHOWN) {
        s.push_str("\n  error: ");
        s.push_str(&f.to_string());
    }
    if faults.len() > SHOWN {
        s.push_str(&format!("\n  ... and {} more", faults.len() - SHOWN));
    }
    s
}

pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let context = context.into();
    move |source| StoreError::Database { context, source }
}

/// What the registry's computations refuse, as the store's callers have always seen it: the
/// treaty engine's refusals and a State not found keep their variants (and so their exit codes
/// and HTTP statuses).
impl From<demine_analytics::AnalyticsError> for StoreError {
    fn from(e: demine_analytics::AnalyticsError) -> StoreError {
        use demine_analytics::AnalyticsError as A;
        match e {
            A::Treaty { iso3, reason } => StoreError::Treaty { iso3, reason },
            A::NotFound { what } => StoreError::NotFound { what },
            A::BadFigure {
                what,
                value,
                reason,
            } => StoreError::Conflict {
                what,
                reason: format!("{value} is not a usable figure ({reason})"),
            },
        }
    }
}
