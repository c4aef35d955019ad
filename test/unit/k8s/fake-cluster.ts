import { KubeClient } from '../../../src/modules/k8s/client.ts';
import { CLIENT_KEY } from '../../../src/modules/k8s/context.ts';
import { targetOf } from '../../../src/modules/k8s/target.ts';
import type { KubeRequest, KubeResponse, Transport } from '../../../src/modules/k8s/transport.ts';
import type { KubeObject, ResourceInfo } from '../../../src/modules/k8s/types.ts';

/** Kinds the fake serves, as discovery reports them. */
const BUILTIN: Record<string, ResourceInfo[]> = {
  v1: [
    { kind: 'Namespace', plural: 'namespaces', namespaced: false },
    { kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
    { kind: 'Secret', plural: 'secrets', namespaced: true },
    { kind: 'Service', plural: 'services', namespaced: true },
  ],
  'apps/v1': [{ kind: 'Deployment', plural: 'deployments', namespaced: true }],
  'batch/v1': [{ kind: 'Job', plural: 'jobs', namespaced: true }],
  'apiextensions.k8s.io/v1': [{ kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false }],
};

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Server-side apply as far as the tests need it: maps merge, lists and scalars replace. */
function merge(live: unknown, patch: unknown): unknown {
  if (patch && typeof patch === 'object' && !Array.isArray(patch) && live && typeof live === 'object' && !Array.isArray(live)) {
    const out: Record<string, unknown> = { ...(live as Record<string, unknown>) };
    for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
    return out;
  }
  return clone(patch);
}

type Failure = { status: number; body?: unknown } | { code: string };

/** The field set of an apply as this fake merges it: maps field by field, anything else whole. */
function fieldSet(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [`f:${k}`, fieldSet(x)]));
}

/**
 * An in-memory API server behind the {@link Transport} seam: discovery, GET, server-side
 * apply (dry run or not), DELETE and list, with scripted failures and a request log.
 */
export class FakeCluster {
  readonly objects = new Map<string, KubeObject>();
  readonly kinds = new Map<string, ResourceInfo[]>(Object.entries(clone(BUILTIN)));
  readonly requests: KubeRequest[] = [];
  /** Scripted failures, consumed in order by the requests they match. */
  readonly failures: { match: (r: KubeRequest) => boolean; failure: Failure }[] = [];
  /** Overrides the dry-run result (desired, live) → what the server would store. */
  dryRun: ((desired: KubeObject, live: KubeObject | undefined) => KubeObject) | undefined;
  /**
   * Record helix's applies in managedFields as a real server does (operation Apply, the field
   * set of the manifest), so plans can prove a re-apply changes nothing. Off: a bare marker.
   */
  fieldSets = false;
  /** Called after every real (not dry-run) write: simulates controllers. */
  onWrite: ((obj: KubeObject) => void) | undefined;
  /** Called before an object is returned by a GET: simulates controllers making progress. */
  onGet: ((obj: KubeObject, target: string) => void) | undefined;
  #rv = 100;

  constructor(objects: KubeObject[] = []) {
    for (const o of objects) this.put(o);
  }

  put(o: KubeObject): void {
    const obj = clone(o);
    obj.metadata.uid ??= `uid-${obj.metadata.name}`;
    obj.metadata.resourceVersion = String(++this.#rv);
    this.objects.set(
      targetOf({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      }),
      obj,
    );
  }

  get(target: string): KubeObject | undefined {
    return this.objects.get(target);
  }

  fail(match: (r: KubeRequest) => boolean, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ match, failure });
  }

  client(retry: Partial<KubeClient['retryPolicy']> = {}): KubeClient {
    let now = 0;
    return new KubeClient(this.transport, {
      server: 'fake',
      retry: { now: () => now, sleep: async (ms) => void (now += ms), ...retry },
    });
  }

  /** The memo a task's context needs to use this cluster. */
  memo(client = this.client()): Record<string, unknown> {
    return { [CLIENT_KEY]: client };
  }

  #info(apiVersion: string, plural: string): ResourceInfo | undefined {
    return this.kinds.get(apiVersion)?.find((k) => k.plural === plural);
  }

  #status(status: number, reason: string, message: string): KubeResponse {
    return { status, body: { kind: 'Status', status: 'Failure', reason, message, code: status } };
  }

  readonly transport: Transport = async (req) => {
    this.requests.push(req);
    const i = this.failures.findIndex((f) => f.match(req));
    if (i >= 0) {
      const { failure } = this.failures.splice(i, 1)[0]!;
      if ('code' in failure) throw Object.assign(new Error(`connect ${failure.code}`), { code: failure.code });
      return { status: failure.status, body: failure.body ?? {} };
    }
    const m = /^\/(?:api|apis\/([^/]+))\/([^/]+)((?:\/[^/]+)*)$/.exec(req.path);
    if (!m) return this.#status(404, 'NotFound', `no route ${req.path}`);
    const apiVersion = m[1] ? `${m[1]}/${m[2]}` : m[2]!;
    const segs = (m[3] ?? '').split('/').filter(Boolean);
    const namespace = segs[0] === 'namespaces' && segs.length >= 3 ? segs[1] : undefined;
    const [plural, name] = namespace ? segs.slice(2) : segs;
    if (!plural) {
      const kinds = this.kinds.get(apiVersion);
      if (!kinds) return this.#status(404, 'NotFound', 'the server could not find the requested resource');
      return { status: 200, body: { resources: kinds.map((k) => ({ name: k.plural, kind: k.kind, namespaced: k.namespaced })) } };
    }
    const info = this.#info(apiVersion, plural);
    if (!info) return this.#status(404, 'NotFound', 'the server could not find the requested resource');
    const target = name ? targetOf({ apiVersion, kind: info.kind, name, ...(namespace ? { namespace } : {}) }) : '';
    const live = name ? this.objects.get(target) : undefined;
    if (req.method === 'GET' && !name) {
      const items = [...this.objects.values()].filter(
        (o) => o.apiVersion === apiVersion && o.kind === info.kind && (!namespace || o.metadata.namespace === namespace),
      );
      return { status: 200, body: { items: clone(items).map(({ apiVersion: _a, kind: _k, ...rest }) => rest) } };
    }
    if (req.method === 'GET') {
      if (live) this.onGet?.(live, target);
      const now = this.objects.get(target);
      return now ? { status: 200, body: clone(now) } : this.#status(404, 'NotFound', `${plural} "${name}" not found`);
    }
    if (req.method === 'DELETE') {
      if (!live) return this.#status(404, 'NotFound', `${plural} "${name}" not found`);
      if ((live.metadata.finalizers as string[] | undefined)?.length) {
        live.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
        return { status: 202, body: clone(live) };
      }
      this.objects.delete(target);
      return { status: 200, body: { kind: 'Status', status: 'Success' } };
    }
    if (req.method === 'PATCH') {
      if (namespace && !this.objects.has(targetOf({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))) {
        return this.#status(404, 'NotFound', `namespaces "${namespace}" not found`);
      }
      const desired = clone(req.body) as KubeObject;
      let after = this.dryRun ? this.dryRun(desired, clone(live)) : (merge(live ?? {}, desired) as KubeObject);
      if (after.kind === 'Secret' && after.stringData) {
        const data = { ...(after.data ?? {}) } as Record<string, string>;
        for (const [k, v] of Object.entries(after.stringData as Record<string, string>)) data[k] = Buffer.from(v).toString('base64');
        const { stringData: _s, ...rest } = after;
        after = { ...rest, data } as KubeObject;
      }
      const {
        apiVersion: _a,
        kind: _k,
        metadata: { name: _n, namespace: _ns, ...md },
        ...fields
      } = desired;
      const managedFields = this.fieldSets
        ? [
            {
              apiVersion,
              fieldsType: 'FieldsV1',
              manager: 'helix',
              operation: 'Apply',
              fieldsV1: fieldSet(Object.keys(md).length ? { ...fields, metadata: md } : fields),
            },
          ]
        : [{ manager: 'helix' }];
      after.metadata = { ...after.metadata, managedFields, resourceVersion: String(this.#rv + 1), uid: live?.metadata.uid ?? 'new' };
      if (req.query?.dryRun !== 'All') {
        this.put(after);
        this.onWrite?.(this.objects.get(target)!);
        return { status: live ? 200 : 201, body: clone(this.objects.get(target)) };
      }
      return { status: live ? 200 : 201, body: after };
    }
    return this.#status(405, 'MethodNotAllowed', req.method);
  };
}

export const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
export const cm = (name: string, namespace: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});
