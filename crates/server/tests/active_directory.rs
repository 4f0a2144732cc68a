//! The Active Directory dialect against a real domain controller (Samba AD, provisioned by the
//! test): a reset through `unicodePwd` that a bind proves, the domain's refusals (too short,
//! complexity) as password rules, an unblock of a locked-out account, and a disabled account
//! refused. Samba's LDAP ports are fixed, so everything runs in one test.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Harness, SECRET_B32};
use ea_api::endpoints as ep;
use ea_server::ldap::LdapDirectory;
use ea_testkit::samba::{SambaDc, USERS};
use serde_json::json;

const OLD: &str = "Old-Pass-1234!";
const NEW: &str = "Violet-Staple-Orbit-7";
const PHONE: &str = "+41791234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_directory_resets_refuses_unblocks_and_keeps_disabled_accounts_out() {
    let Some(dc) = SambaDc::start().await else {
        return;
    };
    for user in ["alice", "bob"] {
        dc.tool(&[
            "user",
            "create",
            user,
            OLD,
            "--mail-address",
            &format!("{user}@example.test"),
        ]);
    }
    dc.tool(&["user", "disable", "bob"]);
    dc.tool(&[
        "domain",
        "passwordsettings",
        "set",
        "--account-lockout-threshold=3",
        "--min-pwd-length=14",
    ]);

    let mut h = Harness::new().await;
    h.policy(
        "acme",
        "[send_limits]\nper_destination_per_hour = 50\nper_user_per_hour = 50\n",
    )
    .await;
    let bob = json!([{"username": "bob", "phones": [PHONE], "totp": {"secret": SECRET_B32}}]);
    h.import_users("acme", bob).await;
    let config: ea_server::config::LdapConfig = toml::from_str(&dc.config_toml(5)).unwrap();
    h.use_ldap("acme", LdapDirectory::new("acme", config).unwrap())
        .await;
    let upn = |u: &str| format!("{u}@example.test");

    // Too short for the domain (14), though long enough for the tenant (12); then not complex.
    let t = h.complete_sms_totp().await;
    let (st, v) = h.reset_password(&t, "Quartz-Lamp-9").await;
    assert_eq!(
        (st, v["params"]["violations"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(["directory_too_short"])
        ),
        "{v}"
    );
    let (st, v) = h.reset_password(&t, "violet staple orbit canyon").await;
    assert_eq!(
        (st, v["params"]["violations"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(["directory_quality"])
        ),
        "{v}"
    );
    // A good one: set through unicodePwd, proven by a bind.
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(
        dc.can_bind(&upn("alice"), NEW).await,
        "the new password opens the account"
    );
    assert!(
        !dc.can_bind(&upn("alice"), OLD).await,
        "the old one no longer does"
    );

    // Locked out by three wrong passwords, then unblocked (lockoutTime = 0).
    for _ in 0..3 {
        assert!(!dc.can_bind(&upn("alice"), "Wrong-Pass-0000!").await);
    }
    assert!(!dc.can_bind(&upn("alice"), NEW).await, "locked out");
    let t = h.complete_sms_totp().await;
    let (st, v) = h.call::<ep::UnblockUser>(Some(&t), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(dc.can_bind(&upn("alice"), NEW).await, "unblocked");

    // Disabled in the domain (userAccountControl): cannot recover.
    let t = h.complete_sms_totp_as("bob").await;
    let (st, v) = h.reset_password(&t, NEW).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("account_disabled")),
        "{v}"
    );
    let _ = USERS;
}
