//! Crash and restart: the built server, killed with SIGKILL at the worst moments (held there by
//! its fault points, `src/faults.rs`) and started again on the same database, on SQLite or (with
//! `EA_TEST_STORE=postgres`) PostgreSQL. Nothing acknowledged may be lost, nothing done twice.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::process::{ALICE_EMAIL, ALICE_PHONE, Site};
use ea_api::endpoints as ep;
use ea_store::Store;
use ea_store::entities::outbox;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::time::Duration;

async fn outbox_rows(site: &Site, destination: &str) -> Vec<outbox::Model> {
    let store = Store::connect(&site.db).await.unwrap();
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Destination.eq(destination))
        .all(store.db())
        .await
        .unwrap();
    store.close().await.unwrap();
    rows
}

/// Killed after the code was committed and the worker took it, before it went out: after the
/// restart the code is delivered exactly once (when the dead worker's lease has run out), it
/// works, and the delivered body is erased.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_committed_but_not_sent_is_delivered_once_after_a_kill() {
    let site = Site::new("[dispatch]\nlease_seconds = 2\n").await;
    let mut first = site.serve(&[("EA_FAULT_PAUSE", "before_send")]);
    let token = site.alice_code_sent(&first).await;
    first.wait_for_log("fault point before_send reached").await;
    assert_eq!(site.messages(), 0, "nothing went out before the kill");
    first.kill();

    let second = site.serve(&[]);
    let code = site.next_code(ALICE_PHONE, 0).await;
    // Long enough for a second delivery, had the row been left claimable twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(site.messages(), 1, "delivered once:\n{}", site.sink());
    let rows = outbox_rows(&site, ALICE_PHONE).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "delivered");
    assert!(rows[0].sealed_body.is_empty(), "a delivered body is erased");
    let (st, v) = second
        .call::<ep::VerifyCode>(Some(&token), Some(json!({"code": code})))
        .await;
    assert_eq!(st, 200, "the session and its code survived the crash: {v}");
}

/// Killed after the gateway took the message but before it was marked delivered: the message is
/// sent again after the restart under the same outbox id, which gateways receive as the
/// idempotency key (so a gateway that honours it delivers it once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_off_after_the_gateway_took_it_is_retried_under_the_same_key() {
    let site = Site::new("[dispatch]\nlease_seconds = 2\n").await;
    let mut first = site.serve(&[("EA_FAULT_PAUSE", "after_send")]);
    site.alice_code_sent(&first).await;
    first.wait_for_log("fault point after_send reached").await;
    first.kill();
    let _second = site.serve(&[]);
    common::eventually_true("the retried delivery", || site.messages() == 2).await;
    let sink = site.sink();
    let ids: Vec<&str> = sink
        .lines()
        .filter_map(|l| l.strip_prefix("--- message "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the same idempotency key both times");
    let rows = outbox_rows(&site, ALICE_PHONE).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "delivered");
}

/// Killed after the new password was written to the directory but before the action was marked
/// done: after the restart the claim is taken over once its request can no longer be running,
/// the retry resets the password, and there is one reset in the audit log and one notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_written_before_the_action_was_marked_done_is_reset_once_on_retry() {
    // Requests time out after 3 s, so a claim is held for 2 x 3 + 10 = 16 s.
    let site = Site::new("[limits]\nrequest_timeout_seconds = 3\n").await;
    let mut first = site.serve(&[("EA_FAULT_PAUSE", "directory_written")]);
    let token = site.alice_verified(&first, 0).await;
    let path = <ep::ResetPassword as ea_api::endpoints::Endpoint>::INFO.path;
    let base = first.base.clone();
    let t = token.clone();
    let cut_off = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}{path}"))
            .bearer_auth(t)
            .json(&json!({"new_password": "violet staple orbit canyon one"}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    });
    first
        .wait_for_log("fault point directory_written reached")
        .await;
    let claimed_at = std::time::Instant::now();
    first.kill();
    assert!(
        !cut_off.await.unwrap(),
        "the cut-off request was not acknowledged"
    );
    let store = Store::connect(&site.db).await.unwrap();
    let demo = ea_store::tenants::by_slug(store.db(), "demo")
        .await
        .unwrap()
        .unwrap();
    let written = ea_store::users::find(store.db(), demo.id, "alice")
        .await
        .unwrap()
        .unwrap()
        .password_hash;

    let second = site.serve(&[]);
    let retry = json!({"new_password": "violet staple orbit canyon two"});
    let (st, v) = second
        .call::<ep::ResetPassword>(Some(&token), Some(retry.clone()))
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (409, Some("action_in_progress")),
        "while the cut-off request could still be running: {v}"
    );
    let wait = Duration::from_secs(17).saturating_sub(claimed_at.elapsed());
    tokio::time::sleep(wait).await;
    let (st, v) = second
        .call::<ep::ResetPassword>(Some(&token), Some(retry.clone()))
        .await;
    assert_eq!(st, 200, "the retry resets the password: {v}");
    let (st, v) = second
        .call::<ep::ResetPassword>(Some(&token), Some(retry))
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (409, Some("action_already_used")),
        "{v}"
    );
    let after = ea_store::users::find(store.db(), demo.id, "alice")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(after, written, "the retry's password is the one set");
    let resets: Vec<_> = ea_store::audit::export(store.db(), Some(demo.id), None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event == "action_reset_password")
        .collect();
    assert_eq!(resets.len(), 1, "one reset audited: {resets:?}");
    assert!(resets[0].detail.contains("\"ok\""), "{resets:?}");
    common::eventually_true("the notices", || {
        site.sink().matches("Your password was reset").count() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let notices = site.sink().matches("Your password was reset").count();
    assert_eq!(notices, 2, "one notice, to her phone and to {ALICE_EMAIL}");
    store.close().await.unwrap();
}

/// SQLite under a steady write load (sessions started from four clients at once, each writing a
/// session, counters and an audit row), killed with SIGKILL 50 times at random moments: the file
/// passes `PRAGMA integrity_check` and every session whose start was acknowledged is there with
/// its audit row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_killed_fifty_times_under_write_load_keeps_every_acknowledged_row() {
    const KILLS: usize = 50;
    const CLIENTS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("ea.db").display());
    let site = Site::on(
        dir,
        db,
        "[limits]\nrequests_per_source_per_minute = 1000000\n",
    );
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut sent = 0usize;
    for round in 0..KILLS {
        let mut server = site.serve(&[]);
        let base = std::sync::Arc::new(server.base.clone());
        let mut clients = Vec::new();
        for c in 0..CLIENTS {
            let (base, acknowledged) = (base.clone(), acknowledged.clone());
            clients.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut n = 0usize;
                loop {
                    let body =
                        json!({"tenant": "demo", "username": format!("load-{round}-{c}-{n}")});
                    n += 1;
                    let Ok(res) = client
                        .post(format!("{base}/v1/sessions"))
                        .json(&body)
                        .send()
                        .await
                    else {
                        return n;
                    };
                    if res.status() != 201 {
                        return n;
                    }
                    let Ok(v) = res.json::<serde_json::Value>().await else {
                        return n;
                    };
                    let token = v["token"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push(token);
                }
            }));
        }
        let pause = rand::random_range(50..400);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill();
        for c in clients {
            sent += c.await.unwrap();
        }
    }
    let tokens = acknowledged.lock().unwrap().clone();
    assert!(
        tokens.len() > KILLS * 5,
        "the load wrote too little to prove anything: {} sessions",
        tokens.len()
    );
    let store = Store::connect(&site.db).await.unwrap();
    let check = store
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    let verdict: String = check.try_get_by_index(0).unwrap();
    assert_eq!(verdict, "ok");
    let audited: std::collections::HashSet<String> =
        ea_store::audit::export(store.db(), None, None)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.event == "session_started")
            .filter_map(|r| r.session_ref)
            .collect();
    let mut missing = 0;
    for t in &tokens {
        let hash = ea_server::token::SessionToken::hash_of(t);
        let session = ea_store::sessions::load(store.db(), &hash).await.unwrap();
        if session.is_none() || !audited.contains(&hash[..12]) {
            missing += 1;
        }
    }
    println!(
        "sqlite: {KILLS} kills under load, {sent} requests sent, {} acknowledged, {missing} lost, integrity_check {verdict}",
        tokens.len()
    );
    assert_eq!(missing, 0, "acknowledged sessions lost");
    store.close().await.unwrap();
}
