//! The demo: every response says its data is synthetic.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::SYNTHETIC_HEADER;

/// Middleware of the demo server: a `Demine-Data: synthetic` header on every response and, in
/// every JSON object it returns, a field `"synthetic": true`.
pub async fn label_synthetic(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let (mut parts, body) = resp.into_parts();
    parts.headers.insert(
        axum::http::HeaderName::from_static(SYNTHETIC_HEADER),
        HeaderValue::from_static("synthetic"),
    );
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !is_json {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, crate::state::MAX_BODY * 4).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let out = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.insert("synthetic".into(), serde_json::Value::Bool(true));
            serde_json::to_vec(&m).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(out))
}
