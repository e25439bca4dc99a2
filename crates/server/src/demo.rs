//! The demo (`demine serve --demo`): a synthetic national programme in a database of its own,
//! generated deterministically from a seed (hazardous areas, land release, casualties, funding,
//! an account of each role), and every response labelled synthetic.

use std::path::Path;

use demine_store::accounts::Role;
use demine_store::{AnyStore, ops};

use crate::error::ApiError;

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

/// An account of the demo: name, role, State, organisation, restricted permission.
pub type DemoAccount = (
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

/// The demo's accounts.
pub const DEMO_USERS: &[DemoAccount] = &[
    ("demo-admin", Role::Administrator, None, None, false),
    (
        "demo-editor",
        Role::Editor,
        Some("KHM"),
        Some("Team North"),
        false,
    ),
    ("demo-reviewer", Role::Reviewer, Some("KHM"), None, false),
    ("demo-viewer", Role::Viewer, None, None, false),
    ("demo-researcher", Role::Viewer, None, None, true),
];

/// The meta fact that marks a demo database.
pub const DEMO_META: &str = "demo";

/// A demo account and its password, printed when the demo starts.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// A small deterministic generator (splitmix64): the same seed gives the same programme.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// The demo password of an account: from the seed and the name, so it is the same every start.
fn password(seed: u64, name: &str) -> String {
    let mut r = Rng(seed
        ^ name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }));
    format!("demo-{:016x}", r.next())
}

/// The synthetic programme: `n` hazardous areas inside Cambodia's interior (filed under KHM, by
/// three organisations), as a GeoJSON text, and land release on every third of them.
fn programme(seed: u64, n: usize) -> (String, String) {
    let mut r = Rng(seed);
    let orgs = ["Team North", "Team South", "Team East"];
    let mut areas = Vec::new();
    let mut acts = Vec::new();
    for i in 0..n {
        let x = r.range(103.6, 105.4);
        let y = r.range(12.2, 13.4);
        let w = r.range(0.002, 0.01);
        let h = r.range(0.002, 0.01);
        let ring = serde_json::json!([[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]);
        areas.push(serde_json::json!({
            "type": "Feature",
            "id": i + 1,
            "properties": {
                "reference": format!("DEMO-{:04}", i + 1),
                "name": format!("synthetic area {}", i + 1),
                "type": if i % 4 == 0 { "SHA" } else { "CHA" },
                "status": "open",
                "organisation": orgs[i % 3],
                "notes": "synthetic: generated for the demo",
            },
            "geometry": {"type": "Polygon", "coordinates": ring},
        }));
        if i % 3 == 0 {
            let half = serde_json::json!([[
                [x, y],
                [x + w / 2.0, y],
                [x + w / 2.0, y + h],
                [x, y + h],
                [x, y]
            ]]);
            acts.push(serde_json::json!({
                "type": "Feature",
                "properties": {
                    "area_id": i + 1,
                    "kind": "clearance",
                    "start": format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                    "depth_cm": 20,
                },
                "geometry": {"type": "Polygon", "coordinates": half},
            }));
        }
    }
    let fc = |f: Vec<serde_json::Value>| {
        serde_json::json!({"type": "FeatureCollection", "features": f}).to_string()
    };
    (fc(areas), fc(acts))
}

/// The source every synthetic record of the demo cites.
pub const DEMO_SOURCE: &str = "demo-synthetic";

/// Synthetic records as CSV, each citing [`DEMO_SOURCE`]: the source itself, `n` casualties
/// in Cambodia from 2019 to 2025 (ids `DEMO-C0001`...), and a contribution a year from three
/// made-up donors. Every text says it is synthetic.
fn records(seed: u64, n: usize) -> [(&'static str, String); 3] {
    let mut r = Rng(seed.rotate_left(17) ^ 0x5eed);
    let sources = format!(
        "id,title,publisher,year,url\n{DEMO_SOURCE},Synthetic records generated for the demine \
         demo (not real data),demine demo,2025,generated by demine serve --demo\n"
    );
    let pick = |r: &mut Rng, xs: &[&'static str]| xs[(r.next() % xs.len() as u64) as usize];
    let mut casualties = String::from(
        "id,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n",
    );
    let provinces = ["Battambang", "Banteay Meanchey", "Pailin", "Preah Vihear"];
    let devices = ["ap-mine", "at-mine", "erw", "cluster-munition-remnant"];
    for i in 0..n {
        let year = 2019 + (i % 7);
        let killed = u64::from(r.next().is_multiple_of(4));
        casualties.push_str(&format!(
            "DEMO-C{:04},{year}-{:02}-{:02},KHM,{},{},{killed},{},{},{},{},{DEMO_SOURCE}\n",
            i + 1,
            1 + r.next() % 12,
            1 + r.next() % 28,
            pick(&mut r, &provinces),
            pick(&mut r, &devices),
            1 - killed,
            pick(&mut r, &["civilian", "civilian", "deminer", "military"]),
            pick(&mut r, &["child", "adult", "adult"]),
            pick(&mut r, &["female", "male"]),
        ));
    }
    let mut funding =
        String::from("donor,recipient,recipient_iso3,year,amount,currency,purpose,source,note\n");
    for (k, year) in (2019..=2025).enumerate() {
        let donor = [
            "Synthetic Donor A",
            "Synthetic Donor B",
            "Synthetic Donor C",
        ][k % 3];
        let amount = (r.range(0.2, 2.5) * 1_000_000.0).round();
        funding.push_str(&format!(
            "{donor},Synthetic demo programme,KHM,{year},{amount},USD,clearance,{DEMO_SOURCE},\
             synthetic: generated for the demo\n"
        ));
    }
    [
        ("sources", sources),
        ("casualties", casualties),
        ("funding", funding),
    ]
}

/// Opens the demo database at `path` (never the real one): creates it with the bundled record,
/// a synthetic programme from `seed` and an account of each role on first use. A file that is
/// not a demo database is refused.
pub async fn open(path: &Path, seed: u64) -> Result<(AnyStore, Vec<DemoUser>), ApiError> {
    use demine_store::Store as _;
    let target = path.to_string_lossy().into_owned();
    if path.exists() {
        let existing = ops::open_reader(&target, "demo").await?;
        let mark = existing.meta(DEMO_META).await?;
        existing.close().await?;
        if mark.as_deref() != Some("synthetic") {
            return Err(ApiError::Conflict(format!(
                "{}: not a demo database (it holds real data?); the demo needs a file of its own \
                 (--demo-db)",
                path.display()
            )));
        }
    }
    let store = ops::open_seeded(&target, "demo").await?;
    let mut users = Vec::new();
    for (name, role, ..) in DEMO_USERS {
        users.push(DemoUser {
            name: (*name).to_string(),
            role: *role,
            password: password(seed, name),
        });
    }
    if store.meta(DEMO_META).await?.is_none() {
        let app = demine_app::App::new(store.clone());
        let session = app.session(demine_store::Requester::local(
            "demo",
            demine_store::Access::Operational,
        ));
        let (areas, acts) = programme(seed, 60);
        let collection = demine_app::hazards::read_area_file(
            "demo areas",
            areas.as_bytes(),
            demine_geo::FileFormat::Geojson,
            None,
            1,
        )?;
        let import = demine_app::HazardImport {
            name: "demo areas".into(),
            collection,
            properties: demine_app::hazards::geojson_properties(areas.as_bytes()),
            iso3: Some("KHM".into()),
            tolerance_m: 1000.0,
            dry_run: false,
        };
        session.import_hazards(import, &|_, _| {}).await?;
        session.import_activities("demo activities", &acts).await?;
        for (kind, text) in records(seed, 40) {
            let kind: demine_store::ImportKind = kind
                .parse()
                .map_err(|e| ApiError::Internal(format!("demo {kind}: {e}")))?;
            ops::import_reader(
                &store,
                kind,
                &format!("demo {kind:?}"),
                text.as_bytes(),
                "demo",
                &|_, _| {},
            )
            .await?;
        }
        for (u, (_, _, iso3, org, restricted)) in users.iter().zip(DEMO_USERS) {
            let new = crate::accounts::NewAccount {
                name: u.name.clone(),
                role: u.role,
                iso3: iso3.map(str::to_string),
                organisation: org.map(str::to_string),
                restricted: *restricted,
            };
            crate::accounts::add(&store, &new, &u.password, "demo").await?;
        }
        store.set_meta(DEMO_META, "synthetic").await?;
    }
    Ok((store, users))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programme_and_passwords_follow_the_seed() {
        assert_eq!(programme(7, 10), programme(7, 10));
        assert_ne!(programme(7, 10), programme(8, 10));
        assert_eq!(password(1, "a"), password(1, "a"));
        assert_ne!(password(1, "a"), password(1, "b"));
        assert!(password(1, "a").len() >= crate::auth::MIN_PASSWORD);
        assert_eq!(records(7, 5), records(7, 5));
        assert_ne!(records(7, 5)[1], records(8, 5)[1]);
    }
}
