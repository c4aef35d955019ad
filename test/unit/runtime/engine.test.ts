import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { changeKey, collect, EventBus, run, ValidationError } from '../../../src/index.ts';
import type { RunOptions } from '../../../src/runtime/run.ts';
import { world } from '../../fixtures/mem-module.ts';

const root = fileURLToPath(new URL('../../fixtures/memproject', import.meta.url));

async function play(extra: Partial<RunOptions> = {}) {
  const bus = new EventBus();
  const events = collect(bus);
  const result = await run({ root, component: 'demo', env: 'local', selection: 'play', mode: 'apply', bus, ...extra });
  return { result, events, keys: result.changes.map((c) => changeKey(c.change)).sort() };
}

describe('engine', () => {
  beforeEach(() => {
    world.clear();
    process.env.DEMO_TOKEN = 'demo-token-value';
  });

  it('check predicts exactly the changes the real run makes, and the second run plans nothing', async () => {
    const check = await play({ mode: 'check' });
    expect(world.size).toBe(0);
    const real = await play();
    expect(real.keys).toEqual(check.keys);
    expect(real.keys).toEqual(['create mem:demo/a', 'create mem:demo/always', 'create mem:demo/b', 'create mem:demo/rescued', 'create mem:demo/restarted']);
    expect(world.get('demo/b')).toBe('from-1');
    const again = await play();
    expect(again.keys).toEqual([]);
    expect(again.result.recap.localhost?.changed).toBe(0);
    const oks = again.events.filter((e) => e.type === 'task.ok');
    expect(oks.map((e) => (e.type === 'task.ok' ? e.reason : ''))).toContain('demo/a already 1');
  });

  it('runs rescue and always, and skips a false condition', async () => {
    const { result, events } = await play();
    expect(result.ok).toBe(true);
    expect(events.some((e) => e.type === 'task.failed' && e.path === 'demo/20_second/guarded/explodes')).toBe(true);
    expect(events.some((e) => e.type === 'task.skipped' && e.path === 'demo/20_second/skipped')).toBe(true);
    expect(world.has('demo/never')).toBe(false);
  });

  it('runs always after a failed block without rescue, and the host stays failed', async () => {
    const { result, events } = await play({ component: 'cleanup' });
    expect(result.ok).toBe(false);
    expect(world.get('cleanup/made')).toBe('yes');
    expect(world.get('cleanup/cleaned')).toBe('yes');
    expect(world.has('cleanup/never')).toBe(false);
    expect(world.has('cleanup/after')).toBe(false);
    expect(events.some((e) => e.type === 'task.changed' && e.path === 'cleanup/10_block/work/always/cleaned')).toBe(true);
  });

  it('runs handlers only when notified', async () => {
    await play();
    world.delete('demo/restarted');
    const { events } = await play();
    expect(events.some((e) => e.type === 'task.start' && e.path.endsWith('handlers/restart'))).toBe(false);
  });

  it('--only narrows to one playbook; an unknown name is a config error', async () => {
    const { keys } = await play({ only: ['first'] });
    expect(keys).toEqual(['create mem:demo/a', 'create mem:demo/b', 'create mem:demo/restarted']);
    await expect(play({ only: ['nope'] })).rejects.toThrow(/no playbook or task named "nope"/);
  });

  it('reports a missing secret with its path before running anything', async () => {
    delete process.env.DEMO_TOKEN;
    const err = await play().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems[0]?.message).toMatch(/DEMO_TOKEN is not set/);
    expect(world.size).toBe(0);
  });

  it('never emits a secret value', async () => {
    const { events } = await play();
    expect(JSON.stringify(events)).not.toContain('demo-token-value');
  });
});
