//! The HTTP surface: `fn app(state) -> Router`, tested in-process and served by `serve`.

pub mod actions;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod relying;
pub mod sessions;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Refuses verification requests without an accepted client key, when keys are configured.
async fn require_client_key(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if state.client_key_hashes.is_empty() {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get("x-ea-client-key")
        .and_then(|v| v.to_str().ok())
        .map(extract::SessionToken::hash_of);
    match presented {
        Some(h)
            if state
                .client_key_hashes
                .iter()
                .any(|k| ea_core::ct::equal_str(k, &h)) =>
        {
            next.run(req).await
        }
        _ => crate::error::ServiceError::from(ea_api::ErrorCode::ClientKeyRequired {})
            .into_response(),
    }
}

pub fn app(state: AppState) -> Router {
    let verification = Router::new()
        .route("/sessions", post(sessions::start))
        .route("/session", get(sessions::state))
        .route("/session/flow", post(sessions::choose_flow))
        .route("/session/contacts", get(sessions::contacts))
        .route("/session/contact", post(sessions::confirm_contact))
        .route("/session/code/resend", post(sessions::resend))
        .route("/session/code", post(sessions::verify_code))
        .route("/session/questions", post(sessions::answer_questions))
        .route("/session/totp", post(sessions::verify_totp))
        .route("/session/totp/resync", post(sessions::resync_totp))
        .route("/session/actions", get(sessions::actions))
        .route("/session/password-policy", get(actions::password_policy))
        .route(
            "/session/emergency-code-limits",
            get(actions::emergency_code_limits),
        )
        .route(
            "/session/actions/reset-password",
            post(actions::reset_password),
        )
        .route("/session/actions/unblock-user", post(actions::unblock_user))
        .route(
            "/session/actions/emergency-code",
            post(actions::emergency_code),
        )
        .route(
            "/session/actions/card-cryptogram",
            post(actions::card_cryptogram),
        )
        .route("/session/actions/card-result", post(actions::card_result))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_client_key,
        ));
    let v1 = verification
        .route("/emergency-codes/validate", post(relying::validate))
        .route("/openapi.json", get(openapi::document));
    Router::new()
        .route("/healthz", get(sessions::health))
        .nest("/v1", v1)
        .fallback(|| async { crate::error::ServiceError::from(ea_api::ErrorCode::NotFound {}) })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(ea_api::limits::BODY_BYTES))
        // Spans carry method and path only: no headers (the bearer token) and no bodies.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}
