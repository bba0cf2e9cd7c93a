/** Capped exponential backoff with jitter, so a desk full of devices does not reconnect in lockstep. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0.2 = up to ±20 % of the delay, drawn at random. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 250,
  maxMs: 5000,
  factor: 2,
  jitter: 0.2,
});

/** The delay before retry number `attempt` (0 = first retry). `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const spread = base * policy.jitter;
  const delay = base - spread + random() * 2 * spread;
  return Math.max(0, Math.round(Math.min(delay, policy.maxMs * (1 + policy.jitter))));
}
