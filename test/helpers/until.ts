/**
 * Waits for a condition with bounded polling instead of a sleep: `probe` is asked every
 * `intervalMs` until it gives something other than undefined, which is returned; after
 * `timeoutMs` the wait fails with `what`. The deadline is on the monotonic clock: a wall clock
 * stepped by NTP mid-wait (seen on a fresh CI machine) neither ends nor stretches it.
 */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition not met in time',
  intervalMs = 10,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(what);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `until` for a probe that says false, as well as undefined, for "not yet". */
export function untilNotFalse<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition not met in time',
  intervalMs = 10,
): Promise<T> {
  return until(
    async () => {
      const value = await probe();
      return value === false ? undefined : value;
    },
    timeoutMs,
    what,
    intervalMs,
  );
}

/**
 * `until` for a probe that may throw while what it asks is away (a daemon between its lives, its API
 * refusing connections): a throw counts as "not yet", as undefined does.
 */
export function untilAnswered<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition not met in time',
  intervalMs = 10,
): Promise<T> {
  return until(() => probe().catch(() => undefined), timeoutMs, what, intervalMs);
}
