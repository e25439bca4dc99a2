//! Test harness: a fresh database of either backend. PostgreSQL tests need DEMINE_TEST_PG_URL
//! (scripts/test sets it); without it they fail, unless DEMINE_SKIP_PG=1 says to skip them.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

use demine_store::{Access, AnyStore, SqliteStore};
use sqlx::Connection;

#[derive(Debug)]
pub struct Fresh {
    pub store: AnyStore,
    pub target: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Fresh {
    pub async fn sqlite() -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.db");
        let store = AnyStore::Sqlite(SqliteStore::open(&path).await.unwrap())
            .with_access(Access::Restricted);
        Fresh {
            store,
            target: path.display().to_string(),
            _dir: Some(dir),
            pg: None,
        }
    }

    /// None when PostgreSQL is deliberately skipped.
    pub async fn postgres() -> Option<Fresh> {
        let (admin, url, name) = pg_database().await?;
        let store = AnyStore::open(&url)
            .await
            .unwrap()
            .with_access(Access::Restricted);
        Some(Fresh {
            store,
            target: url,
            _dir: None,
            pg: Some((admin, name)),
        })
    }

    /// Another connection to the same database (a second process, as it were).
    pub async fn reopen(&self) -> AnyStore {
        AnyStore::open(&self.target)
            .await
            .unwrap()
            .with_access(Access::Restricted)
    }

    /// Runs raw SQL, bypassing demine (to simulate tampering).
    pub async fn exec(&self, sql: &'static str) -> Result<(), sqlx::Error> {
        match &self.store {
            AnyStore::Sqlite(s) => sqlx::raw_sql(sql).execute(s.pool()).await.map(|_| ()),
            AnyStore::Postgres(s) => sqlx::raw_sql(sql).execute(s.pool()).await.map(|_| ()),
        }
    }

    /// The measured area stored beside an area's geometry (`hazard_areas.area_m2`), read
    /// directly (None: the row or the value is missing).
    pub async fn stored_area_m2(&self, id: i64) -> Option<f64> {
        let sql = "SELECT area_m2 FROM hazard_areas WHERE id = $1";
        let r = match &self.store {
            AnyStore::Sqlite(s) => {
                sqlx::query_scalar::<_, Option<f64>>(sql)
                    .bind(id)
                    .fetch_optional(s.pool())
                    .await
            }
            AnyStore::Postgres(s) => {
                sqlx::query_scalar::<_, Option<f64>>(sql)
                    .bind(id)
                    .fetch_optional(s.pool())
                    .await
            }
        };
        r.unwrap().flatten()
    }

    /// Runs raw SQL made at run time, bypassing demine (to simulate tampering).
    pub async fn exec_sql(&self, sql: String) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        match &self.store {
            AnyStore::Sqlite(s) => sqlx::raw_sql(sql).execute(s.pool()).await.map(|_| ()),
            AnyStore::Postgres(s) => sqlx::raw_sql(sql).execute(s.pool()).await.map(|_| ()),
        }
    }

    pub async fn finish(mut self) {
        match &self.store {
            AnyStore::Sqlite(s) => s.pool().close().await,
            AnyStore::Postgres(s) => s.pool().close().await,
        }
        if let Some((admin, name)) = self.pg.take() {
            drop_database(&admin, &name).await;
        }
    }
}

impl Drop for Fresh {
    /// A test that failed before `finish` still drops its PostgreSQL database.
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_database(&admin, &name));
                }
            })
            .join();
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates a fresh database on the test cluster; returns (admin URL, its URL, its name).
pub async fn pg_database() -> Option<(String, String, String)> {
    let admin = match std::env::var("DEMINE_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var("DEMINE_SKIP_PG").as_deref() == Ok("1") {
                eprintln!("DEMINE_SKIP_PG=1: skipping the PostgreSQL half of this test");
                return None;
            }
            panic!(
                "DEMINE_TEST_PG_URL is not set: run scripts/test (which starts a throwaway \
                 PostgreSQL), or set DEMINE_SKIP_PG=1 to skip the PostgreSQL half on purpose"
            );
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "demine_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, query) = match admin.find('?') {
        Some(i) => (&admin[..i], &admin[i..]),
        None => (admin.as_str(), ""),
    };
    let slash = base.rfind('/').unwrap();
    let url = format!("{}/{name}{query}", &base[..slash]);
    Some((admin.clone(), url, name))
}

pub async fn drop_database(admin: &str, name: &str) {
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
}

/// A casualties file of `n` rows (all in Afghanistan), with an HXL row.
pub fn casualties_csv(n: usize) -> String {
    let mut s = String::from(
        "id,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n\
         #event+id,#date,#country+code,#adm1+name,#item+device,#affected+killed,#affected+injured,#category+group,#category+age,#category+sex,#meta+source\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "C{i:07},2020-{:02}-{:02},AFG,Helmand,ap-mine,{},{},civilian,adult,male,test\n",
            i % 12 + 1,
            i % 28 + 1,
            i % 3,
            i % 2
        ));
    }
    s
}
