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

/** Refusals that say the code itself is wrong: sent again unchanged, it would only cost a try. */
export function isWrongCode(e: { code: string } | null | undefined): boolean {
  return e != null && ['code_invalid', 'totp_invalid', 'enrolment_code_invalid'].includes(e.code);
}

export type CodeSender = {
  /** A code as typed: sent by itself once it is complete (`length` digits), once. */
  typed(code: string, length: number, scope?: string): void;
  /** Enter or the button: sends the code unless it is on its way or was just refused as wrong. */
  submit(code: string, scope?: string): void;
};

/**
 * Sends the codes of one field. Nothing goes twice at once; a complete code goes by itself, once;
 * a code the server refused as wrong (`wasWrong()` after the answer) is not sent again unchanged,
 * while one refused for any other reason (the server busy, a failure on its side) can be sent
 * again with Enter. `scope` names what is being proven (another contact's code may have the same
 * digits).
 */
export function createCodeSender(send: (code: string) => Promise<unknown>, wasWrong: () => boolean): CodeSender {
  let inFlight = false;
  /** The last code sent by itself, and one completed while another was on its way. */
  let sentAlone: string | null = null;
  let queued: { k: string; code: string } | null = null;
  /** Every code refused as wrong, per scope. */
  const wrong = new Set<string>();
  const key = (code: string, scope = '') => `${scope}\u0000${code}`;
  async function go(k: string, code: string) {
    inFlight = true;
    try {
      await send(code);
      if (wasWrong()) wrong.add(k);
    } finally {
      inFlight = false;
    }
    // A code completed meanwhile goes now, unless it is the one just refused.
    const next = queued;
    queued = null;
    if (next && !wrong.has(next.k) && next.k !== k) {
      sentAlone = next.k;
      await go(next.k, next.code);
    }
  }
  return {
    typed(code, length, scope) {
      const k = key(code, scope);
      if (!readyToSend(code, length, null) || k === sentAlone || wrong.has(k)) return;
      if (inFlight) {
        queued = { k, code };
        return;
      }
      sentAlone = k;
      void go(k, code);
    },
    submit(code, scope) {
      const k = key(code, scope);
      if (code && !inFlight && !wrong.has(k)) void go(k, code);
    },
  };
}
