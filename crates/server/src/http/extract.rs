//! Request extractors that turn bad input into clear `{code, params}` errors before a handler
//! runs: a JSON body (content type, syntax, shape, size) and the bearer credentials.

use crate::error::ServiceError;
use crate::token::{RelyingPartyKey, SessionToken};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use ea_api::ErrorCode;

/// A JSON body with this API's errors.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ServiceError> {
        let invalid = |reason: String| ServiceError::from(ErrorCode::InvalidJson { reason });
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ErrorCode::UnsupportedMediaType {}.into())
            }
            Err(JsonRejection::BytesRejection(e))
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ErrorCode::BodyTooLarge {}.into())
            }
            Err(JsonRejection::BytesRejection(_)) => {
                Err(invalid("the body could not be read".into()))
            }
            Err(other) => Err(invalid(short(&other.body_text()))),
        }
    }
}

/// serde's messages name fields and types but never echo values, so they are safe to return.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The credential of an `Authorization: Bearer …` header.
fn bearer(parts: &Parts) -> Result<&str, ServiceError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ErrorCode::Unauthorized {})?;
    Ok(value
        .strip_prefix("Bearer ")
        .ok_or(ErrorCode::Unauthorized {})?
        .trim())
}

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ServiceError> {
        Ok(SessionToken::parse(bearer(parts)?).ok_or(ErrorCode::SessionUnknown {})?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RelyingPartyKey {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ServiceError> {
        Ok(RelyingPartyKey::parse(bearer(parts)?).ok_or(ErrorCode::Unauthorized {})?)
    }
}
