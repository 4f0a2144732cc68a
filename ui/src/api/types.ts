// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.

export type ErrorCode = { "code": "session_expired", "params": Record<symbol, never> } | { "code": "verification_failed", "params": Record<symbol, never> } | { "code": "already_completed", "params": Record<symbol, never> } | { "code": "step_out_of_order", "params": { expected: ExpectedRequest, } } | { "code": "flow_unknown", "params": Record<symbol, never> } | { "code": "flow_unavailable", "params": Record<symbol, never> } | { "code": "contact_unknown", "params": Record<symbol, never> } | { "code": "contact_malformed", "params": Record<symbol, never> } | { "code": "contact_mismatch", "params": { attempts_left: number, } } | { "code": "resend_too_soon", "params": { retry_after: number, } } | { "code": "resend_limit_reached", "params": Record<symbol, never> } | { "code": "send_limit_reached", "params": { retry_after: number, } } | { "code": "rate_limited", "params": { retry_after: number, } } | { "code": "code_invalid", "params": { attempts_left: number, } } | { "code": "code_expired", "params": Record<symbol, never> } | { "code": "code_not_sent", "params": Record<symbol, never> } | { "code": "answers_wrong", "params": { tries_left: number, } } | { "code": "answers_incomplete", "params": Record<symbol, never> } | { "code": "totp_invalid", "params": Record<symbol, never> } | { "code": "totp_resync_required", "params": Record<symbol, never> } | { "code": "account_locked", "params": { retry_after: number, } } | { "code": "verification_incomplete", "params": Record<symbol, never> } | { "code": "action_not_permitted", "params": Record<symbol, never> } | { "code": "action_already_used", "params": Record<symbol, never> } | { "code": "action_in_progress", "params": Record<symbol, never> } | { "code": "invalid_json", "params": { 
/**
 * serde's description with the field and the expected type; the value sent is left out.
 */
reason: string, } } | { "code": "unsupported_media_type", "params": Record<symbol, never> } | { "code": "body_too_large", "params": Record<symbol, never> } | { "code": "invalid_field", "params": { field: string, reason: FieldProblem, max?: number, } } | { "code": "unauthorized", "params": Record<symbol, never> } | { "code": "client_key_required", "params": Record<symbol, never> } | { "code": "session_unknown", "params": Record<symbol, never> } | { "code": "tenant_unknown", "params": Record<symbol, never> } | { "code": "delivery_unavailable", "params": { channel: ContactKind, } } | { "code": "busy", "params": Record<symbol, never> } | { "code": "database_unavailable", "params": Record<symbol, never> } | { "code": "not_found", "params": Record<symbol, never> } | { "code": "internal", "params": Record<symbol, never> } | { "code": "password_policy", "params": { violations: Array<PasswordViolation>, min_length: number, max_length: number, } } | { "code": "emergency_code_limits", "params": { violations: Array<LimitViolation>, max_uses: number, max_validity_seconds: number, } } | { "code": "account_disabled", "params": Record<symbol, never> } | { "code": "directory_unavailable", "params": Record<symbol, never> } | { "code": "card_unknown", "params": Record<symbol, never> } | { "code": "card_result_mismatch", "params": Record<symbol, never> } | { "code": "challenge_length", "params": { expected: number, } } | { "code": "card_key_unavailable", "params": Record<symbol, never> } | { "code": "card_profile_refused", "params": { reason: string, } } | { "code": "enrolment_code_invalid", "params": Record<symbol, never> } | { "code": "enrolment_unavailable", "params": Record<symbol, never> } | { "code": "directory_password_wrong", "params": Record<symbol, never> } | { "code": "enrolment_step_out_of_order", "params": Record<symbol, never> } | { "code": "contact_limit_reached", "params": { kind: ContactKind, max: number, } } | { "code": "contact_already_enrolled", "params": Record<symbol, never> } | { "code": "factor_still_needed", "params": { factor: Factor, flow?: string, } } | { "code": "answers_refused", "params": { issues: Array<AnswerIssue>, 
/**
 * Answers the organisation asks for.
 */
required: number, } } | { "code": "card_wrong_pin", "params": { tries_left: number, } } | { "code": "card_pin_blocked", "params": Record<symbol, never> } | { "code": "card_auth_failed", "params": { tries_left: number, } } | { "code": "card_auth_blocked", "params": Record<symbol, never> } | { "code": "card_refused", "params": Record<symbol, never> } | { "code": "card_not_supported", "params": Record<symbol, never> } | { "code": "card_pin_invalid", "params": Record<symbol, never> } | { "code": "card_error", "params": Record<symbol, never> } | { "code": "card_removed", "params": Record<symbol, never> } | { "code": "card_absent", "params": Record<symbol, never> } | { "code": "card_no_reader", "params": Record<symbol, never> } | { "code": "card_no_service", "params": Record<symbol, never> } | { "code": "card_timeout", "params": Record<symbol, never> } | { "code": "card_busy", "params": Record<symbol, never> } | { "code": "server_unreachable", "params": Record<symbol, never> } | { "code": "server_error", "params": { status: number, } } | { "code": "not_configured", "params": Record<symbol, never> } | { "code": "keyring_unavailable", "params": Record<symbol, never> } | { "code": "settings_invalid", "params": { field: string, } } | { "code": "settings_insecure_url", "params": { field: string, } } | { "code": "settings_not_saved", "params": { reason?: string, } } | { "code": "qr_empty", "params": Record<symbol, never> } | { "code": "qr_too_long", "params": { max: number, } } | { "code": "qr_control_character", "params": Record<symbol, never> } | { "code": "qr_not_ascii", "params": Record<symbol, never> } | { "code": "qr_not_a_link", "params": Record<symbol, never> } | { "code": "qr_wrong_scheme", "params": Record<symbol, never> } | { "code": "qr_wrong_path", "params": Record<symbol, never> } | { "code": "qr_credentials", "params": Record<symbol, never> } | { "code": "qr_fragment", "params": Record<symbol, never> } | { "code": "qr_host_invalid", "params": Record<symbol, never> } | { "code": "qr_percent_encoding", "params": Record<symbol, never> } | { "code": "qr_malformed_query", "params": Record<symbol, never> } | { "code": "qr_missing_parameter", "params": { name: string, } } | { "code": "qr_duplicate_parameter", "params": { name: string, } } | { "code": "qr_unknown_parameter", "params": { name: string, } } | { "code": "qr_empty_value", "params": { name: string, } } | { "code": "qr_not_hex", "params": { name: string, } } | { "code": "qr_odd_length", "params": { name: string, } } | { "code": "qr_serial_too_long", "params": { max: number, } } | { "code": "qr_challenge_length", "params": Record<symbol, never> } | { "code": "qr_unknown_algorithm", "params": { value: string, } } | { "code": "qr_challenge_algorithm_mismatch", "params": { alg: string, expected: number, actual: number, } } | { "code": "qr_tenant_invalid", "params": Record<symbol, never> } | { "code": "qr_other_tenant", "params": { tenant: string, configured: string, } } | { "code": "qr_none", "params": Record<symbol, never> } | { "code": "image_unreadable", "params": Record<symbol, never> } | { "code": "camera_none", "params": Record<symbol, never> } | { "code": "camera_busy", "params": Record<symbol, never> } | { "code": "camera_denied", "params": Record<symbol, never> } | { "code": "camera_resolution", "params": Record<symbol, never> } | { "code": "camera_failed", "params": Record<symbol, never> } | { "code": "camera_ended", "params": Record<symbol, never> };

export type Action = "reset_password" | "card_pin_unblock" | "unblock_user" | "emergency_code" | "manage_recovery";

export type Method = "sms_otp" | "email_otp" | "questions" | "totp";

export type ContactKind = "phone" | "email";

export type CardAlgorithm = "3des" | "aes128" | "aes192" | "aes256";

export type CardOutcome = "unblocked" | "auth_failed" | "card_error" | "aborted";

export type CharClass = "lowercase" | "uppercase" | "digit" | "symbol";

export type PasswordViolation = "too_short" | "too_long" | "contains_username" | "contains_tenant_name" | "common" | "missing_lowercase" | "missing_uppercase" | "missing_digit" | "missing_symbol" | "control_characters" | "directory_too_short" | "in_history" | "too_young" | "directory_quality";

export type LimitViolation = "unlimited" | "uses_out_of_range" | "starts_in_the_past" | "ends_before_start" | "window_too_long";

export type ValidationResult = "valid" | "invalid";

export type InvalidReason = "unknown" | "not_yet_valid" | "expired" | "used_up" | "revoked" | "locked";

export type ExpectedRequest = "flow" | "contact" | "code" | "questions" | "totp" | "totp_resync" | "card_cryptogram" | "none";

export type FieldProblem = "empty" | "too_long" | "too_many" | "control_characters" | "not_hex" | "out_of_range" | "unknown_value" | "not_an_address";

export type HealthStatus = "ok" | "degraded" | "unreachable";

export type Readiness = { status: HealthStatus, database: HealthStatus, sms: HealthStatus | null, email: HealthStatus | null, };

export type StartSessionRequest = { tenant: string, username: string, 
/**
 * Offer only the flows that permit this action (the app started from a vSEC:CMS QR code
 * asks for `card_pin_unblock`).
 */
for_action?: Action, 
/**
 * The language the person reads the app in (`en`, `de`, `fr`, `it`): the messages this
 * sends are written in it (else in the organisation's).
 */
language?: string, };

export type SessionStarted = { 
/**
 * Opaque token of 256 bits; send it as `Authorization: Bearer <token>`.
 */
token: string, session: SessionView, };

export type SessionStatus = "choosing_flow" | "in_progress" | "completed" | "failed";

export type SessionView = { status: SessionStatus, 
/**
 * Unix seconds after which the session is gone.
 */
expires_at: number, 
/**
 * The server's clock when it wrote this view (Unix seconds): clients count time left from
 * it, not from their own clock, which may be wrong.
 */
server_time: number, 
/**
 * The flows offered; when there is exactly one it is already chosen.
 */
flows: Array<FlowSummary>, flow_id: string | null, 
/**
 * Zero-based index of the current step, and the number of steps.
 */
step_index: number, step_count: number, step: StepView | null, 
/**
 * Actions the completed flow permits (empty until completed).
 */
actions: Array<Action>, 
/**
 * Whom to contact when no offered way fits, per language, as the organisation wrote it
 * (empty when it wrote nothing).
 */
help: { [key in string]: string }, };

export type FlowSummary = { id: string, 
/**
 * Name per language (`en`, `de`, `fr`, `it`).
 */
names: { [key in string]: string }, 
/**
 * Methods in order.
 */
methods: Array<Method>, 
/**
 * What the flow lets the user do once completed.
 */
actions: Array<Action>, 
/**
 * The organisation's own words about the flow, per language (may be empty).
 */
description: { [key in string]: string }, };

export type StepView = { "method": "sms_otp" } & OtpStepView | { "method": "email_otp" } & OtpStepView | { "method": "questions" } & QuestionsStepView | { "method": "totp" } & TotpStepView;

export type OtpStepView = { contacts: Array<MaskedContact>, 
/**
 * Set once the user typed the chosen contact in full.
 */
confirmed_contact: number | null, code_sent: boolean, code_length: number, code_expires_at: number | null, attempts_left: number | null, 
/**
 * When a new code may be requested (Unix seconds), if one was sent.
 */
resend_available_at: number | null, resends_left: number | null, };

export type MaskedContact = { id: number, 
/**
 * e.g. `+41 ••••••• 67` or `a•••@e•••.org`.
 */
masked: string, };

export type ContactsView = { kind: ContactKind, contacts: Array<MaskedContact>, };

export type QuestionsStepView = { questions: Array<QuestionView>, tries_left: number, };

export type QuestionView = { id: number, text: string, };

export type TotpStepView = { 
/**
 * The authenticator has drifted: send two consecutive codes to `/v1/session/totp/resync`.
 */
resync_required: boolean, digits: number, };

export type ChooseFlowRequest = { flow_id: string, };

export type ConfirmContactRequest = { contact_id: number, value: string, 
/**
 * The language the person reads the app in now (`en`, `de`, `fr`, `it`), when it changed
 * since the session started: the code and what follows are written in it.
 */
language?: string, };

export type VerifyCodeRequest = { code: string, };

export type AnswerQuestionsRequest = { answers: Array<QuestionAnswer>, };

export type QuestionAnswer = { question_id: number, answer: string, };

export type TotpVerifyRequest = { code: string, };

export type TotpResyncRequest = { first_code: string, second_code: string, };

export type ActionsView = { actions: Array<Action>, };

export type Health = { status: HealthStatus, };

export type PasswordPolicyView = { min_length: number, max_length: number, required_classes: Array<CharClass>, 
/**
 * The password may not contain the username or the organisation's name, nor be a common one.
 */
forbids_username: boolean, forbids_common: boolean, };

export type ResetPasswordRequest = { new_password: string, };

export type ActionDone = { action: Action, };

export type EmergencyCodeLimitsView = { length: number, max_uses: number, max_validity_seconds: number, };

export type IssueEmergencyCodeRequest = { max_uses: number | null, 
/**
 * Unix seconds; defaults to now.
 */
valid_from: number | null, 
/**
 * Unix seconds, exclusive.
 */
valid_to: number | null, };

export type EmergencyCodeIssued = { code: string, 
/**
 * The same code in groups of five, for reading and typing.
 */
display: string, max_uses: number | null, valid_from: number, valid_to: number | null, };

export type CardCryptogramRequest = { 
/**
 * Card serial, hex.
 */
serial: string, 
/**
 * The card's challenge, hex: 8 bytes (3DES) or 16 bytes (AES).
 */
challenge: string, 
/**
 * Length of the new PIN, for the audit log only; the PIN never leaves the desktop.
 */
new_pin_length: number | null, 
/**
 * Where the cryptogram goes: written to the card by the app (the default), or shown on
 * screen to be typed elsewhere (the QR path and the helpdesk form). Audited as such.
 */
delivery: CardDelivery | null, };

export type CardDelivery = "card" | "screen";

export type CardCryptogram = { 
/**
 * E_K(challenge), upper-case hex.
 */
cryptogram: string, algorithm: CardAlgorithm, 
/**
 * Four hex digits to confirm a cryptogram read out or typed by hand.
 */
checksum: string, };

export type CardResultRequest = { serial: string, 
/**
 * The challenge the cryptogram answered, hex, as sent to `card-cryptogram`.
 */
challenge: string, outcome: CardOutcome, 
/**
 * Admin-key tries the card reports left, if known.
 */
tries_left: number | null, };

export type ValidateCodeRequest = { username: string, code: string, 
/**
 * The end user's IP address as the login page sees it. When given, wrong codes count against
 * this address first (IPv6 by its /64), then against the username. Kept only as a keyed
 * hash.
 */
client_address?: string, };

export type ValidateCodeResponse = { result: ValidationResult, 
/**
 * Uses left after this one; absent for codes limited only by dates.
 */
uses_left: number | null, 
/**
 * Why a code is invalid.
 */
reason: InvalidReason | null, 
/**
 * With `locked`: seconds until codes for this username are checked again.
 */
retry_after?: number | null, };

export type Factor = "phone" | "email" | "authenticator" | "questions";

export type MissingFactor = { "factor": "phones", needed: number, } | { "factor": "emails", needed: number, } | { "factor": "authenticator" } | { "factor": "questions", needed: number, };

export type AnswerProblem = { "problem": "too_short", min: number, } | { "problem": "equals_username" } | { "problem": "equals_contact" } | { "problem": "same_as", other: number, } | { "problem": "same_question", other: number, } | { "problem": "not_in_catalogue" };

export type AnswerIssue = { index: number, } & ({ "problem": "too_short", min: number, } | { "problem": "equals_username" } | { "problem": "equals_contact" } | { "problem": "same_as", other: number, } | { "problem": "same_question", other: number, } | { "problem": "not_in_catalogue" });

export type StartEnrolmentRequest = { tenant: string, username: string, 
/**
 * The invitation's enrolment code (`XXXX-XXXX-XXXX`; case, spaces and dashes do not matter).
 */
code: string, 
/**
 * The language the person reads the app in (`en`, `de`, `fr`, `it`): the messages this
 * sends are written in it (else in the organisation's).
 */
language?: string, };

export type EnrolmentStarted = { 
/**
 * Opaque token of 256 bits; send it as `Authorization: Bearer <token>` to `/v1/enrolment`.
 */
token: string, enrolment: EnrolmentView, };

export type EnrolmentStage = "confirm_address" | "open";

export type PendingContactView = { kind: ContactKind, masked: string, code_length: number, code_expires_at: number, attempts_left: number, 
/**
 * When another code may be sent (Unix seconds).
 */
resend_available_at: number, };

export type ContactRule = { required: number, max: number, };

export type EnrolmentProfileView = { phones: ContactRule, emails: ContactRule, authenticator_required: boolean, questions_required: number, 
/**
 * The tenant's questions to choose from.
 */
catalogue: Array<string>, 
/**
 * Whether users may write questions of their own.
 */
own_questions: boolean, min_answer_length: number, };

export type EnrolmentView = { stage: EnrolmentStage, username: string, 
/**
 * The invited address, masked, while it is being confirmed.
 */
address: string | null, pending: PendingContactView | null, phones: Array<MaskedContact>, emails: Array<MaskedContact>, authenticator: boolean, 
/**
 * The texts of the questions the user answered.
 */
questions: Array<string>, profile: EnrolmentProfileView, 
/**
 * What the user still lacks against the profile.
 */
missing: Array<MissingFactor>, 
/**
 * When this enrolment ends (Unix seconds).
 */
expires_at: number, 
/**
 * The server's clock when it wrote this view (Unix seconds).
 */
server_time: number, };

export type EnrolmentCodeRequest = { code: string, };

export type AddContactRequest = { kind: ContactKind, value: string, };

export type RemoveContactRequest = { kind: ContactKind, 
/**
 * The contact's `id` in the enrolment view.
 */
id: number, };

export type AuthenticatorSetup = { 
/**
 * The secret in base32, for typing into an authenticator app.
 */
secret: string, 
/**
 * `otpauth://totp/...`, for a QR code an authenticator app reads.
 */
uri: string, digits: number, period: number, algorithm: string, };

export type NewAnswer = { 
/**
 * A question of the tenant's catalogue, or the user's own where the tenant allows it.
 */
question: string, answer: string, };

export type SetAnswersRequest = { answers: Array<NewAnswer>, };

export type StartEnrolmentWithPasswordRequest = { tenant: string, username: string, password: string, 
/**
 * The language the person reads the app in (`en`, `de`, `fr`, `it`): the messages this
 * sends are written in it (else in the organisation's).
 */
language?: string, };

export type TenantSummary = { 
/**
 * The short name the app sends (`tenant`).
 */
slug: string, name: string, };

export type TenantsView = { tenants: Array<TenantSummary>, };
