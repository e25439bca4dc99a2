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
}

impl PgStore {
    const BACKEND: &'static str = "postgres";

    /// Connects to `postgres://...` and brings the schema up to date (enabling PostGIS).
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let context = format!("connecting to {}", redact(url));
        let options: PgConnectOptions = url.parse().map_err(db(context.clone()))?;
        // One direct attempt first: it reports why a server cannot be reached (refused, bad
        // password, no such database), where the pool would only report a timeout.
        let probe = PgConnection::connect_with(&options)
            .await
            .map_err(db(context.clone()))?;
        probe.close().await.map_err(db(context.clone()))?;
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
        Ok(PgStore {
            pool,
            head_file: None,
        })
    }

    /// The connection pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a write transaction"))?;
        // One writer at a time: the audit chain needs each entry to follow the last committed one.
        // Readers are not blocked.
        sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db("locking the audit log"))?;
        Ok(tx)
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
        let dump = crate::Store::dump(self).await?;
        let tmp = crate::sqlite::temp_beside(path);
        let io = |source| StoreError::Io {
            path: path.into(),
            source,
        };
        let file = std::fs::File::create(&tmp).map_err(io)?;
        let mut w = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut w, &dump).map_err(|e| io(e.into()))?;
        std::io::Write::flush(&mut w).map_err(io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(io)
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
