import { hostname, userInfo } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasKubernetes } from '../k8s/helpers.ts';
import {
  componentSecrets,
  errorOf,
  helix,
  isTaskEnd,
  type JsonLine,
  journal,
  lease,
  leaks,
  repo,
  resourceVersions,
  settledResourceVersions,
  sleep,
  raceForLock,
  start,
  sweepComponent,
  waitLeaseExpired,
} from './helpers.ts';

/**
 * Issue 9 on the real component: `helix play devpi --env local` (playbooks/40_thinkube/core/devpi,
 * on the sandbox). devpi must converge here first (two plays exit 0, the second with nothing
 * changed); when it does not, every test fails with the reason: a component that does not
 * converge is a failure, never a skip. devpi is shared with the engineers working
 * on it, so these tests never remove it: they run on the converged component, where a play
 * writes nothing, and check that locking, killing and resuming keep it that way.
 *
 * HELIX_SAFETY_DEVPI_KILL_POINTS (default 3, at most 10) sets how many task boundaries of the
 * devpi play are killed at, spread over its tasks.
 */
const ENV = 'local';
const NS = 'devpi';
const ROOT = { HELIX_ROOT: repo };
const TTL = { ...ROOT, HELIX_LOCK_TTL_SECONDS: '3' };
const POINTS = Math.min(10, Number(process.env.HELIX_SAFETY_DEVPI_KILL_POINTS ?? 3));
const devpi = (...more: string[]): string[] => ['play', 'devpi', '--env', ENV, '--json', ...more];

const changedOn = (events: readonly JsonLine[]): number => {
  const end = events.find((e) => e.type === 'run.end');
  return end?.type === 'run.end' ? Object.values(end.recap).reduce((n, r) => n + r.changed + r.failed, 0) : Number.NaN;
};

/** Why a play failed, in one line: its error, or its failed tasks. */
const failures = (out: { events: readonly JsonLine[]; stderr: string }): string =>
  errorOf(out.events) ||
  out.events.flatMap((e) => (e.type === 'task.failed' ? [`${e.path}: ${e.error}`] : [])).join('; ') ||
  out.stderr.trim().split('\n').at(-1) ||
  'no error reported';

/** Waits until nobody (another engineer's run) holds devpi's lock. */
async function lockFree(): Promise<void> {
  for (let i = 0; i < 600 && (await lease(ENV, 'devpi')); i++) await sleep(1000);
}

describe.skipIf(!hasKubernetes())('issue 9 on devpi', () => {
  let taskCount = 0;

  beforeAll(async () => {
    let why: string | undefined;
    const first = await helix(devpi('--wait-lock', '10m'), ROOT, 1_200_000);
    const second = first.code === 0 ? await helix(devpi('--wait-lock', '10m'), ROOT, 1_200_000) : undefined;
    if (first.code !== 0) why = `devpi does not converge on the sandbox: the first play exited ${first.code} (${failures(first)})`;
    else if (second?.code !== 0) why = `devpi does not converge on the sandbox: the second play exited ${second?.code} (${second ? failures(second) : ''})`;
    else if (changedOn(second.events) !== 0)
      why = `devpi does not converge on the sandbox: the second play changed or failed ${changedOn(second.events)} task(s)`;
    if (why) throw new Error(why);
    const validated = first.events.find((e) => e.type === 'run.validated');
    taskCount = validated?.type === 'run.validated' ? validated.tasks : 0;
  }, 2_500_000);

  it('two plays started together: one runs, the other fails naming the holder; nothing is written', async () => {
    await lockFree();
    const before = await settledResourceVersions([NS]);
    const { winner, won, lost } = await raceForLock(start(devpi(), ROOT), start(devpi(), ROOT));
    expect(won.code, won.stderr).toBe(0);
    expect(lost.code).toBe(1);
    expect(errorOf(lost.events)).toContain(`devpi-${ENV} is locked by ${userInfo().username}@${hostname()} pid ${winner.pid} (helix play devpi --env ${ENV}`);
    expect(lost.events.some((e) => e.type === 'task.start')).toBe(false);
    expect(changedOn(won.events)).toBe(0);
    expect(await resourceVersions([NS])).toEqual(before);
  }, 600_000);

  it(`killed with SIGKILL at ${POINTS} task boundaries: each rerun takes over, resumes, and leaves devpi as it was`, async () => {
    expect(taskCount).toBeGreaterThan(POINTS);
    for (let i = 1; i <= POINTS; i++) {
      const k = Math.max(1, Math.round((i * taskCount) / (POINTS + 1)));
      await lockFree();
      const before = await settledResourceVersions([NS]);
      const victim = start(devpi(), TTL);
      await victim.waitFor(() => victim.events.filter(isTaskEnd).length >= k, 600_000);
      victim.child.kill('SIGKILL');
      await victim.done;
      const stopped = (await journal(ENV, 'devpi')).records.at(-1)!;
      expect([stopped.holder.pid, stopped.status], `kill point ${k}`).toEqual([victim.pid, 'running']);
      await waitLeaseExpired(ENV, 'devpi');
      const rerun = await helix(devpi(), TTL, 1_200_000);
      expect(rerun.code, `kill point ${k}: ${rerun.stderr}`).toBe(0);
      expect(
        rerun.events.find((e) => e.type === 'lock.acquired'),
        `kill point ${k}`,
      ).toMatchObject({ takenOverFrom: expect.stringContaining(`pid ${victim.pid} `) });
      expect(
        rerun.events.find((e) => e.type === 'run.resumed'),
        `kill point ${k}`,
      ).toMatchObject({ previousRun: stopped.id });
      expect(changedOn(rerun.events), `kill point ${k}`).toBe(0);
      expect(await resourceVersions([NS]), `kill point ${k}`).toEqual(before);
    }
  }, 3_000_000);

  it('secret sweep: no secret of devpi or of the sandbox appears in any output, record or lock', async () => {
    const secrets = await componentSecrets('devpi', [NS]);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const captured = await sweepComponent('devpi', ENV, ROOT);
    expect(leaks(captured, secrets)).toEqual([]);
  }, 3_000_000);

  it('helix history devpi --env local lists the runs', async () => {
    const out = await helix(['history', 'devpi', '--env', ENV], ROOT);
    expect(out.code).toBe(0);
    // Read after: other engineers' runs may have added records meanwhile, never removed the shown ones (20 kept).
    const { records } = await journal(ENV, 'devpi');
    const lines = out.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      const r = records.find((x) => line.startsWith(`#${x.seq} `));
      expect(r, line).toBeDefined();
      expect(line).toMatch(
        new RegExp(`^#${r!.seq}\\s+${r!.startedAt}\\s+${r!.selection}\\s+\\w+\\s+\\d+ change\\(s\\)\\s+${r!.holder.user}@${r!.holder.host}$`),
      );
    }
    expect(records.some((r) => r.status === 'ok')).toBe(true);
  });
});
