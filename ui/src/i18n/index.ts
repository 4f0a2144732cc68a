// Typed message catalogs and formatting. `Messages` is derived from the English catalog, so a
// language missing a key (or carrying an unknown one) fails `npm run check`.

import type { ErrorCode } from '../api/types';
import { de } from './de';
import { en, type Key, type Messages } from './en';
import { fr } from './fr';
import { it } from './it';

export type { Key, Messages };
export type Lang = 'en' | 'de' | 'fr' | 'it';
export const LANGS: readonly Lang[] = ['en', 'de', 'fr', 'it'];
export const LANG_NAMES: Record<Lang, string> = { en: 'English', de: 'Deutsch', fr: 'Français', it: 'Italiano' };
export const catalogs: Record<Lang, Messages> = { en, de, fr, it };

/** Replaces `{name}` with `params.name`. */
export function format(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translate(lang: Lang, key: Key, params?: Record<string, unknown>): string {
  return format(catalogs[lang][key], params);
}

export function isKey(k: string): k is Key {
  return k in en;
}

/** The catalog key of each error code. Every code the product can give (the `ErrorCode` enum of
 * crates/api) must have one: a missing message fails the type check here. */
type ErrorKey = `errors.${ErrorCode['code']}`;
const everyErrorTranslated: Record<ErrorKey, string> = en;
void everyErrorTranslated;

/** Whether a code arriving from outside is one this build knows. */
export function isErrorCode(code: string): code is ErrorCode['code'] {
  return isKey(`errors.${code}`);
}

/** The message for an error, with its parameters. */
export function translateError(lang: Lang, e: ErrorCode): string {
  const key: ErrorKey = `errors.${e.code}`;
  return translate(lang, key, e.params);
}

/** The best catalog for the browser's languages. */
export function pickLang(preferred: readonly string[]): Lang {
  for (const p of preferred) {
    const base = p.toLowerCase().split('-')[0];
    if (LANGS.includes(base as Lang)) return base as Lang;
  }
  return 'en';
}
