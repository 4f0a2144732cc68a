// The Tauri host: one typed command per operation (see src-tauri/commands.rs).

import { Channel, invoke } from '@tauri-apps/api/core';
import type { Host, PreviewFrame, ScanEvent } from './index';

export const tauriHost: Host = {
  getSettings: () => invoke('get_settings'),
  saveSettings: (input) => invoke('save_settings', { input }),
  listTenants: (serverUrl, clientKey) => invoke('list_tenants', { serverUrl, clientKey: clientKey || null }),
  startSession: (username, forAction, language) => invoke('start_session', { username, forAction: forAction ?? null, language }),
  getSession: () => invoke('get_session'),
  endSession: () => invoke('end_session'),
  chooseFlow: (flowId) => invoke('choose_flow', { flowId }),
  confirmContact: (contactId, value, language) => invoke('confirm_contact', { contactId, value, language: language ?? null }),
  resendCode: () => invoke('resend_code'),
  verifyCode: (code) => invoke('verify_code', { code }),
  answerQuestions: (answers) => invoke('answer_questions', { answers }),
  verifyTotp: (code) => invoke('verify_totp', { code }),
  resyncTotp: (firstCode, secondCode) => invoke('resync_totp', { firstCode, secondCode }),
  getPasswordPolicy: () => invoke('get_password_policy'),
  checkPassword: (policy, username, tenant, newPassword) => invoke('check_password', { policy, username, tenant, newPassword }),
  resetPassword: (newPassword) => invoke('reset_password', { newPassword }),
  unblockUser: () => invoke('unblock_user'),
  getEmergencyCodeLimits: () => invoke('get_emergency_code_limits'),
  checkEmergencyCode: (limits, req) => invoke('check_emergency_code', { limits, maxUses: req.max_uses, validFrom: req.valid_from, validTo: req.valid_to }),
  issueEmergencyCode: (req) => invoke('issue_emergency_code', { maxUses: req.max_uses, validFrom: req.valid_from, validTo: req.valid_to }),
  cardWatch: (known, timeoutMs) => invoke('card_watch', { known, timeoutMs }),
  updateCheck: () => invoke('update_check'),
  updateInstall: () => invoke('update_install'),
  firstScreen: (pageMs) => invoke('first_screen', { pageMs }),
  cardStatus: (reader) => invoke('card_status', { reader }),
  cardUnblock: (reader, newPin) => invoke('card_unblock', { reader, newPin }),
  cardChangePin: (reader, oldPin, newPin) => invoke('card_change_pin', { reader, oldPin, newPin }),
  cardHelpdeskCryptogram: (serial, challenge) => invoke('card_helpdesk_cryptogram', { serial, challenge }),
  cardReport: (serial, challenge, outcome, triesLeft) =>
    invoke('card_report', { serial, challenge, outcome, triesLeft }),
  cardQrCryptogram: (serial, challenge) => invoke('card_qr_cryptogram', { serial, challenge }),
  scanCameras: () => invoke('scan_cameras'),
  scanStart: (camera, onFrame, onEvent) => {
    // Frames arrive as binary channel messages (an ArrayBuffer each), never as JSON.
    const frames = new Channel<PreviewFrame>();
    frames.onmessage = onFrame;
    const events = new Channel<ScanEvent>();
    events.onmessage = onEvent;
    return invoke('scan_start', { camera, onFrame: frames, onEvent: events });
  },
  scanStop: () => invoke('scan_stop'),
  scanParse: (text) => invoke('scan_parse', { text }),
  scanImage: (bytes) => invoke('scan_image', bytes),
  watchLinks: (onLink) => {
    const links = new Channel<null>();
    links.onmessage = () => onLink();
    return invoke('scan_watch_links', { onLink: links });
  },
  takeLink: () => invoke('scan_take_link'),
  enrolStart: (username, code, language) => invoke('enrol_start', { username, code, language }),
  enrolStartWithPassword: (username, password, language) => invoke('enrol_start_with_password', { username, password, language }),
  enrolAfterVerification: () => invoke('enrol_after_verification'),
  enrolGet: () => invoke('enrol_get'),
  enrolEnd: () => invoke('enrol_end'),
  enrolConfirmAddress: (code) => invoke('enrol_confirm_address', { code }),
  enrolResend: () => invoke('enrol_resend'),
  enrolAddContact: (kind, value) => invoke('enrol_add_contact', { kind, value }),
  enrolConfirmContact: (code) => invoke('enrol_confirm_contact', { code }),
  enrolRemoveContact: (kind, id) => invoke('enrol_remove_contact', { kind, id }),
  enrolBeginAuthenticator: () => invoke('enrol_begin_authenticator'),
  enrolConfirmAuthenticator: (code) => invoke('enrol_confirm_authenticator', { code }),
  enrolRemoveAuthenticator: () => invoke('enrol_remove_authenticator'),
  enrolSetAnswers: (answers) => invoke('enrol_set_answers', { answers }),
  enrolTakeLink: () => invoke('enrol_take_link'),
};
