// The simulated host's stand-in for the rules the desktop shell evaluates with ea-core (the
// real ones are tested in Rust): enough of the password and emergency-code rules for the screens
// to be exercised in a browser.

import type { EmergencyCodeLimitsView, IssueEmergencyCodeRequest, LimitViolation, PasswordPolicyView, PasswordViolation } from '../api/types';

const COMMON = /^(p[a@]ssw[o0]rd|qwerty|123456|letmein|iloveyou)/i;

export function passwordViolations(policy: PasswordPolicyView, pw: string, username: string, tenant: string): PasswordViolation[] {
  const v: PasswordViolation[] = [];
  const n = [...pw.normalize('NFKC')].length;
  const lower = pw.toLowerCase();
  if (n < policy.min_length) v.push('too_short');
  if (n > policy.max_length) v.push('too_long');
  if (/\p{Cc}/u.test(pw)) v.push('control_characters');
  const name = username.trim().toLowerCase();
  const parts = name.split(/[._\-@ ]/).filter((p) => p.length >= 4);
  if ((name.length >= 3 && lower.includes(name)) || parts.some((p) => lower.includes(p))) v.push('contains_username');
  if (tenant.length >= 3 && lower.includes(tenant.toLowerCase())) v.push('contains_tenant_name');
  if (COMMON.test(pw)) v.push('common');
  const classes: Record<string, [RegExp, PasswordViolation]> = {
    lowercase: [/\p{Ll}/u, 'missing_lowercase'],
    uppercase: [/\p{Lu}/u, 'missing_uppercase'],
    digit: [/[0-9]/, 'missing_digit'],
    symbol: [/[^\p{L}\p{N}\s]/u, 'missing_symbol'],
  };
  for (const c of policy.required_classes) {
    const [test, missing] = classes[c] ?? [];
    if (test && missing && !test.test(pw)) v.push(missing);
  }
  return v;
}

export function limitViolations(limits: EmergencyCodeLimitsView, req: IssueEmergencyCodeRequest, nowUnix: number): LimitViolation[] {
  const v: LimitViolation[] = [];
  const start = req.valid_from ?? nowUnix;
  if (req.max_uses === null && req.valid_to === null) v.push('unlimited');
  if (req.max_uses !== null && (req.max_uses < 1 || req.max_uses > limits.max_uses)) v.push('uses_out_of_range');
  if (req.valid_from !== null && req.valid_from < nowUnix - 60) v.push('starts_in_the_past');
  if (req.valid_to !== null && req.valid_to <= start) v.push('ends_before_start');
  if (req.valid_to !== null && req.valid_to - start > limits.max_validity_seconds) v.push('window_too_long');
  return v;
}
