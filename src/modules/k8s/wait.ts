import { defineTask, noChange, noChangeUnknownResult, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { VERBS } from './access.ts';
import { k8sClient } from './context.ts';
import { diagnoseWorkload } from './diagnose.ts';
import { guardSecretValues } from './facts.ts';
import { DEFAULT_WAIT_MS, pollUntil } from './poll.ts';
import { conditionObservation, type Observation, readiness, readPath } from './readiness.ts';
import { checkScope, type RefOptions, refFrom, refProblems } from './ref.ts';
import { describeRef, targetOf } from './target.ts';
import type { KubeObject } from './types.ts';

/**
 * What to wait for:
 * - `'rollout'`: a Deployment, StatefulSet or DaemonSet rolled out (the controller saw the
 *   latest spec; every replica updated and available);
 * - `'complete'`: a Job completed (a failed Job stops the wait);
 * - `'ready'`: whatever readiness the kind has (the above, CRD established, Pod ready);
 * - `'exists'`: the object exists;
 * - `{ condition, status }`: a `status.conditions` entry (status `True` unless given);
 * - `{ jsonPath, equals }`: a field (`.status.phase`) equals a value (or is set, without `equals`);
 * - `{ test, description }`: any predicate on the object.
 */
export type WaitFor =
  | 'rollout'
  | 'complete'
  | 'ready'
  | 'exists'
  | { condition: string; status?: 'True' | 'False' | 'Unknown' }
  | { jsonPath: string; equals?: unknown }
  | { test: (obj: KubeObject) => boolean; description: string };

export type WaitOptions = RefOptions &
  TaskOptions<KubeObject | undefined> & {
    for: WaitFor;
    /** Every wait has a timeout; on timeout the task fails with what it last saw. @default 300000 */
    timeoutMs?: number;
  };

const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function describeFor(f: WaitFor): string {
  if (typeof f === 'string') return { rollout: 'roll out', complete: 'complete', ready: 'be ready', exists: 'exist' }[f];
  if ('condition' in f) return `have condition ${f.condition}=${f.status ?? 'True'}`;
  if ('jsonPath' in f) return f.equals === undefined ? `have ${f.jsonPath} set` : `have ${f.jsonPath} = ${JSON.stringify(f.equals)}`;
  return f.description;
}

/** The observation a wait makes of what it read. */
export function observe(f: WaitFor, obj: KubeObject | undefined): Observation {
  if (!obj) return { state: 'waiting', message: 'absent' };
  if (f === 'exists') return { state: 'ready', message: 'exists' };
  if (typeof f === 'string') return readiness(obj) ?? { state: 'ready', message: 'exists' };
  if ('condition' in f) return conditionObservation(obj, f.condition, f.status);
  if ('jsonPath' in f) {
    const v = readPath(obj, f.jsonPath);
    const ok = f.equals === undefined ? v !== undefined && v !== null && v !== '' : JSON.stringify(v) === JSON.stringify(f.equals);
    return { state: ok ? 'ready' : 'waiting', message: `${f.jsonPath} is ${v === undefined ? 'unset' : JSON.stringify(v)}` };
  }
  return f.test(obj) ? { state: 'ready', message: f.description } : { state: 'waiting', message: `not yet: ${f.description}` };
}

/**
 * Waits until an object reaches a state, then reports it ("Deployment devpi/redis is ready:
 * 2 of 2 replicas updated and available"). It plans no change: it reads, and waits while
 * reading. The result is the object as last read. In a check run, an object an earlier task
 * plans to create is not waited for (its result is unknown until applied).
 */
export function wait(name: string, options: WaitOptions): Task<KubeObject | undefined> {
  const [own, common] = splitOptions(options);
  const timeoutMs = own.timeoutMs ?? DEFAULT_WAIT_MS;
  return defineTask<KubeObject | undefined>({
    kind: 'k8s.wait',
    name,
    options: common,
    kubeAccess: () => [{ ...refFrom(own), verbs: VERBS.read }],
    validate: (report) => {
      refProblems(own).forEach(report);
      if (!(timeoutMs > 0)) report('timeoutMs must be positive');
      const f = own.for as WaitFor | undefined;
      if (f === undefined) return report('for is required');
      if (f === 'rollout' && !ROLLOUT_KINDS.has(own.kind)) report(`for: 'rollout' applies to Deployment, StatefulSet and DaemonSet, not ${own.kind}`);
      if (f === 'complete' && own.kind !== 'Job') report(`for: 'complete' applies to Job, not ${own.kind}`);
      if (typeof f === 'string' && !['rollout', 'complete', 'ready', 'exists'].includes(f)) report(`for: unknown wait "${f}"`);
      if (typeof f === 'object' && 'condition' in f && !f.condition) report('for.condition must name a condition type');
      if (typeof f === 'object' && 'jsonPath' in f && !f.jsonPath) report('for.jsonPath must name a field');
    },
    plan: async (ctx) => {
      const client = k8sClient(ctx);
      const ref = await checkScope(client, refFrom(own));
      const what = `${describeRef(ref)} to ${describeFor(own.for)}`;
      const first = guardSecretValues(await client.get(ref, ctx.signal));
      if (!first && ctx.plannedCreate(targetOf(ref))) {
        return noChangeUnknownResult(`${describeRef(ref)} is created earlier in this run; a real run waits for it to ${describeFor(own.for)}`);
      }
      let initial: KubeObject | undefined = first;
      const { obj, seen } = await pollUntil({
        read: async () => {
          if (initial) {
            const o = initial;
            initial = undefined;
            return o;
          }
          return guardSecretValues(await client.get(ref, ctx.signal));
        },
        check: (o) => observe(own.for, o),
        // Readiness waits look at the pods: a bad image or a crash loop fails the wait at once.
        ...(typeof own.for === 'string' && own.for !== 'exists' ? { diagnose: (o: KubeObject) => diagnoseWorkload(client, o, ctx.signal) } : {}),
        target: targetOf(ref),
        what,
        timeoutMs,
        clock: client.retryPolicy,
        signal: ctx.signal,
      });
      return noChange(`${describeRef(ref)}: ${seen.message}`, obj);
    },
  });
}
