// App-wide reactive state: the language, and drafts of what the user typed so that going back a
// step, a refused request or a lost connection never loses it.

import type { ErrorCode } from '../api/types';
import { LANGS, pickLang, translate, translateError, type Key, type Lang } from '../i18n';

const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('ea.lang') : null;

export const ui = $state({
  /** The newest screen's heading, read out by the live region. */
  announce: '',
  /** Seconds the server's clock is ahead of this computer's: time left is counted on the
   * server's clock, so a wrong clock here neither ends a session early nor hides its end. */
  serverAhead: 0,
  /** A value shown only once (an emergency code, a card response) is on screen: a session that
   * ends meanwhile does not take it away; the screen says the session is over instead. */
  holdScreen: false,
  lang: (stored && (LANGS as readonly string[]).includes(stored) ? stored : pickLang(typeof navigator !== 'undefined' ? navigator.languages : [])) as Lang,
});

/**
 * Keeps `ui.holdScreen` up while `shown()` holds (a value shown once is being fetched or is on
 * screen), and lets it down when the component goes. Called while a component is set up.
 */
export function holdScreenWhile(shown: () => boolean) {
  $effect(() => {
    ui.holdScreen = shown();
    return () => (ui.holdScreen = false);
  });
}

export function setLang(lang: Lang) {
  ui.lang = lang;
  if (typeof localStorage !== 'undefined') localStorage.setItem('ea.lang', lang);
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

export function t(key: Key, params?: Record<string, unknown>): string {
  return translate(ui.lang, key, params);
}

export function te(e: ErrorCode): string {
  return translateError(ui.lang, e);
}

/** Typed-but-not-yet-accepted values, per screen and field. Secrets are never kept here. */
export const drafts: Record<string, string> = $state({});

export function draft(key: string): string {
  return drafts[key] ?? '';
}

export function clearDrafts(prefix = '') {
  for (const k of Object.keys(drafts)) if (k.startsWith(prefix)) delete drafts[k];
}
