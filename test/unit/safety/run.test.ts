import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { collect, ConfigError, defineTask, EventBus, noChange, type RunEvent } from '../../../src/index.ts';
import { type PruneScope, registerPruner } from '../../../src/runtime/prune.ts';
import { run, type RunOptions } from '../../../src/runtime/run.ts';
import { LockLostError, type RunRecord } from '../../../src/runtime/state/index.ts';
import { humanRenderer } from '../../../src/cli/render.ts';
import { hooks, world } from '../../fixtures/mem-module.ts';

const root = fileURLToPath(new URL('../../fixtures/memproject', import.meta.url));

/** A pruner over the in-memory world: deletes `demo/*` keys no task of the run declared. */
const seen: PruneScope[] = [];
registerPruner({
  name: 'mem',
  task: (scope) => {
    seen.push(scope);
    return defineTask<string[]>({
      kind: 'mem.prune',
      name: 'mem',
      plan: async () => {
        const stale = [...world.keys()].filter((k) => k.startsWith('demo/stale'));
        if (stale.length === 0) return noChange('nothing to prune', []);
        return {
          changes: stale.map((k) => ({ target: `mem:${k}`, action: 'delete' as const })),
          apply: async () => {
            stale.forEach((k) => world.delete(k));
            return stale;
          },
        };
      },
    });
  },
});

async function play(extra: Partial<RunOptions> = {}): Promise<{ events: RunEvent[]; ok: boolean }> {
  const bus = new EventBus();
  const events = collect(bus);
  const result = await run({ root, component: 'demo', env: 'local', selection: 'play', mode: 'apply', bus, ...extra });
  return { events, ok: result.ok };
}

const records = (dir: string): RunRecord[] =>
  readdirSync(join(dir, 'runs', 'demo-local'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, 'runs', 'demo-local', f), 'utf8')) as RunRecord);

describe('run state and --prune (in-memory component, file lock and journal)', () => {
  let state: string;
  beforeEach(() => {
    world.clear();
    seen.length = 0;
    process.env.DEMO_TOKEN = 'demo-token-value';
    state = mkdtempSync(join(tmpdir(), 'helix-safety-'));
    process.env.HELIX_STATE_DIR = state;
  });

  it('a run whose lock is taken from it mid-run stops before its next task, fails with a clear error and leaves the lock to the thief', async () => {
    const thief = {
      holder: { id: 'thief', user: 'ci', host: 'runner-9', pid: 4242, command: 'helix play demo --env local', startedAt: new Date().toISOString() },
      renewedAt: new Date().toISOString(),
      ttlSeconds: 60,
    };
    const lockFile = join(state, 'locks', 'demo-local.lock');
    hooks.afterPut = async (key) => {
      if (key !== 'demo/a') return;
      writeFileSync(lockFile, JSON.stringify(thief));
      await new Promise((r) => setTimeout(r, 1_500)); // past the next renewal (every 500 ms with a 1 s lease)
    };
    try {
      const bus = new EventBus();
      const events = collect(bus);
      const err = await run({ root, component: 'demo', env: 'local', selection: 'play', mode: 'apply', bus, lockTtlSeconds: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LockLostError);
      expect((err as Error).message).toBe(
        'lost the run lock demo-local: another run took it over to ci@runner-9 pid 4242; stopped before the next task (run again to converge from here)',
      );
      const started = events.filter((e) => e.type === 'task.start').map((e) => (e as { path: string }).path);
      expect(started).toEqual(['demo/10_first/a']);
      expect(world.has('demo/b')).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'run.end', ok: false });
      expect(events.at(-1)).not.toHaveProperty('interrupted');
      expect(records(state).map((r) => r.status)).toEqual(['failed']);
      expect(JSON.parse(readFileSync(lockFile, 'utf8')).holder.id).toBe('thief');
    } finally {
      hooks.afterPut = undefined;
    }
  });

  it('every run of an environment that skips TLS checks for a target warns, naming the target and where it was set', async () => {
    for (const mode of ['apply', 'apply', 'check'] as const) {
      const bus = new EventBus();
      const events = collect(bus);
      let human = '';
      bus.on(humanRenderer({ write: (t: string) => void (human += t) }, { diff: false }));
      await run({ root, component: 'demo', env: 'unverified', selection: 'play', mode, bus });
      expect(events.filter((e) => e.type === 'tls.unverified')).toEqual([
        { type: 'tls.unverified', target: 'keycloak.example.test', setIn: 'inventory/unverified.yaml: tls.targets.keycloak.example.test' },
        { type: 'tls.unverified', target: 'registry.example.test:5000', setIn: 'inventory/unverified.yaml: tls.targets.registry.example.test:5000' },
      ]);
      expect(human).toContain(
        'warning: TLS certificates of keycloak.example.test are not verified (inventory/unverified.yaml: tls.targets.keycloak.example.test)\n',
      );
    }
    const { events } = await play();
    expect(
      events.some((e) => e.type === 'tls.unverified'),
      'an environment that lists no target warns about none',
    ).toBe(false);
  });

  it('turning TLS verification off for every target is refused before anything runs, as is a target that is not host[:port]', async () => {
    const err = await run({ root, component: 'demo', env: 'tlsoff', selection: 'play', mode: 'apply', bus: new EventBus() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { problems?: unknown }).problems).toEqual([
      {
        path: 'inventory/tlsoff.yaml: tls.verify',
        message: expect.stringMatching(/^TLS verification cannot be turned off for every target: list each target/),
      },
      {
        path: 'inventory/tlsoff.yaml: tls.targets.https://keycloak.example.test/',
        message: 'a TLS target is a host name or IP address, with an optional :port',
      },
    ]);
    expect(world.size).toBe(0);
  });

  it('records the run as running before its first change', async () => {
    const bus = new EventBus();
    let atFirstTask: RunRecord[] | undefined;
    bus.on((e) => {
      if (e.type === 'task.start' && !atFirstTask) atFirstTask = records(state);
    });
    await run({ root, component: 'demo', env: 'local', selection: 'play', mode: 'apply', bus });
    expect(atFirstTask?.map((r) => r.status)).toEqual(['running']);
    expect(records(state).map((r) => r.status)).toEqual(['ok']);
  });

  it('a run left "running" by a killed process is reported as resumed by the next, and closed as interrupted', async () => {
    await play();
    const first = records(state)[0]!;
    writeFileSync(join(state, 'runs', 'demo-local', '000001.json'), JSON.stringify({ ...first, status: 'running', endedAt: undefined }));
    const { events } = await play();
    expect(events.find((e) => e.type === 'run.resumed')).toMatchObject({ previousRun: first.id, changesBeforeStop: first.changes.length });
    expect(records(state).map((r) => r.status)).toEqual(['interrupted', 'ok']);
  });

  it('--prune runs the pruners after a successful play, as the last playbook, with the journalled targets', async () => {
    await play();
    world.set('demo/stale-1', 'x');
    const check = await play({ prune: true, mode: 'check' });
    expect(check.events.find((e) => e.type === 'run.start')).toMatchObject({ playbooks: ['10_first', '20_second', 'prune'] });
    expect(check.events.find((e) => e.type === 'task.changed' && e.path === 'demo/prune/mem')).toMatchObject({
      applied: false,
      changes: [{ action: 'delete', target: 'mem:demo/stale-1' }],
    });
    expect(world.has('demo/stale-1')).toBe(true);
    expect(seen.at(-1)).toEqual({ component: 'demo', env: 'local', journalTargets: expect.arrayContaining(['mem:demo/a', 'mem:demo/b']) });

    const real = await play({ prune: true });
    expect(real.ok).toBe(true);
    expect(world.has('demo/stale-1')).toBe(false);
    expect(records(state).at(-1)?.changes).toContainEqual(expect.objectContaining({ path: 'demo/prune/mem', action: 'delete', target: 'mem:demo/stale-1' }));
    const again = await play({ prune: true });
    expect(again.events.some((e) => e.type === 'task.changed')).toBe(false);
  });

  it('without --prune nothing is pruned', async () => {
    world.set('demo/stale-1', 'x');
    const { events } = await play();
    expect(events.some((e) => e.type === 'task.start' && e.path.startsWith('demo/prune'))).toBe(false);
    expect(world.has('demo/stale-1')).toBe(true);
  });

  it.each([
    [{ only: ['first'] }, /--prune needs the whole play to know what is declared: drop --only/],
    [{ from: 'second' }, /drop --from/],
    [{ tags: ['x'] }, /drop --tags/],
    [{ selection: 'rollback' as const }, /--prune applies to play, not rollback/],
  ])('--prune with a partial run is refused before anything: %o', async (extra, message) => {
    world.set('demo/stale-1', 'x');
    const error = await play({ prune: true, ...extra }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect([...world.keys()]).toEqual(['demo/stale-1']);
  });
});

describe('the human view of an interrupted run', () => {
  it('says where it stopped and what was changed', () => {
    let out = '';
    const render = humanRenderer({ write: (s) => void (out += s) }, { diff: false });
    render({ type: 'run.start', component: 'demo', env: 'local', mode: 'apply', playbooks: ['10_first'] });
    render({
      type: 'task.changed',
      path: 'demo/10_first/a',
      host: 'localhost',
      changes: [{ action: 'create', target: 'mem:demo/a' }],
      applied: true,
      durationMs: 1,
    });
    render({ type: 'task.ok', path: 'demo/10_first/b', host: 'localhost', reason: 'already', durationMs: 1 });
    render({ type: 'run.end', ok: false, interrupted: true, recap: {}, durationMs: 5 });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the renderer's ANSI colour codes
    const text = out.replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toMatch(
      /interrupted in 5ms\nstopped after demo\/10_first\/b; 1 change\(s\) made before the stop:\n {2}create mem:demo\/a\nrun the same command again to converge from here\n$/,
    );
  });
});
