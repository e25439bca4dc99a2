//! Account operations shared by `demine user` and the API: the checks on names, roles and scopes,
//! hashing, and the store calls.

use demine_store::AnyStore;
use demine_store::accounts::{AccountStore, NewUser, Role, TokenInfo, User};

use crate::auth;
use crate::error::{ApiError, ApiResult};

/// A user to create (the password apart, so that it is never logged with the rest).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub role: Role,
    pub iso3: Option<String>,
    pub organisation: Option<String>,
    pub restricted: bool,
}

/// A role by name, or a message listing the roles.
pub fn parse_role(s: &str) -> ApiResult<Role> {
    Role::parse(s).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "no role {s:?}: the roles are {}",
            Role::ALL.map(|r| r.name()).join(", ")
        ))
    })
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok && name != "anonymous" {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "user name {name:?}: 1 to 64 letters, digits, '.', '_', '-' or '@' (and not \
             \"anonymous\")"
        )))
    }
}

/// Creates a user. Editors must have a State; an organisation needs a State.
pub async fn add(
    store: &AnyStore,
    new: &NewAccount,
    password: &str,
    actor: &str,
) -> ApiResult<User> {
    check_name(&new.name)?;
    let iso3 = match &new.iso3 {
        Some(s) => {
            let code: demine_core::Iso3 = s
                .to_uppercase()
                .parse()
                .map_err(|e| ApiError::BadRequest(format!("iso3 {s:?}: {e}")))?;
            Some(code.to_string())
        }
        None => None,
    };
    if new.role == Role::Editor && iso3.is_none() {
        return Err(ApiError::BadRequest(
            "an editor works within a State: give its ISO3 code".into(),
        ));
    }
    if new.organisation.is_some() && iso3.is_none() {
        return Err(ApiError::BadRequest(
            "an organisation is scoped within a State: give its ISO3 code too".into(),
        ));
    }
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| ApiError::Internal(format!("hashing: {e}")))??;
    let user = NewUser {
        name: new.name.clone(),
        role: new.role,
        iso3,
        organisation: new.organisation.clone().filter(|o| !o.trim().is_empty()),
        restricted: new.restricted,
        password_hash: hash,
    };
    Ok(store.add_user(&user, actor).await?)
}

/// Every user.
pub async fn list(store: &AnyStore) -> ApiResult<Vec<User>> {
    Ok(store.users().await?)
}

/// Disables or enables a user (their sessions end).
pub async fn set_disabled(
    store: &AnyStore,
    name: &str,
    disabled: bool,
    actor: &str,
) -> ApiResult<User> {
    Ok(store.set_disabled(name, disabled, actor).await?)
}

/// Sets a new password (their sessions end).
pub async fn set_password(
    store: &AnyStore,
    name: &str,
    password: &str,
    actor: &str,
) -> ApiResult<()> {
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| ApiError::Internal(format!("hashing: {e}")))??;
    Ok(store.set_password(name, &hash, actor).await?)
}

/// A new API token for a user: the token (shown once) and what is kept of it.
pub async fn token(
    store: &AnyStore,
    name: &str,
    label: &str,
    actor: &str,
) -> ApiResult<(String, TokenInfo)> {
    let token = auth::new_secret("dmn_")?;
    let info = store
        .add_token(name, &auth::secret_hash(&token), label, actor)
        .await?;
    Ok((token, info))
}
