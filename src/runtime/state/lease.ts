import { describeError } from '../errors.ts';
import { type KubeRest, statusOf } from '../kube/rest.ts';
import { type AcquiredLock, expired, type LockHolder, type LockInfo, LockHeldError, LockLostError, pause, type RunLock } from './lock.ts';

export const SYSTEM_NAMESPACE = 'helix-system';
const HOLDER_ANNOTATION = 'helix.dev/holder';

const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${SYSTEM_NAMESPACE}/leases`;

/** The parts of a `coordination.k8s.io/v1` Lease helix reads and writes. */
interface V1Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

/** A MicroTime as the API server wants it: RFC 3339 with six fractional digits. */
function microTime(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const ensured = new WeakMap<KubeRest, Promise<void>>();

/** Ensures the namespace helix keeps its locks and run records in (once per connection: the lock and the journal share it). */
export function ensureSystemNamespace(api: KubeRest): Promise<void> {
  let done = ensured.get(api);
  if (!done) {
    done = createSystemNamespace(api);
    ensured.set(api, done);
    done.catch(() => ensured.delete(api));
  }
  return done;
}

async function createSystemNamespace(api: KubeRest): Promise<void> {
  if (await api.get(`/api/v1/namespaces/${SYSTEM_NAMESPACE}`)) return;
  try {
    await api.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SYSTEM_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'helix' } },
    });
  } catch (e) {
    if (statusOf(e) !== 409) throw e;
  }
}

function toInfo(lease: V1Lease): LockInfo | undefined {
  const raw = lease.metadata?.annotations?.[HOLDER_ANNOTATION];
  if (!lease.spec?.holderIdentity || !raw) return undefined;
  const renewed = lease.spec.renewTime ?? lease.spec.acquireTime;
  return {
    holder: JSON.parse(raw) as LockHolder,
    renewedAt: renewed ? new Date(renewed).toISOString() : new Date(0).toISOString(),
    ttlSeconds: lease.spec.leaseDurationSeconds ?? 60,
  };
}

/**
 * The run lock as a `coordination.k8s.io/v1` Lease in `helix-system`: holder identity, host,
 * pid and start time, renewed while the run lives, taken over once it expires. Updates use the
 * Lease's resourceVersion, so two runners racing for it cannot both win.
 */
export class LeaseLock implements RunLock {
  readonly scope: string;
  readonly #name: string;
  readonly #api: KubeRest;

  constructor(api: KubeRest, scope: string) {
    this.scope = scope;
    this.#name = `helix-lock-${scope}`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 63)
      .replace(/-+$/, '');
    this.#api = api;
  }

  get #path(): string {
    return `${LEASES}/${this.#name}`;
  }

  #get(): Promise<V1Lease | undefined> {
    return this.#api.get<V1Lease>(this.#path);
  }

  async read(): Promise<LockInfo | undefined> {
    const lease = await this.#get();
    return lease ? toInfo(lease) : undefined;
  }

  #body(holder: LockHolder, ttlSeconds: number, resourceVersion?: string): V1Lease {
    const now = microTime();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.#name,
        namespace: SYSTEM_NAMESPACE,
        labels: { 'app.kubernetes.io/managed-by': 'helix' },
        annotations: { [HOLDER_ANNOTATION]: JSON.stringify(holder) },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec: { holderIdentity: holder.id, leaseDurationSeconds: ttlSeconds, acquireTime: now, renewTime: now },
    };
  }

  async acquire(holder: LockHolder, opts: { waitMs: number; ttlSeconds: number; onLost: (e: Error) => void }): Promise<AcquiredLock> {
    await ensureSystemNamespace(this.#api);
    const deadline = Date.now() + opts.waitMs;
    let takenOver: LockInfo | undefined;
    for (;;) {
      const lease = await this.#get();
      const info = lease ? toInfo(lease) : undefined;
      try {
        if (!lease) {
          await this.#api.create(LEASES, this.#body(holder, opts.ttlSeconds));
          break;
        }
        if (!info || expired(info)) {
          await this.#api.replace(this.#path, this.#body(holder, opts.ttlSeconds, lease.metadata?.resourceVersion));
          takenOver = info;
          break;
        }
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        continue; // someone else moved first: look again
      }
      if (Date.now() >= deadline) throw new LockHeldError(this.scope, info);
      await pause(Math.min(1000, Math.max(50, deadline - Date.now())));
    }

    let lost = false;
    let renewedAt = Date.now();
    let lastError: unknown;
    const loseLock = (why: string): void => {
      lost = true;
      clearInterval(timer);
      opts.onLost(new LockLostError(this.scope, why));
    };
    const renew = async (): Promise<void> => {
      const lease = await this.#get();
      if (lost) return;
      if (!lease || lease.spec?.holderIdentity !== holder.id) {
        const other = lease ? toInfo(lease)?.holder : undefined;
        return loseLock(other ? `another run took it over: ${other.user}@${other.host} pid ${other.pid} (${other.command})` : 'its Lease is gone');
      }
      lease.spec.renewTime = microTime();
      // The Lease's resourceVersion rides along: a runner that took it meanwhile makes this fail (409).
      await this.#api.replace(this.#path, lease);
      renewedAt = Date.now();
      lastError = undefined;
    };
    const intervalMs = Math.max(500, (opts.ttlSeconds * 1000) / 3);
    let inFlight: Promise<void> | undefined;
    const tick = (): Promise<void> =>
      (inFlight ??= renew()
        .catch((error: unknown) => {
          // A failed renewal is retried at the next tick, until the Lease would have expired: then
          // another run may take it over, and this one must not go on as if it held it.
          lastError = error;
          const since = Date.now() - renewedAt;
          if (!lost && since > opts.ttlSeconds * 1000) {
            loseLock(`could not renew it for ${Math.round(since / 1000)} s, longer than its ${opts.ttlSeconds} s lease (${describeError(lastError)})`);
          }
        })
        .finally(() => {
          inFlight = undefined;
        }));
    const timer = setInterval(() => void tick(), intervalMs);
    timer.unref();

    return {
      takenOver,
      confirm: async () => {
        if (!lost && Date.now() - renewedAt > intervalMs * 1.5) await tick();
      },
      release: async () => {
        clearInterval(timer);
        if (lost) return;
        const lease = await this.#get();
        if (lease?.spec?.holderIdentity === holder.id) {
          await this.#api.delete(this.#path);
        }
      },
    };
  }

  async forceRelease(): Promise<boolean> {
    return this.#api.delete(this.#path);
  }
}
