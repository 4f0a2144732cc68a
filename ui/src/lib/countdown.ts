// Seconds left until a moment, and how to show them.

/**
 * Seconds left until `untilUnix` (a moment on the server's clock), at `nowMs` on this computer's
 * clock, which is `aheadS` seconds behind the server's (see `serverAhead`).
 */
export function secondsLeft(untilUnix: number | null | undefined, nowMs: number, aheadS = 0): number {
  if (untilUnix == null) return 0;
  return Math.max(0, Math.ceil(untilUnix - (nowMs / 1000 + aheadS)));
}

/** How far the server's clock is ahead of this computer's, from a view's `server_time`. */
export function serverAhead(serverTime: number, receivedMs: number): number {
  return serverTime - receivedMs / 1000;
}

/** `0:45`, `2:05`, `1:00:00`. */
export function formatSeconds(s: number): string {
  const total = Math.max(0, Math.floor(s));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
