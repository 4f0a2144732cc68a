// Focus for content that replaces a form in place (a result, a code shown once): it takes the
// focus and is read out, so a keyboard or screen-reader user is not left on a button that is gone.

import { ui } from './app.svelte';

/** Svelte action: the element takes the focus when it appears and its text is announced. */
export function takeFocus(node: HTMLElement) {
  if (!node.hasAttribute('tabindex')) node.setAttribute('tabindex', '-1');
  node.focus();
  ui.announce = node.textContent?.trim() ?? '';
}

