//! The service layer's error: a refusal with its wire code, or an internal failure. It knows
//! nothing of HTTP; [`crate::http::error`] gives each code its status.

use ea_api::ErrorCode;
use ea_core::VerifyError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A refusal the user is shown, translated by the app.
    #[error("refused: {0}")]
    Refused(ErrorCode),
    /// Another request wrote first; [`crate::retry::on_conflict`] runs the attempt again.
    #[error("a concurrent write came first")]
    Conflict,
    /// The database cannot be reached (down, restarting, out of connections): nothing was
    /// accepted; shown as `database_unavailable` (503) so the client tries again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A failure of ours: logged with its detail, shown only as `internal`.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The code the client receives.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Refused(c) => c.clone(),
            // Only when the retries ran out somewhere without the helper.
            ServiceError::Conflict => ErrorCode::Busy {},
            ServiceError::Unavailable(_) => ErrorCode::DatabaseUnavailable {},
            ServiceError::Internal(_) => ErrorCode::Internal {},
        }
    }
}

impl From<ErrorCode> for ServiceError {
    fn from(c: ErrorCode) -> Self {
        ServiceError::Refused(c)
    }
}

impl From<VerifyError> for ServiceError {
    fn from(e: VerifyError) -> Self {
        ServiceError::Refused(e.code())
    }
}

impl From<ea_store::StoreError> for ServiceError {
    fn from(e: ea_store::StoreError) -> Self {
        match e {
            ea_store::StoreError::Conflict => ServiceError::Conflict,
            e if e.is_unavailable() => ServiceError::Unavailable(e.to_string()),
            e => ServiceError::Internal(e.to_string()),
        }
    }
}

/// Shorthand for the service layer's results.
pub type ServiceResult<T> = Result<T, ServiceError>;
