import { hostname, userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubernetes } from '../k8s/helpers.ts';
import { appliedState, dropNamespaces, helix, isTaskEnd, journal, lease, playArgs, recapOf, start, uniqueNs, waitLeaseExpired } from './helpers.ts';

/**
 * Issue 9, resume: the play is killed with SIGKILL right after its k-th task (k = 1 … N; N from
 * HELIX_SAFETY_KILL_POINTS, at most 10, default every boundary between the fixture's 8 tasks),
 * each time in a fresh namespace. The rerun (with a 3 s lease, after it expired) must report the
 * takeover and the resumed run, converge, and leave exactly what an uninterrupted play leaves.
 */
const ENV = 'kill';
const TASKS = 8;
const TTL = { HELIX_LOCK_TTL_SECONDS: '3' };
const POINTS = Math.min(10, TASKS - 1, Number(process.env.HELIX_SAFETY_KILL_POINTS ?? TASKS - 1));
const made: string[] = [];

describe.skipIf(!hasKubernetes())('kill -9 at each task boundary, then play again', () => {
  let reference: Record<string, unknown>;

  beforeAll(async () => {
    const ns = uniqueNs('helix-safety-kill-ref');
    made.push(ns);
    const out = await helix(playArgs(ENV, ns), TTL);
    expect(out.code, out.stderr).toBe(0);
    expect(recapOf(out.events)).toMatchObject({ changed: 7, ok: 1, failed: 0 });
    reference = await appliedState(ns);
    expect(Object.keys(reference).sort()).toEqual([
      'ConfigMap/safety-config',
      'ConfigMap/safety-flags',
      'Deployment/safety-web',
      'Namespace',
      'Secret/safety-api-token',
      'Secret/safety-db',
      'Service/safety-web',
    ]);
  }, 300_000);

  afterAll(() => dropNamespaces(made));

  for (let k = 1; k <= POINTS; k++) {
    it(`killed after task ${k} of ${TASKS}: the rerun takes the lock over, resumes and ends as an uninterrupted play`, async () => {
      const ns = uniqueNs(`helix-safety-kill-${k}`);
      made.push(ns);
      const victim = start(playArgs(ENV, ns), TTL);
      await victim.waitFor((e) => isTaskEnd(e) && victim.events.filter(isTaskEnd).length >= k);
      victim.child.kill('SIGKILL');
      const killed = await victim.done;
      expect(killed.signal).toBe('SIGKILL');
      const finished = killed.events.filter(isTaskEnd).length;
      expect(finished).toBeGreaterThanOrEqual(k);

      // Left behind: the lock (renewed no more) and a record still saying "running".
      const held = await lease(ENV);
      expect(held?.spec?.holderIdentity).toMatch(new RegExp(`-${victim.pid}-`));
      const stopped = (await journal(ENV)).records.at(-1)!;
      expect([stopped.holder.pid, stopped.status]).toEqual([victim.pid, 'running']);

      await waitLeaseExpired(ENV);
      const rerun = await helix(playArgs(ENV, ns), TTL);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.events.find((e) => e.type === 'lock.acquired')).toMatchObject({
        takenOverFrom: expect.stringContaining(`${userInfo().username}@${hostname()} pid ${victim.pid} (since `),
      });
      expect(rerun.events.find((e) => e.type === 'run.resumed')).toMatchObject({ previousRun: stopped.id, changesBeforeStop: stopped.changes.length });
      // What the killed run did is not done again: together they made each change once.
      const recap = recapOf(rerun.events)!;
      expect(recap.failed).toBe(0);
      expect(recap.changed).toBeLessThan(7);
      expect(await appliedState(ns)).toEqual(reference);

      const records = (await journal(ENV)).records;
      expect(records.find((r) => r.id === stopped.id)?.status).toBe('interrupted');
      expect(records.at(-1)?.status).toBe('ok');
      expect(await lease(ENV)).toBeUndefined();
    });
  }

  it('after all that, a play changes nothing', async () => {
    const ns = made.at(-1)!;
    const out = await helix(playArgs(ENV, ns), TTL);
    expect(out.code).toBe(0);
    expect(recapOf(out.events)).toMatchObject({ changed: 0, failed: 0, ok: TASKS });
  });
});
