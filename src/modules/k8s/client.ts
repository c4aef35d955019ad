import { ConfigError } from '../../runtime/errors.ts';
import { KubeApiError, KubeUnreachable, networkCode } from './api-error.ts';
import { Discovery } from './discovery.ts';
import { revealManifest } from './manifest.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.ts';
import { describeRef, targetOf } from './target.ts';
import type { KubeRequest, KubeResponse, Transport } from './transport.ts';
import type { KubeObject, KubeRef, Manifest, ResourceInfo } from './types.ts';

/** The field manager of every server-side apply helix makes. */
export const FIELD_MANAGER = 'helix';
/** Content type of a server-side apply patch. */
const APPLY_PATCH = 'application/apply-patch+yaml';

export type Propagation = 'Foreground' | 'Background' | 'Orphan';

export interface ListOptions {
  /** Absent: every namespace (for namespaced kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * The API server as helix uses it: a few verbs over a {@link Transport}, with retries
 * (unreachable, 429, 5xx, concurrency conflicts) up to a deadline, per-run discovery, and
 * errors that carry the server's one-line message, never a raw body.
 */
export class KubeClient {
  readonly server: string;
  readonly discovery: Discovery;
  readonly #transport: Transport;
  readonly #retry: RetryPolicy;

  constructor(transport: Transport, opts: { server?: string; retry?: Partial<RetryPolicy> } = {}) {
    this.#transport = transport;
    this.server = opts.server ?? 'kubernetes';
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.discovery = new Discovery((path) => this.#raw('discovery', `k8s:${this.server}`, { method: 'GET', path }));
  }

  get retryPolicy(): RetryPolicy {
    return this.#retry;
  }

  /** One request, retried while the server is unreachable or busy. Throws KubeApiError / KubeUnreachable. */
  async #raw(what: string, target: string, req: KubeRequest, signal?: AbortSignal): Promise<unknown> {
    return withRetry(
      this.#retry,
      async () => {
        let res: KubeResponse;
        try {
          res = await this.#transport(req, signal);
        } catch (error) {
          const code = networkCode(error);
          if (code) throw new KubeUnreachable(target, what, code);
          throw error;
        }
        if (res.status >= 200 && res.status < 300) return res.body;
        throw new KubeApiError(target, what, res.status, res.body, res.retryAfter);
      },
      signal,
    );
  }

  /** The resource a kind maps to, or undefined when the server does not serve it (yet). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.discovery.resource(apiVersion, kind);
  }

  /** Resolves the kind, failing clearly when the server does not know it. */
  async #require(ref: KubeRef): Promise<ResourceInfo> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    if (!info)
      throw new KubeApiError(targetOf(ref), `${ref.apiVersion} ${ref.kind}`, 404, {
        reason: 'NotFound',
        message: `the server has no resource kind ${ref.kind} in ${ref.apiVersion}`,
      });
    return info;
  }

  /** The URL path of an object (or of its collection when `name` is absent). */
  path(ref: Omit<KubeRef, 'name'> & { name?: string }, info: ResourceInfo): string {
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    let p = base;
    if (info.namespaced) {
      if (ref.name !== undefined && !ref.namespace) {
        throw new ConfigError(
          `${ref.kind} ${ref.name} is namespaced: give metadata.namespace (or the task's namespace option)`,
          targetOf({ ...ref, name: ref.name }),
        );
      }
      if (ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
    }
    p += `/${info.plural}`;
    if (ref.name !== undefined) p += `/${encodeURIComponent(ref.name)}`;
    return p;
  }

  /** Reads an object; undefined when it (or its kind) does not exist. */
  async get(ref: KubeRef, signal?: AbortSignal): Promise<KubeObject | undefined> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    if (!info) return undefined;
    try {
      return (await this.#raw(`read ${describeRef(ref)}`, targetOf(ref), { method: 'GET', path: this.path(ref, info) }, signal)) as KubeObject;
    } catch (error) {
      if (error instanceof KubeApiError && error.notFound) return undefined;
      throw error;
    }
  }

  /** Lists objects of a kind; empty when the kind is not served. */
  async list(apiVersion: string, kind: string, opts: ListOptions = {}, signal?: AbortSignal): Promise<KubeObject[]> {
    const info = await this.resource(apiVersion, kind);
    if (!info) return [];
    const ref = { apiVersion, kind, ...(opts.namespace && info.namespaced ? { namespace: opts.namespace } : {}) };
    const list = (await this.#raw(
      `list ${kind}`,
      `k8s:${apiVersion}/${kind}`,
      { method: 'GET', path: this.path(ref, info), query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector } },
      signal,
    )) as { items?: KubeObject[] };
    return (list.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
  }

  /**
   * Server-side apply with field manager `helix` and strict field validation. Secret values
   * in the manifest are revealed only into the request body. `dryRun` asks the server what
   * the object would become without persisting it.
   */
  async apply(manifest: Manifest, opts: { dryRun?: boolean; force?: boolean; signal?: AbortSignal } = {}): Promise<KubeObject> {
    const ref = {
      apiVersion: manifest.apiVersion,
      kind: manifest.kind,
      name: manifest.metadata.name,
      ...(manifest.metadata.namespace ? { namespace: manifest.metadata.namespace } : {}),
    };
    const info = await this.#require(ref);
    const what = `${opts.dryRun ? 'dry-run apply' : 'apply'} ${describeRef(ref)}`;
    return (await this.#raw(
      what,
      targetOf(ref),
      {
        method: 'PATCH',
        path: this.path(ref, info),
        query: {
          fieldManager: FIELD_MANAGER,
          fieldValidation: 'Strict',
          ...(opts.force ? { force: 'true' } : {}),
          ...(opts.dryRun ? { dryRun: 'All' } : {}),
        },
        contentType: APPLY_PATCH,
        body: revealManifest(manifest),
      },
      opts.signal,
    )) as KubeObject;
  }

  /** Deletes an object; `absent` when it was already gone. */
  /** The last lines a pod's container wrote (of its previous run with `previous`; all with `tailLines: 'all'`); '' when there are none. */
  async logs(
    namespace: string,
    pod: string,
    opts: { container?: string; tailLines?: number | 'all'; previous?: boolean } = {},
    signal?: AbortSignal,
  ): Promise<string> {
    const body = await this.#raw(
      `read the log of pod ${namespace}/${pod}`,
      `k8s:v1/Pod/${namespace}/${pod}`,
      {
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
        query: {
          container: opts.container,
          tailLines: opts.tailLines === 'all' ? undefined : String(opts.tailLines ?? 10),
          previous: opts.previous ? 'true' : undefined,
        },
      },
      signal,
    );
    return typeof body === 'string' ? body : JSON.stringify(body);
  }

  async delete(ref: KubeRef, opts: { propagation?: Propagation; signal?: AbortSignal } = {}): Promise<'deleted' | 'absent'> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    if (!info) return 'absent';
    try {
      await this.#raw(
        `delete ${describeRef(ref)}`,
        targetOf(ref),
        {
          method: 'DELETE',
          path: this.path(ref, info),
          body: { apiVersion: 'v1', kind: 'DeleteOptions', ...(opts.propagation ? { propagationPolicy: opts.propagation } : {}) },
        },
        opts.signal,
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof KubeApiError && error.notFound) return 'absent';
      throw error;
    }
  }
}
