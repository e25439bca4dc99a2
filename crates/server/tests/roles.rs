//! Every route and method of the OpenAPI document (read from the document, not listed here),
//! tried by an anonymous visitor and by a user of each role, with a body generated from the
//! document's schema: nobody gets a 500, nobody gets data above their tier, and nobody writes
//! outside what their role allows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::{USERS, World, call, world};
use serde_json::{Value, json};

/// Every (method, path template, operation) of the document.
fn operations() -> Vec<(Method, String, Value)> {
    let (_, doc) = demine_server::api();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            out.push((method, path.clone(), op.clone()));
        }
    }
    out
}

/// A value of a schema: required properties only, the simplest value of each type.
fn example(schema: &Value, doc: &Value, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        return example(&doc["components"]["schemas"][name], doc, depth + 1);
    }
    let ty = match &schema["type"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ => "object".into(),
    };
    match ty.as_str() {
        "string" => json!("x"),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(false),
        "array" => json!([]),
        "null" => Value::Null,
        _ => {
            let mut m = serde_json::Map::new();
            for req in schema["required"].as_array().into_iter().flatten() {
                let k = req.as_str().unwrap();
                m.insert(k.into(), example(&schema["properties"][k], doc, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn body_for(op: &Value) -> Option<Value> {
    let (_, doc) = demine_server::api();
    let doc = serde_json::to_value(&doc).unwrap();
    let content = op.get("requestBody")?.get("content")?;
    let schema = content
        .get("application/json")
        .map(|c| &c["schema"])
        .unwrap_or(&Value::Null);
    Some(example(schema, &doc, 0))
}

/// The path with its parameters filled: the area of the world, its first report, the
/// requester's own name, the victims table.
fn concrete(path: &str, who: Option<&str>, w: &World) -> String {
    path.replace("{iso3}", "KHM")
        .replace("{kind}", "victims")
        .replace("{name}", who.unwrap_or("viewer"))
        .replace(
            "{id}",
            &if path.starts_with("/api/v1/hazards") {
                w.area_id.to_string()
            } else {
                "1".to_string()
            },
        )
}

/// The coordinates of the world's area: never in a response to an anonymous visitor.
const SECRET_COORD: &str = "103.12";

/// Routes anyone may write to: logging in and out, and the checks (they read).
fn open_write(method: &Method, path: &str) -> bool {
    path == "/api/v1/session" || (method == Method::POST && path.starts_with("/api/v1/check"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role_stays_in_its_tier() {
    let w = world().await;
    // A draft report to act on (id 1), by the CMAC editor.
    let feature = json!({"type": "Feature", "properties": {"status": "open"},
        "geometry": {"type": "Polygon", "coordinates": [[[103.2, 13.2], [103.21, 13.2],
        [103.21, 13.21], [103.2, 13.21], [103.2, 13.2]]]}});
    let r = call(
        &w,
        Method::POST,
        "/api/v1/reports",
        Some("editor"),
        Some(json!({"kind": "new-area", "feature": feature})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    let ops = operations();
    assert!(ops.len() >= 20, "{} operations", ops.len());
    let mut who: Vec<Option<&str>> = vec![None];
    who.extend(USERS.iter().map(|u| Some(u.0)));
    for (method, path, op) in &ops {
        let needs_account = op.get("security").is_some();
        for name in &who {
            let uri = concrete(path, *name, &w);
            let body = body_for(op);
            let r = call(&w, method.clone(), &uri, *name, body).await;
            let ctx = format!("{method} {uri} as {}", name.unwrap_or("anonymous"));
            assert_ne!(
                r.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{ctx}: {}",
                r.text()
            );
            assert_ne!(
                r.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{ctx}: documented, not routed"
            );
            if !r.status.is_success() {
                assert_eq!(
                    r.headers["content-type"],
                    "application/problem+json",
                    "{ctx}: {}",
                    r.text()
                );
            }
            match name {
                None => {
                    if needs_account {
                        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{ctx}: {}", r.text());
                    }
                    if r.status.is_success() {
                        assert!(
                            !r.text().contains(SECRET_COORD),
                            "{ctx}: coordinates leaked"
                        );
                    }
                    if *method != Method::GET && !open_write(method, path) {
                        assert!(!r.status.is_success(), "{ctx}: anonymous wrote");
                    }
                }
                Some(n) => {
                    let role = USERS.iter().find(|u| u.0 == *n).unwrap();
                    let viewer = role.1 == demine_store::accounts::Role::Viewer;
                    let own_token = path == "/api/v1/users/{name}/tokens";
                    if viewer && *method != Method::GET && !open_write(method, path) && !own_token {
                        assert!(!r.status.is_success(), "{ctx}: a viewer wrote");
                    }
                    if path.starts_with("/api/v1/users") && !own_token {
                        let admin = role.1 == demine_store::accounts::Role::Administrator;
                        assert!(admin || !r.status.is_success(), "{ctx}");
                    }
                    if path == "/api/v1/records/{kind}" {
                        // victims: the restricted permission (administrators have it).
                        let allowed = role.4 || role.0 == "admin";
                        assert_eq!(r.status.is_success(), allowed, "{ctx}");
                    }
                    if path.starts_with("/api/v1/reports/{id}") && r.status.is_success() {
                        // The CMAC draft: not for the HALO team nor the Afghan editor.
                        assert!(!["editor-halo", "editor-afg"].contains(n), "{ctx}");
                    }
                }
            }
        }
    }
    // No write by a viewer or an anonymous visitor reached the audit log.
    let log = demine_store::Store::audit_entries(&w.store).await.unwrap();
    assert!(
        log.iter().all(
            |e| !["viewer", "researcher", "anonymous"].contains(&e.actor.as_str())
                || e.entity == "account_token"
        ),
        "{:?}",
        log.iter().rev().take(5).collect::<Vec<_>>()
    );
}

/// Every route the router serves is in the document: the API is registered only through
/// utoipa-axum's `routes!` (which documents what it routes), so no `.route(` call may appear in
/// the API's sources; and every documented operation is routed (no 404 "no route", no 405).
#[tokio::test]
async fn the_document_holds_every_route() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(
                    !text.contains(".route("),
                    "{}: a route registered outside the OpenAPI router",
                    p.display()
                );
            }
        }
    }
    let w = world().await;
    for (method, path, _) in operations() {
        let uri = concrete(&path, Some("admin"), &w);
        let r = call(&w, method.clone(), &uri, Some("admin"), None).await;
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(
            !r.text().contains("no route"),
            "{method} {uri}: documented but not routed"
        );
    }
}
