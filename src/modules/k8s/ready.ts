import type { KubeClient } from './client.ts';
import { diagnoseWorkload } from './diagnose.ts';
import { guardSecretValues } from './facts.ts';
import { pollUntil } from './poll.ts';
import { readiness } from './readiness.ts';
import { describeRef, refOf, targetOf } from './target.ts';
import type { KubeObject } from './types.ts';

/**
 * Waits, within one overall timeout, until every object of a kind with a notion of
 * readiness (rollouts, Jobs, CRDs, Pods) is ready; returns the objects as last read.
 */
export async function waitUntilReady(client: KubeClient, objects: readonly KubeObject[], timeoutMs: number, signal?: AbortSignal): Promise<KubeObject[]> {
  const clock = client.retryPolicy;
  const deadline = clock.now() + timeoutMs;
  const out: KubeObject[] = [];
  for (const obj of objects) {
    if (!readiness(obj)) {
      out.push(obj);
      continue;
    }
    const ref = refOf(obj);
    const { obj: seen } = await pollUntil({
      read: async () => guardSecretValues(await client.get(ref, signal)),
      check: (o) => (o ? readiness(o)! : { state: 'waiting', message: 'absent' }),
      diagnose: (o) => diagnoseWorkload(client, o, signal),
      target: targetOf(ref),
      what: `${describeRef(ref)} to be ready`,
      timeoutMs: Math.max(0, deadline - clock.now()),
      clock,
      ...(signal ? { signal } : {}),
    });
    out.push(seen ?? obj);
  }
  return out;
}
