//! The verification API through the real router, on SQLite built from the migrations.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Harness, shape};
use ea_api::endpoints::{self as ep, Endpoint};
use ea_store::{audit, outbox};
use serde_json::{Value, json};

#[tokio::test]
async fn sms_then_totp_completes_and_permits_actions() {
    let h = Harness::new().await;
    let (t, s) = h.start("acme", "Alice").await;
    assert_eq!(s["status"], "choosing_flow");
    assert_eq!(s["flows"].as_array().map(Vec::len), Some(2));
    assert!(s["step"].is_null());
    assert_eq!(t.len(), 43, "256-bit token, base64url");
    // The view carries the server's clock, for clients whose own is wrong.
    assert_eq!(s["server_time"], json!(h.state.now()));
    let (_, again) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(again["server_time"], json!(h.state.now()));

    let (st, v) = h
        .call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["step"]["method"], "sms_otp");
    assert_eq!(
        v["step"]["contacts"],
        json!([{"id": 0, "masked": "+41 ••••••• 67"}])
    );
    let (st, c) = h.call::<ep::GetContacts>(Some(&t), None).await;
    assert_eq!((st, c["kind"].as_str()), (StatusCode::OK, Some("phone")));

    let (st, v) = h
        .call::<ep::ConfirmContact>(
            Some(&t),
            Some(json!({"contact_id": 0, "value": "079 123 45 67"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["step"]["code_sent"], true);
    assert_eq!(v["step"]["resend_available_at"], common::T0 + 60);
    let code = h.code_for("+41791234567").await;

    let (st, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["step"]["method"], "totp");
    let (st, v) = h.call::<ep::GetActions>(Some(&t), None).await;
    assert_eq!(
        (st, v["actions"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );

    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "completed");
    let (_, v) = h.call::<ep::GetActions>(Some(&t), None).await;
    assert_eq!(
        v["actions"],
        json!([
            "reset_password",
            "card_pin_unblock",
            "unblock_user",
            "emergency_code",
            "manage_recovery"
        ])
    );

    // The same authenticator code cannot serve a second session.
    let t2 = h.send_code("sms-totp", "+41791234567").await;
    let code = h.code_for("+41791234567").await;
    h.call::<ep::VerifyCode>(Some(&t2), Some(json!({"code": code})))
        .await;
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t2), Some(json!({"code": h.totp(0)})))
        .await;
    // Answered exactly like a wrong code: a guesser must not learn that the code was right.
    let (wrong_st, wrong) = h
        .call::<ep::VerifyTotp>(Some(&t2), Some(json!({"code": "000000"})))
        .await;
    assert_eq!((st, &v), (wrong_st, &wrong));
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("totp_invalid"))
    );
    // ... but recorded for what it was, counted, and the user is told.
    let guard = ea_store::guards::load(
        h.state.store.db(),
        h.tenant_id("acme").await,
        "alice",
        ea_store::guards::ACCOUNT,
    )
    .await
    .expect("guard")
    .0;
    assert_eq!(
        guard.failures, 2,
        "the replay and the wrong code both count"
    );
    let log = h.delivered().await;
    assert!(
        log.contains("already used was entered again"),
        "the user is told of the replay: {log}"
    );

    let rows = audit::export(h.state.store.db(), None, None)
        .await
        .expect("audit");
    let events: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
    assert!(events.contains(&"verification_completed"), "{events:?}");
    let replays = rows
        .iter()
        .filter(|r| r.detail.contains("\"outcome\":\"totp_replayed\""))
        .count();
    assert_eq!(replays, 1, "the replay is audited as one");
    let all = serde_json::to_string(&rows.iter().map(|r| r.detail.clone()).collect::<Vec<_>>())
        .expect("json");
    assert!(!all.contains(&code), "audit log holds no code");
}

#[tokio::test]
async fn email_then_questions_with_retries_and_stop() {
    let h = Harness::new().await;
    let t = h.send_code("email-questions", "ALICE@example.ORG").await;
    let code = h.code_for("alice@example.org").await;
    assert_eq!(code.len(), 8);
    let (_, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(v["step"]["method"], "questions");
    let qs = v["step"]["questions"]
        .as_array()
        .expect("questions")
        .clone();
    assert_eq!(qs.len(), 2);
    assert_eq!(v["step"]["tries_left"], 3);
    let answer = |text: &str| match text {
        "First pet?" => "rex",
        "Birth city?" => "ZURICH".replace('U', "Ü").leak(),
        _ => "  hillside ",
    };
    let wrong = json!({"answers": qs.iter().map(|q| json!({"question_id": q["id"], "answer": "nope"})).collect::<Vec<_>>()});
    let (st, e) = h.call::<ep::AnswerQuestions>(Some(&t), Some(wrong)).await;
    assert_eq!(
        (st, e.clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"code": "answers_wrong", "params": {"tries_left": 2}})
        )
    );
    let (_, v) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(
        v["step"]["questions"].as_array(),
        Some(&qs),
        "same questions after a failed try"
    );

    let right = json!({"answers": qs.iter().map(|q| json!({"question_id": q["id"], "answer": answer(q["text"].as_str().unwrap_or_default())})).collect::<Vec<_>>()});
    let (st, v) = h.call::<ep::AnswerQuestions>(Some(&t), Some(right)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["actions"],
        json!([
            "reset_password",
            "unblock_user",
            "emergency_code",
            "manage_recovery"
        ])
    );

    // A second session: three wrong tries stop the whole verification.
    let t = h.send_code("email-questions", "alice@example.org").await;
    let code = h.code_for("alice@example.org").await;
    let (_, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    let wrong = json!({"answers": v["step"]["questions"].as_array().expect("qs").iter().map(|q| json!({"question_id": q["id"], "answer": "nope"})).collect::<Vec<_>>()});
    for left in [2, 1, 0] {
        let (_, e) = h
            .call::<ep::AnswerQuestions>(Some(&t), Some(wrong.clone()))
            .await;
        assert_eq!(e["params"]["tries_left"], left, "{e}");
    }
    let (st, e) = h.call::<ep::AnswerQuestions>(Some(&t), Some(wrong)).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::GONE, Some("verification_failed"))
    );
    let (_, v) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(v["status"], "failed");
}

#[tokio::test]
async fn single_flow_tenant_skips_the_choice_and_resyncs_drift() {
    let h = Harness::new().await;
    let (t, s) = h.start("solo", "alice").await;
    assert_eq!(s["status"], "in_progress");
    assert_eq!(s["flow_id"], "totp-only");
    assert_eq!(
        s["step"],
        json!({"method": "totp", "resync_required": false, "digits": 6})
    );
    let (st, e) = h
        .call::<ep::ResyncTotp>(
            Some(&t),
            Some(json!({"first_code": "1", "second_code": "2"})),
        )
        .await;
    assert_eq!(
        (st, e),
        (
            StatusCode::CONFLICT,
            json!({"code": "step_out_of_order", "params": {"expected": "totp"}})
        )
    );

    let (st, e) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(1)})))
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("totp_resync_required")
        )
    );
    let (_, v) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(v["step"]["resync_required"], true);
    let (st, v) = h
        .call::<ep::ResyncTotp>(
            Some(&t),
            Some(json!({"first_code": h.totp(1), "second_code": h.totp(2)})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["actions"], json!(["unblock_user"]));

    // The drift is stored: a later session accepts the authenticator's shifted "now".
    h.clock.advance(120);
    let (t, _) = h.start("solo", "alice").await;
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(2)})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn unknown_users_get_the_same_shape_and_status() {
    let h = Harness::new().await;
    let (_, known) = h.start("acme", "alice").await;
    let (t, unknown) = h.start("acme", "mallory").await;
    assert_eq!(shape(&known), shape(&unknown));
    let (s1, k) = h
        .call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
        .await;
    assert_eq!(s1, StatusCode::OK);
    assert!(
        k["step"]["contacts"][0]["masked"]
            .as_str()
            .is_some_and(|m| m.starts_with('+') && m.contains('•'))
    );
    let (t_known, _) = h.start("acme", "alice").await;
    h.call::<ep::ChooseFlow>(Some(&t_known), Some(json!({"flow_id": "sms-totp"})))
        .await;
    let (sk, ek) = h
        .call::<ep::ConfirmContact>(
            Some(&t_known),
            Some(json!({"contact_id": 0, "value": "+41 79 000 00 00"})),
        )
        .await;
    let (su, eu) = h
        .call::<ep::ConfirmContact>(
            Some(&t),
            Some(json!({"contact_id": 0, "value": "+41 79 000 00 00"})),
        )
        .await;
    assert_eq!((sk, ek), (su, eu));
    // Same decoys for the same name, so asking twice reveals nothing.
    let (t2, _) = h.start("acme", "MALLORY").await;
    let (_, k2) = h
        .call::<ep::ChooseFlow>(Some(&t2), Some(json!({"flow_id": "sms-totp"})))
        .await;
    assert_eq!(k["step"]["contacts"], k2["step"]["contacts"]);
    assert_eq!(
        outbox::pending_count(h.state.store.db())
            .await
            .expect("count"),
        0,
        "nothing is ever sent for unknown users"
    );
}

#[tokio::test]
async fn resend_waits_for_the_cooldown() {
    let h = Harness::new().await;
    let (t, _) = h.start("acme", "alice").await;
    h.call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
        .await;
    let (st, e) = h.call::<ep::ResendCode>(Some(&t), None).await;
    assert_eq!(
        (st, e["params"]["expected"].as_str()),
        (StatusCode::CONFLICT, Some("contact"))
    );
    h.call::<ep::ConfirmContact>(
        Some(&t),
        Some(json!({"contact_id": 0, "value": "+41791234567"})),
    )
    .await;
    let first = h.code_for("+41791234567").await;
    h.clock.advance(30);
    let req = Request::post(ep::ResendCode::INFO.path)
        .header("authorization", format!("Bearer {t}"))
        .body(Body::empty())
        .expect("req");
    let res = tower::ServiceExt::oneshot(ea_server::app(h.state.clone()), req)
        .await
        .expect("res");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("30")
    );
    h.clock.advance(30);
    let (st, v) = h.call::<ep::ResendCode>(Some(&t), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["step"]["resends_left"], 2);
    let second = h.code_for("+41791234567").await;
    if first != second {
        let (_, e) = h
            .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": first})))
            .await;
        assert_eq!(
            e["code"], "code_invalid",
            "the replaced code no longer works"
        );
    }
    let (st, _) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": second})))
        .await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn failures_lock_the_account_across_sessions() {
    let h = Harness::new().await;
    // Default policy: five failures lock for five minutes.
    for _ in 0..2 {
        let (t, _) = h.start("solo", "alice").await;
        for _ in 0..2 {
            let (_, e) = h
                .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": "000000"})))
                .await;
            assert_eq!(e["code"], "totp_invalid");
        }
    }
    let (t, _) = h.start("solo", "alice").await;
    h.call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": "000000"})))
        .await;
    let (st, e) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    assert_eq!(
        (st, e),
        (
            StatusCode::LOCKED,
            json!({"code": "account_locked", "params": {"retry_after": 300}})
        )
    );
    h.clock.advance(300);
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let rows = audit::export(h.state.store.db(), None, None)
        .await
        .expect("audit");
    assert!(rows.iter().any(|r| r.event == "account_locked"));
}

#[tokio::test]
async fn sessions_and_queued_messages_survive_a_restart() {
    let mut h = Harness::new().await;
    let t = h.send_code("sms-totp", "+41791234567").await;
    // The code is committed with its outbox row, but the process "dies" before sending.
    assert_eq!(
        outbox::pending_count(h.state.store.db())
            .await
            .expect("count"),
        1
    );
    h.restart().await;
    let code = h.code_for("+41791234567").await;
    assert_eq!(
        outbox::pending_count(h.state.store.db())
            .await
            .expect("count"),
        0
    );
    let (st, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["step"]["method"], "totp");
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let h = Harness::new().await;
    let (t, _) = h.start("acme", "alice").await;
    h.call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
        .await;
    let (_, before) = h.call::<ep::GetSession>(Some(&t), None).await;
    let audit_before = audit::export(h.state.store.db(), None, None)
        .await
        .expect("audit")
        .len();
    let auth = format!("Bearer {t}");
    let post = |path: &str, ct: Option<&str>, body: Vec<u8>| {
        let mut b = Request::post(path).header("authorization", auth.as_str());
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(Body::from(body)).expect("req")
    };
    let long = "9".repeat(300);
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                b"{\"contact_id\": 0, \"value\":".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("text/plain"),
                br#"{"contact_id":0,"value":"x"}"#.to_vec(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                None,
                br#"{"contact_id":0,"value":"x"}"#.to_vec(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                b"{\"contact_id\":0,\"value\":\"\xff\xfe\"}".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                json!({"contact_id": 0, "value": long})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                json!({"contact_id": 0, "value": "+41791234567", "extra": 1})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                json!({"contact_id": -1, "value": "+41791234567"})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                json!({"contact_id": 0, "value": "+4179\u{0}1234567"})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                vec![b' '; 20_000],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            post(
                ep::VerifyCode::INFO.path,
                Some("application/json"),
                json!({"code": "123456"}).to_string().into_bytes(),
            ),
            StatusCode::CONFLICT,
            "code_not_sent",
        ),
        (
            post(
                ep::VerifyTotp::INFO.path,
                Some("application/json"),
                json!({"code": "123456"}).to_string().into_bytes(),
            ),
            StatusCode::CONFLICT,
            "step_out_of_order",
        ),
        (
            post(
                ep::AnswerQuestions::INFO.path,
                Some("application/json"),
                json!({"answers": []}).to_string().into_bytes(),
            ),
            StatusCode::CONFLICT,
            "step_out_of_order",
        ),
        (
            post(
                ep::ChooseFlow::INFO.path,
                Some("application/json"),
                json!({"flow_id": "email-questions"})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::CONFLICT,
            "step_out_of_order",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                json!({"contact_id": 5, "value": "+41791234567"})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::NOT_FOUND,
            "contact_unknown",
        ),
        (
            post(
                ep::ConfirmContact::INFO.path,
                Some("application/json"),
                json!({"contact_id": 0, "value": "call me"})
                    .to_string()
                    .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contact_malformed",
        ),
    ];
    for (req, status, code) in cases {
        let path = req.uri().path().to_owned();
        let (st, e) = h.raw(req).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (status, Some(code)),
            "{path}: {e}"
        );
        if code == "invalid_field" {
            assert_eq!(e["params"]["field"], "value", "{e}");
        }
    }
    let (_, after) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(before, after, "refused requests change nothing");
    let audit_after = audit::export(h.state.store.db(), None, None)
        .await
        .expect("audit")
        .len();
    // Engine refusals are audited; parsing refusals never reach the service.
    assert_eq!(audit_after - audit_before, 6);
    assert_eq!(
        outbox::pending_count(h.state.store.db())
            .await
            .expect("count"),
        0
    );

    let (st, e) = h
        .call::<ep::StartSession>(
            None,
            Some(json!({"tenant": "acme", "username": "a".repeat(257)})),
        )
        .await;
    assert_eq!(
        (
            st,
            e["params"]["field"].as_str(),
            e["params"]["max"].as_u64()
        ),
        (StatusCode::BAD_REQUEST, Some("username"), Some(256))
    );
    let (st, e) = h
        .call::<ep::StartSession>(None, Some(json!({"tenant": "nope", "username": "alice"})))
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("tenant_unknown"))
    );
    let (st, e) = h.call::<ep::GetSession>(None, None).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (st, e) = h.call::<ep::GetSession>(Some("short"), None).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_unknown"))
    );
    let (st, e) = h.call::<ep::GetSession>(Some(&"A".repeat(43)), None).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_unknown"))
    );
    let (st, e) = h.request("GET", "/v1/nothing", None, None).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    h.clock.advance(15 * 60);
    let (st, e) = h
        .call::<ep::ConfirmContact>(
            Some(&t),
            Some(json!({"contact_id": 0, "value": "+41791234567"})),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );
}

#[tokio::test]
async fn health_and_openapi() {
    let h = Harness::new().await;
    let (st, v) = h.call::<ep::Health>(None, None).await;
    assert_eq!((st, v), (StatusCode::OK, json!({"status": "ok"})));
    let (st, v) = h.call::<ep::Ready>(None, None).await;
    assert_eq!(
        (st, v),
        (
            StatusCode::OK,
            json!({"status": "ok", "database": "ok", "sms": null, "email": null})
        )
    );
    let (st, doc) = h
        .request("GET", ea_server::http::openapi::PATH, None, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for p in ep::ALL.iter().map(|e| e.path) {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["SessionView"].is_object());
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
}

#[tokio::test]
async fn a_configured_client_key_is_required_on_the_verification_api() {
    let mut h = Harness::new().await;
    let key = "ea_ck_desktop-key-for-tests";

    let store = ea_store::Store::connect(&h.db_url).await.expect("store");
    let cfg = common::dispatch_config(h.dir.path());
    h.state = ea_server::AppState::new(
        store,
        ea_server::keys::Keys::new(h.kek.clone()),
        h.clock.clone(),
        cfg,
        ea_core::answers::HashCost::TEST,
    )
    .with_client_keys(vec![ea_server::token::SessionToken::hash_of(key)]);
    let start = |k: Option<&str>| {
        let mut b =
            Request::post(ep::StartSession::INFO.path).header("content-type", "application/json");
        if let Some(k) = k {
            b = b.header("x-ea-client-key", k);
        }
        b.body(Body::from(
            json!({"tenant": "acme", "username": "alice"}).to_string(),
        ))
        .expect("req")
    };
    let (st, e) = h.raw(start(None)).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("client_key_required"))
    );
    let (st, _) = h.raw(start(Some("ea_ck_wrong"))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = h.raw(start(Some(key))).await;
    assert_eq!(st, StatusCode::CREATED);
    // Exactly the desktop's endpoints need it: health, relying-party validation and the
    // OpenAPI document do not.
    for e in ep::ALL {
        let (_, v) = h.request(e.method.as_str(), e.path, None, None).await;
        let desktop = matches!(
            e.auth,
            ep::Auth::Client | ep::Auth::Session | ep::Auth::Enrolment
        );
        assert_eq!(
            v["code"] == "client_key_required",
            desktop,
            "{} {}: {v}",
            e.method.as_str(),
            e.path
        );
    }
    let (st, _) = h.call::<ep::Health>(None, None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = h
        .request("GET", ea_server::http::openapi::PATH, None, None)
        .await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn a_refused_body_does_not_repeat_the_values_sent() {
    let h = Harness::new().await;
    let (t, _) = h.start("acme", "alice").await;
    for (body, secret) in [
        (json!({"code": 123456}), "123456"),
        (json!({"code": ["481516"]}), "481516"),
    ] {
        let (st, e) = h.call::<ep::VerifyCode>(Some(&t), Some(body)).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_json"))
        );
        let reason = e["params"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("code") && !reason.contains(secret),
            "{reason}"
        );
    }
    let (st, e) = h
        .call::<ep::AnswerQuestions>(Some(&t), Some(json!({"answers": ["Zürich"]})))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(!e.to_string().contains("Zürich"), "{e}");
}

/// Starts a session of `user`, chooses `flow` and types `contact`: the answer to the request that
/// would send a code.
async fn ask_for_code(
    h: &Harness,
    user: &str,
    flow: &str,
    contact: &str,
) -> (StatusCode, Value, String) {
    let (t, _) = h.start("acme", user).await;
    let (st, v) = h
        .call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": flow})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = h
        .call::<ep::ConfirmContact>(Some(&t), Some(json!({"contact_id": 0, "value": contact})))
        .await;
    (st, v, t)
}

/// Opening new sessions never sends more: codes are counted per destination across sessions,
/// and over the limit nothing of the request is kept.
#[tokio::test]
async fn codes_to_one_number_are_limited_across_sessions() {
    let h = Harness::new().await;
    for i in 0..5 {
        let (st, v, _) = ask_for_code(&h, "alice", "sms-totp", "+41791234567").await;
        assert_eq!(st, StatusCode::OK, "code {i}: {v}");
    }
    let (st, v, t) = ask_for_code(&h, "alice", "sms-totp", "+41791234567").await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("send_limit_reached"))
    );
    let wait = v["params"]["retry_after"].as_i64().unwrap();
    assert!((3500..=3600).contains(&wait), "{wait}");
    // Nothing was kept: the session still waits for its contact, and only five codes went out.
    let (_, s) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(s["step"]["code_sent"], false);
    let log = h.delivered().await;
    assert_eq!(log.matches("+41791234567").count(), 5, "{log}");
    // The answer says when to come back, in the header too.
    let req = Request::post(ep::ConfirmContact::INFO.path)
        .header("authorization", format!("Bearer {t}"))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"contact_id": 0, "value": "+41791234567"}).to_string(),
        ))
        .unwrap();
    let res = tower::ServiceExt::oneshot(ea_server::app(h.state.clone()), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // An hour later the window has room again.
    h.clock.advance(3601);
    let (st, v, _) = ask_for_code(&h, "alice", "sms-totp", "+41791234567").await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// The user's contacts together and the whole tenant have their own limits, set per tenant.
#[tokio::test]
async fn codes_are_limited_per_user_and_per_tenant() {
    let h = Harness::new().await;
    let store = &h.state.store;
    let acme = ea_store::tenants::by_slug(store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    let bob = json!([{"username": "bob", "emails": ["bob@example.org"],
        "questions": [{"question": "Q1?", "answer": "a1"}, {"question": "Q2?", "answer": "a2"}]}]);
    h.import_users("acme", bob).await;
    let policy = "[send_limits]\nper_destination_per_hour = 2\nper_user_per_hour = 2\nper_tenant_per_hour = 3\n";
    ea_server::admin_actions::set_policies(store, &acme, "p.toml", policy)
        .await
        .unwrap();
    let refused = |r: &(StatusCode, Value, String)| {
        (r.0, r.1["code"].as_str().map(str::to_owned))
            == (
                StatusCode::TOO_MANY_REQUESTS,
                Some("send_limit_reached".to_owned()),
            )
    };
    for _ in 0..2 {
        let r = ask_for_code(&h, "alice", "sms-totp", "+41791234567").await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    }
    // Alice's e-mail address has had no code, but alice has had her two.
    let r = ask_for_code(&h, "alice", "email-questions", "alice@example.org").await;
    assert!(refused(&r), "per user: {:?}", r.1);
    // Bob gets the tenant's third code; the fourth is refused whoever asks.
    let r = ask_for_code(&h, "bob", "email-questions", "bob@example.org").await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    let r = ask_for_code(&h, "bob", "email-questions", "bob@example.org").await;
    assert!(refused(&r), "per tenant: {:?}", r.1);
    // Limits that do not grow from destination to tenant are refused with the reason.
    let bad = "[send_limits]\nper_destination_per_hour = 9\nper_user_per_hour = 2\n";
    let e = ea_server::admin_actions::set_policies(store, &acme, "p.toml", bad)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("send_limits"), "{e}");
}

/// A flow that lets an SMS code alone (or an e-mail code alone) reset a password or issue an
/// emergency code is refused unless the tenant allows weak flows explicitly.
#[tokio::test]
async fn single_channel_flows_for_strong_actions_need_the_tenants_consent() {
    let h = Harness::new().await;
    let store = &h.state.store;
    let acme = || async {
        ea_store::tenants::by_slug(store.db(), "acme")
            .await
            .unwrap()
            .unwrap()
    };
    let weak = "id = \"sms-only\"\nactions = [\"reset_password\"]\n[name]\nen = \"SMS\"\nde = \"SMS\"\nfr = \"SMS\"\nit = \"SMS\"\n[[steps]]\nmethod = \"sms_otp\"\n";
    let e = ea_server::admin::import_flow_text(store, &acme().await, "sms-only.toml", weak)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sms-only.toml") && e.contains("allow_weak"),
        "{e}"
    );
    // Unblocking only is not a strong action; two channels are not one.
    let unblock = weak.replace("reset_password", "unblock_user");
    ea_server::admin::import_flow_text(store, &acme().await, "u.toml", &unblock)
        .await
        .unwrap();
    let two = format!("{weak}[[steps]]\nmethod = \"email_otp\"\n").replace("sms-only", "sms-email");
    ea_server::admin::import_flow_text(store, &acme().await, "two.toml", &two)
        .await
        .unwrap();
    ea_server::admin_actions::set_policies(
        store,
        &acme().await,
        "p.toml",
        "[flows]\nallow_weak = true\n",
    )
    .await
    .unwrap();
    ea_server::admin::import_flow_text(store, &acme().await, "sms-only.toml", weak)
        .await
        .unwrap();
}

/// The ways offered say what they ask for and what they permit; a start for an action offers
/// only the ways that permit it (one: chosen at once); none, and the tenant's help text says whom
/// to contact.
#[tokio::test]
async fn flows_offered_for_an_action_and_whom_to_contact() {
    let h = Harness::new().await;
    let (_, v) = h.start("acme", "alice").await;
    let flows = v["flows"].as_array().unwrap();
    let sms = flows.iter().find(|f| f["id"] == "sms-totp").unwrap();
    assert_eq!(sms["methods"], json!(["sms_otp", "totp"]));
    assert!(
        sms["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("card_pin_unblock"))
    );
    assert_eq!(v["help"], json!({}), "no help text written yet");

    let body = json!({"tenant": "acme", "username": "alice", "for_action": "card_pin_unblock"});
    let (st, v) = h.call::<ep::StartSession>(None, Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let s = &v["session"];
    assert_eq!(s["flows"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(
        (s["status"].as_str(), s["flow_id"].as_str()),
        (Some("in_progress"), Some("sms-totp"))
    );

    h.policy("solo", "[help]\nen = \"Call the service desk on 044 555 00 00.\"\nde = \"Rufen Sie 044 555 00 00 an.\"\n")
        .await;
    let body = json!({"tenant": "solo", "username": "alice", "for_action": "card_pin_unblock"});
    let (st, v) = h.call::<ep::StartSession>(None, Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let s = &v["session"];
    assert_eq!(
        (s["status"].as_str(), s["flows"].as_array().unwrap().len()),
        (Some("choosing_flow"), 0)
    );
    assert_eq!(s["help"]["en"], "Call the service desk on 044 555 00 00.");
    // An unknown name is offered exactly the same.
    let body = json!({"tenant": "solo", "username": "nobody", "for_action": "card_pin_unblock"});
    let (_, u) = h.call::<ep::StartSession>(None, Some(body)).await;
    assert_eq!(
        (&u["session"]["flows"], &u["session"]["help"]),
        (&s["flows"], &s["help"])
    );

    let t = h.tenant("solo").await;
    let err = ea_server::admin_actions::set_policies(
        &h.state.store,
        &t,
        "p.toml",
        "[help]\nxx = \"?\"\n",
    )
    .await
    .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("p.toml: help.xx: unsupported language"),
        "{err}"
    );
}

/// Codes and notices are written in the language the person reads the app in, else in the
/// tenant's ([messages] language), else in English.
#[tokio::test]
async fn messages_speak_the_persons_language_or_the_tenants() {
    let h = Harness::new().await;
    let start = |language: Option<&str>| {
        let mut body = json!({"tenant": "acme", "username": "alice"});
        if let Some(l) = language {
            body["language"] = json!(l);
        }
        body
    };
    // `now`: the language the app shows when the code is asked for, if it changed since.
    let send_switched = async |body: Value, now: Option<&str>| {
        // Far enough apart to stay under the number's hourly send limit.
        h.clock.advance(900);
        let (_, v) = h.call::<ep::StartSession>(None, Some(body)).await;
        let t = v["token"].as_str().unwrap().to_owned();
        h.call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
            .await;
        let mut body = json!({"contact_id": 0, "value": "+41791234567"});
        if let Some(l) = now {
            body["language"] = json!(l);
        }
        let (st, v) = h.call::<ep::ConfirmContact>(Some(&t), Some(body)).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let log = h.delivered().await;
        log.rsplit("--- message").next().unwrap().to_owned()
    };
    let send = async |body: Value| send_switched(body, None).await;
    // Switched to German after the session started in Italian: the code is in German.
    assert!(
        send_switched(start(Some("it")), Some("de"))
            .await
            .contains("ist Ihr Bestätigungscode von Acme")
    );
    // A language the server does not write is ignored: the session's stays.
    assert!(
        send_switched(start(Some("it")), Some("xx"))
            .await
            .contains("è il tuo codice di verifica Acme")
    );
    assert!(
        send(start(Some("de-CH")))
            .await
            .contains("ist Ihr Bestätigungscode von Acme")
    );
    assert!(
        send(start(None))
            .await
            .contains("is your Acme verification code")
    );
    h.policy("acme", "[messages]\nlanguage = \"fr\"\n").await;
    assert!(
        send(start(None))
            .await
            .contains("est votre code de vérification Acme")
    );
    assert!(
        send(start(Some("it")))
            .await
            .contains("è il tuo codice di verifica Acme")
    );
    let t = h.tenant("acme").await;
    let err = ea_server::admin_actions::set_policies(
        &h.state.store,
        &t,
        "p.toml",
        "[messages]\nlanguage = \"es\"\n",
    )
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("messages.language"), "{err}");

    // The tenant's own wording, for the languages it sets; the others stay built-in.
    h.clock.advance(3600);
    h.policy(
        "acme",
        "[messages]\nlanguage = \"fr\"\n\
         [messages.templates.de]\n\
         sms_code = \"{code}: Ihr Code für {tenant}. Fragen? Servicedesk 044 555 00 00\"\n",
    )
    .await;
    assert!(
        send(start(Some("de")))
            .await
            .contains(": Ihr Code für Acme. Fragen? Servicedesk 044 555 00 00")
    );
    assert!(
        send(start(Some("en")))
            .await
            .contains("is your Acme verification code")
    );
    // A template that would cost two text messages is refused, naming its field.
    let err = ea_server::admin_actions::set_policies(
        &h.state.store,
        &t,
        "p.toml",
        &format!(
            "[messages.templates.de]\nsms_code = \"{{code}} {}\"\n",
            "€".repeat(80)
        ),
    )
    .await
    .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("p.toml: messages.templates.de.sms_code: makes a text message of 2 parts"),
        "{err}"
    );
}

/// A tenant's name goes into subject lines and text messages: one short line.
#[tokio::test]
async fn tenant_names_are_one_short_line() {
    let h = Harness::new().await;
    let add = async |slug: &str, name: &str| {
        ea_server::admin::add_tenant(&h.state.store, slug, name, None, 15)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    for (name, why) in [
        ("Evil\nSubject: reset", "line break"),
        ("Tab\there", "control character"),
        ("", "must not be empty"),
        (" Acme", "start or end with spaces"),
        (&"x".repeat(61), "longer than 60 characters"),
    ] {
        let e = add("evil", name).await.expect_err(name);
        assert!(e.contains(why), "{name:?}: {e}");
    }
    assert_eq!(add("zurich", "Zürich Versicherungen AG").await, Ok(()));
}

/// `GET /v1/tenants` lists only the tenants an administrator listed, by name.
#[tokio::test]
async fn only_listed_tenants_are_offered_to_the_picker() {
    let h = Harness::new().await;
    let (st, v) = h.call::<ep::ListTenants>(None, None).await;
    assert_eq!((st, v), (StatusCode::OK, json!({"tenants": []})));
    let acme = h.tenant_id("acme").await;
    ea_store::tenants::set_listed(h.state.store.db(), acme, true)
        .await
        .unwrap();
    let (_, v) = h.call::<ep::ListTenants>(None, None).await;
    assert_eq!(v, json!({"tenants": [{"slug": "acme", "name": "Acme"}]}));
}
