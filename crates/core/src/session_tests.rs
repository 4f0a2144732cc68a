use super::*;
use crate::answers::{self, HashCost};
use crate::flow::FlowDefinition;
use crate::totp::code_at;
use rand::{SeedableRng, rngs::StdRng};

const NOW: i64 = 1_700_000_010;
const KEY: &[u8] = b"code-key";
const SECRET: &[u8] = b"12345678901234567890";

fn flow(id: &str, steps: &str) -> FlowDefinition {
    let text = format!(
        "id = \"{id}\"\nactions = [\"reset_password\", \"emergency_code\"]\n\
         [name]\nen = \"x\"\nde = \"x\"\nfr = \"x\"\nit = \"x\"\n{steps}"
    );
    FlowDefinition::from_toml("test.toml", &text).expect("valid flow")
}

fn sms_totp() -> FlowDefinition {
    flow(
        "sms-totp",
        "[[steps]]\nmethod = \"sms_otp\"\nmax_attempts = 3\nmax_resends = 2\nresend_cooldown_seconds = 60\nttl_seconds = 300\n[[steps]]\nmethod = \"totp\"",
    )
}

fn email_questions() -> FlowDefinition {
    flow(
        "email-questions",
        "[[steps]]\nmethod = \"email_otp\"\n[[steps]]\nmethod = \"questions\"\ncount = 2\nmax_failures = 2",
    )
}

fn subject(rng: &mut StdRng) -> Subject {
    let q = |id: i64, text: &str, answer: &str, rng: &mut StdRng| SubjectQuestion {
        id,
        text: text.into(),
        answer_hash: answers::hash(answer, HashCost::TEST, rng).expect("hash"),
    };
    Subject {
        decoy: Vec::new(),
        known: true,
        phones: vec!["+41791234567".into(), "+41797654321".into()],
        emails: vec!["alice@example.org".into()],
        questions: vec![
            q(1, "First pet?", "Rex", rng),
            q(2, "Birth city?", "Zürich", rng),
            q(3, "First school?", "Hillside", rng),
        ],
        totp: Some(TotpEnrolment {
            secret: Zeroizing::new(SECRET.to_vec()),
            params: TotpParams::default(),
            counters: TotpCounters::default(),
        }),
        default_country: Some("41".into()),
    }
}

fn answer_for(id: i64) -> &'static str {
    match id {
        1 => "rex",
        2 => " ZÜRICH ",
        _ => "hillside",
    }
}

struct World {
    rng: StdRng,
    subject: Subject,
    guard: AccountGuard,
    policy: LockoutPolicy,
    now: i64,
}

impl World {
    fn new() -> World {
        let mut rng = StdRng::seed_from_u64(42);
        let subject = subject(&mut rng);
        World {
            rng,
            subject,
            guard: AccountGuard::default(),
            policy: LockoutPolicy::default(),
            now: NOW,
        }
    }
    fn start(&mut self, flows: &[FlowDefinition]) -> VerificationSession {
        VerificationSession::start(
            "sid".into(),
            "demo",
            "alice",
            flows,
            900,
            &self.subject,
            self.now,
            &mut self.rng,
        )
    }
    fn confirm(
        &mut self,
        s: &mut VerificationSession,
        idx: usize,
        typed: &str,
    ) -> Result<OutgoingCode, VerifyError> {
        let env = Env {
            now: self.now,
            code_key: KEY,
            lockout: &self.policy,
        };
        s.confirm_contact(
            idx,
            typed,
            &self.subject,
            &mut self.guard,
            &env,
            &mut self.rng,
        )
    }
    fn code(&mut self, s: &mut VerificationSession, code: &str) -> Result<(), VerifyError> {
        let env = Env {
            now: self.now,
            code_key: KEY,
            lockout: &self.policy,
        };
        s.verify_code(code, &self.subject, &mut self.guard, &env, &mut self.rng)
    }
    fn resend(&mut self, s: &mut VerificationSession) -> Result<OutgoingCode, VerifyError> {
        let env = Env {
            now: self.now,
            code_key: KEY,
            lockout: &self.policy,
        };
        s.resend(&self.subject, &self.guard, &env, &mut self.rng)
    }
    fn totp(&mut self, s: &mut VerificationSession, code: &str) -> Result<(), VerifyError> {
        let env = Env {
            now: self.now,
            code_key: KEY,
            lockout: &self.policy,
        };
        s.verify_totp(
            code,
            &mut self.subject,
            &mut self.guard,
            &env,
            &mut self.rng,
        )
    }
    fn resync(&mut self, s: &mut VerificationSession, a: &str, b: &str) -> Result<(), VerifyError> {
        let env = Env {
            now: self.now,
            code_key: KEY,
            lockout: &self.policy,
        };
        s.resync_totp(
            a,
            b,
            &mut self.subject,
            &mut self.guard,
            &env,
            &mut self.rng,
        )
    }
    fn answer(
        &mut self,
        s: &mut VerificationSession,
        given: &[(i64, String)],
    ) -> Result<(), VerifyError> {
        let env = Env {
            now: self.now,
            code_key: KEY,
            lockout: &self.policy,
        };
        s.answer_questions(given, &self.subject, &mut self.guard, &env, &mut self.rng)
    }
    fn totp_now(&self, offset: i64) -> String {
        code_at(
            SECRET,
            TotpParams::default(),
            (self.now / 30 + offset) as u64,
        )
    }
}

#[test]
fn single_flow_is_chosen_at_once_and_several_wait_for_a_choice() {
    let mut w = World::new();
    let s = w.start(&[sms_totp()]);
    assert_eq!(s.status, SessionStatus::InProgress);
    assert_eq!(s.flow.as_ref().map(|f| f.id.as_str()), Some("sms-totp"));

    let flows = [sms_totp(), email_questions()];
    let mut s = w.start(&flows);
    assert_eq!(s.status, SessionStatus::ChoosingFlow);
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234567").err(),
        Some(VerifyError::StepOutOfOrder {
            expected: ExpectedRequest::Flow
        })
    );
    let now = w.now;
    assert_eq!(
        s.choose_flow("nope", &flows, &w.subject, now, &mut w.rng),
        Err(VerifyError::UnknownFlow)
    );
    s.choose_flow("email-questions", &flows, &w.subject, now, &mut w.rng)
        .expect("choose");
    assert_eq!(
        s.choose_flow("sms-totp", &flows, &w.subject, now, &mut w.rng),
        Err(VerifyError::StepOutOfOrder {
            expected: ExpectedRequest::Contact
        })
    );
}

#[test]
fn flow_needs_enrolment() {
    let mut w = World::new();
    w.subject.totp = None;
    let flows = [sms_totp(), email_questions()];
    let mut s = w.start(&flows);
    let now = w.now;
    assert_eq!(
        s.choose_flow("sms-totp", &flows, &w.subject, now, &mut w.rng),
        Err(VerifyError::FlowUnavailable)
    );
}

#[test]
fn sms_then_totp_completes_and_permits_actions() {
    let mut w = World::new();
    let mut s = w.start(&[sms_totp()]);
    assert!(s.permitted_actions().is_empty());
    assert_eq!(w.code(&mut s, "000000"), Err(VerifyError::NoCodeSent));
    let out = w
        .confirm(&mut s, 1, "079 765 43 21")
        .expect("matches after normalisation");
    assert_eq!(out.destination, "+41797654321");
    assert_eq!(out.kind, ContactKind::Phone);
    assert_eq!(out.expires_at, NOW + 300);
    // Confirming again is out of order: the code is on its way.
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234567").err(),
        Some(VerifyError::StepOutOfOrder {
            expected: ExpectedRequest::Code
        })
    );
    w.code(&mut s, &out.code).expect("right code");
    assert!(matches!(s.progress, Some(StepProgress::Totp { .. })));
    // The SMS code is single-use: it cannot be presented again.
    assert_eq!(
        w.code(&mut s, &out.code),
        Err(VerifyError::StepOutOfOrder {
            expected: ExpectedRequest::Totp
        })
    );
    let c = w.totp_now(0);
    w.totp(&mut s, &c).expect("totp");
    assert_eq!(s.status, SessionStatus::Completed);
    assert_eq!(
        s.permitted_actions(),
        &[Action::ResetPassword, Action::EmergencyCode]
    );
    assert_eq!(w.totp(&mut s, &c), Err(VerifyError::AlreadyCompleted));
    assert_eq!(
        w.subject.totp.as_ref().and_then(|t| t.counters.last_step),
        Some((NOW / 30) as u64)
    );
}

#[test]
fn contact_must_match_in_full_and_mismatches_are_capped() {
    let mut w = World::new();
    let mut s = w.start(&[sms_totp()]);
    assert_eq!(
        w.confirm(&mut s, 7, "+41791234567").err(),
        Some(VerifyError::UnknownContact)
    );
    assert_eq!(
        w.confirm(&mut s, 0, "not a number").err(),
        Some(VerifyError::ContactMalformed)
    );
    assert_eq!(
        w.confirm(&mut s, 0, "+41797654321").err(),
        Some(VerifyError::ContactMismatch { attempts_left: 2 })
    );
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234568").err(),
        Some(VerifyError::ContactMismatch { attempts_left: 1 })
    );
    assert_eq!(w.guard.failures, 2);
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234560").err(),
        Some(VerifyError::ContactMismatch { attempts_left: 0 })
    );
    assert_eq!(s.status, SessionStatus::Failed);
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234567").err(),
        Some(VerifyError::VerificationFailed)
    );
}

#[test]
fn email_matches_case_insensitively() {
    let mut w = World::new();
    let mut s = w.start(&[email_questions()]);
    let out = w
        .confirm(&mut s, 0, "  ALICE@Example.org")
        .expect("case-insensitive");
    assert_eq!(out.kind, ContactKind::Email);
    assert_eq!(out.code.len(), 6);
}

#[test]
fn codes_expire_are_capped_and_resend_replaces_them() {
    let mut w = World::new();
    let mut s = w.start(&[sms_totp()]);
    let first = w.confirm(&mut s, 0, "+41791234567").expect("send");
    assert_eq!(
        w.resend(&mut s).err(),
        Some(VerifyError::ResendTooSoon { retry_after: 60 })
    );
    assert_eq!(s.resend_status(), Some((NOW + 60, 2)));
    w.now += 59;
    assert_eq!(
        w.resend(&mut s).err(),
        Some(VerifyError::ResendTooSoon { retry_after: 1 })
    );
    w.now += 1;
    let second = w.resend(&mut s).expect("resend after cooldown");
    // The old code no longer works once a new one was sent.
    if first.code != second.code {
        assert_eq!(
            w.code(&mut s, &first.code),
            Err(VerifyError::CodeInvalid { attempts_left: 2 })
        );
    }
    w.now += 301;
    assert_eq!(w.code(&mut s, &second.code), Err(VerifyError::CodeExpired));
    let third = w.resend(&mut s).expect("second resend");
    assert_eq!(s.resend_status().map(|r| r.1), Some(0));
    w.now += 61;
    assert_eq!(
        w.resend(&mut s).err(),
        Some(VerifyError::ResendLimitReached)
    );
    let wrong = if third.code.as_str() == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(
        w.code(&mut s, wrong),
        Err(VerifyError::CodeInvalid { attempts_left: 2 })
    );
    assert_eq!(
        w.code(&mut s, wrong),
        Err(VerifyError::CodeInvalid { attempts_left: 1 })
    );
    assert_eq!(
        w.code(&mut s, wrong),
        Err(VerifyError::CodeInvalid { attempts_left: 0 })
    );
    // Attempts and resends are used up: the verification stops, even for the right code.
    assert_eq!(s.status, SessionStatus::Failed);
    assert_eq!(
        w.code(&mut s, &third.code),
        Err(VerifyError::VerificationFailed)
    );
}

#[test]
fn exhausted_code_can_be_replaced_while_resends_remain() {
    let mut w = World::new();
    let mut s = w.start(&[sms_totp()]);
    let out = w.confirm(&mut s, 0, "+41791234567").expect("send");
    let wrong = if out.code.as_str() == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in [2, 1, 0] {
        assert_eq!(
            w.code(&mut s, wrong),
            Err(VerifyError::CodeInvalid {
                attempts_left: left
            })
        );
    }
    assert_eq!(s.status, SessionStatus::InProgress);
    assert_eq!(
        w.code(&mut s, &out.code),
        Err(VerifyError::CodeInvalid { attempts_left: 0 })
    );
    w.now += 60;
    let again = w.resend(&mut s).expect("resend");
    w.code(&mut s, &again.code).expect("new code works");
}

#[test]
fn failures_are_account_wide_and_lock_with_growing_waits() {
    let mut w = World::new();
    w.policy = LockoutPolicy {
        max_failures: 4,
        base_lock_seconds: 100,
        max_lock_seconds: 1000,
    };
    // Two sessions, two codes: the counter keeps going across both.
    let mut s1 = w.start(&[sms_totp()]);
    let out = w.confirm(&mut s1, 0, "+41791234567").expect("send");
    let wrong = if out.code.as_str() == "000000" {
        "111111"
    } else {
        "000000"
    };
    w.code(&mut s1, wrong).expect_err("wrong");
    w.code(&mut s1, wrong).expect_err("wrong");
    let mut s2 = w.start(&[sms_totp()]);
    let out2 = w.confirm(&mut s2, 0, "+41791234567").expect("send");
    let wrong2 = if out2.code.as_str() == "000000" {
        "111111"
    } else {
        "000000"
    };
    w.code(&mut s2, wrong2).expect_err("wrong");
    assert_eq!(w.guard.failures, 3);
    w.code(&mut s2, wrong2).expect_err("wrong: locks");
    assert_eq!(
        w.code(&mut s2, &out2.code),
        Err(VerifyError::AccountLocked { retry_after: 100 })
    );
    w.now += 100;
    w.code(&mut s2, &out2.code).expect("unlocked and right");
    // A completed verification clears the counters.
    let c = w.totp_now(0);
    w.totp(&mut s2, &c).expect("complete");
    assert_eq!(w.guard, AccountGuard::default());
}

#[test]
fn questions_are_kept_across_retries_and_stop_the_verification() {
    let mut w = World::new();
    let mut s = w.start(&[email_questions()]);
    let out = w.confirm(&mut s, 0, "alice@example.org").expect("send");
    w.code(&mut s, &out.code).expect("code");
    let ids = s.question_ids().to_vec();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    let wrong: Vec<(i64, String)> = ids.iter().map(|&id| (id, "wrong".to_owned())).collect();
    assert_eq!(
        w.answer(&mut s, &wrong[..1]),
        Err(VerifyError::AnswersIncomplete)
    );
    let dup = vec![wrong[0].clone(), wrong[0].clone()];
    assert_eq!(w.answer(&mut s, &dup), Err(VerifyError::AnswersIncomplete));
    assert_eq!(
        w.answer(&mut s, &wrong),
        Err(VerifyError::AnswersWrong { tries_left: 1 })
    );
    assert_eq!(
        s.question_ids(),
        ids.as_slice(),
        "same questions after a failure"
    );
    let half: Vec<(i64, String)> =
        vec![(ids[0], answer_for(ids[0]).into()), (ids[1], "nope".into())];
    assert_eq!(
        w.answer(&mut s, &half),
        Err(VerifyError::AnswersWrong { tries_left: 0 })
    );
    assert_eq!(s.status, SessionStatus::Failed);
    let right: Vec<(i64, String)> = ids.iter().map(|&id| (id, answer_for(id).into())).collect();
    assert_eq!(
        w.answer(&mut s, &right),
        Err(VerifyError::VerificationFailed)
    );
}

#[test]
fn right_answers_complete_the_flow() {
    let mut w = World::new();
    let mut s = w.start(&[email_questions()]);
    let out = w.confirm(&mut s, 0, "alice@example.org").expect("send");
    w.code(&mut s, &out.code).expect("code");
    let right: Vec<(i64, String)> = s
        .question_ids()
        .iter()
        .map(|&id| (id, answer_for(id).into()))
        .collect();
    w.answer(&mut s, &right).expect("answers");
    assert_eq!(s.status, SessionStatus::Completed);
}

#[test]
fn questions_are_drawn_at_random() {
    let mut w = World::new();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        w.rng = StdRng::seed_from_u64(seed);
        let mut s = w.start(&[email_questions()]);
        let out = w.confirm(&mut s, 0, "alice@example.org").expect("send");
        w.code(&mut s, &out.code).expect("code");
        let mut ids = s.question_ids().to_vec();
        ids.sort_unstable();
        seen.insert(ids);
    }
    assert_eq!(
        seen.len(),
        3,
        "all three pairs of three questions come up: {seen:?}"
    );
}

#[test]
fn totp_replay_drift_and_resync() {
    let mut w = World::new();
    let totp_only = flow("totp-only", "[[steps]]\nmethod = \"totp\"");
    // A used step is refused.
    if let Some(t) = w.subject.totp.as_mut() {
        t.counters.last_step = Some((NOW / 30) as u64);
    }
    let mut s = w.start(std::slice::from_ref(&totp_only));
    let c = w.totp_now(0);
    assert_eq!(w.totp(&mut s, &c), Err(VerifyError::TotpReplayed));
    assert_eq!(w.totp(&mut s, "000000x"), Err(VerifyError::TotpInvalid));
    // The replay counts as a failure too.
    assert_eq!(w.guard.failures, 2);
    assert_eq!(
        w.resync(&mut s, "1", "2"),
        Err(VerifyError::StepOutOfOrder {
            expected: ExpectedRequest::Totp
        })
    );

    // A code valid one step ahead asks for two consecutive codes.
    let ahead = w.totp_now(1);
    assert_eq!(w.totp(&mut s, &ahead), Err(VerifyError::TotpResyncRequired));
    let (a, b) = (w.totp_now(2), w.totp_now(4));
    assert_eq!(w.resync(&mut s, &a, &b), Err(VerifyError::TotpInvalid));
    let (a, b) = (w.totp_now(1), w.totp_now(2));
    w.resync(&mut s, &a, &b).expect("resync");
    assert_eq!(s.status, SessionStatus::Completed);
    let counters = w.subject.totp.as_ref().map(|t| t.counters);
    assert_eq!(
        counters,
        Some(TotpCounters {
            last_step: Some((NOW / 30 + 2) as u64),
            drift: 2
        })
    );

    // Later, the stored drift applies: the authenticator's "now" is two steps ahead.
    w.now += 90;
    let mut s = w.start(std::slice::from_ref(&totp_only));
    let c = w.totp_now(2);
    w.totp(&mut s, &c).expect("drift applied");
}

#[test]
fn unknown_users_can_never_pass_yet_see_the_same_shape() {
    let mut w = World::new();
    w.subject.known = false;
    let mut s = w.start(&[sms_totp()]);
    assert_eq!(s.status, SessionStatus::InProgress);
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234567").err(),
        Some(VerifyError::ContactMismatch { attempts_left: 2 })
    );

    let totp_only = flow("totp-only", "[[steps]]\nmethod = \"totp\"");
    let mut s = w.start(&[totp_only]);
    let c = w.totp_now(0);
    assert_eq!(w.totp(&mut s, &c), Err(VerifyError::TotpInvalid));
}

#[test]
fn sessions_expire() {
    let mut w = World::new();
    let mut s = w.start(&[sms_totp()]);
    w.now += 900;
    assert_eq!(
        w.confirm(&mut s, 0, "+41791234567").err(),
        Some(VerifyError::SessionExpired)
    );
}

#[test]
fn the_session_serialises_without_codes_in_clear() {
    let mut w = World::new();
    let mut s = w.start(&[sms_totp()]);
    let out = w.confirm(&mut s, 0, "+41791234567").expect("send");
    let json = serde_json::to_string(&s).expect("json");
    assert!(!json.contains(out.code.as_str()));
    let back: VerificationSession = serde_json::from_str(&json).expect("back");
    assert_eq!(back, s);
}

/// How long the request that makes a claim may run.
const ABANDONED: i64 = 60;

#[test]
fn actions_are_authorised_once_per_completed_verification() {
    let mut w = World::new();
    let totp_only = flow("totp-only", "[[steps]]\nmethod = \"totp\"");
    let mut s = w.start(std::slice::from_ref(&totp_only));
    assert_eq!(
        s.begin_action(Action::ResetPassword, w.now, ABANDONED),
        Err(VerifyError::VerificationIncomplete)
    );
    let c = w.totp_now(0);
    w.totp(&mut s, &c).expect("complete");
    assert_eq!(
        s.begin_action(Action::UnblockUser, w.now, ABANDONED),
        Err(VerifyError::ActionNotPermitted)
    );
    s.begin_action(Action::ResetPassword, w.now, ABANDONED)
        .expect("first claim");
    assert_eq!(
        s.begin_action(Action::ResetPassword, w.now, ABANDONED),
        Err(VerifyError::ActionInProgress)
    );
    // A failed attempt releases the claim; a success spends it.
    s.finish_action(Action::ResetPassword, false);
    s.begin_action(Action::ResetPassword, w.now, ABANDONED)
        .expect("retry after a failure");
    s.finish_action(Action::ResetPassword, true);
    assert_eq!(
        s.begin_action(Action::ResetPassword, w.now, ABANDONED),
        Err(VerifyError::ActionAlreadyUsed)
    );
    // Other permitted actions keep their own authorisation, within the session's lifetime.
    s.begin_action(Action::EmergencyCode, w.now, ABANDONED)
        .expect("another action");
    s.finish_action(Action::EmergencyCode, false);
    assert_eq!(
        s.begin_action(Action::EmergencyCode, s.expires_at, ABANDONED),
        Err(VerifyError::SessionExpired)
    );
    for _ in 0..2 {
        s.begin_action(Action::EmergencyCode, w.now, ABANDONED)
            .expect("retry");
        s.finish_action(Action::EmergencyCode, false);
    }
    assert_eq!(
        s.begin_action(Action::EmergencyCode, w.now, ABANDONED),
        Err(VerifyError::ActionAlreadyUsed),
        "attempts are capped"
    );
}

#[test]
fn a_claim_left_by_a_request_that_ended_is_taken_over_but_a_card_claim_is_not() {
    let mut w = World::new();
    let text = "id = \"totp-card\"\nactions = [\"reset_password\", \"card_pin_unblock\"]\n\
                [name]\nen = \"x\"\nde = \"x\"\nfr = \"x\"\nit = \"x\"\n[[steps]]\nmethod = \"totp\"";
    let totp_only = FlowDefinition::from_toml("test.toml", text).expect("valid flow");
    let mut s = w.start(std::slice::from_ref(&totp_only));
    let c = w.totp_now(0);
    w.totp(&mut s, &c).expect("complete");
    s.begin_action(Action::ResetPassword, w.now, ABANDONED)
        .expect("claim");
    let first = s.current_claim(Action::ResetPassword);
    // Still within the time its request may run: refused.
    assert_eq!(
        s.begin_action(Action::ResetPassword, w.now + ABANDONED, ABANDONED),
        Err(VerifyError::ActionInProgress)
    );
    // Later, its request is gone: the claim is taken over, as a new one.
    s.begin_action(Action::ResetPassword, w.now + ABANDONED + 1, ABANDONED)
        .expect("taken over");
    assert_ne!(s.current_claim(Action::ResetPassword), first);
    s.finish_action(Action::ResetPassword, true);
    assert_eq!(
        s.begin_action(Action::ResetPassword, w.now + 2 * ABANDONED, ABANDONED),
        Err(VerifyError::ActionAlreadyUsed)
    );
    // A card claim waits for the card's report, however long the user takes.
    s.begin_action(Action::CardPinUnblock, w.now, ABANDONED)
        .expect("card claim");
    s.bind_action(Action::CardPinUnblock, [7; 16]);
    assert_eq!(
        s.begin_action(Action::CardPinUnblock, w.now + 10 * ABANDONED, ABANDONED),
        Err(VerifyError::ActionInProgress)
    );
}
