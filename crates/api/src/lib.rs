//! HTTP wire types of the verification API (`/v1`), shared by the server, the desktop app and the
//! UI. Only data lives here: no behaviour, no framework. Field limits are part of the contract and
//! are enforced by the server before anything else happens.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Longest accepted values, in characters.
pub mod limits {
    pub const TENANT: usize = 64;
    pub const USERNAME: usize = 256;
    pub const FLOW_ID: usize = 64;
    pub const CONTACT: usize = 254;
    pub const CODE: usize = 16;
    pub const ANSWER: usize = 256;
    pub const ANSWERS: usize = 10;
    /// Largest request body, in bytes.
    pub const BODY_BYTES: usize = 16 * 1024;
}

/// Every error: a stable code the client branches on and translates, and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// e.g. `code_invalid`, `session_expired`, `invalid_field`.
    pub code: String,
    /// e.g. `{"attempts_left": 2}`; never a secret.
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// `POST /v1/sessions`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSessionRequest {
    pub tenant: String,
    pub username: String,
}

/// The answer to starting a session: the bearer token (shown once) and the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionStarted {
    /// Opaque token of 256 bits; send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub session: SessionView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    ChoosingFlow,
    InProgress,
    Completed,
    Failed,
}

/// Everything a client needs to draw the current screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub status: SessionStatus,
    /// Unix seconds after which the session is gone.
    pub expires_at: i64,
    /// The flows offered; when there is exactly one it is already chosen.
    pub flows: Vec<FlowSummary>,
    pub flow_id: Option<String>,
    /// Zero-based index of the current step, and the number of steps.
    pub step_index: u32,
    pub step_count: u32,
    pub step: Option<StepView>,
    /// Actions the completed flow permits (empty until completed).
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FlowSummary {
    pub id: String,
    /// Name per language (`en`, `de`, `fr`, `it`).
    pub names: BTreeMap<String, String>,
    /// Methods in order, e.g. `["sms_otp", "totp"]`.
    pub methods: Vec<String>,
}

/// The current step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum StepView {
    SmsOtp(OtpStepView),
    EmailOtp(OtpStepView),
    Questions(QuestionsStepView),
    Totp(TotpStepView),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OtpStepView {
    pub contacts: Vec<MaskedContact>,
    /// Set once the user typed the chosen contact in full.
    pub confirmed_contact: Option<u32>,
    pub code_sent: bool,
    pub code_length: u8,
    pub code_expires_at: Option<i64>,
    pub attempts_left: Option<u32>,
    /// When a new code may be requested (Unix seconds), if one was sent.
    pub resend_available_at: Option<i64>,
    pub resends_left: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MaskedContact {
    pub id: u32,
    /// e.g. `+41 ••••••• 67` or `a•••@e•••.org`.
    pub masked: String,
}

/// `GET /v1/session/contacts`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactsView {
    /// `phone` or `email`.
    pub kind: String,
    pub contacts: Vec<MaskedContact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuestionsStepView {
    pub questions: Vec<QuestionView>,
    pub tries_left: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuestionView {
    pub id: i64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TotpStepView {
    /// The authenticator has drifted: send two consecutive codes to `/v1/session/totp/resync`.
    pub resync_required: bool,
    pub digits: u32,
}

/// `POST /v1/session/flow`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseFlowRequest {
    pub flow_id: String,
}

/// `POST /v1/session/contact`: the chosen masked contact, typed in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmContactRequest {
    pub contact_id: u32,
    pub value: String,
}

/// `POST /v1/session/code`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyCodeRequest {
    pub code: String,
}

/// `POST /v1/session/questions`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerQuestionsRequest {
    pub answers: Vec<QuestionAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionAnswer {
    pub question_id: i64,
    pub answer: String,
}

/// `POST /v1/session/totp`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpVerifyRequest {
    pub code: String,
}

/// `POST /v1/session/totp/resync`: two consecutive authenticator codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpResyncRequest {
    pub first_code: String,
    pub second_code: String,
}

/// `GET /v1/session/actions`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ActionsView {
    pub actions: Vec<String>,
}

/// `GET /healthz`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}
