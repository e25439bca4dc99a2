//! Accounts of the HTTP server: users with a role and a scope (a State, an organisation), browser
//! sessions, API tokens and field reports (drafts awaiting review), in tables of their own
//! (migration 0050). The store keeps only hashes of secrets: password hashes are made by the
//! caller (argon2, in `demine-server`), tokens and session ids are kept as their SHA-256.
//!
//! Every change to a user, a token or a field report is appended to the audit chain under the
//! name of whoever made it (entities `account_user`, `account_token`, `field_report`); sessions
//! are not facts and are not audited.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What a user may do. Anonymous visitors have no account and no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, everywhere, including accounts.
    Administrator,
    /// Enters field reports within a State and, where set, an organisation.
    Editor,
    /// Approves or rejects field reports (within a State when one is set).
    Reviewer,
    /// Reads what an account may read.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Editor,
        Role::Reviewer,
        Role::Viewer,
    ];

    /// The role's name as stored and as `demine user add --role` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Viewer => "viewer",
        }
    }

    /// The role named so.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A user as the store holds it, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// The State the user's writes are limited to (editors must have one).
    pub iso3: Option<String>,
    /// The organisation within the State, for field teams that see and edit only their own work.
    pub organisation: Option<String>,
    /// May read restricted personal data (victims' identities).
    pub restricted: bool,
    pub disabled: bool,
    pub created_at: String,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub iso3: Option<String>,
    pub organisation: Option<String>,
    pub restricted: bool,
    /// The password's hash in PHC form (`$argon2id$...`).
    pub password_hash: String,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub user_name: String,
    pub label: String,
    pub created_at: String,
    pub revoked: bool,
}

/// What a field report proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    /// A hazardous area not in the database.
    NewArea,
    /// A change to an existing area (`area_id`).
    AreaChange,
    /// A land release activity on an existing area.
    Activity,
    /// A mine or ERW accident and its victims (migration 0051): approving it writes one
    /// casualty record per victim.
    Accident,
}

impl ReportKind {
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::NewArea => "new-area",
            ReportKind::AreaChange => "area-change",
            ReportKind::Activity => "activity",
            ReportKind::Accident => "accident",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        [
            ReportKind::NewArea,
            ReportKind::AreaChange,
            ReportKind::Activity,
            ReportKind::Accident,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// Where a field report stands. Only a draft can be edited; an approved report can only be
/// superseded by a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportStatus {
    Draft,
    Approved,
    Rejected,
    Superseded,
}

impl ReportStatus {
    pub fn name(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Approved => "approved",
            ReportStatus::Rejected => "rejected",
            ReportStatus::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        [
            ReportStatus::Draft,
            ReportStatus::Approved,
            ReportStatus::Rejected,
            ReportStatus::Superseded,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// A field report as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldReport {
    pub id: i64,
    pub kind: ReportKind,
    pub iso3: String,
    pub organisation: Option<String>,
    /// The area changed, or the area an activity is on.
    pub area_id: Option<i64>,
    /// What is proposed (a GeoJSON feature, or an activity with its perimeter), as JSON.
    pub payload: serde_json::Value,
    pub status: ReportStatus,
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    pub reviewer: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    /// The approved report this one replaces, if any.
    pub supersedes: Option<i64>,
    /// What approving it did (the import's report), as JSON.
    pub outcome: Option<serde_json::Value>,
}

/// A field report to enter as a draft.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub kind: ReportKind,
    pub iso3: String,
    pub organisation: Option<String>,
    pub area_id: Option<i64>,
    pub payload: serde_json::Value,
    pub supersedes: Option<i64>,
}

/// A decision on a draft.
#[derive(Debug, Clone)]
pub struct Decision {
    pub status: ReportStatus,
    pub note: Option<String>,
    pub outcome: Option<serde_json::Value>,
}

/// What approving a field report writes, in the same transaction as the decision.
#[derive(Debug, Clone, Copy)]
pub enum Apply<'a> {
    /// Areas imported by the import's rules ([`crate::HazardStore::import_areas`]); every area
    /// version the import inserts or changes is approved.
    Areas(&'a [crate::hazards::NewArea]),
    /// Land release activities recorded ([`crate::HazardStore::record_activities`]).
    Activities(&'a [(demine_core::hazard::Activity, demine_geo::Geometry)]),
    /// Registry records (an accident's casualty rows) written by the import's rules, inserted
    /// only: a record whose key is stored already is refused, never overwritten.
    Records(&'a crate::Batch),
}

/// What approving a field report wrote.
#[derive(Debug, Clone)]
pub enum Applied {
    /// The import's report (its area versions approved).
    Areas(crate::hazards::HazardImportReport),
    /// The activities as recorded.
    Activities(Vec<crate::hazards::StoredActivity>),
    /// The records' import report.
    Records(crate::ApplyReport),
}

/// Makes the decision's outcome (what approving did, as JSON) from what was written, before the
/// transaction commits; an error refuses the approval.
pub type OutcomeOf<'a> = &'a (dyn Fn(&Applied) -> Result<serde_json::Value, String> + Sync);

/// Persistence of accounts and field reports.
pub trait AccountStore: Send + Sync {
    /// Creates a user; a name already taken is refused.
    fn add_user(
        &self,
        user: &NewUser,
        actor: &str,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// A user and their password hash.
    fn user_with_hash(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<(User, String)>, StoreError>> + Send;

    /// Every user, by name.
    fn users(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// Disables (or enables again) a user; disabling also ends their sessions.
    fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &str,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// Replaces a user's password hash and ends their sessions.
    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records an API token (its SHA-256) for a user.
    fn add_token(
        &self,
        name: &str,
        token_hash: &str,
        label: &str,
        actor: &str,
    ) -> impl Future<Output = Result<TokenInfo, StoreError>> + Send;

    /// The user an API token (by its SHA-256) belongs to, if the token is not revoked.
    fn token_user(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Starts a browser session (by its id's SHA-256) with its CSRF token, until `expires_at`
    /// (Unix seconds).
    fn create_session(
        &self,
        token_hash: &str,
        name: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The user and CSRF token of a session that has not expired at `now`.
    fn session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<(User, String)>, StoreError>> + Send;

    /// Ends a session (and removes expired ones).
    fn end_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Enters a field report as a draft.
    fn add_report(
        &self,
        report: &NewReport,
        actor: &str,
    ) -> impl Future<Output = Result<FieldReport, StoreError>> + Send;

    /// Enters several field reports as drafts in one transaction: all of them or none.
    fn add_reports(
        &self,
        reports: &[NewReport],
        actor: &str,
    ) -> impl Future<Output = Result<Vec<FieldReport>, StoreError>> + Send;

    /// One field report.
    fn report(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<FieldReport>, StoreError>> + Send;

    /// Field reports, newest first; with `iso3`, only that State's.
    fn reports(
        &self,
        iso3: Option<&str>,
    ) -> impl Future<Output = Result<Vec<FieldReport>, StoreError>> + Send;

    /// Replaces a draft's payload; anything but a draft is refused.
    fn edit_report(
        &self,
        id: i64,
        payload: &serde_json::Value,
        actor: &str,
    ) -> impl Future<Output = Result<FieldReport, StoreError>> + Send;

    /// Decides a draft (approved or rejected); anything but a draft is refused. An approved
    /// report that supersedes another marks that one superseded, in the same transaction.
    fn decide_report(
        &self,
        id: i64,
        decision: &Decision,
        actor: &str,
    ) -> impl Future<Output = Result<FieldReport, StoreError>> + Send;

    /// Approves a draft in one transaction: what it applies (`apply`), the approval of the area
    /// versions it makes, the decision with its outcome (`outcome` of what was written) and the
    /// audit entries of all of them commit together or not at all. The report's status is read
    /// inside the transaction: a report decided meanwhile (by another reviewer) is refused with
    /// [`StoreError::Conflict`] and nothing is written.
    fn approve_report(
        &self,
        id: i64,
        apply: Apply<'_>,
        note: Option<String>,
        outcome: OutcomeOf<'_>,
        actor: &str,
    ) -> impl Future<Output = Result<(FieldReport, Applied), StoreError>> + Send;
}

/// The audit JSON of a user (never the password hash).
pub(crate) fn user_json(u: &User) -> String {
    serde_json::json!({
        "name": u.name,
        "role": u.role.name(),
        "iso3": u.iso3,
        "organisation": u.organisation,
        "restricted": u.restricted,
        "disabled": u.disabled,
    })
    .to_string()
}

pub(crate) fn report_json(r: &FieldReport) -> String {
    serde_json::to_string(r).unwrap_or_else(|_| "{}".into())
}

/// The audit key of a token: the user and a short hash of the token's hash.
pub(crate) fn token_key(name: &str, token_hash: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("token-key:{token_hash}").as_bytes());
    let hex: String = d.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{name}|{hex}")
}

pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) type UserRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    bool,
    String,
    String,
);

pub(crate) fn user_from_row(r: UserRow) -> Result<(User, String), StoreError> {
    let role = Role::parse(&r.1).ok_or_else(|| StoreError::Corrupt {
        table: "users".into(),
        reason: format!("user {}: unknown role {:?}", r.0, r.1),
    })?;
    Ok((
        User {
            name: r.0,
            role,
            iso3: r.2,
            organisation: r.3,
            restricted: r.4,
            disabled: r.5,
            created_at: r.6,
        },
        r.7,
    ))
}

pub(crate) const USER_COLS: &str =
    "name, role, iso3, organisation, restricted, disabled, created_at, password_hash";

pub(crate) const REPORT_COLS: &str = "id, kind, iso3, organisation, area_id, payload, status, \
     author, created_at, updated_at, reviewer, decided_at, note, supersedes, outcome";

pub(crate) fn report_from_row(r: &ReportRow) -> Result<FieldReport, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "field_reports".into(),
        reason: format!("report {}: {reason}", r.id),
    };
    let kind = ReportKind::parse(&r.kind).ok_or_else(|| corrupt(format!("kind {:?}", r.kind)))?;
    let status =
        ReportStatus::parse(&r.status).ok_or_else(|| corrupt(format!("status {:?}", r.status)))?;
    let payload = serde_json::from_str(&r.payload).map_err(|e| corrupt(format!("payload: {e}")))?;
    let outcome = match &r.outcome {
        Some(o) => Some(serde_json::from_str(o).map_err(|e| corrupt(format!("outcome: {e}")))?),
        None => None,
    };
    Ok(FieldReport {
        id: r.id,
        kind,
        iso3: r.iso3.clone(),
        organisation: r.organisation.clone(),
        area_id: r.area_id,
        payload,
        status,
        author: r.author.clone(),
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
        reviewer: r.reviewer.clone(),
        decided_at: r.decided_at.clone(),
        note: r.note.clone(),
        supersedes: r.supersedes,
        outcome,
    })
}

/// A field report's row as read.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReportRow {
    pub id: i64,
    pub kind: String,
    pub iso3: String,
    pub organisation: Option<String>,
    pub area_id: Option<i64>,
    pub payload: String,
    pub status: String,
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    pub reviewer: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    pub supersedes: Option<i64>,
    pub outcome: Option<String>,
}

/// The implementation of [`AccountStore`] for one backend (the SQL is the same text for both).
macro_rules! accounts_backend {
    ($store:ty) => {
        impl $store {
            async fn account_tx(&self) -> Result<(Tx, crate::audit::Chain), crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let chain = last_audit(&mut tx).await?;
                Ok((tx, chain))
            }

            async fn account_commit(
                &self,
                mut tx: Tx,
                mut chain: crate::audit::Chain,
                what: &str,
            ) -> Result<(), crate::StoreError> {
                flush_audit(&mut tx, &mut chain).await?;
                tx.commit().await.map_err(crate::error::db(what.to_string()))?;
                self.note_head().await
            }
        }

        impl crate::accounts::AccountStore for $store {
            async fn add_user(
                &self,
                user: &crate::accounts::NewUser,
                actor: &str,
            ) -> Result<crate::accounts::User, crate::StoreError> {
                let ctx = || crate::error::db(format!("adding user {}", user.name));
                let (mut tx, mut chain) = self.account_tx().await?;
                let taken: Option<String> =
                    sqlx::query_scalar("SELECT name FROM users WHERE name = $1")
                        .bind(user.name.clone())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(ctx())?;
                if taken.is_some() {
                    return Err(crate::StoreError::Conflict {
                        what: format!("user {}", user.name),
                        reason: "a user of that name exists".into(),
                    });
                }
                let now = crate::accounts::now_text();
                sqlx::query(
                    "INSERT INTO users (name, password_hash, role, iso3, organisation, \
                     restricted, disabled, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(user.name.clone())
                .bind(user.password_hash.clone())
                .bind(user.role.name())
                .bind(user.iso3.clone())
                .bind(user.organisation.clone())
                .bind(user.restricted)
                .bind(false)
                .bind(now.clone())
                .execute(&mut *tx)
                .await
                .map_err(ctx())?;
                let out = crate::accounts::User {
                    name: user.name.clone(),
                    role: user.role,
                    iso3: user.iso3.clone(),
                    organisation: user.organisation.clone(),
                    restricted: user.restricted,
                    disabled: false,
                    created_at: now,
                };
                chain.append(
                    actor,
                    "account_user",
                    &out.name,
                    None,
                    Some(crate::accounts::user_json(&out)),
                );
                self.account_commit(tx, chain, "adding a user").await?;
                Ok(out)
            }

            async fn user_with_hash(
                &self,
                name: &str,
            ) -> Result<Option<(crate::accounts::User, String)>, crate::StoreError> {
                let sql = format!(
                    "SELECT {} FROM users WHERE name = $1",
                    crate::accounts::USER_COLS
                );
                let row: Option<crate::accounts::UserRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(name.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(crate::error::db("reading a user"))?;
                row.map(crate::accounts::user_from_row).transpose()
            }

            async fn users(&self) -> Result<Vec<crate::accounts::User>, crate::StoreError> {
                let sql = format!(
                    "SELECT {} FROM users ORDER BY name",
                    crate::accounts::USER_COLS
                );
                let rows: Vec<crate::accounts::UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(crate::error::db("reading users"))?;
                rows.into_iter()
                    .map(|r| crate::accounts::user_from_row(r).map(|(u, _)| u))
                    .collect()
            }

            async fn set_disabled(
                &self,
                name: &str,
                disabled: bool,
                actor: &str,
            ) -> Result<crate::accounts::User, crate::StoreError> {
                let ctx = || crate::error::db(format!("changing user {name}"));
                let Some((before, _)) = self.user_with_hash(name).await? else {
                    return Err(crate::StoreError::NotFound {
                        what: format!("user {name}"),
                    });
                };
                let (mut tx, mut chain) = self.account_tx().await?;
                sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE name = $3")
                    .bind(disabled)
                    .bind(crate::accounts::now_text())
                    .bind(name.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_name = $1")
                        .bind(name.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(ctx())?;
                }
                let after = crate::accounts::User {
                    disabled,
                    ..before.clone()
                };
                if before != after {
                    chain.append(
                        actor,
                        "account_user",
                        name,
                        Some(crate::accounts::user_json(&before)),
                        Some(crate::accounts::user_json(&after)),
                    );
                }
                self.account_commit(tx, chain, "changing a user").await?;
                Ok(after)
            }

            async fn set_password(
                &self,
                name: &str,
                password_hash: &str,
                actor: &str,
            ) -> Result<(), crate::StoreError> {
                let ctx = || crate::error::db(format!("changing the password of {name}"));
                let Some((user, _)) = self.user_with_hash(name).await? else {
                    return Err(crate::StoreError::NotFound {
                        what: format!("user {name}"),
                    });
                };
                let (mut tx, mut chain) = self.account_tx().await?;
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3")
                    .bind(password_hash.to_string())
                    .bind(crate::accounts::now_text())
                    .bind(name.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                sqlx::query("DELETE FROM sessions WHERE user_name = $1")
                    .bind(name.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                // The entry says that the password changed, never what it is.
                let json = crate::accounts::user_json(&user);
                chain.append(
                    actor,
                    "account_password",
                    name,
                    None,
                    Some(format!("{{\"changed_at\":{:?},\"user\":{json}}}", crate::accounts::now_text())),
                );
                self.account_commit(tx, chain, "changing a password").await
            }

            async fn add_token(
                &self,
                name: &str,
                token_hash: &str,
                label: &str,
                actor: &str,
            ) -> Result<crate::accounts::TokenInfo, crate::StoreError> {
                let ctx = || crate::error::db(format!("adding a token for {name}"));
                if self.user_with_hash(name).await?.is_none() {
                    return Err(crate::StoreError::NotFound {
                        what: format!("user {name}"),
                    });
                }
                let (mut tx, mut chain) = self.account_tx().await?;
                let now = crate::accounts::now_text();
                sqlx::query(
                    "INSERT INTO api_tokens (token_hash, user_name, label, created_at, revoked) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash.to_string())
                .bind(name.to_string())
                .bind(label.to_string())
                .bind(now.clone())
                .bind(false)
                .execute(&mut *tx)
                .await
                .map_err(ctx())?;
                let info = crate::accounts::TokenInfo {
                    user_name: name.to_string(),
                    label: label.to_string(),
                    created_at: now,
                    revoked: false,
                };
                // Keyed by a short hash of the token's hash: entries about one token match, and
                // nothing in the log helps to find the token.
                let key = crate::accounts::token_key(name, token_hash);
                chain.append(
                    actor,
                    "account_token",
                    &key,
                    None,
                    Some(serde_json::to_string(&info).unwrap_or_default()),
                );
                self.account_commit(tx, chain, "adding a token").await?;
                Ok(info)
            }

            async fn token_user(
                &self,
                token_hash: &str,
            ) -> Result<Option<crate::accounts::User>, crate::StoreError> {
                let sql = format!(
                    "SELECT {} FROM users WHERE name = (SELECT user_name FROM api_tokens \
                     WHERE token_hash = $1 AND revoked = $2)",
                    crate::accounts::USER_COLS
                );
                let row: Option<crate::accounts::UserRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(token_hash.to_string())
                        .bind(false)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(crate::error::db("reading a token"))?;
                Ok(row
                    .map(crate::accounts::user_from_row)
                    .transpose()?
                    .map(|(u, _)| u))
            }

            async fn create_session(
                &self,
                token_hash: &str,
                name: &str,
                csrf: &str,
                now: i64,
                expires_at: i64,
            ) -> Result<(), crate::StoreError> {
                let ctx = || crate::error::db("starting a session");
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash.to_string())
                .bind(name.to_string())
                .bind(csrf.to_string())
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await
                .map_err(ctx())?;
                tx.commit().await.map_err(ctx())
            }

            async fn session(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<Option<(crate::accounts::User, String)>, crate::StoreError> {
                let sql = format!(
                    "SELECT {}, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name \
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                    crate::accounts::USER_COLS
                        .split(", ")
                        .map(|c| format!("u.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                type Row = (
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    bool,
                    bool,
                    String,
                    String,
                    String,
                );
                let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(token_hash.to_string())
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(crate::error::db("reading a session"))?;
                match row {
                    None => Ok(None),
                    Some(r) => {
                        let (u, _) = crate::accounts::user_from_row((
                            r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7,
                        ))?;
                        Ok(Some((u, r.8)))
                    }
                }
            }

            async fn end_session(&self, token_hash: &str, now: i64) -> Result<(), crate::StoreError> {
                let ctx = || crate::error::db("ending a session");
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
                    .bind(token_hash.to_string())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                tx.commit().await.map_err(ctx())
            }

            async fn add_report(
                &self,
                report: &crate::accounts::NewReport,
                actor: &str,
            ) -> Result<crate::accounts::FieldReport, crate::StoreError> {
                let mut out = self.add_reports(std::slice::from_ref(report), actor).await?;
                out.pop().ok_or_else(|| crate::StoreError::Corrupt {
                    table: "field_reports".into(),
                    reason: "a report entered was not returned".into(),
                })
            }

            async fn add_reports(
                &self,
                reports: &[crate::accounts::NewReport],
                actor: &str,
            ) -> Result<Vec<crate::accounts::FieldReport>, crate::StoreError> {
                let ctx = || crate::error::db("entering a field report");
                let (mut tx, mut chain) = self.account_tx().await?;
                let mut id: i64 = sqlx::query_scalar::<_, i64>(
                    "SELECT COALESCE(MAX(id), 0) + 1 FROM field_reports",
                )
                .fetch_one(&mut *tx)
                .await
                .map_err(ctx())?;
                let now = crate::accounts::now_text();
                let mut done = Vec::with_capacity(reports.len());
                for report in reports {
                    sqlx::query(
                        "INSERT INTO field_reports (id, kind, iso3, organisation, area_id, payload, \
                         status, author, created_at, updated_at, supersedes) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
                    )
                    .bind(id)
                    .bind(report.kind.name())
                    .bind(report.iso3.clone())
                    .bind(report.organisation.clone())
                    .bind(report.area_id)
                    .bind(report.payload.to_string())
                    .bind(crate::accounts::ReportStatus::Draft.name())
                    .bind(actor.to_string())
                    .bind(now.clone())
                    .bind(report.supersedes)
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                    let out = crate::accounts::FieldReport {
                        id,
                        kind: report.kind,
                        iso3: report.iso3.clone(),
                        organisation: report.organisation.clone(),
                        area_id: report.area_id,
                        payload: report.payload.clone(),
                        status: crate::accounts::ReportStatus::Draft,
                        author: actor.to_string(),
                        created_at: now.clone(),
                        updated_at: now.clone(),
                        reviewer: None,
                        decided_at: None,
                        note: None,
                        supersedes: report.supersedes,
                        outcome: None,
                    };
                    chain.append(
                        actor,
                        "field_report",
                        &id.to_string(),
                        None,
                        Some(crate::accounts::report_json(&out)),
                    );
                    done.push(out);
                    id += 1;
                }
                self.account_commit(tx, chain, "entering field reports").await?;
                Ok(done)
            }

            async fn report(
                &self,
                id: i64,
            ) -> Result<Option<crate::accounts::FieldReport>, crate::StoreError> {
                let sql = format!(
                    "SELECT {} FROM field_reports WHERE id = $1",
                    crate::accounts::REPORT_COLS
                );
                let row: Option<crate::accounts::ReportRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(crate::error::db("reading a field report"))?;
                row.as_ref().map(crate::accounts::report_from_row).transpose()
            }

            async fn reports(
                &self,
                iso3: Option<&str>,
            ) -> Result<Vec<crate::accounts::FieldReport>, crate::StoreError> {
                let filter = if iso3.is_some() { " WHERE iso3 = $1" } else { "" };
                let sql = format!(
                    "SELECT {} FROM field_reports{filter} ORDER BY id DESC",
                    crate::accounts::REPORT_COLS
                );
                let mut q = sqlx::query_as::<_, crate::accounts::ReportRow>(sqlx::AssertSqlSafe(sql));
                if let Some(i) = iso3 {
                    q = q.bind(i.to_string());
                }
                let rows = q
                    .fetch_all(&self.pool)
                    .await
                    .map_err(crate::error::db("reading field reports"))?;
                rows.iter().map(crate::accounts::report_from_row).collect()
            }

            async fn edit_report(
                &self,
                id: i64,
                payload: &serde_json::Value,
                actor: &str,
            ) -> Result<crate::accounts::FieldReport, crate::StoreError> {
                let ctx = || crate::error::db(format!("editing field report {id}"));
                let (mut tx, mut chain) = self.account_tx().await?;
                let before = read_report_tx(&mut tx, id).await?;
                if before.status != crate::accounts::ReportStatus::Draft {
                    return Err(crate::StoreError::Conflict {
                        what: format!("field report {id}"),
                        reason: format!(
                            "it is {}: only a draft can be edited (enter a new report that \
                             supersedes it)",
                            before.status.name()
                        ),
                    });
                }
                let now = crate::accounts::now_text();
                sqlx::query("UPDATE field_reports SET payload = $1, updated_at = $2 WHERE id = $3")
                    .bind(payload.to_string())
                    .bind(now.clone())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(ctx())?;
                let after = crate::accounts::FieldReport {
                    payload: payload.clone(),
                    updated_at: now,
                    ..before.clone()
                };
                chain.append(
                    actor,
                    "field_report",
                    &id.to_string(),
                    Some(crate::accounts::report_json(&before)),
                    Some(crate::accounts::report_json(&after)),
                );
                self.account_commit(tx, chain, "editing a field report").await?;
                Ok(after)
            }

            async fn decide_report(
                &self,
                id: i64,
                decision: &crate::accounts::Decision,
                actor: &str,
            ) -> Result<crate::accounts::FieldReport, crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let after = decide_in(&mut tx, id, decision, actor).await?;
                tx.commit()
                    .await
                    .map_err(crate::error::db("deciding a field report"))?;
                self.note_head().await?;
                Ok(after)
            }

            async fn approve_report(
                &self,
                id: i64,
                apply: crate::accounts::Apply<'_>,
                note: Option<String>,
                outcome: crate::accounts::OutcomeOf<'_>,
                actor: &str,
            ) -> Result<(crate::accounts::FieldReport, crate::accounts::Applied), crate::StoreError>
            {
                hazard_impl::approve_report(self, id, apply, note, outcome, actor).await
            }
        }

        /// Refuses anything but a draft, as read inside `tx`.
        async fn draft_in(
            tx: &mut Tx,
            id: i64,
        ) -> Result<crate::accounts::FieldReport, crate::StoreError> {
            let before = read_report_tx(tx, id).await?;
            if before.status != crate::accounts::ReportStatus::Draft {
                return Err(crate::StoreError::Conflict {
                    what: format!("field report {id}"),
                    reason: format!(
                        "it is {}: only a draft can be approved or rejected",
                        before.status.name()
                    ),
                });
            }
            Ok(before)
        }

        /// Decides a draft inside `tx` (re-reading its status there), with its audit entries;
        /// an approved report that supersedes another marks that one superseded.
        async fn decide_in(
            tx: &mut Tx,
            id: i64,
            decision: &crate::accounts::Decision,
            actor: &str,
        ) -> Result<crate::accounts::FieldReport, crate::StoreError> {
            use crate::accounts::ReportStatus;
            let ctx = || crate::error::db(format!("deciding field report {id}"));
            let mut chain = last_audit(tx).await?;
            let before = draft_in(tx, id).await?;
            if !matches!(decision.status, ReportStatus::Approved | ReportStatus::Rejected) {
                return Err(crate::StoreError::Conflict {
                    what: format!("field report {id}"),
                    reason: "a decision approves or rejects".into(),
                });
            }
            let now = crate::accounts::now_text();
            let outcome = decision.outcome.as_ref().map(|o| o.to_string());
            sqlx::query(
                "UPDATE field_reports SET status = $1, reviewer = $2, decided_at = $3, \
                 note = $4, outcome = $5, updated_at = $3 WHERE id = $6",
            )
            .bind(decision.status.name())
            .bind(actor.to_string())
            .bind(now.clone())
            .bind(decision.note.clone())
            .bind(outcome)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(ctx())?;
            let after = crate::accounts::FieldReport {
                status: decision.status,
                reviewer: Some(actor.to_string()),
                decided_at: Some(now.clone()),
                note: decision.note.clone(),
                outcome: decision.outcome.clone(),
                updated_at: now.clone(),
                ..before.clone()
            };
            chain.append(
                actor,
                "field_report",
                &id.to_string(),
                Some(crate::accounts::report_json(&before)),
                Some(crate::accounts::report_json(&after)),
            );
            if decision.status == ReportStatus::Approved
                && let Some(old) = before.supersedes
            {
                let prev = read_report_tx(tx, old).await?;
                if prev.status == ReportStatus::Approved {
                    sqlx::query("UPDATE field_reports SET status = $1, updated_at = $2 WHERE id = $3")
                        .bind(ReportStatus::Superseded.name())
                        .bind(now.clone())
                        .bind(old)
                        .execute(&mut **tx)
                        .await
                        .map_err(ctx())?;
                    let next = crate::accounts::FieldReport {
                        status: ReportStatus::Superseded,
                        updated_at: now,
                        ..prev.clone()
                    };
                    chain.append(
                        actor,
                        "field_report",
                        &old.to_string(),
                        Some(crate::accounts::report_json(&prev)),
                        Some(crate::accounts::report_json(&next)),
                    );
                }
            }
            flush_audit(tx, &mut chain).await?;
            Ok(after)
        }

        async fn read_report_tx(
            tx: &mut Tx,
            id: i64,
        ) -> Result<crate::accounts::FieldReport, crate::StoreError> {
            let sql = format!(
                "SELECT {} FROM field_reports WHERE id = $1",
                crate::accounts::REPORT_COLS
            );
            let row: Option<crate::accounts::ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(crate::error::db("reading a field report"))?;
            match row {
                Some(r) => crate::accounts::report_from_row(&r),
                None => Err(crate::StoreError::NotFound {
                    what: format!("field report {id}"),
                }),
            }
        }
    };
}

pub(crate) use accounts_backend;

macro_rules! any_delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            crate::AnyStore::Sqlite($s) => $e.await,
            crate::AnyStore::Postgres($s) => $e.await,
        }
    };
}

impl AccountStore for crate::AnyStore {
    async fn add_user(&self, user: &NewUser, actor: &str) -> Result<User, StoreError> {
        any_delegate!(self, s => s.add_user(user, actor))
    }
    async fn user_with_hash(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        any_delegate!(self, s => s.user_with_hash(name))
    }
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        any_delegate!(self, s => s.users())
    }
    async fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<User, StoreError> {
        any_delegate!(self, s => s.set_disabled(name, disabled, actor))
    }
    async fn set_password(&self, name: &str, hash: &str, actor: &str) -> Result<(), StoreError> {
        any_delegate!(self, s => s.set_password(name, hash, actor))
    }
    async fn add_token(
        &self,
        name: &str,
        token_hash: &str,
        label: &str,
        actor: &str,
    ) -> Result<TokenInfo, StoreError> {
        any_delegate!(self, s => s.add_token(name, token_hash, label, actor))
    }
    async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        any_delegate!(self, s => s.token_user(token_hash))
    }
    async fn create_session(
        &self,
        token_hash: &str,
        name: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        any_delegate!(self, s => s.create_session(token_hash, name, csrf, now, expires_at))
    }
    async fn session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(User, String)>, StoreError> {
        any_delegate!(self, s => s.session(token_hash, now))
    }
    async fn end_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        any_delegate!(self, s => s.end_session(token_hash, now))
    }
    async fn add_report(&self, report: &NewReport, actor: &str) -> Result<FieldReport, StoreError> {
        any_delegate!(self, s => s.add_report(report, actor))
    }
    async fn add_reports(
        &self,
        reports: &[NewReport],
        actor: &str,
    ) -> Result<Vec<FieldReport>, StoreError> {
        any_delegate!(self, s => s.add_reports(reports, actor))
    }
    async fn report(&self, id: i64) -> Result<Option<FieldReport>, StoreError> {
        any_delegate!(self, s => s.report(id))
    }
    async fn reports(&self, iso3: Option<&str>) -> Result<Vec<FieldReport>, StoreError> {
        any_delegate!(self, s => s.reports(iso3))
    }
    async fn edit_report(
        &self,
        id: i64,
        payload: &serde_json::Value,
        actor: &str,
    ) -> Result<FieldReport, StoreError> {
        any_delegate!(self, s => s.edit_report(id, payload, actor))
    }
    async fn decide_report(
        &self,
        id: i64,
        decision: &Decision,
        actor: &str,
    ) -> Result<FieldReport, StoreError> {
        any_delegate!(self, s => s.decide_report(id, decision, actor))
    }
    async fn approve_report(
        &self,
        id: i64,
        apply: Apply<'_>,
        note: Option<String>,
        outcome: OutcomeOf<'_>,
        actor: &str,
    ) -> Result<(FieldReport, Applied), StoreError> {
        any_delegate!(self, s => s.approve_report(id, apply, note, outcome, actor))
    }
}
