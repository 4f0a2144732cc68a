//! The closed sets of words the wire uses: actions, methods, algorithms, outcomes, reasons.
//! Each is an enum whose serde name, strum name (logs, audit events, the database) and
//! TypeScript literal are the same snake_case word, so no side can spell one differently.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Derives shared by every word list: copyable, ordered, named the same on the wire and in text.
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, ToSchema, TS,
            strum::IntoStaticStr, strum::EnumString, strum::Display, strum::EnumIter,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The word on the wire, in logs and in the database.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Every word, in declaration order.
            pub fn all() -> impl Iterator<Item = $name> {
                <$name as strum::IntoEnumIterator>::iter()
            }
        }
    };
}

vocabulary! {
    /// What a verified user may do next; a flow lists the ones it permits.
    pub enum Action {
        ResetPassword,
        CardPinUnblock,
        UnblockUser,
        EmergencyCode,
        /// Change one's own recovery factors (phones, addresses, authenticator, answers).
        ManageRecovery,
    }
}

vocabulary! {
    /// A verification method.
    pub enum Method {
        SmsOtp,
        EmailOtp,
        Questions,
        Totp,
    }
}

vocabulary! {
    /// Which channel a contact belongs to.
    pub enum ContactKind {
        Phone,
        Email,
    }
}

vocabulary! {
    /// The block cipher of a card's admin key.
    pub enum CardAlgorithm {
        #[serde(rename = "3des")]
        #[strum(serialize = "3des")]
        TripleDes,
        Aes128,
        Aes192,
        Aes256,
    }
}

impl CardAlgorithm {
    pub fn parse(s: &str) -> Option<CardAlgorithm> {
        s.parse().ok()
    }

    /// Admin-key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            CardAlgorithm::TripleDes | CardAlgorithm::Aes192 => 24,
            CardAlgorithm::Aes128 => 16,
            CardAlgorithm::Aes256 => 32,
        }
    }

    /// The challenge (block) length this algorithm answers.
    pub fn challenge_len(self) -> usize {
        match self {
            CardAlgorithm::TripleDes => 8,
            _ => 16,
        }
    }
}

vocabulary! {
    /// What the card answered to a cryptogram, as the desktop reports it.
    pub enum CardOutcome {
        Unblocked,
        AuthFailed,
        CardError,
        Aborted,
    }
}

vocabulary! {
    /// Character classes a password policy may require.
    pub enum CharClass {
        Lowercase,
        Uppercase,
        Digit,
        Symbol,
    }
}

vocabulary! {
    /// One broken password rule.
    pub enum PasswordViolation {
        TooShort,
        TooLong,
        ContainsUsername,
        ContainsTenantName,
        Common,
        MissingLowercase,
        MissingUppercase,
        MissingDigit,
        MissingSymbol,
        ControlCharacters,
        /// The directory's own policy: too short for it (its minimum is not told).
        DirectoryTooShort,
        /// The directory's own policy: one of the last passwords.
        InHistory,
        /// The directory's own policy: the password was changed too recently.
        TooYoung,
        /// The directory's own policy: not complex enough, in its judgement.
        DirectoryQuality,
    }
}

vocabulary! {
    /// Why requested emergency-code limits were refused.
    pub enum LimitViolation {
        /// Neither a number of uses nor an end date.
        Unlimited,
        UsesOutOfRange,
        StartsInThePast,
        EndsBeforeStart,
        WindowTooLong,
    }
}

vocabulary! {
    /// The answer to an emergency-code validation.
    pub enum ValidationResult {
        /// One use was counted.
        Valid,
        Invalid,
    }
}

vocabulary! {
    /// Why a presented emergency code does not work now.
    pub enum InvalidReason {
        Unknown,
        NotYetValid,
        Expired,
        UsedUp,
        Revoked,
        /// Too many wrong codes for this username lately: no code is checked until
        /// `retry_after` seconds have passed.
        Locked,
    }
}

vocabulary! {
    /// The request a session expects next, named in `step_out_of_order`.
    pub enum ExpectedRequest {
        Flow,
        Contact,
        Code,
        Questions,
        Totp,
        TotpResync,
        CardCryptogram,
        None,
    }
}

vocabulary! {
    /// What is wrong with a field of a request (`invalid_field`).
    pub enum FieldProblem {
        Empty,
        TooLong,
        TooMany,
        ControlCharacters,
        NotHex,
        OutOfRange,
        UnknownValue,
        /// Not an IPv4 or IPv6 address.
        NotAnAddress,
    }
}

vocabulary! {
    /// A component's health in `/healthz`.
    pub enum HealthStatus {
        Ok,
        Degraded,
        Unreachable,
    }
}

vocabulary! {
    /// A kind of recovery factor a user enrols.
    pub enum Factor {
        Phone,
        Email,
        Authenticator,
        Questions,
    }
}

/// What a user still lacks against their tenant's enrolment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "factor", rename_all = "snake_case")]
pub enum MissingFactor {
    Phones { needed: u32 },
    Emails { needed: u32 },
    Authenticator,
    Questions { needed: u32 },
}

/// Why an answer to a verification question is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AnswerProblem {
    /// Shorter than `min` characters.
    TooShort { min: u32 },
    /// The username, which anyone may know.
    EqualsUsername,
    /// One of the user's own phone numbers or addresses, which a caller can see masked.
    EqualsContact,
    /// The same as the answer at `other`.
    SameAs { other: usize },
    /// The same question twice.
    SameQuestion { other: usize },
    /// Not one of the tenant's questions, and the tenant does not allow users' own.
    NotInCatalogue,
}

/// One refused answer: its position in the request and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct AnswerIssue {
    pub index: usize,
    #[serde(flatten)]
    pub problem: AnswerProblem,
}
