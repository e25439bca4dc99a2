//! The SQL both backends share. The statements are identical text for SQLite and PostgreSQL
//! (numbered `$n` parameters work in both); only the Rust types of the driver differ, so the
//! implementation is written once as a macro and instantiated for each driver. What truly differs
//! (opening, how a write transaction starts, backup) lives in `sqlite.rs` and `postgres.rs`.

use demine_core::schema::Table;

/// `"name"`: identifiers are quoted (a column is called `group`). They come only from the static
/// schema, never from input.
pub(crate) fn q(name: &str) -> String {
    format!("\"{name}\"")
}

pub(crate) fn column_list(t: &Table) -> String {
    t.columns
        .iter()
        .map(|c| q(c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn select_sql(t: &Table, by_iso3: bool) -> String {
    let filter = if by_iso3 { " WHERE \"iso3\" = $1" } else { "" };
    format!(
        "SELECT {} FROM {}{filter} ORDER BY row_id",
        column_list(t),
        t.sql
    )
}

pub(crate) fn select_by_key_sql(t: &Table) -> String {
    let cond: Vec<String> = t
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} = ${}", q(k), i + 1))
        .collect();
    format!(
        "SELECT {} FROM {} WHERE {}",
        column_list(t),
        t.sql,
        cond.join(" AND ")
    )
}

pub(crate) fn insert_sql(t: &Table) -> String {
    let params: Vec<String> = (1..=t.columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        t.sql,
        column_list(t),
        params.join(", ")
    )
}

pub(crate) fn update_sql(t: &Table) -> String {
    let n = t.columns.len();
    let set: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", q(c.name), i + 1))
        .collect();
    let cond: Vec<String> = t
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} = ${}", q(k), n + i + 1))
        .collect();
    format!(
        "UPDATE {} SET {} WHERE {}",
        t.sql,
        set.join(", "),
        cond.join(" AND ")
    )
}

pub(crate) const AUDIT_COLUMNS: &str =
    "seq, at, actor, entity, key, before, after, prev_hash, hash";

/// Audit entries per multi-row INSERT (9 parameters each).
pub(crate) const AUDIT_BATCH: usize = 512;

/// A multi-row statement's parameters as SQLite binds them fastest. Written `$1, $2, ...` (the
/// text both backends share), every parameter of a many-row INSERT made SQLite's
/// `sqlite3_bind_parameter_name` (which sqlx calls for each one) scan the list of all of them: a
/// fifth of a large import's time. For SQLite, parameters that appear exactly once each, in the
/// order `$1, $2, ...`, become anonymous `?`, which bind to the same positions without a list; any
/// other text (PostgreSQL, or parameters out of order or repeated) is returned unchanged.
pub(crate) fn positional_for<DB: sqlx::Database>(sql: String) -> String {
    if DB::NAME != "SQLite" {
        return sql;
    }
    anonymous_params(sql)
}

/// `$1, $2, ...` (each once, in order) as `?`; anything else unchanged.
pub(crate) fn anonymous_params(sql: String) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1u64;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > start {
                let n: u64 = match sql[start..j].parse() {
                    Ok(n) => n,
                    Err(_) => return sql,
                };
                if n != expected {
                    return sql;
                }
                expected += 1;
                out.push_str(&sql[last..i]);
                out.push('?');
                last = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&sql[last..]);
    out
}

/// Implements [`crate::Store`] for `$store`, whose `pool` field is a `sqlx::Pool<$db>`, and which
/// has `begin_write`, `begin_snapshot` and `backup_to` methods of its own.
macro_rules! sql_backend {
    ($store:ty, $db:ty) => {
        type Tx = sqlx::Transaction<'static, $db>;
        type Q<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

        fn bind_value<'q>(
            q: Q<'q>,
            storage: demine_core::schema::Storage,
            v: &demine_core::schema::Value,
        ) -> Q<'q> {
            use demine_core::schema::{Storage, Value};
            match (v, storage) {
                (Value::Text(s), _) => q.bind(s.clone()),
                (Value::Int(i), _) => q.bind(*i),
                (Value::Real(f), _) => q.bind(*f),
                (Value::Bool(b), _) => q.bind(*b),
                (Value::Null, Storage::Text) => q.bind(Option::<String>::None),
                (Value::Null, Storage::Int) => q.bind(Option::<i64>::None),
                (Value::Null, Storage::Real) => q.bind(Option::<f64>::None),
                (Value::Null, Storage::Bool) => q.bind(Option::<bool>::None),
            }
        }

        fn decode_row(
            table: &demine_core::schema::Table,
            row: &<$db as sqlx::Database>::Row,
        ) -> Result<crate::Record, crate::StoreError> {
            use demine_core::schema::{Storage, Value};
            use sqlx::Row as _;
            let corrupt = |e: sqlx::Error| crate::StoreError::Corrupt {
                table: table.sql.to_string(),
                reason: e.to_string(),
            };
            let mut out = Vec::with_capacity(table.columns.len());
            for (i, c) in table.columns.iter().enumerate() {
                let v = match c.ty.storage() {
                    Storage::Text => {
                        row.try_get::<Option<String>, _>(i).map_err(corrupt)?.map(Value::Text)
                    }
                    Storage::Int => row.try_get::<Option<i64>, _>(i).map_err(corrupt)?.map(Value::Int),
                    Storage::Real => {
                        row.try_get::<Option<f64>, _>(i).map_err(corrupt)?.map(Value::Real)
                    }
                    Storage::Bool => {
                        row.try_get::<Option<bool>, _>(i).map_err(corrupt)?.map(Value::Bool)
                    }
                };
                out.push(v.unwrap_or(Value::Null));
            }
            Ok(out)
        }

        fn decode_audit(
            row: &<$db as sqlx::Database>::Row,
        ) -> Result<crate::AuditEntry, sqlx::Error> {
            use sqlx::Row as _;
            Ok(crate::AuditEntry {
                seq: row.try_get(0)?,
                at: row.try_get(1)?,
                actor: row.try_get(2)?,
                entity: row.try_get(3)?,
                key: row.try_get(4)?,
                before: row.try_get(5)?,
                after: row.try_get(6)?,
                prev_hash: row.try_get(7)?,
                hash: row.try_get(8)?,
            })
        }

        async fn read_records(
            conn: &mut <$db as sqlx::Database>::Connection,
            kind: demine_core::schema::Kind,
            iso3: Option<&str>,
        ) -> Result<Vec<crate::Record>, crate::StoreError> {
            let table = kind.table();
            let by_iso3 = iso3.is_some() && table.index("iso3").is_some();
            let sql = crate::backend::select_sql(table, by_iso3);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let (true, Some(code)) = (by_iso3, iso3) {
                q = q.bind(code.to_string());
            }
            let rows = q
                .fetch_all(&mut *conn)
                .await
                .map_err(crate::error::db(format!("reading {}", table.sql)))?;
            rows.iter().map(|r| decode_row(table, r)).collect()
        }

        async fn read_audit(
            conn: &mut <$db as sqlx::Database>::Connection,
        ) -> Result<Vec<crate::AuditEntry>, crate::StoreError> {
            let sql = format!(
                "SELECT {} FROM audit_log ORDER BY seq",
                crate::backend::AUDIT_COLUMNS
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await
                .map_err(crate::error::db("reading the audit log"))?;
            rows.iter()
                .map(decode_audit)
                .collect::<Result<_, _>>()
                .map_err(|e| crate::StoreError::Corrupt {
                    table: "audit_log".into(),
                    reason: e.to_string(),
                })
        }

        /// The audit chain's head inside a write transaction, to append to.
        async fn last_audit(tx: &mut Tx) -> Result<crate::audit::Chain, crate::StoreError> {
            use sqlx::Row as _;
            let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut **tx)
                .await
                .map_err(crate::error::db("reading the last audit entry"))?;
            match row {
                None => Ok(crate::audit::Chain::after(0, crate::audit::GENESIS.to_string())),
                Some(r) => Ok(crate::audit::Chain::after(
                    r.try_get(0).map_err(crate::error::db("reading the last audit entry"))?,
                    r.try_get(1).map_err(crate::error::db("reading the last audit entry"))?,
                )),
            }
        }

        /// Writes audit entries, in order, a few per statement: the one writer of the audit log.
        async fn write_audit(
            tx: &mut Tx,
            entries: &[crate::AuditEntry],
        ) -> Result<(), crate::StoreError> {
            for chunk in entries.chunks(crate::backend::AUDIT_BATCH) {
                let mut sql =
                    format!("INSERT INTO audit_log ({}) VALUES ", crate::backend::AUDIT_COLUMNS);
                for r in 0..chunk.len() {
                    if r > 0 {
                        sql.push_str(", ");
                    }
                    let p: Vec<String> = (1..=9).map(|c| format!("${}", r * 9 + c)).collect();
                    sql.push_str(&format!("({})", p.join(", ")));
                }
                let sql = crate::backend::positional_for::<$db>(sql);
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for e in chunk {
                    q = q
                        .bind(e.seq)
                        .bind(e.at.clone())
                        .bind(e.actor.clone())
                        .bind(e.entity.clone())
                        .bind(e.key.clone())
                        .bind(e.before.clone())
                        .bind(e.after.clone())
                        .bind(e.prev_hash.clone())
                        .bind(e.hash.clone());
                }
                q.execute(&mut **tx)
                    .await
                    .map_err(crate::error::db("appending to the audit log"))?;
            }
            Ok(())
        }

        /// Writes what the chain holds.
        async fn flush_audit(
            tx: &mut Tx,
            chain: &mut crate::audit::Chain,
        ) -> Result<(), crate::StoreError> {
            write_audit(tx, &chain.take()).await
        }

        async fn insert_record(
            tx: &mut Tx,
            table: &demine_core::schema::Table,
            sql: &str,
            values: &[demine_core::schema::Value],
        ) -> Result<(), sqlx::Error> {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            for (c, v) in table.columns.iter().zip(values) {
                q = bind_value(q, c.ty.storage(), v);
            }
            q.execute(&mut **tx).await?;
            Ok(())
        }

        impl $store {
            /// The head file this store keeps up to date, if any.
            pub fn head_file(&self) -> Option<&std::path::Path> {
                self.head_file.as_deref()
            }

            /// Where to keep the audit head after every write (None: nowhere).
            pub fn set_head_file(&mut self, path: Option<std::path::PathBuf>) {
                self.head_file = path;
            }

            /// The audit chain's head as committed.
            pub async fn audit_head(&self) -> Result<crate::audit::Head, crate::StoreError> {
                let row: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(crate::error::db("reading the audit head"))?;
                let (seq, hash) = row.unwrap_or((0, crate::audit::GENESIS.to_string()));
                Ok(crate::audit::Head {
                    entries: Some(seq),
                    hash,
                })
            }

            /// The hazard data version as committed: one read of a one-row table.
            pub async fn hazard_version(
                &self,
            ) -> Result<crate::hazards::HazardVersion, crate::StoreError> {
                let (n, token): (i64, i64) =
                    sqlx::query_as("SELECT n, token FROM hazard_version WHERE id = 1")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(crate::error::db("reading the hazard data version"))?;
                Ok(crate::hazards::HazardVersion { n, token })
            }

            /// After a commit: writes the chain's head to the head file, if there is one.
            pub async fn note_head(&self) -> Result<(), crate::StoreError> {
                self.write_head(false).await
            }

            async fn write_head(&self, force: bool) -> Result<(), crate::StoreError> {
                let Some(path) = &self.head_file else {
                    return Ok(());
                };
                let head = self.audit_head().await?;
                crate::audit::write_head_file(path, &head, force)
            }
        }

        /// A batch's checks and writes inside `tx`. With `insert_only`, a row whose key is stored
        /// already is refused instead of changing the stored row.
        async fn apply_in(
            store: &$store,
            tx: &mut Tx,
            batch: &crate::Batch,
            actor: &str,
            progress: crate::Progress<'_>,
            insert_only: bool,
        ) -> Result<crate::ApplyReport, crate::StoreError> {
                use demine_core::schema::{FieldType, Kind, Value};
                use std::collections::{HashMap, HashSet};
                let table = batch.kind.table();
                let total = batch.rows.len() as u64;
                if let Some(who) = store.who.as_deref() {
                    // A scoped writer writes only rows filed under their State.
                    let at = table
                        .columns
                        .iter()
                        .position(|c| c.ty == FieldType::Iso3 && c.name == "iso3");
                    for row in &batch.rows {
                        let iso3 = at.and_then(|i| match row.values.get(i) {
                            Some(Value::Text(t)) => Some(t.as_str()),
                            _ => None,
                        });
                        crate::access::require_write(
                            Some(who),
                            iso3,
                            None,
                            &format!("{}:{}: a row of {}", batch.file, row.line, table.name),
                        )?;
                    }
                }
                let mut known: HashSet<String> = HashSet::new();
                {
                    use sqlx::Row as _;
                    let rows = sqlx::query("SELECT iso3 FROM states")
                        .fetch_all(&mut **tx)
                        .await
                        .map_err(crate::error::db("reading the States"))?;
                    for r in rows {
                        known.insert(r.try_get(0).map_err(crate::error::db("reading the States"))?);
                    }
                }
                if batch.kind == Kind::States {
                    for row in &batch.rows {
                        if let Some(Value::Text(c)) = row.values.first() {
                            known.insert(c.clone());
                        }
                    }
                }
                let invalid = |line: u64, column: &str, reason: String| crate::StoreError::Invalid {
                    file: batch.file.clone(),
                    line,
                    column: column.to_string(),
                    reason,
                };
                let mut seen: HashMap<String, u64> = HashMap::new();
                let select = crate::backend::select_by_key_sql(table);
                let insert = crate::backend::insert_sql(table);
                let update = crate::backend::update_sql(table);
                let key_idx = table.key_indices();
                let mut chain = last_audit(tx).await?;
                let mut report = crate::ApplyReport {
                    kind: table.name.to_string(),
                    file: batch.file.clone(),
                    rows: total,
                    ..Default::default()
                };
                for (n, row) in batch.rows.iter().enumerate() {
                    for (c, v) in table.columns.iter().zip(&row.values) {
                        if c.ty == FieldType::Iso3 && !(batch.kind == Kind::States && c.name == "iso3") {
                            if let Value::Text(code) = v {
                                if !known.contains(code) {
                                    return Err(invalid(
                                        row.line,
                                        c.name,
                                        format!("unknown ISO3 code {code:?}: no such State in the registry"),
                                    ));
                                }
                            }
                        }
                    }
                    let key = table.key_text(&row.values);
                    // A restricted row's key holds a name: messages never show it.
                    let restricted = crate::access::is_restricted(batch.kind);
                    let shown_key = if restricted {
                        "(withheld: restricted personal data)".to_string()
                    } else {
                        key.clone()
                    };
                    let refused = |e: sqlx::Error| {
                        if restricted {
                            "the database refused the row (details withheld: restricted personal data)"
                                .to_string()
                        } else {
                            format!("the database refused the row: {e}")
                        }
                    };
                    if let Some(first) = seen.insert(key.clone(), row.line) {
                        return Err(invalid(
                            row.line,
                            &table.key.join("+"),
                            format!("duplicate key {shown_key}: the same record is on line {first}"),
                        ));
                    }
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(select.clone()));
                    for &i in &key_idx {
                        q = bind_value(q, table.columns[i].ty.storage(), &row.values[i]);
                    }
                    let existing = q
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(crate::error::db(format!("looking up {} {shown_key}", table.name)))?;
                    let existing = existing.map(|r| decode_row(table, &r)).transpose()?;
                    if insert_only && existing.is_some() {
                        return Err(crate::StoreError::Conflict {
                            what: format!("{} {shown_key}", table.name),
                            reason: format!(
                                "{}:{}: a record with this key is stored already; it is not \
                                 overwritten",
                                batch.file, row.line
                            ),
                        });
                    }
                    let after = serde_json::Value::Object(table.to_json(&row.values)).to_string();
                    let before = match &existing {
                        Some(old) if *old == row.values => {
                            report.unchanged += 1;
                            continue;
                        }
                        Some(old) => {
                            let mut q = sqlx::query(sqlx::AssertSqlSafe(update.clone()));
                            for (c, v) in table.columns.iter().zip(&row.values) {
                                q = bind_value(q, c.ty.storage(), v);
                            }
                            for &i in &key_idx {
                                q = bind_value(q, table.columns[i].ty.storage(), &row.values[i]);
                            }
                            q.execute(&mut **tx)
                                .await
                                .map_err(|e| invalid(row.line, "-", refused(e)))?;
                            report.updated += 1;
                            Some(serde_json::Value::Object(table.to_json(old)).to_string())
                        }
                        None => {
                            insert_record(tx, table, &insert, &row.values)
                                .await
                                .map_err(|e| invalid(row.line, "-", refused(e)))?;
                            report.inserted += 1;
                            None
                        }
                    };
                    chain.append(actor, table.name, &key, before, Some(after));
                    if chain.pending() >= crate::backend::AUDIT_BATCH {
                        flush_audit(tx, &mut chain).await?;
                    }
                    if n % 256 == 0 {
                        progress(n as u64, total);
                    }
                }
                flush_audit(tx, &mut chain).await?;
                Ok(report)
        }


        impl crate::Store for $store {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            async fn records(
                &self,
                kind: demine_core::schema::Kind,
                iso3: Option<&str>,
            ) -> Result<Vec<crate::Record>, crate::StoreError> {
                let t = kind.table();
                crate::access::require(
                    self.access,
                    t.sensitivity,
                    &format!("{} ({})", t.name, crate::access::tier_name(t.sensitivity)),
                )?;
                let mut conn =
                    self.pool.acquire().await.map_err(crate::error::db("connecting"))?;
                read_records(&mut conn, kind, iso3).await
            }

            async fn apply(
                &self,
                batch: &crate::Batch,
                actor: &str,
                progress: crate::Progress<'_>,
            ) -> Result<crate::ApplyReport, crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let report = apply_in(self, &mut tx, batch, actor, progress, false).await?;
                tx.commit().await.map_err(crate::error::db("committing the import"))?;
                self.note_head().await?;
                progress(batch.rows.len() as u64, batch.rows.len() as u64);
                Ok(report)
            }

            async fn audit_entries(&self) -> Result<Vec<crate::AuditEntry>, crate::StoreError> {
                let mut conn =
                    self.pool.acquire().await.map_err(crate::error::db("connecting"))?;
                let all = read_audit(&mut conn).await?;
                Ok(crate::access::redact_entries(all, self.access))
            }

            fn access(&self) -> crate::Access {
                self.access
            }

            async fn meta(&self, key: &str) -> Result<Option<String>, crate::StoreError> {
                sqlx::query_scalar::<_, String>("SELECT value FROM meta WHERE key = $1")
                    .bind(key.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(crate::error::db(format!("reading meta {key}")))
            }

            async fn set_meta(&self, key: &str, value: &str) -> Result<(), crate::StoreError> {
                // Meta facts are facts too (whether the bundled data was loaded, ...): each change
                // is in the audit chain, so that `audit verify` can check the table.
                let ctx = || crate::error::db(format!("writing meta {key}"));
                let mut tx = self.begin_write().await?;
                let before: Option<String> =
                    sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
                        .bind(key.to_string())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(ctx())?;
                if before.as_deref() == Some(value) {
                    return Ok(());
                }
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key.to_string())
                .bind(value.to_string())
                .execute(&mut *tx)
                .await
                .map_err(ctx())?;
                let mut chain = last_audit(&mut tx).await?;
                chain.append(
                    crate::audit::META_ACTOR,
                    crate::audit::META_ENTITY,
                    key,
                    before,
                    Some(value.to_string()),
                );
                flush_audit(&mut tx, &mut chain).await?;
                tx.commit().await.map_err(ctx())?;
                self.note_head().await
            }

            async fn snapshot(&self, _: crate::Internal) -> Result<crate::Dump, crate::StoreError> {
                use sqlx::Row as _;
                let mut tx = self.begin_snapshot().await?;
                let mut dump = crate::Dump {
                    format: crate::DUMP_FORMAT.to_string(),
                    version: 1,
                    ..Default::default()
                };
                for kind in demine_core::schema::Kind::ALL {
                    let table = kind.table();
                    let rows = read_records(&mut tx, kind, None).await?;
                    dump.tables.insert(
                        table.name.to_string(),
                        rows.iter().map(|r| table.to_json(r)).collect(),
                    );
                }
                hazard_impl::dump_hazards(&mut tx, &mut dump).await?;
                dump.audit = read_audit(&mut tx).await?;
                let meta = sqlx::query("SELECT key, value FROM meta ORDER BY key")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(crate::error::db("reading meta"))?;
                for r in meta {
                    let k: String = r.try_get(0).map_err(crate::error::db("reading meta"))?;
                    let v: String = r.try_get(1).map_err(crate::error::db("reading meta"))?;
                    dump.meta.insert(k, v);
                }
                tx.commit().await.map_err(crate::error::db("ending the snapshot"))?;
                Ok(dump)
            }

            async fn replace_all(
                &self,
                dump: &crate::Dump,
                actor: &str,
                what: &str,
            ) -> Result<(), crate::StoreError> {
                use demine_core::schema::Kind;
                crate::access::require_write_all(self.who.as_deref(), "a restore")?;
                // Check everything before touching anything.
                let mut tables = Vec::new();
                for kind in Kind::ALL {
                    let table = kind.table();
                    let rows = dump.tables.get(table.name).map(Vec::as_slice).unwrap_or(&[]);
                    let mut records = Vec::with_capacity(rows.len());
                    for (n, obj) in rows.iter().enumerate() {
                        records.push(table.from_json(obj).map_err(|(i, reason)| {
                            let c = &table.columns[i];
                            crate::StoreError::Invalid {
                                file: what.to_string(),
                                line: n as u64 + 1,
                                column: format!("{}.{}", table.name, c.name),
                                reason: if crate::access::is_restricted(kind) {
                                    crate::access::withheld_reason(c.name, &c.ty.describe())
                                } else {
                                    reason
                                },
                            }
                        })?);
                    }
                    tables.push((table, records));
                }
                let mut tx = self.begin_write().await?;
                let ctx = |s: &str| crate::error::db(format!("restoring: {s}"));
                sqlx::query("INSERT INTO meta (key, value) VALUES ('restoring', '1')")
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx("marking the restore"))?;
                sqlx::query("DELETE FROM audit_log")
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx("clearing the audit log"))?;
                for (table, _) in tables.iter().rev() {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {}", table.sql)))
                        .execute(&mut *tx)
                        .await
                        .map_err(ctx(table.sql))?;
                }
                sqlx::query("DELETE FROM meta WHERE key <> 'restoring'")
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx("clearing meta"))?;
                for (table, records) in &tables {
                    let sql = crate::backend::insert_sql(table);
                    for r in records {
                        insert_record(&mut tx, table, &sql, r).await.map_err(|e| {
                            if crate::access::is_restricted(table.kind) {
                                crate::StoreError::Invalid {
                                    file: what.to_string(),
                                    line: 0,
                                    column: table.name.to_string(),
                                    reason: "the database refused a row (details withheld: \
                                             restricted personal data)"
                                        .into(),
                                }
                            } else {
                                ctx(table.sql)(e)
                            }
                        })?;
                    }
                }
                hazard_impl::restore_hazards(&mut tx, dump).await?;
                write_audit(&mut tx, &dump.audit).await?;
                for (k, v) in dump.meta.iter().filter(|(k, _)| k.as_str() != "restoring") {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                        .bind(k.clone())
                        .bind(v.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(ctx("meta"))?;
                }
                sqlx::query("DELETE FROM meta WHERE key = 'restoring'")
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx("ending the restore"))?;
                let mut chain = last_audit(&mut tx).await?;
                let records: usize = tables.iter().map(|(_, r)| r.len()).sum();
                let after = serde_json::json!({ "restored_from": what, "records": records });
                chain.append(actor, "database", "restore", None, Some(after.to_string()));
                flush_audit(&mut tx, &mut chain).await?;
                tx.commit().await.map_err(ctx("committing"))?;
                self.write_head(true).await?;
                Ok(())
            }

            async fn backup(&self, path: &std::path::Path) -> Result<(), crate::StoreError> {
                // A backup is a copy of everything: it needs the level of the most sensitive
                // data the database holds.
                for kind in demine_core::schema::Kind::ALL {
                    let t = kind.table();
                    if self.access.allows(t.sensitivity) {
                        continue;
                    }
                    let sql = format!("SELECT 1 FROM {} LIMIT 1", t.sql);
                    let any = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(crate::error::db(format!("reading {}", t.sql)))?;
                    if any.is_some() {
                        crate::access::require(
                            self.access,
                            t.sensitivity,
                            &format!(
                                "a backup of a database holding {} ({})",
                                t.name,
                                crate::access::tier_name(t.sensitivity)
                            ),
                        )?;
                    }
                }
                self.backup_to(path).await
            }
        }
    };
}

pub(crate) use sql_backend;

#[cfg(test)]
mod param_tests {
    use super::anonymous_params;

    #[test]
    fn sequential_numbered_parameters_become_anonymous() {
        assert_eq!(
            anonymous_params("INSERT INTO t VALUES ($1, $2), ($3, f($4))".into()),
            "INSERT INTO t VALUES (?, ?), (?, f(?))"
        );
        // Out of order, repeated or skipped: unchanged (anonymous ? would bind other values).
        for s in [
            "SELECT $2, $1",
            "SELECT $1, $1",
            "SELECT $1, $3",
            "SELECT $10",
        ] {
            assert_eq!(anonymous_params(s.into()), s);
        }
        assert_eq!(
            anonymous_params("SELECT '$' || x".into()),
            "SELECT '$' || x"
        );
    }
}
