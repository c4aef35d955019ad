import { describe, expect, it } from 'vitest';
import { UnknownUntilApplied } from '../../../src/index.ts';
import { CLIENT_KEY, type KubeObject } from '../../../src/modules/k8s/index.ts';
import { argocdAppObservation, argocdSynced } from '../../../roles/container_deployment/argocd_synced.ts';
import { runTask } from '../../fixtures/task-harness.ts';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

const app = (status: unknown): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'devpi', namespace: 'argocd' },
  status,
});
const st = (revision: string, sync: string, health: string, op?: { phase: string; revision: string; message?: string }) => ({
  sync: { status: sync, revision },
  health: { status: health },
  ...(op ? { operationState: { phase: op.phase, message: op.message, syncResult: { revision: op.revision } } } : {}),
});

describe('argocdAppObservation: Synced and Healthy for the pushed revision only', () => {
  const table = [
    {
      name: 'the previous revision Synced and Healthy is not the pushed one',
      status: st(OLD, 'Synced', 'Healthy'),
      state: 'waiting',
      message: /last compared aaaaaaaaaaaa .*not yet the pushed bbbbbbbbbbbb/,
    },
    { name: 'the pushed revision OutOfSync', status: st(NEW, 'OutOfSync', 'Healthy'), state: 'waiting', message: /is OutOfSync/ },
    { name: 'the pushed revision Synced, still Progressing', status: st(NEW, 'Synced', 'Progressing'), state: 'waiting', message: /health Progressing/ },
    {
      name: 'a sync of the pushed revision still running',
      status: st(NEW, 'Synced', 'Healthy', { phase: 'Running', revision: NEW }),
      state: 'waiting',
      message: /a sync is running/,
    },
    {
      name: 'a failed sync of the pushed revision ends the wait',
      status: st(NEW, 'OutOfSync', 'Missing', { phase: 'Failed', revision: NEW, message: 'one or more objects failed to apply' }),
      state: 'failed',
      message: /sync of bbbbbbbbbbbb failed: one or more objects failed to apply/,
    },
    {
      name: 'a failed sync of the previous revision does not end it',
      status: st(OLD, 'Synced', 'Healthy', { phase: 'Failed', revision: OLD }),
      state: 'waiting',
      message: /not yet the pushed/,
    },
    {
      name: 'a comparison error is shown while waiting',
      status: { ...st(OLD, 'Unknown', 'Healthy'), conditions: [{ type: 'ComparisonError', message: 'ssh: handshake failed' }] },
      state: 'waiting',
      message: /ComparisonError: ssh: handshake failed/,
    },
    { name: 'no status yet', status: undefined, state: 'waiting', message: /last compared none/ },
    {
      name: 'second run: the pushed revision already Synced and Healthy (nothing to wait for)',
      status: st(NEW, 'Synced', 'Healthy', { phase: 'Succeeded', revision: NEW }),
      state: 'ready',
      message: /^Synced to bbbbbbbbbbbb and Healthy$/,
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const seen = argocdAppObservation(app(row.status), NEW);
      expect(seen.state).toBe(row.state);
      expect(seen.message).toMatch(row.message);
    });
  }
  it('an absent Application is waited for', () => {
    expect(argocdAppObservation(undefined, NEW)).toEqual({ state: 'waiting', message: 'absent' });
  });
});

/** A KubeClient stand-in at the module's IO seam: each read returns the next status, then the last one; time is fake. */
function sequenceClient(statuses: unknown[]) {
  let t = 0;
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    get: async () => {
      const s = statuses[Math.min(reads, statuses.length - 1)];
      reads++;
      return s === 'absent' ? undefined : app(s);
    },
    retryPolicy: {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    },
  };
}

describe('argocdSynced: waits through the previous revision to the pushed one', () => {
  const task = (revision: () => string | undefined, timeoutMs = 60_000) => argocdSynced('synced', { namespace: 'argocd', app: 'devpi', revision, timeoutMs });

  it('keeps waiting while Argo CD reports the previous revision Synced and Healthy, and ends on the pushed one', async () => {
    const client = sequenceClient([
      st(OLD, 'Synced', 'Healthy'),
      st(OLD, 'Synced', 'Healthy'),
      st(NEW, 'OutOfSync', 'Healthy'),
      st(NEW, 'Synced', 'Progressing'),
      st(NEW, 'Synced', 'Healthy'),
    ]);
    const r = await runTask(
      task(() => NEW),
      { memo: { [CLIENT_KEY]: client } },
    );
    expect(r.outcome).toBe('ok');
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('Application argocd/devpi: Synced to bbbbbbbbbbbb and Healthy');
    expect(client.reads).toBe(5);
  });

  it('times out when only the previous revision is ever Synced and Healthy, saying what it last saw', async () => {
    const client = sequenceClient([st(OLD, 'Synced', 'Healthy')]);
    const r = await runTask(
      task(() => NEW, 5_000),
      { memo: { [CLIENT_KEY]: client } },
    );
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(
      /timed out after 5 s waiting for Argo CD to sync Application argocd\/devpi to bbbbbbbbbbbb; last seen: Argo CD last compared aaaaaaaaaaaa/,
    );
  });

  it('a failed sync of the pushed revision fails at once', async () => {
    const client = sequenceClient([st(NEW, 'OutOfSync', 'Missing', { phase: 'Failed', revision: NEW, message: 'the server rejected it' })]);
    const r = await runTask(
      task(() => NEW),
      { memo: { [CLIENT_KEY]: client } },
    );
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/sync of bbbbbbbbbbbb failed: the server rejected it/);
    expect(client.reads).toBe(1);
  });

  it('in a check run whose push is not applied, says what a real run waits for (no change, no read)', async () => {
    const client = sequenceClient([st(OLD, 'Synced', 'Healthy')]);
    const r = await runTask(
      task(() => {
        throw new UnknownUntilApplied('the result of "push" is known only after it is applied');
      }),
      { mode: 'check', memo: { [CLIENT_KEY]: client } },
    );
    expect(r.outcome).toBe('ok');
    expect(r.changes).toEqual([]);
    expect(r.reason).toMatch(/a real run waits until Argo CD reports the pushed commit Synced and Healthy/);
    expect(client.reads).toBe(0);
  });
});
