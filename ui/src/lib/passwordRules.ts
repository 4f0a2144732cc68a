// The password rules a user sees while typing. Length, character classes, username and the
// repeat are checked here as they type; "common" and the organisation name only the server
// knows, so those show as failed only after the server said so.

import type { PasswordPolicyView, PasswordViolation } from '../api/types';

export type RuleId = 'min_length' | 'max_length' | 'lowercase' | 'uppercase' | 'digit' | 'symbol' | 'username' | 'common' | 'tenant' | 'match';

export type RuleState = { id: RuleId; ok: boolean | null; n?: number };

const VIOLATION_TO_RULE: Record<PasswordViolation, RuleId> = {
  too_short: 'min_length',
  too_long: 'max_length',
  missing_lowercase: 'lowercase',
  missing_uppercase: 'uppercase',
  missing_digit: 'digit',
  missing_symbol: 'symbol',
  contains_username: 'username',
  contains_tenant_name: 'tenant',
  common: 'common',
  control_characters: 'common',
};

export function charCount(pw: string): number {
  return [...pw.normalize('NFKC')].length;
}

/** Rule states for what is typed; `serverViolations` come from the last refusal. */
export function evaluate(policy: PasswordPolicyView, pw: string, repeat: string, username: string, serverViolations: readonly PasswordViolation[] = []): RuleState[] {
  const n = charCount(pw);
  const failedByServer = new Set(serverViolations.map((v) => VIOLATION_TO_RULE[v]).filter(Boolean));
  const typed = pw.length > 0;
  const rules: RuleState[] = [
    { id: 'min_length', ok: typed ? n >= policy.min_length : null, n: policy.min_length },
    { id: 'max_length', ok: typed ? n <= policy.max_length : null, n: policy.max_length },
  ];
  const classes: Record<string, (s: string) => boolean> = {
    lowercase: (s) => /\p{Ll}/u.test(s),
    uppercase: (s) => /\p{Lu}/u.test(s),
    digit: (s) => /[0-9]/.test(s),
    symbol: (s) => /[^\p{L}\p{N}\s]/u.test(s),
  };
  for (const c of policy.required_classes) {
    const test = classes[c];
    if (test) rules.push({ id: c as RuleId, ok: typed ? test(pw) : null });
  }
  const name = username.trim().toLowerCase();
  if (policy.forbids_username) rules.push({ id: 'username', ok: typed ? !(name.length >= 3 && pw.toLowerCase().includes(name)) : null });
  rules.push({ id: 'tenant', ok: failedByServer.has('tenant') ? false : null });
  if (policy.forbids_common) rules.push({ id: 'common', ok: failedByServer.has('common') ? false : null });
  rules.push({ id: 'match', ok: repeat.length > 0 ? pw === repeat : null });
  return rules.map((r) => (failedByServer.has(r.id) && r.ok !== false ? { ...r, ok: false } : r));
}

/** Whether the form may be submitted: every rule checkable here holds. */
export function canSubmit(rules: RuleState[]): boolean {
  return rules.every((r) => r.ok !== false) && rules.filter((r) => r.id !== 'common' && r.id !== 'tenant').every((r) => r.ok === true);
}
