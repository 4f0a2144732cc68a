//! Enrolment through the API: invitations (single use, expiring, replaced, counted like every
//! send), the invited address's code, each contact proven by a code before it is saved, the
//! authenticator confirmed by a code computed here from the secret the server handed out, the
//! answer rules, notices to the addresses a user had before each change, and the refusal to
//! take away what a recovery flow needs. Then the enrolled factors complete recovery flows.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::Harness;
use ea_api::endpoints::{self as ep, Endpoint};
use ea_core::totp::{TotpParams, code_at};
use serde_json::{Value, json};

const PROFILE: &str = r#"
[phones]
required = 1
max = 2
[emails]
required = 1
max = 2
[authenticator]
required = true
[questions]
required = 2
catalogue = ["First pet?", "Birth city?", "First school?"]
min_answer_length = 3
"#;

const DANA_EMAIL: &str = "dana@example.org";
const DANA_PHONE: &str = "+41791110000";

async fn harness() -> Harness {
    let h = Harness::new().await;
    h.enrolment_profile("acme", PROFILE).await;
    h
}

fn code_of(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn invitations_work_once_expire_and_refuse_alike() {
    let h = harness().await;
    let code = h.invite("acme", "dana", DANA_EMAIL).await;
    assert_eq!(code.len(), 14, "{code}");
    let log = h.delivered().await;
    assert!(log.contains(&code), "the invitation carries the code");
    assert!(
        log.contains("emergency-access://enrol?tenant=acme&username=dana"),
        "and the link that opens the app"
    );
    assert!(
        !log.split("enrol?")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .contains(&code),
        "the link does not carry the code"
    );

    let start = |user: &str, code: &str| json!({"tenant": "acme", "username": user, "code": code});
    // Wrong code, unknown user, another user's code: the same refusal.
    for body in [
        start("dana", "AAAA-BBBB-CCCC"),
        start("nobody", &code),
        start("alice", &code),
    ] {
        let (st, v) = h.call::<ep::StartEnrolment>(None, Some(body)).await;
        assert_eq!(
            (st, code_of(&v)),
            (StatusCode::FORBIDDEN, "enrolment_code_invalid")
        );
    }
    // Typed in lower case without dashes, it works once.
    let typed = code.to_lowercase().replace('-', " ");
    let (st, v) = h
        .call::<ep::StartEnrolment>(None, Some(start("dana", &typed)))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["enrolment"]["stage"], "confirm_address");
    assert_eq!(v["enrolment"]["address"], "d•••@e•••.org", "{v}");
    let (st, v) = h
        .call::<ep::StartEnrolment>(None, Some(start("dana", &code)))
        .await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::FORBIDDEN, "enrolment_code_invalid")
    );

    // A newer invitation replaces the older one; an expired one works no more.
    let first = h.invite("acme", "erin", "erin@example.org").await;
    let second = h.invite("acme", "erin", "erin@example.org").await;
    let (st, _) = h
        .call::<ep::StartEnrolment>(None, Some(start("erin", &first)))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    h.clock.advance(7 * 86_400 + 1);
    let (st, _) = h
        .call::<ep::StartEnrolment>(None, Some(start("erin", &second)))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "expired");

    // Five wrong codes end an invitation, even for the right code after them.
    let code = h.invite("acme", "finn", "finn@example.org").await;
    for _ in 0..5 {
        let (st, _) = h
            .call::<ep::StartEnrolment>(None, Some(start("finn", "2222-2222-2222")))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let (st, _) = h
        .call::<ep::StartEnrolment>(None, Some(start("finn", &code)))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "ended by wrong codes");

    // Nothing is changed before the invited address's code is typed.
    let code = h.invite("acme", "gail", "gail@example.org").await;
    let (_, v) = h
        .call::<ep::StartEnrolment>(None, Some(start("gail", &code)))
        .await;
    let t = v["token"].as_str().unwrap().to_owned();
    let body = json!({"kind": "phone", "value": "+41791112222"});
    let (st, v) = h.call::<ep::AddContact>(Some(&t), Some(body)).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::CONFLICT, "enrolment_step_out_of_order")
    );

    let audit = ea_store::audit::export(h.state.store.db(), None, None)
        .await
        .unwrap();
    let events: Vec<&str> = audit.iter().map(|e| e.event.as_str()).collect();
    for e in [
        "invitation_sent",
        "enrolment_code_refused",
        "enrolment_started",
    ] {
        assert!(events.contains(&e), "{e} audited: {events:?}");
    }
}

#[tokio::test]
async fn invitations_count_against_the_send_limits() {
    let h = harness().await;
    h.policy("acme", "[send_limits]\nper_destination_per_hour = 2\n")
        .await;
    h.invite("acme", "dana", DANA_EMAIL).await;
    h.invite("acme", "dana", DANA_EMAIL).await;
    let t = h.tenant("acme").await;
    let err = ea_server::enrolment::invite(&h.state, &t, false, "dana", Some(DANA_EMAIL), None, 7)
        .await
        .expect_err("over the limit");
    assert!(err.to_string().contains("send limit"), "{err}");
}

/// dana, invited, enrols a phone, an authenticator and two answers; every rule on the way.
#[tokio::test]
async fn a_new_user_enrols_every_factor_with_its_proof_and_then_recovers() {
    let h = harness().await;
    let (t, v) = h.enrol("acme", "dana", DANA_EMAIL).await;
    assert_eq!(v["stage"], "open");
    assert_eq!(
        v["emails"][0]["masked"], "d•••@e•••.org",
        "the invited address is kept"
    );
    let missing: Vec<&str> = v["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["factor"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["phones", "authenticator", "questions"]);

    // A phone: nothing is saved before its code is typed.
    let (st, v) = h
        .call::<ep::AddContact>(
            Some(&t),
            Some(json!({"kind": "phone", "value": "079 111 00 00"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["pending"]["kind"], "phone");
    assert!(v["phones"].as_array().unwrap().is_empty(), "not saved yet");
    let (st, v) = h
        .call::<ep::ConfirmNewContact>(Some(&t), Some(json!({"code": "000000"})))
        .await;
    let right = h.code_for(DANA_PHONE).await;
    if right != "000000" {
        assert_eq!(
            (st, code_of(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "code_invalid")
        );
    }
    let (st, v) = h
        .call::<ep::ConfirmNewContact>(Some(&t), Some(json!({"code": right})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["phones"][0]["masked"], "+41 ••••••• 00", "{v}");
    // The same number again, and malformed numbers, are refused.
    let (st, v) = h
        .call::<ep::AddContact>(
            Some(&t),
            Some(json!({"kind": "phone", "value": "+41 79 111 00 00"})),
        )
        .await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::CONFLICT, "contact_already_enrolled")
    );
    let (st, v) = h
        .call::<ep::AddContact>(Some(&t), Some(json!({"kind": "phone", "value": "12"})))
        .await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "contact_malformed")
    );

    // The authenticator: confirmed with a code computed here from the secret handed out.
    let (st, setup) = h.call::<ep::BeginAuthenticator>(Some(&t), None).await;
    assert_eq!(st, StatusCode::OK, "{setup}");
    let secret = data_encoding::BASE32_NOPAD
        .decode(setup["secret"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(secret.len(), 20, "160 bits");
    let uri = setup["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Acme:dana?secret="), "{uri}");
    let now_code = |offset: i64| {
        code_at(
            &secret,
            TotpParams::default(),
            (h.clock_now() / 30 + offset) as u64,
        )
    };
    let wrong = if now_code(0) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let (st, v) = h
        .call::<ep::ConfirmAuthenticator>(Some(&t), Some(json!({"code": wrong})))
        .await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "totp_invalid")
    );
    let (st, v) = h
        .call::<ep::ConfirmAuthenticator>(Some(&t), Some(json!({"code": now_code(0)})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["authenticator"], true);

    // Answers: each rule, named by position.
    let answers = |list: &[(&str, &str)]| json!({"answers": list.iter().map(|(q, a)| json!({"question": q, "answer": a})).collect::<Vec<_>>()});
    let cases: [(&[(&str, &str)], Value); 6] = [
        (
            &[("First pet?", "Rx"), ("Birth city?", "Bern")],
            json!([{"index": 0, "problem": "too_short", "min": 3}]),
        ),
        (
            &[("First pet?", "DANA"), ("Birth city?", "Bern")],
            json!([{"index": 0, "problem": "equals_username"}]),
        ),
        (
            &[("First pet?", "079 111 00 00"), ("Birth city?", "Bern")],
            json!([{"index": 0, "problem": "equals_contact"}]),
        ),
        (
            &[("First pet?", "Bern"), ("Birth city?", "bern")],
            json!([{"index": 1, "problem": "same_as", "other": 0}]),
        ),
        (
            &[("First pet?", "Rex"), ("first pet?", "Bern")],
            json!([{"index": 1, "problem": "same_question", "other": 0}]),
        ),
        (
            &[("Favourite colour?", "Teal"), ("Birth city?", "Bern")],
            json!([{"index": 0, "problem": "not_in_catalogue"}]),
        ),
    ];
    for (list, issues) in cases {
        let (st, v) = h
            .call::<ep::SetAnswers>(Some(&t), Some(answers(list)))
            .await;
        assert_eq!(
            (st, code_of(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "answers_refused"),
            "{list:?}"
        );
        assert_eq!(v["params"]["issues"], issues, "{list:?}");
    }
    let (st, v) = h
        .call::<ep::SetAnswers>(Some(&t), Some(answers(&[("First pet?", "Rex")])))
        .await;
    assert_eq!(
        (st, code_of(&v), &v["params"]["required"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "answers_refused",
            &json!(2)
        )
    );
    let (st, v) = h
        .call::<ep::SetAnswers>(
            Some(&t),
            Some(answers(&[
                ("First pet?", "Whiskers"),
                ("Birth city?", "Lugano"),
            ])),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["questions"], json!(["First pet?", "Birth city?"]));
    assert_eq!(v["missing"], json!([]), "complete against the profile");

    // Every change told the addresses dana had before it: the phone's code went to the new
    // phone only, the authenticator's notice to both.
    let log = h.delivered().await;
    let notices_to = |to: &str| {
        log.split("--- message")
            .filter(|m| m.contains(&format!(" to {to}\n")) && m.contains("Not you?"))
            .count()
    };
    assert_eq!(
        notices_to(DANA_EMAIL),
        3,
        "phone, authenticator, answers:\n{log}"
    );
    assert_eq!(notices_to(DANA_PHONE), 2, "authenticator, answers");

    // Recovery with what was enrolled: the SMS and authenticator flow...
    h.clock.advance(60);
    let (s, _) = h.start("acme", "dana").await;
    h.call::<ep::ChooseFlow>(Some(&s), Some(json!({"flow_id": "sms-totp"})))
        .await;
    let (st, v) = h
        .call::<ep::ConfirmContact>(
            Some(&s),
            Some(json!({"contact_id": 0, "value": "0791110000"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let sms = h.code_for(DANA_PHONE).await;
    h.call::<ep::VerifyCode>(Some(&s), Some(json!({"code": sms})))
        .await;
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&s), Some(json!({"code": now_code(0)})))
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );
    // ...and the e-mail and questions flow.
    let (s, _) = h.start("acme", "dana").await;
    h.call::<ep::ChooseFlow>(Some(&s), Some(json!({"flow_id": "email-questions"})))
        .await;
    h.call::<ep::ConfirmContact>(
        Some(&s),
        Some(json!({"contact_id": 0, "value": DANA_EMAIL})),
    )
    .await;
    let mail = h.code_for(DANA_EMAIL).await;
    let (_, v) = h
        .call::<ep::VerifyCode>(Some(&s), Some(json!({"code": mail})))
        .await;
    let asked: Vec<(i64, String)> = v["step"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["id"].as_i64().unwrap(),
                q["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let given: Vec<Value> = asked
        .iter()
        .map(|(id, text)| {
            let a = if text == "First pet?" {
                "whiskers"
            } else {
                "LUGANO"
            };
            json!({"question_id": id, "answer": a})
        })
        .collect();
    let (st, v) = h
        .call::<ep::AnswerQuestions>(Some(&s), Some(json!({"answers": given})))
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );

    let audit = ea_store::audit::export(h.state.store.db(), None, None)
        .await
        .unwrap();
    let events: Vec<&str> = audit.iter().map(|e| e.event.as_str()).collect();
    for e in [
        "enrolment_address_confirmed",
        "contact_added",
        "authenticator_enrolled",
        "answers_changed",
    ] {
        assert!(events.contains(&e), "{e} audited: {events:?}");
    }
}

#[tokio::test]
async fn what_a_flow_needs_cannot_be_removed_and_upkeep_follows_a_verification() {
    let h = harness().await;
    // Without a completed verification there is no enrolment.
    let (s, _) = h.start("acme", "alice").await;
    let (st, v) = h.call::<ep::EnrolAfterVerification>(Some(&s), None).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::FORBIDDEN, "verification_incomplete")
    );

    let s = h.complete_sms_totp().await;
    let (st, v) = h.call::<ep::EnrolAfterVerification>(Some(&s), None).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let t = v["token"].as_str().unwrap().to_owned();
    // Once per verification.
    let (st, again) = h.call::<ep::EnrolAfterVerification>(Some(&s), None).await;
    assert_eq!(
        (st, code_of(&again)),
        (StatusCode::CONFLICT, "action_already_used")
    );
    assert_eq!(v["enrolment"]["stage"], "open");
    assert_eq!(v["enrolment"]["authenticator"], true);
    assert_eq!(v["enrolment"]["questions"].as_array().unwrap().len(), 3);

    // alice's only phone: the SMS flow needs it.
    let body = json!({"kind": "phone", "id": 0});
    let (st, v) = h
        .call::<ep::RemoveContact>(Some(&t), Some(body.clone()))
        .await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::CONFLICT, "factor_still_needed")
    );
    assert_eq!(
        v["params"],
        json!({"factor": "phone", "flow": "Text message and authenticator app"})
    );
    let (st, v) = h.call::<ep::RemoveAuthenticator>(Some(&t), None).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::CONFLICT, "factor_still_needed"),
        "{v}"
    );
    // Answers may change, but not fall below what the questions flow asks (2).
    let one = json!({"answers": [{"question": "First pet?", "answer": "Rex"}]});
    let (st, v) = h.call::<ep::SetAnswers>(Some(&t), Some(one)).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "answers_refused"),
        "{v}"
    );

    // A second phone, then the first may go; the notice reaches the addresses alice had.
    let before = h.delivered().await.len();
    h.call::<ep::AddContact>(
        Some(&t),
        Some(json!({"kind": "phone", "value": "+41 79 222 33 44"})),
    )
    .await;
    let code = h.code_for("+41792223344").await;
    let (st, v) = h
        .call::<ep::ConfirmNewContact>(Some(&t), Some(json!({"code": code})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = h.call::<ep::RemoveContact>(Some(&t), Some(body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["phones"][0]["masked"], "+41 ••••••• 44");
    let log = h.delivered().await;
    let new = &log[before..];
    assert!(
        new.contains(" to +41791234567\n") && new.contains("+41 ••••••• 44 was added"),
        "the old phone hears of the new one:\n{new}"
    );
    assert!(
        new.contains(" to alice@example.org\n") && new.contains("was removed"),
        "{new}"
    );
    // Two phones at most.
    h.clock.advance(60);
    for n in ["+41 79 222 33 45", "+41 79 222 33 46"] {
        let (st, v) = h
            .call::<ep::AddContact>(Some(&t), Some(json!({"kind": "phone", "value": n})))
            .await;
        if st != StatusCode::OK {
            assert_eq!(code_of(&v), "contact_limit_reached", "{v}");
            assert_eq!(v["params"], json!({"kind": "phone", "max": 2}));
            return;
        }
        let code = h.code_for(&n.replace(' ', "")).await;
        h.call::<ep::ConfirmNewContact>(Some(&t), Some(json!({"code": code})))
            .await;
        h.clock.advance(60);
    }
    panic!("a third phone was accepted");
}

#[tokio::test]
async fn enrolment_tokens_are_their_own_and_expire() {
    let h = harness().await;
    let (t, _) = h.enrol("acme", "dana", DANA_EMAIL).await;
    // A verification token is not an enrolment token, nor the other way round.
    let (s, _) = h.start("acme", "alice").await;
    let (st, v) = h.call::<ep::GetEnrolment>(Some(&s), None).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::UNAUTHORIZED, "session_unknown")
    );
    let (st, _) = h.call::<ep::GetSession>(Some(&t), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    h.clock
        .advance(ea_core::enrolment_session::LIFETIME_SECONDS);
    let (st, v) = h.call::<ep::GetEnrolment>(Some(&t), None).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::UNAUTHORIZED, "session_expired")
    );
}

/// Ten requests with one invitation's code at once: exactly one opens an enrolment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_invitation_opens_one_enrolment_under_concurrent_requests() {
    let h = harness().await;
    let code = h.invite("acme", "dana", DANA_EMAIL).await;
    let body = json!({"tenant": "acme", "username": "dana", "code": code});
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let state = h.state.clone();
            let req = common::request(
                "POST",
                ep::StartEnrolment::INFO.path,
                None,
                Some(body.clone()),
                Some(&format!("10.0.0.{i}")),
            );
            tokio::spawn(common::answer(state, req))
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let (st, v) = t.await.unwrap();
        match st {
            StatusCode::CREATED => created += 1,
            StatusCode::FORBIDDEN => assert_eq!(code_of(&v), "enrolment_code_invalid"),
            other => panic!("{other}: {v}"),
        }
    }
    assert_eq!(created, 1);
}

/// A flow that does not permit `manage_recovery` (here one authenticator code) opens no
/// enrolment: it must not become the way to add the factors of a stronger flow.
#[tokio::test]
async fn only_flows_that_permit_it_open_an_enrolment() {
    let h = harness().await;
    h.enrolment_profile("solo", "[phones]\nrequired = 1\n")
        .await;
    h.clock.advance(30);
    let (s, v) = h.start("solo", "alice").await;
    assert_eq!(v["status"], "in_progress", "one flow: chosen at once");
    let (st, v) = h
        .call::<ep::VerifyTotp>(Some(&s), Some(json!({"code": h.totp(0)})))
        .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{v}"
    );
    let (st, v) = h.call::<ep::EnrolAfterVerification>(Some(&s), None).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::FORBIDDEN, "action_not_permitted")
    );
}

/// A directory sync replaces the directory's contacts and keeps those the user enrolled; when
/// the directory gives the name to another person, nothing of the former holder's stays, their
/// enrolment and invitation included.
#[tokio::test]
async fn directory_syncs_keep_enrolled_contacts_and_end_a_replaced_holders_enrolment() {
    let h = harness().await;
    let (t, _) = h.enrol("acme", "dana", DANA_EMAIL).await;
    h.call::<ep::AddContact>(
        Some(&t),
        Some(json!({"kind": "phone", "value": DANA_PHONE})),
    )
    .await;
    let code = h.code_for(DANA_PHONE).await;
    h.call::<ep::ConfirmNewContact>(Some(&t), Some(json!({"code": code})))
        .await;
    let tenant = h.tenant_id("acme").await;
    let entry = |id: &str, phone: &str| ea_store::users::DirectoryUser {
        directory_id: id.into(),
        username: "dana".into(),
        display_name: "Dana".into(),
        phones: vec![phone.into()],
        emails: vec![],
        disabled: false,
    };
    let db = h.state.store.db();
    ea_store::users::sync_from_directory(db, tenant, &entry("uuid-1", "+41790000001"), 0)
        .await
        .unwrap();
    let (_, v) = h.call::<ep::GetEnrolment>(Some(&t), None).await;
    let mut phones: Vec<&str> = v["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["masked"].as_str().unwrap())
        .collect();
    phones.sort_unstable();
    assert_eq!(
        phones,
        ["+41 ••••••• 00", "+41 ••••••• 01"],
        "enrolled kept, directory's added"
    );
    assert_eq!(
        v["emails"].as_array().unwrap().len(),
        1,
        "the confirmed address is kept"
    );
    ea_store::users::sync_from_directory(db, tenant, &entry("uuid-2", "+41790000002"), 0)
        .await
        .unwrap();
    let (st, v) = h.call::<ep::GetEnrolment>(Some(&t), None).await;
    assert_eq!(
        (st, code_of(&v)),
        (StatusCode::UNAUTHORIZED, "session_unknown")
    );
    let user = ea_store::users::find(db, tenant, "dana")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.phones, ["+41790000002"]);
    assert!(user.emails.is_empty());
}
