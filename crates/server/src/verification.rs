//! The verification service: loads a session with everything the engine needs, applies one
//! operation, and persists the outcome — session, account guard, TOTP counters, outbox message,
//! audit event — in one transaction guarded by compare-and-swap. If another request (or another
//! server instance) changed any of those rows first, the whole operation is replayed on fresh data.

use crate::abuse::{self, Source};
use crate::dispatch::message;
use crate::error::{ServiceError, ServiceResult};
use crate::lockout::Guards;
use crate::state::AppState;
use crate::token::SessionToken;
use crate::{input, subject, view};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ea_api::{
    ActionsView, ContactsView, ErrorCode, ExpectedRequest, SessionStarted, SessionView, StepView,
    limits,
};
use ea_core::session::{Env, OutgoingCode, Subject, VerificationSession};
use ea_core::{AccountGuard, FlowDefinition, VerifyError};
use ea_store::audit::AuditEvent;
use ea_store::tenants::Tenant;
use ea_store::users::UserRecord;
use ea_store::{StoreError, audit, outbox, sessions, tenants, users};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use zeroize::Zeroizing;

/// One request's change to a session.
#[derive(Debug, Clone)]
pub enum Op {
    ChooseFlow(String),
    ConfirmContact {
        contact_id: u32,
        value: Zeroizing<String>,
        /// The language the person reads the app in now, if it was sent.
        language: Option<String>,
    },
    Resend,
    VerifyCode(Zeroizing<String>),
    /// `(index of the question in the session, answer)`.
    Answer(Vec<(i64, Zeroizing<String>)>),
    Totp(Zeroizing<String>),
    TotpResync(Zeroizing<String>, Zeroizing<String>),
}

impl Op {
    /// Whether the request proves something (and so is counted and can be locked out).
    fn verifies(&self) -> bool {
        !matches!(self, Op::ChooseFlow(_))
    }

    fn name(&self) -> &'static str {
        match self {
            Op::ChooseFlow(_) => "flow_chosen",
            Op::ConfirmContact { .. } => "contact_confirmation",
            Op::Resend => "code_resend",
            Op::VerifyCode(_) => "code_verification",
            Op::Answer(_) => "questions_answered",
            Op::Totp(_) => "totp_verification",
            Op::TotpResync(..) => "totp_resync",
        }
    }
}

/// A session with everything around it, as read at the start of a request.
#[derive(Debug)]
pub struct Loaded {
    pub session: VerificationSession,
    pub version: i64,
    pub tenant: Tenant,
    pub flows: Vec<FlowDefinition>,
    pub user: Option<UserRecord>,
    pub subject: Subject,
    /// The server's clock when the request loaded it.
    pub now: i64,
}

impl Loaded {
    pub fn view(&self) -> SessionView {
        view::session_view(
            &self.session,
            &self.flows,
            &self.subject,
            &self.tenant.help,
            self.now,
        )
    }
}

/// Loads the session for `token`; unknown and expired sessions are refused here.
pub async fn load(state: &AppState, token: &SessionToken) -> ServiceResult<Loaded> {
    load_with(state, token, false).await
}

/// Loads the session even when it has expired: an action that began in time is finished
/// (audited, notified) whatever the clock says when its bookkeeping is retried.
pub async fn load_even_expired(state: &AppState, token: &SessionToken) -> ServiceResult<Loaded> {
    load_with(state, token, true).await
}

async fn load_with(
    state: &AppState,
    token: &SessionToken,
    expired_ok: bool,
) -> ServiceResult<Loaded> {
    let db = state.store.db();
    let (session, version, tenant_id) = sessions::load(db, &token.hash)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    let now = state.now();
    if !expired_ok && now >= session.expires_at {
        return Err(VerifyError::SessionExpired.into());
    }
    let tenant = tenants::by_id(db, tenant_id)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    let flows = tenants::flows(db, tenant.id).await?;
    let user = users::find(db, tenant.id, &session.username).await?;
    let subject = subject::load(state, &tenant, &session.username, user.as_ref(), &flows).await?;
    Ok(Loaded {
        session,
        version,
        tenant,
        flows,
        user,
        subject,
        now,
    })
}

/// Checks the fields of `op`, then applies it.
pub async fn step(
    state: &AppState,
    token: &SessionToken,
    op: Op,
    source: Source,
) -> ServiceResult<SessionView> {
    match &op {
        Op::ChooseFlow(id) => input::text("flow_id", id, limits::FLOW_ID)?,
        Op::ConfirmContact { value, .. } => input::text("value", value, limits::CONTACT)?,
        Op::Resend => {}
        Op::VerifyCode(code) | Op::Totp(code) => input::text("code", code, limits::CODE)?,
        Op::Answer(answers) => {
            input::count("answers", answers.len(), limits::ANSWERS)?;
            for (_, a) in answers {
                input::text("answer", a, limits::ANSWER)?;
            }
        }
        Op::TotpResync(first, second) => {
            input::text("first_code", first, limits::CODE)?;
            input::text("second_code", second, limits::CODE)?;
        }
    }
    apply(state, token, op, source).await
}

/// Applies `op` for a request from `source` and returns the new view, or the engine's refusal
/// (after saving its effects).
pub async fn apply(
    state: &AppState,
    token: &SessionToken,
    op: Op,
    source: Source,
) -> ServiceResult<SessionView> {
    // Requests for one account take turns (the engine counts failures on the account's guards),
    // so contention waits here instead of running out of compare-and-swap retries.
    let first = load(state, token).await?;
    let key = format!("{}/{}", first.tenant.id, first.session.username);
    let _turn = state.turns.take(key).await;
    apply_in_turn(state, token, op, source, first).await
}

async fn apply_in_turn(
    state: &AppState,
    token: &SessionToken,
    op: Op,
    source: Source,
    first: Loaded,
) -> ServiceResult<SessionView> {
    let mut charged = false;
    let mut first = Some(first);
    crate::on_conflict!({
        // Loaded before the turn came: a write in between makes this attempt conflict and reload.
        let mut l = match first.take() {
            Some(l) => l,
            None => load(state, token).await?,
        };
        let now = state.now();
        let mut guards = Guards::load(state, l.tenant.id, &l.session.username, source).await?;
        // Verifying requests are counted per username across instances, once per request.
        if op.verifies() && !charged {
            let limit = l.tenant.limits.requests.verifying_per_user_per_hour;
            let (tenant, name) = (l.tenant.id, &l.session.username);
            let familiar = guards.familiar();
            abuse::charge_user(state, abuse::VERIFYING, tenant, name, familiar, limit).await?;
            charged = true;
        }
        let answers = matches!(op, Op::Answer(_));
        if let Some(wait) = guards.shut_out(&l.session, answers, now) {
            return Err(VerifyError::AccountLocked { retry_after: wait }.into());
        }
        let before = (
            l.session.clone(),
            l.subject.totp.as_ref().map(|t| t.counters),
        );

        if let (Op::ConfirmContact { .. } | Op::Resend, Some(kind)) = (&op, otp_kind(&l.session))
            && !state.can_deliver(&l.tenant.slug, kind)
        {
            return Err(ErrorCode::DeliveryUnavailable { channel: kind }.into());
        }

        let lockout = l.tenant.lockout;
        let mut guard = *guards.engine();
        let result;
        (l, guard, result) = if answers {
            // Answers are checked with Argon2id: on the blocking pool, a bounded number at once.
            let (st, op) = (state.clone(), op.clone());
            state
                .limiters
                .hashing
                .run(move || engine(&st, &op, l, guard, now))
                .await
                .map_err(ServiceError::Internal)?
        } else {
            engine(state, &op, l, guard, now)
        };
        *guards.engine() = guard;
        let completed = l.session.status == ea_core::SessionStatus::Completed
            && before.0.status != ea_core::SessionStatus::Completed;
        let strangers_locked = guards.settle(&lockout, completed, now);

        let (outgoing, outcome) = match result {
            Ok(out) => (out, Ok(())),
            Err(e) => (None, Err(e)),
        };
        // A code is sent only within the tenant's limits, counted across sessions; over them,
        // nothing of this attempt is kept (the session does not move on, no code is queued).
        // Sends of the tenant take turns on this instance, and count under a lock in the
        // transaction that queues the code (see `persist`), so that two sessions (of any users,
        // on any instance) cannot both count below a limit and both send.
        let _sending = match &outgoing {
            Some(_) => Some(state.turns.take(format!("send:{}", l.tenant.id)).await),
            None => None,
        };
        let change = Change {
            before: &before,
            guards: &guards,
            strangers_locked,
            completed,
            outgoing,
            op: &op,
            outcome: &outcome,
        };
        persist(state, token, &l, change, now).await?;
        outcome.map(|()| l.view()).map_err(ServiceError::from)
    })
}

/// Runs the engine on owned data, so it can run on the blocking pool.
fn engine(
    state: &AppState,
    op: &Op,
    mut l: Loaded,
    mut guard: AccountGuard,
    now: i64,
) -> (
    Loaded,
    AccountGuard,
    Result<Option<OutgoingCode>, VerifyError>,
) {
    let mut rng = StdRng::from_os_rng();
    let lockout = l.tenant.lockout;
    let env = Env {
        now,
        code_key: state.keys.code_key.as_ref(),
        lockout: &lockout,
    };
    let r = run(op, &mut l, &mut guard, &env, &mut rng);
    (l, guard, r)
}

/// What one request changed, for [`persist`].
struct Change<'a> {
    before: &'a (VerificationSession, Option<ea_core::totp::TotpCounters>),
    guards: &'a Guards,
    strangers_locked: bool,
    completed: bool,
    outgoing: Option<OutgoingCode>,
    op: &'a Op,
    outcome: &'a Result<(), VerifyError>,
}

/// Starts a verification for `username` in `tenant`: the token (shown once) and the first view.
/// Unknown names get a decoy subject and a session that can never complete.
pub async fn start(
    state: &AppState,
    tenant: &str,
    username: &str,
    for_action: Option<ea_core::Action>,
    language: Option<&str>,
    source: Source,
) -> ServiceResult<SessionStarted> {
    input::text("tenant", tenant, limits::TENANT)?;
    input::text("username", username, limits::USERNAME)?;
    let db = state.store.db();
    let tenant = tenants::by_slug(db, tenant.trim())
        .await?
        .ok_or(ErrorCode::TenantUnknown {})?;
    let flows = tenants::flows(db, tenant.id).await?;
    if flows.is_empty() {
        return Err(ErrorCode::TenantUnknown {}.into());
    }
    let username = users::normalize_username(username);
    let limit = tenant.limits.requests.starts_per_user_per_hour;
    let familiar = crate::lockout::is_familiar(state, tenant.id, &username, source).await?;
    abuse::charge_user(state, abuse::STARTS, tenant.id, &username, familiar, limit).await?;
    let user = users::find(db, tenant.id, &username).await?;
    let subject = subject::load(state, &tenant, &username, user.as_ref(), &flows).await?;

    let mut rng = StdRng::from_os_rng();
    let mut raw = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(raw.as_mut());
    let token = URL_SAFE_NO_PAD.encode(raw.as_ref());
    let st = SessionToken {
        hash: SessionToken::hash_of(&token),
    };
    let now = state.now();
    // Only the ways that lead where the user is going (the same for every name, so this tells
    // nothing about the user).
    let offered: Vec<FlowDefinition> = flows
        .iter()
        .filter(|f| for_action.is_none_or(|a| f.actions.contains(&a)))
        .cloned()
        .collect();
    let mut session = VerificationSession::start(
        st.hash[..16].to_owned(),
        &tenant.slug,
        &username,
        &offered,
        tenant.session_lifetime_seconds,
        &subject,
        now,
        &mut rng,
    );
    session.language = crate::dispatch::text::Lang::stored(language);

    let txn = state.store.begin().await?;
    sessions::insert(&txn, &st.hash, tenant.id, &session).await?;
    let ev = AuditEvent {
        tenant_id: Some(tenant.id),
        event: "session_started".into(),
        username: Some(username),
        session_ref: Some(st.reference()),
        detail: serde_json::json!({ "known_user": subject.known }),
    };
    audit::record(&txn, ev, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    // With one flow offered it is chosen already.
    state.metrics.verification("started", &session);
    Ok(SessionStarted {
        token,
        session: view::session_view(&session, &flows, &subject, &tenant.help, now),
    })
}

/// The session as it stands.
pub async fn view(state: &AppState, token: &SessionToken) -> ServiceResult<SessionView> {
    Ok(load(state, token).await?.view())
}

/// The actions the completed verification permits.
pub async fn actions(state: &AppState, token: &SessionToken) -> ServiceResult<ActionsView> {
    Ok(ActionsView {
        actions: load(state, token).await?.view().actions,
    })
}

/// The masked phone numbers or addresses of the current step.
pub async fn contacts(state: &AppState, token: &SessionToken) -> ServiceResult<ContactsView> {
    let l = load(state, token).await?;
    let kind = match (l.session.status, otp_kind(&l.session)) {
        (ea_core::SessionStatus::InProgress, Some(kind)) => kind,
        _ => {
            let expected = match l.view().step {
                Some(StepView::Questions(_)) => ExpectedRequest::Questions,
                Some(StepView::Totp(_)) => ExpectedRequest::Totp,
                _ if l.session.status == ea_core::SessionStatus::ChoosingFlow => {
                    ExpectedRequest::Flow
                }
                _ => ExpectedRequest::None,
            };
            return Err(VerifyError::StepOutOfOrder { expected }.into());
        }
    };
    Ok(ContactsView {
        kind,
        contacts: view::masked_contacts(&l.subject, kind),
    })
}

/// Refuses a code over any of the tenant's send limits: to this destination, to all of the
/// user's contacts, to the whole tenant, within the last hour.
async fn check_send_limits(
    db: &impl ea_store::Conn,
    l: &Loaded,
    out: &OutgoingCode,
    now: i64,
) -> ServiceResult<()> {
    // Destinations are the subject's contacts as stored, so the user's are exactly these.
    let everyone: Vec<String> = l
        .subject
        .phones
        .iter()
        .chain(&l.subject.emails)
        .cloned()
        .collect();
    check_code_limits(db, &l.tenant, &out.destination, &everyone, now).await
}

/// Refuses a code to `destination` over any of `tenant`'s send limits: to this destination, to
/// all of the user's `destinations`, to the whole tenant, within the last hour. Run under the
/// tenant's sending lock ([`send_lock`]) in the transaction that queues the code.
pub async fn check_code_limits(
    db: &impl ea_store::Conn,
    tenant: &Tenant,
    destination: &str,
    destinations: &[String],
    now: i64,
) -> ServiceResult<()> {
    use ea_core::limits::{WINDOW_SECONDS, check};
    let limits = tenant.limits.send;
    let since = now - WINDOW_SECONDS;
    let one = [destination.to_owned()];
    let mut user: Vec<String> = destinations.to_vec();
    user.push(destination.to_owned());
    let checks = [
        (limits.per_destination_per_hour, Some(one.as_slice())),
        (limits.per_user_per_hour, Some(user.as_slice())),
        (limits.per_tenant_per_hour, None),
    ];
    for (limit, destinations) in checks {
        let sent = outbox::codes_since(db, tenant.id, destinations, since).await?;
        if let Err(retry_after) = check(limit, sent, now) {
            tracing::info!(limit, retry_after, "send limit reached");
            return Err(ErrorCode::SendLimitReached { retry_after }.into());
        }
    }
    Ok(())
}

/// Takes the tenant's sending lock in `txn`, held until it ends: another instance counts the
/// tenant's codes only once this transaction's code is committed (or rolled back).
pub async fn send_lock(
    state: &AppState,
    txn: &ea_store::DatabaseTransaction,
    tenant: &Tenant,
) -> ServiceResult<()> {
    let wait = std::time::Duration::from_secs(state.limiters.config.request_timeout_seconds);
    ea_store::lock_in(txn, &format!("send:{}", tenant.id), wait).await?;
    Ok(())
}

fn otp_kind(s: &VerificationSession) -> Option<ea_core::contact::ContactKind> {
    use ea_core::contact::ContactKind;
    match s.current_step()? {
        ea_core::Step::SmsOtp(_) => Some(ContactKind::Phone),
        ea_core::Step::EmailOtp(_) => Some(ContactKind::Email),
        _ => None,
    }
}

fn run(
    op: &Op,
    l: &mut Loaded,
    guard: &mut AccountGuard,
    env: &Env<'_>,
    rng: &mut StdRng,
) -> Result<Option<OutgoingCode>, VerifyError> {
    let s = &mut l.session;
    match op {
        Op::ChooseFlow(id) => s
            .choose_flow(id, &l.flows, &l.subject, env.now, rng)
            .map(|()| None),
        Op::ConfirmContact {
            contact_id,
            value,
            language,
        } => {
            // A language switched since the session started: the code is written in it.
            if let Some(lang) = crate::dispatch::text::Lang::stored(language.as_deref()) {
                s.language = Some(lang);
            }
            s.confirm_contact(*contact_id as usize, value, &l.subject, guard, env, rng)
                .map(Some)
        }
        Op::Resend => s.resend(&l.subject, guard, env, rng).map(Some),
        Op::VerifyCode(code) => s
            .verify_code(code, &l.subject, guard, env, rng)
            .map(|()| None),
        Op::Answer(given) => {
            // Clients see questions by position; map them back to the stored ids.
            let ids = s.question_ids().to_vec();
            let mut mapped = Vec::with_capacity(given.len());
            for (index, answer) in given {
                let id = usize::try_from(*index)
                    .ok()
                    .and_then(|i| ids.get(i))
                    .ok_or(VerifyError::AnswersIncomplete)?;
                mapped.push((*id, answer.to_string()));
            }
            let r = s.answer_questions(&mapped, &l.subject, guard, env, rng);
            for (_, a) in &mut mapped {
                zeroize::Zeroize::zeroize(a);
            }
            r.map(|()| None)
        }
        Op::Totp(code) => s
            .verify_totp(code, &mut l.subject, guard, env, rng)
            .map(|()| None),
        Op::TotpResync(a, b) => s
            .resync_totp(a, b, &mut l.subject, guard, env, rng)
            .map(|()| None),
    }
}

async fn persist(
    state: &AppState,
    token: &SessionToken,
    l: &Loaded,
    c: Change<'_>,
    now: i64,
) -> ServiceResult<()> {
    let Change {
        before,
        guards,
        strangers_locked,
        completed,
        outgoing,
        op,
        outcome,
    } = c;
    let txn = state.store.begin().await?;
    if let Some(out) = &outgoing {
        send_lock(state, &txn, &l.tenant).await?;
        check_send_limits(&txn, l, out, now).await?;
        crate::faults::point("send_counted").await;
    }
    if l.session != before.0 {
        sessions::save(&txn, &token.hash, &l.session, l.version).await?;
    }
    let username = &l.session.username;
    guards
        .save(
            &txn,
            l.tenant.id,
            username,
            completed && l.subject.known,
            now,
        )
        .await?;
    let counters = l.subject.totp.as_ref().map(|t| t.counters);
    if let (Some(c), Some(user), true) = (
        counters,
        &l.user,
        counters != before.1 && l.subject.genuine(ea_core::Method::Totp),
    ) {
        let version = user.totp.as_ref().map_or(0, |t| t.version);
        users::save_totp_counters(&txn, user.id, c, version).await?;
    }
    let mut detail = serde_json::json!({
        "outcome": match outcome {
            Ok(()) => "ok",
            // Answered as a wrong code, recorded for what it was.
            Err(VerifyError::TotpReplayed) => "totp_replayed",
            Err(e) => e.code().as_str(),
        },
        "step": l.session.current_step().map(|s| s.method().as_str()),
        "familiar_source": guards.familiar(),
    });
    if let Some(out) = &outgoing {
        let text =
            crate::dispatch::text::Wording::for_tenant(&l.tenant, l.session.language.as_deref())
                .code(out.kind, &out.code, out.expires_at - now);
        let id = message::enqueue(
            &txn,
            &state.keys.kek,
            message::To {
                tenant_id: l.tenant.id,
                kind: out.kind,
                destination: &out.destination,
                purpose: outbox::Purpose::Code,
            },
            &text,
            now,
        )
        .await?;
        detail["outbox_id"] = id.into();
        detail["to"] = ea_core::contact::mask(out.kind, &out.destination).into();
    }
    if let Op::ChooseFlow(id) = op {
        detail["flow"] = id.clone().into();
    }
    let event = |name: &str, detail: serde_json::Value| AuditEvent {
        tenant_id: Some(l.tenant.id),
        event: name.to_owned(),
        username: Some(l.session.username.clone()),
        session_ref: Some(token.reference()),
        detail,
    };
    audit::record(&txn, event(op.name(), detail), now).await?;
    if let Some(until) = guards.newly_locked() {
        // The account's guard for a familiar source; this source's own guard for a stranger.
        let scope = if guards.familiar() {
            "account"
        } else {
            "source"
        };
        let detail = serde_json::json!({ "until": until, "scope": scope });
        audit::record(&txn, event("account_locked", detail), now).await?;
    }
    if strangers_locked {
        let detail = serde_json::json!({ "scope": "strangers" });
        audit::record(&txn, event("account_locked", detail), now).await?;
    }
    if l.session.status != before.0.status {
        let name = match l.session.status {
            ea_core::SessionStatus::Completed => Some("verification_completed"),
            ea_core::SessionStatus::Failed => Some("verification_failed"),
            _ => None,
        };
        if let Some(name) = name {
            let flow = l.session.flow.as_ref().map(|f| f.id.clone());
            audit::record(&txn, event(name, serde_json::json!({ "flow": flow })), now).await?;
        }
    }
    // Someone typed a current code of this user's authenticator a second time: the user hears
    // of it, as after an action.
    let mut told = false;
    if let (Err(VerifyError::TotpReplayed), Some(user), true) = (outcome, &l.user, l.subject.known)
    {
        let notice = crate::actions::Notice::TotpReplayed;
        let language = l.session.language.as_deref();
        told = crate::actions::notify(state, &txn, &l.tenant, user, &notice, language, now).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    if outgoing.is_some() || told {
        state.outbox_ready.notify_one();
    }
    let m = &state.metrics;
    if let Some(step) = before.0.current_step() {
        let outcome = match outcome {
            Ok(()) => "ok",
            Err(e) => e.code().as_str(),
        };
        m.step(step.method().as_str(), outcome);
    }
    if guards.newly_locked().is_some() || strangers_locked {
        m.lockouts.inc();
    }
    if before.0.flow.is_none() && l.session.flow.is_some() {
        m.verification("started", &l.session);
    }
    match (l.session.status, before.0.status == l.session.status) {
        (ea_core::SessionStatus::Completed, false) => m.verification("completed", &l.session),
        (ea_core::SessionStatus::Failed, false) => m.verification("failed", &l.session),
        _ => {}
    }
    Ok(())
}
