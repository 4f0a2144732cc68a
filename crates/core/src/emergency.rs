//! Emergency access codes: one-time-or-few-times codes a verified user receives to log in or to
//! approve a new token, limited by a number of uses and/or a validity window.
//!
//! Codes are shown once and stored only as a keyed hash bound to tenant and user. A use is
//! counted by the store with a conditional update, so N uses give exactly N successes.

use crate::UnixSeconds;
use crate::contact::keyed_digest;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Letters and digits that cannot be confused when read aloud or typed (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
pub const UNAMBIGUOUS: &str = "34679ACDEFGHJKMNPQRTUVWXY";

/// A tenant's settings for emergency codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmergencyCodePolicy {
    pub length: u32,
    pub alphabet: String,
    /// Most uses a code may have.
    pub max_uses: u32,
    /// Longest validity window (from issue or `valid_from` to `valid_to`).
    pub max_validity_seconds: i64,
}

impl Default for EmergencyCodePolicy {
    fn default() -> Self {
        EmergencyCodePolicy {
            length: 10,
            alphabet: UNAMBIGUOUS.to_owned(),
            max_uses: 10,
            max_validity_seconds: 30 * 86_400,
        }
    }
}

impl EmergencyCodePolicy {
    pub fn validate(&self) -> Result<(), String> {
        let distinct: std::collections::BTreeSet<char> = self.alphabet.chars().collect();
        if distinct.len() != self.alphabet.chars().count() || distinct.len() < 10 {
            return Err("alphabet must hold at least 10 distinct characters".into());
        }
        if !self
            .alphabet
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err("alphabet may hold only A-Z and 0-9".into());
        }
        // At least 40 bits: length * log2(alphabet) >= 40.
        if f64::from(self.length) * (distinct.len() as f64).log2() < 40.0 || self.length > 32 {
            return Err("length must give at least 40 bits and be at most 32".into());
        }
        if self.max_uses == 0 || self.max_uses > 1000 {
            return Err("max_uses must be between 1 and 1000".into());
        }
        if self.max_validity_seconds < 3600 || self.max_validity_seconds > 366 * 86_400 {
            return Err("max_validity_seconds must be between one hour and a year".into());
        }
        Ok(())
    }

    /// A fresh code, uniformly drawn from the alphabet.
    pub fn generate(&self, rng: &mut dyn RngCore) -> Zeroizing<String> {
        let alphabet: Vec<char> = self.alphabet.chars().collect();
        let n = alphabet.len() as u32;
        let limit = 256 - 256 % n;
        let mut code = Zeroizing::new(String::new());
        while code.chars().count() < self.length as usize {
            let b = rng.next_u32() & 0xff;
            if b < limit {
                code.push(alphabet[(b % n) as usize]);
            }
        }
        code
    }
}

/// What a code may do, as requested by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeLimits {
    pub max_uses: Option<u32>,
    pub valid_from: UnixSeconds,
    pub valid_to: Option<UnixSeconds>,
}

pub use ea_api::{InvalidReason, LimitViolation};

/// Checks requested limits against the policy; `valid_from` defaults to now.
pub fn check_limits(
    policy: &EmergencyCodePolicy,
    max_uses: Option<u32>,
    valid_from: Option<UnixSeconds>,
    valid_to: Option<UnixSeconds>,
    now: UnixSeconds,
) -> Result<CodeLimits, Vec<LimitViolation>> {
    let mut v = Vec::new();
    let from = valid_from.unwrap_or(now);
    if max_uses.is_none() && valid_to.is_none() {
        v.push(LimitViolation::Unlimited);
    }
    if max_uses.is_some_and(|u| u == 0 || u > policy.max_uses) {
        v.push(LimitViolation::UsesOutOfRange);
    }
    // A minute of grace for clocks that differ a little between client and server. The dates
    // come from the client: every sum and difference saturates instead of overflowing.
    if from < now.saturating_sub(60) {
        v.push(LimitViolation::StartsInThePast);
    }
    if valid_to.is_some_and(|to| to <= from) {
        v.push(LimitViolation::EndsBeforeStart);
    }
    let end = valid_to.unwrap_or(from.saturating_add(policy.max_validity_seconds));
    if end.saturating_sub(from) > policy.max_validity_seconds
        || from.saturating_sub(now) > policy.max_validity_seconds
    {
        v.push(LimitViolation::WindowTooLong);
    }
    if v.is_empty() {
        // A code limited only by uses still expires at the tenant's maximum.
        Ok(CodeLimits {
            max_uses,
            valid_from: from,
            valid_to: Some(end),
        })
    } else {
        Err(v)
    }
}

/// Codes are compared upper-cased without spaces or dashes, as people type them.
pub fn normalize(code: &str) -> Zeroizing<String> {
    Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect(),
    )
}

/// The stored form of a code: keyed hash bound to tenant and user, hex.
pub fn hash(key: &[u8], tenant: &str, username: &str, code: &str) -> String {
    let d = keyed_digest(key, &["emergency-code", tenant, username, &normalize(code)]);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hashes_equal(a: &str, b: &str) -> bool {
    crate::ct::equal_str(a, b)
}

/// Why a presented code does not work now (the use itself is counted by the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    Usable,
    NotYetValid,
    Expired,
    UsedUp,
    Revoked,
}

impl CodeState {
    /// Why a code in this state is refused; `None` when it is usable.
    pub fn reason(self) -> Option<InvalidReason> {
        match self {
            CodeState::Usable => None,
            CodeState::NotYetValid => Some(InvalidReason::NotYetValid),
            CodeState::Expired => Some(InvalidReason::Expired),
            CodeState::UsedUp => Some(InvalidReason::UsedUp),
            CodeState::Revoked => Some(InvalidReason::Revoked),
        }
    }

    /// `valid`, or the reason it is not, for listings.
    pub fn as_str(self) -> &'static str {
        self.reason().map_or("valid", InvalidReason::as_str)
    }
}

/// The state of a stored code at `now`: valid from `valid_from` (inclusive) to `valid_to` (exclusive).
pub fn state(
    limits: &CodeLimits,
    uses_left: Option<u32>,
    revoked: bool,
    now: UnixSeconds,
) -> CodeState {
    if revoked {
        CodeState::Revoked
    } else if now < limits.valid_from {
        CodeState::NotYetValid
    } else if limits.valid_to.is_some_and(|to| now >= to) {
        CodeState::Expired
    } else if uses_left == Some(0) {
        CodeState::UsedUp
    } else {
        CodeState::Usable
    }
}

/// Groups a code for display: `ABCDE-FGHJK`.
pub fn display(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn codes_use_the_alphabet_and_length() {
        let p = EmergencyCodePolicy::default();
        assert!(p.validate().is_ok());
        let mut rng = StdRng::seed_from_u64(1);
        let c = p.generate(&mut rng);
        assert_eq!(c.len(), 10);
        assert!(c.chars().all(|ch| UNAMBIGUOUS.contains(ch)));
        for bad in ['0', 'O', '1', 'I', 'L', '2', 'Z', '5', 'S', '8', 'B'] {
            assert!(!UNAMBIGUOUS.contains(bad), "{bad}");
        }
        assert_eq!(display("ABCDEFGHJK"), "ABCDE-FGHJK");
    }

    #[test]
    fn policy_validation_refuses_weak_settings() {
        let weak = EmergencyCodePolicy {
            length: 6,
            ..Default::default()
        };
        assert!(weak.validate().is_err());
        let dup = EmergencyCodePolicy {
            alphabet: "AABCDEFGHJK".into(),
            ..Default::default()
        };
        assert!(dup.validate().is_err());
    }

    #[test]
    fn extreme_dates_are_refused_without_overflow() {
        let p = EmergencyCodePolicy::default();
        for (from, to) in [
            (Some(i64::MAX), None),
            (Some(i64::MIN), Some(i64::MAX)),
            (None, Some(i64::MAX)),
            (Some(i64::MAX), Some(i64::MIN)),
        ] {
            let r = check_limits(&p, Some(1), from, to, NOW);
            assert!(r.is_err(), "{from:?}..{to:?}: {r:?}");
        }
        assert!(check_limits(&p, Some(1), None, None, i64::MIN).is_ok());
        assert!(check_limits(&p, Some(1), None, None, i64::MAX).is_ok());
    }

    #[test]
    fn limits_table() {
        let p = EmergencyCodePolicy::default();
        let day = 86_400;
        assert_eq!(
            check_limits(&p, Some(3), None, None, NOW),
            Ok(CodeLimits {
                max_uses: Some(3),
                valid_from: NOW,
                valid_to: Some(NOW + 30 * day)
            })
        );
        assert_eq!(
            check_limits(&p, None, Some(NOW + day), Some(NOW + 2 * day), NOW),
            Ok(CodeLimits {
                max_uses: None,
                valid_from: NOW + day,
                valid_to: Some(NOW + 2 * day)
            })
        );
        type Case<'a> = (Option<u32>, Option<i64>, Option<i64>, &'a [LimitViolation]);
        let bad: &[Case] = &[
            (None, None, None, &[LimitViolation::Unlimited]),
            (Some(0), None, None, &[LimitViolation::UsesOutOfRange]),
            (Some(11), None, None, &[LimitViolation::UsesOutOfRange]),
            (
                Some(1),
                Some(NOW - 3600),
                None,
                &[LimitViolation::StartsInThePast],
            ),
            (
                Some(1),
                Some(NOW + day),
                Some(NOW + day),
                &[LimitViolation::EndsBeforeStart],
            ),
            (
                None,
                None,
                Some(NOW + 31 * day),
                &[LimitViolation::WindowTooLong],
            ),
            (
                Some(0),
                Some(NOW - 3600),
                Some(NOW - 7200),
                &[
                    LimitViolation::UsesOutOfRange,
                    LimitViolation::StartsInThePast,
                    LimitViolation::EndsBeforeStart,
                ],
            ),
        ];
        for (uses, from, to, want) in bad {
            assert_eq!(
                check_limits(&p, *uses, *from, *to, NOW),
                Err(want.to_vec()),
                "{uses:?} {from:?} {to:?}"
            );
        }
    }

    #[test]
    fn window_is_inclusive_start_exclusive_end() {
        let l = CodeLimits {
            max_uses: Some(2),
            valid_from: NOW,
            valid_to: Some(NOW + 100),
        };
        assert_eq!(state(&l, Some(2), false, NOW - 1), CodeState::NotYetValid);
        assert_eq!(state(&l, Some(2), false, NOW), CodeState::Usable);
        assert_eq!(state(&l, Some(2), false, NOW + 99), CodeState::Usable);
        assert_eq!(state(&l, Some(2), false, NOW + 100), CodeState::Expired);
        assert_eq!(state(&l, Some(0), false, NOW), CodeState::UsedUp);
        assert_eq!(state(&l, Some(2), true, NOW), CodeState::Revoked);
    }

    #[test]
    fn hash_is_bound_and_forgiving_of_format() {
        let h = hash(b"k", "acme", "alice", "ABCDE-FGHJK");
        assert!(hashes_equal(
            &h,
            &hash(b"k", "acme", "alice", "abcde fghjk")
        ));
        assert!(!hashes_equal(&h, &hash(b"k", "acme", "bob", "ABCDEFGHJK")));
        assert!(!hashes_equal(
            &h,
            &hash(b"k", "other", "alice", "ABCDEFGHJK")
        ));
    }
}
