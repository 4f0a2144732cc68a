//! Handlers of the actions a completed verification permits. Input is checked and every
//! refusable condition is tested before the action is claimed, so a refused request changes
//! nothing; [`crate::actions`] does the claim, the work's bookkeeping and the notification.

use super::extract::{JsonBody, SessionToken};
use crate::actions::{claim, finish, notice, notify, shown_notice, verified};
use crate::card_keys;
use crate::error::ServiceError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ea_api::*;
use ea_core::cryptogram::{self, CryptogramError};
use ea_core::emergency;
use ea_store::{audit, cards, emergency as codes};
use serde_json::json;
use zeroize::Zeroizing;

/// Refusals that do not depend on the request body come first: incomplete, not permitted, used.
fn precheck(l: &crate::verification::Loaded, action: Action, now: i64) -> Result<(), ServiceError> {
    let mut probe = l.session.clone();
    probe.begin_action(action, now)?;
    Ok(())
}

/// The tenant's password rules.
#[utoipa::path(get, path = "/v1/session/password-policy", security(("session" = [])),
    responses((status = 200, body = PasswordPolicyView), (status = 401, body = ErrorCode)))]
pub async fn password_policy(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<PasswordPolicyView>, ServiceError> {
    let l = crate::verification::load(&state, &token).await?;
    let p = &l.tenant.password_policy;
    Ok(Json(PasswordPolicyView {
        min_length: p.min_length,
        max_length: p.max_length,
        required_classes: p.required_classes.clone(),
        forbids_username: true,
        forbids_common: true,
    }))
}

/// Set a new password in the directory.
#[utoipa::path(post, path = "/v1/session/actions/reset-password", request_body = ResetPasswordRequest, security(("session" = [])),
    responses((status = 200, body = ActionDone), (status = 403, body = ErrorCode), (status = 409, body = ErrorCode), (status = 422, body = ErrorCode)))]
pub async fn reset_password(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<ResetPasswordRequest>,
) -> Result<Json<ActionDone>, ServiceError> {
    let password = Zeroizing::new(req.new_password);
    if password.chars().count() > ea_api::limits::PASSWORD {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            "new_password",
            FieldProblem::TooLong,
            Some(ea_api::limits::PASSWORD),
        )));
    }
    let (l, user) = verified(&state, &token).await?;
    precheck(&l, Action::ResetPassword, state.now())?;
    let policy = &l.tenant.password_policy;
    let violations = policy.check(&password, &user.username, &[&l.tenant.slug, &l.tenant.name]);
    if !violations.is_empty() {
        return Err(ErrorCode::PasswordPolicy {
            violations,
            min_length: policy.min_length,
            max_length: policy.max_length,
        }
        .into());
    }
    let (l, user) = claim(&state, &token, Action::ResetPassword).await?;
    let outcome = state
        .directory
        .set_password(&l.tenant, &user, &password)
        .await;
    finish_directory(
        &state,
        &token,
        &user,
        &l.tenant.name,
        Action::ResetPassword,
        outcome,
        json!({}),
    )
    .await
}

/// Clear the account's lockout in the directory.
#[utoipa::path(post, path = "/v1/session/actions/unblock-user", security(("session" = [])),
    responses((status = 200, body = ActionDone), (status = 403, body = ErrorCode), (status = 409, body = ErrorCode)))]
pub async fn unblock_user(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<ActionDone>, ServiceError> {
    let (l, _) = verified(&state, &token).await?;
    precheck(&l, Action::UnblockUser, state.now())?;
    let (l, user) = claim(&state, &token, Action::UnblockUser).await?;
    let was_blocked = user.blocked;
    let outcome = state.directory.unblock(&l.tenant, &user).await;
    let detail = json!({ "was_blocked": was_blocked });
    finish_directory(
        &state,
        &token,
        &user,
        &l.tenant.name,
        Action::UnblockUser,
        outcome,
        detail,
    )
    .await
}

/// Ends a directory action: on success the claim is spent and the user notified; on failure it
/// is released (so the user can try again) and the directory's trouble reported.
async fn finish_directory(
    state: &AppState,
    token: &SessionToken,
    user: &ea_store::users::UserRecord,
    tenant_name: &str,
    action: Action,
    outcome: Result<(), crate::directory::DirectoryError>,
    detail: serde_json::Value,
) -> Result<Json<ActionDone>, ServiceError> {
    match outcome {
        Ok(()) => {
            finish(
                state,
                token,
                user,
                action,
                true,
                Some(notice(action, tenant_name, "")),
                detail,
            )
            .await?;
            Ok(Json(ActionDone { action }))
        }
        Err(e) => {
            finish(
                state,
                token,
                user,
                action,
                false,
                None,
                json!({ "error": e.to_string() }),
            )
            .await?;
            Err(ErrorCode::DirectoryUnavailable {}.into())
        }
    }
}

/// What an emergency code may be limited to.
#[utoipa::path(get, path = "/v1/session/emergency-code-limits", security(("session" = [])),
    responses((status = 200, body = EmergencyCodeLimitsView), (status = 401, body = ErrorCode)))]
pub async fn emergency_code_limits(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<EmergencyCodeLimitsView>, ServiceError> {
    let l = crate::verification::load(&state, &token).await?;
    let p = &l.tenant.emergency_policy;
    Ok(Json(EmergencyCodeLimitsView {
        length: p.length,
        max_uses: p.max_uses,
        max_validity_seconds: p.max_validity_seconds,
    }))
}

/// Issue an emergency access code, shown once.
#[utoipa::path(post, path = "/v1/session/actions/emergency-code", request_body = IssueEmergencyCodeRequest, security(("session" = [])),
    responses((status = 201, body = EmergencyCodeIssued), (status = 403, body = ErrorCode), (status = 409, body = ErrorCode), (status = 422, body = ErrorCode)))]
pub async fn emergency_code(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<IssueEmergencyCodeRequest>,
) -> Result<(StatusCode, Json<EmergencyCodeIssued>), ServiceError> {
    let now = state.now();
    let (l, _) = verified(&state, &token).await?;
    precheck(&l, Action::EmergencyCode, now)?;
    let policy = &l.tenant.emergency_policy;
    let limits = emergency::check_limits(policy, req.max_uses, req.valid_from, req.valid_to, now)
        .map_err(|violations| ErrorCode::EmergencyCodeLimits {
        violations,
        max_uses: policy.max_uses,
        max_validity_seconds: policy.max_validity_seconds,
    })?;
    let (l, user) = claim(&state, &token, Action::EmergencyCode).await?;
    let code = l.tenant.emergency_policy.generate(&mut rand::rng());
    let hash = emergency::hash(
        state.keys.code_key.as_ref(),
        &l.tenant.slug,
        &user.username,
        &code,
    );
    let new = codes::NewCode {
        tenant_id: l.tenant.id,
        user_id: user.id,
        code_hash: hash,
        limits,
    };
    match codes::insert(state.store.db(), new, now).await {
        Ok(id) => {
            let until = limits
                .valid_to
                .map(|t| format!("valid until {} UTC", utc(t)))
                .unwrap_or_default();
            let uses = limits
                .max_uses
                .map(|u| format!("{u} use(s)"))
                .unwrap_or_default();
            let summary = [uses, until]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let detail = json!({ "code_id": id, "max_uses": limits.max_uses, "valid_from": limits.valid_from, "valid_to": limits.valid_to });
            finish(
                &state,
                &token,
                &user,
                Action::EmergencyCode,
                true,
                Some(notice(Action::EmergencyCode, &l.tenant.name, &summary)),
                detail,
            )
            .await?;
            let display = emergency::display(&code);
            Ok((
                StatusCode::CREATED,
                Json(EmergencyCodeIssued {
                    code: code.to_string(),
                    display,
                    max_uses: limits.max_uses,
                    valid_from: limits.valid_from,
                    valid_to: limits.valid_to,
                }),
            ))
        }
        Err(e) => {
            finish(
                &state,
                &token,
                &user,
                Action::EmergencyCode,
                false,
                None,
                json!({}),
            )
            .await?;
            Err(e.into())
        }
    }
}

/// `YYYY-MM-DD HH:MM` in UTC, for messages (the `time` crate's calendar).
pub fn utc(t: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&format).ok())
        .unwrap_or_else(|| format!("{t} (Unix time)"))
}

fn parse_hex(field: &'static str, value: &str, max: usize) -> Result<Vec<u8>, ServiceError> {
    let v: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if v.len() > max {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            field,
            FieldProblem::TooLong,
            Some(max),
        )));
    }
    if v.is_empty() {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            field,
            FieldProblem::NotHex,
            None,
        )));
    }
    hex::decode(&v).map_err(|_| {
        ServiceError::from(ErrorCode::invalid_field(field, FieldProblem::NotHex, None))
    })
}

fn card_unknown() -> ServiceError {
    ErrorCode::CardUnknown {}.into()
}

/// The response for the user's own card and current challenge.
#[utoipa::path(post, path = "/v1/session/actions/card-cryptogram", request_body = CardCryptogramRequest, security(("session" = [])),
    responses((status = 200, body = CardCryptogram), (status = 404, body = ErrorCode), (status = 409, body = ErrorCode), (status = 422, body = ErrorCode)))]
pub async fn card_cryptogram(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<CardCryptogramRequest>,
) -> Result<Json<CardCryptogram>, ServiceError> {
    let serial = hex::encode_upper(parse_hex(
        "serial",
        &req.serial,
        ea_api::limits::SERIAL_HEX,
    )?);
    let challenge = parse_hex("challenge", &req.challenge, 32)?;
    if let Some(n) = req.new_pin_length
        && !(4..=16).contains(&n)
    {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            "new_pin_length",
            FieldProblem::OutOfRange,
            Some(16),
        )));
    }
    let now = state.now();
    let (l, user) = verified(&state, &token).await?;
    precheck(&l, Action::CardPinUnblock, now)?;
    let card = cards::find(state.store.db(), l.tenant.id, &serial)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or_else(card_unknown)?;
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
    let (l, user) = claim(&state, &token, Action::CardPinUnblock).await?;
    let key = match card_keys::provider_for(&card.key_source, &state.keys.kek) {
        Ok(p) => p.admin_key(&l.tenant, &card).await,
        Err(e) => Err(e),
    };
    let result = key.map_err(|e| e.to_string()).and_then(|k| {
        cryptogram::compute(alg, &k, &challenge).map_err(|e: CryptogramError| e.to_string())
    });
    match result {
        Ok(c) => {
            // What was issued and where it went, never its value.
            let on_screen = req.delivery == Some(CardDelivery::Screen);
            let (event, delivery) = match req.delivery.unwrap_or(CardDelivery::Card) {
                CardDelivery::Card => ("card_cryptogram_issued", "card"),
                CardDelivery::Screen => ("card_cryptogram_shown", "screen"),
            };
            let ev = audit::AuditEvent {
                tenant_id: Some(l.tenant.id),
                event: event.into(),
                username: Some(user.username.clone()),
                session_ref: Some(token.reference()),
                detail: json!({ "serial": serial, "algorithm": alg.as_str(), "new_pin_length": req.new_pin_length, "delivery": delivery }),
            };
            let txn = state.store.begin().await?;
            audit::record(&txn, ev, now).await?;
            // Shown on screen, the response is out of our hands once sent: tell the user now,
            // not when (or whether) the desktop reports what the card said.
            let queued = if on_screen {
                let tail = &serial[serial.len().saturating_sub(4)..];
                let text = shown_notice(&l.tenant.name, tail);
                notify(&state, &txn, &l.tenant, &user, &text, now).await?
            } else {
                false
            };
            txn.commit().await.map_err(ea_store::StoreError::from)?;
            if queued {
                state.outbox_ready.notify_one();
            }
            Ok(Json(CardCryptogram {
                cryptogram: hex::encode_upper(c.as_slice()),
                algorithm: alg,
                checksum: cryptogram::checksum(&c),
            }))
        }
        Err(reason) => {
            finish(
                &state,
                &token,
                &user,
                Action::CardPinUnblock,
                false,
                None,
                json!({ "serial": serial, "error": reason }),
            )
            .await?;
            Err(ErrorCode::CardKeyUnavailable {}.into())
        }
    }
}

/// Record what the card answered to the cryptogram and the new PIN.
#[utoipa::path(post, path = "/v1/session/actions/card-result", request_body = CardResultRequest, security(("session" = [])),
    responses((status = 200, body = ActionDone), (status = 404, body = ErrorCode), (status = 409, body = ErrorCode)))]
pub async fn card_result(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<CardResultRequest>,
) -> Result<Json<ActionDone>, ServiceError> {
    let serial = hex::encode_upper(parse_hex(
        "serial",
        &req.serial,
        ea_api::limits::SERIAL_HEX,
    )?);
    let (l, user) = verified(&state, &token).await?;
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
    cards::find(state.store.db(), l.tenant.id, &serial)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or_else(card_unknown)?;
    let ok = req.outcome == CardOutcome::Unblocked;
    let tail = &serial[serial.len().saturating_sub(4)..];
    let note = notice(
        Action::CardPinUnblock,
        &l.tenant.name,
        &format!("ending in {tail}"),
    );
    finish(
        &state,
        &token,
        &user,
        Action::CardPinUnblock,
        ok,
        Some(note),
        json!({ "serial": serial, "card_outcome": req.outcome, "tries_left": req.tries_left }),
    )
    .await?;
    Ok(Json(ActionDone {
        action: Action::CardPinUnblock,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_civil_time() {
        assert_eq!(super::utc(0), "1970-01-01 00:00");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00");
        assert_eq!(super::utc(1_800_000_000), "2027-01-15 08:00");
        assert_eq!(super::utc(-86_400), "1969-12-31 00:00");
        assert_eq!(super::utc(i64::MAX), format!("{} (Unix time)", i64::MAX));
    }
}
