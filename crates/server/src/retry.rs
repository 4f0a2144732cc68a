//! The one compare-and-swap retry loop. Every write to a session, a guard or a counter is
//! conditional on the version read; when another request (or another server) wrote first, the
//! store answers `Conflict` and the whole attempt runs again on fresh data.

/// Attempts before the request is answered `busy`.
pub const ATTEMPTS: usize = 5;

/// Runs the block (an attempt, in which `?` ends the attempt) until it ends in anything but
/// [`ServiceError::Conflict`](crate::error::ServiceError::Conflict), at most [`ATTEMPTS`] times;
/// then the request is answered `busy`. A macro rather than a function taking an async closure,
/// so the attempt may borrow the request's state and stay `Send`.
#[macro_export]
macro_rules! on_conflict {
    ($attempt:block) => {{
        let mut outcome = Err($crate::error::ServiceError::Conflict);
        for _ in 0..$crate::retry::ATTEMPTS {
            outcome = async $attempt.await;
            if !matches!(outcome, Err($crate::error::ServiceError::Conflict)) {
                break;
            }
        }
        match outcome {
            Err($crate::error::ServiceError::Conflict) => {
                Err(::ea_api::ErrorCode::Busy {}.into())
            }
            other => other,
        }
    }};
}
