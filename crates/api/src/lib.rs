//! HTTP wire types of the verification API (`/v1`), shared by the server, the desktop app and the
//! UI. Only data lives here: no behaviour, no framework. Field limits are part of the contract and
//! are enforced by the server before anything else happens.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;
use utoipa::ToSchema;

pub mod endpoints;
pub mod error;
pub mod integer;
mod text;
pub mod vocab;

pub use error::{ErrorCode, ErrorKind};
pub use vocab::*;

/// Longest accepted values, in characters.
pub mod limits {
    pub const TENANT: usize = 64;
    pub const USERNAME: usize = 256;
    pub const FLOW_ID: usize = 64;
    pub const CONTACT: usize = 254;
    pub const CODE: usize = 16;
    pub const ANSWER: usize = 256;
    pub const ANSWERS: usize = 10;
    pub const QUESTION: usize = 200;
    pub const PASSWORD: usize = 1024;
    pub const SERIAL_HEX: usize = 64;
    pub const EMERGENCY_CODE: usize = 64;
    /// The end user's address a relying party passes on (the longest IPv6 text form).
    pub const CLIENT_ADDRESS: usize = 45;
    /// Largest request body, in bytes.
    pub const BODY_BYTES: usize = 16 * 1024;
}

/// `POST /v1/sessions`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct StartSessionRequest {
    #[schema(schema_with = text::tenant)]
    pub tenant: String,
    #[schema(schema_with = text::username)]
    pub username: String,
    /// Offer only the flows that permit this action (the app started from a vSEC:CMS QR code
    /// asks for `card_pin_unblock`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub for_action: Option<Action>,
    /// The language the person reads the app in (`en`, `de`, `fr`, `it`): the messages this
    /// sends are written in it (else in the organisation's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16)]
    #[ts(optional)]
    pub language: Option<String>,
}

/// The answer to starting a session: the bearer token (shown once) and the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct SessionStarted {
    /// Opaque token of 256 bits; send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub session: SessionView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    ChoosingFlow,
    InProgress,
    Completed,
    /// Stopped after too many failures; a new session must be started.
    Failed,
}

/// Everything a client needs to draw the current screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct SessionView {
    pub status: SessionStatus,
    /// Unix seconds after which the session is gone.
    pub expires_at: i64,
    /// The server's clock when it wrote this view (Unix seconds): clients count time left from
    /// it, not from their own clock, which may be wrong.
    pub server_time: i64,
    /// The flows offered; when there is exactly one it is already chosen.
    pub flows: Vec<FlowSummary>,
    pub flow_id: Option<String>,
    /// Zero-based index of the current step, and the number of steps.
    pub step_index: u32,
    pub step_count: u32,
    pub step: Option<StepView>,
    /// Actions the completed flow permits (empty until completed).
    pub actions: Vec<Action>,
    /// Whom to contact when no offered way fits, per language, as the organisation wrote it
    /// (empty when it wrote nothing).
    pub help: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct FlowSummary {
    pub id: String,
    /// Name per language (`en`, `de`, `fr`, `it`).
    pub names: BTreeMap<String, String>,
    /// Methods in order.
    pub methods: Vec<Method>,
    /// What the flow lets the user do once completed.
    pub actions: Vec<Action>,
    /// The organisation's own words about the flow, per language (may be empty).
    pub description: BTreeMap<String, String>,
}

/// The current step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum StepView {
    SmsOtp(OtpStepView),
    EmailOtp(OtpStepView),
    Questions(QuestionsStepView),
    Totp(TotpStepView),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct MaskedContact {
    pub id: u32,
    /// e.g. `+41 ••••••• 67` or `a•••@e•••.org`.
    pub masked: String,
}

/// `GET /v1/session/contacts`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct ContactsView {
    pub kind: ContactKind,
    pub contacts: Vec<MaskedContact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct QuestionsStepView {
    pub questions: Vec<QuestionView>,
    pub tries_left: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct QuestionView {
    pub id: i64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct TotpStepView {
    /// The authenticator has drifted: send two consecutive codes to `/v1/session/totp/resync`.
    pub resync_required: bool,
    pub digits: u32,
}

/// `POST /v1/session/flow`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ChooseFlowRequest {
    #[schema(schema_with = text::flow_id)]
    pub flow_id: String,
}

/// `POST /v1/session/contact`: the chosen masked contact, typed in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ConfirmContactRequest {
    #[serde(with = "integer::required")]
    #[ts(as = "u32")]
    pub contact_id: u32,
    #[schema(schema_with = text::contact)]
    pub value: String,
    /// The language the person reads the app in now (`en`, `de`, `fr`, `it`), when it changed
    /// since the session started: the code and what follows are written in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16)]
    #[ts(optional)]
    pub language: Option<String>,
}

/// `POST /v1/session/code`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct VerifyCodeRequest {
    #[schema(schema_with = text::code)]
    pub code: String,
}

/// `POST /v1/session/questions`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct AnswerQuestionsRequest {
    #[schema(max_items = 10)]
    pub answers: Vec<QuestionAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct QuestionAnswer {
    #[serde(with = "integer::required")]
    #[ts(as = "i64")]
    pub question_id: i64,
    #[schema(schema_with = text::answer)]
    pub answer: String,
}

/// `POST /v1/session/totp`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct TotpVerifyRequest {
    #[schema(schema_with = text::code)]
    pub code: String,
}

/// `POST /v1/session/totp/resync`: two consecutive authenticator codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct TotpResyncRequest {
    #[schema(schema_with = text::code)]
    pub first_code: String,
    #[schema(schema_with = text::code)]
    pub second_code: String,
}

/// `GET /v1/session/actions`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct ActionsView {
    pub actions: Vec<Action>,
}

/// `GET /healthz`: the process answers (liveness).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct Health {
    pub status: HealthStatus,
}

/// `GET /readyz`: what the server needs for its work answers: the database, and the SMS gateway
/// and the SMTP relay where they are configured (absent where not). 503 while any does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct Readiness {
    pub status: HealthStatus,
    pub database: HealthStatus,
    pub sms: Option<HealthStatus>,
    pub email: Option<HealthStatus>,
}

/// `GET /v1/session/password-policy`: the rules a new password must follow, for live display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct PasswordPolicyView {
    pub min_length: u32,
    pub max_length: u32,
    pub required_classes: Vec<CharClass>,
    /// The password may not contain the username or the organisation's name, nor be a common one.
    pub forbids_username: bool,
    pub forbids_common: bool,
}

/// `POST /v1/session/actions/reset-password`. A refusal is
/// [`ErrorCode::PasswordPolicy`], listing every broken rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[schema(min_length = 1, max_length = 1024)]
    pub new_password: String,
}

/// The outcome of an action that returns nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct ActionDone {
    pub action: Action,
}

/// `GET /v1/session/emergency-code-limits`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct EmergencyCodeLimitsView {
    pub length: u32,
    pub max_uses: u32,
    pub max_validity_seconds: i64,
}

/// `POST /v1/session/actions/emergency-code`: at least one of `max_uses` and `valid_to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct IssueEmergencyCodeRequest {
    #[schema(minimum = 1)]
    #[serde(default, with = "integer::optional")]
    #[ts(as = "Option<u32>")]
    pub max_uses: Option<u32>,
    /// Unix seconds; defaults to now.
    #[serde(default, with = "integer::optional")]
    #[ts(as = "Option<i64>")]
    pub valid_from: Option<i64>,
    /// Unix seconds, exclusive.
    #[serde(default, with = "integer::optional")]
    #[ts(as = "Option<i64>")]
    pub valid_to: Option<i64>,
}

/// The issued code: shown once, never retrievable again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct EmergencyCodeIssued {
    pub code: String,
    /// The same code in groups of five, for reading and typing.
    pub display: String,
    pub max_uses: Option<u32>,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
}

/// `POST /v1/session/actions/card-cryptogram`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CardCryptogramRequest {
    /// Card serial, hex.
    #[schema(max_length = 64, pattern = "^([0-9A-Fa-f]{2})+$")]
    pub serial: String,
    /// The card's challenge, hex: 8 bytes (3DES) or 16 bytes (AES).
    #[schema(pattern = "^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$")]
    pub challenge: String,
    /// Length of the new PIN, for the audit log only; the PIN never leaves the desktop.
    #[schema(minimum = 4, maximum = 16)]
    #[serde(default, with = "integer::optional")]
    #[ts(as = "Option<u32>")]
    pub new_pin_length: Option<u32>,
    /// Where the cryptogram goes: written to the card by the app (the default), or shown on
    /// screen to be typed elsewhere (the QR path and the helpdesk form). Audited as such.
    #[serde(default)]
    pub delivery: Option<CardDelivery>,
}

/// How a card cryptogram reaches the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum CardDelivery {
    /// The desktop app writes it to the card over PC/SC.
    Card,
    /// It is displayed, to be typed into vSEC:CMS or read out to the card's holder.
    Screen,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct CardCryptogram {
    /// E_K(challenge), upper-case hex.
    pub cryptogram: String,
    pub algorithm: CardAlgorithm,
    /// Four hex digits to confirm a cryptogram read out or typed by hand.
    pub checksum: String,
}

/// `POST /v1/session/actions/card-result`: what the card answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CardResultRequest {
    #[schema(max_length = 64, pattern = "^([0-9A-Fa-f]{2})+$")]
    pub serial: String,
    /// The challenge the cryptogram answered, hex, as sent to `card-cryptogram`.
    #[schema(pattern = "^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$")]
    pub challenge: String,
    pub outcome: CardOutcome,
    /// Admin-key tries the card reports left, if known.
    #[serde(default, with = "integer::optional")]
    #[ts(as = "Option<u32>")]
    pub tries_left: Option<u32>,
}

/// `POST /v1/emergency-codes/validate`, authenticated with a relying party's API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ValidateCodeRequest {
    #[schema(schema_with = text::username)]
    pub username: String,
    #[schema(schema_with = text::emergency_code)]
    pub code: String,
    /// The end user's IP address as the login page sees it. When given, wrong codes count against
    /// this address first (IPv6 by its /64), then against the username. Kept only as a keyed
    /// hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = text::client_address)]
    #[ts(optional)]
    pub client_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct ValidateCodeResponse {
    pub result: ValidationResult,
    /// Uses left after this one; absent for codes limited only by dates.
    pub uses_left: Option<u32>,
    /// Why a code is invalid.
    pub reason: Option<InvalidReason>,
    /// With `locked`: seconds until codes for this username are checked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

// --- Enrolment: users register their own recovery factors ---

/// `POST /v1/enrolments`: an invited user starts enrolling with the code of their invitation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct StartEnrolmentRequest {
    #[schema(schema_with = text::tenant)]
    pub tenant: String,
    #[schema(schema_with = text::username)]
    pub username: String,
    /// The invitation's enrolment code (`XXXX-XXXX-XXXX`; case, spaces and dashes do not matter).
    #[schema(schema_with = text::code)]
    pub code: String,
    /// The language the person reads the app in (`en`, `de`, `fr`, `it`): the messages this
    /// sends are written in it (else in the organisation's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16)]
    #[ts(optional)]
    pub language: Option<String>,
}

/// `POST /v1/enrolments/directory`: a user of an organisation whose accounts live in a directory
/// opens an enrolment with their directory password.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct StartEnrolmentWithPasswordRequest {
    #[schema(schema_with = text::tenant)]
    pub tenant: String,
    #[schema(schema_with = text::username)]
    pub username: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    /// The language the person reads the app in (`en`, `de`, `fr`, `it`): the messages this
    /// sends are written in it (else in the organisation's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16)]
    #[ts(optional)]
    pub language: Option<String>,
}

impl std::fmt::Debug for StartEnrolmentWithPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartEnrolmentWithPasswordRequest")
            .field("tenant", &self.tenant)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The answer to starting an enrolment: its bearer token (shown once) and the enrolment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct EnrolmentStarted {
    /// Opaque token of 256 bits; send it as `Authorization: Bearer <token>` to `/v1/enrolment`.
    pub token: String,
    pub enrolment: EnrolmentView,
}

/// Where an enrolment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStage {
    /// A code went to the invited address; nothing can be changed before it is typed.
    ConfirmAddress,
    /// The user is known: factors can be added, changed and removed.
    Open,
}

/// A phone number or address being proven: a code went to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct PendingContactView {
    pub kind: ContactKind,
    pub masked: String,
    pub code_length: u8,
    pub code_expires_at: i64,
    pub attempts_left: u32,
    /// When another code may be sent (Unix seconds).
    pub resend_available_at: i64,
}

/// How many of one kind of contact a user registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct ContactRule {
    pub required: u32,
    pub max: u32,
}

/// What the tenant asks its users to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct EnrolmentProfileView {
    pub phones: ContactRule,
    pub emails: ContactRule,
    pub authenticator_required: bool,
    pub questions_required: u32,
    /// The tenant's questions to choose from.
    pub catalogue: Vec<String>,
    /// Whether users may write questions of their own.
    pub own_questions: bool,
    pub min_answer_length: u32,
}

/// What a user has registered (contacts masked, answers never shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct EnrolmentView {
    pub stage: EnrolmentStage,
    pub username: String,
    /// The invited address, masked, while it is being confirmed.
    pub address: Option<String>,
    pub pending: Option<PendingContactView>,
    pub phones: Vec<MaskedContact>,
    pub emails: Vec<MaskedContact>,
    pub authenticator: bool,
    /// The texts of the questions the user answered.
    pub questions: Vec<String>,
    pub profile: EnrolmentProfileView,
    /// What the user still lacks against the profile.
    pub missing: Vec<MissingFactor>,
    /// When this enrolment ends (Unix seconds).
    pub expires_at: i64,
    /// The server's clock when it wrote this view (Unix seconds).
    pub server_time: i64,
}

/// `POST /v1/enrolment/address`, `/v1/enrolment/contacts/confirm`, `/v1/enrolment/authenticator/confirm`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentCodeRequest {
    #[schema(schema_with = text::code)]
    pub code: String,
}

/// `POST /v1/enrolment/contacts`: a code is sent to the new phone number or address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct AddContactRequest {
    pub kind: ContactKind,
    #[schema(schema_with = text::contact)]
    pub value: String,
}

/// `POST /v1/enrolment/contacts/remove`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct RemoveContactRequest {
    pub kind: ContactKind,
    /// The contact's `id` in the enrolment view.
    pub id: u32,
}

/// `POST /v1/enrolment/authenticator`: a new secret, to be confirmed with a code before it is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct AuthenticatorSetup {
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/...`, for a QR code an authenticator app reads.
    pub uri: String,
    pub digits: u32,
    pub period: u64,
    pub algorithm: String,
}

/// One answer to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct NewAnswer {
    /// A question of the tenant's catalogue, or the user's own where the tenant allows it.
    #[schema(schema_with = text::question)]
    pub question: String,
    #[schema(schema_with = text::answer)]
    pub answer: String,
}

/// `POST /v1/enrolment/answers`: replaces all of the user's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SetAnswersRequest {
    #[schema(max_items = 10)]
    pub answers: Vec<NewAnswer>,
}

/// An organisation the desktop app may offer in its picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct TenantSummary {
    /// The short name the app sends (`tenant`).
    pub slug: String,
    pub name: String,
}

/// `GET /v1/tenants`: the organisations an administrator listed (never all of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
pub struct TenantsView {
    pub tenants: Vec<TenantSummary>,
}
