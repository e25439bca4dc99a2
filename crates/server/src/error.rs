//! Errors as RFC 9457 problem details (`application/problem+json`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use demine_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Everything a request can fail with. Each maps to one HTTP status and a problem document.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or token, and the route needs one.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but the requester's role, tier or scope does not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (a parameter, a body).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well formed but its content is refused (an import's rules).
    #[error("{0}")]
    Unprocessable(String),
    /// The change conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; retry after so many seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after_s: u64 },
    /// The store is busy (another writer) or unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of demine or of its environment.
    #[error("{0}")]
    Internal(String),
}

/// A problem document (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` style names under demine's own scheme).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong here, naming what is at fault.
    pub detail: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooMany { .. } => "too-many-requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("urn:demine:problem:{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let text = e.to_string();
        match e {
            StoreError::NotFound { .. } => ApiError::NotFound(text),
            StoreError::Forbidden { what, needs, .. } => ApiError::Forbidden(format!(
                "{what} needs the {needs} tier, which this requester does not have"
            )),
            StoreError::Invalid { .. }
            | StoreError::BadFile { .. }
            | StoreError::Treaty { .. }
            | StoreError::Features { .. }
            | StoreError::Geo(_) => ApiError::Unprocessable(text),
            // The requester's scope or write permission refused it (the store's one check).
            StoreError::Refused { .. } => ApiError::Forbidden(text),
            StoreError::Conflict { .. } | StoreError::WouldRemove { .. } => {
                ApiError::Conflict(text)
            }
            StoreError::Busy { .. } | StoreError::ReadOnly { .. } => ApiError::Unavailable(text),
            _ => {
                tracing::error!(error = %text, "store error");
                ApiError::Internal(text)
            }
        }
    }
}

impl From<demine_app::AppError> for ApiError {
    fn from(e: demine_app::AppError) -> ApiError {
        use demine_app::AppError as A;
        match e {
            A::BadInput(m) => ApiError::Unprocessable(m),
            A::NotFound { what } => ApiError::NotFound(format!("not found: {what}")),
            A::Refused(m) => ApiError::Forbidden(m),
            A::Invalid(m) | A::Usage(m) => ApiError::BadRequest(m),
            A::Busy(m) => ApiError::Unavailable(m),
            A::Read { .. } => ApiError::Internal(e.to_string()),
            A::Geo(g) => ApiError::Unprocessable(g.to_string()),
            A::Store(s) => s.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (self.status(), body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooMany { retry_after_s, .. } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        if matches!(self, ApiError::Unauthenticated(_)) {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"demine\""),
            );
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
