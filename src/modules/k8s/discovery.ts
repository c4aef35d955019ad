import { KubeApiError } from './api-error.ts';
import type { ResourceInfo } from './types.ts';

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

type Kinds = ReadonlyMap<string, ResourceInfo>;

/**
 * Which kinds the server serves, per group version, cached for the run. A kind that is not
 * found re-reads its group version once (a CRD may have been applied by something else);
 * {@link Discovery.invalidate} drops the cache after helix applies a CRD.
 */
export class Discovery {
  readonly #fetch: (path: string) => Promise<unknown>;
  readonly #cache = new Map<string, Promise<Kinds>>();
  /** Requests made, for tests and debugging. */
  fetches = 0;

  constructor(fetch: (path: string) => Promise<unknown>) {
    this.#fetch = fetch;
  }

  invalidate(): void {
    this.#cache.clear();
  }

  async #load(apiVersion: string): Promise<Kinds> {
    this.fetches++;
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const list = (await this.#fetch(path)) as ApiResourceList;
      const kinds = new Map<string, ResourceInfo>();
      for (const r of list.resources ?? []) {
        if (r.name.includes('/')) continue; // subresources: deployments/scale
        kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced, kind: r.kind });
      }
      return kinds;
    } catch (error) {
      if (error instanceof KubeApiError && error.notFound) return new Map();
      throw error;
    }
  }

  #kinds(apiVersion: string, fresh: boolean): Promise<Kinds> {
    let p = fresh ? undefined : this.#cache.get(apiVersion);
    if (!p) {
      p = this.#load(apiVersion);
      p.catch(() => this.#cache.delete(apiVersion));
      this.#cache.set(apiVersion, p);
    }
    return p;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const cached = this.#cache.has(apiVersion);
    const found = (await this.#kinds(apiVersion, false)).get(kind);
    if (found || !cached) return found;
    return (await this.#kinds(apiVersion, true)).get(kind);
  }
}
