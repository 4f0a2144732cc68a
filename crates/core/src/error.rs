//! Errors of a verification step, each with a stable machine-readable code and parameters.

use crate::UnixSeconds;
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
    StepOutOfOrder { expected: &'static str },
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
    /// The stable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::SessionExpired => "session_expired",
            VerifyError::VerificationFailed => "verification_failed",
            VerifyError::AlreadyCompleted => "already_completed",
            VerifyError::StepOutOfOrder { .. } => "step_out_of_order",
            VerifyError::UnknownFlow => "flow_unknown",
            VerifyError::FlowUnavailable => "flow_unavailable",
            VerifyError::UnknownContact => "contact_unknown",
            VerifyError::ContactMalformed => "contact_malformed",
            VerifyError::ContactMismatch { .. } => "contact_mismatch",
            VerifyError::ResendTooSoon { .. } => "resend_too_soon",
            VerifyError::ResendLimitReached => "resend_limit_reached",
            VerifyError::CodeInvalid { .. } => "code_invalid",
            VerifyError::CodeExpired => "code_expired",
            VerifyError::NoCodeSent => "code_not_sent",
            VerifyError::AnswersWrong { .. } => "answers_wrong",
            VerifyError::AnswersIncomplete => "answers_incomplete",
            VerifyError::TotpInvalid => "totp_invalid",
            VerifyError::TotpReplayed => "totp_replayed",
            VerifyError::TotpResyncRequired => "totp_resync_required",
            VerifyError::AccountLocked { .. } => "account_locked",
            VerifyError::VerificationIncomplete => "verification_incomplete",
            VerifyError::ActionNotPermitted => "action_not_permitted",
            VerifyError::ActionAlreadyUsed => "action_already_used",
            VerifyError::ActionInProgress => "action_in_progress",
        }
    }

    /// Parameters that go with the code (all non-secret).
    pub fn params(&self) -> Vec<(&'static str, ErrorParam)> {
        match self {
            VerifyError::StepOutOfOrder { expected } => {
                vec![("expected", ErrorParam::Text(expected))]
            }
            VerifyError::ContactMismatch { attempts_left }
            | VerifyError::CodeInvalid { attempts_left } => {
                vec![(
                    "attempts_left",
                    ErrorParam::Number(i64::from(*attempts_left)),
                )]
            }
            VerifyError::ResendTooSoon { retry_after }
            | VerifyError::AccountLocked { retry_after } => {
                vec![("retry_after", ErrorParam::Number(*retry_after))]
            }
            VerifyError::AnswersWrong { tries_left } => {
                vec![("tries_left", ErrorParam::Number(i64::from(*tries_left)))]
            }
            _ => Vec::new(),
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
                | VerifyError::VerificationFailed
        )
    }
}

/// A parameter value of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorParam {
    Number(i64),
    Text(&'static str),
}

/// Seconds from `now` until `until`, never below one (a client waits at least a second).
pub fn seconds_until(now: UnixSeconds, until: UnixSeconds) -> i64 {
    (until - now).max(1)
}
