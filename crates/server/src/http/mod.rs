//! The HTTP surface: `fn app(state) -> Router`, tested in-process and served by `serve`. Routes
//! come from the endpoint declarations of `ea_api::endpoints`; each handler answers with its
//! endpoint's response type and success status ([`Reply`]).

pub mod error;
pub mod extract;
pub mod handlers;
pub mod openapi;

use crate::abuse::{self, Budget};
use crate::error::ServiceResult;
use crate::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use ea_api::endpoints::{self as e, Endpoint, HttpMethod};
use ea_api::{ErrorCode, HealthStatus, Readiness};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What a handler of endpoint `E` answers: `E`'s response with `E`'s success status, or the
/// service's refusal with the status of its code.
pub struct Reply<E: Endpoint>(ServiceResult<(StatusCode, E::Response)>);

impl<E: Endpoint> std::fmt::Debug for Reply<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Reply").field(&E::INFO.id).finish()
    }
}

impl<E: Endpoint> From<ServiceResult<E::Response>> for Reply<E> {
    fn from(r: ServiceResult<E::Response>) -> Self {
        let ok = StatusCode::from_u16(E::INFO.ok).unwrap_or(StatusCode::OK);
        Reply(r.map(|v| (ok, v)))
    }
}

impl Reply<e::Ready> {
    /// `/readyz` answers 503 with its body while anything it needs does not answer.
    fn ready(database: bool, sms: Option<bool>, email: Option<bool>) -> Self {
        let status = |ok: bool| {
            if ok {
                HealthStatus::Ok
            } else {
                HealthStatus::Unreachable
            }
        };
        let all = database && sms != Some(false) && email != Some(false);
        let body = Readiness {
            status: if all {
                HealthStatus::Ok
            } else {
                HealthStatus::Degraded
            },
            database: status(database),
            sms: sms.map(status),
            email: email.map(status),
        };
        let code = if all {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        Reply(Ok((code, body)))
    }
}

impl<E: Endpoint> IntoResponse for Reply<E> {
    fn into_response(self) -> Response {
        match self.0 {
            Ok((status, body)) => (status, axum::Json(body)).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

fn method<E: Endpoint, H: Handler<T, AppState>, T: 'static>(h: H) -> MethodRouter<AppState> {
    match E::INFO.method {
        HttpMethod::Get => get(h),
        HttpMethod::Post => post(h),
    }
}

/// Adds endpoint `E`, served by `h`, to `r`.
fn at<E: Endpoint, H: Handler<T, AppState>, T: 'static>(
    r: Router<AppState>,
    h: H,
) -> Router<AppState> {
    r.route(E::INFO.path, method::<E, H, T>(h))
}

/// Refuses verification requests without an accepted client key, when keys are configured.
async fn require_client_key(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if state.client_key_hashes.is_empty() {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get("x-ea-client-key")
        .and_then(|v| v.to_str().ok())
        .map(crate::token::SessionToken::hash_of);
    match presented {
        Some(h)
            if state
                .client_key_hashes
                .iter()
                .any(|k| ea_core::ct::equal_str(k, &h)) =>
        {
            next.run(req).await
        }
        _ => crate::error::ServiceError::from(ErrorCode::ClientKeyRequired {}).into_response(),
    }
}

/// Served over TLS, clients are told to use nothing else for a year (HSTS).
pub fn with_hsts(app: Router) -> Router {
    app.layer(SetResponseHeaderLayer::overriding(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    ))
}

pub fn app(state: AppState) -> Router {
    use handlers as h;
    // The desktop app's endpoints (Auth::Client, Session and Enrolment), behind the client key.
    let mut desktop = Router::new();
    desktop = at::<e::ListTenants, _, _>(desktop, h::list_tenants);
    desktop = at::<e::StartSession, _, _>(desktop, h::start_session);
    desktop = at::<e::GetSession, _, _>(desktop, h::get_session);
    desktop = at::<e::ChooseFlow, _, _>(desktop, h::choose_flow);
    desktop = at::<e::GetContacts, _, _>(desktop, h::get_contacts);
    desktop = at::<e::ConfirmContact, _, _>(desktop, h::confirm_contact);
    desktop = at::<e::ResendCode, _, _>(desktop, h::resend_code);
    desktop = at::<e::VerifyCode, _, _>(desktop, h::verify_code);
    desktop = at::<e::AnswerQuestions, _, _>(desktop, h::answer_questions);
    desktop = at::<e::VerifyTotp, _, _>(desktop, h::verify_totp);
    desktop = at::<e::ResyncTotp, _, _>(desktop, h::resync_totp);
    desktop = at::<e::GetActions, _, _>(desktop, h::get_actions);
    desktop = at::<e::GetPasswordPolicy, _, _>(desktop, h::get_password_policy);
    desktop = at::<e::GetEmergencyCodeLimits, _, _>(desktop, h::get_emergency_code_limits);
    desktop = at::<e::ResetPassword, _, _>(desktop, h::reset_password);
    desktop = at::<e::UnblockUser, _, _>(desktop, h::unblock_user);
    desktop = at::<e::IssueEmergencyCode, _, _>(desktop, h::issue_emergency_code);
    desktop = at::<e::CardCryptogram, _, _>(desktop, h::card_cryptogram);
    desktop = at::<e::CardResult, _, _>(desktop, h::card_result);
    desktop = at::<e::StartEnrolment, _, _>(desktop, h::start_enrolment);
    desktop = at::<e::StartEnrolmentWithPassword, _, _>(desktop, h::start_enrolment_with_password);
    desktop = at::<e::EnrolAfterVerification, _, _>(desktop, h::enrol_after_verification);
    desktop = at::<e::GetEnrolment, _, _>(desktop, h::get_enrolment);
    desktop = at::<e::ConfirmEnrolmentAddress, _, _>(desktop, h::confirm_enrolment_address);
    desktop = at::<e::ResendEnrolmentCode, _, _>(desktop, h::resend_enrolment_code);
    desktop = at::<e::AddContact, _, _>(desktop, h::add_contact);
    desktop = at::<e::ConfirmNewContact, _, _>(desktop, h::confirm_new_contact);
    desktop = at::<e::RemoveContact, _, _>(desktop, h::remove_contact);
    desktop = at::<e::BeginAuthenticator, _, _>(desktop, h::begin_authenticator);
    desktop = at::<e::ConfirmAuthenticator, _, _>(desktop, h::confirm_authenticator);
    desktop = at::<e::RemoveAuthenticator, _, _>(desktop, h::remove_authenticator);
    desktop = at::<e::SetAnswers, _, _>(desktop, h::set_answers);
    // Each client source's budget is charged first, in memory, before the client key or anything
    // else; then, on a shared database, across instances (the last layer added runs first).
    let desktop = desktop
        .route_layer(from_fn_with_state(
            (state.clone(), Budget::Desktop),
            abuse::shared_budget,
        ))
        .route_layer(from_fn_with_state(state.clone(), require_client_key))
        .route_layer(from_fn_with_state(
            (state.clone(), Budget::Desktop),
            abuse::per_source,
        ));
    let validation =
        at::<e::ValidateEmergencyCode, _, _>(Router::new(), h::validate_emergency_code)
            .route_layer(from_fn_with_state(
                (state.clone(), Budget::Validation),
                abuse::shared_budget,
            ))
            .route_layer(from_fn_with_state(
                (state.clone(), Budget::Validation),
                abuse::per_source,
            ));
    let mut open = Router::new();
    open = at::<e::Health, _, _>(open, h::health);
    open = at::<e::Ready, _, _>(open, h::ready);
    open = open.route(openapi::PATH, get(openapi::document));
    desktop
        .merge(validation)
        .merge(open)
        // Outermost on every route: what the metrics count is what the client got.
        .route_layer(from_fn_with_state(state.clone(), crate::metrics::track))
        .fallback(|| async { crate::error::ServiceError::from(ErrorCode::NotFound {}) })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(ea_api::limits::BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), abuse::deadline))
        // Spans carry method and path only: no headers (the bearer token) and no bodies.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        // Answers carry session tokens, emergency codes and cryptograms: no cache may keep them,
        // and no browser may guess another type for them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}
