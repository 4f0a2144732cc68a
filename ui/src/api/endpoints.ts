// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.

import type { ActionDone, ActionsView, AddContactRequest, AnswerQuestionsRequest, AuthenticatorSetup, CardCryptogram, CardCryptogramRequest, CardResultRequest, ChooseFlowRequest, ConfirmContactRequest, ContactsView, EmergencyCodeIssued, EmergencyCodeLimitsView, EnrolmentCodeRequest, EnrolmentStarted, EnrolmentView, Health, IssueEmergencyCodeRequest, PasswordPolicyView, Readiness, RemoveContactRequest, ResetPasswordRequest, SessionStarted, SessionView, SetAnswersRequest, StartEnrolmentRequest, StartEnrolmentWithPasswordRequest, StartSessionRequest, TenantsView, TotpResyncRequest, TotpVerifyRequest, ValidateCodeRequest, ValidateCodeResponse, VerifyCodeRequest } from './types';

export const ENDPOINTS = {
  health: { method: 'GET', path: '/healthz', auth: 'public' },
  ready: { method: 'GET', path: '/readyz', auth: 'public' },
  list_tenants: { method: 'GET', path: '/v1/tenants', auth: 'client' },
  start_session: { method: 'POST', path: '/v1/sessions', auth: 'client' },
  get_session: { method: 'GET', path: '/v1/session', auth: 'session' },
  choose_flow: { method: 'POST', path: '/v1/session/flow', auth: 'session' },
  get_contacts: { method: 'GET', path: '/v1/session/contacts', auth: 'session' },
  confirm_contact: { method: 'POST', path: '/v1/session/contact', auth: 'session' },
  resend_code: { method: 'POST', path: '/v1/session/code/resend', auth: 'session' },
  verify_code: { method: 'POST', path: '/v1/session/code', auth: 'session' },
  answer_questions: { method: 'POST', path: '/v1/session/questions', auth: 'session' },
  verify_totp: { method: 'POST', path: '/v1/session/totp', auth: 'session' },
  resync_totp: { method: 'POST', path: '/v1/session/totp/resync', auth: 'session' },
  get_actions: { method: 'GET', path: '/v1/session/actions', auth: 'session' },
  get_password_policy: { method: 'GET', path: '/v1/session/password-policy', auth: 'session' },
  get_emergency_code_limits: { method: 'GET', path: '/v1/session/emergency-code-limits', auth: 'session' },
  reset_password: { method: 'POST', path: '/v1/session/actions/reset-password', auth: 'session' },
  unblock_user: { method: 'POST', path: '/v1/session/actions/unblock-user', auth: 'session' },
  issue_emergency_code: { method: 'POST', path: '/v1/session/actions/emergency-code', auth: 'session' },
  card_cryptogram: { method: 'POST', path: '/v1/session/actions/card-cryptogram', auth: 'session' },
  card_result: { method: 'POST', path: '/v1/session/actions/card-result', auth: 'session' },
  validate_emergency_code: { method: 'POST', path: '/v1/emergency-codes/validate', auth: 'relying_party' },
  start_enrolment: { method: 'POST', path: '/v1/enrolments', auth: 'client' },
  start_enrolment_with_password: { method: 'POST', path: '/v1/enrolments/directory', auth: 'client' },
  enrol_after_verification: { method: 'POST', path: '/v1/session/enrolment', auth: 'session' },
  get_enrolment: { method: 'GET', path: '/v1/enrolment', auth: 'enrolment' },
  confirm_enrolment_address: { method: 'POST', path: '/v1/enrolment/address', auth: 'enrolment' },
  resend_enrolment_code: { method: 'POST', path: '/v1/enrolment/resend', auth: 'enrolment' },
  add_contact: { method: 'POST', path: '/v1/enrolment/contacts', auth: 'enrolment' },
  confirm_new_contact: { method: 'POST', path: '/v1/enrolment/contacts/confirm', auth: 'enrolment' },
  remove_contact: { method: 'POST', path: '/v1/enrolment/contacts/remove', auth: 'enrolment' },
  begin_authenticator: { method: 'POST', path: '/v1/enrolment/authenticator', auth: 'enrolment' },
  confirm_authenticator: { method: 'POST', path: '/v1/enrolment/authenticator/confirm', auth: 'enrolment' },
  remove_authenticator: { method: 'POST', path: '/v1/enrolment/authenticator/remove', auth: 'enrolment' },
  set_answers: { method: 'POST', path: '/v1/enrolment/answers', auth: 'enrolment' },
} as const;

export type EndpointId = keyof typeof ENDPOINTS;

export type EndpointTypes = {
  health: { request: null; response: Health };
  ready: { request: null; response: Readiness };
  list_tenants: { request: null; response: TenantsView };
  start_session: { request: StartSessionRequest; response: SessionStarted };
  get_session: { request: null; response: SessionView };
  choose_flow: { request: ChooseFlowRequest; response: SessionView };
  get_contacts: { request: null; response: ContactsView };
  confirm_contact: { request: ConfirmContactRequest; response: SessionView };
  resend_code: { request: null; response: SessionView };
  verify_code: { request: VerifyCodeRequest; response: SessionView };
  answer_questions: { request: AnswerQuestionsRequest; response: SessionView };
  verify_totp: { request: TotpVerifyRequest; response: SessionView };
  resync_totp: { request: TotpResyncRequest; response: SessionView };
  get_actions: { request: null; response: ActionsView };
  get_password_policy: { request: null; response: PasswordPolicyView };
  get_emergency_code_limits: { request: null; response: EmergencyCodeLimitsView };
  reset_password: { request: ResetPasswordRequest; response: ActionDone };
  unblock_user: { request: null; response: ActionDone };
  issue_emergency_code: { request: IssueEmergencyCodeRequest; response: EmergencyCodeIssued };
  card_cryptogram: { request: CardCryptogramRequest; response: CardCryptogram };
  card_result: { request: CardResultRequest; response: ActionDone };
  validate_emergency_code: { request: ValidateCodeRequest; response: ValidateCodeResponse };
  start_enrolment: { request: StartEnrolmentRequest; response: EnrolmentStarted };
  start_enrolment_with_password: { request: StartEnrolmentWithPasswordRequest; response: EnrolmentStarted };
  enrol_after_verification: { request: null; response: EnrolmentStarted };
  get_enrolment: { request: null; response: EnrolmentView };
  confirm_enrolment_address: { request: EnrolmentCodeRequest; response: EnrolmentView };
  resend_enrolment_code: { request: null; response: EnrolmentView };
  add_contact: { request: AddContactRequest; response: EnrolmentView };
  confirm_new_contact: { request: EnrolmentCodeRequest; response: EnrolmentView };
  remove_contact: { request: RemoveContactRequest; response: EnrolmentView };
  begin_authenticator: { request: null; response: AuthenticatorSetup };
  confirm_authenticator: { request: EnrolmentCodeRequest; response: EnrolmentView };
  remove_authenticator: { request: null; response: EnrolmentView };
  set_answers: { request: SetAnswersRequest; response: EnrolmentView };
};
