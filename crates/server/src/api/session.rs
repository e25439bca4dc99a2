//! Logging in (a browser session with its CSRF token), out, and who is logged in.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use demine_store::accounts::{AccountStore, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, Requester, Via};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Who is asking.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user, or null for an anonymous visitor.
    #[schema(value_type = Option<Object>)]
    pub user: Option<User>,
    /// The tier the requester reads at (public, operational, restricted).
    pub access: String,
    /// The session's CSRF token, to send as `X-CSRF-Token` (or the `csrf` form field) with every
    /// unsafe request the session cookie authenticates.
    pub csrf: Option<String>,
}

fn me(r: &Requester) -> Me {
    Me {
        user: r.user.clone(),
        access: r.access().name().to_string(),
        csrf: match &r.via {
            Via::Session { csrf, .. } => Some(csrf.clone()),
            _ => None,
        },
    }
}

#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = Me)))]
pub async fn whoami(r: Requester) -> Json<Me> {
    Json(me(&r))
}

/// A login, as JSON or as a form.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    pub name: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body(content = Login, content_type = "application/json"),
    responses(
        (status = 200, body = Me, description = "Logged in; the session cookie is set"),
        (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|e| ApiError::BadRequest(format!("reading the login: {e}")))?;
    let login = parse_login(&parts.headers, body)?;
    let mut keys = vec![format!("name:{}", login.name.to_lowercase())];
    if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>() {
        keys.push(format!("ip:{}", addr.ip()));
    }
    state.limiter().check(&keys)?;
    let store = state.store();
    let found = store.user_with_hash(&login.name).await?;
    let password = login.password.clone();
    let hash = found.as_ref().map(|(_, h)| h.clone());
    // The same work whether the user exists or not: timing does not tell names apart.
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => auth::verify_password(&password, &h),
        None => {
            let _ = auth::verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password check: {e}")))?;
    let user = match found {
        Some((u, _)) if ok && !u.disabled => u,
        _ => {
            state.limiter().fail(&keys);
            tracing::warn!(name = %login.name, "failed login");
            return Err(ApiError::Unauthenticated(
                "wrong name or password, or the account is disabled".into(),
            ));
        }
    };
    state.limiter().succeed(&keys[0]);
    let id = auth::new_secret("s_")?;
    let csrf = auth::new_secret("c_")?;
    let now = chrono::Utc::now().timestamp();
    let ttl = auth::SESSION_TTL.as_secs() as i64;
    store
        .create_session(&auth::secret_hash(&id), &user.name, &csrf, now, now + ttl)
        .await?;
    tracing::info!(user = %user.name, "login");
    let secure = if state.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={ttl}{secure}",
        auth::SESSION_COOKIE
    );
    let r = Requester {
        user: Some(user),
        via: Via::Session {
            id_hash: String::new(),
            csrf,
        },
    };
    let mut resp = Json(me(&r)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// A hash of a random password, verified against when the name is unknown.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        auth::new_secret("")
            .and_then(|p| auth::hash_password(&p))
            .unwrap_or_default()
    })
}

fn parse_login(headers: &HeaderMap, body: axum::body::Bytes) -> ApiResult<Login> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let name = auth::form_field(&body, "name");
        let password = auth::form_field(&body, "password");
        match (name, password) {
            (Some(name), Some(password)) => Ok(Login { name, password }),
            _ => Err(ApiError::BadRequest(
                "a login form needs the fields name and password".into(),
            )),
        }
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!(
                "a login is {{\"name\": ..., \"password\": ...}}: {e}"
            ))
        })
    }
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out; the cookie is cleared")))]
pub async fn logout(State(state): State<AppState>, r: Requester) -> ApiResult<Response> {
    if let Via::Session { id_hash, .. } = &r.via {
        state
            .store()
            .end_session(id_hash, chrono::Utc::now().timestamp())
            .await?;
    }
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        auth::SESSION_COOKIE
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}
