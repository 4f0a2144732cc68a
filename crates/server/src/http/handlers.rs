//! One handler per endpoint of [`ea_api::endpoints`], each a few lines: extract, hand one call to
//! the service layer, reply with the endpoint's own response type and success status.

use super::Reply;
use super::extract::JsonBody;
use crate::abuse::Source;
use crate::state::AppState;
use crate::token::EnrolmentToken;
use crate::token::{RelyingPartyKey, SessionToken};
use crate::{actions, enrolment, relying, verification};
use axum::extract::State;
use ea_api::endpoints as e;
use ea_api::*;
use verification::Op;
use zeroize::Zeroizing;

type S = State<AppState>;

pub async fn health() -> Reply<e::Health> {
    Ok(ea_api::Health {
        status: ea_api::HealthStatus::Ok,
    })
    .into()
}

pub async fn ready(State(s): S) -> Reply<e::Ready> {
    let (database, (sms, email)) = tokio::join!(s.store.ping(), async {
        match &s.transports {
            Some(t) => t.probe().await,
            None => (None, None),
        }
    });
    Reply::ready(database.is_ok(), sms, email)
}

pub async fn list_tenants(State(s): S) -> Reply<e::ListTenants> {
    let listed = ea_store::tenants::listed(s.store.db()).await;
    listed
        .map(|v| TenantsView {
            tenants: v
                .into_iter()
                .map(|(slug, name)| TenantSummary { slug, name })
                .collect(),
        })
        .map_err(crate::error::ServiceError::from)
        .into()
}

pub async fn start_session(
    State(s): S,
    src: Source,
    JsonBody(r): JsonBody<StartSessionRequest>,
) -> Reply<e::StartSession> {
    let language = r.language.as_deref();
    verification::start(&s, &r.tenant, &r.username, r.for_action, language, src)
        .await
        .into()
}

pub async fn get_session(State(s): S, t: SessionToken) -> Reply<e::GetSession> {
    verification::view(&s, &t).await.into()
}

pub async fn choose_flow(
    State(s): S,
    t: SessionToken,
    src: Source,
    JsonBody(r): JsonBody<ChooseFlowRequest>,
) -> Reply<e::ChooseFlow> {
    verification::step(&s, &t, Op::ChooseFlow(r.flow_id), src)
        .await
        .into()
}

pub async fn get_contacts(State(s): S, t: SessionToken) -> Reply<e::GetContacts> {
    verification::contacts(&s, &t).await.into()
}

pub async fn confirm_contact(
    State(s): S,
    t: SessionToken,
    src: Source,
    JsonBody(r): JsonBody<ConfirmContactRequest>,
) -> Reply<e::ConfirmContact> {
    let op = Op::ConfirmContact {
        contact_id: r.contact_id,
        value: Zeroizing::new(r.value),
        language: r.language,
    };
    verification::step(&s, &t, op, src).await.into()
}

pub async fn resend_code(State(s): S, t: SessionToken, src: Source) -> Reply<e::ResendCode> {
    verification::step(&s, &t, Op::Resend, src).await.into()
}

pub async fn verify_code(
    State(s): S,
    t: SessionToken,
    src: Source,
    JsonBody(r): JsonBody<VerifyCodeRequest>,
) -> Reply<e::VerifyCode> {
    verification::step(&s, &t, Op::VerifyCode(Zeroizing::new(r.code)), src)
        .await
        .into()
}

pub async fn answer_questions(
    State(s): S,
    t: SessionToken,
    src: Source,
    JsonBody(r): JsonBody<AnswerQuestionsRequest>,
) -> Reply<e::AnswerQuestions> {
    let answers = r
        .answers
        .into_iter()
        .map(|a| (a.question_id, Zeroizing::new(a.answer)))
        .collect();
    verification::step(&s, &t, Op::Answer(answers), src)
        .await
        .into()
}

pub async fn verify_totp(
    State(s): S,
    t: SessionToken,
    src: Source,
    JsonBody(r): JsonBody<TotpVerifyRequest>,
) -> Reply<e::VerifyTotp> {
    verification::step(&s, &t, Op::Totp(Zeroizing::new(r.code)), src)
        .await
        .into()
}

pub async fn resync_totp(
    State(s): S,
    t: SessionToken,
    src: Source,
    JsonBody(r): JsonBody<TotpResyncRequest>,
) -> Reply<e::ResyncTotp> {
    let op = Op::TotpResync(Zeroizing::new(r.first_code), Zeroizing::new(r.second_code));
    verification::step(&s, &t, op, src).await.into()
}

pub async fn get_actions(State(s): S, t: SessionToken) -> Reply<e::GetActions> {
    verification::actions(&s, &t).await.into()
}

pub async fn get_password_policy(State(s): S, t: SessionToken) -> Reply<e::GetPasswordPolicy> {
    actions::directory::password_policy(&s, &t).await.into()
}

pub async fn get_emergency_code_limits(
    State(s): S,
    t: SessionToken,
) -> Reply<e::GetEmergencyCodeLimits> {
    actions::emergency::limits(&s, &t).await.into()
}

pub async fn reset_password(
    State(s): S,
    t: SessionToken,
    JsonBody(r): JsonBody<ResetPasswordRequest>,
) -> Reply<e::ResetPassword> {
    actions::directory::reset_password(&s, &t, Zeroizing::new(r.new_password))
        .await
        .into()
}

pub async fn unblock_user(State(s): S, t: SessionToken) -> Reply<e::UnblockUser> {
    actions::directory::unblock_user(&s, &t).await.into()
}

pub async fn issue_emergency_code(
    State(s): S,
    t: SessionToken,
    JsonBody(r): JsonBody<IssueEmergencyCodeRequest>,
) -> Reply<e::IssueEmergencyCode> {
    actions::emergency::issue(&s, &t, r).await.into()
}

pub async fn card_cryptogram(
    State(s): S,
    t: SessionToken,
    JsonBody(r): JsonBody<CardCryptogramRequest>,
) -> Reply<e::CardCryptogram> {
    actions::card::cryptogram(&s, &t, r).await.into()
}

pub async fn card_result(
    State(s): S,
    t: SessionToken,
    JsonBody(r): JsonBody<CardResultRequest>,
) -> Reply<e::CardResult> {
    actions::card::result(&s, &t, r).await.into()
}

pub async fn validate_emergency_code(
    State(s): S,
    k: RelyingPartyKey,
    JsonBody(r): JsonBody<ValidateCodeRequest>,
) -> Reply<e::ValidateEmergencyCode> {
    relying::validate(&s, &k, r).await.into()
}

pub async fn start_enrolment(
    State(s): S,
    src: Source,
    JsonBody(r): JsonBody<StartEnrolmentRequest>,
) -> Reply<e::StartEnrolment> {
    enrolment::start(&s, &r, src).await.into()
}

pub async fn start_enrolment_with_password(
    State(s): S,
    src: Source,
    JsonBody(r): JsonBody<StartEnrolmentWithPasswordRequest>,
) -> Reply<e::StartEnrolmentWithPassword> {
    let password = Zeroizing::new(r.password);
    let language = r.language.as_deref();
    enrolment::start_with_password(&s, &r.tenant, &r.username, &password, language, src)
        .await
        .into()
}

pub async fn enrol_after_verification(
    State(s): S,
    t: SessionToken,
) -> Reply<e::EnrolAfterVerification> {
    enrolment::after_verification(&s, &t).await.into()
}

pub async fn get_enrolment(State(s): S, t: EnrolmentToken) -> Reply<e::GetEnrolment> {
    enrolment::get(&s, &t.0).await.into()
}

pub async fn confirm_enrolment_address(
    State(s): S,
    t: EnrolmentToken,
    JsonBody(r): JsonBody<EnrolmentCodeRequest>,
) -> Reply<e::ConfirmEnrolmentAddress> {
    enrolment::confirm_address(&s, &t.0, Zeroizing::new(r.code))
        .await
        .into()
}

pub async fn resend_enrolment_code(
    State(s): S,
    t: EnrolmentToken,
) -> Reply<e::ResendEnrolmentCode> {
    enrolment::resend(&s, &t.0).await.into()
}

pub async fn add_contact(
    State(s): S,
    t: EnrolmentToken,
    JsonBody(r): JsonBody<AddContactRequest>,
) -> Reply<e::AddContact> {
    enrolment::add_contact(&s, &t.0, r).await.into()
}

pub async fn confirm_new_contact(
    State(s): S,
    t: EnrolmentToken,
    JsonBody(r): JsonBody<EnrolmentCodeRequest>,
) -> Reply<e::ConfirmNewContact> {
    enrolment::confirm_contact(&s, &t.0, Zeroizing::new(r.code))
        .await
        .into()
}

pub async fn remove_contact(
    State(s): S,
    t: EnrolmentToken,
    JsonBody(r): JsonBody<RemoveContactRequest>,
) -> Reply<e::RemoveContact> {
    enrolment::remove_contact(&s, &t.0, r).await.into()
}

pub async fn begin_authenticator(State(s): S, t: EnrolmentToken) -> Reply<e::BeginAuthenticator> {
    enrolment::begin_authenticator(&s, &t.0).await.into()
}

pub async fn confirm_authenticator(
    State(s): S,
    t: EnrolmentToken,
    JsonBody(r): JsonBody<EnrolmentCodeRequest>,
) -> Reply<e::ConfirmAuthenticator> {
    enrolment::confirm_authenticator(&s, &t.0, Zeroizing::new(r.code))
        .await
        .into()
}

pub async fn remove_authenticator(State(s): S, t: EnrolmentToken) -> Reply<e::RemoveAuthenticator> {
    enrolment::remove_authenticator(&s, &t.0).await.into()
}

pub async fn set_answers(
    State(s): S,
    t: EnrolmentToken,
    JsonBody(r): JsonBody<SetAnswersRequest>,
) -> Reply<e::SetAnswers> {
    enrolment::set_answers(&s, &t.0, r).await.into()
}
