//! Who is asking: passwords (argon2), API tokens (Bearer), browser sessions (a cookie, with a
//! synchroniser CSRF token checked on every unsafe request the cookie authenticates), login rate
//! limiting, and the mapping of roles onto the store's access tiers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use demine_store::Access;
use demine_store::accounts::{AccountStore, Role, User};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The cookie that carries a browser session's id.
pub const SESSION_COOKIE: &str = "demine_session";
/// The header that carries the CSRF token of a session on unsafe requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field that carries it on form posts.
pub const CSRF_FIELD: &str = "csrf";
/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed logins allowed per name (and per client address) within [`LOGIN_WINDOW`].
pub const LOGIN_FAILURES: u32 = 5;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// Hashes a password with argon2id (a random salt, the crate's default cost).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::BadRequest(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// Whether a password matches a stored hash (false for a hash that does not parse).
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A new secret: 32 random bytes in hex, with a prefix saying what it is.
pub fn new_secret(prefix: &str) -> Result<String, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", hex(&b)))
}

/// The SHA-256 of a secret in hex: what the store keeps of tokens and session ids.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How the requester proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Anonymous,
    /// A browser session: its id's hash and its CSRF token.
    Session {
        id_hash: String,
        csrf: String,
    },
    /// An API token (Bearer).
    Token,
}

/// Who is asking: a user (or nobody) and how they proved it. Handlers take it as an extractor;
/// the [`authenticate`] middleware resolves it once per request.
#[derive(Debug, Clone)]
pub struct Requester {
    pub user: Option<User>,
    pub via: Via,
}

impl Requester {
    pub fn anonymous() -> Requester {
        Requester {
            user: None,
            via: Via::Anonymous,
        }
    }

    /// The store tier this requester reads at: anonymous visitors the public tier; accounts the
    /// operational tier (hazard geometry, activities); administrators and users given the
    /// restricted permission also victims' identities.
    pub fn access(&self) -> Access {
        match &self.user {
            None => Access::Public,
            Some(u) if u.role == Role::Administrator || u.restricted => Access::Restricted,
            Some(_) => Access::Operational,
        }
    }

    /// The requester as the store and the application layer know it: the tier, whether they
    /// write (editors, reviewers and administrators), and their scope.
    pub fn store_requester(&self) -> demine_store::Requester {
        let Some(u) = &self.user else {
            return demine_store::Requester::anonymous();
        };
        let mut r = demine_store::Requester::local(u.name.clone(), self.access());
        if u.role == Role::Viewer {
            r = r.read_only();
        }
        if u.role != Role::Administrator
            && let Some(iso3) = &u.iso3
        {
            r = r.scoped(iso3, u.organisation.as_deref());
        }
        r
    }

    /// The name written into the audit log.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(u) => u.name.clone(),
            None => "anonymous".into(),
        }
    }

    /// The user, or 401.
    pub fn user(&self) -> ApiResult<&User> {
        self.user.as_ref().ok_or_else(|| {
            ApiError::Unauthenticated(
                "this needs an account: log in (POST /api/v1/session) or send an API token \
                 (Authorization: Bearer ...)"
                    .into(),
            )
        })
    }

    /// The user if their role is one of `roles`, else 401 or 403.
    pub fn with_role(&self, roles: &[Role], what: &str) -> ApiResult<&User> {
        let u = self.user()?;
        if roles.contains(&u.role) {
            Ok(u)
        } else {
            Err(ApiError::Forbidden(format!(
                "{what} needs the role {}; {} is {}",
                roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(" or "),
                u.name,
                u.role
            )))
        }
    }

    /// Whether the user's scope covers work filed under `iso3` by `organisation`: administrators
    /// everything; others their State (all States when they have none and are not editors) and,
    /// where their account names one, their organisation only.
    pub fn in_scope(&self, iso3: &str, organisation: Option<&str>) -> bool {
        let Some(u) = &self.user else {
            return false;
        };
        if u.role == Role::Administrator {
            return true;
        }
        let state_ok = match &u.iso3 {
            Some(s) => s.eq_ignore_ascii_case(iso3),
            None => u.role != Role::Editor,
        };
        let org_ok = match &u.organisation {
            Some(o) => organisation.is_some_and(|x| x == o),
            None => true,
        };
        state_ok && org_ok
    }

    /// 403 unless [`Requester::in_scope`].
    pub fn require_scope(&self, iso3: &str, organisation: Option<&str>) -> ApiResult<()> {
        if self.in_scope(iso3, organisation) {
            Ok(())
        } else {
            let who = self.actor();
            Err(ApiError::Forbidden(format!(
                "{who} may not work on {iso3}{}: outside their State or organisation",
                organisation
                    .map(|o| format!(" for {o}"))
                    .unwrap_or_default()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Requester {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Requester> {
        if let Some(r) = parts.extensions.get::<Requester>() {
            return Ok(r.clone());
        }
        resolve(&parts.headers, state).await
    }
}

/// The value of a cookie in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Works out who asks from the headers: a Bearer token first, then the session cookie. A
/// credential that is given but not valid is refused (401), never read as anonymous.
pub async fn resolve(headers: &HeaderMap, state: &AppState) -> ApiResult<Requester> {
    let store = state.store();
    if let Some(token) = bearer(headers) {
        let user = store.token_user(&secret_hash(token)).await?;
        return match user {
            Some(u) if !u.disabled => Ok(Requester {
                user: Some(u),
                via: Via::Token,
            }),
            Some(_) => Err(ApiError::Unauthenticated("this account is disabled".into())),
            None => Err(ApiError::Unauthenticated(
                "the API token is not valid (unknown or revoked)".into(),
            )),
        };
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE) {
        let id_hash = secret_hash(id);
        return match store.session(&id_hash, now_s()).await? {
            Some((u, csrf)) if !u.disabled => Ok(Requester {
                user: Some(u),
                via: Via::Session { id_hash, csrf },
            }),
            _ => Err(ApiError::Unauthenticated(
                "the session has ended: log in again".into(),
            )),
        };
    }
    Ok(Requester::anonymous())
}

/// Middleware: resolves the requester once and, for an unsafe method authenticated by the
/// session cookie, requires the session's CSRF token in the `X-CSRF-Token` header or, for a form
/// post, in its `csrf` field. Bearer tokens are not sent by browsers on their own and need none.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let requester = match resolve(req.headers(), &state).await {
        Ok(r) => r,
        Err(e) => {
            // Logging in and out works whatever an old cookie says.
            if req.uri().path() == "/api/v1/session" {
                Requester::anonymous()
            } else {
                return e.into_response();
            }
        }
    };
    let unsafe_method = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let mut req = req;
    if unsafe_method && let Via::Session { csrf, .. } = &requester.via {
        let (ok, rebuilt) = csrf_present(req, csrf).await;
        match rebuilt {
            Some(r) if ok => req = r,
            _ => {
                return ApiError::Forbidden(
                    "missing or wrong CSRF token: send the session's token (from GET \
                     /api/v1/session) in the X-CSRF-Token header or the csrf form field"
                        .into(),
                )
                .into_response();
            }
        }
    }
    req.extensions_mut().insert(requester);
    next.run(req).await
}

/// Whether the request carries `csrf`, and the request again (its body read and put back).
async fn csrf_present(req: Request, csrf: &str) -> (bool, Option<Request>) {
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let ok = same_secret(v, csrf);
        return (ok, Some(req));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A file upload from a page (multipart) carries the token in its action's query string.
    if content_type.starts_with("multipart/form-data") {
        let ok = req
            .uri()
            .query()
            .and_then(|q| form_field(q.as_bytes(), CSRF_FIELD))
            .is_some_and(|v| same_secret(&v, csrf));
        return (ok, Some(req));
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return (false, Some(req));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::state::MAX_BODY).await else {
        return (false, None);
    };
    let ok = form_field(&bytes, CSRF_FIELD).is_some_and(|v| same_secret(&v, csrf));
    (
        ok,
        Some(Request::from_parts(parts, axum::body::Body::from(bytes))),
    )
}

/// One field of a URL-encoded form.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or(""), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Failed login attempts, by name and by client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    /// Refuses (429) while any of the keys has used up its failures within the window.
    pub fn check(&self, keys: &[String]) -> ApiResult<()> {
        let map = self
            .failures
            .lock()
            .map_err(|_| ApiError::Internal("the login limiter's lock is poisoned".into()))?;
        for k in keys {
            if let Some((n, since)) = map.get(k)
                && *n >= LOGIN_FAILURES
                && since.elapsed() < LOGIN_WINDOW
            {
                let left = LOGIN_WINDOW
                    .saturating_sub(since.elapsed())
                    .as_secs()
                    .max(1);
                return Err(ApiError::TooMany {
                    message: format!("too many failed logins: try again in {left} s"),
                    retry_after_s: left,
                });
            }
        }
        Ok(())
    }

    /// Counts a failure against each key.
    pub fn fail(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 10_000 {
                map.retain(|_, (_, since)| since.elapsed() < LOGIN_WINDOW);
            }
            for k in keys {
                let e = map.entry(k.clone()).or_insert((0, Instant::now()));
                if e.1.elapsed() >= LOGIN_WINDOW {
                    *e = (0, Instant::now());
                }
                e.0 += 1;
            }
        }
    }

    /// Forgets the failures of a name after a successful login.
    pub fn succeed(&self, name_key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(name_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterx", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn forms_and_cookies_parse() {
        assert_eq!(
            form_field(b"a=1&csrf=ab%2Bc+d", "csrf").as_deref(),
            Some("ab+c d")
        );
        assert_eq!(form_field(b"a=1", "csrf"), None);
        assert_eq!(form_field(b"csrf=%", "csrf").as_deref(), Some("%"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "x=1; demine_session=abc".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }

    #[test]
    fn the_limiter_stops_after_the_failures_allowed() {
        let l = LoginLimiter::default();
        let keys = vec!["name:a".to_string()];
        for _ in 0..LOGIN_FAILURES {
            assert!(l.check(&keys).is_ok());
            l.fail(&keys);
        }
        assert!(matches!(l.check(&keys), Err(ApiError::TooMany { .. })));
        assert!(l.check(&["name:b".to_string()]).is_ok());
    }
}
