//! Request extractors that turn bad input into clear `{code, params}` errors before a handler
//! runs: a JSON body (content type, syntax, shape, size) and the bearer credentials.

use crate::error::ServiceError;
use crate::token::{EnrolmentToken, RelyingPartyKey, SessionToken};
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
            Err(other) => Err(invalid(describe(&other.body_text()))),
        }
    }
}

/// What serde found wrong, without the values it quotes: a field's name and the expected type
/// stay, the value sent (`invalid type: integer `123456``, which may be a code or an answer)
/// becomes its kind only.
fn describe(text: &str) -> String {
    const VALUE_AFTER: [&str; 3] = ["invalid type: ", "invalid value: ", "unknown variant "];
    let mut out = String::new();
    let mut rest = text;
    while let Some((at, marker)) = VALUE_AFTER
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, *m)))
        .min()
    {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        // serde always says what it expected after the value.
        let end = rest.find(", expected").unwrap_or(rest.len());
        let kind = rest[..end]
            .split(['`', '"'])
            .next()
            .unwrap_or_default()
            .trim();
        out.push_str(if kind.is_empty() { "value" } else { kind });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.chars().take(200).collect()
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

impl<S: Send + Sync> FromRequestParts<S> for EnrolmentToken {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, ServiceError> {
        Ok(EnrolmentToken(
            SessionToken::from_request_parts(parts, s).await?,
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RelyingPartyKey {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ServiceError> {
        Ok(RelyingPartyKey::parse(bearer(parts)?).ok_or(ErrorCode::Unauthorized {})?)
    }
}

/// The request's client source, as the per-source limiter found it.
impl<S: Send + Sync> FromRequestParts<S> for crate::abuse::Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<crate::abuse::Source>()
            .copied()
            .unwrap_or_else(crate::abuse::Source::unknown))
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn values_sent_are_not_repeated() {
        let cases = [
            (
                "Failed to deserialize the JSON body into the target type: code: invalid type: integer `123456`, expected a string at line 1 column 15",
                "code: invalid type: integer, expected a string at line 1 column 15",
            ),
            (
                "answers[0]: invalid type: string \"Smith\", expected struct QuestionAnswer at line 1 column 20",
                "answers[0]: invalid type: string, expected struct QuestionAnswer at line 1 column 20",
            ),
            (
                "outcome: unknown variant `hunter2`, expected one of `unblocked`, `aborted`",
                "outcome: unknown variant value, expected one of `unblocked`, `aborted`",
            ),
            (
                "contact_id: invalid value: floating point `1.5`, expected an integer in range",
                "contact_id: invalid value: floating point, expected an integer in range",
            ),
            (
                "missing field `code` at line 1 column 2",
                "missing field `code` at line 1 column 2",
            ),
        ];
        for (serde, shown) in cases {
            assert!(
                describe(serde).ends_with(shown),
                "{serde}\n -> {}",
                describe(serde)
            );
        }
        for secret in ["123456", "Smith", "hunter2", "1.5"] {
            assert!(cases.iter().all(|(s, _)| !describe(s).contains(secret)));
        }
    }
}
