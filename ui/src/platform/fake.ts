// A fake host that behaves like the server for the demo data, so every screen runs in a plain
// browser: `npm run dev`, the browser tests, and designers. Known codes: SMS 123456, email
// 12345678, authenticator 123456 (654321 is "drifted": resync with 111111 then 222222).

import type {
  Action,
  EmergencyCodeIssued,
  EnrolmentView,
  ErrorCode,
  ExpectedRequest,
  PasswordPolicyView,
  EmergencyCodeLimitsView,
  FlowSummary,
  QuestionAnswer,
  SessionView,
  StepView,
} from '../api/types';
import { limitViolations, passwordViolations } from './fakeRules';
import type { CardReadersView, CardRequest, CommandError, Host, ScanEvent, Settings } from './index';

type Flow = FlowSummary;

const names = (en: string, de: string, fr: string, it: string) => ({ en, de, fr, it });

const FLOWS: Flow[] = [
  {
    id: 'email-questions',
    names: names('Email and security questions', 'E-Mail und Sicherheitsfragen', 'E-mail et questions de sécurité', 'E-mail e domande di sicurezza'),
    methods: ['email_otp', 'questions'],
    description: {},
    actions: ['reset_password', 'unblock_user', 'emergency_code', 'manage_recovery'],
  },
  {
    id: 'sms-totp',
    names: names('Text message and authenticator app', 'SMS und Authenticator-App', "SMS et application d'authentification", 'SMS e app di autenticazione'),
    methods: ['sms_otp', 'totp'],
    description: { en: 'For everything, including your smart card. Have your phone and authenticator app at hand.' },
    actions: ['reset_password', 'card_pin_unblock', 'unblock_user', 'emergency_code', 'manage_recovery'],
  },
  {
    id: 'totp-only',
    names: names('Authenticator app', 'Authenticator-App', "Application d'authentification", 'App di autenticazione'),
    methods: ['totp'],
    description: {},
    actions: ['unblock_user'],
  },
];

/** Whom to contact, as the demo organisation wrote it. */
const HELP = { en: 'Call the IT service desk on +41 44 555 00 00.', de: 'Rufen Sie den IT-Servicedesk an: +41 44 555 00 00.' };

const QUESTIONS = [
  { id: 0, text: 'What was the name of your first pet?', answer: 'rex' },
  { id: 1, text: 'In which city were you born?', answer: 'zurich' },
];

export type FakeControl = {
  /** The next card write fails as if the card were pulled. */
  cardRemoved: boolean;
  /** Puts the demo card into the first reader or takes it out. */
  setCard: (present: boolean) => void;
  /** Starts or stops the smart-card service. */
  setCardService: (running: boolean) => void;
  /** Every call fails with `server_unreachable` while set. */
  offline: boolean;
  /** Milliseconds each call takes. */
  latency: number;
  /** Calls made, by name, for tests. */
  calls: string[];
  /** As if a `vsec-ea://` link were opened from outside while the app runs. */
  openLink: (link: string) => void;
};

type Params<C extends ErrorCode['code']> = Extract<ErrorCode, { code: C }>['params'];
/** A refusal as the real host gives it; the parameters are checked against the code's. */
/** What a session expects next, as the server names it in `step_out_of_order`. */
function expectedFor(s: SessionView): ExpectedRequest {
  switch (s.step?.method) {
    case undefined:
      return s.status === 'choosing_flow' ? 'flow' : 'none';
    case 'sms_otp':
    case 'email_otp':
      return s.step.code_sent ? 'code' : 'contact';
    case 'questions':
      return 'questions';
    case 'totp':
      return s.step.resync_required ? 'totp_resync' : 'totp';
  }
}

/** The demo tenant's rules, as the server would send them. */
const POLICY: PasswordPolicyView = { min_length: 12, max_length: 128, required_classes: [], forbids_username: true, forbids_common: true };
const TENANT_NAME = 'Example Bank';
const LIMITS: EmergencyCodeLimitsView = { length: 10, max_uses: 10, max_validity_seconds: 30 * 86400 };

const fail = <C extends ErrorCode['code']>(code: C, ...params: Record<symbol, never> extends Params<C> ? [Params<C>?] : [Params<C>]): CommandError =>
  ({ code, params: params[0] ?? {} }) as CommandError;

export const DEMO_LINK = 'vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF&alg=aes';

/** The parser's main refusals, enough to exercise the screens (the real one is in crates/scan). */
function fakeParse(text: string): CardRequest {
  const t = text.trim();
  if (!t) throw fail('qr_empty');
  const m = /^(?:vsec-ea:\/\/card-unblock|https:\/\/([^/?#]+)\/card-unblock)\?(.*)$/i.exec(t);
  if (!m) throw fail(t.includes('://') ? 'qr_wrong_path' : 'qr_not_a_link');
  const q = new Map<string, string>();
  for (const part of (m[2] ?? '').split('&')) {
    const [k = '', v] = part.split('=');
    if (!['serial', 'challenge', 'alg', 'tenant'].includes(k)) throw fail('qr_unknown_parameter', { name: k });
    if (q.has(k)) throw fail('qr_duplicate_parameter', { name: k });
    q.set(k, v ?? '');
  }
  for (const name of ['serial', 'challenge']) {
    const v = q.get(name);
    if (!v) throw fail('qr_missing_parameter', { name });
    if (!/^[0-9a-f]+$/i.test(v)) throw fail('qr_not_hex', { name });
    if (v.length % 2) throw fail('qr_odd_length', { name });
  }
  const challenge = (q.get('challenge') ?? '').toUpperCase();
  if (challenge.length !== 16 && challenge.length !== 32) throw fail('qr_challenge_length');
  return { serial: (q.get('serial') ?? '').toUpperCase(), challenge, algorithm: challenge.length === 32 ? 'aes' : '3des', tenant: q.get('tenant') ?? null, host: m[1] ?? null };
}

/** A QR-looking SVG (not a real code): the fake host has no encoder. */
const FAKE_QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21"><rect width="21" height="21" fill="#fff"/>' +
  Array.from({ length: 120 }, (_, i) => `<rect x="${(i * 7) % 21}" y="${Math.floor((i * 7) / 21) % 21}" width="1" height="1"/>`).join('') + '</svg>';

export function createFakeHost(params: URLSearchParams): Host & { control: FakeControl } {
  const cooldown = Number(params.get('cooldown') ?? '60');
  const flows =
    params.get('flows') === 'one'
      ? FLOWS.filter((f) => f.id === 'sms-totp')
      : params.get('flows') === 'nocard'
        ? FLOWS.filter((f) => !f.actions.includes('card_pin_unblock'))
        : FLOWS;
  let cards = params.get('cards') !== '0';
  const card = { present: params.get('card') !== 'out', pin: '123456', tries: 0, events: 0 };
  /** Watches waiting for the next change of the readers. */
  let cardWaiters: (() => void)[] = [];
  const cardChanged = () => {
    const w = cardWaiters;
    cardWaiters = [];
    w.forEach((f) => f());
  };
  let linkWatcher: (() => void) | null = null;
  const control: FakeControl = {
    cardRemoved: false,
    offline: false,
    latency: Number(params.get('latency') ?? '150'),
    calls: [],
    setCard: (present) => {
      if (card.present !== present) card.events += 1;
      card.present = present;
      cardChanged();
    },
    setCardService: (running) => {
      cards = running;
      cardChanged();
    },
    openLink: (link) => {
      if (link.startsWith('emergency-access://enrol?')) {
        const q = new URLSearchParams(link.slice(link.indexOf('?') + 1));
        pendingEnrolLink = { tenant: q.get('tenant') ?? '', username: q.get('username') ?? '' };
      } else pendingLink = link;
      linkWatcher?.();
    },
  };
  // `?policy=managed`: the machine's policy sets everything (language French);
  // `?policy=broken`: a policy that cannot be used.
  const policy: Pick<Settings, 'locked' | 'language' | 'policy_error'> =
    params.get('policy') === 'managed'
      ? { locked: ['server_url', 'tenant', 'client_key', 'language'], language: 'fr', policy_error: null }
      : params.get('policy') === 'broken'
        ? { locked: ['server_url', 'tenant', 'client_key'], language: null, policy_error: '/etc/emergency-access/config.toml: tenant: lower-case letters, digits and dashes, 64 at most' }
        : { locked: [], language: null, policy_error: null };
  let settings: Settings = params.get('configured') === '0'
    ? { server_url: '', tenant: '', has_client_key: false, from_environment: false, ...policy }
    : { server_url: 'https://ea.example.org', tenant: 'demo', has_client_key: policy.locked.includes('client_key'), from_environment: false, ...policy };

  const cameras = params.get('camera') === '0' ? [] : [{ id: 'demo', name: 'Demo camera' }];
  let pendingLink: string | null = params.get('link');
  let scanTimer: ReturnType<typeof setInterval> | null = null;

  let session: SessionView | null = null;
  let known = false;
  let failures = 0;
  let actionsUsed = new Set<string>();

  /** The simulated server's clock; `?skew=` seconds off this computer's (a PC clock set wrong). */
  const skew = Number(params.get('skew') ?? '0');
  const now = () => Math.floor(Date.now() / 1000) + skew;
  /** Seconds a session lasts (`?lifetime=`). */
  const lifetime = Number(params.get('lifetime') ?? '900');

  async function call<T>(name: string, f: () => T): Promise<T> {
    control.calls.push(name);
    await new Promise((r) => setTimeout(r, control.latency));
    if (control.offline) throw fail('server_unreachable');
    const r = f();
    // Views carry the server's clock, as the real server's do.
    if (r && typeof r === 'object' && 'expires_at' in r && 'server_time' in r) r.server_time = now();
    return r;
  }

  function current(): SessionView {
    if (!session) throw fail('session_unknown');
    return session;
  }

  function flowOf(s: SessionView): Flow {
    const f = flows.find((x) => x.id === s.flow_id);
    if (!f) throw fail('step_out_of_order', { expected: 'flow' });
    return f;
  }

  function enter(s: SessionView, index: number) {
    const f = flowOf(s);
    s.step_index = index;
    s.step_count = f.methods.length;
    const method = f.methods[index];
    const contacts = method === 'sms_otp' ? [{ id: 0, masked: '+41 ••••••• 67' }] : [{ id: 0, masked: 'a•••@e•••.org' }];
    let step: StepView | null = null;
    if (method === 'sms_otp' || method === 'email_otp') {
      step = { method, contacts, confirmed_contact: null, code_sent: false, code_length: method === 'sms_otp' ? 6 : 8, code_expires_at: null, attempts_left: null, resend_available_at: null, resends_left: null };
    } else if (method === 'questions') {
      step = { method, questions: QUESTIONS.map(({ id, text }) => ({ id, text })), tries_left: 3 };
    } else if (method === 'totp') {
      step = { method, resync_required: false, digits: 6 };
    }
    s.step = step;
    if (!step) {
      s.status = 'completed';
      s.actions = f.actions;
    }
  }

  function advance(s: SessionView) {
    enter(s, s.step_index + 1);
  }

  function countFailure() {
    failures += 1;
  }

  function requireStep<M extends StepView['method']>(s: SessionView, methods: M[]): Extract<StepView, { method: M }> {
    if (s.status === 'failed') throw fail('verification_failed');
    if (s.status === 'completed') throw fail('already_completed');
    if (!s.step || !methods.includes(s.step.method as M)) throw fail('step_out_of_order', { expected: expectedFor(s) });
    return s.step as Extract<StepView, { method: M }>;
  }

  function requireAction(action: Action) {
    const s = current();
    if (s.status !== 'completed') throw fail('verification_incomplete');
    if (!s.actions.includes(action)) throw fail('action_not_permitted');
    if (actionsUsed.has(action)) throw fail('action_already_used');
  }

  let enrolment: EnrolmentView | null = null;
  let pendingEnrolLink: { tenant: string; username: string } | null = null;

  function newEnrolment(username: string, stage: EnrolmentView['stage']): EnrolmentView {
    return {
      stage,
      username,
      address: stage === 'confirm_address' ? 'd•••@e•••.org' : null,
      pending: null,
      phones: [],
      emails: [],
      authenticator: false,
      questions: [],
      profile: {
        phones: { required: 1, max: 2 },
        emails: { required: 1, max: 2 },
        authenticator_required: true,
        questions_required: 2,
        catalogue: QUESTIONS.map((q) => q.text),
        own_questions: true,
        min_answer_length: 3,
      },
      missing: [],
      expires_at: now() + 1800,
      server_time: now(),
    };
  }

  function currentEnrolment(): EnrolmentView {
    if (!enrolment) throw fail('session_unknown');
    return enrolment;
  }

  function open(): EnrolmentView {
    const e = currentEnrolment();
    if (e.stage !== 'open') throw fail('enrolment_step_out_of_order');
    return e;
  }

  /** The enrolment with what it still lacks worked out, as the server does. */
  function refreshed(): EnrolmentView {
    const e = currentEnrolment();
    const p = e.profile;
    e.missing = [];
    if (e.phones.length < p.phones.required) e.missing.push({ factor: 'phones', needed: p.phones.required - e.phones.length });
    if (e.emails.length < p.emails.required) e.missing.push({ factor: 'emails', needed: p.emails.required - e.emails.length });
    if (p.authenticator_required && !e.authenticator) e.missing.push({ factor: 'authenticator' });
    if (e.questions.length < p.questions_required) e.missing.push({ factor: 'questions', needed: p.questions_required - e.questions.length });
    return structuredClone(e);
  }

  const host: Host & { control: FakeControl } = {
    control,
    getSettings: () => call('getSettings', () => ({ ...settings })),
    listTenants: (serverUrl) =>
      call('listTenants', () => {
        if (!/^https:\/\/|^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(serverUrl)) throw fail('settings_insecure_url', { field: 'server_url' });
        return { tenants: [{ slug: 'acme', name: 'Acme Corporation' }, { slug: 'demo', name: 'Emergency Access Demo' }] };
      }),
    saveSettings: (input) =>
      call('saveSettings', () => {
        if (!/^https:\/\/|^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(input.server_url)) throw fail('settings_insecure_url', { field: 'server_url' });
        if (!/^[a-z0-9-]{1,64}$/.test(input.tenant)) throw fail('settings_invalid', { field: 'tenant' });
        const keep = (f: string) => settings.locked.includes(f);
        settings = {
          ...settings,
          server_url: keep('server_url') ? settings.server_url : input.server_url,
          tenant: keep('tenant') ? settings.tenant : input.tenant,
          has_client_key: keep('client_key') || !!input.client_key,
        };
        return { ...settings };
      }),
    startSession: (username, forAction) =>
      call('startSession', () => {
        if (!username.trim()) throw fail('invalid_field', { field: 'username', reason: 'empty' });
        if (username.length > 256) throw fail('invalid_field', { field: 'username', reason: 'too_long', max: 256 });
        known = username.trim().toLowerCase() === 'alice';
        actionsUsed = new Set();
        const offered = flows.filter((f) => !forAction || f.actions.includes(forAction));
        session = { status: 'choosing_flow', expires_at: now() + lifetime, server_time: now(), flows: structuredClone(offered), flow_id: null, step_index: 0, step_count: 0, step: null, actions: [], help: HELP };
        if (offered.length === 1) {
          session.status = 'in_progress';
          session.flow_id = offered[0]!.id;
          enter(session, 0);
        }
        return structuredClone(session);
      }),
    getSession: () => call('getSession', () => structuredClone(current())),
    endSession: () => call('endSession', () => void (session = null)),
    chooseFlow: (flowId) =>
      call('chooseFlow', () => {
        const s = current();
        if (s.status !== 'choosing_flow') throw fail('step_out_of_order', { expected: 'contact' });
        if (!flows.some((f) => f.id === flowId)) throw fail('flow_unknown');
        s.flow_id = flowId;
        s.status = 'in_progress';
        enter(s, 0);
        return structuredClone(s);
      }),
    confirmContact: (_contactId, value) =>
      call('confirmContact', () => {
        const s = current();
        const step = requireStep(s, ['sms_otp', 'email_otp']);
        const digits = value.replace(/[^0-9+]/g, '');
        const ok = known && (step.method === 'sms_otp' ? /^(\+41|0041|0)791234567$/.test(digits) : value.trim().toLowerCase() === 'alice@example.org');
        if (!ok) {
          countFailure();
          throw fail('contact_mismatch', { attempts_left: 2 });
        }
        step.confirmed_contact = 0;
        step.code_sent = true;
        step.attempts_left = 3;
        step.code_expires_at = now() + 300;
        step.resend_available_at = now() + cooldown;
        step.resends_left = 3;
        return structuredClone(s);
      }),
    resendCode: () =>
      call('resendCode', () => {
        const s = current();
        const step = requireStep(s, ['sms_otp', 'email_otp']);
        const wait = (step.resend_available_at ?? 0) - now();
        if (wait > 0) throw fail('resend_too_soon', { retry_after: wait });
        if ((step.resends_left ?? 0) <= 0) throw fail('resend_limit_reached');
        step.resends_left = (step.resends_left ?? 1) - 1;
        step.resend_available_at = now() + cooldown;
        step.attempts_left = 3;
        return structuredClone(s);
      }),
    verifyCode: (code) =>
      call('verifyCode', () => {
        const s = current();
        const step = requireStep(s, ['sms_otp', 'email_otp']);
        if (!step.code_sent) throw fail('code_not_sent');
        const want = step.method === 'sms_otp' ? '123456' : '12345678';
        if (code.replace(/\s|-/g, '') !== want) {
          countFailure();
          step.attempts_left = Math.max(0, (step.attempts_left ?? 3) - 1);
          throw fail('code_invalid', { attempts_left: step.attempts_left });
        }
        advance(s);
        return structuredClone(s);
      }),
    answerQuestions: (answers: QuestionAnswer[]) =>
      call('answerQuestions', () => {
        const s = current();
        const step = requireStep(s, ['questions']);
        if (answers.length !== QUESTIONS.length) throw fail('answers_incomplete');
        const norm = (x: string) => x.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();
        const right = answers.every((a) => norm(a.answer) === QUESTIONS[a.question_id]?.answer);
        if (!right) {
          countFailure();
          step.tries_left -= 1;
          if (step.tries_left <= 0) s.status = 'failed';
          throw fail('answers_wrong', { tries_left: step.tries_left });
        }
        advance(s);
        return structuredClone(s);
      }),
    verifyTotp: (code) =>
      call('verifyTotp', () => {
        const s = current();
        const step = requireStep(s, ['totp']);
        if (code === '654321') {
          step.resync_required = true;
          throw fail('totp_resync_required');
        }
        if (code !== '123456' || !known) {
          countFailure();
          throw fail('totp_invalid');
        }
        advance(s);
        return structuredClone(s);
      }),
    resyncTotp: (a, b) =>
      call('resyncTotp', () => {
        const s = current();
        const step = requireStep(s, ['totp']);
        if (!step.resync_required) throw fail('step_out_of_order', { expected: 'totp' });
        if (a !== '111111' || b !== '222222') throw fail('totp_invalid');
        advance(s);
        return structuredClone(s);
      }),
    getPasswordPolicy: () => call('getPasswordPolicy', () => POLICY),
    checkPassword: async (policy, username, tenant, pw) => passwordViolations(policy, pw, username, tenant),
    resetPassword: (pw) =>
      call('resetPassword', () => {
        requireAction('reset_password');
        // The server knows the organisation's display name too.
        const violations = [...new Set([...passwordViolations(POLICY, pw, 'alice', 'demo'), ...passwordViolations(POLICY, pw, 'alice', TENANT_NAME)])];
        if (violations.length) throw fail('password_policy', { violations, min_length: POLICY.min_length, max_length: POLICY.max_length });
        actionsUsed.add('reset_password');
        return { action: 'reset_password' };
      }),
    unblockUser: () =>
      call('unblockUser', () => {
        requireAction('unblock_user');
        actionsUsed.add('unblock_user');
        return { action: 'unblock_user' };
      }),
    getEmergencyCodeLimits: () => call('getEmergencyCodeLimits', () => LIMITS),
    checkEmergencyCode: async (limits, req) => limitViolations(limits, req, now()),
    issueEmergencyCode: (req) =>
      call('issueEmergencyCode', (): EmergencyCodeIssued => {
        requireAction('emergency_code');
        const violations = limitViolations(LIMITS, req, now());
        if (violations.length) throw fail('emergency_code_limits', { violations, max_uses: LIMITS.max_uses, max_validity_seconds: LIMITS.max_validity_seconds });
        actionsUsed.add('emergency_code');
        const from = req.valid_from ?? now();
        return { code: 'KH4QX7RCMA', display: 'KH4QX-7RCMA', max_uses: req.max_uses, valid_from: from, valid_to: req.valid_to ?? from + 30 * 86400 };
      }),
    // `?update=VERSION`: a newer version is published.
    updateCheck: () => call('updateCheck', () => (params.get('update') ? { version: params.get('update') ?? '', notes: 'Fixes and improvements.' } : null)),
    updateInstall: () => call('updateInstall', () => undefined),
    firstScreen: async () => undefined,
    cardWatch: async (known, timeoutMs) => {
      control.calls.push('cardWatch');
      const look = (): CardReadersView =>
        cards
          ? { available: true, reason: null, readers: [{ name: 'Virtual PCD 00 00', card_present: card.present, events: card.events }, { name: 'Virtual PCD 00 01', card_present: false, events: 0 }] }
          : { available: false, reason: fail('card_no_service'), readers: [] };
      const same = (v: CardReadersView) => (known === null ? !v.available : v.available && JSON.stringify(v.readers) === JSON.stringify(known));
      if (timeoutMs > 0 && same(look())) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          cardWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return look();
    },
    cardStatus: (reader) =>
      call('cardStatus', () => {
        if (reader !== 'Virtual PCD 00 00' || !card.present) throw fail('card_absent');
        return { serial: 'EA5EC0DE00000001', pin: card.tries === 0 ? 'blocked' : 'tries_left', tries_left: card.tries || null, rules: { min_length: 6, max_length: 8, digits_only: true } };
      }),
    cardUnblock: (reader, newPin) =>
      call('cardUnblock', () => {
        requireAction('card_pin_unblock');
        if (reader !== 'Virtual PCD 00 00' || !card.present) throw fail('card_absent');
        if (!/^[0-9]{6,8}$/.test(newPin)) throw fail('card_pin_invalid');
        if (control.cardRemoved) throw fail('card_removed');
        card.pin = newPin;
        card.tries = 3;
        actionsUsed.add('card_pin_unblock');
        return { serial: 'EA5EC0DE00000001' };
      }),
    cardChangePin: (_reader, oldPin, newPin) =>
      call('cardChangePin', () => {
        if (oldPin !== card.pin) {
          card.tries = Math.max(0, card.tries - 1);
          throw card.tries === 0 ? fail('card_pin_blocked') : fail('card_wrong_pin', { tries_left: card.tries });
        }
        card.pin = newPin;
      }),
    cardHelpdeskCryptogram: (serial, challenge) =>
      call('cardHelpdeskCryptogram', () => {
        requireAction('card_pin_unblock');
        if (serial.toUpperCase() !== 'EA5EC0DE00000001') throw fail('card_unknown');
        if (challenge.length !== 32) throw fail('challenge_length', { expected: 16 });
        return { cryptogram: '69C4E0D86A7B0430D8CDB78070B4C55A', algorithm: 'aes128', checksum: '3C1F' };
      }),
    cardReport: (_serial, _challenge, outcome) =>
      call('cardReport', () => {
        if (outcome === 'unblocked') actionsUsed.add('card_pin_unblock');
        return { action: 'card_pin_unblock' };
      }),
    cardQrCryptogram: (serial, challenge) =>
      call('cardQrCryptogram', () => {
        requireAction('card_pin_unblock');
        if (serial.toUpperCase() !== 'EA5EC0DE00000001') throw fail('card_unknown');
        if (challenge.length !== 32) throw fail('challenge_length', { expected: 16 });
        return { cryptogram: '69C4E0D86A7B0430D8CDB78070B4C55A', algorithm: 'aes128', checksum: '3C1F', qr_svg: FAKE_QR };
      }),
    scanCameras: () => call('scanCameras', () => ({ cameras, reason: null })),
    scanStart: (camera, onFrame, onEvent: (e: ScanEvent) => void) =>
      call('scanStart', () => {
        if (!cameras.some((c) => c.id === camera)) throw fail('camera_none');
        if (scanTimer) clearInterval(scanTimer);
        const [w, h] = [320, 240];
        let n = 0;
        onEvent({ kind: 'started', name: camera });
        scanTimer = setInterval(() => {
          const buf = new Uint8Array(8 + w * h);
          new DataView(buf.buffer).setUint32(0, w, true);
          new DataView(buf.buffer).setUint32(4, h, true);
          for (let i = 0; i < w * h; i++) buf[8 + i] = (((i % w) + Math.floor(i / w) + n * 4) % 64) + 96;
          onFrame(buf.buffer);
          n += 1;
          if (n === 15 && scanTimer) {
            clearInterval(scanTimer);
            scanTimer = null;
            onEvent({ kind: 'found', card: fakeParse(DEMO_LINK), millis: 3 });
          }
        }, 80);
      }),
    scanStop: () =>
      call('scanStop', () => {
        if (scanTimer) clearInterval(scanTimer);
        scanTimer = null;
      }),
    scanParse: (text) => call('scanParse', () => fakeParse(text)),
    scanImage: (bytes) =>
      call('scanImage', () => {
        if (bytes.length < 8) throw fail('image_unreadable');
        return fakeParse(DEMO_LINK);
      }),
    watchLinks: (onLink) =>
      call('watchLinks', () => {
        linkWatcher = onLink;
        if (pendingLink) onLink();
      }),
    takeLink: () =>
      call('takeLink', () => {
        const l = pendingLink;
        pendingLink = null;
        return l ? fakeParse(l) : null;
      }),
    enrolTakeLink: () =>
      call('enrolTakeLink', () => {
        const l = pendingEnrolLink;
        pendingEnrolLink = null;
        return l;
      }),
    enrolStart: (username, code) =>
      call('enrolStart', () => {
        if (username.trim().toLowerCase() !== 'dana' || code.replace(/[\s-]/g, '').toUpperCase() !== 'ABCDEFGHJKLM') throw fail('enrolment_code_invalid');
        enrolment = newEnrolment(username.trim().toLowerCase(), 'confirm_address');
        return structuredClone(enrolment);
      }),
    enrolStartWithPassword: (username, password) =>
      call('enrolStartWithPassword', () => {
        if (username.trim().toLowerCase() !== 'alice' || password !== 'alice-password') throw fail('directory_password_wrong');
        enrolment = newEnrolment('alice', 'open');
        enrolment.phones = [{ id: 0, masked: '+41 ••••••• 67' }];
        return refreshed();
      }),
    enrolAfterVerification: () =>
      call('enrolAfterVerification', () => {
        requireAction('manage_recovery');
        actionsUsed.add('manage_recovery');
        enrolment = newEnrolment('alice', 'open');
        enrolment.phones = [{ id: 0, masked: '+41 ••••••• 67' }];
        enrolment.emails = [{ id: 0, masked: 'a•••@e•••.org' }];
        enrolment.authenticator = true;
        enrolment.questions = QUESTIONS.map((q) => q.text);
        return refreshed();
      }),
    enrolGet: () => call('enrolGet', () => structuredClone(currentEnrolment())),
    enrolEnd: () => call('enrolEnd', () => void (enrolment = null)),
    enrolConfirmAddress: (code) =>
      call('enrolConfirmAddress', () => {
        const e = currentEnrolment();
        if (e.stage !== 'confirm_address') throw fail('enrolment_step_out_of_order');
        if (code.trim() !== '12345678') throw fail('code_invalid', { attempts_left: 2 });
        e.stage = 'open';
        e.address = null;
        e.emails = [{ id: 0, masked: 'd•••@e•••.org' }];
        return refreshed();
      }),
    enrolResend: () => call('enrolResend', () => structuredClone(currentEnrolment())),
    enrolAddContact: (kind, value) =>
      call('enrolAddContact', () => {
        const e = open();
        if (value.replace(/\D/g, '').length < 6 && kind === 'phone') throw fail('contact_malformed');
        if (kind === 'email' && !value.includes('@')) throw fail('contact_malformed');
        const masked = kind === 'phone' ? `+41 ••••••• ${value.replace(/\D/g, '').slice(-2)}` : `${value[0]}•••@e•••.org`;
        e.pending = { kind, masked, code_length: kind === 'phone' ? 6 : 8, code_expires_at: now() + 600, attempts_left: 3, resend_available_at: now() + 30 };
        return refreshed();
      }),
    enrolConfirmContact: (code) =>
      call('enrolConfirmContact', () => {
        const e = open();
        const p = e.pending;
        if (!p) throw fail('code_not_sent');
        if (code.trim() !== (p.kind === 'phone' ? '123456' : '12345678')) throw fail('code_invalid', { attempts_left: 2 });
        const list = p.kind === 'phone' ? e.phones : e.emails;
        list.push({ id: list.length, masked: p.masked });
        e.pending = null;
        return refreshed();
      }),
    enrolRemoveContact: (kind, id) =>
      call('enrolRemoveContact', () => {
        const e = open();
        const list = kind === 'phone' ? e.phones : e.emails;
        if (list.length <= 1) throw fail('factor_still_needed', { factor: kind, flow: kind === 'phone' ? 'Text message and authenticator app' : 'Email and security questions' });
        list.splice(id, 1);
        list.forEach((c, i) => (c.id = i));
        return refreshed();
      }),
    enrolBeginAuthenticator: () =>
      call('enrolBeginAuthenticator', () => {
        open();
        return { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', qr_svg: FAKE_QR, digits: 6, period: 30 };
      }),
    enrolConfirmAuthenticator: (code) =>
      call('enrolConfirmAuthenticator', () => {
        const e = open();
        if (code.trim() !== '123456') throw fail('totp_invalid');
        e.authenticator = true;
        return refreshed();
      }),
    enrolRemoveAuthenticator: () =>
      call('enrolRemoveAuthenticator', () => {
        throw fail('factor_still_needed', { factor: 'authenticator', flow: 'Text message and authenticator app' });
      }),
    enrolSetAnswers: (answers) =>
      call('enrolSetAnswers', () => {
        const e = open();
        const issues = answers.flatMap((a, index) => (a.answer.trim().length < 3 ? [{ index, problem: 'too_short' as const, min: 3 }] : []));
        if (issues.length || answers.length < 2) throw fail('answers_refused', { issues, required: 2 });
        e.questions = answers.map((a) => a.question);
        return refreshed();
      }),
  };
  if (typeof window !== 'undefined') (window as unknown as { __eaFake: FakeControl }).__eaFake = control;
  return host;
}
