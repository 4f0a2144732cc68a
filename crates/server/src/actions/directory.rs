//! Actions on the user's account in the directory: a new password, the lockout cleared.

use super::{Notice, Outcome, claim, finish, precheck, verified};
use crate::directory::DirectoryError;
use crate::error::ServiceResult;
use crate::state::AppState;
use crate::token::SessionToken;
use crate::verification;
use ea_api::{ActionDone, ErrorCode, PasswordPolicyView, limits};
use ea_core::Action;
use serde_json::json;
use zeroize::Zeroizing;

/// The tenant's password rules.
pub async fn password_policy(
    state: &AppState,
    token: &SessionToken,
) -> ServiceResult<PasswordPolicyView> {
    let l = verification::load(state, token).await?;
    let p = &l.tenant.password_policy;
    Ok(PasswordPolicyView {
        min_length: p.min_length,
        max_length: p.max_length,
        required_classes: p.required_classes.clone(),
        forbids_username: true,
        forbids_common: true,
    })
}

/// Sets a new password in the directory, after the tenant's rules accept it.
pub async fn reset_password(
    state: &AppState,
    token: &SessionToken,
    password: Zeroizing<String>,
) -> ServiceResult<ActionDone> {
    if password.chars().count() > limits::PASSWORD {
        return Err(ErrorCode::invalid_field(
            "new_password",
            ea_api::FieldProblem::TooLong,
            Some(limits::PASSWORD),
        )
        .into());
    }
    let (l, user) = verified(state, token).await?;
    precheck(state, &l, Action::ResetPassword, state.now())?;
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
    let (l, user) = claim(state, token, (l, user), Action::ResetPassword, None).await?;
    let outcome = state
        .directory
        .set_password(&l.tenant, &user, &password)
        .await;
    crate::faults::point("directory_written").await;
    end(
        state,
        token,
        (l, &user),
        Action::ResetPassword,
        outcome,
        json!({}),
    )
    .await
}

/// Clears the account's lockout in the directory.
pub async fn unblock_user(state: &AppState, token: &SessionToken) -> ServiceResult<ActionDone> {
    let (l, user) = verified(state, token).await?;
    precheck(state, &l, Action::UnblockUser, state.now())?;
    let (l, user) = claim(state, token, (l, user), Action::UnblockUser, None).await?;
    let detail = json!({ "was_blocked": user.blocked });
    let outcome = state.directory.unblock(&l.tenant, &user).await;
    end(
        state,
        token,
        (l, &user),
        Action::UnblockUser,
        outcome,
        detail,
    )
    .await
}

/// Ends a directory action: on success the claim is spent and the user notified; on failure it
/// is released (so the user can try again) and the directory's trouble reported.
async fn end(
    state: &AppState,
    token: &SessionToken,
    claimed: (verification::Loaded, &ea_store::users::UserRecord),
    action: Action,
    result: Result<(), DirectoryError>,
    detail: serde_json::Value,
) -> ServiceResult<ActionDone> {
    // The tenant's length bounds, told with a directory's refusal (the claim moves on below).
    let policy = &claimed.0.tenant.password_policy;
    let (min_length, max_length) = (policy.min_length, policy.max_length);
    match result {
        Ok(()) => {
            let notice = match action {
                Action::UnblockUser => Notice::AccountUnblocked,
                _ => Notice::PasswordReset,
            };
            let outcome = Outcome {
                succeeded: true,
                notice: Some(notice),
                detail,
            };
            finish(state, token, claimed, action, outcome).await?;
            Ok(ActionDone { action })
        }
        Err(e) => {
            let reason = match &e {
                DirectoryError::Unavailable(_) => "unavailable",
                DirectoryError::NoAccount => "no_account",
                DirectoryError::Refused(_) => "refused",
                DirectoryError::Disabled => "disabled",
            };
            let outcome = Outcome {
                succeeded: false,
                notice: None,
                detail: json!({ "reason": reason, "error": e.to_string() }),
            };
            // Released, not spent: the user can try again in the same verification.
            finish(state, token, claimed, action, outcome).await?;
            Err(match e {
                DirectoryError::Refused(violations) => ErrorCode::PasswordPolicy {
                    violations,
                    min_length,
                    max_length,
                }
                .into(),
                DirectoryError::Disabled => ErrorCode::AccountDisabled {}.into(),
                DirectoryError::Unavailable(_) | DirectoryError::NoAccount => {
                    ErrorCode::DirectoryUnavailable {}.into()
                }
            })
        }
    }
}
