//! How many codes a tenant's users may be sent, counted across sessions: opening a new session
//! never sends more (SMS pumping). Each window is one hour, sliding.

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

/// A tenant's abuse settings, stored together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantLimits {
    pub send: SendLimits,
    /// Whether flows may permit resetting the password or issuing an emergency code after only a
    /// code by SMS, or only a code by e-mail (one channel an attacker may control).
    pub allow_weak_flows: bool,
}

/// A flow that permits a password reset or an emergency code after codes of one channel only.
pub fn is_weak(flow: &crate::FlowDefinition) -> bool {
    use crate::{Action, Method};
    let strong_action = flow
        .actions
        .iter()
        .any(|a| matches!(a, Action::ResetPassword | Action::EmergencyCode));
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
