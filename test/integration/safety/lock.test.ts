import { hostname, userInfo } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { hasKubernetes } from '../k8s/helpers.ts';
import {
  apiserverProcess,
  changedKeys,
  dropNamespaces,
  errorOf,
  helix,
  journal,
  kube,
  lease,
  playArgs,
  recapOf,
  resourceVersions,
  settledResourceVersions,
  raceForLock,
  start,
  SYSTEM_NAMESPACE,
  uniqueNs,
} from './helpers.ts';

/**
 * Issue 9, run lock: two plays of the same component and env started together (real CLI
 * processes), SIGINT in the middle of a play, and `helix history`.
 */
const ENV = 'lock';
const TASKS = 8;
const made: string[] = [];

describe.skipIf(!hasKubernetes())('the run lock through the real CLI', () => {
  afterAll(() => dropNamespaces(made));

  it('two plays started together: one runs, the other fails at once naming the holder; nothing is applied twice', async () => {
    const ns = uniqueNs('helix-safety-lock');
    made.push(ns);
    const before = (await journal(ENV)).records;
    const { winner, won, lost } = await raceForLock(start(playArgs(ENV, ns)), start(playArgs(ENV, ns)));

    expect(won.code).toBe(0);
    expect(lost.code).toBe(1);
    const message = errorOf(lost.events);
    expect(message).toContain(`safety-${ENV} is locked by ${userInfo().username}@${hostname()} pid ${winner.pid} (helix play safety --env ${ENV}`);
    expect(message).toMatch(/wait with --wait-lock <duration>, or `helix unlock` if that run is gone/);
    expect(lost.events.some((e) => e.type === 'task.start' || e.type === 'lock.acquired')).toBe(false);

    // The winner made every change once; the loser recorded nothing.
    expect(changedKeys(won.events)).toHaveLength(7);
    const after = (await journal(ENV)).records;
    const added = after.filter((r) => !before.some((p) => p.id === r.id));
    expect(added.map((r) => [r.holder.pid, r.status, r.changes.length])).toEqual([[winner.pid, 'ok', 7]]);
    const web = await kube().get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'safety-web' });
    expect(web?.metadata.generation).toBe(1);
    expect(await lease(ENV)).toBeUndefined();

    // And nothing is corrupted: the next play finds everything as the winner left it.
    const versions = await settledResourceVersions([ns]);
    const again = await helix(playArgs(ENV, ns));
    expect(again.code).toBe(0);
    expect(recapOf(again.events)).toMatchObject({ changed: 0, failed: 0, ok: TASKS });
    expect(await resourceVersions([ns])).toEqual(versions);
  });

  it('SIGINT stops after the current task, releases the lock, prints what was done and exits 130; the next play converges', async () => {
    const ns = uniqueNs('helix-safety-lock');
    made.push(ns);
    const run = start(['play', 'safety', '--env', ENV, '--set', `namespace=${ns}`]);
    await run.waitForText(/changed\s+safety\/10_namespace\/namespace/);
    run.child.kill('SIGINT');
    const out = await run.done;

    expect(out.code).toBe(130);
    expect(out.stderr).toContain('helix: interrupted, stopping after the current task (press again to quit now)');
    expect(out.stdout).toMatch(/\ninterrupted in \S+\nstopped after safety\/\S+; \d+ change\(s\) made before the stop:\n/);
    expect(out.stdout).toContain(`  create k8s:v1/Namespace/_/${ns}\n`);
    expect(out.stdout).toMatch(/run the same command again to converge from here\n$/);
    // Every task that started also finished (none was cut off), and the run stopped early.
    const started = [...out.stdout.matchAll(/^ {2}(?:ok|changed)\s+(\S+)/gm)].map((m) => m[1]);
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(TASKS);
    expect(out.stdout).not.toMatch(/^ {2}failed/m);
    expect(out.stdout).toMatch(/failed=0/);
    expect(await lease(ENV)).toBeUndefined();

    const last = (await journal(ENV)).records.at(-1)!;
    expect(last.holder.pid).toBe(run.pid);
    expect(last.status).toBe('interrupted');
    const printed = [...out.stdout.matchAll(/^ {6}(create|update) (k8s:\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(last.changes.map((c) => `${c.action} ${c.target}`).sort()).toEqual(printed);

    const rerun = await helix(playArgs(ENV, ns));
    expect(rerun.code).toBe(0);
    // An interrupted run released its lock and closed its record: nothing to take over or resume.
    expect(rerun.events.find((e) => e.type === 'lock.acquired')).not.toHaveProperty('takenOverFrom');
    expect(rerun.events.some((e) => e.type === 'run.resumed')).toBe(false);
    expect(recapOf(rerun.events)?.changed).toBe(7 - printed.length);
    const again = await helix(playArgs(ENV, ns));
    expect(recapOf(again.events)).toMatchObject({ changed: 0, failed: 0 });
  });

  it('a play whose Lease is stolen mid-run stops before its next task and fails with a clear error, leaving the Lease to the thief', async () => {
    const ns = uniqueNs('helix-safety-lock');
    made.push(ns);
    // 3 s leases: renewed every second, so the theft is seen within about a second.
    const run = start([...playArgs(ENV, ns)], { HELIX_LOCK_TTL_SECONDS: '3' });
    // The play is faster than its output reaches us: freeze the API server as soon as the first
    // change is seen, so the play blocks at its next request, then freeze the play itself and let
    // the API server go on while the Lease is stolen. The play resumes 2 s later, long after its
    // last renewal: it must learn of the theft before it starts another task.
    const apiserver = apiserverProcess().pid;
    await run.waitFor((e) => e.type === 'task.changed' && e.path === 'safety/10_namespace/namespace');
    process.kill(apiserver, 'SIGSTOP');
    run.child.kill('SIGSTOP');
    process.kill(apiserver, 'SIGCONT');
    try {
      const held = (await lease(ENV))!;
      const thief = { id: 'thief-4242', user: 'ci', host: 'runner-9', pid: 4242, command: 'helix play safety --env lock', startedAt: new Date().toISOString() };
      await kube().apply(
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: held.metadata.name, namespace: SYSTEM_NAMESPACE, annotations: { 'helix.dev/holder': JSON.stringify(thief) } },
          spec: { holderIdentity: thief.id, leaseDurationSeconds: 3600 },
        },
        { force: true },
      );
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      process.kill(apiserver, 'SIGCONT');
      run.child.kill('SIGCONT');
    }
    const out = await run.done;
    try {
      expect(out.code, out.stdout.slice(-2000) + out.stderr).toBe(1);
      const message = errorOf(out.events);
      expect(message).toContain(
        `lost the run lock safety-${ENV}: another run took it over: ci@runner-9 pid 4242 (helix play safety --env lock); stopped before the next task`,
      );
      // No task starts once the loss is reported.
      const reported = out.events.findIndex((e) => e.type === 'log' && e.message.startsWith('lost the run lock'));
      expect(reported).toBeGreaterThan(0);
      expect(out.events.slice(reported).some((e) => e.type === 'task.start')).toBe(false);
      expect(recapOf(out.events)?.changed ?? 0).toBeLessThan(7);
      expect(out.events.find((e) => e.type === 'run.end')).toMatchObject({ ok: false });
      const last = (await journal(ENV)).records.at(-1)!;
      expect([last.holder.pid, last.status]).toEqual([run.pid, 'failed']);
      expect((await lease(ENV))?.spec?.holderIdentity, "the run did not release the thief's Lease").toBe('thief-4242');
    } finally {
      const held = await lease(ENV);
      if (held) await kube().delete({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: SYSTEM_NAMESPACE, name: held.metadata.name });
    }
    const rerun = await helix(playArgs(ENV, ns));
    expect(rerun.code).toBe(0);
    expect(recapOf(rerun.events)).toMatchObject({ failed: 0 });
  });

  it('helix history lists the runs, newest last, with their status and change counts', async () => {
    const { records } = await journal(ENV);
    const out = await helix(['history', 'safety', '--env', ENV]);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(records.length);
    for (const [i, r] of records.entries()) {
      expect(lines[i]).toMatch(
        new RegExp(`^#${r.seq}\\s+${r.startedAt}\\s+play\\s+${r.status}\\s+${r.changes.length} change\\(s\\)\\s+${userInfo().username}@${hostname()}$`),
      );
    }
    expect(records.map((r) => r.status)).toContain('interrupted');
    const json = await helix(['history', 'safety', '--env', ENV, '--json']);
    expect((JSON.parse(json.stdout) as { id: string }[]).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });
});
