// One request at a time from one form.
/**
 * Runs `f` unless its last run is still going: a double click or a second Enter sends one
 * request, not two (two would cost two tries when the answer is wrong).
 */
export function exclusive<A extends unknown[]>(f: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  let running = false;
  return async (...args: A) => {
    if (running) return;
    running = true;
    try {
      await f(...args);
    } finally {
      running = false;
    }
  };
}
