//! The smart-card PIN unblock: the response to the user's own card's challenge, and what the
//! card answered.

use super::{Notice, Outcome, claim, finish, notify, precheck, verified};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::token::SessionToken;
use crate::{card_keys, input};
use ea_api::{
    ActionDone, CardCryptogram, CardCryptogramRequest, CardDelivery, CardOutcome,
    CardResultRequest, ErrorCode, ExpectedRequest, limits,
};
use ea_core::Action;
use ea_core::cryptogram::{self, CardAlgorithm, CryptogramError};
use ea_store::{audit, cards};
use serde_json::json;

/// PIN lengths a card may be given (for the audit log; the PIN never reaches the server).
const PIN_LENGTHS: std::ops::RangeInclusive<u32> = 4..=16;

/// A card serial as sent (hex, spaces allowed), in the stored form: upper-case hex.
fn serial(sent: &str) -> ServiceResult<String> {
    Ok(hex::encode_upper(input::hex(
        "serial",
        sent,
        limits::SERIAL_HEX,
    )?))
}

/// What a cryptogram was issued for, as kept on the claim: a hash of the serial and challenge.
fn binding(serial: &str, challenge: &[u8]) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"card-claim\0");
    h.update(serial.as_bytes());
    h.update(b"\0");
    h.update(challenge);
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

fn tail(serial: &str) -> &str {
    &serial[serial.len().saturating_sub(4)..]
}

/// The response for the user's own card and current challenge.
pub async fn cryptogram(
    state: &AppState,
    token: &SessionToken,
    req: CardCryptogramRequest,
) -> ServiceResult<CardCryptogram> {
    let serial = serial(&req.serial)?;
    let challenge = input::hex("challenge", &req.challenge, 32)?;
    if let Some(n) = req.new_pin_length {
        input::within("new_pin_length", n, PIN_LENGTHS)?;
    }
    let now = state.now();
    let (l, user) = verified(state, token).await?;
    precheck(state, &l, Action::CardPinUnblock, now)?;
    let card = cards::find(state.store.db(), l.tenant.id, &serial)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or(ErrorCode::CardUnknown {})?;
    let alg = CardAlgorithm::parse(&card.algorithm).ok_or_else(|| {
        ServiceError::Internal(format!(
            "card {} has algorithm {:?}",
            card.serial, card.algorithm
        ))
    })?;
    cryptogram::check_profile(&card.profile, alg).map_err(|e| ErrorCode::CardProfileRefused {
        reason: e.to_string(),
    })?;
    if challenge.len() != alg.challenge_len() {
        return Err(ErrorCode::ChallengeLength {
            expected: alg.challenge_len() as u32,
        }
        .into());
    }
    // The claim is tied to this card and challenge: the card's answer reported later must be
    // about the same ones.
    let bound = Some(binding(&serial, &challenge));
    let (l, user) = claim(state, token, (l, user), Action::CardPinUnblock, bound).await?;
    let key = match card_keys::provider_for(&card.key_source, &state.keys.kek) {
        Ok(p) => p.admin_key(&l.tenant, &card).await,
        Err(e) => Err(e),
    };
    let result = key.map_err(|e| e.to_string()).and_then(|k| {
        cryptogram::compute(alg, &k, &challenge).map_err(|e: CryptogramError| e.to_string())
    });
    let c = match result {
        Ok(c) => c,
        Err(reason) => {
            let outcome = Outcome {
                succeeded: false,
                notice: None,
                detail: json!({ "serial": serial, "error": reason }),
            };
            finish(state, token, (l, &user), Action::CardPinUnblock, outcome).await?;
            return Err(ErrorCode::CardKeyUnavailable {}.into());
        }
    };
    // What was issued and where it went, never its value.
    let delivery = req.delivery.unwrap_or(CardDelivery::Card);
    let event = match delivery {
        CardDelivery::Card => "card_cryptogram_issued",
        CardDelivery::Screen => "card_cryptogram_shown",
    };
    let ev = audit::AuditEvent {
        tenant_id: Some(l.tenant.id),
        event: event.into(),
        username: Some(user.username.clone()),
        session_ref: Some(token.reference()),
        detail: json!({ "serial": serial, "algorithm": alg, "new_pin_length": req.new_pin_length, "delivery": delivery }),
    };
    let txn = state.store.begin().await?;
    audit::record(&txn, ev, now).await?;
    // The response is out of our hands once sent: tell the user now, not when (or whether) the
    // desktop reports what the card said.
    let notice = Notice::CardResponse {
        serial_tail: tail(&serial).to_owned(),
        delivery,
    };
    let language = l.session.language.as_deref();
    let queued = notify(state, &txn, &l.tenant, &user, &notice, language, now).await?;
    txn.commit().await.map_err(ea_store::StoreError::from)?;
    if queued {
        state.outbox_ready.notify_one();
    }
    Ok(CardCryptogram {
        cryptogram: hex::encode_upper(c.as_slice()),
        algorithm: alg,
        checksum: cryptogram::checksum(&c),
    })
}

/// Records what the card answered to the cryptogram and the new PIN; spends or releases the claim.
pub async fn result(
    state: &AppState,
    token: &SessionToken,
    req: CardResultRequest,
) -> ServiceResult<ActionDone> {
    let serial = serial(&req.serial)?;
    let challenge = input::hex("challenge", &req.challenge, 32)?;
    let (l, user) = verified(state, token).await?;
    let claimed = l
        .session
        .action_uses
        .get(&Action::CardPinUnblock)
        .is_some_and(|u| u.in_progress);
    if !claimed {
        return Err(ea_core::VerifyError::StepOutOfOrder {
            expected: ExpectedRequest::CardCryptogram,
        }
        .into());
    }
    // Only the answer to the cryptogram this claim issued finishes it. (A claim made before
    // claims were tied to their card carries no binding and is taken as it is.)
    let issued_for = l.session.action_binding(Action::CardPinUnblock);
    if issued_for.is_some_and(|b| !ea_core::ct::equal(&b, &binding(&serial, &challenge))) {
        return Err(ErrorCode::CardResultMismatch {}.into());
    }
    cards::find(state.store.db(), l.tenant.id, &serial)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or(ErrorCode::CardUnknown {})?;
    let outcome = Outcome {
        succeeded: req.outcome == CardOutcome::Unblocked,
        notice: Some(Notice::CardUnblocked {
            serial_tail: tail(&serial).to_owned(),
        }),
        detail: json!({ "serial": serial, "card_outcome": req.outcome, "tries_left": req.tries_left }),
    };
    finish(state, token, (l, &user), Action::CardPinUnblock, outcome).await?;
    Ok(ActionDone {
        action: Action::CardPinUnblock,
    })
}
