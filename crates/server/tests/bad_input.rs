//! Bad input at scale: every endpoint that takes a body gets generated JSON (any shape, and valid
//! bodies with one field replaced by anything) through the real router. No request may end in a
//! 5xx or a panic, and every answer must be one its declaration lists (the harness checks that),
//! so that each refusal is a clear, documented code. On SQLite, or PostgreSQL with
//! `EA_TEST_STORE=postgres`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::Harness;
use ea_api::endpoints::{ALL, Auth, EndpointInfo};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Cases per endpoint and strategy.
const CASES: u32 = 96;

/// Field names the endpoints read, so that generated objects often hit a real field.
const FIELDS: &[&str] = &[
    "tenant",
    "username",
    "flow_id",
    "contact_id",
    "value",
    "code",
    "answers",
    "question_id",
    "answer",
    "first",
    "second",
    "new_password",
    "max_uses",
    "valid_from",
    "valid_to",
    "serial",
    "challenge",
    "new_pin_length",
    "delivery",
    "outcome",
    "tries_left",
    "client_address",
    "language",
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        "\\PC{0,40}".prop_map(Value::from),
        "[0-9A-Fa-f]{0,40}".prop_map(Value::from),
        Just(Value::from("\u{0}\u{202e}\u{feff}")),
        Just(Value::from("x".repeat(5000))),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(FIELDS).prop_map(str::to_owned),
            1 => "\\PC{0,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A body that satisfies each endpoint's schema, to mutate.
fn valid_body(info: &EndpointInfo) -> Value {
    match info.id {
        "start_session" => json!({"tenant": "acme", "username": "alice"}),
        "choose_flow" => json!({"flow_id": "sms-totp"}),
        "confirm_contact" => json!({"contact_id": 0, "value": "+41791234567"}),
        "verify_code" | "verify_totp" => json!({"code": "123456"}),
        "resync_totp" => json!({"first": "123456", "second": "654321"}),
        "answer_questions" => json!({"answers": [{"question_id": 1, "answer": "Rex"}]}),
        "reset_password" => json!({"new_password": "violet staple orbit canyon"}),
        "issue_emergency_code" => json!({"max_uses": 2}),
        "card_cryptogram" => {
            json!({"serial": "EA5EC0DE00000001", "challenge": "00112233445566778899AABBCCDDEEFF"})
        }
        "card_result" => json!({"serial": "EA5EC0DE00000001", "outcome": "unblocked"}),
        "validate_emergency_code" => json!({"username": "alice", "code": "ABCD-EFGH-JKLM"}),
        "start_enrolment" => {
            json!({"tenant": "acme", "username": "dana", "code": "ABCD-EFGH-JKLM"})
        }
        "confirm_enrolment_address" | "confirm_new_contact" | "confirm_authenticator" => {
            json!({"code": "123456"})
        }
        "add_contact" => json!({"kind": "phone", "value": "+41 79 111 22 33"}),
        "start_enrolment_with_password" => {
            json!({"tenant": "acme", "username": "dana", "password": "a password"})
        }
        "remove_contact" => json!({"kind": "phone", "id": 0}),
        "set_answers" => json!({"answers": [{"question": "Q?", "answer": "an answer"}]}),
        _ => json!({}),
    }
}

#[test]
fn generated_bodies_never_get_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (h, (session, enrolment), rp) = rt.block_on(async {
        let mut h = Harness::new().await;
        // One client address sends all of it: its budget is raised so the bodies reach the
        // handlers.
        let mut limits = common::test_limits();
        limits.requests_per_source_per_minute = 1_000_000;
        limits.validations_per_source_per_minute = 1_000_000;
        h.restart_with(limits).await;
        let (session, _) = h.start("acme", "alice").await;
        let rp = h.relying_party("acme").await;
        h.enrolment_profile("acme", "[phones]\nrequired = 1\n")
            .await;
        let (enrolment, _) = h.enrol("acme", "dana", "dana@example.org").await;
        (h, (session, enrolment), rp)
    });
    let tried = AtomicUsize::new(0);
    let endpoints: Vec<&EndpointInfo> = ALL.iter().filter(|e| e.request.is_some()).collect();
    assert!(endpoints.len() >= 10, "{}", endpoints.len());
    for info in endpoints {
        let token = match info.auth {
            Auth::Session => Some(session.as_str()),
            Auth::Enrolment => Some(enrolment.as_str()),
            Auth::RelyingParty => Some(rp.as_str()),
            Auth::Client | Auth::Public => None,
        };
        let send = |body: Value| {
            tried.fetch_add(1, Ordering::Relaxed);
            let (status, v) = rt.block_on(h.call_info(info, token, Some(body.clone())));
            prop_assert!(
                !status.is_server_error(),
                "{} {}: {status} {v} for {body}",
                info.method.as_str(),
                info.path
            );
            Ok(())
        };
        let config = ProptestConfig {
            cases: CASES,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest!(config, |(body in any_json())| send(body)?);
        let base = valid_body(info);
        let fields: Vec<String> = base
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        proptest!(config, |(pick in any::<prop::sample::Index>(), value in any_json(), drop in any::<bool>())| {
            let mut body = base.clone();
            if let (Some(obj), false) = (body.as_object_mut(), fields.is_empty()) {
                let field = pick.get(&fields).clone();
                if drop { obj.remove(&field); } else { obj.insert(field, value); }
            }
            send(body)?;
        });
    }
    println!(
        "{}: {} generated bodies, no server error",
        ea_testkit::database::store_name(),
        tried.load(Ordering::Relaxed)
    );
}
