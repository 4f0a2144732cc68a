//! An enrolment in progress: the invited address still to be confirmed, the contact or
//! authenticator being proven, and the codes sent for them. Pure rules (time and randomness are
//! passed in); the server stores it, with a version, and saves each factor with its proof.

use crate::otp;
use ea_api::{ContactKind, EnrolmentStage, ErrorCode};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// How long an enrolment lasts from its start.
pub const LIFETIME_SECONDS: i64 = 30 * 60;
/// How long a code sent during enrolment is valid.
pub const CODE_TTL_SECONDS: i64 = 10 * 60;
/// Wrong codes before a code is spent and another must be sent.
pub const CODE_ATTEMPTS: u32 = 3;
/// Wait between two codes.
pub const RESEND_COOLDOWN_SECONDS: i64 = 30;
/// Codes one enrolment may send.
pub const MAX_SENDS: u32 = 10;
/// Changes (each told to the user's addresses) one enrolment may make.
pub const MAX_CHANGES: u32 = 20;

/// Code length by channel: a text message is typed from a phone, an e-mail from a screen.
pub fn code_length(kind: ContactKind) -> u8 {
    match kind {
        ContactKind::Phone => 6,
        ContactKind::Email => 8,
    }
}

/// A code that went to a contact, kept as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub kind: ContactKind,
    /// The normalised phone number or address the code went to.
    pub value: String,
    pub code_hash: String,
    /// Which send of this enrolment it was (bound into the hash).
    pub send: u32,
    pub sent_at: i64,
    pub expires_at: i64,
    pub attempts_left: u32,
}

/// An enrolment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentSession {
    pub stage: EnrolmentStage,
    /// How the user got in: `invitation` or `verification`.
    pub entry: String,
    /// The invited address (normalised), while it is being confirmed.
    pub address: Option<String>,
    /// The code of the invited address or of a contact being added.
    pub pending: Option<PendingCode>,
    /// A new authenticator secret, sealed, until a code from it is typed.
    pub pending_totp: Option<Vec<u8>>,
    /// Wrong codes typed for the new authenticator; at [`CODE_ATTEMPTS`] it is discarded.
    #[serde(default)]
    pub totp_failures: u32,
    /// Changes saved so far (each sent a notice).
    #[serde(default)]
    pub changes: u32,
    pub sends: u32,
    pub created_at: i64,
    pub expires_at: i64,
    /// The language the person reads the app in, for the messages this enrolment sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A code to send, with where it goes.
pub struct CodeToSend {
    pub kind: ContactKind,
    pub destination: String,
    pub code: Zeroizing<String>,
    pub expires_at: i64,
}

impl std::fmt::Debug for CodeToSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeToSend")
            .field("kind", &self.kind)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl EnrolmentSession {
    /// A new enrolment. With an invited address it first waits for that address's code.
    pub fn new(entry: &str, address: Option<String>, now: i64) -> EnrolmentSession {
        EnrolmentSession {
            stage: if address.is_some() {
                EnrolmentStage::ConfirmAddress
            } else {
                EnrolmentStage::Open
            },
            entry: entry.to_owned(),
            address,
            pending: None,
            pending_totp: None,
            totp_failures: 0,
            changes: 0,
            sends: 0,
            created_at: now,
            expires_at: now + LIFETIME_SECONDS,
            language: None,
        }
    }

    fn binding(token_ref: &str, send: u32) -> String {
        format!("enrol:{token_ref}:{send}")
    }

    /// Refuses anything but the address's code until it was typed.
    pub fn require_open(&self) -> Result<(), ErrorCode> {
        match self.stage {
            EnrolmentStage::Open => Ok(()),
            EnrolmentStage::ConfirmAddress => Err(ErrorCode::EnrolmentStepOutOfOrder {}),
        }
    }

    /// Sends a new code to `value` (replacing any pending one). `token_ref` binds the code's
    /// hash to this enrolment.
    pub fn send_code(
        &mut self,
        kind: ContactKind,
        value: String,
        key: &[u8],
        token_ref: &str,
        now: i64,
        rng: &mut dyn RngCore,
    ) -> Result<CodeToSend, ErrorCode> {
        if let Some(p) = &self.pending {
            let wait = p.sent_at + RESEND_COOLDOWN_SECONDS - now;
            if wait > 0 {
                return Err(ErrorCode::ResendTooSoon { retry_after: wait });
            }
        }
        if self.sends >= MAX_SENDS {
            return Err(ErrorCode::ResendLimitReached {});
        }
        self.sends += 1;
        let code = otp::generate(rng, code_length(kind));
        let expires_at = now + CODE_TTL_SECONDS;
        self.pending = Some(PendingCode {
            kind,
            value: value.clone(),
            code_hash: otp::hash(key, &Self::binding(token_ref, self.sends), &code),
            send: self.sends,
            sent_at: now,
            expires_at,
            attempts_left: CODE_ATTEMPTS,
        });
        Ok(CodeToSend {
            kind,
            destination: value,
            code,
            expires_at,
        })
    }

    /// Sends the pending code's contact a new code.
    pub fn resend(
        &mut self,
        key: &[u8],
        token_ref: &str,
        now: i64,
        rng: &mut dyn RngCore,
    ) -> Result<CodeToSend, ErrorCode> {
        let (kind, value) = match (&self.pending, &self.address) {
            (Some(p), _) => (p.kind, p.value.clone()),
            (None, Some(a)) if self.stage == EnrolmentStage::ConfirmAddress => {
                (ContactKind::Email, a.clone())
            }
            _ => return Err(ErrorCode::CodeNotSent {}),
        };
        self.send_code(kind, value, key, token_ref, now, rng)
    }

    /// Checks a typed code against the pending one. A wrong code is counted (the caller saves
    /// the session either way); the last wrong one spends the code. On success the proven
    /// contact is returned and no code is pending any more.
    pub fn check_code(
        &mut self,
        typed: &str,
        key: &[u8],
        token_ref: &str,
        now: i64,
    ) -> Result<PendingCode, ErrorCode> {
        let Some(p) = self.pending.as_mut() else {
            return Err(ErrorCode::CodeNotSent {});
        };
        if now >= p.expires_at {
            self.pending = None;
            return Err(ErrorCode::CodeExpired {});
        }
        if otp::matches(key, &Self::binding(token_ref, p.send), typed, &p.code_hash) {
            let proven = p.clone();
            self.pending = None;
            return Ok(proven);
        }
        p.attempts_left = p.attempts_left.saturating_sub(1);
        let attempts_left = p.attempts_left;
        if attempts_left == 0 {
            self.pending = None;
        }
        Err(ErrorCode::CodeInvalid { attempts_left })
    }

    /// The invited address's code: once typed, the enrolment is open.
    pub fn confirm_address(
        &mut self,
        typed: &str,
        key: &[u8],
        token_ref: &str,
        now: i64,
    ) -> Result<String, ErrorCode> {
        if self.stage != EnrolmentStage::ConfirmAddress {
            return Err(ErrorCode::EnrolmentStepOutOfOrder {});
        }
        let proven = self.check_code(typed, key, token_ref, now)?;
        self.stage = EnrolmentStage::Open;
        self.address = None;
        Ok(proven.value)
    }

    /// A contact's code, once the enrolment is open.
    pub fn confirm_contact(
        &mut self,
        typed: &str,
        key: &[u8],
        token_ref: &str,
        now: i64,
    ) -> Result<PendingCode, ErrorCode> {
        self.require_open()?;
        self.check_code(typed, key, token_ref, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(7)
    }

    #[test]
    fn the_invited_address_opens_the_enrolment_and_nothing_before() {
        let mut s = EnrolmentSession::new("invitation", Some("a@example.org".into()), 1000);
        assert_eq!(s.require_open(), Err(ErrorCode::EnrolmentStepOutOfOrder {}));
        let sent = s.resend(KEY, "t", 1000, &mut rng()).expect("sent");
        assert_eq!(sent.destination, "a@example.org");
        assert_eq!(sent.code.len(), 8);
        // A contact code cannot be confirmed before the address.
        assert_eq!(
            s.confirm_contact(&sent.code, KEY, "t", 1001),
            Err(ErrorCode::EnrolmentStepOutOfOrder {})
        );
        assert_eq!(
            s.confirm_address(&sent.code, KEY, "t", 1001),
            Ok("a@example.org".into())
        );
        assert_eq!(s.stage, EnrolmentStage::Open);
        assert!(s.pending.is_none());
        // Used once: the same code proves nothing again.
        assert_eq!(
            s.confirm_contact(&sent.code, KEY, "t", 1002),
            Err(ErrorCode::CodeNotSent {})
        );
    }

    #[test]
    fn codes_are_bound_counted_timed_and_spaced() {
        let mut s = EnrolmentSession::new("verification", None, 0);
        let a = s
            .send_code(
                ContactKind::Phone,
                "+41790000001".into(),
                KEY,
                "t",
                0,
                &mut rng(),
            )
            .expect("sent");
        assert_eq!(a.code.len(), 6);
        // Another enrolment's binding does not accept it.
        let mut other = s.clone();
        assert!(matches!(
            other.confirm_contact(&a.code, KEY, "u", 1),
            Err(ErrorCode::CodeInvalid { attempts_left: 2 })
        ));
        // Too soon for another code.
        assert_eq!(
            s.resend(KEY, "t", 10, &mut rng()).map(|_| ()),
            Err(ErrorCode::ResendTooSoon { retry_after: 20 })
        );
        // Three wrong codes spend it.
        let wrong = if &*a.code == "000000" {
            "111111"
        } else {
            "000000"
        };
        for left in [2, 1, 0] {
            assert_eq!(
                s.confirm_contact(wrong, KEY, "t", 5),
                Err(ErrorCode::CodeInvalid {
                    attempts_left: left
                })
            );
        }
        assert_eq!(
            s.confirm_contact(&a.code, KEY, "t", 6),
            Err(ErrorCode::CodeNotSent {})
        );
        // An expired code is refused even when right.
        let b = s
            .send_code(
                ContactKind::Phone,
                "+41790000001".into(),
                KEY,
                "t",
                100,
                &mut rng(),
            )
            .expect("sent");
        assert_eq!(
            s.confirm_contact(&b.code, KEY, "t", 100 + CODE_TTL_SECONDS),
            Err(ErrorCode::CodeExpired {})
        );
        // At most MAX_SENDS codes per enrolment.
        let mut t = 1000;
        while s.sends < MAX_SENDS {
            s.send_code(
                ContactKind::Phone,
                "+41790000001".into(),
                KEY,
                "t",
                t,
                &mut rng(),
            )
            .expect("sent");
            t += RESEND_COOLDOWN_SECONDS;
        }
        assert_eq!(
            s.resend(KEY, "t", t, &mut rng()).map(|_| ()),
            Err(ErrorCode::ResendLimitReached {})
        );
    }
}
