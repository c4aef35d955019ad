import { describe, expect, it } from 'vitest';
import { compareFields, ensure, fieldDiff, type Provider } from '../../../src/runtime/provider.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { defineTask, noChange } from '../../../src/runtime/task.ts';
import { runSteps } from '../../support/engine.ts';

describe('compareFields', () => {
  const rows: { name: string; desired: object; live: object; rules?: Parameters<typeof compareFields>[2]; fields: string[] }[] = [
    { name: 'equal values: nothing', desired: { a: 1, b: 'x', c: [1, 2] }, live: { a: 1, b: 'x', c: [1, 2], extra: true }, fields: [] },
    { name: 'undefined in the wish is not managed', desired: { a: undefined }, live: { a: 5 }, fields: [] },
    { name: 'scalar differs', desired: { a: 1 }, live: { a: 2 }, fields: ['a'] },
    { name: 'list order matters by default', desired: { c: [1, 2] }, live: { c: [2, 1] }, fields: ['c'] },
    { name: 'a set ignores order and duplicates', desired: { c: ['a', 'b'] }, live: { c: ['b', 'a', 'a'] }, rules: { c: { set: true } }, fields: [] },
    { name: 'a set finds a missing member', desired: { c: ['a', 'b'] }, live: { c: ['a'] }, rules: { c: { set: true } }, fields: ['c'] },
    { name: 'records compare key by key; keys the target added stay', desired: { attrs: { k: 'v' } }, live: { attrs: { k: 'v', added: 'x' } }, fields: [] },
    { name: 'a record key differs', desired: { attrs: { k: 'v', j: 'w' } }, live: { attrs: { k: 'old' } }, fields: ['attrs.k', 'attrs.j'] },
    { name: 'an empty list equals a missing one', desired: { c: [] }, live: {}, fields: [] },
    { name: 'a secret equal to the live value', desired: { s: new Secret('same-secret-1', 't') }, live: { s: 'same-secret-1' }, fields: [] },
    { name: 'a secret that differs', desired: { s: new Secret('new-secret-1', 't') }, live: { s: new Secret('old-secret-1', 't') }, fields: ['s'] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      expect(compareFields(row.desired, row.live, row.rules).map((f) => f.field)).toEqual(row.fields);
    });
  }

  it('marks secret fields and keeps their values out of diffs', () => {
    const fields = compareFields({ s: new Secret('brand-new-secret', 't'), a: 2 }, { s: 'stale-secret-value', a: 1 });
    expect(fields.find((f) => f.field === 's')?.secret).toBe(true);
    const d = fieldDiff(fields);
    expect(d).toEqual({ diff: { before: 'a: 1\n', after: 'a: 2\n' } });
  });
});

/** A provider over a Map, to check what `ensure` plans and does. */
function memProvider(
  store: Map<string, { v: number; fixed: string }>,
  log: string[],
): Provider<{ key: string; v: number; fixed?: string; pass?: Secret }, { v: number; fixed: string }> {
  return {
    kind: 'mem.object',
    describe: (d) => `object ${d.key}`,
    id: (d) => `mem:${d.key}`,
    validate: (d, report) => {
      if (!d.key) report('key is required');
    },
    read: async (_ctx, d) => store.get(d.key),
    diff: (d, live) => compareFields({ v: d.v, fixed: d.fixed }, live, { fixed: { replace: true } }),
    create: async (_ctx, d) => {
      log.push(`create ${d.key}`);
      store.set(d.key, { v: d.v, fixed: d.fixed ?? 'a' });
    },
    update: async (_ctx, d, live) => {
      log.push(`update ${d.key}`);
      store.set(d.key, { ...live, v: d.v });
    },
    delete: async (_ctx, d) => {
      log.push(`delete ${d.key}`);
      store.delete(d.key);
    },
    predict: (d, live) => (live ? { ...live, v: d.v } : { v: d.v, fixed: d.fixed ?? 'a' }),
  };
}

describe('ensure', () => {
  const setup = () => {
    const store = new Map<string, { v: number; fixed: string }>();
    const log: string[] = [];
    return { store, log, p: memProvider(store, log) };
  };

  it('create → nothing → update (named fields) → replace → delete → nothing', async () => {
    const { store, log, p } = setup();
    const keys = async (d: { key: string; v: number; fixed?: string }, state: 'present' | 'absent' = 'present') => {
      const check = await runSteps([ensure('o', p, d, { state })], { mode: 'check' });
      const real = await runSteps([ensure('o', p, d, { state })]);
      expect(real.failures).toEqual([]);
      expect(real.keys).toEqual(check.keys);
      return { keys: real.keys, summaries: real.events.flatMap((e) => (e.type === 'task.changed' ? e.changes.map((c) => c.summary) : [])) };
    };
    expect(await keys({ key: 'x', v: 1 })).toEqual({ keys: ['create mem:x'], summaries: ['create object x'] });
    expect(await keys({ key: 'x', v: 1 })).toEqual({ keys: [], summaries: [] });
    expect(await keys({ key: 'x', v: 2 })).toEqual({ keys: ['update mem:x'], summaries: ['update object x: v'] });
    expect(await keys({ key: 'x', v: 2, fixed: 'b' })).toEqual({
      keys: ['create mem:x', 'delete mem:x'],
      summaries: ['replace object x: fixed cannot change in place', 'create object x again'],
    });
    expect(store.get('x')).toEqual({ v: 2, fixed: 'b' });
    expect(await keys({ key: 'x', v: 2 }, 'absent')).toEqual({ keys: ['delete mem:x'], summaries: ['delete object x'] });
    expect(await keys({ key: 'x', v: 2 }, 'absent')).toEqual({ keys: [], summaries: [] });
    expect(log).toEqual(['create x', 'update x', 'delete x', 'create x', 'delete x']);
  });

  it('a check run predicts deleting what an earlier task of the run creates (create, then absent)', async () => {
    const { store, p } = setup();
    const steps = () => [ensure('make', p, { key: 't', v: 1 }), ensure('drop', p, { key: 't', v: 1 }, { state: 'absent' })];
    const check = await runSteps(steps(), { mode: 'check' });
    expect(store.has('t')).toBe(false);
    const real = await runSteps(steps());
    expect(real.failures).toEqual([]);
    expect(check.keys).toEqual(['create mem:t', 'delete mem:t']);
    expect(real.keys).toEqual(check.keys);
    expect(store.has('t')).toBe(false);
  });

  it('gives later tasks the predicted object in a check run and the live one after apply', async () => {
    const { p } = setup();
    const t = ensure('o', p, { key: 'y', v: 3 });
    expect((await runSteps([t], { mode: 'check' })).result(t)).toEqual({ v: 3, fixed: 'a' });
    expect((await runSteps([t])).result(t)).toEqual({ v: 3, fixed: 'a' });
  });

  it('fails when the target accepted a change but still differs', async () => {
    const { store, p } = setup();
    store.set('z', { v: 1, fixed: 'a' });
    const lazy = { ...p, update: async () => {} };
    const r = await runSteps([ensure('o', lazy, { key: 'z', v: 9 })]);
    expect(r.failures).toEqual(['test/10_play/o: test/10_play/o: object z still differs after the change: v']);
  });

  it('skips the preflight of a wish built from an earlier task of the run (unknown until applied), and still applies it', async () => {
    const store = new Map<string, { v: number; fixed: string }>();
    const checked: number[] = [];
    const p = {
      ...memProvider(store, []),
      preflight: async (_ctx: unknown, d: { v: number }) => {
        checked.push(d.v);
        return [];
      },
    };
    const source = defineTask<number>({ kind: 'test.value', name: 'source', plan: async () => noChange('computed', 7) });
    const r = await runSteps([source, ensure('o', p, (ctx) => ({ key: 'k', v: ctx.result(source) }))]);
    expect(r.ok, r.failures.join('\n')).toBe(true);
    expect(r.problems).toEqual([]);
    expect(checked).toEqual([]);
    expect(store.get('k')?.v).toBe(7);
  });

  it('validates a static wish before anything runs, and a computed one at plan time', async () => {
    const { p, log } = setup();
    expect((await runSteps([ensure('o', p, { key: '', v: 1 })])).problems).toEqual([{ path: 'test/10_play/o', message: 'key is required' }]);
    const r = await runSteps([ensure('o', p, () => ({ key: '', v: 1 }))]);
    expect(r.failures.join()).toMatch(/key is required/);
    expect(log).toEqual([]);
  });
});
