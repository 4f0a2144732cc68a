import { describe, expect, it } from 'vitest';
import { createCodeSender, isWrongCode, readyToSend, typedCode } from '../src/lib/code';
import { formatSeconds, secondsLeft, serverAhead } from '../src/lib/countdown';
import { localToUnix, read, type EmergencyForm } from '../src/lib/emergencyForm';
import { limitViolations, passwordViolations } from '../src/platform/fakeRules';
import { canSubmit, charCount, evaluate } from '../src/lib/passwordRules';
import { catalogs, format, LANGS, pickLang, translateError } from '../src/i18n';
import type { PasswordPolicyView, PasswordViolation } from '../src/api/types';
import { toCommandError } from '../src/platform';
import { exclusive } from '../src/lib/exclusive';

describe('countdown', () => {
  it('counts down whole seconds and formats them', () => {
    expect(secondsLeft(100, 99_000)).toBe(1);
    expect(secondsLeft(100, 99_001)).toBe(1);
    expect(secondsLeft(100, 100_000)).toBe(0);
    expect(secondsLeft(null, 0)).toBe(0);
    expect(formatSeconds(45)).toBe('0:45');
    expect(formatSeconds(125)).toBe('2:05');
    expect(formatSeconds(3600)).toBe('1:00:00');
  });

  it('counts on the server\'s clock when this computer\'s is wrong', () => {
    // This computer is two hours ahead: the server says 1000 when it reads 8200.
    const ahead = serverAhead(1000, 8_200_000);
    expect(ahead).toBe(-7200);
    expect(secondsLeft(1100, 8_200_000, ahead)).toBe(100);
    expect(secondsLeft(1100, 8_200_000)).toBe(0);
  });
});

describe('password rules', () => {
  const policy: PasswordPolicyView = { min_length: 12, max_length: 128, required_classes: ['digit'], forbids_username: true, forbids_common: true };
  // The shell evaluates the rules with ea-core (tested in Rust); the simulated host stands in here.
  const checked = (pw: string) => passwordViolations(policy, pw, 'alice', 'demo');
  const state = (pw: string, repeat = pw, violations: PasswordViolation[] = []) =>
    Object.fromEntries(evaluate(policy, pw, repeat, checked(pw), violations).map((r) => [r.id, r.ok]));

  it('evaluates as the user types', () => {
    expect(state('')).toMatchObject({ min_length: null, digit: null, username: null, match: null });
    expect(state('short1')).toMatchObject({ min_length: false, digit: true, username: true, match: true });
    expect(state('alice-is-long-1')).toMatchObject({ min_length: true, username: false });
    expect(state('long enough pass 7', 'different')).toMatchObject({ match: false });
  });

  it('counts characters after NFKC, not bytes', () => {
    expect(charCount('ｂｌｕｅ')).toBe(4);
    expect(charCount('e\u0301')).toBe(1);
  });

  it('marks rules the server refused and blocks submission until they hold', () => {
    const rules = evaluate(policy, 'Password12345', 'Password12345', checked('Password12345'), ['common']);
    expect(rules.find((r) => r.id === 'common')?.ok).toBe(false);
    expect(canSubmit(rules)).toBe(false);
    expect(canSubmit(evaluate(policy, 'violet staple 7 orbit', 'violet staple 7 orbit', checked('violet staple 7 orbit')))).toBe(true);
    // Until the shell answered, nothing is claimed either way, and the form waits.
    const unknown = evaluate(policy, 'violet staple 7 orbit', 'violet staple 7 orbit', null);
    expect(unknown.find((r) => r.id === 'min_length')?.ok).toBe(null);
    expect(canSubmit(unknown)).toBe(false);
  });

  it('shows the directory’s own refusals only once it gave them, and blocks that password', () => {
    const pw = 'violet staple 7 orbit';
    const plain = evaluate(policy, pw, pw, checked(pw));
    expect(plain.map((r) => r.id)).not.toContain('history');
    const refused = evaluate(policy, pw, pw, checked(pw), ['in_history', 'directory_too_short']);
    expect(refused.find((r) => r.id === 'history')?.ok).toBe(false);
    expect(refused.find((r) => r.id === 'directory_length')?.ok).toBe(false);
    // The tenant's own length rule still holds: the directory's is another one.
    expect(refused.find((r) => r.id === 'min_length')?.ok).toBe(true);
    expect(canSubmit(refused)).toBe(false);
  });
});

describe('emergency code form', () => {
  const limits = { length: 10, max_uses: 10, max_validity_seconds: 30 * 86400 };
  const now = Math.floor(new Date('2030-01-01T12:00').getTime() / 1000);

  // What the form reads, then the limits as the shell checks them (the simulated host here).
  const check = (form: EmergencyForm, l: typeof limits, nowUnix: number) => {
    const r = read(form);
    return { problems: r.request ? limitViolations(l, r.request, nowUnix) : r.problems, request: r.request };
  };

  it('needs uses or an end date, within the limits', () => {
    expect(check({ uses: '', from: '', to: '' }, limits, now).problems).toEqual(['unlimited']);
    expect(check({ uses: '11', from: '', to: '' }, limits, now).problems).toEqual(['uses_out_of_range']);
    expect(check({ uses: '2.5', from: '', to: '' }, limits, now).problems).toEqual(['uses_out_of_range']);
    expect(check({ uses: '', from: '2030-01-02T12:00', to: '2030-01-02T11:00' }, limits, now).problems).toEqual(['ends_before_start']);
    expect(check({ uses: '', from: '2029-12-01T12:00', to: '2030-01-02T11:00' }, limits, now).problems).toContain('starts_in_the_past');
    expect(check({ uses: '', from: '', to: '2030-03-01T12:00' }, limits, now).problems).toEqual(['window_too_long']);
  });

  it('builds the request', () => {
    expect(check({ uses: '3', from: '', to: '' }, limits, now).request).toEqual({ max_uses: 3, valid_from: null, valid_to: null });
    const r = check({ uses: '', from: '', to: '2030-01-05T12:00' }, limits, now).request;
    expect(r?.valid_to).toBe(localToUnix('2030-01-05T12:00'));
  });
});

describe('i18n', () => {
  it('has the same keys in every language, none empty', () => {
    const keys = Object.keys(catalogs.en).sort();
    for (const l of LANGS) {
      expect(Object.keys(catalogs[l]).sort()).toEqual(keys);
      for (const k of keys) expect(catalogs[l][k as keyof typeof catalogs.en].trim()).not.toBe('');
    }
  });

  it('keeps every placeholder of the English text', () => {
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const [k, en] of Object.entries(catalogs.en)) {
      for (const l of LANGS) expect(placeholders(catalogs[l][k as keyof typeof catalogs.en]), `${l} ${k}`).toEqual(placeholders(en));
    }
  });

  it('translates error codes with parameters, and unknown codes as internal', () => {
    expect(translateError('en', { code: 'code_invalid', params: { attempts_left: 2 } })).toBe('The code is wrong. Tries left for this code: 2.');
    expect(translateError('de', { code: 'code_invalid', params: { attempts_left: 1 } })).toContain('1');
    const unknown = toCommandError({ code: 'no_such_code', params: {} });
    expect(unknown).toEqual({ code: 'internal', params: {} });
    expect(translateError('fr', unknown)).toBe(catalogs.fr['errors.internal']);
    expect(toCommandError(new Error('boom')).code).toBe('internal');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(pickLang(['de-CH', 'en'])).toBe('de');
    expect(pickLang(['es'])).toBe('en');
  });
});

import { checksum, cleanHex, group, pinOk, pinRules, toRead } from '../src/lib/card';

describe('card helpers', () => {
  const rules = { min_length: 6, max_length: 8, digits_only: true };
  it('checks PINs as typed', () => {
    const ok = (pin: string, repeat = pin) => Object.fromEntries(pinRules(rules, pin, repeat).map((r) => [r.id, r.ok]));
    expect(ok('')).toEqual({ pin_length: null, pin_digits: null, match: null });
    expect(ok('12345')).toMatchObject({ pin_length: false, pin_digits: true });
    expect(ok('12a456')).toMatchObject({ pin_length: true, pin_digits: false });
    expect(ok('123456', '123457')).toMatchObject({ match: false });
    expect(pinOk(pinRules(rules, '123456', '123456'))).toBe(true);
    expect(pinOk(pinRules(rules, '123456789', '123456789'))).toBe(false);
  });

  it('reads hex as people type it', () => {
    expect(cleanHex('ea5e c0de-0000:0001')).toBe('EA5EC0DE00000001');
    expect(cleanHex('abc')).toBeNull();
    expect(cleanHex('zz')).toBeNull();
    expect(cleanHex('')).toBeNull();
    expect(group('69C4E0D86A7B')).toBe('69C4 E0D8 6A7B');
  });

  it('computes the same checksum as the server (first two bytes of SHA-256)', async () => {
    // crates/core: checksum(b"abc") == "BA78".
    expect(await checksum('616263')).toBe('BA78');
  });

  it('follows the card to the reader it was put in', () => {
    const r = (name: string, card_present: boolean, events: number) => ({ name, card_present, events });
    const empty = [r('A', false, 0), r('B', false, 0)];
    // Nothing in any reader: the selected one stays, or the first.
    expect(toRead([], empty, 'B')).toBe('B');
    expect(toRead([], empty, '')).toBe('A');
    // A card put in B while A is selected and empty: B.
    expect(toRead(empty, [r('A', false, 0), r('B', true, 1)], 'A')).toBe('B');
    // The selected reader keeps its card: no jump to another reader's new card.
    expect(toRead([r('A', true, 1), r('B', false, 0)], [r('A', true, 1), r('B', true, 1)], 'A')).toBe('A');
    // A card swapped between two looks counts as put in.
    expect(toRead([r('A', false, 2), r('B', true, 1)], [r('A', true, 2), r('B', true, 3)], 'A')).toBe('A');
    expect(toRead([r('A', true, 2), r('B', true, 1)], [r('A', false, 3), r('B', true, 3)], 'A')).toBe('B');
    // The selected reader unplugged: the first one left.
    expect(toRead(empty, [r('C', false, 0)], 'A')).toBe('C');
    expect(toRead(empty, [], 'A')).toBe('');
  });
});

describe('typed codes', () => {
  it('drops the separators a code was pasted with', () => {
    expect(typedCode(' 123 456 ')).toBe('123456');
    expect(typedCode('12-34-56')).toBe('123456');
    expect(typedCode('1234.5678')).toBe('12345678');
  });
  it('sends a complete code of digits once by itself', () => {
    expect(readyToSend('123456', 6, null)).toBe(true);
    expect(readyToSend('12345', 6, null)).toBe(false);
    expect(readyToSend('12345a', 6, null)).toBe(false);
    expect(readyToSend('123456', 6, '123456')).toBe(false);
    expect(readyToSend('1234567', 6, null)).toBe(false);
  });
});

describe('code sender', () => {
  /** A server that answers each code after a tick with the refusal `answers` holds for it. */
  function server(answers: Record<string, string | null>) {
    const sent: string[] = [];
    let last: { code: string } | null = null;
    const sender = createCodeSender(
      async (c) => {
        sent.push(c);
        await new Promise((r) => setTimeout(r, 5));
        last = answers[c] ? { code: answers[c] as string } : null;
      },
      () => isWrongCode(last),
    );
    return { sent, sender };
  }
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('sends a complete code by itself once, and never twice at once', async () => {
    const { sent, sender } = server({ '123456': null });
    sender.typed('12345', 6);
    sender.typed('123456', 6);
    sender.submit('123456'); // Enter while it is on its way
    sender.typed('123456', 6);
    await settle();
    expect(sent).toEqual(['123456']);
  });

  it('does not send a wrong code again unchanged, but does after a passing refusal', async () => {
    const { sent, sender } = server({ '111111': 'code_invalid', '222222': 'busy' });
    sender.typed('111111', 6);
    await settle();
    sender.submit('111111');
    await settle();
    expect(sent).toEqual(['111111']);
    sender.typed('222222', 6);
    await settle();
    sender.submit('222222'); // the server was busy: Enter sends it again
    await settle();
    expect(sent).toEqual(['111111', '222222', '222222']);
    // Another contact's code with the same digits is its own.
    sender.typed('111111', 6, 'other');
    await settle();
    expect(sent[sent.length - 1]).toBe('111111');
    expect(sent.length).toBe(4);
  });

  it('remembers every code refused as wrong, and sends a code corrected while one was on its way', async () => {
    const { sent, sender } = server({ '111111': 'code_invalid', '333333': 'code_invalid', '444444': null });
    sender.typed('111111', 6);
    sender.typed('333333', 6); // corrected while the first is on its way: sent after it
    await settle();
    await settle();
    expect(sent).toEqual(['111111', '333333']);
    sender.submit('111111'); // refused before: not again
    sender.typed('111111', 6);
    await settle();
    expect(sent).toEqual(['111111', '333333']);
    sender.typed('444444', 6);
    await settle();
    expect(sent).toEqual(['111111', '333333', '444444']);
  });
});

describe('one request at a time', () => {
  it('drops calls while the last one runs, and runs again once it has ended', async () => {
    let runs = 0;
    let release = () => {};
    const f = exclusive(async () => {
      runs++;
      await new Promise<void>((r) => (release = r));
    });
    const first = f();
    void f();
    void f();
    expect(runs).toBe(1);
    release();
    await first;
    const again = f();
    expect(runs).toBe(2);
    release();
    await again;
  });
});
