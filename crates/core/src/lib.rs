//! Emergency Access domain logic.
//!
//! Everything a verification needs to decide — flow definitions, the verification-session state
//! machine, the four methods, account lockouts, sealing of secrets at rest — lives here as pure
//! code. The crate performs no I/O, reads no clock and owns no randomness: callers pass `now`
//! (Unix seconds) and an RNG, so every rule is testable with fixed inputs. It must never depend on
//! a web framework, a database layer, a card stack or the desktop shell.

pub mod action;
pub mod answers;
pub mod contact;
pub mod cryptogram;
pub mod ct;
pub mod emergency;
pub mod enrolment;
pub mod enrolment_session;
pub mod error;
pub mod flow;
pub mod guard;
pub mod limits;
pub mod otp;
pub mod password;
pub mod seal;
pub mod session;
pub mod totp;

pub use action::Action;
pub use error::VerifyError;
pub use flow::{FlowDefinition, FlowError, Method, Step};
pub use guard::{AccountGuard, LockoutPolicy};
pub use session::{SessionStatus, Subject, VerificationSession};

/// Seconds since the Unix epoch, as passed in by the caller.
pub type UnixSeconds = i64;

#[cfg(test)]
mod proptests;
