//! The actions against a real OpenLDAP directory (`slapd` with `ppolicy` and TLS, started by the
//! test from `common::slapd`), through the real router: a reset that a bind proves, each
//! ppolicy refusal as its code, an unblock of a locked account, a directory down in the middle
//! of an action (released, retried in the same verification), usernames that try to inject into
//! the filter, and `user sync`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::slapd::{PEOPLE, Slapd};
use common::{Harness, SECRET_B32};
use ea_api::endpoints as ep;
use ea_server::ldap::LdapDirectory;
use serde_json::json;

const OLD: &str = "first-password-of-the-test";
const NEW: &str = "violet staple orbit canyon lantern";
const PHONE: &str = "+41791234567";

/// A harness whose tenant acme keeps its accounts in `slapd`, with the users `names` in our store
/// (alice's phone and authenticator) and in the directory.
async fn setup(slapd: &Slapd, names: &[(&str, Option<&str>)]) -> Harness {
    let mut h = Harness::new().await;
    h.policy(
        "acme",
        "[send_limits]\nper_destination_per_hour = 50\nper_user_per_hour = 50\n",
    )
    .await;
    let users: Vec<_> = names
        .iter()
        .filter(|(n, _)| *n != "alice")
        .map(|(n, _)| json!({"username": n, "phones": [PHONE], "totp": {"secret": SECRET_B32}}))
        .collect();
    h.import_users("acme", json!(users)).await;
    for (name, policy) in names {
        slapd
            .add_person(name, OLD, Some(PHONE), None, *policy)
            .await;
    }
    h.use_ldap(
        "acme",
        LdapDirectory::new("acme", common::slapd::config(slapd, 2)).unwrap(),
    )
    .await;
    h
}

fn dn(uid: &str) -> String {
    format!("uid={uid},{PEOPLE}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_reaches_the_directory_and_its_policy_refusals_come_back_as_codes() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let h = setup(&slapd, &[("alice", None), ("young", Some("young"))]).await;

    let t = h.complete_sms_totp().await;
    // 13 characters pass the tenant's rules (12) but not the directory's (16).
    let (st, v) = h.reset_password(&t, "violet staple").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "password_policy", "{v}");
    assert_eq!(
        v["params"]["violations"],
        json!(["directory_too_short"]),
        "{v}"
    );
    // Refused, so released: the same verification resets with a good one.
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(
        slapd.can_bind(&dn("alice"), NEW).await,
        "the new password opens it"
    );
    assert!(
        !slapd.can_bind(&dn("alice"), OLD).await,
        "the old one no longer does"
    );

    // The old password again, in a new verification: in the directory's history.
    let t = h.complete_sms_totp().await;
    let (st, v) = h.reset_password(&t, OLD).await;
    assert_eq!(
        (st, v["params"]["violations"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(["in_history"])),
        "{v}"
    );

    // A password changed less than its policy's minimum age ago.
    let t = h.complete_sms_totp_as("young").await;
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(
        (st, v["params"]["violations"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(["too_young"])),
        "{v}"
    );
    assert!(slapd.can_bind(&dn("young"), OLD).await, "nothing changed");

    // Each refusal and the success are audited with the directory's reason.
    let rows = ea_store::audit::export(h.state.store.db(), None, None)
        .await
        .unwrap();
    let resets: Vec<_> = rows
        .iter()
        .filter(|r| r.event == "action_reset_password")
        .collect();
    assert_eq!(resets.len(), 4, "{resets:?}");
    assert_eq!(
        resets
            .iter()
            .filter(|r| r.detail.contains("\"refused\""))
            .count(),
        3,
        "{resets:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_account_is_unblocked_in_the_directory() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let h = setup(&slapd, &[("alice", None)]).await;
    // Three wrong binds lock it (pwdMaxFailure 3): then even the right password does not open it.
    for _ in 0..3 {
        assert!(!slapd.can_bind(&dn("alice"), "wrong-password").await);
    }
    assert!(!slapd.can_bind(&dn("alice"), OLD).await, "locked");
    let t = h.complete_sms_totp().await;
    let (st, v) = h.call::<ep::UnblockUser>(Some(&t), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(slapd.can_bind(&dn("alice"), OLD).await, "unblocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_that_is_down_releases_the_action_for_a_retry() {
    let Some(mut slapd) = Slapd::start().await else {
        return;
    };
    let h = setup(&slapd, &[("alice", None)]).await;
    let t = h.complete_sms_totp().await;
    slapd.stop();
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("directory_unavailable")
        ),
        "{v}"
    );
    slapd.start_again().await;
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(st, StatusCode::OK, "the same verification, retried: {v}");
    assert!(slapd.can_bind(&dn("alice"), NEW).await);
    let rows = ea_store::audit::export(h.state.store.db(), None, None)
        .await
        .unwrap();
    let outcomes: Vec<_> = rows
        .iter()
        .filter(|r| r.event == "action_reset_password")
        .map(|r| r.detail.clone())
        .collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(outcomes[0].contains("\"unavailable\""), "{outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_cannot_inject_into_the_filter() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    slapd
        .add_person("alice", OLD, Some(PHONE), None, None)
        .await;
    let dir = LdapDirectory::new("acme", common::slapd::config(&slapd, 2)).unwrap();
    assert_eq!(
        dir.find("alice").await.unwrap().map(|a| a.dn),
        Some(dn("alice"))
    );
    for evil in [
        "*",
        "*)(uid=*",
        "alice)(|(uid=*",
        "al*",
        "alice\0",
        "*))(|(objectClass=*",
    ] {
        assert_eq!(dir.find(evil).await.unwrap(), None, "{evil:?} matched");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_sync_adds_changes_and_disables_and_is_safe_to_run_again() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let h = Harness::new().await;
    let store = &h.state.store;
    let tenant = h.tenant("acme").await;
    slapd
        .add_person(
            "dora",
            OLD,
            Some("079 555 12 34"),
            Some("Dora@Example.org"),
            None,
        )
        .await;
    slapd
        .add_person("emil", OLD, Some("+41 79 555 56 78"), None, None)
        .await;
    slapd
        .add_person("fritz", OLD, Some("12"), Some("fritz@example.org"), None)
        .await;
    let dir = LdapDirectory::new("acme", common::slapd::config(&slapd, 5)).unwrap();
    let mut now = 1_800_000_000;
    let r = ea_server::sync::sync_tenant(store, &tenant, &dir, now, false)
        .await
        .unwrap();
    // alice came from the JSON import, not from the directory: disabled.
    assert_eq!(r.added, ["dora", "emil", "fritz"], "{r}");
    assert_eq!(r.disabled, ["alice"], "{r}");
    assert_eq!(r.skipped.len(), 1, "fritz's phone is not a number: {r}");
    let dora = ea_store::users::find(store.db(), tenant.id, "dora")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dora.emails, ["dora@example.org"]);
    assert!(dora.phones[0].starts_with('+'), "{:?}", dora.phones);

    // Run again: nothing changes.
    now += 60;
    let r = ea_server::sync::sync_tenant(store, &tenant, &dir, now, false)
        .await
        .unwrap();
    assert!(
        r.added.is_empty() && r.changed.is_empty() && r.disabled.is_empty(),
        "{r}"
    );
    assert_eq!(r.unchanged, 3);

    // A changed address, a removed user.
    slapd.set("dora", "mail", &["dora.new@example.org"]).await;
    slapd.remove("emil").await;
    now += 60;
    let r = ea_server::sync::sync_tenant(store, &tenant, &dir, now, false)
        .await
        .unwrap();
    assert_eq!(
        (r.changed.clone(), r.disabled.clone()),
        (vec!["dora".to_owned()], vec!["emil".to_owned()]),
        "{r}"
    );
    let dora = ea_store::users::find(store.db(), tenant.id, "dora")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dora.emails, ["dora.new@example.org"]);
    let emil = ea_store::users::find(store.db(), tenant.id, "emil")
        .await
        .unwrap()
        .unwrap();
    assert!(emil.disabled);
}

/// `ea-server user sync` through the binary, with the directory in the configuration file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_sync_runs_from_the_command_line() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    slapd
        .add_person(
            "alice",
            OLD,
            Some("+41 79 555 01 01"),
            Some("alice@demo.example"),
            None,
        )
        .await;
    slapd
        .add_person("dora", OLD, Some("+41 79 555 12 34"), None, None)
        .await;
    let config = format!("[directories.demo]\n{}", slapd.config_toml(5));
    let site = common::process::Site::new(&config).await;
    let out = site.ok(&["user", "sync", "--tenant", "demo"]);
    assert!(out.contains("added 1: dora"), "{out}");
    assert!(out.contains("disabled 2: bob, carol"), "{out}");
    let again = site.ok(&["user", "sync", "--tenant", "demo"]);
    assert!(
        again.contains("added 0") && again.contains("disabled 0") && again.contains("unchanged 2"),
        "{again}"
    );
    let out = site.cli(&["user", "sync", "--tenant", "nope"]);
    assert!(!out.status.success());
}

/// A name given to someone else (another directory entry) does not inherit the former owner's
/// factors; entries that cannot be told apart are left out; and an answer that lacks most
/// accounts (a wrong filter, a changed permission) changes nothing without `--force`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_sync_tells_entries_apart_and_refuses_to_disable_everyone() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let mut h = Harness::new().await;
    let store = h.state.store.clone();
    let tenant = h.tenant("acme").await;
    for name in [
        "alice", "dora", "emil", "fritz", "gina", "hugo", "ida", "jan",
    ] {
        slapd.add_person(name, OLD, Some(PHONE), None, None).await;
    }
    let dir = LdapDirectory::new("acme", common::slapd::config(&slapd, 5)).unwrap();
    let now = 1_800_000_000;
    let r = ea_server::sync::sync_tenant(&store, &tenant, &dir, now, false)
        .await
        .unwrap();
    assert_eq!(
        r.changed,
        ["alice"],
        "alice, imported before, is now the directory's: {r}"
    );
    assert_eq!(r.added.len(), 7, "{r}");

    // alice leaves; someone else gets the name "alice": a new entry.
    slapd.remove("alice").await;
    slapd
        .add_person("alice", OLD, Some(PHONE), None, None)
        .await;
    let r = ea_server::sync::sync_tenant(&store, &tenant, &dir, now + 60, false)
        .await
        .unwrap();
    assert_eq!(r.replaced, ["alice"], "{r}");
    let alice = ea_store::users::find(store.db(), tenant.id, "alice")
        .await
        .unwrap()
        .unwrap();
    assert!(
        alice.questions.is_empty() && alice.totp.is_none(),
        "the former owner's factors are gone"
    );

    // A filter that finds nobody: refused, nothing disabled; then one that finds two of eight.
    let mut wrong = common::slapd::config(&slapd, 5);
    wrong.sync_filter = "(objectClass=nothingLikeThis)".into();
    let empty = LdapDirectory::new("acme", wrong.clone()).unwrap();
    let err = ea_server::sync::sync_tenant(&store, &tenant, &empty, now + 120, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("gave no accounts"), "{err}");
    wrong.sync_filter = "(|(uid=dora)(uid=emil))".into();
    let narrow = LdapDirectory::new("acme", wrong).unwrap();
    let err = ea_server::sync::sync_tenant(&store, &tenant, &narrow, now + 120, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("would disable 6 of 8"), "{err}");
    let gina = ea_store::users::find(store.db(), tenant.id, "gina")
        .await
        .unwrap()
        .unwrap();
    assert!(!gina.disabled, "nothing was changed");
    let r = ea_server::sync::sync_tenant(&store, &tenant, &narrow, now + 120, true)
        .await
        .unwrap();
    assert_eq!(r.disabled.len(), 6, "with --force: {r}");

    // An entry with two usernames is not one account: left out, and not taken for gone.
    slapd.set("jan", "uid", &["jan", "zed"]).await;
    let r = ea_server::sync::sync_tenant(&store, &tenant, &dir, now + 180, true)
        .await
        .unwrap();
    assert!(
        r.refused.iter().any(|w| w.contains("no single username")),
        "{r}"
    );
    assert!(!r.disabled.contains(&"jan".to_owned()), "{r}");
    let zed = ea_store::users::find(store.db(), tenant.id, "zed")
        .await
        .unwrap();
    assert!(zed.is_none());

    // A reset for a user whose entry was replaced in the directory since the last sync (the
    // old owner's factors still here, for instance): refused, nothing set in the new entry.
    slapd.remove("dora").await;
    slapd.add_person("dora", OLD, Some(PHONE), None, None).await;
    let dora = json!([{"username": "dora", "phones": [PHONE], "totp": {"secret": SECRET_B32}}]);
    h.import_users("acme", dora).await;
    h.use_ldap(
        "acme",
        LdapDirectory::new("acme", common::slapd::config(&slapd, 2)).unwrap(),
    )
    .await;
    let t = h.complete_sms_totp_as("dora").await;
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(
        slapd.can_bind(&dn("dora"), OLD).await,
        "the new entry is untouched"
    );
    let rows = ea_store::audit::export(h.state.store.db(), None, None)
        .await
        .unwrap();
    let last = rows
        .iter()
        .rev()
        .find(|r| r.event == "action_reset_password")
        .unwrap();
    assert!(last.detail.contains("no_account"), "{last:?}");
}

/// Where accounts live in the directory, the directory password opens an enrolment (a bind as
/// the account proves it); a wrong password and an unknown name are refused alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_password_opens_an_enrolment() {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let h = setup(&slapd, &[("alice", None)]).await;
    h.enrolment_profile("acme", "[phones]\nrequired = 1\n")
        .await;
    let body = |user: &str, pw: &str| json!({"tenant": "acme", "username": user, "password": pw});
    for (user, pw) in [("alice", "not-her-password"), ("nobody", OLD)] {
        let (st, v) = h
            .call::<ep::StartEnrolmentWithPassword>(None, Some(body(user, pw)))
            .await;
        assert_eq!(
            (st, v["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("directory_password_wrong")),
            "{user}"
        );
    }
    let (st, v) = h
        .call::<ep::StartEnrolmentWithPassword>(None, Some(body("alice", "")))
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_field"))
    );
    let (st, v) = h
        .call::<ep::StartEnrolmentWithPassword>(None, Some(body("alice", OLD)))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["enrolment"]["stage"], "open");
    assert_eq!(v["enrolment"]["phones"][0]["masked"], "+41 ••••••• 67");
    // A tenant without a directory has no such way in.
    h.enrolment_profile("solo", "[phones]\nrequired = 1\n")
        .await;
    let solo = json!({"tenant": "solo", "username": "alice", "password": OLD});
    let (st, v) = h
        .call::<ep::StartEnrolmentWithPassword>(None, Some(solo))
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("enrolment_unavailable"))
    );
}
