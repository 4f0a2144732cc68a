// Helpers of the card screen: PIN rules, hex input, grouping and checksums for values read aloud.

import type { PinRules, Reader } from '../platform';

export type PinRuleState = { id: 'pin_length' | 'pin_digits' | 'match'; ok: boolean | null };

export function pinRules(rules: PinRules, pin: string, repeat: string): PinRuleState[] {
  const typed = pin.length > 0;
  const states: PinRuleState[] = [{ id: 'pin_length', ok: typed ? pin.length >= rules.min_length && pin.length <= rules.max_length : null }];
  if (rules.digits_only) states.push({ id: 'pin_digits', ok: typed ? /^[0-9]+$/.test(pin) : null });
  states.push({ id: 'match', ok: repeat.length > 0 ? pin === repeat : null });
  return states;
}

export function pinOk(states: PinRuleState[]): boolean {
  return states.every((s) => s.ok === true);
}

/** Hex as typed (spaces, dashes and colons allowed), upper case, or null when not hex bytes. */
export function cleanHex(input: string): string | null {
  const v = input.replace(/[\s:-]/g, '').toUpperCase();
  return v.length > 0 && v.length % 2 === 0 && /^[0-9A-F]+$/.test(v) ? v : null;
}

/** `69C4 E0D8 6A7B …`: groups of four for reading aloud and typing. */
export function group(hex: string, size = 4): string {
  return (hex.match(new RegExp(`.{1,${size}}`, 'g')) ?? []).join(' ');
}

/** The first two bytes of SHA-256 of the bytes, as four hex digits (as the server computes it). */
export async function checksum(hex: string): Promise<string> {
  const bytes = new Uint8Array((hex.match(/.{2}/g) ?? []).map((b) => parseInt(b, 16)));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.slice(0, 2), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/**
 * The reader to show after the readers changed from `before` to `now`: the selected one while it
 * holds a card; else the one a card was just put in (or swapped), else any with a card, else the
 * selected one if still there, else the first.
 */
export function toRead(before: Reader[], now: Reader[], selected: string): string {
  const sel = now.find((r) => r.name === selected);
  if (sel?.card_present) return selected;
  const was = new Map(before.map((r) => [r.name, r.events]));
  const inserted = now.find((r) => r.card_present && was.get(r.name) !== r.events);
  return inserted?.name ?? now.find((r) => r.card_present)?.name ?? sel?.name ?? now[0]?.name ?? '';
}
