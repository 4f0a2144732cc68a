//! Every endpoint of the API, declared once: method, path, who may call it, request, response,
//! the status of a success and the refusals it can give. The server builds its router and its
//! OpenAPI document from these declarations, the desktop client and the server's test harness
//! call through them, and a test checks that the router serves exactly these.

use crate::error::ErrorKind;
use crate::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::{RefOr, schema::Schema};

/// The HTTP methods this API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone (health, the document itself).
    Public,
    /// The desktop app before a session exists (client key, when the server requires one).
    Client,
    /// `Authorization: Bearer <session token>` (and the client key, when required).
    Session,
    /// `Authorization: Bearer ea_rp_...`, a relying party's API key.
    RelyingParty,
    /// `Authorization: Bearer <enrolment token>` (and the client key, when required).
    Enrolment,
}

/// The body of a request that has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NoBody;

/// A type's schema name and the schemas it needs, for the OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub struct SchemaOf {
    pub name: fn() -> String,
    pub collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

fn schema_name<T: utoipa::ToSchema>() -> String {
    T::name().into_owned()
}

fn schema_collect<T: utoipa::ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

impl SchemaOf {
    pub fn of<T: utoipa::ToSchema>() -> SchemaOf {
        SchemaOf {
            name: schema_name::<T>,
            collect: schema_collect::<T>,
        }
    }
}

/// One endpoint, as data.
#[derive(Debug, Clone, Copy)]
pub struct EndpointInfo {
    /// The operation's id in the OpenAPI document (the declaration's name in snake_case).
    pub id: &'static str,
    pub summary: &'static str,
    pub method: HttpMethod,
    pub path: &'static str,
    pub auth: Auth,
    /// The status of a success.
    pub ok: u16,
    pub request: Option<SchemaOf>,
    pub response: SchemaOf,
    /// Refusals particular to this endpoint; those of its kind (authentication, body parsing,
    /// internal failures) come from [`common_errors`].
    pub errors: &'static [ErrorKind],
}

/// One endpoint, as a type: what the desktop client and the test harness call through.
pub trait Endpoint {
    const INFO: EndpointInfo;
    type Request: Serialize + DeserializeOwned;
    type Response: Serialize + DeserializeOwned;
}

/// Refusals every endpoint of a kind can give, whatever it does.
pub fn common_errors(e: &EndpointInfo) -> Vec<ErrorKind> {
    use ErrorKind as K;
    // Any request can run out of time (`busy`); every caller but a health check has a budget of
    // requests per client source (`rate_limited`) and needs the database.
    let mut v = vec![K::Internal, K::Busy];
    if e.auth != Auth::Public {
        // Everything but a health check reads or writes the database.
        v.extend([K::RateLimited, K::DatabaseUnavailable]);
    }
    if e.request.is_some() {
        v.extend([K::InvalidJson, K::UnsupportedMediaType, K::BodyTooLarge]);
    }
    match e.auth {
        Auth::Public => {}
        Auth::Client => v.push(K::ClientKeyRequired),
        Auth::Session => v.extend([
            K::ClientKeyRequired,
            K::Unauthorized,
            K::SessionUnknown,
            K::SessionExpired,
        ]),
        // An enrolment ends for a user disabled meanwhile, or a tenant that dropped enrolment.
        Auth::Enrolment => v.extend([
            K::ClientKeyRequired,
            K::Unauthorized,
            K::SessionUnknown,
            K::SessionExpired,
            K::AccountDisabled,
            K::EnrolmentUnavailable,
        ]),
        Auth::RelyingParty => v.push(K::Unauthorized),
    }
    v
}

/// Every refusal `e` can give: its own and those of its kind, each once.
pub fn all_errors(e: &EndpointInfo) -> Vec<ErrorKind> {
    let mut v = common_errors(e);
    for k in e.errors {
        if !v.contains(k) {
            v.push(*k);
        }
    }
    v
}

macro_rules! endpoints {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident = $id:literal: $method:ident $path:literal, $auth:ident, $ok:literal,
            $req:tt => $resp:ty, errors [$($err:ident),* $(,)?];
    )+) => {
        $(
            $(#[doc = $doc])+
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl Endpoint for $name {
                const INFO: EndpointInfo = EndpointInfo {
                    id: $id,
                    summary: concat!($($doc),+),
                    method: HttpMethod::$method,
                    path: $path,
                    auth: Auth::$auth,
                    ok: $ok,
                    request: endpoints!(@schema $req),
                    response: SchemaOf {
                        name: schema_name::<$resp>,
                        collect: schema_collect::<$resp>,
                    },
                    errors: &[$(ErrorKind::$err),*],
                };
                type Request = endpoints!(@type $req);
                type Response = $resp;
            }
        )+

        /// Every endpoint, in the order of the OpenAPI document.
        pub const ALL: &[EndpointInfo] = &[$(<$name as Endpoint>::INFO),+];
    };
    (@schema NoBody) => { None };
    (@schema $req:ty) => {
        Some(SchemaOf { name: schema_name::<$req>, collect: schema_collect::<$req> })
    };
    (@type NoBody) => { NoBody };
    (@type $req:ty) => { $req };
}

endpoints! {
    /// Liveness: the process answers.
    Health = "health": Get "/healthz", Public, 200, NoBody => crate::Health, errors [];

    /// Readiness: the database answers, and the SMS gateway and SMTP relay where configured.
    Ready = "ready": Get "/readyz", Public, 200, NoBody => crate::Readiness, errors [];

    /// The organisations listed to the app's picker.
    ListTenants = "list_tenants": Get "/v1/tenants", Client, 200, NoBody => TenantsView,
        errors [];

    /// Start a verification for a username.
    StartSession = "start_session": Post "/v1/sessions", Client, 201,
        StartSessionRequest => SessionStarted, errors [InvalidField, TenantUnknown];

    /// The session as it stands.
    GetSession = "get_session": Get "/v1/session", Session, 200, NoBody => SessionView,
        errors [];

    /// Choose one of the offered flows.
    ChooseFlow = "choose_flow": Post "/v1/session/flow", Session, 200,
        ChooseFlowRequest => SessionView,
        errors [InvalidField, FlowUnknown, FlowUnavailable, StepOutOfOrder, AlreadyCompleted,
            VerificationFailed, Busy];

    /// The masked phone numbers or addresses of the current step.
    GetContacts = "get_contacts": Get "/v1/session/contacts", Session, 200,
        NoBody => ContactsView, errors [StepOutOfOrder];

    /// Type the chosen contact in full; if it matches, a code is sent to it.
    ConfirmContact = "confirm_contact": Post "/v1/session/contact", Session, 200,
        ConfirmContactRequest => SessionView,
        errors [InvalidField, ContactUnknown, ContactMalformed, ContactMismatch, AccountLocked,
            StepOutOfOrder, AlreadyCompleted, VerificationFailed, DeliveryUnavailable,
            SendLimitReached, Busy];

    /// Send a new code to the confirmed contact (after the cooldown, within the cap).
    ResendCode = "resend_code": Post "/v1/session/code/resend", Session, 200,
        NoBody => SessionView,
        errors [ResendTooSoon, ResendLimitReached, SendLimitReached, AccountLocked,
            StepOutOfOrder, AlreadyCompleted, VerificationFailed, DeliveryUnavailable, Busy];

    /// Check the code that was sent.
    VerifyCode = "verify_code": Post "/v1/session/code", Session, 200,
        VerifyCodeRequest => SessionView,
        errors [InvalidField, CodeInvalid, CodeExpired, CodeNotSent, AccountLocked,
            StepOutOfOrder, AlreadyCompleted, VerificationFailed, Busy];

    /// Answer every question shown, at once.
    AnswerQuestions = "answer_questions": Post "/v1/session/questions", Session, 200,
        AnswerQuestionsRequest => SessionView,
        errors [InvalidField, AnswersWrong, AnswersIncomplete, AccountLocked, StepOutOfOrder,
            AlreadyCompleted, VerificationFailed, Busy];

    /// Check an authenticator code.
    VerifyTotp = "verify_totp": Post "/v1/session/totp", Session, 200,
        TotpVerifyRequest => SessionView,
        errors [InvalidField, TotpInvalid, TotpResyncRequired, AccountLocked,
            StepOutOfOrder, AlreadyCompleted, VerificationFailed, Busy];

    /// Resynchronise a drifted authenticator with two consecutive codes.
    ResyncTotp = "resync_totp": Post "/v1/session/totp/resync", Session, 200,
        TotpResyncRequest => SessionView,
        errors [InvalidField, TotpInvalid, AccountLocked, StepOutOfOrder, AlreadyCompleted,
            VerificationFailed, Busy];

    /// The actions the completed verification permits.
    GetActions = "get_actions": Get "/v1/session/actions", Session, 200,
        NoBody => ActionsView, errors [];

    /// The tenant's password rules.
    GetPasswordPolicy = "get_password_policy": Get "/v1/session/password-policy", Session, 200,
        NoBody => PasswordPolicyView, errors [];

    /// What an emergency code may be limited to.
    GetEmergencyCodeLimits = "get_emergency_code_limits":
        Get "/v1/session/emergency-code-limits", Session, 200,
        NoBody => EmergencyCodeLimitsView, errors [];

    /// Set a new password in the directory.
    ResetPassword = "reset_password": Post "/v1/session/actions/reset-password", Session, 200,
        ResetPasswordRequest => ActionDone,
        errors [InvalidField, PasswordPolicy, VerificationIncomplete, ActionNotPermitted,
            ActionAlreadyUsed, ActionInProgress, AccountDisabled, DirectoryUnavailable, Busy];

    /// Clear the account's lockout in the directory.
    UnblockUser = "unblock_user": Post "/v1/session/actions/unblock-user", Session, 200,
        NoBody => ActionDone,
        errors [VerificationIncomplete, ActionNotPermitted, ActionAlreadyUsed, ActionInProgress,
            AccountDisabled, DirectoryUnavailable, Busy];

    /// Issue an emergency access code, shown once.
    IssueEmergencyCode = "issue_emergency_code": Post "/v1/session/actions/emergency-code",
        Session, 201, IssueEmergencyCodeRequest => EmergencyCodeIssued,
        errors [EmergencyCodeLimits, VerificationIncomplete, ActionNotPermitted,
            ActionAlreadyUsed, ActionInProgress, AccountDisabled, Busy];

    /// The response for the user's own card and current challenge.
    CardCryptogram = "card_cryptogram": Post "/v1/session/actions/card-cryptogram", Session,
        200, CardCryptogramRequest => crate::CardCryptogram,
        errors [InvalidField, CardUnknown, ChallengeLength, CardProfileRefused,
            CardKeyUnavailable, VerificationIncomplete, ActionNotPermitted, ActionAlreadyUsed,
            ActionInProgress, AccountDisabled, Busy];

    /// Record what the card answered to the cryptogram and the new PIN.
    CardResult = "card_result": Post "/v1/session/actions/card-result", Session, 200,
        CardResultRequest => ActionDone,
        errors [InvalidField, CardUnknown, CardResultMismatch, StepOutOfOrder,
            VerificationIncomplete, AccountDisabled, Busy];

    /// Validate an emergency code and count one use.
    ValidateEmergencyCode = "validate_emergency_code": Post "/v1/emergency-codes/validate",
        RelyingParty, 200, ValidateCodeRequest => ValidateCodeResponse, errors [InvalidField];

    /// Start enrolling with an invitation's code; a code goes to the invited address.
    StartEnrolment = "start_enrolment": Post "/v1/enrolments", Client, 201,
        StartEnrolmentRequest => EnrolmentStarted,
        errors [InvalidField, TenantUnknown, EnrolmentUnavailable, EnrolmentCodeInvalid,
            AccountDisabled, SendLimitReached, DeliveryUnavailable];

    /// Start enrolling with one's directory password (organisations whose accounts live in a
    /// directory).
    StartEnrolmentWithPassword = "start_enrolment_with_password":
        Post "/v1/enrolments/directory", Client, 201,
        StartEnrolmentWithPasswordRequest => EnrolmentStarted,
        errors [InvalidField, TenantUnknown, EnrolmentUnavailable, DirectoryPasswordWrong,
            AccountDisabled, DirectoryUnavailable];

    /// Change one's recovery factors after a completed verification whose flow permits
    /// `manage_recovery` (once per verification).
    EnrolAfterVerification = "enrol_after_verification": Post "/v1/session/enrolment", Session,
        201, NoBody => EnrolmentStarted,
        errors [VerificationIncomplete, ActionNotPermitted, ActionAlreadyUsed, ActionInProgress,
            AccountDisabled, EnrolmentUnavailable, StepOutOfOrder, SessionExpired];

    /// The enrolment as it stands.
    GetEnrolment = "get_enrolment": Get "/v1/enrolment", Enrolment, 200, NoBody => EnrolmentView,
        errors [];

    /// Type the code sent to the invited address.
    ConfirmEnrolmentAddress = "confirm_enrolment_address": Post "/v1/enrolment/address",
        Enrolment, 200, EnrolmentCodeRequest => EnrolmentView,
        errors [InvalidField, CodeInvalid, CodeExpired, CodeNotSent, EnrolmentStepOutOfOrder];

    /// Send the code of the address or contact being proven again.
    ResendEnrolmentCode = "resend_enrolment_code": Post "/v1/enrolment/resend", Enrolment, 200,
        NoBody => EnrolmentView,
        errors [CodeNotSent, ResendTooSoon, ResendLimitReached, SendLimitReached,
            DeliveryUnavailable];

    /// Add a phone number or address: a code is sent to it, and it is kept once typed.
    AddContact = "add_contact": Post "/v1/enrolment/contacts", Enrolment, 200,
        AddContactRequest => EnrolmentView,
        errors [InvalidField, ContactMalformed, ContactLimitReached, ContactAlreadyEnrolled,
            SendLimitReached, DeliveryUnavailable, EnrolmentStepOutOfOrder];

    /// Type the code sent to the new contact; it is kept.
    ConfirmNewContact = "confirm_new_contact": Post "/v1/enrolment/contacts/confirm", Enrolment,
        200, EnrolmentCodeRequest => EnrolmentView,
        errors [InvalidField, CodeInvalid, CodeExpired, CodeNotSent, EnrolmentStepOutOfOrder,
            ContactLimitReached, ContactAlreadyEnrolled];

    /// Remove a phone number or address (refused when a flow still needs it).
    RemoveContact = "remove_contact": Post "/v1/enrolment/contacts/remove", Enrolment, 200,
        RemoveContactRequest => EnrolmentView,
        errors [ContactUnknown, FactorStillNeeded, EnrolmentStepOutOfOrder];

    /// A new authenticator secret, kept only once a code from it is typed.
    BeginAuthenticator = "begin_authenticator": Post "/v1/enrolment/authenticator", Enrolment,
        200, NoBody => AuthenticatorSetup, errors [EnrolmentStepOutOfOrder];

    /// Type a current code of the new authenticator; it replaces any earlier one.
    ConfirmAuthenticator = "confirm_authenticator": Post "/v1/enrolment/authenticator/confirm",
        Enrolment, 200, EnrolmentCodeRequest => EnrolmentView,
        errors [InvalidField, TotpInvalid, CodeNotSent, CodeExpired, EnrolmentStepOutOfOrder];

    /// Remove the authenticator (refused when a flow still needs it).
    RemoveAuthenticator = "remove_authenticator": Post "/v1/enrolment/authenticator/remove",
        Enrolment, 200, NoBody => EnrolmentView,
        errors [FactorStillNeeded, EnrolmentStepOutOfOrder];

    /// Replace the answers to verification questions.
    SetAnswers = "set_answers": Post "/v1/enrolment/answers", Enrolment, 200,
        SetAnswersRequest => EnrolmentView,
        errors [InvalidField, AnswersRefused, FactorStillNeeded, EnrolmentStepOutOfOrder];
}
