//! Performing the actions a completed verification permits.
//!
//! Every action runs in three steps: (1) claim — the session records the action as in progress
//! with compare-and-swap, so of two concurrent requests exactly one proceeds and the other is
//! refused without changing anything; (2) act — directory change, code issue, cryptogram; (3)
//! finish — the claim is spent (or released after a failure) in one transaction with the audit
//! event and a notice to the user's registered addresses. Input is checked and every refusable
//! condition tested before the claim, so a refused request changes nothing. A request loads its
//! session once; only a conflicting write makes an attempt load it again.

pub mod card;
pub mod directory;
pub mod emergency;

use crate::dispatch::message;
use crate::dispatch::text;
use crate::error::ServiceResult;
use crate::state::AppState;
use crate::token::SessionToken;
use crate::verification::{self, Loaded};
use ea_api::{ErrorCode, ExpectedRequest};
use ea_core::Action;
use ea_core::contact::ContactKind;
use ea_store::audit::AuditEvent;
use ea_store::users::UserRecord;
use ea_store::{StoreError, audit, outbox, sessions};

/// A verified, enabled user and their loaded session.
pub async fn verified(
    state: &AppState,
    token: &SessionToken,
) -> ServiceResult<(Loaded, UserRecord)> {
    let l = verification::load(state, token).await?;
    let user = match &l.user {
        // A disabled account fails here even if its verification completed before it was disabled.
        Some(u) if u.disabled && l.session.status == ea_core::SessionStatus::Completed => {
            return Err(ErrorCode::AccountDisabled {}.into());
        }
        Some(u) if l.subject.known => u.clone(),
        // A session for an unknown name can never complete; answer like an incomplete one.
        _ => return Err(ea_core::VerifyError::VerificationIncomplete.into()),
    };
    Ok((l, user))
}

/// How long a claim made by a request of this instance is held: twice the request timeout and
/// ten seconds more, so that its request has surely ended (by a timeout, or a stopped server)
/// and a write it sent has landed, before another request may take the claim over. Instances'
/// clocks must agree to within that margin (as they must for authenticator codes).
pub fn claim_hold(state: &AppState) -> i64 {
    let timeout = state.limiters.config.request_timeout_seconds;
    i64::try_from(timeout)
        .unwrap_or(i64::MAX)
        .saturating_mul(2)
        .saturating_add(10)
}

/// Refusals that do not depend on the request body come first: incomplete, not permitted, used.
pub fn precheck(state: &AppState, l: &Loaded, action: Action, now: i64) -> ServiceResult<()> {
    let mut probe = l.session.clone();
    probe.begin_action(action, now, claim_hold(state))?;
    Ok(())
}

/// Step 1: claims `action` on the session loaded as `l`. Refusals (incomplete, not permitted,
/// used, in progress, expired) leave everything unchanged.
pub async fn claim(
    state: &AppState,
    token: &SessionToken,
    loaded: (Loaded, UserRecord),
    action: Action,
    binding: Option<[u8; 16]>,
) -> ServiceResult<(Loaded, UserRecord)> {
    let mut first = Some(loaded);
    crate::on_conflict!({
        let (mut l, user) = match first.take() {
            Some(v) => v,
            None => verified(state, token).await?,
        };
        l.session
            .begin_action(action, state.now(), claim_hold(state))?;
        if let Some(b) = binding {
            l.session.bind_action(action, b);
        }
        sessions::save(state.store.db(), &token.hash, &l.session, l.version).await?;
        l.version += 1;
        Ok((l, user))
    })
}

/// What the user is told after an action, in a message without any secret.
pub use crate::dispatch::text::Told as Notice;

/// Queues `notice` to every address of `user` that can be delivered to, in `txn`; whether any
/// was. The caller wakes the outbox worker after committing.
pub async fn notify(
    state: &AppState,
    txn: &impl ea_store::Conn,
    tenant: &ea_store::tenants::Tenant,
    user: &UserRecord,
    notice: &Notice,
    language: Option<&str>,
    now: i64,
) -> ServiceResult<bool> {
    let mut queued = false;
    let targets = user
        .emails
        .iter()
        .map(|e| (ContactKind::Email, e))
        .chain(user.phones.iter().map(|p| (ContactKind::Phone, p)))
        .filter(|(kind, _)| state.can_deliver(&tenant.slug, *kind));
    for (kind, destination) in targets {
        let body = text::owner_notice(tenant, language, kind, notice);
        message::enqueue(
            txn,
            &state.keys.kek,
            message::To {
                tenant_id: tenant.id,
                kind,
                destination,
                purpose: outbox::Purpose::Notice,
            },
            &body,
            now,
        )
        .await?;
        queued = true;
    }
    Ok(queued)
}

/// How an action ended, for [`finish`].
#[derive(Debug)]
pub struct Outcome {
    pub succeeded: bool,
    /// Sent to the user when the action succeeded.
    pub notice: Option<Notice>,
    /// Audit detail (never a secret); `outcome` is added.
    pub detail: serde_json::Value,
}

/// Step 3: releases (failure) or spends (success) the claim on the session loaded as `l`,
/// audits, and notifies on success.
pub async fn finish(
    state: &AppState,
    token: &SessionToken,
    claimed: (Loaded, &UserRecord),
    action: Action,
    outcome: Outcome,
) -> ServiceResult<()> {
    let (l, user) = claimed;
    // The claim this request made (its number and what it is tied to): a retry finishes only
    // that claim, not a newer one made in between.
    let expected = l.session.current_claim(action);
    let mut first = Some(l);
    crate::on_conflict!({
        let mut l = match first.take() {
            Some(l) => l,
            None => {
                let l = verification::load_even_expired(state, token).await?;
                // Another request finished this claim in between (two reports of one card's
                // answer), perhaps and a new one began: it may be finished once only.
                let same_claim = expected.is_some() && l.session.current_claim(action) == expected;
                if !same_claim {
                    let expected = match action {
                        Action::CardPinUnblock => ExpectedRequest::CardCryptogram,
                        _ => ExpectedRequest::None,
                    };
                    return Err(ea_core::VerifyError::StepOutOfOrder { expected }.into());
                }
                l
            }
        };
        l.session.finish_action(action, outcome.succeeded);
        let now = state.now();
        let txn = state.store.begin().await?;
        sessions::save(&txn, &token.hash, &l.session, l.version).await?;
        let mut detail = outcome.detail.clone();
        detail["outcome"] = if outcome.succeeded { "ok" } else { "failed" }.into();
        let ev = AuditEvent {
            tenant_id: Some(l.tenant.id),
            event: format!("action_{}", action.as_str()),
            username: Some(user.username.clone()),
            session_ref: Some(token.reference()),
            detail,
        };
        audit::record(&txn, ev, now).await?;
        let queued = match (outcome.succeeded, &outcome.notice) {
            (true, Some(notice)) => {
                let language = l.session.language.as_deref();
                notify(state, &txn, &l.tenant, user, notice, language, now).await?
            }
            _ => false,
        };
        txn.commit().await.map_err(StoreError::from)?;
        if queued {
            state.outbox_ready.notify_one();
        }
        Ok(())
    })
}
