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
    /// Where the audit chain's head is written after every write (`<db>.audit-head`).
    head_file: Option<PathBuf>,
    access: crate::Access,
    /// Who asks, when set: their scope limits writes and hazard reads (see `access`).
    who: Option<std::sync::Arc<crate::Requester>>,
    writable: bool,
}

/// How long a writer waits for another process's write transaction before it gives up with
/// [`StoreError::Busy`] (README, "Several processes").
pub const BUSY_WAIT: Duration = Duration::from_secs(10);

/// The page cache a bulk write may fill, in KiB (`PRAGMA cache_size` takes it negated): enough
/// for an import of a few hundred thousand areas to stay in memory until its commit.
const BULK_CACHE_KIB: i64 = 512 * 1024;

/// How long opening waits for another process that is creating or migrating the same database.
pub const SETUP_WAIT: Duration = Duration::from_secs(300);

/// The lock file beside a database (`demine.db.lock`): held while the database is created,
/// migrated and loaded with the bundled data, and holding the pid of the process that does it.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Checks that the folder of a database file exists, so that a typo says so instead of SQLite's
/// "unable to open database file".
pub(crate) fn check_folder(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(StoreError::NoFolder {
            path: path.to_path_buf(),
            folder: dir.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Takes the setup lock of a database file, waiting up to [`SETUP_WAIT`] for another process.
pub(crate) async fn setup_lock(path: &Path) -> Result<std::fs::File, StoreError> {
    use std::io::{Read, Seek, Write};
    check_folder(path)?;
    let lp = lock_path(path);
    let io = |source| StoreError::Io {
        path: lp.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lp)
        .map_err(|e| {
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) {
                StoreError::ReadOnly {
                    path: path.to_path_buf(),
                    reason: format!(
                        "this command writes, and the database's folder cannot be written \
                         (creating its lock file {}: {e}); run it where the database can be \
                         written, or copy the database somewhere writable",
                        lp.display()
                    ),
                }
            } else {
                io(e)
            }
        })?;
    let start = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < SETUP_WAIT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(StoreError::Busy {
                    path: path.to_path_buf(),
                    holder: describe_pid(pid.trim().parse().ok()),
                    waited_s: SETUP_WAIT.as_secs(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(file)
}

/// "another demine process (pid 123)", or as close as can be told.
pub(crate) fn describe_pid(pid: Option<u32>) -> String {
    match pid {
        Some(p) if p != std::process::id() => {
            let comm = std::fs::read_to_string(format!("/proc/{p}/comm"))
                .map(|c| c.trim().to_string())
                .unwrap_or_default();
            if comm.is_empty() {
                format!("another process (pid {p})")
            } else if comm == "demine" {
                format!("another demine process (pid {p})")
            } else {
                format!("another process ({comm}, pid {p})")
            }
        }
        _ => "another process".to_string(),
    }
}

/// The pid holding SQLite's write lock on a WAL database, read from the kernel's lock table
/// (Linux): a write lock over byte 120 of the `-shm` file is the WAL write lock; a write lock on
/// the database file itself is a writer of a database not in WAL mode.
fn writer_pid(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let mut shm = path.as_os_str().to_os_string();
    shm.push("-shm");
    let shm_ino = std::fs::metadata(&shm).ok().map(|m| m.ino());
    let db_ino = std::fs::metadata(path).ok().map(|m| m.ino());
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let mut fallback = None;
    for line in locks.lines() {
        // "1: POSIX  ADVISORY  WRITE 1234 fe:00:5416154 120 120"; waiters have "->" after "1:".
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 || f[1] != "POSIX" || f[3] != "WRITE" {
            continue;
        }
        let Ok(pid) = f[4].parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let inode = f[5].rsplit(':').next().and_then(|i| i.parse::<u64>().ok());
        let start: u64 = f[6].parse().unwrap_or(u64::MAX);
        let end: u64 = if f[7] == "EOF" {
            u64::MAX
        } else {
            f[7].parse().unwrap_or(0)
        };
        if inode.is_some() && inode == shm_ino && start <= 120 && 120 <= end {
            return Some(pid);
        }
        if inode.is_some() && inode == db_ino {
            fallback = Some(pid);
        }
    }
    fallback
}

/// Whether this process may write the database file and create files beside it (the WAL and
/// shared-memory files), found by trying rather than by reading permission bits (root, read-only
/// mounts and ACLs all make the bits lie).
pub(crate) fn can_write(path: &Path) -> bool {
    let file_ok = std::fs::OpenOptions::new().write(true).open(path).is_ok();
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let probe = path.with_file_name(format!(".{name}.{}.probe", std::process::id()));
    let dir_ok = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    file_ok && dir_ok
}

/// Whether an SQLite error is "busy" or "locked".
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 5 | 6)),
        _ => false,
    }
}

impl SqliteStore {
    const BACKEND: &'static str = "sqlite";

    fn options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_WAIT)
            .foreign_keys(true)
            // Statement journals (a multi-row INSERT on a table with triggers needs one) and
            // temporary tables in memory, not in temporary files.
            .pragma("temp_store", "memory")
    }

    /// Opens the file, creating it if missing, and brings its schema up to date. Creating and
    /// migrating hold the setup lock, so that processes started at once on a new database do not
    /// race.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let lock = setup_lock(path).await?;
        let store = Self::open_locked(path).await;
        drop(lock);
        store
    }

    /// Opens and migrates; the caller holds the setup lock.
    pub(crate) async fn open_locked(path: &Path) -> Result<SqliteStore, StoreError> {
        check_folder(path)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(Self::options(path).create_if_missing(true))
            .await
            .map_err(|e| Self::open_error(path, e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { source })?;
        // Migration 0030 added each area's measured area; measure the rows that lack it.
        hazard_impl::fill_area_m2(&pool).await?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
            head_file: Some(crate::audit::head_file_for(path)),
            access: crate::Access::Operational,
            who: None,
            writable: true,
        })
    }

    fn open_error(path: &Path, e: sqlx::Error) -> StoreError {
        let text = e.to_string();
        if text.contains("readonly") || text.contains("read-only") {
            return StoreError::ReadOnly {
                path: path.to_path_buf(),
                reason: "the database (or its folder) cannot be written, and this command writes"
                    .into(),
            };
        }
        db(format!("opening {}", path.display()))(e)
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
            head_file: None,
            access: crate::Access::Operational,
            who: None,
            writable: false,
        })
    }

    /// Opens an existing database for reading only, without writing anything (no migration, no
    /// bundled data, no WAL mode switch), so that it works on a read-only file, folder or mount.
    /// Returns `Ok(None)` when the database is missing, needs migrating or has not had its bundled
    /// data loaded yet and can be written (the caller then opens it for writing), and an error when
    /// it needs that but cannot be written.
    pub async fn open_reader(path: &Path) -> Result<Option<SqliteStore>, StoreError> {
        check_folder(path)?;
        if !path.exists() {
            return Ok(None);
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(BUSY_WAIT)
            .foreign_keys(true);
        let connect =
            |o: SqliteConnectOptions| SqlitePoolOptions::new().max_connections(4).connect_with(o);
        let pool = match connect(base.clone()).await {
            Ok(p) => match sqlx::query("SELECT count(*) FROM sqlite_master")
                .execute(&p)
                .await
            {
                Ok(_) => p,
                Err(_) => {
                    p.close().await;
                    // A WAL database in a folder nobody may write: SQLite cannot create the
                    // shared-memory file. Nothing can be writing it either, so read the file as
                    // it is.
                    connect(base.immutable(true))
                        .await
                        .map_err(db(format!("opening {} read-only", path.display())))?
                }
            },
            Err(_) => connect(base.immutable(true))
                .await
                .map_err(db(format!("opening {} read-only", path.display())))?,
        };
        let store = SqliteStore {
            pool,
            path: path.to_path_buf(),
            head_file: Some(crate::audit::head_file_for(path)),
            access: crate::Access::Operational,
            who: None,
            writable: false,
        };
        let current = store.is_current().await;
        if current.is_ok() {
            return Ok(Some(store));
        }
        store.pool.close().await;
        if can_write(path) {
            return Ok(None);
        }
        Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
            reason: format!(
                "{}, which needs a write, and the database (or its folder) cannot be written; \
                 open it once where it can be written, or copy it somewhere writable",
                current.err().unwrap_or_default()
            ),
        })
    }

    /// Ok when every migration this program knows has been applied and the bundled data loaded;
    /// otherwise what is missing.
    async fn is_current(&self) -> Result<(), String> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
                .map_err(|_| "the database has not been set up by demine yet".to_string())?;
        if MIGRATOR.iter().any(|m| !applied.contains(&m.version)) {
            return Err("the database needs migrating to this version of demine".into());
        }
        let seeded: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(crate::ops::SEEDED)
            .fetch_optional(&self.pool)
            .await
            .map_err(|_| "the database has no meta table".to_string())?;
        match seeded {
            Some(_) => Ok(()),
            None => Err("the bundled reference data has not been loaded yet".into()),
        }
    }

    /// The same store for a requester: their access level, write permission and scope.
    pub fn with_requester(mut self, who: &crate::Requester) -> SqliteStore {
        self.access = who.access;
        self.who = Some(std::sync::Arc::new(who.clone()));
        self
    }

    /// Who asks, when a requester was set.
    pub fn requester(&self) -> Option<&crate::Requester> {
        self.who.as_deref()
    }

    /// The same store with another access level.
    pub fn with_access(mut self, access: crate::Access) -> SqliteStore {
        self.access = access;
        self
    }

    /// The reader's access level.
    pub fn access(&self) -> crate::Access {
        self.access
    }

    /// Whether this handle may write (false when opened by [`SqliteStore::open_reader`]).
    pub fn writable(&self) -> bool {
        self.writable
    }

    /// The last migration applied to the file (None: not a migrated demine database).
    pub async fn schema_version(&self) -> Option<i64> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .ok()
            .flatten()
    }

    /// Whether the file was set up by demine: its migration table records demine's first
    /// migration, with the same checksum. A file that merely has a migration table (another
    /// program's) is not.
    pub async fn is_demine_database(&self) -> bool {
        let Some(first) = MIGRATOR.iter().min_by_key(|m| m.version) else {
            return false;
        };
        let found: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = $1")
                .bind(first.version)
                .fetch_optional(&self.pool)
                .await
                .ok()
                .flatten();
        found.is_some_and(|c| c == first.checksum.as_ref())
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

    /// Copies everything in the write-ahead log into the database file and empties the log, so
    /// that the `.db` file alone is complete (someone copying only it gets every write). Readers
    /// still in progress elsewhere may keep part of the log; that is reported, not an error.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if !self.writable {
            return Ok(());
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .map_err(db(format!("checkpointing {}", self.path.display())))?;
        Ok(())
    }

    /// Checkpoints the WAL (see [`SqliteStore::checkpoint`]) and closes every connection.
    pub async fn close(self) -> Result<(), StoreError> {
        let r = self.checkpoint().await;
        self.pool.close().await;
        r
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        if !self.writable {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
                reason: "opened for reading only; this needs a write".into(),
            });
        }
        // IMMEDIATE takes the write lock up front: two writers queue instead of failing when the
        // first of them tries to upgrade a read lock. The queue is bounded by BUSY_WAIT; then
        // the message says who holds the lock.
        match self.pool.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => Ok(tx),
            Err(e) if is_busy(&e) => Err(StoreError::Busy {
                path: self.path.clone(),
                holder: describe_pid(writer_pid(&self.path)),
                waited_s: BUSY_WAIT.as_secs(),
            }),
            Err(e) => Err(db("starting a write transaction")(e)),
        }
    }

    /// A write transaction for a bulk write (an import of many areas), with a page cache large
    /// enough to hold what it writes: with the default 2 MB, SQLite spilled dirty pages to the
    /// WAL in the middle of the transaction and read them back, which cost most of a large
    /// import's system time. Returns the transaction and the cache size to restore
    /// ([`SqliteStore::end_bulk_write`]) before it ends. Durability is unchanged: nothing
    /// reaches the WAL before the commit that would not have reached it anyway at the commit.
    async fn begin_bulk_write(
        &self,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Sqlite>, i64), StoreError> {
        let mut tx = self.begin_write().await?;
        let before: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *tx)
            .await
            .map_err(db("reading the page cache size"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA cache_size = -{BULK_CACHE_KIB}"
        )))
        .execute(&mut *tx)
        .await
        .map_err(db("setting the page cache size"))?;
        Ok((tx, before))
    }

    /// Gives the connection of a bulk write its cache size back (`before`, from
    /// [`SqliteStore::begin_bulk_write`]), before the transaction ends: dirty pages stay in
    /// the cache until the commit whatever its size.
    async fn end_bulk_write(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        before: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = {before}")))
            .execute(&mut **tx)
            .await
            .map_err(db("setting the page cache size"))?;
        Ok(())
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
        let done = sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(db(format!("backing up to {}", path.display())))
            .and_then(|_| {
                std::fs::rename(&tmp, path).map_err(|source| StoreError::Io {
                    path: path.into(),
                    source,
                })
            });
        if done.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        done
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

/// The temporary names of backups to `path`: `.NAME.demine-backup-PID.tmp` beside it.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.demine-backup-")
}

/// A temporary name in the same directory, so that the final rename is atomic. Leftovers of
/// backups to the same file that were killed before they finished (their process is gone) are
/// removed first.
pub(crate) fn temp_beside(path: &Path) -> PathBuf {
    remove_stale_temps(path);
    path.with_file_name(format!("{}{}.tmp", temp_prefix(path), std::process::id()))
}

/// Removes `.NAME.demine-backup-PID.tmp` files beside `path` whose process no longer runs (on
/// systems without `/proc`, every one but this process's own). Returns how many were removed.
pub(crate) fn remove_stale_temps(path: &Path) -> usize {
    let prefix = temp_prefix(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let proc_ok = Path::new("/proc/self").exists();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive =
            pid == std::process::id() || (proc_ok && Path::new(&format!("/proc/{pid}")).exists());
        if !alive && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

crate::backend::sql_backend!(SqliteStore, sqlx::Sqlite);
crate::accounts::accounts_backend!(SqliteStore);
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
