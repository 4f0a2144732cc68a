// Generated from crates/api by `UPDATE_API_TYPES=1 cargo test -p ea-api`. Do not edit.

export type ErrorBody = { 
/**
 * e.g. `code_invalid`, `session_expired`, `invalid_field`.
 */
code: string, 
/**
 * e.g. `{"attempts_left": 2}`; never a secret.
 */
params: Record<string, unknown>, };

export type StartSessionRequest = { tenant: string, username: string, };

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
actions: Array<string>, };

export type FlowSummary = { id: string, 
/**
 * Name per language (`en`, `de`, `fr`, `it`).
 */
names: { [key in string]: string }, 
/**
 * Methods in order, e.g. `["sms_otp", "totp"]`.
 */
methods: Array<string>, };

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

export type ContactsView = { 
/**
 * `phone` or `email`.
 */
kind: string, contacts: Array<MaskedContact>, };

export type QuestionsStepView = { questions: Array<QuestionView>, tries_left: number, };

export type QuestionView = { id: number, text: string, };

export type TotpStepView = { 
/**
 * The authenticator has drifted: send two consecutive codes to `/v1/session/totp/resync`.
 */
resync_required: boolean, digits: number, };

export type ChooseFlowRequest = { flow_id: string, };

export type ConfirmContactRequest = { contact_id: number, value: string, };

export type VerifyCodeRequest = { code: string, };

export type AnswerQuestionsRequest = { answers: Array<QuestionAnswer>, };

export type QuestionAnswer = { question_id: number, answer: string, };

export type TotpVerifyRequest = { code: string, };

export type TotpResyncRequest = { first_code: string, second_code: string, };

export type ActionsView = { actions: Array<string>, };

export type Health = { status: string, database: string, };

export type PasswordPolicyView = { min_length: number, max_length: number, 
/**
 * Any of `lowercase`, `uppercase`, `digit`, `symbol`.
 */
required_classes: Array<string>, 
/**
 * The password may not contain the username or the organisation's name, nor be a common one.
 */
forbids_username: boolean, forbids_common: boolean, };

export type ResetPasswordRequest = { new_password: string, };

export type ActionDone = { action: string, };

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
cryptogram: string, 
/**
 * `3des`, `aes128`, `aes192` or `aes256`.
 */
algorithm: string, 
/**
 * Four hex digits to confirm a cryptogram read out or typed by hand.
 */
checksum: string, };

export type CardResultRequest = { serial: string, 
/**
 * `unblocked`, `auth_failed`, `card_error` or `aborted`.
 */
outcome: string, 
/**
 * Admin-key tries the card reports left, if known.
 */
tries_left: number | null, };

export type ValidateCodeRequest = { username: string, code: string, };

export type ValidateCodeResponse = { 
/**
 * `valid` (one use was counted) or `invalid`.
 */
result: string, 
/**
 * Uses left after this one; absent for codes limited only by dates.
 */
uses_left: number | null, 
/**
 * Why a code is invalid: `unknown`, `not_yet_valid`, `expired`, `used_up` or `revoked`.
 */
reason: string | null, };
