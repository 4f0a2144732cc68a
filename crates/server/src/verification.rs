//! The verification service: loads a session with everything the engine needs, applies one
//! operation, and persists the outcome — session, account guard, TOTP counters, outbox message,
//! audit event — in one transaction guarded by compare-and-swap. If another request (or another
//! server instance) changed any of those rows first, the whole operation is replayed on fresh data.

use crate::dispatch::message;
use crate::error::ServiceError;
use crate::http::extract::SessionToken;
use crate::state::AppState;
use crate::{subject, view};
use ea_api::{ErrorCode, SessionView};
use ea_core::session::{Env, OutgoingCode, Subject, VerificationSession};
use ea_core::{AccountGuard, FlowDefinition, VerifyError};
use ea_store::audit::AuditEvent;
use ea_store::tenants::Tenant;
use ea_store::users::UserRecord;
use ea_store::{StoreError, audit, guards, outbox, sessions, tenants, users};
use rand::SeedableRng;
use rand::rngs::StdRng;
use zeroize::Zeroizing;

const RETRIES: usize = 5;

/// One request's change to a session.
#[derive(Debug)]
pub enum Op {
    ChooseFlow(String),
    ConfirmContact {
        contact_id: u32,
        value: Zeroizing<String>,
    },
    Resend,
    VerifyCode(Zeroizing<String>),
    /// `(index of the question in the session, answer)`.
    Answer(Vec<(i64, Zeroizing<String>)>),
    Totp(Zeroizing<String>),
    TotpResync(Zeroizing<String>, Zeroizing<String>),
}

impl Op {
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
}

impl Loaded {
    pub fn view(&self) -> SessionView {
        view::session_view(&self.session, &self.flows, &self.subject)
    }
}

/// Loads the session for `token`; unknown and expired sessions are refused here.
pub async fn load(state: &AppState, token: &SessionToken) -> Result<Loaded, ServiceError> {
    let db = state.store.db();
    let (session, version, tenant_id) = sessions::load(db, &token.hash)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    if state.now() >= session.expires_at {
        return Err(VerifyError::SessionExpired.into());
    }
    let tenant = tenants::by_id(db, tenant_id)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    let flows = tenants::flows(db, tenant.id).await?;
    let user = users::find(db, tenant.id, &session.username).await?;
    // Read for everyone, used only for decoys: equal work for known and unknown names.
    let pool = users::question_pool(db, tenant.id).await?;
    let subject = subject::build(state, &tenant, &session.username, user.as_ref(), &pool)?;
    Ok(Loaded {
        session,
        version,
        tenant,
        flows,
        user,
        subject,
    })
}

/// Applies `op` and returns the new view, or the engine's refusal (after saving its effects).
pub async fn apply(
    state: &AppState,
    token: &SessionToken,
    op: Op,
) -> Result<SessionView, ServiceError> {
    for _ in 0..RETRIES {
        let mut l = load(state, token).await?;
        let now = state.now();
        let (mut guard, guard_version) =
            guards::load(state.store.db(), l.tenant.id, &l.session.username).await?;
        let before = (
            l.session.clone(),
            guard,
            l.subject.totp.as_ref().map(|t| t.counters),
        );

        if let (Op::ConfirmContact { .. } | Op::Resend, Some(kind)) = (&op, otp_kind(&l.session))
            && !state.can_deliver(&l.tenant.slug, kind)
        {
            return Err(ErrorCode::DeliveryUnavailable { channel: kind }.into());
        }

        let mut rng = StdRng::from_os_rng();
        let lockout = l.tenant.lockout;
        let env = Env {
            now,
            code_key: state.keys.code_key.as_ref(),
            lockout: &lockout,
        };
        let result = run(&op, &mut l, &mut guard, &env, &mut rng);

        let (outgoing, outcome) = match result {
            Ok(out) => (out, Ok(())),
            Err(e) => (None, Err(e)),
        };
        match persist(
            state,
            token,
            &l,
            &before,
            &guard,
            guard_version,
            outgoing,
            &op,
            &outcome,
            now,
        )
        .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
        return match outcome {
            Ok(()) => Ok(l.view()),
            Err(e) => Err(e.into()),
        };
    }
    Err(ErrorCode::Busy {}.into())
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
        Op::ConfirmContact { contact_id, value } => s
            .confirm_contact(*contact_id as usize, value, &l.subject, guard, env, rng)
            .map(Some),
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

#[allow(clippy::too_many_arguments)]
async fn persist(
    state: &AppState,
    token: &SessionToken,
    l: &Loaded,
    before: &(
        VerificationSession,
        AccountGuard,
        Option<ea_core::totp::TotpCounters>,
    ),
    guard: &AccountGuard,
    guard_version: Option<i64>,
    outgoing: Option<OutgoingCode>,
    op: &Op,
    outcome: &Result<(), VerifyError>,
    now: i64,
) -> Result<(), StoreError> {
    let txn = state.store.begin().await?;
    if l.session != before.0 {
        sessions::save(&txn, &token.hash, &l.session, l.version).await?;
    }
    if *guard != before.1 {
        guards::save(&txn, l.tenant.id, &l.session.username, guard, guard_version).await?;
    }
    let counters = l.subject.totp.as_ref().map(|t| t.counters);
    if let (Some(c), Some(user), true) =
        (counters, &l.user, counters != before.2 && l.subject.known)
    {
        let version = user.totp.as_ref().map_or(0, |t| t.version);
        users::save_totp_counters(&txn, user.id, c, version).await?;
    }
    let mut detail = serde_json::json!({
        "outcome": match outcome { Ok(()) => "ok", Err(e) => e.code().as_str() },
        "step": l.session.current_step().map(|s| s.method().as_str()),
    });
    if let Some(out) = &outgoing {
        let text = message::render(out.kind, &l.tenant.name, &out.code, out.expires_at - now);
        let sealed = state.keys.kek.seal(
            &message::aad(&out.destination),
            text.as_bytes(),
            &mut rand::rng(),
        );
        let id = outbox::enqueue(
            &txn,
            outbox::NewMessage {
                tenant_id: l.tenant.id,
                channel: message::channel(out.kind).to_owned(),
                destination: out.destination.clone(),
                sealed_body: sealed,
            },
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
    if guard.locked_until != before.1.locked_until && guard.locked_until.is_some() {
        audit::record(
            &txn,
            event(
                "account_locked",
                serde_json::json!({ "until": guard.locked_until }),
            ),
            now,
        )
        .await?;
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
    txn.commit().await?;
    if outgoing.is_some() {
        state.outbox_ready.notify_one();
    }
    Ok(())
}
