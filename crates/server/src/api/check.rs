//! The safety check: a point, a batch of points (CSV or JSON), a route or site (GeoJSON), against
//! the store's hazards through the application layer's shared index (built once, rebuilt when the
//! hazard data version moves). Anonymous visitors get the verdict, never which hazard is near or how
//! near (the application layer withholds it below the operational tier).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use demine_app::BatchDetail;
use demine_geo::Coord;
use demine_geo::csvfmt::PointBatch;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// The default distance of a check, in metres.
pub const DEFAULT_WITHIN_M: f64 = 100.0;
/// The most points one batch request may hold.
pub const MAX_POINTS: usize = 5_000_000;

#[derive(Debug, Deserialize, IntoParams)]
pub struct PointQuery {
    /// Longitude (WGS84 degrees).
    pub lon: f64,
    /// Latitude (WGS84 degrees).
    pub lat: f64,
    /// Distance in metres (default 100).
    pub within: Option<f64>,
}

/// The verdict for one place: `safe`, `hazard` (with the hazards within the distance, for
/// accounts) or `no-data` (with the reason): a place the data does not cover is never "safe".
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PointCheck)]
pub struct PointCheckDoc {
    pub status: String,
    pub safe: bool,
    #[schema(value_type = Vec<Object>)]
    pub hazards: Vec<serde_json::Value>,
    pub reason: Option<String>,
    pub state: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/check", tag = "check", params(PointQuery),
    responses((status = 200, body = PointCheckDoc), (status = 400, body = Problem)))]
pub async fn point(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<PointQuery>,
) -> ApiResult<Json<demine_app::PointCheck>> {
    let within = q.within.unwrap_or(DEFAULT_WITHIN_M);
    let answer = state.session(&r).check_point(q.lon, q.lat, within).await?;
    Ok(Json(answer))
}

/// A batch of points as JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PointsBody {
    /// Distance in metres (default 100).
    pub within: Option<f64>,
    /// Only whether each point is flagged, not the nearest hazard (faster).
    #[serde(default)]
    pub ids_only: bool,
    pub points: Vec<PointIn>,
}

/// A point of a JSON batch. Its id is text ("WP001", "Mine 12b"); a JSON number is taken as the
/// text it is written as (`17` is "17"). The answer gives every id back as text.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PointIn {
    #[schema(value_type = String)]
    pub id: PointId,
    pub lon: f64,
    pub lat: f64,
}

/// A point id as JSON may carry it: text, or a whole number kept as its digits.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PointId {
    Text(String),
    Number(serde_json::Number),
}

impl PointId {
    fn into_text(self) -> String {
        match self {
            PointId::Text(t) => t,
            PointId::Number(n) => n.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BatchQuery {
    /// Distance in metres (default 100), for a CSV body.
    pub within: Option<f64>,
    /// For a CSV body: only whether each point is flagged.
    pub ids_only: Option<bool>,
}

/// The answer for a batch: the flagged points and those without data (safe points are not
/// listed), and the worst verdict.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BatchCheck)]
pub struct BatchCheckDoc {
    pub checked: usize,
    #[schema(value_type = Vec<Object>)]
    pub flagged: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub no_data: Vec<serde_json::Value>,
    pub safe: bool,
    pub status: String,
    pub within_m: f64,
}

/// A batch of points: a CSV body (`text/csv`, columns id, lon, lat as `demine check --points`
/// reads them) or JSON (`{"points": [{"id", "lon", "lat"}], "within"}`).
#[utoipa::path(post, path = "/api/v1/check/points", tag = "check", params(BatchQuery),
    request_body(content(
        (PointsBody = "application/json"),
        (String = "text/csv")
    )),
    responses((status = 200, body = BatchCheckDoc), (status = 400, body = Problem),
        (status = 422, body = Problem)))]
pub async fn points(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<BatchQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<demine_app::BatchCheck>> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let threads = state.app().threads();
    let (points, within, ids_only) = if ctype.starts_with("text/csv") {
        let points = tokio::task::spawn_blocking(move || {
            demine_geo::csvfmt::read_point_batch("request body", &body, threads)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("reading points: {e}")))?
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
        (points, q.within, q.ids_only.unwrap_or(false))
    } else if ctype.starts_with("application/json") {
        let b: PointsBody = serde_json::from_slice(&body)
            .map_err(|e| ApiError::Unprocessable(format!("request body: {e}")))?;
        let points = PointBatch::new(
            "request body",
            b.points.into_iter().enumerate().map(|(k, p)| {
                (
                    p.id.into_text(),
                    Coord::new(p.lon, p.lat),
                    format!("points[{k}]"),
                )
            }),
        )
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
        (points, b.within.or(q.within), b.ids_only)
    } else {
        return Err(ApiError::BadRequest(
            "send the points as text/csv or application/json".into(),
        ));
    };
    if points.len() > MAX_POINTS {
        return Err(ApiError::Unprocessable(format!(
            "{} points: at most {MAX_POINTS} per request",
            points.len()
        )));
    }
    let detail = if ids_only {
        BatchDetail::IdsOnly
    } else {
        BatchDetail::Nearest
    };
    let answer = state
        .session(&r)
        .check_points(
            "request body",
            &points,
            within.unwrap_or(DEFAULT_WITHIN_M),
            detail,
        )
        .await?;
    Ok(Json(answer))
}

/// The answer for a route or site: each feature's verdict, and the hazards along it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RouteCheck)]
pub struct RouteCheckDoc {
    pub status: String,
    pub safe: bool,
    #[schema(value_type = Vec<Object>)]
    pub hazards: Vec<serde_json::Value>,
}

/// A route or site as GeoJSON (lines or polygons).
#[utoipa::path(post, path = "/api/v1/check/route", tag = "check", params(BatchQuery),
    request_body(content = Object, content_type = "application/geo+json"),
    responses((status = 200, body = RouteCheckDoc), (status = 400, body = Problem),
        (status = 422, body = Problem)))]
pub async fn route(
    State(state): State<AppState>,
    r: Requester,
    Query(q): Query<BatchQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<demine_app::RouteCheck>> {
    let threads = state.app().threads();
    let c = demine_geo::read_features(
        demine_geo::FileFormat::Geojson,
        "request body",
        &body,
        threads,
    )
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let geoms: Vec<(usize, demine_geo::Geometry)> = c
        .features
        .into_iter()
        .filter_map(|f| f.geometry.map(|g| (f.index, g)))
        .collect();
    if geoms.is_empty() {
        return Err(ApiError::Unprocessable(
            "request body: no geometry to check".into(),
        ));
    }
    let answer = state
        .session(&r)
        .check_route("request body", &geoms, q.within.unwrap_or(DEFAULT_WITHIN_M))
        .await?;
    Ok(Json(answer))
}
