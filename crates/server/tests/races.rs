//! Replay and races: many requests at once on a multi-threaded runtime, against the real router
//! on SQLite or (with `EA_TEST_STORE=postgres`, as the README test command runs it a second time)
//! PostgreSQL. Every guard must hold exactly, and contention must queue: no answer is `busy`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use ea_api::endpoints::{self as ep, Endpoint};
use ea_store::entities::outbox;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const CONCURRENCY: usize = 50;
const PHONE: &str = "+41791234567";

/// A request to send: path, session or relying-party token, body, client address.
type Req = (&'static str, Option<String>, Option<Value>, Option<String>);

/// Sends every request at once (each on a task of its own) and returns the answers, in order.
async fn all_at_once(h: &Harness, requests: Vec<Req>) -> Vec<(StatusCode, Value)> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for (path, token, body, source) in requests {
        let (state, barrier) = (h.state.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let req = common::request("POST", path, token.as_deref(), body, source.as_deref());
            barrier.wait().await;
            common::answer(state, req).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// How many answers had each `code` (or status, for answers without one).
fn tally(answers: &[(StatusCode, Value)]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (st, v) in answers {
        let key = v["code"]
            .as_str()
            .map_or_else(|| st.as_u16().to_string(), str::to_owned);
        *m.entry(key).or_default() += 1;
    }
    m
}

fn no_busy(answers: &[(StatusCode, Value)]) {
    let t = tally(answers);
    assert!(
        answers
            .iter()
            .all(|(st, _)| *st != StatusCode::SERVICE_UNAVAILABLE),
        "{} answered 503: {t:?}",
        ea_testkit::database::store_name()
    );
}

/// Codes queued to `destination`.
async fn codes_to(h: &Harness, destination: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::Destination.eq(destination))
        .filter(outbox::Column::Purpose.eq("code"))
        .count(h.state.store.db())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_valid_code_submitted_fifty_times_at_once_is_accepted_once() {
    let h = Harness::new().await;
    let t = h.send_code("sms-totp", PHONE).await;
    let code = h.code_for(PHONE).await;
    let path = ep::VerifyCode::INFO.path;
    let reqs = (0..CONCURRENCY)
        .map(|_| (path, Some(t.clone()), Some(json!({"code": code})), None))
        .collect();
    let answers = all_at_once(&h, reqs).await;
    no_busy(&answers);
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{:?}", tally(&answers));
}

/// Fifty wrong authenticator codes for one account at once, each in a session and from an
/// address of its own, queue for their turn: none is answered `busy`, and every one is counted
/// on the strangers' shared guard (one row for all of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_wrong_codes_at_once_are_all_counted_and_none_is_busy() {
    let h = Harness::new().await;
    h.policy("solo", "[requests]\nstarts_per_user_per_hour = 100\n")
        .await;
    let mut reqs = Vec::new();
    for i in 0..CONCURRENCY {
        let t = h.start("solo", "alice").await.0;
        let ip = format!("203.0.113.{i}");
        let body = Some(json!({"code": "000000"}));
        reqs.push((ep::VerifyTotp::INFO.path, Some(t), body, Some(ip)));
    }
    let answers = all_at_once(&h, reqs).await;
    no_busy(&answers);
    assert_eq!(
        tally(&answers).get("totp_invalid"),
        Some(&CONCURRENCY),
        "{:?}",
        tally(&answers)
    );
    let (g, _) = ea_store::guards::load(
        h.state.store.db(),
        h.tenant_id("solo").await,
        "alice",
        "strangers",
    )
    .await
    .unwrap();
    // The strangers' guard locks at 3 x 5 failures: 50 = 3 locks of 15, and 5.
    assert_eq!((g.lockouts, g.failures), (3, 5), "{g:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_new_sessions_at_once_stop_at_the_start_limit() {
    let h = Harness::new().await;
    let path = ep::StartSession::INFO.path;
    let reqs = (0..CONCURRENCY)
        .map(|_| {
            let body = json!({"tenant": "acme", "username": "alice"});
            (path, None, Some(body), None)
        })
        .collect();
    let answers = all_at_once(&h, reqs).await;
    no_busy(&answers);
    let t = tally(&answers);
    // The default: 30 sessions per username per hour.
    assert_eq!(
        (t.get("201"), t.get("rate_limited")),
        (Some(&30), Some(&20)),
        "{t:?}"
    );
}

/// Fifty sessions of ten users who share one number (an office phone) ask for a code to it at
/// once: exactly the destination's limit is sent. Different accounts do not take turns with each
/// other; the tenant's sending turn and the lock the count runs under keep them from all counting
/// below the limit at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sessions_sending_to_one_number_at_once_stop_at_its_limit() {
    let h = Harness::new().await;
    h.policy(
        "acme",
        "[requests]\nstarts_per_user_per_hour = 100\nverifying_per_user_per_hour = 500\n\
         [send_limits]\nper_destination_per_hour = 7\nper_user_per_hour = 20\n",
    )
    .await;
    let users: Vec<_> = (0..10)
        .map(|i| json!({"username": format!("desk{i}"), "phones": [PHONE]}))
        .collect();
    h.import_users("acme", json!(users)).await;
    let mut reqs = Vec::new();
    for i in 0..CONCURRENCY {
        let (t, _) = h.start("acme", &format!("desk{}", i % 10)).await;
        let (st, v) = h
            .call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let body = json!({"contact_id": 0, "value": PHONE});
        // Each from an address of its own, within its address's request budget.
        let ip = format!("198.51.100.{i}");
        reqs.push((ep::ConfirmContact::INFO.path, Some(t), Some(body), Some(ip)));
    }
    let answers = all_at_once(&h, reqs).await;
    no_busy(&answers);
    let t = tally(&answers);
    assert_eq!(
        (t.get("200"), t.get("send_limit_reached")),
        (Some(&7), Some(&43)),
        "{t:?}"
    );
    assert_eq!(codes_to(&h, PHONE).await, 7);
}

/// Fifty resends at once, spread over sessions that each sent a code: never above the
/// destination's limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_resends_at_once_stop_at_the_destination_limit() {
    let h = Harness::new().await;
    h.policy(
        "acme",
        "[requests]\nverifying_per_user_per_hour = 500\n\
         [send_limits]\nper_destination_per_hour = 10\nper_user_per_hour = 20\n",
    )
    .await;
    let mut sessions = Vec::new();
    for _ in 0..8 {
        sessions.push(h.send_code("sms-totp", PHONE).await);
    }
    assert_eq!(codes_to(&h, PHONE).await, 8);
    // Past every session's resend cooldown.
    h.clock.advance(120);
    let reqs = (0..CONCURRENCY)
        .map(|i| {
            let t = sessions[i % sessions.len()].clone();
            (ep::ResendCode::INFO.path, Some(t), None, None)
        })
        .collect();
    let answers = all_at_once(&h, reqs).await;
    no_busy(&answers);
    let t = tally(&answers);
    assert_eq!(t.get("200"), Some(&2), "{t:?}");
    assert_eq!(codes_to(&h, PHONE).await, 10, "{t:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_three_use_code_validated_fifty_times_at_once_is_valid_three_times() {
    let h = Harness::new().await;
    let rp = h.relying_party("acme").await;
    let t = h.complete_sms_totp().await;
    let (_, c) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 3})))
        .await;
    let code = c["code"].as_str().unwrap().to_owned();
    let reqs = (0..CONCURRENCY)
        .map(|_| {
            let body = json!({"username": "alice", "code": code});
            (
                ep::ValidateEmergencyCode::INFO.path,
                Some(rp.clone()),
                Some(body),
                None,
            )
        })
        .collect();
    let answers = all_at_once(&h, reqs).await;
    no_busy(&answers);
    let valid = answers
        .iter()
        .filter(|(_, v)| v["result"] == "valid")
        .count();
    assert_eq!(valid, 3, "{answers:?}");
}

/// Two executions of one action at once: one effect, one notice, one audit row, each round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_executions_of_one_action_at_once_have_one_effect() {
    let h = Harness::new().await;
    let acme = h.tenant_id("acme").await;
    let before = ea_store::users::find(h.state.store.db(), acme, "alice")
        .await
        .unwrap()
        .unwrap();
    for round in 0..5 {
        let t = h.complete_sms_totp().await;
        let reqs = (0..2)
            .map(|i| {
                let pw = format!("violet staple orbit canyon {round}{i}");
                let body = json!({"new_password": pw});
                (
                    ep::ResetPassword::INFO.path,
                    Some(t.clone()),
                    Some(body),
                    None,
                )
            })
            .collect();
        let answers = all_at_once(&h, reqs).await;
        let mut statuses: Vec<_> = answers.iter().map(|(s, _)| *s).collect();
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::OK, StatusCode::CONFLICT],
            "round {round}: {answers:?}"
        );
    }
    let rows = ea_store::audit::export(h.state.store.db(), Some(acme), None)
        .await
        .unwrap();
    let resets = rows
        .iter()
        .filter(|r| r.event == "action_reset_password")
        .count();
    assert_eq!(resets, 5, "one audit row per round");
    let notices = h
        .delivered()
        .await
        .matches("Your password was reset")
        .count();
    assert_eq!(
        notices,
        5 * 2,
        "one notice per round, to her phone and her e-mail"
    );
    let after = ea_store::users::find(h.state.store.db(), acme, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(before.password_hash, after.password_hash);
}
