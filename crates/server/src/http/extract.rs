//! Request extractors that turn bad input into clear `{code, params}` errors before a handler runs:
//! a JSON body (content type, syntax, shape, size) and the bearer session token.

use crate::error::ServiceError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use ea_api::{ErrorCode, FieldProblem};
use sha2::{Digest, Sha256};

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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ErrorCode::UnsupportedMediaType {}.into())
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ServiceError::from(ErrorCode::InvalidJson {
                    reason: short(&e.body_text()),
                }))
            }
            Err(JsonRejection::JsonDataError(e)) => {
                Err(ServiceError::from(ErrorCode::InvalidJson {
                    reason: short(&e.body_text()),
                }))
            }
            Err(JsonRejection::BytesRejection(e)) => {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(ErrorCode::BodyTooLarge {}.into())
                } else {
                    Err(ServiceError::from(ErrorCode::InvalidJson {
                        reason: "the body could not be read".into(),
                    }))
                }
            }
            Err(other) => Err(ServiceError::from(ErrorCode::InvalidJson {
                reason: short(&other.body_text()),
            })),
        }
    }
}

/// serde's messages name fields and types but never echo values, so they are safe to return.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The session's bearer token, already hashed: handlers never hold the token itself.
#[derive(Debug, Clone)]
pub struct SessionToken {
    pub hash: String,
}

impl SessionToken {
    pub fn hash_of(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }
    /// A short reference for logs and the audit log.
    pub fn reference(&self) -> String {
        self.hash[..12].to_owned()
    }
}

/// The credential of an `Authorization: Bearer …` header.
pub fn bearer(parts: &Parts) -> Result<&str, ServiceError> {
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
        let token = bearer(parts)?;
        // Tokens are 43 base64url characters; anything else cannot be one of ours.
        if token.len() != 43
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ErrorCode::SessionUnknown {}.into());
        }
        Ok(SessionToken {
            hash: Self::hash_of(token),
        })
    }
}

/// Checks a text field's length (in characters) and that it holds no control characters.
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ServiceError> {
    if value.chars().count() > max {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            field,
            FieldProblem::TooLong,
            Some(max),
        )));
    }
    if value.trim().is_empty() {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            field,
            FieldProblem::Empty,
            None,
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            field,
            FieldProblem::ControlCharacters,
            None,
        )));
    }
    Ok(())
}
