//! Handlers of the verification API. Each validates its input, then hands one operation to
//! [`crate::verification`]; none holds business rules of its own.

use super::extract::{JsonBody, SessionToken, check_text};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::verification::{self, Op};
use crate::{subject, view};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ea_api::limits;
use ea_api::*;
use ea_core::VerificationSession;
use ea_core::contact::ContactKind;
use ea_store::{audit, sessions as session_repo, tenants, users};
use rand::{RngCore, SeedableRng};
use zeroize::Zeroizing;

/// Start a verification for a username.
#[utoipa::path(post, path = "/v1/sessions", request_body = StartSessionRequest,
    responses((status = 201, body = SessionStarted), (status = 400, body = ErrorCode), (status = 404, body = ErrorCode)))]
pub async fn start(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<StartSessionRequest>,
) -> Result<(StatusCode, Json<SessionStarted>), ServiceError> {
    check_text("tenant", &req.tenant, limits::TENANT)?;
    check_text("username", &req.username, limits::USERNAME)?;
    let db = state.store.db();
    let tenant = tenants::by_slug(db, req.tenant.trim())
        .await?
        .ok_or(ErrorCode::TenantUnknown {})?;
    let flows = tenants::flows(db, tenant.id).await?;
    if flows.is_empty() {
        return Err(ErrorCode::TenantUnknown {}.into());
    }
    let username = users::normalize_username(&req.username);
    let user = users::find(db, tenant.id, &username).await?;
    // Read for everyone, used only for decoys: equal work for known and unknown names.
    let pool = users::question_pool(db, tenant.id).await?;
    let subject = subject::build(&state, &tenant, &username, user.as_ref(), &pool)?;

    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut raw = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(raw.as_mut());
    let token = URL_SAFE_NO_PAD.encode(raw.as_ref());
    let st = SessionToken {
        hash: SessionToken::hash_of(&token),
    };
    let now = state.now();
    let session = VerificationSession::start(
        st.hash[..16].to_owned(),
        &tenant.slug,
        &username,
        &flows,
        tenant.session_lifetime_seconds,
        &subject,
        now,
        &mut rng,
    );

    let txn = state.store.begin().await?;
    session_repo::insert(&txn, &st.hash, tenant.id, &session).await?;
    let ev = audit::AuditEvent {
        tenant_id: Some(tenant.id),
        event: "session_started".into(),
        username: Some(username),
        session_ref: Some(st.reference()),
        detail: serde_json::json!({ "known_user": subject.known }),
    };
    audit::record(&txn, ev, now).await?;
    txn.commit().await.map_err(ea_store::StoreError::from)?;
    let view = view::session_view(&session, &flows, &subject);
    Ok((
        StatusCode::CREATED,
        Json(SessionStarted {
            token,
            session: view,
        }),
    ))
}

/// The session as it stands.
#[utoipa::path(get, path = "/v1/session", security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 401, body = ErrorCode)))]
pub async fn state(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<SessionView>, ServiceError> {
    Ok(Json(verification::load(&state, &token).await?.view()))
}

/// Choose one of the offered flows.
#[utoipa::path(post, path = "/v1/session/flow", request_body = ChooseFlowRequest, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorCode), (status = 409, body = ErrorCode)))]
pub async fn choose_flow(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<ChooseFlowRequest>,
) -> Result<Json<SessionView>, ServiceError> {
    check_text("flow_id", &req.flow_id, limits::FLOW_ID)?;
    Ok(Json(
        verification::apply(&state, &token, Op::ChooseFlow(req.flow_id)).await?,
    ))
}

/// The masked phone numbers or addresses of the current step.
#[utoipa::path(get, path = "/v1/session/contacts", security(("session" = [])),
    responses((status = 200, body = ContactsView), (status = 409, body = ErrorCode)))]
pub async fn contacts(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<ContactsView>, ServiceError> {
    let l = verification::load(&state, &token).await?;
    let kind = match (l.session.status, l.session.current_step()) {
        (ea_core::SessionStatus::InProgress, Some(ea_core::Step::SmsOtp(_))) => ContactKind::Phone,
        (ea_core::SessionStatus::InProgress, Some(ea_core::Step::EmailOtp(_))) => {
            ContactKind::Email
        }
        _ => {
            let expected = match l.view().step {
                Some(StepView::Questions(_)) => ExpectedRequest::Questions,
                Some(StepView::Totp(_)) => ExpectedRequest::Totp,
                _ if l.session.status == ea_core::SessionStatus::ChoosingFlow => {
                    ExpectedRequest::Flow
                }
                _ => ExpectedRequest::None,
            };
            return Err(ea_core::VerifyError::StepOutOfOrder { expected }.into());
        }
    };
    Ok(Json(ContactsView {
        kind,
        contacts: view::masked_contacts(&l.subject, kind),
    }))
}

/// Type the chosen contact in full; if it matches, a code is sent to it.
#[utoipa::path(post, path = "/v1/session/contact", request_body = ConfirmContactRequest, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 422, body = ErrorCode), (status = 423, body = ErrorCode)))]
pub async fn confirm_contact(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<ConfirmContactRequest>,
) -> Result<Json<SessionView>, ServiceError> {
    check_text("value", &req.value, limits::CONTACT)?;
    let op = Op::ConfirmContact {
        contact_id: req.contact_id,
        value: Zeroizing::new(req.value),
    };
    Ok(Json(verification::apply(&state, &token, op).await?))
}

/// Send a new code to the confirmed contact (after the cooldown, within the cap).
#[utoipa::path(post, path = "/v1/session/code/resend", security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 429, body = ErrorCode)))]
pub async fn resend(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<SessionView>, ServiceError> {
    Ok(Json(verification::apply(&state, &token, Op::Resend).await?))
}

/// Check the code that was sent.
#[utoipa::path(post, path = "/v1/session/code", request_body = VerifyCodeRequest, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 422, body = ErrorCode), (status = 410, body = ErrorCode)))]
pub async fn verify_code(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<VerifyCodeRequest>,
) -> Result<Json<SessionView>, ServiceError> {
    check_text("code", &req.code, limits::CODE)?;
    Ok(Json(
        verification::apply(&state, &token, Op::VerifyCode(Zeroizing::new(req.code))).await?,
    ))
}

/// Answer every question shown, at once.
#[utoipa::path(post, path = "/v1/session/questions", request_body = AnswerQuestionsRequest, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 422, body = ErrorCode), (status = 410, body = ErrorCode)))]
pub async fn answer_questions(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<AnswerQuestionsRequest>,
) -> Result<Json<SessionView>, ServiceError> {
    if req.answers.len() > limits::ANSWERS {
        return Err(ServiceError::from(ErrorCode::invalid_field(
            "answers",
            FieldProblem::TooMany,
            Some(limits::ANSWERS),
        )));
    }
    let mut answers = Vec::with_capacity(req.answers.len());
    for a in req.answers {
        check_text("answer", &a.answer, limits::ANSWER)?;
        answers.push((a.question_id, Zeroizing::new(a.answer)));
    }
    Ok(Json(
        verification::apply(&state, &token, Op::Answer(answers)).await?,
    ))
}

/// Check an authenticator code.
#[utoipa::path(post, path = "/v1/session/totp", request_body = TotpVerifyRequest, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 422, body = ErrorCode)))]
pub async fn verify_totp(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<TotpVerifyRequest>,
) -> Result<Json<SessionView>, ServiceError> {
    check_text("code", &req.code, limits::CODE)?;
    Ok(Json(
        verification::apply(&state, &token, Op::Totp(Zeroizing::new(req.code))).await?,
    ))
}

/// Resynchronise a drifted authenticator with two consecutive codes.
#[utoipa::path(post, path = "/v1/session/totp/resync", request_body = TotpResyncRequest, security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 422, body = ErrorCode)))]
pub async fn resync_totp(
    State(state): State<AppState>,
    token: SessionToken,
    JsonBody(req): JsonBody<TotpResyncRequest>,
) -> Result<Json<SessionView>, ServiceError> {
    check_text("first_code", &req.first_code, limits::CODE)?;
    check_text("second_code", &req.second_code, limits::CODE)?;
    let op = Op::TotpResync(
        Zeroizing::new(req.first_code),
        Zeroizing::new(req.second_code),
    );
    Ok(Json(verification::apply(&state, &token, op).await?))
}

/// The actions the completed verification permits.
#[utoipa::path(get, path = "/v1/session/actions", security(("session" = [])),
    responses((status = 200, body = ActionsView), (status = 401, body = ErrorCode)))]
pub async fn actions(
    State(state): State<AppState>,
    token: SessionToken,
) -> Result<Json<ActionsView>, ServiceError> {
    let l = verification::load(&state, &token).await?;
    Ok(Json(ActionsView {
        actions: l.view().actions,
    }))
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: HealthStatus::Ok,
                database: HealthStatus::Ok,
            }),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: HealthStatus::Degraded,
                database: HealthStatus::Unreachable,
            }),
        ),
    }
}
