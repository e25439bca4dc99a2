//! The embedded backend: one SQLite file in WAL mode, created and migrated on first use.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;
use crate::error::db;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// A registry in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    const BACKEND: &'static str = "sqlite";

    fn options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(60))
            .foreign_keys(true)
    }

    /// Opens the file, creating it if missing, and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(Self::options(path).create_if_missing(true))
            .await
            .map_err(db(format!("opening {}", path.display())))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { source })?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing file (a backup, say) read-only, without migrating it.
    pub async fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true)
                    .foreign_keys(true),
            )
            .await
            .map_err(db(format!("opening {}", path.display())))?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// The last migration applied to the file (None: not a migrated demine database).
    pub async fn schema_version(&self) -> Option<i64> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .ok()
            .flatten()
    }

    /// The last migration this program knows.
    pub fn latest_schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        // IMMEDIATE takes the write lock up front: two writers queue instead of failing when the
        // first of them tries to upgrade a read lock.
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("starting a write transaction"))
    }

    async fn begin_snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        // In WAL mode a read transaction sees one snapshot from its first read to its end.
        self.pool
            .begin()
            .await
            .map_err(db("starting a read transaction"))
    }

    async fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        if same_file(path, &self.path) {
            return Err(StoreError::BadFile {
                file: path.display().to_string(),
                reason: "that is the database itself; choose another file for the backup".into(),
            });
        }
        let tmp = temp_beside(path);
        let _ = std::fs::remove_file(&tmp);
        let target = tmp.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(db(format!("backing up to {}", path.display())))?;
        std::fs::rename(&tmp, path).map_err(|source| StoreError::Io {
            path: path.into(),
            source,
        })
    }
}

/// Whether two paths name the same file (the first may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let full = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(p.file_name()?))
    };
    matches!((full(a), full(b)), (Some(x), Some(y)) if x == y)
}

/// A temporary name in the same directory, so that the final rename is atomic.
pub(crate) fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

crate::backend::sql_backend!(SqliteStore, sqlx::Sqlite);
crate::hazards::hazard_backend!(
    SqliteStore,
    sqlx::Sqlite,
    geom_in = "?",
    geom_out = "?",
    bbox = "id IN (SELECT id FROM hazard_area_bbox WHERE max_lon >= {a} AND min_lon <= {c} \
            AND max_lat >= {b} AND min_lat <= {d})",
    rtree = Some("hazard_area_bbox"),
    after_restore = [""; 0]
);
