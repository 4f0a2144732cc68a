// Seconds left until a moment, and how to show them.

export function secondsLeft(untilUnix: number | null | undefined, nowMs: number): number {
  if (untilUnix == null) return 0;
  return Math.max(0, Math.ceil(untilUnix - nowMs / 1000));
}

/** `0:45`, `2:05`, `1:00:00`. */
export function formatSeconds(s: number): string {
  const total = Math.max(0, Math.floor(s));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
