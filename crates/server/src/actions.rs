//! Performing the actions a completed verification permits.
//!
//! Every action runs in three steps: (1) claim — the session records the action as in progress
//! with compare-and-swap, so of two concurrent requests exactly one proceeds and the other is
//! refused without changing anything; (2) act — directory change, code issue, cryptogram; (3)
//! finish — the claim is spent (or released after a failure) in one transaction with the audit
//! event and a notification to the user's registered addresses.

use crate::dispatch::message;
use crate::error::ServiceError;
use crate::http::extract::SessionToken;
use crate::state::AppState;
use crate::verification::{self, Loaded};
use ea_api::ErrorCode;
use ea_core::Action;
use ea_core::contact::ContactKind;
use ea_store::audit::AuditEvent;
use ea_store::users::UserRecord;
use ea_store::{StoreError, audit, outbox, sessions};

const RETRIES: usize = 5;

/// A verified, enabled user and their loaded session.
pub async fn verified(
    state: &AppState,
    token: &SessionToken,
) -> Result<(Loaded, UserRecord), ServiceError> {
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

/// Step 1: claims `action` on the session. Refusals (incomplete, not permitted, used, in
/// progress, expired) leave everything unchanged.
pub async fn claim(
    state: &AppState,
    token: &SessionToken,
    action: Action,
) -> Result<(Loaded, UserRecord), ServiceError> {
    for _ in 0..RETRIES {
        let (mut l, user) = verified(state, token).await?;
        l.session.begin_action(action, state.now())?;
        match sessions::save(state.store.db(), &token.hash, &l.session, l.version).await {
            Ok(()) => {
                l.version += 1;
                return Ok((l, user));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ErrorCode::Busy {}.into())
}

/// What to tell the user after an action, in a message without any secret.
pub fn notice(action: Action, tenant_name: &str, detail: &str) -> String {
    let what = match action {
        Action::ResetPassword => "Your password was reset".to_owned(),
        Action::UnblockUser => "Your account was unblocked".to_owned(),
        Action::EmergencyCode => {
            format!("An emergency access code was issued for your account ({detail})")
        }
        Action::CardPinUnblock => format!("The PIN of your smart card {detail} was unblocked"),
    };
    format!(
        "{tenant_name}: {what} through Emergency Access. Not you? Call your IT help desk immediately."
    )
}

/// The "Not you?" notice for a card response shown on screen: it is disclosed as soon as it is
/// issued, whatever the user later reports, so the user is told at once.
pub fn shown_notice(tenant_name: &str, serial_tail: &str) -> String {
    format!(
        "{tenant_name}: A response to unblock your smart card ending in {serial_tail} was shown on screen through Emergency Access. Not you? Call your IT help desk immediately."
    )
}

/// Queues `text` to every address of `user` that can be delivered to, in `txn`; whether any was.
pub async fn notify(
    state: &AppState,
    txn: &impl ea_store::Conn,
    tenant: &ea_store::tenants::Tenant,
    user: &UserRecord,
    text: &str,
    now: i64,
) -> Result<bool, ServiceError> {
    let mut queued = false;
    let targets = user
        .emails
        .iter()
        .map(|e| (ContactKind::Email, e))
        .chain(user.phones.iter().map(|p| (ContactKind::Phone, p)))
        .filter(|(kind, _)| state.can_deliver(&tenant.slug, *kind));
    for (kind, destination) in targets {
        let body = match kind {
            ContactKind::Email => format!("Subject: {} security notice\n\n{text}\n", tenant.name),
            ContactKind::Phone => text.to_owned(),
        };
        let sealed = state.keys.kek.seal(
            &message::aad(destination),
            body.as_bytes(),
            &mut rand::rng(),
        );
        let msg = outbox::NewMessage {
            tenant_id: tenant.id,
            channel: message::channel(kind).to_owned(),
            destination: destination.clone(),
            sealed_body: sealed,
        };
        outbox::enqueue(txn, msg, now).await?;
        queued = true;
    }
    Ok(queued)
}

/// Step 3: releases (failure) or spends (success) the claim, audits, and notifies on success.
pub async fn finish(
    state: &AppState,
    token: &SessionToken,
    user: &UserRecord,
    action: Action,
    succeeded: bool,
    notice_text: Option<String>,
    detail: serde_json::Value,
) -> Result<(), ServiceError> {
    for _ in 0..RETRIES {
        let mut l = verification::load(state, token).await?;
        l.session.finish_action(action, succeeded);
        let now = state.now();
        let txn = state.store.begin().await?;
        match sessions::save(&txn, &token.hash, &l.session, l.version).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
        let mut detail = detail.clone();
        detail["outcome"] = if succeeded { "ok" } else { "failed" }.into();
        let ev = AuditEvent {
            tenant_id: Some(l.tenant.id),
            event: format!("action_{}", action.as_str()),
            username: Some(user.username.clone()),
            session_ref: Some(token.reference()),
            detail,
        };
        audit::record(&txn, ev, now).await?;
        let queued = match (succeeded, &notice_text) {
            (true, Some(text)) => notify(state, &txn, &l.tenant, user, text, now).await?,
            _ => false,
        };
        txn.commit().await.map_err(StoreError::from)?;
        if queued {
            state.outbox_ready.notify_one();
        }
        return Ok(());
    }
    Err(ErrorCode::Busy {}.into())
}
