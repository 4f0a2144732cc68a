//! Every refusal the product can show a person: the server's, the card's, the camera's and the
//! desktop shell's own. On the wire and across the Tauri bridge an error is
//! `{"code": "...", "params": {...}}`; the UI translates each code, and its catalogs are typed by
//! this enum's TypeScript export, so a code without a message fails the UI's type check.
//!
//! No parameter is ever a secret. Values that come from outside (a scanned link's parameter
//! names) are shortened by whoever builds the error.

use crate::vocab::{
    AnswerIssue, ContactKind, ExpectedRequest, Factor, FieldProblem, LimitViolation,
    PasswordViolation,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// The one error type of the product. Variants without parameters are written `Name {}` so that
/// `params` is always present (an empty object) on the wire.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS, strum::EnumDiscriminants,
)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
#[strum_discriminants(
    name(ErrorKind),
    derive(strum::IntoStaticStr, strum::EnumIter, Hash),
    strum(serialize_all = "snake_case")
)]
pub enum ErrorCode {
    // --- Verification (the server's engine) ---
    SessionExpired {},
    VerificationFailed {},
    AlreadyCompleted {},
    StepOutOfOrder {
        expected: ExpectedRequest,
    },
    FlowUnknown {},
    FlowUnavailable {},
    ContactUnknown {},
    ContactMalformed {},
    ContactMismatch {
        attempts_left: u32,
    },
    ResendTooSoon {
        retry_after: i64,
    },
    ResendLimitReached {},
    /// Too many codes went to this contact, this user or this organisation in the last hour.
    SendLimitReached {
        retry_after: i64,
    },
    /// Too many requests from this client, or for this username, in a short time.
    RateLimited {
        retry_after: i64,
    },
    CodeInvalid {
        attempts_left: u32,
    },
    CodeExpired {},
    CodeNotSent {},
    AnswersWrong {
        tries_left: u32,
    },
    AnswersIncomplete {},
    TotpInvalid {},
    TotpResyncRequired {},
    AccountLocked {
        retry_after: i64,
    },
    VerificationIncomplete {},
    ActionNotPermitted {},
    ActionAlreadyUsed {},
    ActionInProgress {},

    // --- The request itself ---
    InvalidJson {
        /// serde's description with the field and the expected type; the value sent is left out.
        reason: String,
    },
    UnsupportedMediaType {},
    BodyTooLarge {},
    InvalidField {
        field: String,
        reason: FieldProblem,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        max: Option<u64>,
    },
    Unauthorized {},
    ClientKeyRequired {},
    SessionUnknown {},
    TenantUnknown {},
    DeliveryUnavailable {
        channel: ContactKind,
    },
    Busy {},
    /// The server cannot reach its database just now: nothing was accepted or changed, and the
    /// session is kept; the request can be sent again after `Retry-After`.
    DatabaseUnavailable {},
    NotFound {},
    Internal {},

    // --- Actions ---
    PasswordPolicy {
        violations: Vec<PasswordViolation>,
        min_length: u32,
        max_length: u32,
    },
    EmergencyCodeLimits {
        violations: Vec<LimitViolation>,
        max_uses: u32,
        max_validity_seconds: i64,
    },
    AccountDisabled {},
    DirectoryUnavailable {},
    CardUnknown {},
    /// A card result that does not name the serial and challenge its cryptogram was issued for.
    CardResultMismatch {},
    ChallengeLength {
        expected: u32,
    },
    CardKeyUnavailable {},
    CardProfileRefused {
        reason: String,
    },

    // --- Enrolment ---
    /// The enrolment code is wrong, used, replaced or expired (which, is not told).
    EnrolmentCodeInvalid {},
    /// The organisation has not set up enrolment (or not this way into it).
    EnrolmentUnavailable {},
    /// The username and directory password do not match (which of the two, is not told).
    DirectoryPasswordWrong {},
    /// A code must be typed first (the invited address, or the contact being proven).
    EnrolmentStepOutOfOrder {},
    /// No more contacts of this kind may be registered.
    ContactLimitReached {
        kind: ContactKind,
        max: u32,
    },
    /// This phone number or address is registered already.
    ContactAlreadyEnrolled {},
    /// Removing this factor would leave a recovery flow (`flow`, by its name) or the
    /// organisation's enrolment requirements (no `flow`) without what they need.
    FactorStillNeeded {
        factor: Factor,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        flow: Option<String>,
    },
    /// Answers that do not meet the rules, each with its position and why.
    AnswersRefused {
        issues: Vec<AnswerIssue>,
        /// Answers the organisation asks for.
        required: u32,
    },

    // --- The smart card (PC/SC) ---
    CardWrongPin {
        tries_left: u8,
    },
    CardPinBlocked {},
    CardAuthFailed {
        tries_left: u8,
    },
    CardAuthBlocked {},
    CardRefused {},
    CardNotSupported {},
    CardPinInvalid {},
    CardError {},
    CardRemoved {},
    CardAbsent {},
    CardNoReader {},
    CardNoService {},
    CardTimeout {},
    CardBusy {},

    // --- The desktop shell ---
    ServerUnreachable {},
    ServerError {
        status: u16,
    },
    NotConfigured {},
    KeyringUnavailable {},
    SettingsInvalid {
        field: String,
    },
    SettingsInsecureUrl {
        field: String,
    },
    SettingsNotSaved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        reason: Option<String>,
    },

    // --- vSEC:CMS links and QR codes ---
    QrEmpty {},
    QrTooLong {
        max: u64,
    },
    QrControlCharacter {},
    QrNotAscii {},
    #[serde(rename = "qr_not_a_link")]
    #[strum_discriminants(strum(serialize = "qr_not_a_link"))]
    QrNotALink {},
    QrWrongScheme {},
    QrWrongPath {},
    QrCredentials {},
    QrFragment {},
    QrHostInvalid {},
    QrPercentEncoding {},
    QrMalformedQuery {},
    QrMissingParameter {
        name: String,
    },
    QrDuplicateParameter {
        name: String,
    },
    QrUnknownParameter {
        name: String,
    },
    QrEmptyValue {
        name: String,
    },
    QrNotHex {
        name: String,
    },
    QrOddLength {
        name: String,
    },
    QrSerialTooLong {
        max: u64,
    },
    QrChallengeLength {},
    QrUnknownAlgorithm {
        value: String,
    },
    QrChallengeAlgorithmMismatch {
        alg: String,
        expected: u64,
        actual: u64,
    },
    QrTenantInvalid {},
    QrOtherTenant {
        tenant: String,
        configured: String,
    },
    QrNone {},

    // --- Cameras and image files ---
    ImageUnreadable {},
    CameraNone {},
    CameraBusy {},
    CameraDenied {},
    CameraResolution {},
    CameraFailed {},
    CameraEnded {},
}

impl ErrorCode {
    /// The stable code, as on the wire.
    pub fn as_str(&self) -> &'static str {
        ErrorKind::from(self).into()
    }

    /// `invalid_field` for `field`.
    pub fn invalid_field(field: &str, reason: FieldProblem, max: Option<usize>) -> ErrorCode {
        ErrorCode::InvalidField {
            field: field.to_owned(),
            reason,
            max: max.map(|m| m as u64),
        }
    }
}

impl ErrorKind {
    /// Every code the product can give, in declaration order.
    pub fn all() -> impl Iterator<Item = ErrorKind> {
        <ErrorKind as strum::IntoEnumIterator>::iter()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ErrorCode {}
