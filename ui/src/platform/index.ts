// The one door to the outside world. Screens talk to a `Host`; the Tauri host forwards to Rust
// commands, the fake host simulates a server in the browser for development and UI tests.
// Only this folder may import `@tauri-apps/*`.

import { isErrorCode } from '../i18n';
import { tauriHost } from './tauri';
import type {
  Action,
  ActionDone,
  ContactKind,
  EnrolmentView,
  NewAnswer,
  CardAlgorithm,
  CardCryptogram,
  CardOutcome,
  ErrorCode,
  EmergencyCodeIssued,
  EmergencyCodeLimitsView,
  IssueEmergencyCodeRequest,
  LimitViolation,
  PasswordPolicyView,
  PasswordViolation,
  QuestionAnswer,
  SessionView,
  TenantsView,
} from '../api/types';

/** Every failure: a stable code the UI translates, and its parameters (crates/api `ErrorCode`). */
export type CommandError = ErrorCode;
export type { CardOutcome };

// The shell's own types are generated from src-tauri (ui/src/api/shell.ts), like the wire types.
export type { AuthenticatorQr, CardRequest, EnrolLink, CardStatusView as CardStatus, CardReadersView, CameraView as Camera, CamerasView as Cameras, PinRulesView as PinRules, ReaderView as Reader, ScanEvent, Settings, ShownCryptogram, UpdateView } from '../api/shell';
import type { AuthenticatorQr, CardRequest, EnrolLink, CardStatusView, CardReadersView, CamerasView, ReaderView, ScanEvent, Settings, ShownCryptogram, UpdateView } from '../api/shell';

export type SettingsInput = { server_url: string; tenant: string; client_key: string | null };

/** A preview frame: width and height (u32 little-endian each), then 8-bit gray pixels. */
export type PreviewFrame = ArrayBuffer;

export interface Host {
  getSettings(): Promise<Settings>;
  saveSettings(input: SettingsInput): Promise<Settings>;
  /** The organisations the server at `serverUrl` lists, for the picker (before saving). */
  /** `clientKey`: one typed beside the address, meant for it (else the stored key goes only to the saved server). */
  listTenants(serverUrl: string, clientKey?: string): Promise<TenantsView>;
  /** `forAction`: offer only the flows that permit it (the QR path asks for `card_pin_unblock`). */
  startSession(username: string, forAction: Action | undefined, language: string): Promise<SessionView>;
  getSession(): Promise<SessionView>;
  endSession(): Promise<void>;
  chooseFlow(flowId: string): Promise<SessionView>;
  /** `language`: the one the app shows now (it may have changed since the session started). */
  confirmContact(contactId: number, value: string, language?: string): Promise<SessionView>;
  resendCode(): Promise<SessionView>;
  verifyCode(code: string): Promise<SessionView>;
  answerQuestions(answers: QuestionAnswer[]): Promise<SessionView>;
  verifyTotp(code: string): Promise<SessionView>;
  resyncTotp(firstCode: string, secondCode: string): Promise<SessionView>;
  getPasswordPolicy(): Promise<PasswordPolicyView>;
  /** The rules of `policy` a typed password breaks, by the server's own code (ea-core). */
  checkPassword(policy: PasswordPolicyView, username: string, tenant: string, newPassword: string): Promise<PasswordViolation[]>;
  resetPassword(newPassword: string): Promise<ActionDone>;
  unblockUser(): Promise<ActionDone>;
  getEmergencyCodeLimits(): Promise<EmergencyCodeLimitsView>;
  /** The limits a requested emergency code breaks, by the server's own code (ea-core). */
  checkEmergencyCode(limits: EmergencyCodeLimitsView, req: IssueEmergencyCodeRequest): Promise<LimitViolation[]>;
  issueEmergencyCode(req: IssueEmergencyCodeRequest): Promise<EmergencyCodeIssued>;
  /**
   * The readers as soon as they differ from `known` (a card inserted, removed or swapped, a reader
   * plugged in or out, the smart-card service stopped); `known: null` waits for the service to be
   * there. Answers after `timeoutMs` at the latest, at once with `0`. Never fails: an unusable
   * service is `available: false` with its reason.
   */
  cardWatch(known: ReaderView[] | null, timeoutMs: number): Promise<CardReadersView>;
  cardStatus(reader: string): Promise<CardStatusView>;
  /** Reads the card, gets the cryptogram, writes it and the new PIN; the PIN stays local. */
  cardUnblock(reader: string, newPin: string): Promise<{ serial: string }>;
  cardChangePin(reader: string, oldPin: string, newPin: string): Promise<void>;
  cardHelpdeskCryptogram(serial: string, challenge: string): Promise<CardCryptogram>;
  cardReport(serial: string, challenge: string, outcome: CardOutcome, triesLeft: number | null): Promise<ActionDone>;
  /** The QR path: the cryptogram for a card that is not here, to be shown on screen. */
  cardQrCryptogram(serial: string, challenge: string): Promise<ShownCryptogram>;
  scanCameras(): Promise<CamerasView>;
  /** Starts the camera; previews and events arrive through the callbacks until `scanStop`. */
  scanStart(camera: string, onFrame: (f: PreviewFrame) => void, onEvent: (e: ScanEvent) => void): Promise<void>;
  scanStop(): Promise<void>;
  scanParse(text: string): Promise<CardRequest>;
  scanImage(bytes: Uint8Array): Promise<CardRequest>;
  /** Calls `onLink` whenever a `vsec-ea://` link was opened from outside (also one at start). */
  watchLinks(onLink: () => void): Promise<void>;
  takeLink(): Promise<CardRequest | null>;
  /** Enrolment: opened with an invitation's code (a code then goes to the invited address). */
  enrolStart(username: string, code: string, language: string): Promise<EnrolmentView>;
  /** Enrolment opened with the user's directory password (organisations with a directory). */
  enrolStartWithPassword(username: string, password: string, language: string): Promise<EnrolmentView>;
  /** Enrolment opened by the completed verification, to change one's factors. */
  enrolAfterVerification(): Promise<EnrolmentView>;
  enrolGet(): Promise<EnrolmentView>;
  enrolEnd(): Promise<void>;
  enrolConfirmAddress(code: string): Promise<EnrolmentView>;
  enrolResend(): Promise<EnrolmentView>;
  enrolAddContact(kind: ContactKind, value: string): Promise<EnrolmentView>;
  enrolConfirmContact(code: string): Promise<EnrolmentView>;
  enrolRemoveContact(kind: ContactKind, id: number): Promise<EnrolmentView>;
  enrolBeginAuthenticator(): Promise<AuthenticatorQr>;
  enrolConfirmAuthenticator(code: string): Promise<EnrolmentView>;
  enrolRemoveAuthenticator(): Promise<EnrolmentView>;
  enrolSetAnswers(answers: NewAnswer[]): Promise<EnrolmentView>;
  /** An invitation's `emergency-access://enrol` link opened from outside (checked), if any. */
  enrolTakeLink(): Promise<EnrolLink | null>;
  /** A newer signed version, if any (never while the machine's policy turns the check off). */
  updateCheck(): Promise<UpdateView | null>;
  /** Downloads it, checks its signature, installs it and restarts the app. */
  updateInstall(): Promise<void>;
  /** The first screen is painted and takes input (logged once, with the time since start);
   * `pageMs`: since the page began to load. */
  firstScreen(pageMs: number): Promise<void>;
}

export function isCommandError(e: unknown): e is CommandError {
  if (typeof e !== 'object' || e === null) return false;
  const { code, params } = e as { code?: unknown; params?: unknown };
  return typeof code === 'string' && isErrorCode(code) && typeof params === 'object' && params !== null;
}

/** Anything thrown becomes a CommandError (a bug shows as `internal`, never as raw text). */
export function toCommandError(e: unknown): CommandError {
  return isCommandError(e) ? e : { code: 'internal', params: {} };
}

export async function createHost(): Promise<Host> {
  // The app's own host is in the main bundle: the first screen waits for no further module.
  if (typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window) return tauriHost;
  const params = new URLSearchParams(typeof location !== 'undefined' ? location.search : '');
  if (params.get('host') === 'http') {
    const { createHttpHost } = await import('./http');
    return createHttpHost(params);
  }
  const { createFakeHost } = await import('./fake');
  return createFakeHost(params);
}
