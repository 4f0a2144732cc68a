// The emergency-code form: what was typed, read into a request. Whether the request is within the
// tenant's limits is decided by the desktop shell with the server's own rules (and the server
// checks again); only input that is no number of uses at all is refused here.

import type { IssueEmergencyCodeRequest, LimitViolation } from '../api/types';

export type EmergencyForm = { uses: string; from: string; to: string };

export type FormProblem = LimitViolation;

/** `datetime-local` value to Unix seconds (local time), or null when empty or invalid. */
export function localToUnix(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : null;
}

/** The request the form describes, or the problem that keeps it from being one. */
export function read(form: EmergencyForm): { problems: FormProblem[]; request: IssueEmergencyCodeRequest | null } {
  const usesText = form.uses.trim();
  const uses = usesText === '' ? null : Number(usesText);
  if (uses !== null && (!Number.isInteger(uses) || uses < 1)) return { problems: ['uses_out_of_range'], request: null };
  return { problems: [], request: { max_uses: uses, valid_from: localToUnix(form.from), valid_to: localToUnix(form.to) } };
}

export function days(seconds: number): number {
  return Math.floor(seconds / 86400);
}
