// A host that talks to a real ea-server from the browser, for development and the browser tests
// against a real server (`?host=http`). The page must come from the server's own origin (a proxy
// in front of both), so no cross-origin access is needed. It covers what a browser can do: the
// verification and the actions that need no card, camera or keyring; the rest is refused as
// `internal`. The desktop app never loads it.

import { ENDPOINTS, type EndpointId, type EndpointTypes } from '../api/endpoints';
import type { CommandError, Host, Settings } from './index';
import { isCommandError } from './index';
import { limitViolations, passwordViolations } from './fakeRules';

const unsupported = (): Promise<never> => Promise.reject({ code: 'internal', params: {} } satisfies CommandError);

export function createHttpHost(params: URLSearchParams): Host {
  const tenant = params.get('tenant') ?? 'demo';
  const settings: Settings = { server_url: location.origin, tenant, has_client_key: false, from_environment: true, locked: [], language: null, policy_error: null };
  let token: string | null = null;

  async function send<I extends EndpointId>(id: I, body?: EndpointTypes[I]['request']): Promise<EndpointTypes[I]['response']> {
    const e = ENDPOINTS[id];
    const headers: Record<string, string> = {};
    if (e.auth === 'session') {
      if (!token) throw { code: 'session_unknown', params: {} } satisfies CommandError;
      headers.authorization = `Bearer ${token}`;
    }
    if (body !== undefined && body !== null) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(e.path, { method: e.method, headers, body: body === undefined || body === null ? undefined : JSON.stringify(body), redirect: 'error' });
    } catch {
      throw { code: 'server_unreachable', params: {} } satisfies CommandError;
    }
    const json: unknown = await res.json().catch(() => null);
    if (res.ok && json !== null) return json as EndpointTypes[I]['response'];
    throw isCommandError(json) ? json : ({ code: 'server_error', params: { status: res.status } } satisfies CommandError);
  }

  return {
    getSettings: async () => settings,
    saveSettings: unsupported,
    listTenants: () => send('list_tenants'),
    startSession: async (username, forAction, language) => {
      const started = await send('start_session', { tenant, username, for_action: forAction, language });
      token = started.token;
      return started.session;
    },
    getSession: () => send('get_session'),
    endSession: async () => {
      token = null;
    },
    chooseFlow: (flowId) => send('choose_flow', { flow_id: flowId }),
    confirmContact: (contactId, value, language) => send('confirm_contact', { contact_id: contactId, value, language }),
    resendCode: () => send('resend_code'),
    verifyCode: (code) => send('verify_code', { code }),
    answerQuestions: (answers) => send('answer_questions', { answers }),
    verifyTotp: (code) => send('verify_totp', { code }),
    resyncTotp: (firstCode, secondCode) => send('resync_totp', { first_code: firstCode, second_code: secondCode }),
    getPasswordPolicy: () => send('get_password_policy'),
    // The live checks as the page can make them; the server checks again with its own code.
    checkPassword: async (policy, username, tenantId, newPassword) => passwordViolations(policy, newPassword, username, tenantId),
    resetPassword: (newPassword) => send('reset_password', { new_password: newPassword }),
    unblockUser: () => send('unblock_user'),
    getEmergencyCodeLimits: () => send('get_emergency_code_limits'),
    checkEmergencyCode: async (limits, req) => limitViolations(limits, req, Math.floor(Date.now() / 1000)),
    issueEmergencyCode: (req) => send('issue_emergency_code', req),
    cardWatch: async () => ({ available: false, reason: { code: 'card_no_service', params: {} }, readers: [] }),
    cardStatus: unsupported,
    cardUnblock: unsupported,
    cardChangePin: unsupported,
    cardHelpdeskCryptogram: unsupported,
    cardReport: unsupported,
    cardQrCryptogram: unsupported,
    scanCameras: async () => ({ cameras: [], reason: null }),
    scanStart: unsupported,
    scanStop: async () => undefined,
    scanParse: unsupported,
    scanImage: unsupported,
    watchLinks: async () => undefined,
    takeLink: async () => null,
    enrolStart: unsupported,
    enrolStartWithPassword: unsupported,
    enrolAfterVerification: unsupported,
    enrolGet: unsupported,
    enrolEnd: async () => undefined,
    enrolConfirmAddress: unsupported,
    enrolResend: unsupported,
    enrolAddContact: unsupported,
    enrolConfirmContact: unsupported,
    enrolRemoveContact: unsupported,
    enrolBeginAuthenticator: unsupported,
    enrolConfirmAuthenticator: unsupported,
    enrolRemoveAuthenticator: unsupported,
    enrolSetAnswers: unsupported,
    enrolTakeLink: async () => null,
    updateCheck: async () => null,
    updateInstall: unsupported,
    firstScreen: async () => undefined,
  };
}
