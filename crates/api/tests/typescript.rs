//! The UI's wire types (`ui/src/api/types.ts`) are generated from this crate and committed; this
//! test fails when they drift. Regenerate with `UPDATE_API_TYPES=1 cargo test -p ea-api`.

use ea_api::*;

fn render() -> String {
    ea_testkit::typescript!(
        "// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.\n\n";
        ErrorCode, Action, Method, ContactKind, CardAlgorithm, CardOutcome, CharClass,
        PasswordViolation, LimitViolation, ValidationResult, InvalidReason, ExpectedRequest,
        FieldProblem, HealthStatus, Readiness, StartSessionRequest, SessionStarted, SessionStatus,
        SessionView, FlowSummary, StepView, OtpStepView, MaskedContact, ContactsView,
        QuestionsStepView, QuestionView, TotpStepView, ChooseFlowRequest,
        ConfirmContactRequest, VerifyCodeRequest, AnswerQuestionsRequest, QuestionAnswer,
        TotpVerifyRequest, TotpResyncRequest, ActionsView, Health, PasswordPolicyView,
        ResetPasswordRequest, ActionDone, EmergencyCodeLimitsView,
        IssueEmergencyCodeRequest, EmergencyCodeIssued, CardCryptogramRequest, CardDelivery,
        CardCryptogram, CardResultRequest, ValidateCodeRequest, ValidateCodeResponse,
        Factor, MissingFactor, AnswerProblem, AnswerIssue, StartEnrolmentRequest,
        EnrolmentStarted, EnrolmentStage, PendingContactView, ContactRule,
        EnrolmentProfileView, EnrolmentView, EnrolmentCodeRequest, AddContactRequest,
        RemoveContactRequest, AuthenticatorSetup, NewAnswer, SetAnswersRequest,
        StartEnrolmentWithPasswordRequest, TenantSummary, TenantsView,
    )
}

#[test]
fn committed_typescript_matches_the_wire_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/api/types.ts");
    ea_testkit::check_generated(path, &render(), "UPDATE_API_TYPES", "cargo test -p ea-api");
}

/// The endpoint table (`ui/src/api/endpoints.ts`): method, path, authentication and the request
/// and response types of each, from `endpoints::ALL`, so a browser client calls the same paths
/// with the same types as the desktop shell.
fn render_endpoints() -> String {
    use ea_api::endpoints::{ALL, Auth, HttpMethod};
    let mut names: Vec<String> = Vec::new();
    let mut table = String::new();
    let mut types = String::new();
    for e in ALL {
        let method = match e.method {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        };
        let auth = match e.auth {
            Auth::Public => "public",
            Auth::Client => "client",
            Auth::Session => "session",
            Auth::RelyingParty => "relying_party",
            Auth::Enrolment => "enrolment",
        };
        let request = e.request.as_ref().map(|r| (r.name)());
        let response = (e.response.name)();
        for n in request.iter().chain([&response]) {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        table.push_str(&format!(
            "  {}: {{ method: '{method}', path: '{}', auth: '{auth}' }},\n",
            e.id, e.path
        ));
        types.push_str(&format!(
            "  {}: {{ request: {}; response: {response} }};\n",
            e.id,
            request.as_deref().unwrap_or("null")
        ));
    }
    names.sort();
    format!(
        "// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.\n\n\
         import type {{ {} }} from './types';\n\n\
         export const ENDPOINTS = {{\n{table}}} as const;\n\n\
         export type EndpointId = keyof typeof ENDPOINTS;\n\n\
         export type EndpointTypes = {{\n{types}}};\n",
        names.join(", ")
    )
}

#[test]
fn committed_endpoint_table_matches_the_endpoints() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/api/endpoints.ts");
    ea_testkit::check_generated(
        path,
        &render_endpoints(),
        "UPDATE_API_TYPES",
        "cargo test -p ea-api",
    );
}
