//! The four actions through the real router, on SQLite from the migrations.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use ea_api::endpoints::{self as ep, Endpoint};
use ea_core::cryptogram::{CardAlgorithm, compute, diversify};
use ea_server::admin_actions;
use ea_store::{audit, tenants, users};
use serde_json::{Value, json};

const CARD_AES: &str = "0A0B0C0D";
const CARD_3DES: &str = "0A0B0C0E";
const BOB_CARD: &str = "0A0B0C0F";
const MASTER: &str = "00112233445566778899AABBCCDDEEFF";

async fn setup() -> (Harness, String) {
    let h = Harness::new().await;
    let store = &h.state.store;
    let keys = ea_server::keys::Keys::new(h.kek.clone());
    let acme = tenants::by_slug(store.db(), "acme").await.unwrap().unwrap();
    let bob = json!({"users": [{"username": "bob", "emails": ["bob@example.org"]}]});
    ea_server::admin::import_users_text(
        store,
        &acme,
        &keys,
        ea_core::answers::HashCost::TEST,
        "u",
        &bob.to_string(),
    )
    .await
    .unwrap();
    admin_actions::set_card_master_key(store, &acme, &keys, MASTER)
        .await
        .unwrap();
    let acme = tenants::by_slug(store.db(), "acme").await.unwrap().unwrap();
    let cards = json!({"cards": [
        {"serial": CARD_AES, "username": "alice", "algorithm": "aes128", "key": "000102030405060708090a0b0c0d0e0f"},
        {"serial": CARD_3DES, "username": "alice", "profile": "iso7816-legacy", "algorithm": "3des"},
        {"serial": BOB_CARD, "username": "bob", "algorithm": "aes256", "key": "00".repeat(32)},
    ]});
    admin_actions::import_cards(store, &acme, &keys, "cards", &cards.to_string())
        .await
        .unwrap();
    let rp = admin_actions::add_relying_party(store, &acme, "portal", None)
        .await
        .unwrap();
    (h, rp)
}

/// A session of alice that completed SMS + TOTP (all four actions permitted).
async fn completed(h: &Harness) -> String {
    h.complete_sms_totp().await
}

async fn messages(h: &Harness) -> String {
    h.delivered().await
}

#[tokio::test]
async fn reset_password_reports_every_violation_then_sets_the_password_once() {
    let (h, _) = setup().await;
    let t = completed(&h).await;
    let (st, p) = h.call::<ep::GetPasswordPolicy>(Some(&t), None).await;
    assert_eq!(
        (st, p["min_length"].as_u64(), p["max_length"].as_u64()),
        (StatusCode::OK, Some(12), Some(128))
    );

    let (st, e) = h
        .call::<ep::ResetPassword>(Some(&t), Some(json!({"new_password": "Alice2024"})))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["code"], "password_policy");
    assert_eq!(
        e["params"]["violations"],
        json!(["too_short", "contains_username"])
    );
    let (_, e) = h
        .call::<ep::ResetPassword>(Some(&t), Some(json!({"new_password": "Acme-password-1"})))
        .await;
    assert_eq!(e["params"]["violations"], json!(["contains_tenant_name"]));
    let (_, e) = h
        .call::<ep::ResetPassword>(Some(&t), Some(json!({"new_password": "P@ssw0rd!2024"})))
        .await;
    assert_eq!(e["params"]["violations"], json!(["common"]));

    let before = messages(&h).await;
    let pw = "violet staple orbit canyon";
    let (st, v) = h
        .call::<ep::ResetPassword>(Some(&t), Some(json!({"new_password": pw})))
        .await;
    assert_eq!(
        (st, v),
        (StatusCode::OK, json!({"action": "reset_password"}))
    );
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    let u = users::find(h.state.store.db(), acme.id, "alice")
        .await
        .unwrap()
        .unwrap();
    let phc = u.password_hash.expect("password set");
    assert!(phc.starts_with("$argon2id$") && ea_core::password::verify(pw, &phc));

    let (st, e) = h
        .call::<ep::ResetPassword>(
            Some(&t),
            Some(json!({"new_password": "another good passphrase"})),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("action_already_used"))
    );

    let after = messages(&h).await;
    let notices = &after[before.len()..];
    assert!(
        notices.contains("to alice@example.org") && notices.contains("to +41791234567"),
        "{notices}"
    );
    assert!(notices.contains("Your password was reset") && notices.contains("Not you?"));
    assert!(!notices.contains(pw));
    let events = audit::export(h.state.store.db(), Some(acme.id), None)
        .await
        .unwrap();
    let ev = events
        .iter()
        .find(|e| e.event == "action_reset_password")
        .expect("audited");
    assert!(!ev.detail.contains(pw));
}

#[tokio::test]
async fn actions_need_a_complete_permitting_unexpired_session_of_an_enabled_account() {
    let (h, _) = setup().await;
    let (t, _) = h.start("acme", "alice").await;
    let (st, e) = h.call::<ep::UnblockUser>(Some(&t), None).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("verification_incomplete"))
    );

    // The totp-only flow permits only unblock_user.
    h.clock.advance(30);
    let (t, _) = h.start("solo", "alice").await;
    h.call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    let (st, e) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 1})))
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("action_not_permitted"))
    );
    let (st, _) = h.call::<ep::UnblockUser>(Some(&t), None).await;
    assert_eq!(st, StatusCode::OK);

    // Disabled after the session started: refused, nothing changes.
    let t = completed(&h).await;
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    users::set_disabled(h.state.store.db(), acme.id, "alice", true)
        .await
        .unwrap();
    let (st, e) = h
        .call::<ep::ResetPassword>(
            Some(&t),
            Some(json!({"new_password": "violet staple orbit canyon"})),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("account_disabled"))
    );
    assert!(
        users::find(h.state.store.db(), acme.id, "alice")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .is_none()
    );
    users::set_disabled(h.state.store.db(), acme.id, "alice", false)
        .await
        .unwrap();

    // Past the session's lifetime.
    h.clock.advance(15 * 60);
    let (st, e) = h
        .call::<ep::ResetPassword>(
            Some(&t),
            Some(json!({"new_password": "violet staple orbit canyon"})),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );
}

#[tokio::test]
async fn unblock_user_clears_the_directory_lockout() {
    let (h, _) = setup().await;
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    admin_actions::set_user_flag(&h.state.store, &acme, "alice", "blocked", true)
        .await
        .unwrap();
    let t = completed(&h).await;
    let (st, v) = h.call::<ep::UnblockUser>(Some(&t), None).await;
    assert_eq!((st, v), (StatusCode::OK, json!({"action": "unblock_user"})));
    let u = users::find(h.state.store.db(), acme.id, "alice")
        .await
        .unwrap()
        .unwrap();
    assert!(!u.blocked && u.login_failures == 0);
    assert!(messages(&h).await.contains("Your account was unblocked"));
}

async fn validate(h: &Harness, key: &str, username: &str, code: &str) -> (StatusCode, Value) {
    validate_from(h, key, username, code, None).await
}

/// A validation on behalf of the end user at `client` (as the login page saw them).
async fn validate_from(
    h: &Harness,
    key: &str,
    username: &str,
    code: &str,
    client: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"username": username, "code": code});
    if let Some(c) = client {
        body["client_address"] = c.into();
    }
    let path = ep::ValidateEmergencyCode::INFO.path;
    let req = common::request("POST", path, Some(key), Some(body), None);
    common::answer(h.state.clone(), req).await
}

/// Disabling an account revokes its emergency codes, validation checks the account anyway, and
/// a revoked relying-party key validates nothing.
#[tokio::test]
async fn disabled_accounts_and_revoked_keys_validate_no_code() {
    let (h, rp) = setup().await;
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    let issue = async || {
        let t = completed(&h).await;
        let (st, c) = h
            .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 5})))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        c["code"].as_str().unwrap().to_owned()
    };
    let first = issue().await;
    let second = issue().await;
    assert_eq!(
        validate(&h, &rp, "alice", &first).await.1["result"],
        "valid"
    );

    // Disabled in the directory behind the admin tool's back: validation still refuses.
    ea_store::users::set_disabled(h.state.store.db(), acme.id, "alice", true)
        .await
        .unwrap();
    let (_, v) = validate(&h, &rp, "alice", &first).await;
    assert_eq!(
        (v["result"].as_str(), v["reason"].as_str()),
        (Some("invalid"), Some("revoked"))
    );
    ea_store::users::set_disabled(h.state.store.db(), acme.id, "alice", false)
        .await
        .unwrap();
    assert_eq!(
        validate(&h, &rp, "alice", &second).await.1["result"],
        "valid"
    );

    // Disabled through the admin tool: every code of the user is revoked for good.
    admin_actions::set_user_flag(&h.state.store, &acme, "alice", "disabled", true)
        .await
        .unwrap();
    admin_actions::set_user_flag(&h.state.store, &acme, "alice", "disabled", false)
        .await
        .unwrap();
    for code in [&first, &second] {
        let (_, v) = validate(&h, &rp, "alice", code).await;
        assert_eq!(v["reason"], "revoked", "{v}");
    }
    let listed = admin_actions::list_codes(&h.state.store, &acme, Some("alice"))
        .await
        .unwrap();
    assert!(
        listed.iter().all(|l| l.contains("\trevoked\t")),
        "{listed:?}"
    );

    // A revoked relying party is refused before any code is looked at.
    let third = issue().await;
    let party = ea_store::emergency::relying_parties(h.state.store.db(), acme.id)
        .await
        .unwrap();
    admin_actions::revoke_relying_party(&h.state.store, &acme, party[0].id)
        .await
        .unwrap();
    let (st, v) = validate(&h, &rp, "alice", &third).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert!(
        admin_actions::revoke_relying_party(&h.state.store, &acme, party[0].id)
            .await
            .is_err(),
        "revoking twice is refused"
    );
}

#[tokio::test]
async fn emergency_codes_are_limited_by_uses_and_dates() {
    let (h, rp) = setup().await;
    let t = completed(&h).await;
    let (_, l) = h.call::<ep::GetEmergencyCodeLimits>(Some(&t), None).await;
    assert_eq!(
        l,
        json!({"length": 10, "max_uses": 10, "max_validity_seconds": 30 * 86400})
    );
    let (st, e) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({})))
        .await;
    assert_eq!(
        (st, e["params"]["violations"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(["unlimited"]))
    );
    let (_, e) = h
        .call::<ep::IssueEmergencyCode>(
            Some(&t),
            Some(json!({"max_uses": 11, "valid_to": h.clock_now() + 40 * 86400})),
        )
        .await;
    assert_eq!(
        e["params"]["violations"],
        json!(["uses_out_of_range", "window_too_long"])
    );

    let (st, c) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 3})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let code = c["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 10);
    assert!(
        code.chars()
            .all(|ch| ea_core::emergency::UNAMBIGUOUS.contains(ch))
    );
    assert_eq!(
        c["display"].as_str().map(|d| d.replace('-', "")),
        Some(code.clone())
    );
    let (st, _) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 1})))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "one code per verification");

    let (st, e) = validate(&h, "ea_rp_wrong", "alice", &code).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (_, v) = validate(&h, &rp, "bob", &code).await;
    assert_eq!(
        v,
        json!({"result": "invalid", "uses_left": null, "reason": "unknown"}),
        "bound to its user"
    );
    let typed = format!("{} {}", &code[..5].to_lowercase(), &code[5..]);
    for left in [2, 1, 0] {
        let (st, v) = validate(&h, &rp, "Alice", &typed).await;
        assert_eq!(
            (st, v),
            (
                StatusCode::OK,
                json!({"result": "valid", "uses_left": left, "reason": null})
            )
        );
    }
    let (_, v) = validate(&h, &rp, "alice", &code).await;
    assert_eq!(v["reason"], "used_up");

    // A dated code: valid from (inclusive) to (exclusive), then revoked by an admin.
    let t = completed(&h).await;
    let now = h.clock_now();
    let (st, c) = h
        .call::<ep::IssueEmergencyCode>(
            Some(&t),
            Some(json!({"valid_from": now + 100, "valid_to": now + 200})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let code = c["code"].as_str().unwrap().to_owned();
    let (_, v) = validate(&h, &rp, "alice", &code).await;
    assert_eq!(v["reason"], "not_yet_valid");
    h.clock.advance(100);
    let (_, v) = validate(&h, &rp, "alice", &code).await;
    assert_eq!(
        v,
        json!({"result": "valid", "uses_left": null, "reason": null})
    );
    h.clock.advance(100);
    let (_, v) = validate(&h, &rp, "alice", &code).await;
    assert_eq!(v["reason"], "expired");

    let t = completed(&h).await;
    let (_, c) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 1})))
        .await;
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    let listed = admin_actions::list_codes(&h.state.store, &acme, Some("alice"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    let id: i64 = listed[2].split('\t').next().unwrap().parse().unwrap();
    admin_actions::revoke_code(&h.state.store, &acme, id)
        .await
        .unwrap();
    let (_, v) = validate(&h, &rp, "alice", c["code"].as_str().unwrap()).await;
    assert_eq!(v["reason"], "revoked");
    assert!(
        admin_actions::revoke_code(&h.state.store, &acme, id)
            .await
            .is_err()
    );
    assert!(
        messages(&h)
            .await
            .contains("An emergency access code was issued")
    );
}

/// `POST /v1/session/actions/card-cryptogram` on session `t`.
/// A card report that lost the race to another finishes nothing: two requests loaded the session
/// with its claim in progress; the first finishes it, the second's write conflicts, and on the
/// reload it finds the claim finished and is refused (it would otherwise audit and notify again).
#[tokio::test]
async fn a_claim_is_finished_once_when_two_requests_loaded_it() {
    use ea_server::actions::{Notice, Outcome, finish, verified};
    let (h, _) = setup().await;
    let t = completed(&h).await;
    let (st, c) = card_cryptogram(
        &h,
        &t,
        json!({"serial": CARD_AES, "challenge": "00112233445566778899aabbccddeeff"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{c}");
    let token = ea_server::token::SessionToken::parse(&t).unwrap();
    let outcome = || Outcome {
        succeeded: true,
        notice: Some(Notice::CardUnblocked {
            serial_tail: "0001".into(),
        }),
        detail: json!({}),
    };
    let (first, user) = verified(&h.state, &token).await.unwrap();
    let (second, _) = verified(&h.state, &token).await.unwrap();
    let action = ea_core::Action::CardPinUnblock;
    finish(&h.state, &token, (first, &user), action, outcome())
        .await
        .unwrap();
    let again = finish(&h.state, &token, (second, &user), action, outcome()).await;
    assert_eq!(
        again.map_err(|e| e.code()),
        Err(ea_api::ErrorCode::StepOutOfOrder {
            expected: ea_api::ExpectedRequest::CardCryptogram
        })
    );
    let finished = acme_audit(&h)
        .await
        .iter()
        .filter(|e| e.event == "action_card_pin_unblock")
        .count();
    assert_eq!(finished, 1);
}

async fn card_cryptogram(h: &Harness, t: &str, body: Value) -> (StatusCode, Value) {
    h.call::<ep::CardCryptogram>(Some(t), Some(body)).await
}

/// The acme tenant's audit log, oldest first.
async fn acme_audit(h: &Harness) -> Vec<ea_store::entities::audit::Model> {
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    audit::export(h.state.store.db(), Some(acme.id), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn card_cryptograms_for_the_users_own_card() {
    let (h, _) = setup().await;
    let t = completed(&h).await;
    let challenge = "00112233445566778899aabbccddeeff";
    let post = |body: Value| card_cryptogram(&h, &t, body);

    let (st, e) = post(json!({"serial": BOB_CARD, "challenge": challenge})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("card_unknown")),
        "another user's card"
    );
    let (st, e) = post(json!({"serial": "FFFF", "challenge": challenge})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("card_unknown"))
    );
    let (st, e) = post(json!({"serial": CARD_AES, "challenge": "0011223344556677"})).await;
    assert_eq!(
        (st, e),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"code": "challenge_length", "params": {"expected": 16}})
        )
    );
    let (st, e) = post(json!({"serial": CARD_AES, "challenge": "zz"})).await;
    assert_eq!(
        (st, e["params"]["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("not_hex"))
    );
    let (st, e) =
        post(json!({"serial": CARD_AES, "challenge": challenge, "new_pin_length": 99})).await;
    assert_eq!(
        (st, e["params"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("new_pin_length"))
    );
    let (st, e) = h
        .call::<ep::CardResult>(
            Some(&t),
            Some(json!({"serial": CARD_AES, "challenge": challenge, "outcome": "unblocked"})),
        )
        .await;
    assert_eq!(
        (st, e["params"]["expected"].as_str()),
        (StatusCode::CONFLICT, Some("card_cryptogram"))
    );

    // FIPS-197 C.1 through the API: the imported AES-128 key and the published challenge.
    let (st, c) =
        post(json!({"serial": "0a0b0c0d", "challenge": challenge, "new_pin_length": 6})).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(c["cryptogram"], "69C4E0D86A7B0430D8CDB78070B4C55A");
    assert_eq!(c["algorithm"], "aes128");
    let (st, e) = post(json!({"serial": CARD_AES, "challenge": challenge})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("action_in_progress"))
    );
    // The user hears of it when it is issued, before any report.
    assert!(
        messages(&h)
            .await
            .contains("A response to unblock your smart card ending in 0C0D was sent to the card")
    );
    assert_eq!(
        acme_audit(&h)
            .await
            .iter()
            .filter(|e| e.event == "card_cryptogram_issued")
            .count(),
        1,
        "audited when issued"
    );

    // A report must name the serial and the challenge the cryptogram was issued for.
    for (serial, ch) in [
        (CARD_3DES, challenge),
        (CARD_AES, "FFEEDDCCBBAA99887766554433221100"),
    ] {
        let (st, e) = h
            .call::<ep::CardResult>(
                Some(&t),
                Some(json!({"serial": serial, "challenge": ch, "outcome": "unblocked"})),
            )
            .await;
        assert_eq!(
            (st, e["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("card_result_mismatch")
            ),
            "{serial} {ch}"
        );
    }

    // The card refused: the claim is released and a fresh challenge can be answered.
    let (st, _) = h
        .call::<ep::CardResult>(
            Some(&t),
            Some(json!({"serial": CARD_AES, "challenge": challenge, "outcome": "auth_failed", "tries_left": 2})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, c) = post(json!({"serial": CARD_3DES, "challenge": "5468652071756663"})).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    let key = diversify(
        &hex::decode(MASTER).unwrap(),
        &hex::decode(CARD_3DES).unwrap(),
        CardAlgorithm::TripleDes,
    );
    let want = compute(
        CardAlgorithm::TripleDes,
        &key,
        &hex::decode("5468652071756663").unwrap(),
    )
    .unwrap();
    assert_eq!(c["cryptogram"], hex::encode_upper(want.as_slice()));
    let (st, _) = h
        .call::<ep::CardResult>(
            Some(&t),
            Some(json!({"serial": CARD_3DES, "challenge": "5468652071756663", "outcome": "unblocked"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = post(json!({"serial": CARD_AES, "challenge": challenge})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("action_already_used"))
    );

    let log = acme_audit(&h).await;
    let issued: Vec<_> = log
        .iter()
        .filter(|e| e.event == "card_cryptogram_issued")
        .collect();
    assert_eq!(issued.len(), 2);
    assert!(issued[0].detail.contains("\"new_pin_length\":6"));
    assert!(
        log.iter().all(|e| !e.detail.contains("69C4E0D8")),
        "no cryptogram in the audit log"
    );
    let results: Vec<_> = log
        .iter()
        .filter(|e| e.event == "action_card_pin_unblock")
        .map(|e| e.detail.clone())
        .collect();
    assert!(results[0].contains("auth_failed") && results[0].contains("\"tries_left\":2"));
    assert!(
        messages(&h)
            .await
            .contains("smart card ending in 0C0E was unblocked")
    );
}

/// The QR path: the cryptogram is shown on screen, not written by the app. The server binds it to
/// the verified user's card exactly as for a card in a reader, and audits that it was shown.
#[tokio::test]
async fn a_cryptogram_shown_on_screen_is_audited_as_shown() {
    let (h, _) = setup().await;
    let t = completed(&h).await;
    let challenge = "00112233445566778899AABBCCDDEEFF";
    let post = |body: Value| card_cryptogram(&h, &t, body);
    let (st, e) =
        post(json!({"serial": BOB_CARD, "challenge": challenge, "delivery": "screen"})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("card_unknown")),
        "another user's card is refused on the QR path too"
    );
    let (st, e) =
        post(json!({"serial": "0a0b0c0d", "challenge": challenge, "delivery": "phone"})).await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
    let (st, c) =
        post(json!({"serial": "0a0b0c0d", "challenge": challenge, "delivery": "screen"})).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(c["cryptogram"], "69C4E0D86A7B0430D8CDB78070B4C55A");
    let (st, _) = h
        .call::<ep::CardResult>(
            Some(&t),
            Some(json!({"serial": "0a0b0c0d", "challenge": challenge, "outcome": "aborted"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "leaving the screen releases the claim");
    assert!(
        messages(&h)
            .await
            .contains("A response to unblock your smart card ending in 0C0D was shown on screen"),
        "the user is told when the response is shown, whatever is reported after"
    );

    let log = acme_audit(&h).await;
    let shown: Vec<_> = log
        .iter()
        .filter(|e| e.event == "card_cryptogram_shown")
        .collect();
    assert_eq!(shown.len(), 1);
    assert!(
        shown[0].detail.contains("\"delivery\":\"screen\""),
        "{}",
        shown[0].detail
    );
    assert!(!log.iter().any(|e| e.event == "card_cryptogram_issued"));
    assert!(
        log.iter().all(|e| !e.detail.contains("69C4E0D8")),
        "no cryptogram in the audit log"
    );
}

#[tokio::test]
async fn card_import_refuses_bad_entries_and_changes_nothing() {
    let (h, _) = setup().await;
    let keys = ea_server::keys::Keys::new(h.kek.clone());
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    let cases = [
        (
            json!({"serial": "XYZ", "username": "alice", "algorithm": "aes128"}),
            "cards[1].serial",
        ),
        (
            json!({"serial": "0101", "username": "alice", "algorithm": "rot13"}),
            "cards[1].algorithm",
        ),
        (
            json!({"serial": "0101", "username": "alice", "algorithm": "3des", "key": "00"}),
            "cards[1].profile",
        ),
        (
            json!({"serial": "0101", "username": "nobody", "algorithm": "aes128"}),
            "cards[1].username",
        ),
        (
            json!({"serial": "0101", "username": "alice", "algorithm": "aes128", "key": "0011"}),
            "cards[1].key",
        ),
    ];
    for (bad, field) in cases {
        let file =
            json!({"cards": [{"serial": "0202", "username": "alice", "algorithm": "aes128"}, bad]});
        let err = admin_actions::import_cards(
            &h.state.store,
            &acme,
            &keys,
            "cards.json",
            &file.to_string(),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains(field), "{err}");
    }
    assert_eq!(
        admin_actions::list_cards(&h.state.store, &acme)
            .await
            .unwrap()
            .len(),
        3,
        "nothing half-written"
    );
}

#[tokio::test]
async fn openapi_covers_the_actions() {
    let (h, _) = setup().await;
    let (_, doc) = h
        .request("GET", ea_server::http::openapi::PATH, None, None)
        .await;
    for p in ep::ALL.iter().map(|e| e.path) {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
    assert!(doc["components"]["securitySchemes"]["relying_party"].is_object());
}

/// Sets acme's `policy`, issues alice a five-use emergency code, and moves the clock to the start
/// of a ten-minute window (so a lock lasts the whole window). Returns the code.
async fn code_under_policy(h: &Harness, policy: &str) -> String {
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();
    admin_actions::set_policies(&h.state.store, &acme, "policy", policy)
        .await
        .unwrap();
    let t = completed(h).await;
    let (st, c) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 5})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let now = h.clock_now();
    h.clock.advance(600 - now.rem_euclid(600));
    c["code"].as_str().unwrap().to_owned()
}

/// A validation through the router, answered in full (status, headers, body).
async fn validation_response(
    state: ea_server::AppState,
    rp: &str,
    body: Value,
) -> axum::response::Response {
    let path = ep::ValidateEmergencyCode::INFO.path;
    let req = common::request("POST", path, Some(rp), Some(body), None);
    tower::ServiceExt::oneshot(ea_server::app(state), req)
        .await
        .unwrap()
}

/// Wrong emergency codes for one username use up its failure budget: then even the right code
/// answers `locked` until the window ends, and works again afterwards. Validations are also
/// limited per relying party, per username and per client source (429 `rate_limited`).
#[tokio::test]
async fn emergency_code_validations_are_limited_and_lock_after_wrong_codes() {
    let (h, rp) = setup().await;
    let policy = "[validation]\nfailures_per_user = 3\nlock_minutes = 10\nper_user_per_hour = 8\n";
    let code = code_under_policy(&h, policy).await;
    let acme = tenants::by_slug(h.state.store.db(), "acme")
        .await
        .unwrap()
        .unwrap();

    for _ in 0..3 {
        let (st, v) = validate(&h, &rp, "alice", "WRONG-CODE-0000").await;
        assert_eq!(
            (st, v["reason"].as_str()),
            (StatusCode::OK, Some("unknown"))
        );
    }
    let (st, v) = validate(&h, &rp, "alice", &code).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (
            v["result"].as_str(),
            v["reason"].as_str(),
            v["retry_after"].as_i64()
        ),
        (Some("invalid"), Some("locked"), Some(600)),
        "{v}"
    );
    // An unknown username is locked the same way.
    for _ in 0..4 {
        validate(&h, &rp, "nobody", "WRONG-CODE-0000").await;
    }
    let (_, v) = validate(&h, &rp, "nobody", "WRONG-CODE-0000").await;
    assert_eq!(v["reason"], "locked", "{v}");

    h.clock.advance(600);
    let (_, v) = validate(&h, &rp, "alice", &code).await;
    assert_eq!(v["result"], "valid", "{v}");

    // Per username per hour: 8 validations, counted whatever their result (5 so far).
    for _ in 0..3 {
        validate(&h, &rp, "alice", &code).await;
    }
    let body = json!({"username": "alice", "code": code});
    let res = validation_response(h.state.clone(), &rp, body).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");

    // Per relying party per minute.
    let policy = "[validation]\nper_relying_party_per_minute = 2\n";
    admin_actions::set_policies(&h.state.store, &acme, "policy", policy)
        .await
        .unwrap();
    h.clock.advance(3600);
    let results: Vec<StatusCode> = [
        validate(&h, &rp, "carol", "WRONG-CODE-0000").await.0,
        validate(&h, &rp, "dave", "WRONG-CODE-0000").await.0,
        validate(&h, &rp, "erin", "WRONG-CODE-0000").await.0,
    ]
    .into();
    let ok = StatusCode::OK;
    assert_eq!(results, [ok, ok, StatusCode::TOO_MANY_REQUESTS]);
    let rows = audit::export(h.state.store.db(), None, None).await.unwrap();
    let locked = rows
        .iter()
        .filter(|r| r.event == "emergency_code_validation" && r.detail.contains("locked"))
        .count();
    // alice once, the unknown name twice (its fourth and fifth validation).
    assert_eq!(locked, 3);
}

/// When the relying party names the end user's client, wrong codes lock out that client first:
/// the owner's code still works from another client, until the whole username has taken four
/// times the budget. Parallel wrong codes never get past the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_from_one_client_do_not_lock_the_owner_out() {
    let (h, rp) = setup().await;
    let code = code_under_policy(
        &h,
        "[validation]\nfailures_per_user = 3\nlock_minutes = 10\n",
    )
    .await;

    // Ten wrong codes at once from one client: exactly three are checked, the rest are locked.
    let attacker = Some("203.0.113.9");
    let answers = futures_join(&h, &rp, attacker, 10).await;
    let unknown = answers.iter().filter(|r| *r == "unknown").count();
    assert_eq!(unknown, 3, "{answers:?}");
    let (_, v) = validate_from(&h, &rp, "alice", &code, attacker).await;
    assert_eq!(v["reason"], "locked", "{v}");
    // The owner at their own machine.
    let (_, v) = validate_from(&h, &rp, "alice", &code, Some("192.0.2.44")).await;
    assert_eq!(v["result"], "valid", "{v}");
    // Three more clients use up the username's budget (4 x 3 wrong codes in all).
    for ip in ["203.0.113.10", "203.0.113.11", "203.0.113.12"] {
        for _ in 0..3 {
            validate_from(&h, &rp, "alice", "WRONG-CODE-0000", Some(ip)).await;
        }
    }
    let (_, v) = validate_from(&h, &rp, "alice", &code, Some("192.0.2.44")).await;
    assert_eq!(v["reason"], "locked", "{v}");
    // The address must be one; its spelling or an IPv6 address's low bits give no new budget.
    let (st, v) = validate_from(&h, &rp, "alice", &code, Some("somewhere")).await;
    assert_eq!(
        (st, v["params"]["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("not_an_address")),
        "{v}"
    );
}

async fn futures_join(h: &Harness, rp: &str, client: Option<&str>, n: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (state, rp) = (h.state.clone(), rp.to_owned());
        let mut body = json!({"username": "alice", "code": "WRONG-CODE-0000"});
        if let Some(c) = client {
            body["client_address"] = c.into();
        }
        tasks.push(tokio::spawn(async move {
            let path = ep::ValidateEmergencyCode::INFO.path;
            let req = common::request("POST", path, Some(&rp), Some(body), None);
            let (_, v) = common::answer(state, req).await;
            v["reason"]
                .as_str()
                .map_or_else(|| v.to_string(), str::to_owned)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
