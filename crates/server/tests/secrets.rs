//! Secrets at rest: after every kind of secret has passed through the server (codes sent and
//! typed, answers, an authenticator secret and its codes, a new password, an emergency code, a
//! card key and its cryptogram, session tokens, a relying party's key, the key-encryption key,
//! an enrolment code and token, authenticator secrets enrolled and pending, enrolled answers), a
//! dump of the database made by the database's own tool (`sqlite3 .dump`, `pg_dump`) holds none
//! of them, in any case, in hex or in base32. And a sealed value with one bit flipped fails
//! closed. On SQLite, or PostgreSQL with `EA_TEST_STORE=postgres`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{Harness, SECRET, SECRET_B32};
use ea_api::endpoints as ep;
use ea_store::entities::{outbox, totp_seed};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

const CARD: &str = "EA5EC0DE000000AA";
const CARD_KEY: &str = "8899AABBCCDDEEFF0011223344556677";
const PASSWORD: &str = "violet staple orbit canyon";
const ANSWERS: [&str; 3] = ["Rex", "Zürich", "Hillside"];

/// The database as its own dump tool writes it out.
fn dump(db_url: &str) -> String {
    let mut cmd = if let Some(path) = db_url.strip_prefix("sqlite:") {
        let tool = ea_testkit::which("sqlite3")
            .expect("sqlite3 on PATH (the README test command installs it)");
        let mut c = std::process::Command::new(tool);
        c.args([path, ".dump"]);
        c
    } else {
        let mut c = std::process::Command::new(ea_testkit::database::postgres_tool("pg_dump"));
        c.args(["--data-only", "--dbname", db_url]);
        c
    };
    ea_testkit::run_ok(&mut cmd)
}

/// Where `needle` occurs in `haystack` (both lower case) as a whole word: not inside a longer
/// run of letters and digits, so that a short secret is not found by chance inside a hash.
fn as_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Every form a secret could be stored in: as given, in hex and in base32 (of its text), each
/// compared case-insensitively.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut v = vec![
        String::from_utf8_lossy(secret).to_lowercase(),
        hex::encode(secret),
        data_encoding::BASE32_NOPAD.encode(secret).to_lowercase(),
        data_encoding::BASE64_NOPAD.encode(secret).to_lowercase(),
    ];
    v.retain(|f| f.len() >= 3);
    v
}

#[tokio::test]
async fn a_database_dump_holds_no_secret() {
    let h = Harness::new().await;
    let store = &h.state.store;
    let keys = ea_server::keys::Keys::new(h.kek.clone());
    let acme = h.tenant("acme").await;
    let cards = json!({"cards": [{"serial": CARD, "username": "alice", "algorithm": "aes128", "key": CARD_KEY}]});
    ea_server::admin_actions::import_cards(store, &acme, &keys, "cards", &cards.to_string())
        .await
        .unwrap();
    let rp = h.relying_party("acme").await;
    let mut secrets: Vec<(String, Vec<u8>)> = vec![
        ("authenticator secret".into(), SECRET.to_vec()),
        ("authenticator secret, base32".into(), SECRET_B32.into()),
        ("card key".into(), CARD_KEY.into()),
        ("card key bytes".into(), hex::decode(CARD_KEY).unwrap()),
        ("key-encryption key".into(), h.kek.as_bytes().to_vec()),
        ("relying party key".into(), rp.clone().into()),
        ("password".into(), PASSWORD.into()),
    ];
    for a in ANSWERS {
        secrets.push((format!("answer {a}"), a.into()));
    }

    // SMS and authenticator; then every action with a secret in it.
    let t = h.complete_sms_totp().await;
    secrets.push(("session token".into(), t.clone().into()));
    secrets.push(("SMS code".into(), h.code_for("+41791234567").await.into()));
    secrets.push(("authenticator code".into(), h.totp(0).into()));
    let (st, v) = h
        .call::<ep::ResetPassword>(Some(&t), Some(json!({"new_password": PASSWORD})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = h
        .call::<ep::IssueEmergencyCode>(Some(&t), Some(json!({"max_uses": 2})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let emergency = v["code"].as_str().unwrap().to_owned();
    secrets.push(("emergency code".into(), emergency.clone().into()));
    secrets.push((
        "emergency code, bare".into(),
        emergency.replace('-', "").into(),
    ));
    let challenge = "00112233445566778899AABBCCDDEEFF";
    let (st, v) = h
        .call::<ep::CardCryptogram>(
            Some(&t),
            Some(json!({"serial": CARD, "challenge": challenge, "new_pin_length": 6})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let cryptogram = v["cryptogram"].as_str().unwrap().to_owned();
    secrets.push(("cryptogram".into(), cryptogram.clone().into()));
    secrets.push(("cryptogram bytes".into(), hex::decode(&cryptogram).unwrap()));
    let body = json!({"username": "alice", "code": emergency});
    let (_, v) = h
        .call::<ep::ValidateEmergencyCode>(Some(&rp), Some(body))
        .await;
    assert_eq!(v["result"], "valid", "{v}");

    // E-mail and questions.
    let t2 = h.send_code("email-questions", "alice@example.org").await;
    let code = h.code_for("alice@example.org").await;
    secrets.push(("e-mail code".into(), code.clone().into()));
    secrets.push(("second session token".into(), t2.clone().into()));
    let (st, v) = h
        .call::<ep::VerifyCode>(Some(&t2), Some(json!({"code": code})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let shown = v["step"]["questions"].as_array().unwrap().clone();
    let answers: Vec<_> = shown
        .iter()
        .map(|q| {
            let text = q["text"].as_str().unwrap();
            let a = match text {
                "First pet?" => ANSWERS[0],
                "Birth city?" => ANSWERS[1],
                _ => ANSWERS[2],
            };
            json!({"question_id": q["id"], "answer": a})
        })
        .collect();
    let (st, v) = h
        .call::<ep::AnswerQuestions>(Some(&t2), Some(json!({"answers": answers})))
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );
    // A message still waiting holds its code sealed; the delivered ones are erased.
    let t3 = h.send_code("sms-totp", "+41791234567").await;
    secrets.push(("third session token".into(), t3.into()));

    // Enrolment: an invitation (its code), the enrolment token, the invited address's code, a
    // new authenticator secret still waiting for its code and one confirmed, new answers.
    h.enrolment_profile(
        "acme",
        "[phones]\nrequired = 1\n[questions]\nrequired = 2\nown_questions = true\n",
    )
    .await;
    let invitation = h.invite("acme", "dana", "dana@example.org").await;
    secrets.push(("enrolment code".into(), invitation.clone().into()));
    secrets.push((
        "enrolment code, bare".into(),
        invitation.replace('-', "").into(),
    ));
    let (e, _) = h.enrol("acme", "dana", "dana@example.org").await;
    secrets.push(("enrolment token".into(), e.clone().into()));
    let (_, setup) = h.call::<ep::BeginAuthenticator>(Some(&e), None).await;
    let b32 = setup["secret"].as_str().unwrap().to_owned();
    let first = data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    let code = ea_core::totp::code_at(
        &first,
        ea_core::totp::TotpParams::default(),
        (h.clock_now() / 30) as u64,
    );
    let (st, v) = h
        .call::<ep::ConfirmAuthenticator>(Some(&e), Some(json!({"code": code})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    secrets.push(("enrolled authenticator secret".into(), first));
    secrets.push(("enrolled authenticator secret, base32".into(), b32.into()));
    let (_, setup) = h.call::<ep::BeginAuthenticator>(Some(&e), None).await;
    let pending = setup["secret"].as_str().unwrap().to_owned();
    secrets.push((
        "pending authenticator secret".into(),
        data_encoding::BASE32_NOPAD
            .decode(pending.as_bytes())
            .unwrap(),
    ));
    secrets.push((
        "pending authenticator secret, base32".into(),
        pending.into(),
    ));
    let new_answers = ["Marmalade Street", "Oberwil am See"];
    let body = json!({"answers": [
        {"question": "Where did you first work?", "answer": new_answers[0]},
        {"question": "Where did you spend summers?", "answer": new_answers[1]},
    ]});
    let (st, v) = h.call::<ep::SetAnswers>(Some(&e), Some(body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    for a in new_answers {
        secrets.push((format!("enrolled answer {a}"), a.into()));
    }

    let text = dump(&h.db_url).to_lowercase();
    assert!(text.len() > 1000, "the dump has content: {text}");
    assert!(
        text.contains("session_started"),
        "the dump holds the audit log"
    );
    let mut found = Vec::new();
    for (what, secret) in &secrets {
        for form in forms(secret) {
            let hit = if form.len() < 12 {
                as_word(&text, &form)
            } else {
                text.contains(&form)
            };
            if hit {
                found.push(format!("{what} as {form}"));
            }
        }
    }
    println!(
        "{}: {} secrets in {} forms looked for in a {} byte dump",
        ea_testkit::database::store_name(),
        secrets.len(),
        secrets.iter().map(|(_, s)| forms(s).len()).sum::<usize>(),
        text.len()
    );
    assert!(found.is_empty(), "found in the dump: {found:?}");
}

/// One flipped bit in a sealed authenticator secret: the authenticator step refuses every code
/// (the right one included) instead of accepting anything; one flipped bit in a sealed message:
/// it is never delivered.
#[tokio::test]
async fn a_sealed_value_with_one_bit_flipped_fails_closed() {
    let h = Harness::new().await;
    let db = h.state.store.db();
    let acme = h.tenant_id("acme").await;
    let alice = ea_store::users::find(db, acme, "alice")
        .await
        .unwrap()
        .unwrap();
    let seed = totp_seed::Entity::find_by_id(alice.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut flipped = seed.sealed_secret.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x01;
    let mut m = seed.into_active_model();
    m.sealed_secret = Set(flipped);
    m.update(db).await.unwrap();

    let t = h.send_code("sms-totp", "+41791234567").await;
    let code = h.code_for("+41791234567").await;
    let (st, v) = h
        .call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": h.totp(0)})))
        .await;
    assert!(
        st.is_server_error() || st.is_client_error(),
        "the right code with a damaged secret is not accepted: {st} {v}"
    );
    let (_, v) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_ne!(v["status"], "completed", "{v}");

    // A queued message whose seal is damaged is given up, never sent.
    let before = h.delivered().await;
    let t = h.send_code("email-questions", "alice@example.org").await;
    let row = outbox::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.status == "pending")
        .expect("the queued message");
    let mut body = row.sealed_body.clone();
    body[0] ^= 0x80;
    let mut m = row.into_active_model();
    m.sealed_body = Set(body);
    m.update(db).await.unwrap();
    let after = h.delivered().await;
    assert_eq!(after, before, "nothing delivered");
    let row = outbox::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|r| r.id)
        .unwrap();
    assert_eq!(row.status, "failed");
    assert!(
        row.sealed_body.is_empty(),
        "a failed message's body is erased"
    );
    drop(t);
}
