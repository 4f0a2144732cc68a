//! How the service layer's errors reach a client: each code gets its HTTP status here (and only
//! here), the body is the code with its parameters, and internal failures are logged with their
//! detail but shown only as `internal`.

use crate::error::ServiceError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ea_api::{ErrorCode, ErrorKind};

/// The status a code is answered with, whatever its parameters. Exhaustive: a new code must be
/// given one.
pub fn status(kind: ErrorKind) -> StatusCode {
    use ErrorKind as C;
    match kind {
        C::SessionExpired | C::Unauthorized | C::ClientKeyRequired | C::SessionUnknown => {
            StatusCode::UNAUTHORIZED
        }
        C::VerificationFailed | C::CodeExpired => StatusCode::GONE,
        C::AlreadyCompleted
        | C::StepOutOfOrder
        | C::CodeNotSent
        | C::ActionAlreadyUsed
        | C::ActionInProgress
        | C::EnrolmentStepOutOfOrder
        | C::ContactAlreadyEnrolled
        | C::FactorStillNeeded => StatusCode::CONFLICT,
        C::FlowUnknown | C::ContactUnknown | C::TenantUnknown | C::NotFound | C::CardUnknown => {
            StatusCode::NOT_FOUND
        }
        C::VerificationIncomplete
        | C::ActionNotPermitted
        | C::AccountDisabled
        | C::EnrolmentCodeInvalid
        | C::EnrolmentUnavailable
        | C::DirectoryPasswordWrong => StatusCode::FORBIDDEN,
        C::ResendTooSoon | C::ResendLimitReached | C::SendLimitReached | C::RateLimited => {
            StatusCode::TOO_MANY_REQUESTS
        }
        C::AccountLocked => StatusCode::LOCKED,
        C::FlowUnavailable
        | C::ContactMalformed
        | C::ContactMismatch
        | C::CodeInvalid
        | C::AnswersWrong
        | C::AnswersIncomplete
        | C::TotpInvalid
        | C::TotpResyncRequired
        | C::PasswordPolicy
        | C::EmergencyCodeLimits
        | C::ChallengeLength
        | C::CardResultMismatch
        | C::CardProfileRefused
        | C::ContactLimitReached
        | C::AnswersRefused => StatusCode::UNPROCESSABLE_ENTITY,
        C::InvalidJson | C::InvalidField => StatusCode::BAD_REQUEST,
        C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::DeliveryUnavailable
        | C::Busy
        | C::DatabaseUnavailable
        | C::DirectoryUnavailable
        | C::CardKeyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // The card's, the camera's and the desktop shell's own codes never come from the server.
        C::CardWrongPin
        | C::CardPinBlocked
        | C::CardAuthFailed
        | C::CardAuthBlocked
        | C::CardRefused
        | C::CardNotSupported
        | C::CardPinInvalid
        | C::CardError
        | C::CardRemoved
        | C::CardAbsent
        | C::CardNoReader
        | C::CardNoService
        | C::CardTimeout
        | C::CardBusy
        | C::ServerUnreachable
        | C::ServerError
        | C::NotConfigured
        | C::KeyringUnavailable
        | C::SettingsInvalid
        | C::SettingsInsecureUrl
        | C::SettingsNotSaved
        | C::QrEmpty
        | C::QrTooLong
        | C::QrControlCharacter
        | C::QrNotAscii
        | C::QrNotALink
        | C::QrWrongScheme
        | C::QrWrongPath
        | C::QrCredentials
        | C::QrFragment
        | C::QrHostInvalid
        | C::QrPercentEncoding
        | C::QrMalformedQuery
        | C::QrMissingParameter
        | C::QrDuplicateParameter
        | C::QrUnknownParameter
        | C::QrEmptyValue
        | C::QrNotHex
        | C::QrOddLength
        | C::QrSerialTooLong
        | C::QrChallengeLength
        | C::QrUnknownAlgorithm
        | C::QrChallengeAlgorithmMismatch
        | C::QrTenantInvalid
        | C::QrOtherTenant
        | C::QrNone
        | C::ImageUnreadable
        | C::CameraNone
        | C::CameraBusy
        | C::CameraDenied
        | C::CameraResolution
        | C::CameraFailed
        | C::CameraEnded => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client waits before trying again when the database cannot be reached.
const DATABASE_RETRY_AFTER: &str = "5";

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        match &self {
            ServiceError::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            ServiceError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "the database is unavailable");
            }
            _ => {}
        }
        let code = self.code();
        let mut res = (status(ErrorKind::from(&code)), Json(&code)).into_response();
        res.extensions_mut()
            .insert(crate::metrics::Refused(code.as_str()));
        if let ErrorCode::ResendTooSoon { retry_after }
        | ErrorCode::AccountLocked { retry_after }
        | ErrorCode::SendLimitReached { retry_after }
        | ErrorCode::RateLimited { retry_after } = code
            && let Ok(v) = retry_after.to_string().parse()
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        if matches!(code, ErrorCode::DatabaseUnavailable {}) {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(DATABASE_RETRY_AFTER),
            );
        }
        res
    }
}
