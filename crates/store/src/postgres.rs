//! The multi-user backend: PostgreSQL with PostGIS.

use std::path::Path;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use crate::StoreError;
use crate::error::db;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A registry in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Where the audit chain's head is written after every write, if anywhere.
    head_file: Option<std::path::PathBuf>,
    access: crate::Access,
    /// Who asks, when set: their scope limits writes and hazard reads (see `access`).
    who: Option<std::sync::Arc<crate::Requester>>,
}

/// The advisory lock key held while a database is migrated and loaded with the bundled data.
const SETUP_LOCK: i64 = 0x6465_6d69_6e65; // "demine"

/// A session holding the setup lock of one database; released when dropped or [`release`]d.
pub(crate) struct PgSetupLock(PgConnection);

impl PgSetupLock {
    pub(crate) async fn release(self) {
        let mut c = self.0;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(SETUP_LOCK)
            .execute(&mut c)
            .await;
        let _ = c.close().await;
    }
}

impl PgStore {
    const BACKEND: &'static str = "postgres";

    /// Connects to `postgres://...` and brings the schema up to date (enabling PostGIS), holding
    /// the setup lock while it migrates.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let lock = Self::setup_lock(url).await?;
        let store = Self::open_locked(url).await;
        lock.release().await;
        store
    }

    /// Takes the setup lock (a session-level advisory lock): processes started at once on a new
    /// database migrate and load the bundled data one after the other.
    pub(crate) async fn setup_lock(url: &str) -> Result<PgSetupLock, StoreError> {
        let context = format!("connecting to {}", redact(url));
        let options: PgConnectOptions = url.parse().map_err(db(context.clone()))?;
        // One direct attempt first: it reports why a server cannot be reached (refused, bad
        // password, no such database), where the pool would only report a timeout.
        let mut conn = PgConnection::connect_with(&options)
            .await
            .map_err(db(context.clone()))?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SETUP_LOCK)
            .execute(&mut conn)
            .await
            .map_err(db("taking the setup lock"))?;
        Ok(PgSetupLock(conn))
    }

    /// Connects and migrates; the caller holds the setup lock.
    pub(crate) async fn open_locked(url: &str) -> Result<PgStore, StoreError> {
        let context = format!("connecting to {}", redact(url));
        let options: PgConnectOptions = url.parse().map_err(db(context.clone()))?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(db(context))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { source })?;
        // Migration 0030 added each area's measured area; measure the rows that lack it.
        hazard_impl::fill_area_m2(&pool).await?;
        Ok(PgStore {
            pool,
            head_file: None,
            access: crate::Access::Operational,
            who: None,
        })
    }

    /// The same store for a requester: their access level, write permission and scope.
    pub fn with_requester(mut self, who: &crate::Requester) -> PgStore {
        self.access = who.access;
        self.who = Some(std::sync::Arc::new(who.clone()));
        self
    }

    /// Who asks, when a requester was set.
    pub fn requester(&self) -> Option<&crate::Requester> {
        self.who.as_deref()
    }

    /// The same store with another access level.
    pub fn with_access(mut self, access: crate::Access) -> PgStore {
        self.access = access;
        self
    }

    /// Whether this handle may write (a PostgreSQL handle always may; the server decides).
    pub fn writable(&self) -> bool {
        true
    }

    /// The reader's access level.
    pub fn access(&self) -> crate::Access {
        self.access
    }

    /// The connection pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(self) -> Result<(), StoreError> {
        self.pool.close().await;
        Ok(())
    }

    /// A write transaction for a bulk write: PostgreSQL needs nothing more than for any write
    /// (the `0` is the cache size SQLite's returns to be restored).
    async fn begin_bulk_write(
        &self,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, i64), StoreError> {
        Ok((self.begin_write().await?, 0))
    }

    /// Nothing to undo after a bulk write (see [`PgStore::begin_bulk_write`]).
    async fn end_bulk_write(
        _tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        _before: i64,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a write transaction"))?;
        // One writer at a time: the audit chain needs each entry to follow the last committed one.
        // Readers are not blocked. The wait for another writer is bounded like SQLite's.
        let wait = format!(
            "SET LOCAL lock_timeout = '{}s'",
            crate::sqlite::BUSY_WAIT.as_secs()
        );
        sqlx::query(sqlx::AssertSqlSafe(wait))
            .execute(&mut *tx)
            .await
            .map_err(db("setting the lock timeout"))?;
        match sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
        {
            Ok(_) => Ok(tx),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("55P03") => {
                Err(StoreError::Busy {
                    path: "PostgreSQL database".into(),
                    holder: "another session".into(),
                    waited_s: crate::sqlite::BUSY_WAIT.as_secs(),
                })
            }
            Err(e) => Err(db("locking the audit log")(e)),
        }
    }

    async fn begin_snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db("starting a snapshot"))
    }

    async fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        let dump = crate::Store::snapshot(self, crate::Internal::new()).await?;
        let tmp = crate::sqlite::temp_beside(path);
        let io = |source| StoreError::Io {
            path: path.into(),
            source,
        };
        let write = || -> Result<(), StoreError> {
            let file = std::fs::File::create(&tmp).map_err(io)?;
            let mut w = std::io::BufWriter::new(file);
            serde_json::to_writer(&mut w, &dump).map_err(|e| io(e.into()))?;
            std::io::Write::flush(&mut w).map_err(io)?;
            drop(w);
            std::fs::rename(&tmp, path).map_err(io)
        };
        let done = write();
        if done.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        done
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

crate::backend::sql_backend!(PgStore, sqlx::Postgres);
crate::accounts::accounts_backend!(PgStore);
crate::hazards::hazard_backend!(
    PgStore,
    sqlx::Postgres,
    geom_in = "ST_GeomFromWKB(?, 4326)",
    geom_out = "ST_AsBinary(?)",
    bbox = "geom && ST_MakeEnvelope({a}, {b}, {c}, {d}, 4326)",
    rtree = None::<&str>,
    after_restore = [
        "SELECT setval(pg_get_serial_sequence('release_activities', 'id'), \
         GREATEST((SELECT MAX(id) FROM release_activities), 1))",
        "SELECT setval(pg_get_serial_sequence('device_finds', 'id'), \
         GREATEST((SELECT MAX(id) FROM device_finds), 1))",
    ]
);

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
