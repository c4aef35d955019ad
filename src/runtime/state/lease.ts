import { ApiException, CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { HelixError } from '../errors.ts';
import { type AcquiredLock, expired, type LockHolder, type LockInfo, LockHeldError, pause, type RunLock } from './lock.ts';

export const SYSTEM_NAMESPACE = 'helix-system';
const HOLDER_ANNOTATION = 'helix.dev/holder';

function code(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Ensures the namespace helix keeps its locks and run records in. */
export async function ensureSystemNamespace(core: CoreV1Api): Promise<void> {
  try {
    await core.readNamespace({ name: SYSTEM_NAMESPACE });
  } catch (error) {
    if (code(error) !== 404) throw error;
    try {
      await core.createNamespace({
        body: { metadata: { name: SYSTEM_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'helix' } } },
      });
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
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
  readonly #leases: CoordinationV1Api;
  readonly #core: CoreV1Api;

  constructor(kc: KubeConfig, scope: string) {
    this.scope = scope;
    this.#name = `helix-lock-${scope}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');
    this.#leases = kc.makeApiClient(CoordinationV1Api);
    this.#core = kc.makeApiClient(CoreV1Api);
  }

  async #get(): Promise<V1Lease | undefined> {
    try {
      return await this.#leases.readNamespacedLease({ name: this.#name, namespace: SYSTEM_NAMESPACE });
    } catch (error) {
      if (code(error) === 404) return undefined;
      throw error;
    }
  }

  async read(): Promise<LockInfo | undefined> {
    const lease = await this.#get();
    return lease ? toInfo(lease) : undefined;
  }

  #body(holder: LockHolder, ttlSeconds: number, resourceVersion?: string): V1Lease {
    const now = new V1MicroTime();
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
    await ensureSystemNamespace(this.#core);
    const deadline = Date.now() + opts.waitMs;
    let takenOver: LockInfo | undefined;
    for (;;) {
      const lease = await this.#get();
      const info = lease ? toInfo(lease) : undefined;
      try {
        if (!lease) {
          await this.#leases.createNamespacedLease({ namespace: SYSTEM_NAMESPACE, body: this.#body(holder, opts.ttlSeconds) });
          break;
        }
        if (!info || expired(info)) {
          await this.#leases.replaceNamespacedLease({
            name: this.#name,
            namespace: SYSTEM_NAMESPACE,
            body: this.#body(holder, opts.ttlSeconds, lease.metadata?.resourceVersion),
          });
          takenOver = info;
          break;
        }
      } catch (error) {
        if (code(error) !== 409) throw error;
        continue; // someone else moved first: look again
      }
      if (Date.now() >= deadline) throw new LockHeldError(this.scope, info);
      await pause(Math.min(1000, Math.max(50, deadline - Date.now())));
    }

    let lost = false;
    const renew = async (): Promise<void> => {
      const lease = await this.#get();
      if (!lease || lease.spec?.holderIdentity !== holder.id) {
        lost = true;
        clearInterval(timer);
        opts.onLost(new HelixError(`lost the run lock ${this.scope}`));
        return;
      }
      lease.spec.renewTime = new V1MicroTime();
      await this.#leases.replaceNamespacedLease({ name: this.#name, namespace: SYSTEM_NAMESPACE, body: lease });
    };
    const timer = setInterval(() => {
      renew().catch(() => {
        /* a failed renewal is retried at the next tick; expiry is what protects others */
      });
    }, Math.max(500, (opts.ttlSeconds * 1000) / 3));
    timer.unref();

    return {
      takenOver,
      release: async () => {
        clearInterval(timer);
        if (lost) return;
        const lease = await this.#get();
        if (lease?.spec?.holderIdentity === holder.id) {
          try {
            await this.#leases.deleteNamespacedLease({ name: this.#name, namespace: SYSTEM_NAMESPACE });
          } catch (error) {
            if (code(error) !== 404) throw error;
          }
        }
      },
    };
  }

  async forceRelease(): Promise<boolean> {
    try {
      await this.#leases.deleteNamespacedLease({ name: this.#name, namespace: SYSTEM_NAMESPACE });
      return true;
    } catch (error) {
      if (code(error) === 404) return false;
      throw error;
    }
  }
}
