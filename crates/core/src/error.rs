//! Errors of a verification step, each with a stable machine-readable code and parameters.

use crate::UnixSeconds;
use ea_api::{ErrorCode, ExpectedRequest};
use thiserror::Error;

/// Why a verification request was refused. The server maps each variant to an HTTP status and
/// the `{code, params}` body; the desktop translates the code. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    #[error("the session has expired")]
    SessionExpired,
    #[error("the verification was stopped after too many failures; start again")]
    VerificationFailed,
    #[error("the verification is already complete")]
    AlreadyCompleted,
    #[error("this request does not fit the current step (expected {expected})")]
    StepOutOfOrder { expected: ExpectedRequest },
    #[error("no flow with this id is offered")]
    UnknownFlow,
    #[error("the user is not enrolled for a method this flow needs")]
    FlowUnavailable,
    #[error("no contact with this id")]
    UnknownContact,
    #[error("the typed phone number or address is not well-formed")]
    ContactMalformed,
    #[error("the typed contact does not match the chosen one")]
    ContactMismatch { attempts_left: u32 },
    #[error("a new code can be sent in {retry_after} s")]
    ResendTooSoon { retry_after: i64 },
    #[error("no more codes can be sent for this step")]
    ResendLimitReached,
    #[error("the code is wrong")]
    CodeInvalid { attempts_left: u32 },
    #[error("the code has expired; request a new one")]
    CodeExpired,
    #[error("no code has been sent yet")]
    NoCodeSent,
    #[error("the answers are not all correct")]
    AnswersWrong { tries_left: u32 },
    #[error("every question must be answered exactly once")]
    AnswersIncomplete,
    #[error("the authenticator code is wrong")]
    TotpInvalid,
    #[error("this authenticator code was already used; wait for the next one")]
    TotpReplayed,
    #[error("the authenticator clock has drifted; enter two consecutive codes")]
    TotpResyncRequired,
    #[error("the account is temporarily locked")]
    AccountLocked { retry_after: i64 },
    #[error("the verification is not complete yet")]
    VerificationIncomplete,
    #[error("the completed flow does not permit this action")]
    ActionNotPermitted,
    #[error("this action was already used for this verification")]
    ActionAlreadyUsed,
    #[error("this action is already being performed")]
    ActionInProgress,
}

impl VerifyError {
    /// The stable code and parameters sent to clients.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match *self {
            VerifyError::SessionExpired => C::SessionExpired {},
            VerifyError::VerificationFailed => C::VerificationFailed {},
            VerifyError::AlreadyCompleted => C::AlreadyCompleted {},
            VerifyError::StepOutOfOrder { expected } => C::StepOutOfOrder { expected },
            VerifyError::UnknownFlow => C::FlowUnknown {},
            VerifyError::FlowUnavailable => C::FlowUnavailable {},
            VerifyError::UnknownContact => C::ContactUnknown {},
            VerifyError::ContactMalformed => C::ContactMalformed {},
            VerifyError::ContactMismatch { attempts_left } => C::ContactMismatch { attempts_left },
            VerifyError::ResendTooSoon { retry_after } => C::ResendTooSoon { retry_after },
            VerifyError::ResendLimitReached => C::ResendLimitReached {},
            VerifyError::CodeInvalid { attempts_left } => C::CodeInvalid { attempts_left },
            VerifyError::CodeExpired => C::CodeExpired {},
            VerifyError::NoCodeSent => C::CodeNotSent {},
            VerifyError::AnswersWrong { tries_left } => C::AnswersWrong { tries_left },
            VerifyError::AnswersIncomplete => C::AnswersIncomplete {},
            VerifyError::TotpInvalid => C::TotpInvalid {},
            // The same answer as a wrong code: a replay tells a guesser nothing.
            VerifyError::TotpReplayed => C::TotpInvalid {},
            VerifyError::TotpResyncRequired => C::TotpResyncRequired {},
            VerifyError::AccountLocked { retry_after } => C::AccountLocked { retry_after },
            VerifyError::VerificationIncomplete => C::VerificationIncomplete {},
            VerifyError::ActionNotPermitted => C::ActionNotPermitted {},
            VerifyError::ActionAlreadyUsed => C::ActionAlreadyUsed {},
            VerifyError::ActionInProgress => C::ActionInProgress {},
        }
    }

    /// Whether this refusal counts as a failed proof of identity for the account-wide counter.
    pub fn counts_as_failure(&self) -> bool {
        matches!(
            self,
            VerifyError::ContactMismatch { .. }
                | VerifyError::CodeInvalid { .. }
                | VerifyError::AnswersWrong { .. }
                | VerifyError::TotpInvalid
                | VerifyError::TotpReplayed
                | VerifyError::VerificationFailed
        )
    }
}

/// Seconds from `now` until `until`, never below one (a client waits at least a second).
pub fn seconds_until(now: UnixSeconds, until: UnixSeconds) -> i64 {
    (until - now).max(1)
}
