import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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
import type { Step } from '../../../src/runtime/task.ts';
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

/** Host `gone` cannot be reached (port 1): only a task delegated elsewhere can succeed on it. */
function environment(dir: string): Env {
  return {
    ...baseEnv,
    hosts: { gone: sshd.spec({ port: 1, vars: { dir } }), builder: sshd.spec({ vars: { dir: '/nowhere' } }) },
    groups: { play: ['gone'] },
  };
}

async function run(env: Env, tasks: Step[]) {
  const problems: Problem[] = [];
  const placed = place('test', '10_build', { hosts: 'play', tasks }, env, problems);
  expect(problems).toEqual([]);
  const bus = new EventBus();
  const events = collect(bus);
  const memo = new Map<string, unknown>();
  const result = await new Engine(env, { mode: 'apply', bus, memo, forks: 1 }).run([placed]);
  await closeMemo(memo);
  return { result, events };
}

describe('ssh.delegateTo', () => {
  it("runs the task on the named host, with the playbook host's variables, and a second run plans nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-delegate-'));
    const env = environment(dir);
    const task = () =>
      ssh.delegateTo(
        (ctx) => (ctx.host.name === 'gone' ? 'builder' : 'none'),
        ssh.file('conf', { path: (ctx) => `${String(ctx.host.vars.dir)}/built-for`, content: (ctx) => `${ctx.host.name} for ${ctx.host.delegatedFrom}\n` }),
      );
    const first = await run(env, [task()]);
    expect(first.result.ok).toBe(true);
    // The file is written through builder's connection, at the path the play host's vars give.
    expect(readFileSync(join(dir, 'built-for'), 'utf8')).toBe('builder for gone\n');
    const changed = first.events.find((e) => e.type === 'task.changed');
    expect(changed).toMatchObject({ host: 'gone' });
    expect(JSON.stringify(changed)).toContain('file:builder:');
    const second = await run(env, [task()]);
    expect(second.result.ok).toBe(true);
    expect(second.result.recap.gone).toMatchObject({ changed: 0, ok: 1 });
  });

  it('without delegation the same task fails on the unreachable play host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-delegate-'));
    const env = environment(dir);
    const out = await run(env, [ssh.file('conf', { path: `${dir}/built-for`, content: 'x\n' })]);
    expect(out.result.ok).toBe(false);
    expect(existsSync(join(dir, 'built-for'))).toBe(false);
  });

  it('fails the task naming a host that is not in the inventory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-delegate-'));
    const env = environment(dir);
    const out = await run(env, [ssh.delegateTo('arm-node', ssh.file('conf', { path: `${dir}/built-for`, content: 'x\n' }))]);
    expect(out.result.ok).toBe(false);
    const failed = out.events.find((e) => e.type === 'task.failed');
    expect(failed && 'error' in failed ? failed.error : '').toContain('delegateTo: no host "arm-node" in environment test (hosts: builder, gone)');
    expect(existsSync(join(dir, 'built-for'))).toBe(false);
  });

  it('reports an empty host name at validation', () => {
    const out: string[] = [];
    ssh.delegateTo('', ssh.file('conf', { path: '/tmp/x', content: 'x' })).validate?.((m) => out.push(m));
    expect(out).toEqual(['delegateTo: the host name is empty']);
  });
});
