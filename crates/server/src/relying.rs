//! Emergency-code validation for relying parties (login pages, token approval): one use is
//! counted per valid presentation, and every validation is audited.

use crate::abuse;
use crate::error::ServiceResult;
use crate::input;
use crate::state::AppState;
use crate::token::RelyingPartyKey;
use ea_api::{
    ErrorCode, FieldProblem, InvalidReason, ValidateCodeRequest, ValidateCodeResponse,
    ValidationResult,
};
use ea_core::emergency::{self, CodeLimits};
use ea_core::limits::ValidationLimits;
use ea_store::counters::Window;
use ea_store::{audit, emergency as codes, users};

fn invalid(reason: InvalidReason) -> ValidateCodeResponse {
    ValidateCodeResponse {
        result: ValidationResult::Invalid,
        uses_left: None,
        reason: Some(reason),
        retry_after: None,
    }
}

/// Wrong codes per username, in windows of the tenant's `lock_minutes`.
fn failures_window(limits: &ValidationLimits) -> Window {
    Window {
        scope: "validation_failures",
        seconds: i64::from(limits.lock_minutes.max(1)) * 60,
    }
}

/// How much more a whole username may take than one client of it, when relying parties say
/// which client asks.
pub const USERNAME_FACTOR: u32 = 4;

/// The counters a validation is charged on, each with its limit: the client's for this username
/// and the username's (`USERNAME_FACTOR` times as much) when the relying party names the client,
/// else the username's alone.
fn budgets(tenant_id: i64, username: &str, client: Option<&str>, limit: u32) -> Vec<(String, u64)> {
    let name = abuse::user_key(tenant_id, username);
    match client {
        Some(c) => {
            // A digest of the pair, as long as any other counter key (the column holds 64).
            let client = abuse::user_key(tenant_id, &format!("{username}\0client:{c}"));
            vec![
                (client, u64::from(limit)),
                (name, u64::from(limit.saturating_mul(USERNAME_FACTOR))),
            ]
        }
        None => vec![(name, u64::from(limit))],
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
    // The end user's address, counted like a client source (IPv6 by its /64), so that rotating
    // its spelling or the low bits of an IPv6 address gives no fresh budget.
    let client = match req.client_address.as_deref() {
        Some(a) => {
            input::text("client_address", a, ea_api::limits::CLIENT_ADDRESS)?;
            let ip: std::net::IpAddr = a.trim().parse().map_err(|_| {
                ErrorCode::invalid_field("client_address", FieldProblem::NotAnAddress, None)
            })?;
            Some(abuse::Source::new(ip).key(state))
        }
        None => None,
    };
    let client = client.as_deref();
    let db = state.store.db();
    let party = codes::relying_party_by_key(db, &rp.hash)
        .await?
        .ok_or(ErrorCode::Unauthorized {})?;
    let tenant = ea_store::tenants::by_id(db, party.tenant_id)
        .await?
        .ok_or(ErrorCode::Unauthorized {})?;
    let username = users::normalize_username(&req.username);
    let now = state.now();
    // Validations are counted per relying party and per username (known or not), across
    // instances; the client source was counted in front of the database.
    let limits = tenant.limits.validation;
    let per_party = [(
        party.id.to_string(),
        u64::from(limits.per_relying_party_per_minute),
    )];
    if let Some(retry_after) =
        abuse::reserve(state, abuse::VALIDATIONS_PARTY, &per_party, now).await?
    {
        return Err(ErrorCode::RateLimited { retry_after }.into());
    }
    let per_hour = budgets(tenant.id, &username, client, limits.per_user_per_hour);
    if let Some(retry_after) =
        abuse::reserve(state, abuse::VALIDATIONS_USER, &per_hour, now).await?
    {
        return Err(ErrorCode::RateLimited { retry_after }.into());
    }
    // A wrong code is counted before it is checked (taken back if the code was right), so that
    // parallel guesses cannot all pass the budget. Over it, no code is checked until the window
    // ends: a guesser learns nothing, and the owner's code works again afterwards.
    let failures = failures_window(&limits);
    let budget = budgets(tenant.id, &username, client, limits.failures_per_user);
    if let Some(wait) = abuse::reserve(state, failures, &budget, now).await? {
        let response = ValidateCodeResponse {
            retry_after: Some(wait),
            ..invalid(InvalidReason::Locked)
        };
        record(state, &tenant, &party.name, &username, &response, None, now).await?;
        return Ok(response);
    }
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
                        retry_after: None,
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
    if response.reason != Some(InvalidReason::Unknown) {
        abuse::release(state, failures, &budget, now).await?;
    }
    record(
        state,
        &tenant,
        &party.name,
        &username,
        &response,
        code_id,
        now,
    )
    .await?;
    Ok(response)
}

async fn record(
    state: &AppState,
    tenant: &ea_store::tenants::Tenant,
    party: &str,
    username: &str,
    response: &ValidateCodeResponse,
    code_id: Option<i64>,
    now: i64,
) -> ServiceResult<()> {
    let ev = audit::AuditEvent {
        tenant_id: Some(tenant.id),
        event: "emergency_code_validation".into(),
        username: Some(username.to_owned()),
        session_ref: None,
        detail: serde_json::json!({ "relying_party": party, "result": response.result, "reason": response.reason, "code_id": code_id }),
    };
    audit::record(state.store.db(), ev, now).await?;
    Ok(())
}
