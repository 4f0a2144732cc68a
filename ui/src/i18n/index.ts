// Typed message catalogs and formatting. `Messages` is derived from the English catalog, so a
// language missing a key (or carrying an unknown one) fails `npm run check`.

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

/** The message for an error code, or the generic one naming the code. */
export function translateError(lang: Lang, code: string, params: Record<string, unknown> = {}): string {
  const key = `errors.${code}`;
  return isKey(key) ? translate(lang, key, params) : translate(lang, 'errors.unknown', { code });
}

/** The best catalog for the browser's languages. */
export function pickLang(preferred: readonly string[]): Lang {
  for (const p of preferred) {
    const base = p.toLowerCase().split('-')[0];
    if (LANGS.includes(base as Lang)) return base as Lang;
  }
  return 'en';
}
