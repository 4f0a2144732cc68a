//! The rules for a new password and an emergency code, evaluated while the user types by the
//! code the server runs (`ea-core`), with the limits the server sent. So the screen shows the
//! server's own rules and cannot drift from them; the server checks again on submission, and
//! what only it knows (the organisation's display name) comes back then.

use crate::error::Result;
use ea_api::{
    EmergencyCodeLimitsView, IssueEmergencyCodeRequest, LimitViolation, PasswordPolicyView,
    PasswordViolation,
};
use ea_core::emergency::{self, EmergencyCodePolicy};
use ea_core::password::PasswordPolicy;
use zeroize::Zeroizing;

/// Every rule of `policy` that `password` breaks for `username` in the organisation `tenant`.
pub fn password_violations(
    policy: &PasswordPolicyView,
    username: &str,
    tenant: &str,
    password: &str,
) -> Vec<PasswordViolation> {
    let p = PasswordPolicy {
        min_length: policy.min_length,
        max_length: policy.max_length,
        required_classes: policy.required_classes.clone(),
    };
    p.check(password, username, &[tenant])
}

/// Every limit the requested code breaks, at `now`.
pub fn limit_violations(
    limits: &EmergencyCodeLimitsView,
    req: &IssueEmergencyCodeRequest,
    now: i64,
) -> Vec<LimitViolation> {
    let p = EmergencyCodePolicy {
        max_uses: limits.max_uses,
        max_validity_seconds: limits.max_validity_seconds,
        ..EmergencyCodePolicy::default()
    };
    emergency::check_limits(&p, req.max_uses, req.valid_from, req.valid_to, now)
        .err()
        .unwrap_or_default()
}

/// The password rules the typed password breaks (nothing is logged or kept).
#[tauri::command]
pub fn check_password(
    policy: PasswordPolicyView,
    username: String,
    tenant: String,
    new_password: String,
) -> Result<Vec<PasswordViolation>> {
    let password = Zeroizing::new(new_password);
    Ok(password_violations(&policy, &username, &tenant, &password))
}

/// The limits the emergency-code form breaks.
#[tauri::command]
pub fn check_emergency_code(
    limits: EmergencyCodeLimitsView,
    max_uses: Option<u32>,
    valid_from: Option<i64>,
    valid_to: Option<i64>,
) -> Result<Vec<LimitViolation>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let req = IssueEmergencyCodeRequest {
        max_uses,
        valid_from,
        valid_to,
    };
    Ok(limit_violations(&limits, &req, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ea_api::CharClass;

    fn policy() -> PasswordPolicyView {
        PasswordPolicyView {
            min_length: 12,
            max_length: 128,
            required_classes: vec![CharClass::Digit],
            forbids_username: true,
            forbids_common: true,
        }
    }

    #[test]
    fn the_servers_password_rules_run_here_too() {
        let v = |pw: &str| password_violations(&policy(), "alice.smith", "acme", pw);
        assert_eq!(
            v("short"),
            vec![PasswordViolation::TooShort, PasswordViolation::MissingDigit]
        );
        // A part of the username counts, as on the server (the screen used to miss it).
        assert_eq!(
            v("smith-is-my-name-7"),
            vec![PasswordViolation::ContainsUsername]
        );
        assert_eq!(
            v("working at acme 77"),
            vec![PasswordViolation::ContainsTenantName]
        );
        assert_eq!(v("1qaz2wsx3edc"), vec![PasswordViolation::Common]);
        assert!(v("violet staple orbit 7").is_empty());
    }

    #[test]
    fn emergency_limits_are_the_servers() {
        let limits = EmergencyCodeLimitsView {
            length: 10,
            max_uses: 10,
            max_validity_seconds: 86_400,
        };
        let now = 1_800_000_000;
        let req = |max_uses, valid_from, valid_to| IssueEmergencyCodeRequest {
            max_uses,
            valid_from,
            valid_to,
        };
        assert_eq!(
            limit_violations(&limits, &req(None, None, None), now),
            vec![LimitViolation::Unlimited]
        );
        assert_eq!(
            limit_violations(&limits, &req(Some(11), None, None), now),
            vec![LimitViolation::UsesOutOfRange]
        );
        assert_eq!(
            limit_violations(&limits, &req(None, Some(now + 10), Some(now + 5)), now),
            vec![LimitViolation::EndsBeforeStart]
        );
        assert_eq!(
            limit_violations(&limits, &req(None, None, Some(now + 2 * 86_400)), now),
            vec![LimitViolation::WindowTooLong]
        );
        assert!(limit_violations(&limits, &req(Some(3), None, None), now).is_empty());
    }
}
