import { KubeApiError, networkCode } from './api-error.ts';

/** How long and how often a request is retried when the API server is busy or restarting. */
export interface RetryPolicy {
  /** Give up retrying once this much time has passed since the first attempt. @default 90000 */
  deadlineMs: number;
  /** First delay; doubled each attempt, with ±50% jitter. @default 250 */
  baseDelayMs: number;
  /** @default 5000 */
  maxDelayMs: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  deadlineMs: 90_000,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    }),
};

/**
 * Whether an error is worth retrying: the server unreachable (restarting), 429, 5xx, and a
 * 409 that is an optimistic-concurrency conflict (not a field manager conflict, which only
 * `force` or a change of manifest resolves).
 */
export function isRetryable(error: unknown): boolean {
  if (networkCode(error)) return true;
  if (!(error instanceof KubeApiError) || error.invalid) return false;
  if (error.status === 429 || error.status === 500 || error.status === 502 || error.status === 503 || error.status === 504) return true;
  return error.status === 409 && error.fieldConflicts.length === 0 && error.reason === 'Conflict';
}

/** Runs `attempt` until it succeeds, fails for good, or the deadline passes. */
export async function withRetry<T>(policy: RetryPolicy, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const start = policy.now();
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || signal?.aborted) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      const hinted = error instanceof KubeApiError ? error.retryAfter : undefined;
      const delay = Math.round(hinted !== undefined ? hinted * 1000 : backoff * (0.5 + Math.random()));
      if (policy.now() - start + delay > policy.deadlineMs) throw error;
      await policy.sleep(delay, signal);
    }
  }
}
