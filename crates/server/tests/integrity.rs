//! The audit log's chain and the rotation of the key-encryption key, through the `ea-server`
//! binary on SQLite or (with `EA_TEST_STORE=postgres`) PostgreSQL: `audit verify` finds a changed
//! or removed row; `kek rotate` seals every sealed row anew, after which the old key opens
//! nothing and everything made before (authenticator, emergency code, queued message, audit
//! links) still works under the new key; a value that does not open stops the rotation with
//! nothing changed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::process::{ALICE_PHONE, Site};
use ea_api::endpoints as ep;
use ea_store::Store;
use ea_store::entities::{audit, card, server_key, totp_seed};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, ModelTrait, QueryOrder, Set};
use serde_json::json;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_finds_a_changed_or_removed_row() {
    let site = Site::new("").await;
    let server = site.serve(&[]);
    site.alice_verified(&server, 0).await;
    let out = site.ok(&["audit", "verify"]);
    assert!(out.contains("the audit log is intact"), "{out}");
    let store = Store::connect(&site.db).await.unwrap();
    let rows = audit::Entity::find()
        .order_by_asc(audit::Column::Id)
        .all(store.db())
        .await
        .unwrap();
    assert!(rows.len() >= 5, "{rows:?}");
    assert!(
        rows.iter().all(|r| r.chain_seq.is_some()),
        "every row linked"
    );

    // One row's detail changed, as someone covering their tracks would.
    let changed = rows[2].clone();
    let mut m = changed.clone().into_active_model();
    m.detail = Set(r#"{"outcome":"failed"}"#.into());
    m.update(store.db()).await.unwrap();
    let out = site.cli(&["audit", "verify"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("row {} (link", changed.id)) && err.contains("was changed"),
        "{err}"
    );
    changed
        .into_active_model()
        .reset_all()
        .update(store.db())
        .await
        .unwrap();
    let out = site.ok(&["audit", "verify"]);
    assert!(out.contains("intact"), "the row restored: {out}");

    // One row removed.
    let removed = rows[3].clone();
    let seq = removed.chain_seq.unwrap();
    removed.delete(store.db()).await.unwrap();
    let out = site.cli(&["audit", "verify"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("links {seq} to {seq} are missing")),
        "{err}"
    );

    // Another key does not open the chain's key: refused, not "intact".
    let out = site
        .command()
        .env("EA_KEK", "b3RoZXIta2V5LW9mLXRoZS1pbnRlZ3JpdHktdGVzdHM=")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not open"), "{}", stderr(&out));
    store.close().await.unwrap();
}

/// Every sealed value's bytes, by row.
async fn sealed_values(store: &Store) -> Vec<Vec<u8>> {
    let db = store.db();
    let mut v: Vec<Vec<u8>> = server_key::Entity::find()
        .order_by_asc(server_key::Column::Name)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.sealed)
        .collect();
    v.extend(
        totp_seed::Entity::find()
            .order_by_asc(totp_seed::Column::UserId)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.sealed_secret),
    );
    v.extend(
        card::Entity::find()
            .order_by_asc(card::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|c| c.sealed_key),
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kek_rotate_reseals_every_sealed_row_and_everything_made_before_still_works() {
    let site = Site::new("[dispatch]\nlease_seconds = 2\n").await;
    let server = site.serve(&[]);
    let t = site.alice_verified(&server, 0).await;
    let (st, v) = server
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 2})))
        .await;
    assert_eq!(st, 201, "{v}");
    let emergency = v["code"].as_str().unwrap().to_owned();
    drop(server);
    // A code committed while no server sends: it waits, sealed, in the outbox.
    let mut paused = site.serve(&[("EA_FAULT_PAUSE", "before_send")]);
    let body = json!({"tenant": "demo", "username": "alice"});
    let (_, v) = paused.call::<ep::StartSession>(None, Some(body)).await;
    let t2 = v["token"].as_str().unwrap().to_owned();
    paused
        .call::<ep::ChooseFlow>(Some(&t2), Some(json!({"flow_id": "sms-totp"})))
        .await;
    let body = json!({"contact_id": 0, "value": ALICE_PHONE});
    let (st, v) = paused
        .call::<ep::ConfirmContact>(Some(&t2), Some(body))
        .await;
    assert_eq!(st, 200, "{v}");
    paused.wait_for_log("fault point before_send reached").await;
    paused.kill();
    let sent = site.messages();

    let store = Store::connect(&site.db).await.unwrap();
    let before = sealed_values(&store).await;
    assert!(
        before.len() >= 3 + 2 + 2,
        "server keys, seeds, card keys: {}",
        before.len()
    );

    // A damaged card key stops the rotation; nothing changes.
    let c = card::Entity::find()
        .all(store.db())
        .await
        .unwrap()
        .remove(0);
    let good = c.sealed_key.clone().unwrap();
    let mut bad = good.clone();
    bad[10] ^= 1;
    let mut m = c.clone().into_active_model();
    m.sealed_key = Set(Some(bad));
    m.update(store.db()).await.unwrap();
    let new_kek = site.path("kek-new").display().to_string();
    let out = site.cli(&["kek", "rotate", "--to", &new_kek, "--create"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("the key of card {}", c.serial)),
        "{err}"
    );
    let mut m = c.into_active_model();
    m.sealed_key = Set(Some(good));
    m.update(store.db()).await.unwrap();
    assert_eq!(sealed_values(&store).await, before, "nothing changed");

    let out = site.ok(&["kek", "rotate", "--to", &new_kek]);
    // The codes and notices the paused worker held are among the queued messages.
    assert!(
        out.contains("3 server keys") && !out.contains(" 0 queued"),
        "{out}"
    );
    let after = sealed_values(&store).await;
    assert_eq!(after.len(), before.len());
    for (a, b) in before.iter().zip(&after) {
        assert_ne!(a, b, "every sealed value is sealed anew");
    }
    // The old key opens nothing any more.
    let out = site.cli(&["audit", "verify"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not open"), "{}", stderr(&out));
    store.close().await.unwrap();

    // Servers start with the new key; what was made before still works.
    std::fs::rename(site.path("kek-new"), site.path("kek")).unwrap();
    let server = site.serve(&[]);
    let code = site.next_code(ALICE_PHONE, sent).await;
    let (st, v) = server
        .call::<ep::VerifyCode>(Some(&t2), Some(json!({"code": code})))
        .await;
    assert_eq!(
        st, 200,
        "the queued code, sealed anew, was delivered and holds: {v}"
    );
    // carol's authenticator secret, sealed anew, opens (hers is unused so far: no replay).
    let t3 = server.start("carol", "totp-only").await;
    let (st, v) = server
        .call::<ep::VerifyTotp>(Some(&t3), Some(json!({"code": site.totp_of("carol", 0)})))
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (200, Some("completed")),
        "the authenticator secret opens: {v}"
    );
    let body = json!({"username": "alice", "code": emergency});
    let (st, v) = server
        .call::<ep::ValidateEmergencyCode>(Some(&site.rp_key), Some(body))
        .await;
    assert_eq!((st, v["result"].as_str()), (200, Some("valid")), "{v}");
    let out = site.ok(&["audit", "verify"]);
    assert!(out.contains("intact"), "{out}");
}
