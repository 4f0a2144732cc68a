//! The one error type of the HTTP layer. Every refusal becomes `{code, params}` with a fitting
//! status; internal failures are logged here and shown as a generic `internal` code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ea_api::ErrorBody;
use ea_core::VerifyError;
use ea_core::error::ErrorParam;
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("the request body is not valid JSON for this endpoint: {0}")]
    InvalidJson(String),
    #[error("requests must be sent as application/json")]
    UnsupportedMediaType,
    #[error("the request body is too large")]
    BodyTooLarge,
    #[error("field {field} is invalid: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
        max: Option<usize>,
    },
    #[error("missing or malformed Authorization header")]
    Unauthorized,
    #[error("unknown session")]
    SessionUnknown,
    #[error("unknown tenant")]
    TenantUnknown,
    #[error("no delivery channel is configured for {0}")]
    DeliveryUnavailable(&'static str),
    #[error("the server is busy; try again")]
    Busy,
    #[error("not found")]
    NotFound,
    #[error("internal error: {0}")]
    Internal(String),
    /// Any other refusal with its own status, code and parameters.
    #[error("{code}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        params: Map<String, Value>,
    },
}

impl From<ea_store::StoreError> for ApiError {
    fn from(e: ea_store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ApiError {
    /// A refusal with its own code; `params` must be a JSON object (anything else is dropped).
    pub fn coded(status: StatusCode, code: &'static str, params: Value) -> ApiError {
        let params = match params {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        ApiError::Coded {
            status,
            code,
            params,
        }
    }

    fn status(&self) -> StatusCode {
        use VerifyError as V;
        match self {
            ApiError::Verify(v) => match v {
                V::SessionExpired => StatusCode::UNAUTHORIZED,
                V::VerificationFailed => StatusCode::GONE,
                V::AlreadyCompleted | V::StepOutOfOrder { .. } | V::NoCodeSent => {
                    StatusCode::CONFLICT
                }
                V::UnknownFlow | V::UnknownContact => StatusCode::NOT_FOUND,
                V::VerificationIncomplete | V::ActionNotPermitted => StatusCode::FORBIDDEN,
                V::ActionAlreadyUsed | V::ActionInProgress => StatusCode::CONFLICT,
                V::ResendTooSoon { .. } | V::ResendLimitReached => StatusCode::TOO_MANY_REQUESTS,
                V::AccountLocked { .. } => StatusCode::LOCKED,
                V::CodeExpired => StatusCode::GONE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            ApiError::InvalidJson(_) | ApiError::InvalidField { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized | ApiError::SessionUnknown => StatusCode::UNAUTHORIZED,
            ApiError::TenantUnknown | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::DeliveryUnavailable(_) | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Coded { status, .. } => *status,
        }
    }

    /// The stable code and parameters.
    pub fn body(&self) -> ErrorBody {
        let mut params = Map::new();
        let code = match self {
            ApiError::Verify(v) => {
                for (k, p) in v.params() {
                    let value = match p {
                        ErrorParam::Number(n) => Value::from(n),
                        ErrorParam::Text(t) => Value::from(t),
                    };
                    params.insert(k.to_owned(), value);
                }
                v.code()
            }
            ApiError::InvalidJson(reason) => {
                params.insert("reason".into(), Value::from(reason.as_str()));
                "invalid_json"
            }
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::BodyTooLarge => "body_too_large",
            ApiError::InvalidField { field, reason, max } => {
                params.insert("field".into(), Value::from(*field));
                params.insert("reason".into(), Value::from(*reason));
                if let Some(m) = max {
                    params.insert("max".into(), Value::from(*m));
                }
                "invalid_field"
            }
            ApiError::Unauthorized => "unauthorized",
            ApiError::SessionUnknown => "session_unknown",
            ApiError::TenantUnknown => "tenant_unknown",
            ApiError::DeliveryUnavailable(channel) => {
                params.insert("channel".into(), Value::from(*channel));
                "delivery_unavailable"
            }
            ApiError::Busy => "busy",
            ApiError::NotFound => "not_found",
            ApiError::Internal(_) => "internal",
            ApiError::Coded {
                code, params: p, ..
            } => {
                params = p.clone();
                code
            }
        };
        ErrorBody {
            code: code.to_owned(),
            params,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let mut res = (self.status(), Json(self.body())).into_response();
        if let ApiError::Verify(
            VerifyError::ResendTooSoon { retry_after } | VerifyError::AccountLocked { retry_after },
        ) = &self
            && let Ok(v) = retry_after.to_string().parse()
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}
