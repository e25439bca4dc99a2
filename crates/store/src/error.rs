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
    /// Geometry could not be read, checked or written.
    #[error(transparent)]
    Geo(#[from] demine_geo::GeoError),
}

pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let context = context.into();
    move |source| StoreError::Database { context, source }
}
