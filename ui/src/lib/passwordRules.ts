// The password rules a user sees while typing. The desktop shell evaluates them with the server's
// own code (ea-core) against the policy the server sent (`checked`); what only the server knows
// (the organisation's display name) shows as failed once the server said so (`fromServer`).

import type { PasswordPolicyView, PasswordViolation } from '../api/types';

export type RuleId =
  | 'min_length'
  | 'max_length'
  | 'lowercase'
  | 'uppercase'
  | 'digit'
  | 'symbol'
  | 'username'
  | 'common'
  | 'tenant'
  | 'match'
  | 'directory_length'
  | 'history'
  | 'age'
  | 'directory';

/** Rules only the organisation's directory knows: shown once it refused a password for them. */
const DIRECTORY_RULES: RuleId[] = ['directory_length', 'history', 'age', 'directory'];

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
  directory_too_short: 'directory_length',
  in_history: 'history',
  too_young: 'age',
  directory_quality: 'directory',
};

export function charCount(pw: string): number {
  return [...pw.normalize('NFKC')].length;
}

/** Rule states for what is typed: `checked` are the violations of `pw` (null while unknown). */
export function evaluate(
  policy: PasswordPolicyView,
  pw: string,
  repeat: string,
  checked: readonly PasswordViolation[] | null,
  fromServer: readonly PasswordViolation[] = [],
): RuleState[] {
  const failed = new Set([...(checked ?? []), ...fromServer].map((v) => VIOLATION_TO_RULE[v]));
  // Nothing typed is not judged; otherwise a rule is broken, holds, or is not known yet.
  const state = (id: RuleId): boolean | null => (pw.length === 0 ? null : failed.has(id) ? false : checked !== null ? true : null);
  const rules: RuleState[] = [
    { id: 'min_length', ok: state('min_length'), n: policy.min_length },
    { id: 'max_length', ok: state('max_length'), n: policy.max_length },
  ];
  for (const c of policy.required_classes) rules.push({ id: c, ok: state(c) });
  if (policy.forbids_username) rules.push({ id: 'username', ok: state('username') });
  // Only the server knows the organisation's display name: the rule is never claimed to hold.
  rules.push({ id: 'tenant', ok: state('tenant') === false ? false : null });
  if (policy.forbids_common) rules.push({ id: 'common', ok: state('common') });
  for (const id of DIRECTORY_RULES) if (failed.has(id)) rules.push({ id, ok: false });
  rules.push({ id: 'match', ok: repeat.length > 0 ? pw === repeat : null });
  return rules;
}

/** Whether the form may be submitted: every rule checkable here holds. */
export function canSubmit(rules: RuleState[]): boolean {
  return rules.every((r) => r.ok !== false) && rules.filter((r) => r.id !== 'common' && r.id !== 'tenant').every((r) => r.ok === true);
}
