import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ssh from '../../../src/modules/ssh/index.ts';
import { transportDefaults } from '../../../src/modules/ssh/transport.ts';
import { Engine } from '../../../src/runtime/engine.ts';
import type { Env } from '../../../src/runtime/env.ts';
import type { Problem } from '../../../src/runtime/errors.ts';
import { collect, EventBus } from '../../../src/runtime/events.ts';
import { closeMemo } from '../../../src/runtime/run.ts';
import { place } from '../../../src/runtime/tree.ts';
import { env as baseEnv } from './context.ts';
import { type FakeSshd, startFakeSshd } from './fake-sshd.ts';

let sshd: FakeSshd;
beforeAll(async () => {
  sshd = await startFakeSshd();
  transportDefaults.connectTimeoutMs = 1000;
});
afterAll(async () => {
  transportDefaults.connectTimeoutMs = 10_000;
  await sshd.close();
});

describe('ssh tasks through the engine', () => {
  it('fans out over the group, drops the unreachable host, notifies handlers per host, closes connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-engine-'));
    const env: Env = {
      ...baseEnv,
      hosts: {
        a: sshd.spec({ vars: { dir: `${dir}/a` } }),
        b: sshd.spec({ vars: { dir: `${dir}/b` } }),
        gone: sshd.spec({ port: 1, vars: { dir: `${dir}/gone` } }),
      },
      groups: { web: ['a', 'b', 'gone'] },
    };
    const restart = ssh.exec('restart', { argv: ['sh', '-c', 'echo restarted > "$1/restarted"', 'sh', '.'], cwd: dir });
    const steps = [
      ssh.file('dir', { path: (ctx) => String(ctx.host.vars.dir), state: 'directory' }),
      ssh.file('conf', { path: (ctx) => `${String(ctx.host.vars.dir)}/app.conf`, content: (ctx) => `host=${ctx.host.name}\n`, notify: [restart] }),
    ];
    const problems: Problem[] = [];
    const placed = place('test', '10_web', { hosts: 'web', tasks: steps, handlers: [restart] }, env, problems);
    expect(problems).toEqual([]);
    const run = async () => {
      const bus = new EventBus();
      const events = collect(bus);
      const memo = new Map<string, unknown>();
      const result = await new Engine(env, { mode: 'apply', bus, memo, forks: 2 }).run([placed]);
      const transports = [...memo.values()] as { connection: { label: string } }[];
      await closeMemo(memo);
      return { result, events, transports };
    };
    const first = await run();
    expect(first.result.ok).toBe(false);
    expect(first.result.recap.gone).toMatchObject({ failed: 1, unreachable: 1, ok: 0, changed: 0 });
    expect(first.result.recap.a).toMatchObject({ failed: 0, changed: 3 });
    expect(first.result.recap.b).toMatchObject({ failed: 0, changed: 3 });
    expect(first.events.some((e) => e.type === 'task.start' && e.host === 'gone' && e.path.endsWith('/conf'))).toBe(false);
    expect(first.transports).toHaveLength(3);
    const second = await run();
    expect(second.result.recap.a).toMatchObject({ changed: 0, ok: 2 });
    expect(second.events.some((e) => e.type === 'task.start' && e.path.endsWith('/handlers/restart'))).toBe(false);
  });
});
