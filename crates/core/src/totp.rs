//! RFC 6238 time-based one-time passwords with a replay guard and drift resynchronisation.
//!
//! A code is accepted in the current time step or one step either side (the flow's window).
//! An accepted step is never accepted again. A code that is valid only in a neighbouring step
//! means the authenticator's clock has drifted: the user then proves possession with two
//! consecutive codes, and the offset found is stored and applied from then on.

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroize;

/// The HMAC function of a TOTP enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum TotpAlgorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

/// Parameters of an enrolment (what an `otpauth://` URI carries besides the secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpParams {
    pub algorithm: TotpAlgorithm,
    pub digits: u32,
    pub period: u64,
}

impl Default for TotpParams {
    fn default() -> Self {
        TotpParams {
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

/// How far a resync searches for two consecutive codes, in steps either side.
pub const RESYNC_RANGE: i64 = 10;

/// One enrolment's code generator: totp-rs computes the codes (RFC 6238 over RFC 4226); its copy
/// of the secret is wiped when the generator is dropped.
struct Generator(TOTP);

impl Generator {
    fn new(secret: &[u8], params: TotpParams, issuer: Option<&str>, account: &str) -> Generator {
        let algorithm = match params.algorithm {
            TotpAlgorithm::Sha1 => Algorithm::SHA1,
            TotpAlgorithm::Sha256 => Algorithm::SHA256,
            TotpAlgorithm::Sha512 => Algorithm::SHA512,
        };
        // Unchecked: enrolments imported from other systems may have 80-bit secrets, and the
        // account names here carry the tenant ("acme:alice"). The window is ours (skew unused).
        Generator(TOTP::new_unchecked(
            algorithm,
            params.digits as usize,
            0,
            params.period,
            secret.to_vec(),
            issuer.map(str::to_owned),
            account.to_owned(),
        ))
    }

    fn at_step(&self, step: u64) -> String {
        self.0.generate(step.saturating_mul(self.0.step))
    }
}

impl Drop for Generator {
    fn drop(&mut self) {
        self.0.secret.zeroize();
    }
}

/// The code for one time step.
pub fn code_at(secret: &[u8], params: TotpParams, step: u64) -> String {
    Generator::new(secret, params, None, "").at_step(step)
}

fn step_of(now: i64, params: TotpParams) -> i64 {
    now.div_euclid(params.period as i64)
}

fn eq(a: &str, b: &str) -> bool {
    crate::ct::equal_str(a, b)
}

/// The persistent state of one user's authenticator, kept by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TotpCounters {
    /// The last accepted step; nothing at or before it is accepted again.
    pub last_step: Option<u64>,
    /// Steps the authenticator is ahead (positive) or behind, learned by resync.
    pub drift: i64,
}

/// What checking a single code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpCheck {
    /// Valid in the expected step: accept and remember `step`.
    Accepted { step: u64 },
    /// Valid, but only `offset` steps away: ask for two consecutive codes.
    Drifted { offset: i64 },
    /// Valid for a step already used.
    Replayed,
    /// Not valid anywhere in the window.
    Invalid,
}

/// Checks one code at `now` within `window` steps either side.
pub fn check(
    secret: &[u8],
    params: TotpParams,
    counters: TotpCounters,
    window: u32,
    code: &str,
    now: i64,
) -> TotpCheck {
    let code = crate::otp::without_separators(code);
    let code = code.as_str();
    let generator = Generator::new(secret, params, None, "");
    let expected = step_of(now, params) + counters.drift;
    let w = i64::from(window);
    // Try the expected step first, then its neighbours, so a match at offset 0 always wins.
    let mut offsets = vec![0i64];
    for d in 1..=w {
        offsets.extend([-d, d]);
    }
    for offset in offsets {
        let s = expected + offset;
        if s < 0 {
            continue;
        }
        let s = s as u64;
        if eq(&generator.at_step(s), code) {
            if counters.last_step.is_some_and(|last| s <= last) {
                return TotpCheck::Replayed;
            }
            return if offset == 0 {
                TotpCheck::Accepted { step: s }
            } else {
                TotpCheck::Drifted { offset }
            };
        }
    }
    TotpCheck::Invalid
}

/// Finds two consecutive codes near `now`. On success returns the new counters: the second
/// code's step becomes the last used one and the drift is the offset found.
pub fn resync(
    secret: &[u8],
    params: TotpParams,
    counters: TotpCounters,
    first: &str,
    second: &str,
    now: i64,
) -> Option<TotpCounters> {
    let now_step = step_of(now, params);
    let (first, second) = (
        crate::otp::without_separators(first),
        crate::otp::without_separators(second),
    );
    let (first, second) = (first.as_str(), second.as_str());
    let generator = Generator::new(secret, params, None, "");
    for offset in -RESYNC_RANGE..=RESYNC_RANGE {
        let s = now_step + offset;
        if s < 0 {
            continue;
        }
        let s = s as u64;
        if counters.last_step.is_some_and(|last| s <= last) {
            continue;
        }
        if eq(&generator.at_step(s), first) && eq(&generator.at_step(s + 1), second) {
            return Some(TotpCounters {
                last_step: Some(s + 1),
                drift: offset + 1,
            });
        }
    }
    None
}

/// An `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...` URI for enrolling an authenticator
/// app, built by totp-rs (it names digits, algorithm and period only where they differ from the
/// defaults 6, SHA1 and 30, as authenticators expect).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8], params: TotpParams) -> String {
    Generator::new(secret, params, Some(issuer), account)
        .0
        .get_url()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED1: &[u8] = b"12345678901234567890";

    fn p(algorithm: TotpAlgorithm) -> TotpParams {
        TotpParams {
            algorithm,
            digits: 8,
            period: 30,
        }
    }

    #[test]
    fn rfc6238_vectors() {
        let seed256 = b"12345678901234567890123456789012";
        let seed512 = b"1234567890123456789012345678901234567890123456789012345678901234";
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, s1, s256, s512) in table {
            let step = t / 30;
            assert_eq!(code_at(SEED1, p(TotpAlgorithm::Sha1), step), s1, "t={t}");
            assert_eq!(
                code_at(seed256, p(TotpAlgorithm::Sha256), step),
                s256,
                "t={t}"
            );
            assert_eq!(
                code_at(seed512, p(TotpAlgorithm::Sha512), step),
                s512,
                "t={t}"
            );
        }
    }

    #[test]
    fn window_replay_and_drift() {
        let params = TotpParams::default();
        let now = 1_700_000_000;
        let step = (now / 30) as u64;
        let c = TotpCounters::default();
        let at = |s: u64| code_at(SEED1, params, s);

        assert_eq!(
            check(SEED1, params, c, 1, &at(step), now),
            TotpCheck::Accepted { step }
        );
        assert_eq!(
            check(SEED1, params, c, 1, &at(step - 1), now),
            TotpCheck::Drifted { offset: -1 }
        );
        assert_eq!(
            check(SEED1, params, c, 1, &at(step + 1), now),
            TotpCheck::Drifted { offset: 1 }
        );
        assert_eq!(
            check(SEED1, params, c, 0, &at(step + 1), now),
            TotpCheck::Invalid
        );
        assert_eq!(
            check(SEED1, params, c, 1, &at(step + 2), now),
            TotpCheck::Invalid
        );

        let used = TotpCounters {
            last_step: Some(step),
            drift: 0,
        };
        assert_eq!(
            check(SEED1, params, used, 1, &at(step), now),
            TotpCheck::Replayed
        );

        // A stored drift of +1 makes the next step's code the expected one.
        let drifted = TotpCounters {
            last_step: None,
            drift: 1,
        };
        assert_eq!(
            check(SEED1, params, drifted, 1, &at(step + 1), now),
            TotpCheck::Accepted { step: step + 1 }
        );
    }

    #[test]
    fn codes_pasted_with_separators_are_read() {
        let params = TotpParams::default();
        let now = 1_700_000_000;
        let step = (now / 30) as u64;
        let grouped = |s: u64| {
            let c = code_at(SEED1, params, s);
            format!(" {}-{} ", &c[..3], &c[3..])
        };
        let c = TotpCounters::default();
        assert_eq!(
            check(SEED1, params, c, 1, &grouped(step), now),
            TotpCheck::Accepted { step }
        );
        let spaced = code_at(SEED1, params, step + 5).replace("", " ");
        assert!(resync(SEED1, params, c, &grouped(step + 4), &spaced, now).is_some());
        // Other characters are not dropped: a code with a letter in it is wrong.
        let lettered = format!("{}x", code_at(SEED1, params, step));
        assert_eq!(
            check(SEED1, params, c, 1, &lettered, now),
            TotpCheck::Invalid
        );
    }

    #[test]
    fn resync_needs_two_consecutive_codes() {
        let params = TotpParams::default();
        let now = 1_700_000_000;
        let step = (now / 30) as u64;
        let at = |s: u64| code_at(SEED1, params, s);
        let c = TotpCounters::default();

        let got = resync(SEED1, params, c, &at(step + 4), &at(step + 5), now).expect("resync");
        assert_eq!(
            got,
            TotpCounters {
                last_step: Some(step + 5),
                drift: 5
            }
        );
        assert_eq!(
            resync(SEED1, params, c, &at(step + 4), &at(step + 6), now),
            None
        );
        assert_eq!(
            resync(SEED1, params, c, &at(step + 5), &at(step + 4), now),
            None
        );
        assert_eq!(
            resync(SEED1, params, c, &at(step + 40), &at(step + 41), now),
            None
        );
        // Steps already used cannot be replayed through a resync.
        let used = TotpCounters {
            last_step: Some(step + 5),
            drift: 0,
        };
        assert_eq!(
            resync(SEED1, params, used, &at(step + 4), &at(step + 5), now),
            None
        );
    }

    #[test]
    fn otpauth_uri_carries_base32_secret() {
        let uri = otpauth_uri(
            "Emergency Access",
            "demo:alice",
            SEED1,
            TotpParams::default(),
        );
        assert!(uri.starts_with("otpauth://totp/Emergency%20Access:demo%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"));
        // The defaults (SHA1, 6 digits, 30 s) are implied; anything else is named.
        assert!(uri.ends_with("&issuer=Emergency%20Access"), "{uri}");
        let other = otpauth_uri("EA", "bob", SEED1, p(TotpAlgorithm::Sha256));
        for part in ["digits=8", "algorithm=SHA256"] {
            assert!(other.contains(part), "{other}");
        }
        let minute = TotpParams {
            period: 60,
            ..TotpParams::default()
        };
        assert!(otpauth_uri("EA", "bob", SEED1, minute).ends_with("&period=60"));
    }
}
