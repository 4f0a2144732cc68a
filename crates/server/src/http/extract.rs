//! Request extractors that turn bad input into clear `{code, params}` errors before a handler runs:
//! a JSON body (content type, syntax, shape, size) and the bearer session token.

use super::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

/// A JSON body with this API's errors.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ApiError::InvalidJson(short(&e.body_text())))
            }
            Err(JsonRejection::JsonDataError(e)) => {
                Err(ApiError::InvalidJson(short(&e.body_text())))
            }
            Err(JsonRejection::BytesRejection(e)) => {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(ApiError::BodyTooLarge)
                } else {
                    Err(ApiError::InvalidJson("the body could not be read".into()))
                }
            }
            Err(other) => Err(ApiError::InvalidJson(short(&other.body_text()))),
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
pub fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized)?;
    Ok(value
        .strip_prefix("Bearer ")
        .ok_or(ApiError::Unauthorized)?
        .trim())
}

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        // Tokens are 43 base64url characters; anything else cannot be one of ours.
        if token.len() != 43
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::SessionUnknown);
        }
        Ok(SessionToken {
            hash: Self::hash_of(token),
        })
    }
}

/// Checks a text field's length (in characters) and that it holds no control characters.
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::InvalidField {
            field,
            reason: "too_long",
            max: Some(max),
        });
    }
    if value.trim().is_empty() {
        return Err(ApiError::InvalidField {
            field,
            reason: "empty",
            max: None,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::InvalidField {
            field,
            reason: "control_characters",
            max: None,
        });
    }
    Ok(())
}
