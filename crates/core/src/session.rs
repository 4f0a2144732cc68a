//! The verification session: a pure state machine over a chosen flow.
//!
//! A session walks the flow's steps in order. Every operation takes the current time, the data
//! the server holds about the user (a [`Subject`]) and the account's [`AccountGuard`], and either
//! advances the session or refuses with a [`VerifyError`]. The caller persists the session, the
//! guard and the TOTP counters together, and delivers any [`OutgoingCode`] through its outbox in
//! the same transaction.

use crate::UnixSeconds;
use crate::action::Action;
use crate::answers;
use crate::contact::{self, ContactKind};
use crate::error::{VerifyError, seconds_until};
use crate::flow::{FlowDefinition, Method, OtpSettings, Step};
use crate::guard::{AccountGuard, LockoutPolicy};
use crate::otp;
use crate::totp::{self, TotpCheck, TotpCounters, TotpParams};
use ea_api::ExpectedRequest;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// What the server knows about the person being verified. For a username that does not exist
/// the server builds a decoy subject (`known == false`) so that every answer looks the same; a
/// known user not enrolled for a method gets decoy material for it (listed in `decoy`), so that
/// choosing a flow tells nobody what the user has.
#[derive(Debug, Clone)]
pub struct Subject {
    pub known: bool,
    /// Methods whose material is a decoy: they never succeed and never send.
    pub decoy: Vec<Method>,
    /// E.164 phone numbers.
    pub phones: Vec<String>,
    /// Lower-cased email addresses.
    pub emails: Vec<String>,
    pub questions: Vec<SubjectQuestion>,
    pub totp: Option<TotpEnrolment>,
    /// Country calling code for national phone numbers (e.g. "41").
    pub default_country: Option<String>,
}

impl Subject {
    /// Whether `method`'s material is the user's own (and so can succeed).
    pub fn genuine(&self, method: Method) -> bool {
        self.known && !self.decoy.contains(&method)
    }

    /// The normalised contacts of `kind`, in display order.
    pub fn contacts(&self, kind: ContactKind) -> &[String] {
        match kind {
            ContactKind::Phone => &self.phones,
            ContactKind::Email => &self.emails,
        }
    }
}

/// One of the user's verification questions with its Argon2id answer hash.
#[derive(Debug, Clone)]
pub struct SubjectQuestion {
    pub id: i64,
    pub text: String,
    pub answer_hash: String,
}

/// The user's authenticator: the decrypted secret and its persistent counters.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret: Zeroizing<Vec<u8>>,
    pub params: TotpParams,
    pub counters: TotpCounters,
}

/// Where a session stands (the same word list on the wire).
pub use ea_api::SessionStatus;

/// A code waiting to be typed, stored only as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub hash: String,
    pub expires_at: UnixSeconds,
    pub attempts_left: u32,
}

/// Progress within the current step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepProgress {
    Otp {
        /// Index of the confirmed contact, once the user typed it in full.
        contact: Option<usize>,
        mismatches: u32,
        code: Option<PendingCode>,
        /// Codes sent so far for this step (the first send plus resends).
        sends: u32,
        last_sent_at: Option<UnixSeconds>,
    },
    Questions {
        /// Chosen once, server-side, and kept across retries.
        question_ids: Vec<i64>,
        failures: u32,
    },
    Totp {
        resync_required: bool,
    },
}

/// A code to deliver. The caller writes it to its outbox in the same transaction as the session.
#[derive(Debug)]
pub struct OutgoingCode {
    pub kind: ContactKind,
    pub destination: String,
    pub code: Zeroizing<String>,
    pub expires_at: UnixSeconds,
}

/// Fixed inputs of every operation.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub now: UnixSeconds,
    /// Key for hashing one-time codes.
    pub code_key: &'a [u8],
    pub lockout: &'a LockoutPolicy,
}

/// The state of one verification, persisted between requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationSession {
    /// A non-secret identifier (not the bearer token) that binds code hashes to this session.
    pub id: String,
    pub tenant: String,
    pub username: String,
    pub created_at: UnixSeconds,
    pub expires_at: UnixSeconds,
    pub offered_flows: Vec<String>,
    /// A copy of the chosen flow, so editing a flow does not change sessions under way.
    pub flow: Option<FlowDefinition>,
    pub step_index: usize,
    pub progress: Option<StepProgress>,
    pub status: SessionStatus,
    /// What the completed verification has been used for.
    #[serde(default)]
    pub action_uses: std::collections::BTreeMap<Action, ActionUse>,
    /// The language the person reads the app in (`en`, `de`, `fr`, `it`), for the messages
    /// this session sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// How an action of a completed verification has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActionUse {
    /// Claimed by a request that has not finished yet.
    pub in_progress: bool,
    /// Performed; the authorisation is spent.
    pub done: bool,
    /// Claims so far (a failed attempt, e.g. a card that refused, may be retried).
    pub attempts: u32,
    /// What the current claim was issued for (a card's serial and challenge, hashed): the report
    /// that finishes it must name the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<[u8; 16]>,
    /// Until when the request that made the current claim may still be running (set by that
    /// request from its own timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_until: Option<UnixSeconds>,
}

/// Claims allowed per action and verification, counting failed attempts.
pub const ACTION_ATTEMPTS: u32 = 3;

impl VerificationSession {
    /// Starts a session offering `flows`; with exactly one flow it is chosen at once.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        id: String,
        tenant: &str,
        username: &str,
        flows: &[FlowDefinition],
        lifetime_seconds: i64,
        subject: &Subject,
        now: UnixSeconds,
        rng: &mut dyn RngCore,
    ) -> VerificationSession {
        let mut s = VerificationSession {
            id,
            tenant: tenant.to_owned(),
            username: username.to_owned(),
            created_at: now,
            expires_at: now + lifetime_seconds,
            offered_flows: flows.iter().map(|f| f.id.clone()).collect(),
            flow: None,
            step_index: 0,
            progress: None,
            status: SessionStatus::ChoosingFlow,
            action_uses: Default::default(),
            language: None,
        };
        if let [only] = flows {
            // A known user not enrolled for the only flow still sees the choice and its error.
            let _ = s.choose_flow(&only.id, flows, subject, now, rng);
        }
        s
    }

    /// The step the session is at, if a flow is chosen and not finished.
    pub fn current_step(&self) -> Option<&Step> {
        self.flow.as_ref()?.steps.get(self.step_index)
    }

    /// Actions the user may now perform: those of the flow, once every step is done.
    pub fn permitted_actions(&self) -> &[Action] {
        match (&self.flow, self.status) {
            (Some(f), SessionStatus::Completed) => &f.actions,
            _ => &[],
        }
    }

    /// Claims `action` for one request: the verification must be complete and unexpired, the flow
    /// must permit it, and it must be neither done nor claimed by another request. The caller saves
    /// the claim (compare-and-swap) before acting, then reports with [`Self::finish_action`].
    ///
    /// A claim not tied to a card is finished by the request that made it, which may run for at
    /// most `hold_for` seconds; a claim whose time has passed belonged to a request that can no
    /// longer be running (it timed out, or its server stopped), so it is taken over instead of
    /// refusing the user for good. The actions behind such claims are idempotent (the same
    /// password set again, a lockout cleared again, a new emergency code in place of one never
    /// shown).
    pub fn begin_action(
        &mut self,
        action: Action,
        now: UnixSeconds,
        hold_for: i64,
    ) -> Result<(), VerifyError> {
        if now >= self.expires_at {
            return Err(VerifyError::SessionExpired);
        }
        match self.status {
            SessionStatus::Completed => {}
            SessionStatus::Failed => return Err(VerifyError::VerificationFailed),
            _ => return Err(VerifyError::VerificationIncomplete),
        }
        if !self.permitted_actions().contains(&action) {
            return Err(VerifyError::ActionNotPermitted);
        }
        let used = self.action_uses.entry(action).or_default();
        if used.done || used.attempts >= ACTION_ATTEMPTS {
            return Err(VerifyError::ActionAlreadyUsed);
        }
        let abandoned = used.bound.is_none() && used.claimed_until.is_some_and(|until| now > until);
        if used.in_progress && !abandoned {
            return Err(VerifyError::ActionInProgress);
        }
        used.in_progress = true;
        used.attempts += 1;
        used.bound = None;
        used.claimed_until = Some(now.saturating_add(hold_for));
        Ok(())
    }

    /// Ties the current claim of `action` to what it was issued for.
    pub fn bind_action(&mut self, action: Action, binding: [u8; 16]) {
        if let Some(used) = self.action_uses.get_mut(&action).filter(|u| u.in_progress) {
            used.bound = Some(binding);
        }
    }

    /// What the current claim of `action` is tied to, if it is claimed and tied.
    pub fn action_binding(&self, action: Action) -> Option<[u8; 16]> {
        self.action_uses
            .get(&action)
            .filter(|u| u.in_progress)
            .and_then(|u| u.bound)
    }

    /// Which claim of `action` is current, if one is: its number and what it is tied to. A
    /// request finishes only the claim it made.
    pub fn current_claim(&self, action: Action) -> Option<(u32, Option<[u8; 16]>)> {
        self.action_uses
            .get(&action)
            .filter(|u| u.in_progress)
            .map(|u| (u.attempts, u.bound))
    }

    /// Ends a claim: a success spends the authorisation, a failure releases it for a retry.
    pub fn finish_action(&mut self, action: Action, succeeded: bool) {
        let used = self.action_uses.entry(action).or_default();
        used.in_progress = false;
        used.bound = None;
        used.claimed_until = None;
        used.done |= succeeded;
    }

    fn ensure_open(&self, now: UnixSeconds) -> Result<(), VerifyError> {
        match self.status {
            SessionStatus::Failed => Err(VerifyError::VerificationFailed),
            SessionStatus::Completed => Err(VerifyError::AlreadyCompleted),
            _ if now >= self.expires_at => Err(VerifyError::SessionExpired),
            _ => Ok(()),
        }
    }

    fn expected(&self) -> ExpectedRequest {
        match (self.status, self.current_step(), &self.progress) {
            (SessionStatus::ChoosingFlow, ..) => ExpectedRequest::Flow,
            (
                _,
                Some(Step::SmsOtp(_) | Step::EmailOtp(_)),
                Some(StepProgress::Otp {
                    code: None,
                    contact: None,
                    ..
                }),
            ) => ExpectedRequest::Contact,
            (_, Some(Step::SmsOtp(_) | Step::EmailOtp(_)), _) => ExpectedRequest::Code,
            (_, Some(Step::Questions(_)), _) => ExpectedRequest::Questions,
            (
                _,
                Some(Step::Totp(_)),
                Some(StepProgress::Totp {
                    resync_required: true,
                }),
            ) => ExpectedRequest::TotpResync,
            (_, Some(Step::Totp(_)), _) => ExpectedRequest::Totp,
            _ => ExpectedRequest::None,
        }
    }

    fn out_of_order(&self) -> VerifyError {
        VerifyError::StepOutOfOrder {
            expected: self.expected(),
        }
    }

    /// Chooses one of the offered flows and enters its first step.
    pub fn choose_flow(
        &mut self,
        flow_id: &str,
        flows: &[FlowDefinition],
        subject: &Subject,
        now: UnixSeconds,
        rng: &mut dyn RngCore,
    ) -> Result<(), VerifyError> {
        self.ensure_open(now)?;
        if self.status != SessionStatus::ChoosingFlow {
            return Err(self.out_of_order());
        }
        let flow = flows
            .iter()
            .find(|f| f.id == flow_id && self.offered_flows.contains(&f.id))
            .ok_or(VerifyError::UnknownFlow)?;
        if !flow.steps.iter().all(|s| enrolled_for(subject, s)) {
            return Err(VerifyError::FlowUnavailable);
        }
        self.flow = Some(flow.clone());
        self.status = SessionStatus::InProgress;
        self.step_index = 0;
        self.enter_step(subject, rng);
        Ok(())
    }

    fn enter_step(&mut self, subject: &Subject, rng: &mut dyn RngCore) {
        self.progress = match self.current_step() {
            None => None,
            Some(Step::SmsOtp(_) | Step::EmailOtp(_)) => Some(StepProgress::Otp {
                contact: None,
                mismatches: 0,
                code: None,
                sends: 0,
                last_sent_at: None,
            }),
            Some(Step::Questions(q)) => Some(StepProgress::Questions {
                question_ids: pick_questions(subject, q.count as usize, rng),
                failures: 0,
            }),
            Some(Step::Totp(_)) => Some(StepProgress::Totp {
                resync_required: false,
            }),
        };
    }

    fn advance(&mut self, guard: &mut AccountGuard, subject: &Subject, rng: &mut dyn RngCore) {
        self.step_index += 1;
        self.enter_step(subject, rng);
        if self.progress.is_none() {
            self.status = SessionStatus::Completed;
            guard.record_success();
        }
    }

    fn otp_step(&self) -> Result<(ContactKind, OtpSettings), VerifyError> {
        match self.current_step() {
            Some(Step::SmsOtp(s)) if self.status == SessionStatus::InProgress => {
                Ok((ContactKind::Phone, *s))
            }
            Some(Step::EmailOtp(s)) if self.status == SessionStatus::InProgress => {
                Ok((ContactKind::Email, *s))
            }
            _ => Err(self.out_of_order()),
        }
    }

    fn issue_code(
        &mut self,
        kind: ContactKind,
        settings: OtpSettings,
        destination: String,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> OutgoingCode {
        let code = otp::generate(rng, settings.code_length);
        let expires_at = env.now + i64::from(settings.ttl_seconds);
        if let Some(StepProgress::Otp {
            code: pending,
            sends,
            last_sent_at,
            ..
        }) = &mut self.progress
        {
            *sends += 1;
            *last_sent_at = Some(env.now);
            let binding = format!("{}:{}:{}", self.id, self.step_index, sends);
            *pending = Some(PendingCode {
                hash: otp::hash(env.code_key, &binding, &code),
                expires_at,
                attempts_left: settings.max_attempts,
            });
        }
        OutgoingCode {
            kind,
            destination,
            code,
            expires_at,
        }
    }

    /// The user picked contact `index` and typed it in full: if it matches, a code is issued.
    pub fn confirm_contact(
        &mut self,
        index: usize,
        typed: &str,
        subject: &Subject,
        guard: &mut AccountGuard,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<OutgoingCode, VerifyError> {
        self.ensure_open(env.now)?;
        let (kind, settings) = self.otp_step()?;
        let Some(StepProgress::Otp { contact: None, .. }) = &self.progress else {
            return Err(self.out_of_order());
        };
        if let Some(wait) = guard.locked_for(env.now) {
            return Err(VerifyError::AccountLocked { retry_after: wait });
        }
        let stored = subject
            .contacts(kind)
            .get(index)
            .ok_or(VerifyError::UnknownContact)?;
        let typed = contact::normalize(kind, typed, subject.default_country.as_deref())
            .map_err(|_| VerifyError::ContactMalformed)?;
        let method = match kind {
            ContactKind::Phone => Method::SmsOtp,
            ContactKind::Email => Method::EmailOtp,
        };
        if subject.genuine(method) && contact::same_contact(stored, &typed) {
            if let Some(StepProgress::Otp { contact, .. }) = &mut self.progress {
                *contact = Some(index);
            }
            return Ok(self.issue_code(kind, settings, stored.clone(), env, rng));
        }
        guard.record_failure(env.lockout, env.now);
        let mut left = 0;
        if let Some(StepProgress::Otp { mismatches, .. }) = &mut self.progress {
            *mismatches += 1;
            left = settings.max_attempts.saturating_sub(*mismatches);
        }
        if left == 0 {
            self.status = SessionStatus::Failed;
        }
        Err(VerifyError::ContactMismatch {
            attempts_left: left,
        })
    }

    /// Sends a new code to the confirmed contact, after the cooldown and within the cap.
    pub fn resend(
        &mut self,
        subject: &Subject,
        guard: &AccountGuard,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<OutgoingCode, VerifyError> {
        self.ensure_open(env.now)?;
        let (kind, settings) = self.otp_step()?;
        let Some(StepProgress::Otp {
            contact: Some(index),
            sends,
            last_sent_at,
            ..
        }) = &self.progress
        else {
            return Err(self.out_of_order());
        };
        if sends.saturating_sub(1) >= settings.max_resends {
            return Err(VerifyError::ResendLimitReached);
        }
        let ready_at = last_sent_at.unwrap_or(0) + i64::from(settings.resend_cooldown_seconds);
        if env.now < ready_at {
            return Err(VerifyError::ResendTooSoon {
                retry_after: seconds_until(env.now, ready_at),
            });
        }
        if let Some(wait) = guard.locked_for(env.now) {
            return Err(VerifyError::AccountLocked { retry_after: wait });
        }
        let destination = subject
            .contacts(kind)
            .get(*index)
            .cloned()
            .ok_or(VerifyError::UnknownContact)?;
        Ok(self.issue_code(kind, settings, destination, env, rng))
    }

    /// When a new code may be requested, and how many resends are left.
    pub fn resend_status(&self) -> Option<(UnixSeconds, u32)> {
        let (_, settings) = self.otp_step().ok()?;
        match &self.progress {
            Some(StepProgress::Otp {
                sends,
                last_sent_at: Some(at),
                ..
            }) => Some((
                at + i64::from(settings.resend_cooldown_seconds),
                settings.max_resends.saturating_sub(sends.saturating_sub(1)),
            )),
            _ => None,
        }
    }

    /// Checks a typed one-time code.
    pub fn verify_code(
        &mut self,
        typed: &str,
        subject: &Subject,
        guard: &mut AccountGuard,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<(), VerifyError> {
        self.ensure_open(env.now)?;
        let (_, settings) = self.otp_step()?;
        let binding_prefix = format!("{}:{}", self.id, self.step_index);
        let Some(StepProgress::Otp { code, sends, .. }) = &mut self.progress else {
            return Err(self.out_of_order());
        };
        let Some(pending) = code else {
            return Err(if *sends == 0 {
                VerifyError::NoCodeSent
            } else {
                VerifyError::CodeInvalid { attempts_left: 0 }
            });
        };
        if let Some(wait) = guard.locked_for(env.now) {
            return Err(VerifyError::AccountLocked { retry_after: wait });
        }
        if env.now >= pending.expires_at {
            return Err(VerifyError::CodeExpired);
        }
        let binding = format!("{binding_prefix}:{sends}");
        if otp::matches(env.code_key, &binding, typed, &pending.hash) {
            self.advance(guard, subject, rng);
            return Ok(());
        }
        guard.record_failure(env.lockout, env.now);
        pending.attempts_left = pending.attempts_left.saturating_sub(1);
        let left = pending.attempts_left;
        if left == 0 {
            // The code is used up; only a resend (if any is left) can continue this step.
            *code = None;
            if sends.saturating_sub(1) >= settings.max_resends {
                self.status = SessionStatus::Failed;
            }
        }
        Err(VerifyError::CodeInvalid {
            attempts_left: left,
        })
    }

    /// The questions chosen for this session, in order.
    pub fn question_ids(&self) -> &[i64] {
        match &self.progress {
            Some(StepProgress::Questions { question_ids, .. }) => question_ids,
            _ => &[],
        }
    }

    /// Checks the answers to every chosen question at once.
    pub fn answer_questions(
        &mut self,
        given: &[(i64, String)],
        subject: &Subject,
        guard: &mut AccountGuard,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<(), VerifyError> {
        self.ensure_open(env.now)?;
        let max_failures = match self.current_step() {
            Some(Step::Questions(q)) => q.max_failures,
            _ => return Err(self.out_of_order()),
        };
        let ids = self.question_ids().to_vec();
        let mut given_ids: Vec<i64> = given.iter().map(|(id, _)| *id).collect();
        given_ids.sort_unstable();
        let mut want = ids.clone();
        want.sort_unstable();
        if given_ids != want {
            return Err(VerifyError::AnswersIncomplete);
        }
        if let Some(wait) = guard.locked_for(env.now) {
            return Err(VerifyError::AccountLocked { retry_after: wait });
        }
        // Every answer is checked, right or wrong, so the time taken does not tell which failed.
        let mut all_right = subject.genuine(Method::Questions);
        for (id, answer) in given {
            let hash = subject
                .questions
                .iter()
                .find(|q| q.id == *id)
                .map(|q| q.answer_hash.as_str());
            let ok = hash.is_some_and(|h| answers::verify(answer, h));
            all_right &= ok;
        }
        if all_right {
            self.advance(guard, subject, rng);
            return Ok(());
        }
        guard.record_failure(env.lockout, env.now);
        let mut left = 0;
        if let Some(StepProgress::Questions { failures, .. }) = &mut self.progress {
            *failures += 1;
            left = max_failures.saturating_sub(*failures);
        }
        if left == 0 {
            self.status = SessionStatus::Failed;
        }
        Err(VerifyError::AnswersWrong { tries_left: left })
    }

    fn totp_window(&self) -> Result<u32, VerifyError> {
        match self.current_step() {
            Some(Step::Totp(t)) if self.status == SessionStatus::InProgress => Ok(t.window),
            _ => Err(self.out_of_order()),
        }
    }

    /// Checks an authenticator code. A valid but drifted code asks for a resync.
    pub fn verify_totp(
        &mut self,
        code: &str,
        subject: &mut Subject,
        guard: &mut AccountGuard,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<(), VerifyError> {
        self.ensure_open(env.now)?;
        let window = self.totp_window()?;
        if let Some(wait) = guard.locked_for(env.now) {
            return Err(VerifyError::AccountLocked { retry_after: wait });
        }
        let known = subject.genuine(Method::Totp);
        let enrolment = subject.totp.as_mut().ok_or(VerifyError::FlowUnavailable)?;
        let result = totp::check(
            &enrolment.secret,
            enrolment.params,
            enrolment.counters,
            window,
            code,
            env.now,
        );
        match result {
            TotpCheck::Accepted { step } if known => {
                enrolment.counters.last_step = Some(step);
                let snapshot = subject.clone();
                self.advance(guard, &snapshot, rng);
                Ok(())
            }
            TotpCheck::Drifted { .. } if known => {
                self.progress = Some(StepProgress::Totp {
                    resync_required: true,
                });
                Err(VerifyError::TotpResyncRequired)
            }
            // Answered like a wrong code (a guesser must not learn that the code was right)
            // and counted; the server audits it and tells the user.
            TotpCheck::Replayed if known => {
                guard.record_failure(env.lockout, env.now);
                Err(VerifyError::TotpReplayed)
            }
            _ => {
                guard.record_failure(env.lockout, env.now);
                Err(VerifyError::TotpInvalid)
            }
        }
    }

    /// Resynchronises a drifted authenticator with two consecutive codes, completing the step.
    pub fn resync_totp(
        &mut self,
        first: &str,
        second: &str,
        subject: &mut Subject,
        guard: &mut AccountGuard,
        env: &Env<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<(), VerifyError> {
        self.ensure_open(env.now)?;
        self.totp_window()?;
        if !matches!(
            self.progress,
            Some(StepProgress::Totp {
                resync_required: true
            })
        ) {
            return Err(self.out_of_order());
        }
        if let Some(wait) = guard.locked_for(env.now) {
            return Err(VerifyError::AccountLocked { retry_after: wait });
        }
        let known = subject.genuine(Method::Totp);
        let enrolment = subject.totp.as_mut().ok_or(VerifyError::FlowUnavailable)?;
        match totp::resync(
            &enrolment.secret,
            enrolment.params,
            enrolment.counters,
            first,
            second,
            env.now,
        ) {
            Some(counters) if known => {
                enrolment.counters = counters;
                let snapshot = subject.clone();
                self.advance(guard, &snapshot, rng);
                Ok(())
            }
            _ => {
                guard.record_failure(env.lockout, env.now);
                Err(VerifyError::TotpInvalid)
            }
        }
    }
}

fn enrolled_for(subject: &Subject, step: &Step) -> bool {
    match step {
        Step::SmsOtp(_) => !subject.phones.is_empty(),
        Step::EmailOtp(_) => !subject.emails.is_empty(),
        Step::Questions(q) => subject.questions.len() >= q.count as usize,
        Step::Totp(_) => subject.totp.is_some(),
    }
}

/// Draws `count` distinct questions uniformly (partial Fisher–Yates).
fn pick_questions(subject: &Subject, count: usize, rng: &mut dyn RngCore) -> Vec<i64> {
    let mut ids: Vec<i64> = subject.questions.iter().map(|q| q.id).collect();
    let n = ids.len();
    for i in 0..count.min(n) {
        let j = i + (rng.next_u64() % (n - i) as u64) as usize;
        ids.swap(i, j);
    }
    ids.truncate(count.min(n));
    ids
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
