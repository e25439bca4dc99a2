//! A property-based run against the OpenAPI document: for every operation of the document,
//! requests with generated path parameters, query parameters (from the operation's declared
//! names) and JSON bodies, by an anonymous visitor and by an administrator. No request may get a
//! 500, and every failure is a problem document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, world};
use proptest::prelude::*;
use serde_json::Value;

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("1e400".to_string()),
        Just("NaN".to_string()),
        Just("9007199254740993".to_string()),
        Just("2024-02-30".to_string()),
        Just("KHM".to_string()),
        Just("103,13,104,14".to_string()),
        Just("%00".to_string()),
        "[a-zA-Z0-9 ,._-]{0,12}",
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_string()),
                    Just("password".to_string()),
                    Just("role".to_string()),
                    Just("kind".to_string()),
                    Just("feature".to_string()),
                    Just("points".to_string()),
                    Just("label".to_string()),
                    Just("disabled".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn no_generated_request_gets_a_500() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let w = rt.block_on(world());
    let (_, doc) = demine_server::api();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["in"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            ops.push((m.to_uppercase(), path.clone(), params));
        }
    }
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(vals in prop::collection::vec(value(), 8), body in json_value(), admin in any::<bool>())| {
        for (m, path, params) in &ops {
            let mut uri = path.clone();
            let mut query = Vec::new();
            for (i, (name, place)) in params.iter().enumerate() {
                let v = &vals[i % vals.len()];
                if place == "path" {
                    let v = if v.is_empty() { "x" } else { v.as_str() };
                    uri = uri.replace(&format!("{{{name}}}"), &encode(v));
                } else {
                    query.push(format!("{name}={}", encode(v)));
                }
            }
            if !query.is_empty() {
                uri = format!("{uri}?{}", query.join("&"));
            }
            let method = Method::from_bytes(m.as_bytes()).unwrap();
            let send_body = (method != Method::GET).then(|| body.clone());
            let who = if admin { Some("admin") } else { None };
            let r = rt.block_on(call(&w, method.clone(), &uri, who, send_body));
            prop_assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{} {}: {}", m, uri, r.text());
            if !r.status.is_success() {
                prop_assert_eq!(
                    r.headers["content-type"].to_str().unwrap(),
                    "application/problem+json",
                    "{} {}", m, uri
                );
            }
        }
    });
}
