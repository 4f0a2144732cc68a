//! The OpenAPI document is built from the endpoint declarations, committed as
//! `docs/openapi.json` (regenerate with `UPDATE_OPENAPI=1 cargo test -p ea-server --test openapi`),
//! and agrees with what the router serves and with the field limits the server enforces.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use ea_api::endpoints::{ALL, HttpMethod};
use ea_api::limits;
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(ea_server::http::openapi::build()).unwrap()
}

#[test]
fn committed_document_matches_the_declarations() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let want = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    ea_testkit::check_generated(
        path,
        &want,
        "UPDATE_OPENAPI",
        "cargo test -p ea-server --test openapi",
    );
}

#[tokio::test]
async fn the_router_serves_every_declared_endpoint_and_the_document_serves_the_same() {
    let h = Harness::new().await;
    for e in ALL {
        let (st, v) = h.request(e.method.as_str(), e.path, None, None).await;
        assert_ne!(
            st,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {}",
            e.method.as_str(),
            e.path
        );
        assert!(
            v["code"] != "not_found",
            "{} {} is declared but not routed",
            e.method.as_str(),
            e.path
        );
        let other = match e.method {
            HttpMethod::Get => "POST",
            HttpMethod::Post => "GET",
        };
        let (st, _) = h.request(other, e.path, None, None).await;
        assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED, "{other} {}", e.path);
    }
    let (st, served) = h.request("GET", "/v1/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(served, document());
}

/// Every answer, success or refusal, tells caches not to keep it and browsers not to guess its
/// type: they carry session tokens, emergency codes and cryptograms.
#[tokio::test]
async fn every_answer_is_marked_no_store_and_nosniff() {
    let h = Harness::new().await;
    let (token, _) = h.start("acme", "alice").await;
    let paths = ALL.iter().map(|e| (e.method.as_str(), e.path)).chain([
        ("GET", "/v1/nothing"),
        ("GET", ea_server::http::openapi::PATH),
    ]);
    for (method, path) in paths {
        for auth in [None, Some(format!("Bearer {token}"))] {
            let mut req = axum::http::Request::builder().method(method).uri(path);
            if let Some(a) = &auth {
                req = req.header("authorization", a);
            }
            let req = req.body(axum::body::Body::empty()).unwrap();
            let res = tower::ServiceExt::oneshot(ea_server::app(h.state.clone()), req)
                .await
                .unwrap();
            let header = |name: &str| {
                res.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            assert_eq!(
                header("cache-control").as_deref(),
                Some("no-store"),
                "{method} {path}"
            );
            assert_eq!(
                header("x-content-type-options").as_deref(),
                Some("nosniff"),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn every_operation_lists_its_statuses_and_the_codes_behind_them() {
    let doc = document();
    for e in ALL {
        let method = e.method.as_str().to_lowercase();
        let responses = &doc["paths"][e.path][&method]["responses"];
        let listed: Vec<u16> = responses
            .as_object()
            .unwrap_or_else(|| panic!("{} has no responses", e.path))
            .keys()
            .map(|k| k.parse().unwrap())
            .collect();
        let want: Vec<u16> = ea_server::http::openapi::statuses(e).into_keys().collect();
        assert_eq!(listed, want, "{}", e.path);
        assert!(listed.contains(&e.ok));
        if e.request.is_some() {
            for s in ["400", "413", "415"] {
                assert!(responses[s].is_object(), "{} lacks {s}", e.path);
            }
        }
        // Only `internal` is a 500: a declared refusal whose status could not be found would
        // land here.
        assert_eq!(responses["500"]["description"], "`internal`", "{}", e.path);
    }
}

#[test]
fn field_limits_in_the_document_are_the_enforced_ones() {
    let doc = document();
    let prop = |schema: &str, field: &str| {
        doc["components"]["schemas"][schema]["properties"][field].clone()
    };
    let cases = [
        ("StartSessionRequest", "tenant", limits::TENANT),
        ("StartSessionRequest", "username", limits::USERNAME),
        ("ChooseFlowRequest", "flow_id", limits::FLOW_ID),
        ("ConfirmContactRequest", "value", limits::CONTACT),
        ("VerifyCodeRequest", "code", limits::CODE),
        ("QuestionAnswer", "answer", limits::ANSWER),
        ("TotpVerifyRequest", "code", limits::CODE),
        ("TotpResyncRequest", "first_code", limits::CODE),
        ("TotpResyncRequest", "second_code", limits::CODE),
        ("ResetPasswordRequest", "new_password", limits::PASSWORD),
        ("CardCryptogramRequest", "serial", limits::SERIAL_HEX),
        ("CardResultRequest", "serial", limits::SERIAL_HEX),
        ("ValidateCodeRequest", "username", limits::USERNAME),
        ("ValidateCodeRequest", "code", limits::EMERGENCY_CODE),
    ];
    for (schema, field, max) in cases {
        let p = prop(schema, field);
        assert_eq!(p["maxLength"], max, "{schema}.{field}: {p}");
    }
    // An address: IPv4 or IPv6, as the server parses it.
    let address = prop("ValidateCodeRequest", "client_address");
    let formats: Vec<&str> = address["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            assert_eq!(s["maxLength"], limits::CLIENT_ADDRESS, "{address}");
            s["format"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(formats, ["ipv4", "ipv6"], "{address}");
    assert_eq!(
        prop("AnswerQuestionsRequest", "answers")["maxItems"],
        limits::ANSWERS
    );
    // Text fields may not be blank: the schema says so, so a generated request cannot be
    // schema-valid and refused as empty.
    assert_eq!(prop("StartSessionRequest", "tenant")["minLength"], 1);
    assert!(prop("StartSessionRequest", "tenant")["pattern"].is_string());
}
