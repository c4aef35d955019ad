import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Ctx, ensureProcess, stopComponent } from '../../../src/sandbox/component.ts';
import { isAlive, isOurs } from '../../../src/sandbox/proc.ts';
import { loadState } from '../../../src/sandbox/state.ts';

function ctx(): Ctx {
  const dir = mkdtempSync(join(tmpdir(), 'helix-sbx-unit-'));
  return { dir, state: loadState(dir), report: () => {}, logs: join(dir, 'logs') };
}

const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

describe('sandbox: processes', () => {
  it('starts a daemon once, reuses it, and down stops exactly that pid', async () => {
    const c = ctx();
    const marker = `helix-unit-${process.pid}-${Date.now()}`;
    // The marker is an extra argument, kept in the daemon's command line.
    const spec = {
      component: 'demo',
      proc: 'demo',
      cmd: process.execPath,
      args: ['-e', 'setTimeout(() => {}, 300_000)', marker],
      marker,
      healthy: async () => true,
      timeoutMs: 5000,
    };
    expect(await ensureProcess(c, spec)).toBe('started');
    const pid = c.state.processes.demo!.demo!.pid;
    strays.push(pid);
    expect(isOurs(pid, marker)).toBe(true);
    expect(await ensureProcess(c, spec)).toBe('reused');
    expect(c.state.processes.demo!.demo!.pid).toBe(pid);
    // A bystander with the same program is never touched.
    const bystander = spawn('sleep', ['300']);
    strays.push(bystander.pid!);
    expect(await stopComponent(c, 'demo')).toBe(1);
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(bystander.pid!)).toBe(true);
    expect(c.state.processes.demo).toBeUndefined();
  });

  it('does not kill a recorded pid that is no longer ours (pid reuse)', async () => {
    const c = ctx();
    const other = spawn('sleep', ['300']);
    strays.push(other.pid!);
    c.state.processes.demo = { demo: { pid: other.pid!, marker: 'a-marker-sleep-does-not-carry', log: '/dev/null', startedAt: '' } };
    expect(await stopComponent(c, 'demo')).toBe(0);
    expect(isAlive(other.pid!)).toBe(true);
  });

  it('reports a process that exits before it is healthy, with its log', async () => {
    const c = ctx();
    const marker = `helix-unit-fail-${Date.now()}`;
    await expect(
      ensureProcess(c, {
        component: 'broken',
        proc: 'broken',
        cmd: 'sh',
        args: ['-c', 'echo boom-from-the-log; exit 3', marker],
        marker,
        healthy: async () => false,
        timeoutMs: 5000,
      }),
    ).rejects.toThrow(/sandbox\/broken: exited before it became healthy[\s\S]*boom-from-the-log[\s\S]*log: .*broken\.log/);
    expect(c.state.processes.broken?.broken).toBeUndefined();
  });
});
