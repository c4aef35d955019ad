import { describe, expect, it } from 'vitest';
import { KubeRest } from '../../../src/runtime/kube/rest.ts';
import type { KubeRequest, KubeResponse } from '../../../src/runtime/kube/transport.ts';
import { LeaseLock } from '../../../src/runtime/state/lease.ts';
import { LockLostError, newHolder } from '../../../src/runtime/state/lock.ts';

type Obj = { metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> }; spec?: { holderIdentity?: string } };

/** The API server at the IO seam: namespaces and Leases, with resourceVersion checks on PUT; `down` makes every request fail. */
class FakeApi {
  readonly objects = new Map<string, Obj>();
  down = false;
  #rv = 1;

  transport = async (req: KubeRequest): Promise<KubeResponse> => {
    if (this.down) return { status: 503, body: { message: 'the server is currently unable to handle the request' } } as KubeResponse;
    const body = req.body as Obj | undefined;
    switch (req.method) {
      case 'GET': {
        const o = this.objects.get(req.path);
        return (o ? { status: 200, body: structuredClone(o) } : { status: 404, body: { message: 'not found' } }) as KubeResponse;
      }
      case 'POST': {
        const path = `${req.path}/${body!.metadata.name}`;
        if (this.objects.has(path)) return { status: 409, body: { message: 'already exists' } } as KubeResponse;
        return this.#store(path, body!);
      }
      case 'PUT': {
        const live = this.objects.get(req.path);
        if (!live) return { status: 404, body: {} } as KubeResponse;
        if (body!.metadata.resourceVersion !== live.metadata.resourceVersion)
          return { status: 409, body: { message: 'the object has been modified' } } as KubeResponse;
        return this.#store(req.path, body!);
      }
      case 'DELETE':
        return (this.objects.delete(req.path) ? { status: 200, body: {} } : { status: 404, body: {} }) as KubeResponse;
      default:
        return { status: 405, body: {} } as KubeResponse;
    }
  };

  #store(path: string, o: Obj): KubeResponse {
    const stored = structuredClone({ ...o, metadata: { ...o.metadata, resourceVersion: String(++this.#rv) } });
    this.objects.set(path, stored);
    return { status: 200, body: structuredClone(stored) } as KubeResponse;
  }

  /** Another runner takes the Lease over (as after an expiry): a new holder, a new resourceVersion. */
  steal(path: string): void {
    const lease = this.objects.get(path)!;
    const thief = { ...newHolder('helix play demo --env prod'), user: 'ci', host: 'runner-9', pid: 4242 };
    this.#store(path, {
      ...lease,
      metadata: { ...lease.metadata, annotations: { 'helix.dev/holder': JSON.stringify(thief) } },
      spec: { ...lease.spec, holderIdentity: thief.id },
    });
  }
}

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/helix-system/leases/helix-lock-demo-prod';

/** Collects the lock's onLost calls; `next` settles on the first. */
function watcher(): { onLost: (e: Error) => void; errors: Error[]; first: Promise<Error> } {
  const errors: Error[] = [];
  let settle: (e: Error) => void = () => undefined;
  const first = new Promise<Error>((r) => (settle = r));
  return {
    errors,
    first,
    onLost: (e) => {
      errors.push(e);
      settle(e);
    },
  };
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('Lease run lock: a run that can no longer count on its lock is told so', () => {
  it('a Lease taken over by another runner mid-run: lost at the next renewal, naming the new holder', async () => {
    const api = new FakeApi();
    const w = watcher();
    const got = await new LeaseLock(new KubeRest(api.transport), 'demo-prod').acquire(newHolder('helix play demo'), {
      waitMs: 0,
      ttlSeconds: 1,
      onLost: w.onLost,
    });
    api.steal(LEASE);
    const error = await within(w.first, 3_000);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as Error).message).toMatch(
      /^lost the run lock demo-prod: another run took it over: ci@runner-9 pid 4242 \(helix play demo --env prod\); stopped before the next task/,
    );
    await got.release();
    expect(api.objects.get(LEASE)?.spec?.holderIdentity, "release leaves the thief's Lease alone").not.toBe(undefined);
    expect(w.errors).toHaveLength(1);
  });

  it('renewals that keep failing: lost once the Lease would have expired (not swallowed), with the last error', async () => {
    const api = new FakeApi();
    const w = watcher();
    const got = await new LeaseLock(new KubeRest(api.transport), 'demo-prod').acquire(newHolder('helix play demo'), {
      waitMs: 0,
      ttlSeconds: 1,
      onLost: w.onLost,
    });
    api.down = true;
    const started = Date.now();
    const error = await within(w.first, 4_000);
    expect(error).toBeInstanceOf(LockLostError);
    expect(Date.now() - started, 'not before the lease time').toBeGreaterThanOrEqual(900);
    expect((error as Error).message).toMatch(
      /^lost the run lock demo-prod: could not renew it for \d+ s, longer than its 1 s lease \(GET .*leases\/helix-lock-demo-prod: 503 the server is currently unable to handle the request\); stopped before the next task/,
    );
    api.down = false;
    await got.release();
    expect(w.errors).toHaveLength(1);
  });

  it('a renewal that fails once and then succeeds keeps the lock', async () => {
    const api = new FakeApi();
    const w = watcher();
    const got = await new LeaseLock(new KubeRest(api.transport), 'demo-prod').acquire(newHolder('helix play demo'), {
      waitMs: 0,
      ttlSeconds: 3,
      onLost: w.onLost,
    });
    api.down = true;
    await new Promise((r) => setTimeout(r, 1_200)); // one failed renewal (every 1 s)
    api.down = false;
    expect(await within(w.first, 2_500)).toBe('timeout');
    await got.release();
    expect(api.objects.has(LEASE)).toBe(false);
  });
});
