//! Emergency access codes: limited by uses and dates, shown once, stored as a keyed hash.

use super::{Notice, Outcome, claim, finish, precheck, verified};
use crate::error::ServiceResult;
use crate::state::AppState;
use crate::token::SessionToken;
use crate::verification;
use ea_api::{EmergencyCodeIssued, EmergencyCodeLimitsView, ErrorCode, IssueEmergencyCodeRequest};
use ea_core::Action;
use ea_core::emergency;
use ea_store::emergency as codes;
use serde_json::json;

/// What an emergency code may be limited to.
pub async fn limits(
    state: &AppState,
    token: &SessionToken,
) -> ServiceResult<EmergencyCodeLimitsView> {
    let l = verification::load(state, token).await?;
    let p = &l.tenant.emergency_policy;
    Ok(EmergencyCodeLimitsView {
        length: p.length,
        max_uses: p.max_uses,
        max_validity_seconds: p.max_validity_seconds,
    })
}

/// Issues a code within the tenant's limits; its value is returned once and never stored.
pub async fn issue(
    state: &AppState,
    token: &SessionToken,
    req: IssueEmergencyCodeRequest,
) -> ServiceResult<EmergencyCodeIssued> {
    let now = state.now();
    let (l, user) = verified(state, token).await?;
    precheck(state, &l, Action::EmergencyCode, now)?;
    let policy = &l.tenant.emergency_policy;
    let limits = emergency::check_limits(policy, req.max_uses, req.valid_from, req.valid_to, now)
        .map_err(|violations| ErrorCode::EmergencyCodeLimits {
        violations,
        max_uses: policy.max_uses,
        max_validity_seconds: policy.max_validity_seconds,
    })?;
    let (l, user) = claim(state, token, (l, user), Action::EmergencyCode, None).await?;
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
            let outcome = Outcome {
                succeeded: true,
                notice: Some(Notice::EmergencyCode {
                    uses: limits.max_uses,
                    until: limits.valid_to.map(crate::clock::utc),
                }),
                detail: json!({ "code_id": id, "max_uses": limits.max_uses, "valid_from": limits.valid_from, "valid_to": limits.valid_to }),
            };
            let tenant_id = l.tenant.id;
            if let Err(e) = finish(state, token, (l, &user), Action::EmergencyCode, outcome).await {
                // Never shown: the code must not stay valid (its claim was taken over, or the
                // session could not be saved).
                codes::revoke(state.store.db(), tenant_id, id, state.now()).await?;
                return Err(e);
            }
            Ok(EmergencyCodeIssued {
                display: emergency::display(&code),
                code: code.to_string(),
                max_uses: limits.max_uses,
                valid_from: limits.valid_from,
                valid_to: limits.valid_to,
            })
        }
        Err(e) => {
            let outcome = Outcome {
                succeeded: false,
                notice: None,
                detail: json!({}),
            };
            finish(state, token, (l, &user), Action::EmergencyCode, outcome).await?;
            Err(e.into())
        }
    }
}
