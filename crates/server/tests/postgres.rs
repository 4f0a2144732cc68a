//! Several server instances on one PostgreSQL database, as the product scales past one machine:
//! two `ea-server` processes share a database, a session moves freely between them, and every
//! limit holds across both. And a database that goes away mid-flow: refused with
//! `database_unavailable`, never accepted, and the flow goes on when the database is back.
//!
//! Needs PostgreSQL: `EA_TEST_POSTGRES_URL` (the README test command starts a server and sets
//! `EA_POSTGRES_REQUIRED=1`, so that without it these tests fail instead of skipping).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::process::{ALICE_PHONE, Server, Site};
use ea_api::endpoints::{self as ep, Endpoint};
use ea_testkit::database::{Cluster, fresh_postgres, postgres_url};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// Generous budgets per client address: every request of these tests comes from 127.0.0.1.
const OPEN: &str = "[limits]\nrequests_per_source_per_minute = 1000000\n\
                    validations_per_source_per_minute = 1000000\n";

/// A site on a fresh database of the test PostgreSQL server, or `None` (skipped) without one.
async fn site(config: &str) -> Option<Site> {
    let Some(base) = postgres_url() else {
        eprintln!("skipped: no PostgreSQL (set EA_TEST_POSTGRES_URL)");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_postgres(&base, "two_servers").await;
    Some(Site::on(dir, db, config))
}

/// Waits until `now` is at least `margin` seconds before the end of its fixed window of
/// `seconds`, so that a burst counted in that window is not split by the window's end.
async fn away_from_window_end(seconds: u64, margin: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let left = seconds - now % seconds;
    if left < margin {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

/// Sends each request to the server of its index, all at once; the answers in order.
async fn at_once(
    servers: &[&Server],
    requests: Vec<(&'static str, Option<String>, Option<Value>)>,
) -> Vec<(u16, Value)> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for (i, (path, token, body)) in requests.into_iter().enumerate() {
        let base = servers[i % servers.len()].base.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = reqwest::Client::new().post(format!("{base}{path}"));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if let Some(b) = body {
                r = r.json(&b);
            }
            barrier.wait().await;
            let res = r.send().await.expect("answer");
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// How many answers had each `code` (or status, for answers without one).
fn tally(answers: &[(u16, Value)]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (st, v) in answers {
        let key = v["code"]
            .as_str()
            .map_or_else(|| st.to_string(), str::to_owned);
        *m.entry(key).or_default() += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_moves_between_two_servers_and_every_limit_holds_across_both() {
    let Some(site) = site(OPEN).await else { return };
    // A code that is counted against the send limits is committed 2 s later, which widens the
    // window in which another instance could count too (see the send limit below).
    let slow = [("EA_FAULT_DELAY", "send_counted:2000")];
    let (a, b) = (site.serve(&slow), site.serve(&slow));
    let both = [&a, &b];

    // One verification, each step on the other server.
    let t = a.new_session("alice").await;
    b.choose(&t, "sms-totp").await;
    let (st, v) = a
        .call::<ep::ConfirmContact>(
            Some(&t),
            Some(json!({"contact_id": 0, "value": ALICE_PHONE})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let code = site.next_code(ALICE_PHONE, 0).await;
    let (st, v) = b
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = a
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": site.totp(0)})))
        .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("completed")), "{v}");

    // An emergency code of three uses, validated 50 times at once on both: valid three times.
    let (st, v) = b
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 3})))
        .await;
    assert_eq!(st, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_owned();
    let reqs = (0..50)
        .map(|_| {
            let body = json!({"username": "alice", "code": code});
            (
                ep::ValidateEmergencyCode::INFO.path,
                Some(site.rp_key.clone()),
                Some(body),
            )
        })
        .collect();
    let answers = at_once(&both, reqs).await;
    let valid = answers
        .iter()
        .filter(|(_, v)| v["result"] == "valid")
        .count();
    assert_eq!(valid, 3, "{:?}", tally(&answers));
    assert!(
        answers.iter().all(|(st, _)| *st != 503),
        "{:?}",
        tally(&answers)
    );

    // 50 sessions for one username at once, on both: the start limit (30 an hour) holds.
    away_from_window_end(3600, 30).await;
    let reqs = (0..50)
        .map(|_| {
            let body = json!({"tenant": "demo", "username": "bob"});
            (ep::StartSession::INFO.path, None, Some(body))
        })
        .collect();
    let t = tally(&at_once(&both, reqs).await);
    assert_eq!(
        (t.get("201"), t.get("rate_limited")),
        (Some(&30), Some(&20)),
        "{t:?}"
    );

    // Codes for two users at once, each user's on one server: the tenant's limit (here two an
    // hour, one already sent) holds, although each server alone saw it unreached. Different
    // accounts do not share a turn or a guard: only the tenant's sending turn, held across
    // instances, keeps both servers from counting below the limit at once.
    std::fs::write(
        site.path("policy.toml"),
        "[send_limits]\nper_destination_per_hour = 2\nper_user_per_hour = 2\nper_tenant_per_hour = 2\n",
    )
    .unwrap();
    site.ok(&[
        "tenant",
        "policy",
        "demo",
        &site.path("policy.toml").display().to_string(),
    ]);
    let carol_phone = "+41795550303";
    let mut reqs = Vec::new();
    for i in 0..8 {
        let (user, phone) = if i % 2 == 0 {
            ("carol", carol_phone)
        } else {
            ("alice", ALICE_PHONE)
        };
        let t = both[i % 2].start(user, "sms-totp").await;
        let body = json!({"contact_id": 0, "value": phone});
        reqs.push((ep::ConfirmContact::INFO.path, Some(t), Some(body)));
    }
    let t = tally(&at_once(&both, reqs).await);
    assert_eq!(
        (t.get("200"), t.get("send_limit_reached")),
        (Some(&1), Some(&7)),
        "{t:?}"
    );

    // Wrong authenticator codes for carol, alternating between the servers: the fifth failure
    // locks this stranger out on both.
    let t = a.new_session("carol").await;
    b.choose(&t, "totp-only").await;
    let mut answers = Vec::new();
    for i in 0..6 {
        answers.push(
            both[i % 2]
                .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": "000000"})))
                .await,
        );
    }
    let codes: Vec<_> = answers
        .iter()
        .map(|(_, v)| v["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes[..5], ["totp_invalid"; 5], "{codes:?}");
    assert_eq!(codes[5], "account_locked", "{codes:?}");

    // Wrong emergency codes for bob from a relying party, alternating between the servers: his
    // failure budget (5 without a named client) locks validations on both.
    let mut reasons = Vec::new();
    for i in 0..7 {
        let body = json!({"username": "bob", "code": "WRONG-CODE-0000"});
        let (_, v) = both[i % 2]
            .call::<ep::ValidateEmergencyCode>(Some(&site.rp_key), Some(body))
            .await;
        reasons.push(v["reason"].as_str().unwrap_or_default().to_owned());
    }
    assert!(reasons[..5].iter().all(|r| r != "locked"), "{reasons:?}");
    assert_eq!(reasons[5..], ["locked", "locked"], "{reasons:?}");
}

/// The budget of requests per client address holds across both servers: each counts in memory
/// (before the database) and, on a shared database, in the database too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_addresss_budget_holds_across_two_servers() {
    let Some(site) = site("[limits]\nrequests_per_source_per_minute = 30\n").await else {
        return;
    };
    let (a, b) = (site.serve(&[]), site.serve(&[]));
    away_from_window_end(60, 15).await;
    let mut t = BTreeMap::<String, usize>::new();
    for i in 0..40 {
        let server = if i % 2 == 0 { &a } else { &b };
        let (st, v) = server
            .send(
                "GET",
                ep::GetSession::INFO.path,
                Some("not-a-session"),
                None,
            )
            .await
            .unwrap();
        *t.entry(v["code"].as_str().map_or(st.to_string(), str::to_owned))
            .or_default() += 1;
    }
    assert_eq!(t.get("rate_limited"), Some(&10), "{t:?}");
}

/// PostgreSQL stopped in the middle of a verification: requests are refused with
/// `503 database_unavailable` and `Retry-After`, nothing is accepted or sent, and once the
/// database is back the same session goes on to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_stopped_mid_flow_refuses_cleanly_and_the_flow_resumes() {
    if postgres_url().is_none() {
        eprintln!("skipped: no PostgreSQL (set EA_TEST_POSTGRES_URL)");
        return;
    }
    let cluster = Cluster::start();
    let db = fresh_postgres(&cluster.url(), "outage").await;
    let site = Site::on(tempfile::tempdir().unwrap(), db, OPEN);
    let server = site.serve(&[]);
    let t = server.start("alice", "sms-totp").await;

    cluster.stop();
    let confirm = json!({"contact_id": 0, "value": ALICE_PHONE});
    let (st, v) = server
        .call::<ep::ConfirmContact>(Some(&t), Some(confirm.clone()))
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (503, Some("database_unavailable")),
        "{v}"
    );
    let body = json!({"tenant": "demo", "username": "alice"});
    let (st, v) = server.call::<ep::StartSession>(None, Some(body)).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (503, Some("database_unavailable")),
        "{v}"
    );
    let res = reqwest::Client::new()
        .get(format!("{}{}", server.base, ep::GetSession::INFO.path))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(
        site.messages(),
        0,
        "nothing was sent while the database was away"
    );
    assert!(!server.log_text().contains(&t), "no token in the log");

    cluster.start_again();
    // The pool reconnects on its own; the same session goes on.
    let mut answer = (0, Value::Null);
    for _ in 0..50 {
        answer = server
            .call::<ep::ConfirmContact>(Some(&t), Some(confirm.clone()))
            .await;
        if answer.0 != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(answer.0, 200, "{answer:?}");
    let code = site.next_code(ALICE_PHONE, 0).await;
    let (st, v) = server
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = server
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": site.totp(0)})))
        .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("completed")), "{v}");
    assert_eq!(site.messages(), 1, "one code, sent once");
}
