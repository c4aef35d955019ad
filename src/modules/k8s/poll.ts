import { TargetError } from '../../runtime/errors.ts';
import type { Trouble } from './diagnose.ts';
import type { Observation } from './readiness.ts';
import type { RetryPolicy } from './retry.ts';
import type { KubeObject } from './types.ts';

/** Default time a wait may take. Every wait has a timeout. */
export const DEFAULT_WAIT_MS = 300_000;

export interface PollOptions {
  /** Reads the object (undefined when absent). */
  read: () => Promise<KubeObject | undefined>;
  /** Says whether what was read is what we wait for. */
  check: (obj: KubeObject | undefined) => Observation;
  /** The change target of the object, for errors. */
  target: string;
  /** What is awaited, for errors: `Deployment devpi/redis to roll out`. */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
  clock: Pick<RetryPolicy, 'now' | 'sleep'>;
  /** First pause between reads, growing to 2 s. @default 250 */
  intervalMs?: number;
  /**
   * Looks behind an object that is still waiting (a workload's pods): a fatal trouble ends the
   * wait at once, a detail is added to the timeout's message.
   */
  diagnose?: (obj: KubeObject) => Promise<Trouble>;
}

/**
 * Reads until `check` says ready, fails on a terminal state, and fails at the timeout with
 * what was last seen ("timed out after 120 s waiting for Deployment devpi/redis to roll
 * out; last seen: 1 of 2 updated replicas available").
 */
export async function pollUntil(o: PollOptions): Promise<{ obj: KubeObject | undefined; seen: Observation }> {
  const start = o.clock.now();
  let pause = o.intervalMs ?? 250;
  for (;;) {
    const obj = await o.read();
    const seen = o.check(obj);
    if (seen.state === 'ready') return { obj, seen };
    if (seen.state === 'failed') throw new TargetError(o.target, `gave up waiting for ${o.what}: ${seen.message}`);
    const trouble = obj && o.diagnose ? await o.diagnose(obj) : {};
    if (trouble.fatal) throw new TargetError(o.target, `gave up waiting for ${o.what} (${seen.message}): ${trouble.fatal}`);
    const waited = o.clock.now() - start;
    const last = trouble.detail ? `${seen.message}; ${trouble.detail}` : seen.message;
    if (o.signal?.aborted) throw new TargetError(o.target, `interrupted while waiting for ${o.what}; last seen: ${last}`);
    if (waited >= o.timeoutMs) {
      throw new TargetError(o.target, `timed out after ${formatMs(o.timeoutMs)} waiting for ${o.what}; last seen: ${last}`);
    }
    await o.clock.sleep(Math.min(pause, o.timeoutMs - waited), o.signal);
    pause = Math.min(pause * 2, 2_000);
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
