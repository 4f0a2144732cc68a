//! A tenant's abuse limits. How many codes its users may be sent, counted across sessions, so
//! that opening a new session never sends more (SMS pumping), in a sliding hour; how many
//! sessions and verifying requests one username may see, and how many emergency-code validations
//! one user and one relying party may ask for, in fixed windows.

use serde::{Deserialize, Serialize};

/// Codes sent (SMS and email) per hour, per dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SendLimits {
    /// To one phone number or address.
    pub per_destination_per_hour: u32,
    /// To all of one user's contacts together.
    pub per_user_per_hour: u32,
    /// To everybody of the tenant together.
    pub per_tenant_per_hour: u32,
}

impl Default for SendLimits {
    fn default() -> Self {
        SendLimits {
            per_destination_per_hour: 5,
            per_user_per_hour: 10,
            per_tenant_per_hour: 1000,
        }
    }
}

/// Requests per username (known or not), counted across sessions and server instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestLimits {
    /// Sessions started for one username per hour.
    pub starts_per_user_per_hour: u32,
    /// Verifying requests (codes, answers, authenticator codes, contact entries) for one
    /// username per hour.
    pub verifying_per_user_per_hour: u32,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            starts_per_user_per_hour: 30,
            verifying_per_user_per_hour: 100,
        }
    }
}

/// Emergency-code validations by relying parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationLimits {
    /// Validations for one username per hour.
    pub per_user_per_hour: u32,
    /// Validations by one relying party per minute.
    pub per_relying_party_per_minute: u32,
    /// Wrong codes for one username (per client, when the relying party names it; the whole
    /// username may take four times as many) before its validations answer `locked`.
    pub failures_per_user: u32,
    /// The window wrong codes are counted in, aligned to the clock: `locked` lasts until it ends.
    pub lock_minutes: u32,
}

impl Default for ValidationLimits {
    fn default() -> Self {
        ValidationLimits {
            per_user_per_hour: 30,
            per_relying_party_per_minute: 600,
            failures_per_user: 5,
            lock_minutes: 15,
        }
    }
}

/// A tenant's abuse settings, stored together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantLimits {
    pub send: SendLimits,
    pub requests: RequestLimits,
    pub validation: ValidationLimits,
    /// Whether flows may permit resetting the password or issuing an emergency code after only a
    /// code by SMS, or only a code by e-mail (one channel an attacker may control).
    pub allow_weak_flows: bool,
}

/// A flow that permits a password reset or an emergency code after codes of one channel only.
pub fn is_weak(flow: &crate::FlowDefinition) -> bool {
    use crate::{Action, Method};
    let strong_action = flow.actions.iter().any(|a| {
        matches!(
            a,
            Action::ResetPassword | Action::EmergencyCode | Action::ManageRecovery
        )
    });
    let methods: Vec<Method> = flow.steps.iter().map(|s| s.method()).collect();
    let one_channel = !methods.is_empty()
        && (methods.iter().all(|m| *m == Method::SmsOtp)
            || methods.iter().all(|m| *m == Method::EmailOtp));
    strong_action && one_channel
}

/// The window every limit counts in, in seconds.
pub const WINDOW_SECONDS: i64 = 3600;

impl SendLimits {
    /// Checks the limits themselves (an administrator's settings).
    pub fn validate(&self) -> Result<(), String> {
        if self.per_destination_per_hour == 0
            || self.per_user_per_hour == 0
            || self.per_tenant_per_hour == 0
        {
            return Err("every send limit must be at least 1 per hour".into());
        }
        if self.per_destination_per_hour > self.per_user_per_hour
            || self.per_user_per_hour > self.per_tenant_per_hour
        {
            return Err("send limits must grow from destination to user to tenant".into());
        }
        Ok(())
    }
}

impl RequestLimits {
    pub fn validate(&self) -> Result<(), String> {
        if self.starts_per_user_per_hour == 0 || self.verifying_per_user_per_hour == 0 {
            return Err("every request limit must be at least 1 per hour".into());
        }
        Ok(())
    }
}

impl ValidationLimits {
    pub fn validate(&self) -> Result<(), String> {
        if self.per_user_per_hour == 0
            || self.per_relying_party_per_minute == 0
            || self.failures_per_user == 0
        {
            return Err("every validation limit must be at least 1".into());
        }
        if self.lock_minutes == 0 || self.lock_minutes > 24 * 60 {
            return Err("lock_minutes must be between 1 and 1440".into());
        }
        Ok(())
    }
}

/// Codes already sent in the window on one dimension: how many, and when the oldest was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub count: u64,
    pub oldest: Option<i64>,
}

/// Whether one more code may be sent; `Err(seconds)` until the window has room again.
pub fn check(limit: u32, sent: Sent, now: i64) -> Result<(), i64> {
    if sent.count < u64::from(limit) {
        return Ok(());
    }
    let free_at = sent.oldest.unwrap_or(now).saturating_add(WINDOW_SECONDS);
    Err((free_at - now).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_says_when_it_has_room() {
        let sent = |count, oldest| Sent { count, oldest };
        assert_eq!(check(5, sent(4, Some(100)), 200), Ok(()));
        assert_eq!(check(5, sent(5, Some(100)), 200), Err(3500));
        assert_eq!(check(5, sent(9, Some(100)), 3699), Err(1));
        assert!(SendLimits::default().validate().is_ok());
        let bad = SendLimits {
            per_destination_per_hour: 20,
            ..SendLimits::default()
        };
        assert!(bad.validate().is_err());
        assert!(
            SendLimits {
                per_tenant_per_hour: 0,
                ..SendLimits::default()
            }
            .validate()
            .is_err()
        );
    }
}
