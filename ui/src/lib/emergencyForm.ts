// The emergency-code form: uses and/or dates within the tenant's limits, checked before sending
// (the server checks again).

import type { EmergencyCodeLimitsView, IssueEmergencyCodeRequest } from '../api/types';

export type EmergencyForm = { uses: string; from: string; to: string };

export type FormProblem = 'unlimited' | 'uses_out_of_range' | 'starts_in_the_past' | 'ends_before_start' | 'window_too_long';

/** `datetime-local` value to Unix seconds (local time), or null when empty or invalid. */
export function localToUnix(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : null;
}

export function check(form: EmergencyForm, limits: EmergencyCodeLimitsView, nowUnix: number): { problems: FormProblem[]; request: IssueEmergencyCodeRequest | null } {
  const problems: FormProblem[] = [];
  const usesText = form.uses.trim();
  const uses = usesText === '' ? null : Number(usesText);
  const from = localToUnix(form.from);
  const to = localToUnix(form.to);
  if (uses === null && to === null) problems.push('unlimited');
  if (uses !== null && (!Number.isInteger(uses) || uses < 1 || uses > limits.max_uses)) problems.push('uses_out_of_range');
  const start = from ?? nowUnix;
  if (from !== null && from < nowUnix - 60) problems.push('starts_in_the_past');
  if (to !== null && to <= start) problems.push('ends_before_start');
  if (to !== null && to - start > limits.max_validity_seconds) problems.push('window_too_long');
  const request = problems.length === 0 ? { max_uses: uses, valid_from: from, valid_to: to } : null;
  return { problems, request };
}

export function days(seconds: number): number {
  return Math.floor(seconds / 86400);
}
