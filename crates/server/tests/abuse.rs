//! The limits in front of the service, driven past through the real router: requests per client
//! source and per username, who a stranger's failures lock out, concurrency, timeouts and
//! Argon2id in flight.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use ea_api::endpoints::{self as ep};
use ea_server::abuse::ServerLimits;
use serde_json::{Value, json};

fn limits(f: impl FnOnce(&mut ServerLimits)) -> ServerLimits {
    let mut l = common::test_limits();
    f(&mut l);
    l
}

async fn restart_with(h: &mut Harness, l: ServerLimits) {
    h.restart_with(l).await;
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

/// A source over its budget gets 429 `rate_limited` with `Retry-After` before any database
/// work; another source is served.
#[tokio::test]
async fn requests_per_client_source_are_limited() {
    let mut h = Harness::new().await;
    restart_with(&mut h, limits(|l| l.requests_per_source_per_minute = 4)).await;
    h.from(Some("203.0.113.7"));
    for _ in 0..4 {
        let (st, _) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let (st, v) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(v["params"]["retry_after"].as_i64().unwrap() >= 1, "{v}");
    // The same address through the proxy's list (the last one counts), and another address.
    h.from(Some("198.51.100.1, 203.0.113.7"));
    let (st, _) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    // A last entry that is not an address means the peer's address, never an earlier entry
    // (which the client may have written itself).
    h.from(Some("203.0.113.8, unknown"));
    for _ in 0..4 {
        h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    }
    h.from(None);
    let (st, _) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    assert_eq!(
        st,
        StatusCode::TOO_MANY_REQUESTS,
        "counted on the peer's address"
    );
    h.from(Some("203.0.113.8"));
    let (st, _) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // IPv6 addresses count by their /64.
    h.from(Some("2001:db8:1:2::1"));
    for _ in 0..4 {
        h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    }
    h.from(Some("2001:db8:1:2:ffff::9"));
    let (st, _) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
}

/// Without the trusted-proxy setting, the header is ignored: a client cannot pick its address.
#[tokio::test]
async fn the_proxy_header_counts_only_when_configured() {
    let mut h = Harness::new().await;
    restart_with(
        &mut h,
        limits(|l| {
            l.requests_per_source_per_minute = 2;
            l.trusted_proxy_header = None;
        }),
    )
    .await;
    for ip in ["203.0.113.1", "203.0.113.2"] {
        h.from(Some(ip));
        h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    }
    h.from(Some("203.0.113.3"));
    let (st, _) = h.call::<ep::GetSession>(Some("not-a-token"), None).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
}

/// Starts and verifying requests are counted per username across sessions and sources; an
/// unknown name is counted the same way, and other names are not affected.
#[tokio::test]
async fn starts_and_verifying_requests_per_username_are_limited() {
    let h = Harness::new().await;
    h.policy(
        "solo",
        "[requests]\nstarts_per_user_per_hour = 3\nverifying_per_user_per_hour = 4\n",
    )
    .await;
    for name in ["alice", "ghost"] {
        for i in 0..3 {
            h.from(Some(&format!("192.0.2.{i}")));
            h.start("solo", name).await;
        }
        h.from(Some("192.0.2.200"));
        let (st, v) = h
            .call::<ep::StartSession>(None, Some(json!({"tenant": "solo", "username": name})))
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        );
        assert_eq!(v["params"]["retry_after"], 3600 - common::T0 % 3600);
    }
    // Strangers used up alice's starts; at an address where she completed a verification, she
    // has a budget of her own.
    h.from(Some("192.0.2.250"));
    ea_store::familiar::remember(
        h.state.store.db(),
        h.tenant_id("solo").await,
        "alice",
        &ea_server::abuse::Source::new("192.0.2.250".parse().unwrap()).key(&h.state),
        h.clock_now(),
    )
    .await
    .unwrap();
    let (st, v) = h
        .call::<ep::StartSession>(None, Some(json!({"tenant": "solo", "username": "alice"})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    let (t, _) = h.start("solo", "bob").await;
    for _ in 0..4 {
        let (_, v) = h
            .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": "000000"})))
            .await;
        assert_eq!(code(&v), "totp_invalid");
    }
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": "000000"})))
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
}

/// Wrong codes from one stranger's address lock out that address only; the user, also a
/// stranger at a colleague's machine, still gets through.
#[tokio::test]
async fn a_strangers_failures_lock_out_only_that_stranger() {
    let h = Harness::new().await;
    h.from(Some("203.0.113.66"));
    let (t, _) = h.start("solo", "alice").await;
    for _ in 0..5 {
        h.call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": "000000"})))
            .await;
    }
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::LOCKED, "account_locked"),
        "{v}"
    );

    h.from(Some("198.51.100.20"));
    let (t, _) = h.start("solo", "alice").await;
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );
}

/// Junk contact entries from one address until that address is locked out of alice's account.
async fn junk_until_locked(h: &Harness, ip: &str) {
    h.from(Some(ip));
    for _ in 0..5 {
        let (t, _) = h.start("acme", "alice").await;
        h.call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
            .await;
        for _ in 0..3 {
            let (_, v) = h
                .call::<ep::ConfirmContact>(
                    Some(&t),
                    Some(json!({"contact_id": 0, "value": "+41790000000"})),
                )
                .await;
            if code(&v) == "account_locked" {
                return;
            }
        }
    }
    panic!("{ip} was never locked out");
}

/// Alice's e-mail step, then her answers; the status and code of the answers.
async fn answer_questions(h: &Harness, right: bool) -> (StatusCode, Value) {
    let (t, _) = h.start("acme", "alice").await;
    h.call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "email-questions"})))
        .await;
    let (st, v) = h
        .call::<ep::ConfirmContact>(
            Some(&t),
            Some(json!({"contact_id": 0, "value": "alice@example.org"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let mail = h.code_for("alice@example.org").await;
    let (st, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": mail})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let texts: Vec<String> = v["step"]["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let answers: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let a = match (right, q.as_str()) {
                (false, _) => "wrong",
                (true, "First pet?") => "Rex",
                (true, "Birth city?") => "Zürich",
                (true, _) => "Hillside",
            };
            json!({"question_id": i, "answer": a})
        })
        .collect();
    h.call::<ep::AnswerQuestions>(Some(&t), Some(json!({ "answers": answers })))
        .await
}

/// Once strangers together have failed three times the account's budget, strangers may no
/// longer answer verification questions (the factor one can guess) unless their session passed
/// an authenticator code; codes sent to the user and authenticator codes stay open to them, and
/// a familiar address is not affected at all.
#[tokio::test]
async fn strangers_together_lose_the_questions_but_not_possession_factors() {
    let h = Harness::new().await;
    // Familiar: 192.0.2.10 completes a verification first.
    h.from(Some("192.0.2.10"));
    let (st, v) = answer_questions(&h, true).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );

    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        junk_until_locked(&h, ip).await;
    }
    let rows = ea_store::audit::export(h.state.store.db(), None, None)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .any(|r| r.event == "account_locked" && r.detail.contains("strangers")),
        "the strangers' guard locked"
    );

    // A new stranger: the questions are closed to them...
    h.from(Some("198.51.100.50"));
    let (st, v) = answer_questions(&h, true).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::LOCKED, "account_locked"),
        "{v}"
    );
    // ...a text message and an authenticator code are not.
    h.complete_sms_totp().await;

    // The familiar address answers its questions as before.
    h.from(Some("192.0.2.10"));
    let (st, v) = answer_questions(&h, true).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );
}

/// A request that waits longer than the timeout (here for an Argon2id slot held by other work)
/// is answered 503 `busy` with `Retry-After`; Argon2id work never runs more than
/// `hashes_in_flight` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_time_out_and_hashing_is_bounded() {
    let mut h = Harness::new().await;
    restart_with(
        &mut h,
        limits(|l| {
            l.request_timeout_seconds = 1;
            l.hashes_in_flight = 2;
        }),
    )
    .await;
    let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut jobs = Vec::new();
    for _ in 0..6 {
        let (hashing, running, most) = (
            h.state.limiters.hashing.clone(),
            running.clone(),
            most.clone(),
        );
        jobs.push(tokio::spawn(async move {
            hashing
                .run(move || {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = running.fetch_add(1, SeqCst) + 1;
                    most.fetch_max(now, SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    running.fetch_sub(1, SeqCst);
                })
                .await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(h.state.limiters.hashing.available(), 0);

    // Answers wait for a hashing slot behind 1.5 s of queued work: past the 1 s timeout.
    h.from(Some("192.0.2.1"));
    let (t, _) = h.start("acme", "alice").await;
    h.call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "email-questions"})))
        .await;
    h.call::<ep::ConfirmContact>(
        Some(&t),
        Some(json!({"contact_id": 0, "value": "alice@example.org"})),
    )
    .await;
    let mail = h.code_for("alice@example.org").await;
    let (_, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": mail})))
        .await;
    assert!(
        v["step"]["questions"].is_array() || v["step"].is_object(),
        "{v}"
    );
    let body = json!({"answers": [
        {"question_id": 0, "answer": "x"}, {"question_id": 1, "answer": "y"}
    ]});
    let (st, v) = h.call::<ep::AnswerQuestions>(Some(&t), Some(body)).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        "{v}"
    );
    for j in jobs {
        j.await.unwrap().unwrap();
    }
    assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);

    // A wait given up (the request timed out) does not free the slot while the hash runs.
    assert_eq!(h.state.limiters.hashing.available(), 2);
    for _ in 0..2 {
        let hashing = h.state.limiters.hashing.clone();
        let given_up = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            hashing.run(|| std::thread::sleep(std::time::Duration::from_millis(400))),
        )
        .await;
        assert!(given_up.is_err());
    }
    assert_eq!(
        h.state.limiters.hashing.available(),
        0,
        "both hashes still run"
    );
}
