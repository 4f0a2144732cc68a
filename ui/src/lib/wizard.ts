// Which screen to show, derived from the server's session view. Pure, so it is unit-tested.

import type { Action, ErrorCode, SessionView, StepView } from '../api/types';

export type ActionName = Action;

export type Screen =
  | { kind: 'settings' }
  | { kind: 'username' }
  | { kind: 'flow' }
  | { kind: 'contact'; step: Extract<StepView, { method: 'sms_otp' | 'email_otp' }> }
  | { kind: 'code'; step: Extract<StepView, { method: 'sms_otp' | 'email_otp' }> }
  | { kind: 'questions'; step: Extract<StepView, { method: 'questions' }> }
  | { kind: 'totp'; step: Extract<StepView, { method: 'totp' }> }
  | { kind: 'resync'; step: Extract<StepView, { method: 'totp' }> }
  | { kind: 'actions' }
  | { kind: 'action'; action: ActionName }
  | { kind: 'failed' };

export const ACTIONS: readonly ActionName[] = ['reset_password', 'unblock_user', 'emergency_code', 'card_pin_unblock', 'manage_recovery'];

export function isAction(a: string): a is ActionName {
  return (ACTIONS as readonly string[]).includes(a);
}

/** The screen for a session; `chosen` is the action the user opened, if any. */
export function screenFor(view: SessionView | null, chosen: ActionName | null = null): Screen {
  if (!view) return { kind: 'username' };
  switch (view.status) {
    case 'failed':
      return { kind: 'failed' };
    case 'choosing_flow':
      return { kind: 'flow' };
    case 'completed':
      return chosen && view.actions.includes(chosen) ? { kind: 'action', action: chosen } : { kind: 'actions' };
    case 'in_progress': {
      const step = view.step;
      if (!step) return { kind: 'flow' };
      if (step.method === 'sms_otp' || step.method === 'email_otp') {
        return step.code_sent ? { kind: 'code', step } : { kind: 'contact', step };
      }
      if (step.method === 'questions') return { kind: 'questions', step };
      return step.resync_required ? { kind: 'resync', step } : { kind: 'totp', step };
    }
  }
}

/** "Step n of m" while verifying, or null. */
export function progress(view: SessionView | null): { n: number; m: number } | null {
  if (!view || view.status !== 'in_progress' || view.step_count === 0) return null;
  return { n: view.step_index + 1, m: view.step_count };
}

/** Error codes after which the session is gone and the user must start again. */
export const RESTART_CODES: ReadonlySet<ErrorCode['code']> = new Set(['session_expired', 'session_unknown', 'verification_failed'] as const);

/** Error codes after which the screen should be refreshed from the server. */
export const REFRESH_CODES: ReadonlySet<ErrorCode['code']> = new Set([
  'step_out_of_order',
  'already_completed',
  'code_not_sent',
  'totp_resync_required',
  'answers_wrong',
  'code_invalid',
  'contact_mismatch',
] as const);
