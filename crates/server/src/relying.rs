//! Emergency-code validation for relying parties (login pages, token approval): one use is
//! counted per valid presentation, and every validation is audited.

use crate::error::ServiceResult;
use crate::input;
use crate::state::AppState;
use crate::token::RelyingPartyKey;
use ea_api::{
    ErrorCode, InvalidReason, ValidateCodeRequest, ValidateCodeResponse, ValidationResult,
};
use ea_core::emergency::{self, CodeLimits};
use ea_store::{audit, emergency as codes, users};

fn invalid(reason: InvalidReason) -> ValidateCodeResponse {
    ValidateCodeResponse {
        result: ValidationResult::Invalid,
        uses_left: None,
        reason: Some(reason),
    }
}

/// Validates `req.code` for `req.username` in the relying party's tenant and counts one use.
pub async fn validate(
    state: &AppState,
    rp: &RelyingPartyKey,
    req: ValidateCodeRequest,
) -> ServiceResult<ValidateCodeResponse> {
    input::text("username", &req.username, ea_api::limits::USERNAME)?;
    input::text("code", &req.code, ea_api::limits::EMERGENCY_CODE)?;
    let db = state.store.db();
    let party = codes::relying_party_by_key(db, &rp.hash)
        .await?
        .ok_or(ErrorCode::Unauthorized {})?;
    let tenant = ea_store::tenants::by_id(db, party.tenant_id)
        .await?
        .ok_or(ErrorCode::Unauthorized {})?;
    let username = users::normalize_username(&req.username);
    let now = state.now();
    let hash = emergency::hash(
        state.keys.code_key.as_ref(),
        &tenant.slug,
        &username,
        &req.code,
    );
    let row = codes::find_by_hash(db, tenant.id, &hash).await?;
    // The account is checked at every validation: a disabled user's codes do not work, even one
    // issued before the account was disabled (disabling also revokes them).
    let owner_disabled = match &row {
        Some(c) => users::find_by_id(db, c.user_id)
            .await?
            .is_none_or(|u| u.disabled),
        None => false,
    };
    let (response, code_id) = match row {
        None => (invalid(InvalidReason::Unknown), None),
        Some(c) if owner_disabled => (invalid(InvalidReason::Revoked), Some(c.id)),
        Some(c) => {
            if codes::consume(db, c.id, now).await? {
                let left = c.uses_left.map(|u| (u - 1).max(0) as u32);
                (
                    ValidateCodeResponse {
                        result: ValidationResult::Valid,
                        uses_left: left,
                        reason: None,
                    },
                    Some(c.id),
                )
            } else {
                // Re-read: another validation may have used the last use in between.
                let fresh = codes::get(db, c.id).await?.unwrap_or(c);
                let limits = CodeLimits {
                    max_uses: fresh.max_uses.map(|u| u as u32),
                    valid_from: fresh.valid_from,
                    valid_to: fresh.valid_to,
                };
                let st = emergency::state(
                    &limits,
                    fresh.uses_left.map(|u| u.max(0) as u32),
                    fresh.revoked_at.is_some(),
                    now,
                );
                // Usable yet not consumed: another validation took the last use in between.
                let reason = st.reason().unwrap_or(InvalidReason::UsedUp);
                (invalid(reason), Some(fresh.id))
            }
        }
    };
    let ev = audit::AuditEvent {
        tenant_id: Some(tenant.id),
        event: "emergency_code_validation".into(),
        username: Some(username),
        session_ref: None,
        detail: serde_json::json!({ "relying_party": party.name, "result": response.result, "reason": response.reason, "code_id": code_id }),
    };
    audit::record(db, ev, now).await?;
    Ok(response)
}
