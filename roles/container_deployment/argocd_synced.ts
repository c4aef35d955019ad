import { defineTask, type Input, noChange, noChangeUnknownResult, resolve, type Task, TaskError, UnknownUntilApplied } from 'helix';
import * as k8s from 'helix/modules/k8s';
import { DEFAULT_WAIT_MS, type Observation, pollUntil } from 'helix/modules/k8s';

/** The parts of an Argo CD Application's status the wait reads. */
interface AppStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string; message?: string };
  operationState?: { phase?: string; message?: string; syncResult?: { revision?: string } };
  conditions?: { type?: string; message?: string }[];
}

const short = (rev: string | undefined) => (rev ? rev.slice(0, 12) : 'none');

/**
 * What an Application says about `revision` (the commit helix pushed): ready only when Argo CD
 * compared the live objects with that very commit (`status.sync.revision`), found them
 * `Synced`, and reports them `Healthy`, with no sync of it still running. A `Synced` and
 * `Healthy` status of the commit before is only what was true before the push: still waiting.
 * A sync of the commit that failed ends the wait.
 */
export function argocdAppObservation(app: k8s.KubeObject | undefined, revision: string): Observation {
  if (!app) return { state: 'waiting', message: 'absent' };
  const s = (app.status ?? {}) as AppStatus;
  const op = s.operationState;
  const errors = (s.conditions ?? []).filter((c) => c.type?.endsWith('Error')).map((c) => `${c.type}: ${c.message ?? ''}`.trim());
  const problems = errors.length ? `; ${errors.join('; ')}` : '';
  if (op?.syncResult?.revision === revision && (op.phase === 'Failed' || op.phase === 'Error')) {
    return { state: 'failed', message: `the sync of ${short(revision)} ${op.phase === 'Failed' ? 'failed' : 'errored'}: ${op.message ?? ''}${problems}` };
  }
  if (s.sync?.revision !== revision) {
    return {
      state: 'waiting',
      message: `Argo CD last compared ${short(s.sync?.revision)} (${s.sync?.status ?? 'no sync status'}), not yet the pushed ${short(revision)}${problems}`,
    };
  }
  if (s.sync.status !== 'Synced') return { state: 'waiting', message: `${short(revision)} is ${s.sync.status ?? 'not compared'}${problems}` };
  if (op?.phase === 'Running' || op?.phase === 'Terminating') return { state: 'waiting', message: `a sync is ${op.phase.toLowerCase()}${problems}` };
  const health = s.health?.status;
  if (health !== 'Healthy') {
    return {
      state: 'waiting',
      message: `${short(revision)} is Synced, health ${health ?? 'unknown'}${s.health?.message ? ` (${s.health.message})` : ''}${problems}`,
    };
  }
  return { state: 'ready', message: `Synced to ${short(revision)} and Healthy` };
}

/**
 * Waits until Argo CD reports the Application Synced and Healthy for `revision`, the commit
 * an earlier task pushed (original: none; the old wait on the Deployment's rollout could pass
 * on the previous revision's pods). It plans no change. In a check run the pushed commit is
 * not known yet (the push is not applied), so it says what a real run would wait for.
 *
 * @param o.namespace Argo CD's namespace (where the Application is).
 * @param o.app The Application's name.
 * @param o.revision The commit to wait for: usually `(ctx) => ctx.result(push).commit`.
 * @param o.timeoutMs @default 300000
 */
export function argocdSynced(
  name: string,
  o: { namespace: string; app: string; revision: Input<string | undefined>; timeoutMs?: number },
): Task<k8s.KubeObject | undefined> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_WAIT_MS;
  const ref = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: o.namespace, name: o.app };
  const target = k8s.targetOf(ref);
  return defineTask<k8s.KubeObject | undefined>({
    kind: 'argocd.synced',
    name,
    options: {},
    validate: (report) => {
      if (!(timeoutMs > 0)) report('timeoutMs must be positive');
    },
    plan: async (ctx) => {
      let revision: string | undefined;
      try {
        revision = resolve(o.revision, ctx);
      } catch (error) {
        if (error instanceof UnknownUntilApplied) {
          return noChangeUnknownResult(`Application ${o.namespace}/${o.app}: a real run waits until Argo CD reports the pushed commit Synced and Healthy`);
        }
        throw error;
      }
      if (!revision) throw new TaskError(ctx.path, 'no revision to wait for: the deployment branch has no commit');
      const client = k8s.k8sClient(ctx);
      const first = await client.get(ref, ctx.signal);
      if (!first && ctx.plannedCreate(target)) {
        return noChangeUnknownResult(
          `Application ${o.namespace}/${o.app} is created earlier in this run; a real run waits for ${short(revision)} Synced and Healthy`,
        );
      }
      let initial = first;
      const { obj, seen } = await pollUntil({
        read: async () => {
          if (initial) {
            const r = initial;
            initial = undefined;
            return r;
          }
          return client.get(ref, ctx.signal);
        },
        check: (app) => argocdAppObservation(app, revision),
        target,
        what: `Argo CD to sync Application ${o.namespace}/${o.app} to ${short(revision)}`,
        timeoutMs,
        clock: client.retryPolicy,
        signal: ctx.signal,
      });
      return noChange(`Application ${o.namespace}/${o.app}: ${seen.message}`, obj);
    },
  });
}
