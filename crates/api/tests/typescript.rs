//! The UI's wire types (`ui/src/api/types.ts`) are generated from this crate and committed; this
//! test fails when they drift. Regenerate with `UPDATE_API_TYPES=1 cargo test -p ea-api`.

use ea_api::*;

fn render() -> String {
    ea_testkit::typescript!(
        "// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.\n\n";
        ErrorCode, Action, Method, ContactKind, CardAlgorithm, CardOutcome, CharClass,
        PasswordViolation, LimitViolation, ValidationResult, InvalidReason, ExpectedRequest,
        FieldProblem, HealthStatus, StartSessionRequest, SessionStarted, SessionStatus,
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
