//! Account-wide failure counting and temporary lockout.
//!
//! The counter belongs to the account (tenant + username, whether or not the user exists), not
//! to a session or a code: asking for a new code or starting a new session does not reset it.
//! Reaching the limit locks the account for a while, and each lockout doubles the next wait.

use crate::UnixSeconds;
use crate::error::seconds_until;
use serde::{Deserialize, Serialize};

/// A tenant's lockout rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockoutPolicy {
    /// Failed proofs allowed before a lockout.
    pub max_failures: u32,
    /// Length of the first lockout.
    pub base_lock_seconds: i64,
    /// Longest lockout.
    pub max_lock_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            base_lock_seconds: 300,
            max_lock_seconds: 24 * 3600,
        }
    }
}

/// The counters of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountGuard {
    /// Failures since the last lockout or success.
    pub failures: u32,
    /// Lockouts so far; each doubles the next one.
    pub lockouts: u32,
    pub locked_until: Option<UnixSeconds>,
}

impl AccountGuard {
    /// `Some(seconds)` while the account is locked.
    pub fn locked_for(&self, now: UnixSeconds) -> Option<i64> {
        self.locked_until
            .filter(|&until| until > now)
            .map(|until| seconds_until(now, until))
    }

    /// Records a failed proof; returns the lock length if this failure started a lockout.
    pub fn record_failure(&mut self, policy: &LockoutPolicy, now: UnixSeconds) -> Option<i64> {
        self.failures += 1;
        if self.failures < policy.max_failures.max(1) {
            return None;
        }
        let factor = 1i64.checked_shl(self.lockouts.min(30)).unwrap_or(i64::MAX);
        let secs = policy
            .base_lock_seconds
            .saturating_mul(factor)
            .min(policy.max_lock_seconds);
        self.failures = 0;
        self.lockouts = self.lockouts.saturating_add(1);
        self.locked_until = Some(now + secs);
        Some(secs)
    }

    /// A completed verification clears the counters.
    pub fn record_success(&mut self) {
        *self = AccountGuard::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_with_growing_waits() {
        let policy = LockoutPolicy {
            max_failures: 3,
            base_lock_seconds: 60,
            max_lock_seconds: 200,
        };
        let mut g = AccountGuard::default();
        let mut now = 1000;
        let mut waits = Vec::new();
        for _ in 0..4 {
            assert_eq!(g.record_failure(&policy, now), None);
            assert_eq!(g.record_failure(&policy, now), None);
            let w = g.record_failure(&policy, now).expect("locks");
            assert_eq!(g.locked_for(now), Some(w));
            assert_eq!(g.locked_for(now + w), None);
            waits.push(w);
            now += w;
        }
        assert_eq!(waits, vec![60, 120, 200, 200]);
        g.record_success();
        assert_eq!(g, AccountGuard::default());
    }
}
