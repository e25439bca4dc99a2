//! Users and API tokens (administrators), through the same functions as `demine user`.

use crate::extract::Json;
use crate::extract::Path;
use axum::extract::State;
use demine_store::accounts::{Role, TokenInfo, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{self, NewAccount};
use crate::auth::Requester;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

/// Users, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Users {
    #[schema(value_type = Vec<Object>)]
    pub users: Vec<User>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, body = Users), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_users(State(state): State<AppState>, r: Requester) -> ApiResult<Json<Users>> {
    r.with_role(&[Role::Administrator], "listing users")?;
    Ok(Json(Users {
        users: accounts::list(&state.store()).await?,
    }))
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddUser {
    pub name: String,
    pub password: String,
    /// administrator, editor, reviewer or viewer.
    pub role: String,
    pub iso3: Option<String>,
    pub organisation: Option<String>,
    #[serde(default)]
    pub restricted: bool,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = AddUser,
    responses((status = 201, body = Object), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn add_user(
    State(state): State<AppState>,
    r: Requester,
    Json(body): Json<AddUser>,
) -> ApiResult<(axum::http::StatusCode, Json<User>)> {
    r.with_role(&[Role::Administrator], "adding users")?;
    let new = NewAccount {
        name: body.name,
        role: accounts::parse_role(&body.role)?,
        iso3: body.iso3,
        organisation: body.organisation,
        restricted: body.restricted,
    };
    let u = accounts::add(&state.store(), &new, &body.password, &r.actor()).await?;
    Ok((axum::http::StatusCode::CREATED, Json(u)))
}

/// Whether a user is disabled.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Disabled {
    pub disabled: bool,
}

#[utoipa::path(put, path = "/api/v1/users/{name}/disabled", tag = "accounts",
    params(("name" = String, Path)), request_body = Disabled,
    responses((status = 200, body = Object), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_disabled(
    State(state): State<AppState>,
    r: Requester,
    Path(name): Path<String>,
    Json(body): Json<Disabled>,
) -> ApiResult<Json<User>> {
    r.with_role(&[Role::Administrator], "disabling users")?;
    Ok(Json(
        accounts::set_disabled(&state.store(), &name, body.disabled, &r.actor()).await?,
    ))
}

/// A new API token: shown once, never stored (the store keeps its hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    pub token: String,
    #[schema(value_type = Object)]
    pub info: TokenInfo,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// What the token is for.
    pub label: String,
}

/// A token for oneself, or (administrators) for anyone.
#[utoipa::path(post, path = "/api/v1/users/{name}/tokens", tag = "accounts",
    params(("name" = String, Path)), request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn add_token(
    State(state): State<AppState>,
    r: Requester,
    Path(name): Path<String>,
    Json(body): Json<TokenRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<NewToken>)> {
    let u = r.user()?;
    if u.name != name {
        r.with_role(&[Role::Administrator], "making tokens for others")?;
    }
    let (token, info) = accounts::token(&state.store(), &name, &body.label, &r.actor()).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(NewToken { token, info }),
    ))
}
