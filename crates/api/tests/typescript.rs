//! The UI's wire types (`ui/src/api/types.ts`) are generated from this crate and committed; this
//! test fails when they drift. Regenerate with `UPDATE_API_TYPES=1 cargo test -p ea-api`.

use ea_api::*;
use ts_rs::{Config, TS};

fn render() -> String {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        ErrorCode::decl(&cfg),
        Action::decl(&cfg),
        Method::decl(&cfg),
        ContactKind::decl(&cfg),
        CardAlgorithm::decl(&cfg),
        CardOutcome::decl(&cfg),
        CharClass::decl(&cfg),
        PasswordViolation::decl(&cfg),
        LimitViolation::decl(&cfg),
        ValidationResult::decl(&cfg),
        InvalidReason::decl(&cfg),
        ExpectedRequest::decl(&cfg),
        FieldProblem::decl(&cfg),
        HealthStatus::decl(&cfg),
        StartSessionRequest::decl(&cfg),
        SessionStarted::decl(&cfg),
        SessionStatus::decl(&cfg),
        SessionView::decl(&cfg),
        FlowSummary::decl(&cfg),
        StepView::decl(&cfg),
        OtpStepView::decl(&cfg),
        MaskedContact::decl(&cfg),
        ContactsView::decl(&cfg),
        QuestionsStepView::decl(&cfg),
        QuestionView::decl(&cfg),
        TotpStepView::decl(&cfg),
        ChooseFlowRequest::decl(&cfg),
        ConfirmContactRequest::decl(&cfg),
        VerifyCodeRequest::decl(&cfg),
        AnswerQuestionsRequest::decl(&cfg),
        QuestionAnswer::decl(&cfg),
        TotpVerifyRequest::decl(&cfg),
        TotpResyncRequest::decl(&cfg),
        ActionsView::decl(&cfg),
        Health::decl(&cfg),
        PasswordPolicyView::decl(&cfg),
        ResetPasswordRequest::decl(&cfg),
        ActionDone::decl(&cfg),
        EmergencyCodeLimitsView::decl(&cfg),
        IssueEmergencyCodeRequest::decl(&cfg),
        EmergencyCodeIssued::decl(&cfg),
        CardCryptogramRequest::decl(&cfg),
        CardDelivery::decl(&cfg),
        CardCryptogram::decl(&cfg),
        CardResultRequest::decl(&cfg),
        ValidateCodeRequest::decl(&cfg),
        ValidateCodeResponse::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn committed_typescript_matches_the_wire_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/api/types.ts");
    let want = render();
    if std::env::var_os("UPDATE_API_TYPES").is_some() {
        std::fs::write(path, &want).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "{path} is out of date: run `UPDATE_API_TYPES=1 cargo test -p ea-api`"
    );
}
