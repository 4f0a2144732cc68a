// Typing and pasting one-time codes: spaces, dashes and dots a code was pasted with are dropped,
// and a complete code of digits is sent without a click.

/** The code as the server wants it: what was typed or pasted without separators. */
export function typedCode(raw: string): string {
  return raw.replace(/[\s\-.\u00a0]/g, '');
}

/** Whether `code` is complete (`length` digits) and not the one already sent by itself. */
export function readyToSend(code: string, length: number, lastSent: string | null): boolean {
  return length > 0 && code.length === length && /^[0-9]+$/.test(code) && code !== lastSent;
}
