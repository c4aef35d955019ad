import { describe, expect, it } from 'vitest';
import { kubeHttp, memoOf } from '../../../src/runtime/kube/index.ts';
import { LockHeldError, newHolder, type RunRecord, stateFor } from '../../../src/runtime/state/index.ts';
import { testEnv } from '../../support/engine.ts';
import { hasKubernetes, kubeEnv, unique } from './helpers.ts';

const noop = (): void => undefined;

describe.skipIf(!hasKubernetes())('run lock and journal in the cluster (lean transport)', () => {
  it('a Lease lock refuses a second holder, is released, and a journal record round-trips', async () => {
    const component = unique('state');
    const memo = new Map<string, unknown>();
    const env = testEnv(kubeEnv());
    const { lock, journal, where } = stateFor(env, component, memo);
    expect(where).toBe('cluster');

    const first = await lock.acquire(newHolder('helix play first'), { waitMs: 0, ttlSeconds: 30, onLost: noop });
    expect((await lock.read())?.holder.command).toBe('helix play first');
    const second = await stateFor(env, component)
      .lock.acquire(newHolder('second'), { waitMs: 0, ttlSeconds: 30, onLost: noop })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(LockHeldError);
    await first.release();
    expect(await lock.read()).toBeUndefined();

    const holder = newHolder('helix play');
    const record: RunRecord = {
      id: holder.id,
      seq: 1,
      component,
      env: env.name,
      selection: 'play',
      status: 'running',
      holder,
      startedAt: holder.startedAt,
      changes: [{ path: `${component}/10/a`, host: 'localhost', action: 'create', target: 'k8s:v1/ConfigMap/x/a' }],
    };
    await journal.save(record);
    await journal.save({ ...record, status: 'ok' });
    const [saved] = await journal.list();
    expect(saved).toMatchObject({ seq: 1, status: 'ok', changes: record.changes });
    // the next run marks a record it did not write (a killed run's) as interrupted
    await stateFor(env, component).journal.save({ ...record, status: 'interrupted' });
    expect((await journal.list()).map((r) => r.status)).toEqual(['interrupted']);
    expect(await lock.forceRelease()).toBe(false);
    // one connection for the lock and the journal of a run: the memo holds it
    expect([...memo.keys()]).toEqual(['kube:http']);
    const { transport } = kubeHttp({ env, memo: memoOf(memo) });
    await transport({ method: 'DELETE', path: '/api/v1/namespaces/helix-system/secrets', query: { labelSelector: `helix.dev/component=${component}` } });
  });
});
