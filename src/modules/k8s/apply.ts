import type { Change } from '../../runtime/change.ts';
import { ConfigError, TargetError } from '../../runtime/errors.ts';
import { defineTask, noChange, type Plan, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import { sourceAccess, VERBS } from './access.ts';
import { KubeApiError } from './api-error.ts';
import type { KubeClient } from './client.ts';
import { declaredCrds, k8sClient } from './context.ts';
import { describeChange, renderDiff } from './diff.ts';
import { guardSecretValues, plainSecretValues } from './facts.ts';
import { orderForApply } from './manifest.ts';
import { liveObjects, readLive } from './live.ts';
import { deepEqual, stripNoise } from './normalize.ts';
import { declaredObjects, withOwnership } from './ownership.ts';
import { DEFAULT_WAIT_MS } from './poll.ts';
import { waitUntilReady } from './ready.ts';
import { isStaticSource, loadSource, type ManifestSource, sourceProblem } from './source.ts';
import { crdTarget, describeRef, namespaceTarget, refOf, splitApiVersion, targetOf } from './target.ts';
import type { KubeObject, KubeRef, Manifest } from './types.ts';
import { appliedAlready } from './unchanged.ts';
import { checkManifest, manifestLabel, NAMESPACED_KINDS } from './validate.ts';

/** How long a CRD may take to be established after it is applied. */
const CRD_ESTABLISH_MS = 60_000;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface ApplyOptions extends ManifestSource, TaskOptions<KubeObject[]> {
  /** Namespace of namespaced objects whose manifest names none. */
  namespace?: string;
  /**
   * Take over fields another field manager owns (server-side apply `force`). Without it, a
   * conflict fails the task and names the fields and their managers.
   * @default false
   */
  force?: boolean;
  /**
   * Wait until what was applied is ready: Deployments, StatefulSets and DaemonSets rolled
   * out, Jobs complete, CRDs established, Pods ready. `true` waits up to 5 minutes.
   * @default false
   */
  wait?: boolean | { timeoutMs?: number };
  /**
   * Create the objects that do not exist and leave existing ones as they are: one-shot objects
   * a controller takes over once submitted (an Argo Workflow, whose spec the controller
   * rewrites). An existing object is reported unchanged, whatever it holds.
   * @default false
   */
  createOnly?: boolean;
}

/** One object of the task: what it is, what the server says it would become, what changes. */
interface Planned {
  manifest: Manifest;
  ref: KubeRef;
  target: string;
  live: KubeObject | undefined;
  /** The dry-run result, or the manifest when the server cannot dry-run it yet. */
  after: KubeObject;
  change: Change | undefined;
}

function isDuplicate(seen: Set<string>, m: Manifest): boolean {
  const key = targetOf(refOf(m));
  if (seen.has(key)) return true;
  seen.add(key);
  return false;
}

/** Checks the documents and gives known namespaced kinds the task's default namespace. */
function toManifests(docs: readonly unknown[], namespace: string | undefined): { manifests: Manifest[]; problems: string[] } {
  const problems: string[] = [];
  const manifests: Manifest[] = [];
  const seen = new Set<string>();
  docs.forEach((doc, i) => {
    const found = checkManifest(doc, i, namespace ? { defaultNamespace: namespace } : {});
    if (found.length) return problems.push(...found);
    let m = doc as Manifest;
    if (!m.metadata.namespace && namespace && NAMESPACED_KINDS.has(m.kind)) m = { ...m, metadata: { ...m.metadata, namespace } };
    if (isDuplicate(seen, m)) return problems.push(`${manifestLabel(m, i)}: given twice`);
    manifests.push(m);
  });
  if (docs.length === 0) problems.push('no manifests found');
  return { manifests, problems };
}

/** Sets or drops the namespace once discovery says whether the kind is namespaced. */
function placeNamespace(m: Manifest, namespaced: boolean, fallback: string | undefined): Manifest {
  const { namespace, ...md } = m.metadata;
  if (!namespaced) return namespace === undefined ? m : { ...m, metadata: md as Manifest['metadata'] };
  if (namespace) return m;
  if (!fallback) throw new ConfigError(`${m.kind} ${m.metadata.name} is namespaced: give metadata.namespace (or the task's namespace option)`);
  return { ...m, metadata: { ...m.metadata, namespace: fallback } };
}

function conflict(target: string, error: KubeApiError): TargetError {
  return new TargetError(
    target,
    `server-side apply conflicts with fields owned by other field managers (${error.fieldConflicts.join('; ')}); ` +
      'set force: true to take them over, or leave those fields out of the manifest',
  );
}

const NAMESPACE_NOT_FOUND = /^namespaces "[^"]+" not found/;

/**
 * The preflight check of one object: the server's dry run, with strict field validation.
 * Schema and validation errors (and a forbidden request) are problems. The server answers
 * "namespace not found" before it validates, so an object in a namespace an earlier task
 * will create is dry-run once more in `default`: validation does not depend on the namespace.
 */
async function dryRunProblem(client: KubeClient, desired: Manifest, force: boolean, signal: AbortSignal): Promise<string | undefined> {
  for (const m of [desired, { ...desired, metadata: { ...desired.metadata, namespace: 'default' } }]) {
    try {
      await client.apply(m, { dryRun: true, force, signal });
      return undefined;
    } catch (error) {
      if (!(error instanceof KubeApiError)) throw error;
      if (error.invalid || error.status === 403) {
        return `${describeRef(refOf(desired))} rejected by the API server: ${error.detail || `${error.status} ${error.reason}`}`;
      }
      if (error.status === 409) return undefined; // a field manager conflict: the plan reports it
      if (error.status !== 404) throw error;
      if (!desired.metadata.namespace || desired.metadata.namespace === 'default' || !NAMESPACE_NOT_FOUND.test(error.detail)) return undefined;
    }
  }
  return undefined;
}

/**
 * Server-side apply (field manager `helix`) of one or many manifests, in dependency order
 * (Namespaces and CRDs first). The plan asks the server for a dry run and compares it with
 * the live object without server-managed noise, so "changed" means the server would store
 * something different; a check run is this plan, not applied. The result is every object
 * as the server returned it, in apply order.
 */
export function apply(name: string, options: ApplyOptions): Task<KubeObject[]> {
  const [own, common] = splitOptions(options);
  const force = own.force === true;
  const waitMs = own.wait === undefined || own.wait === false ? undefined : own.wait === true ? DEFAULT_WAIT_MS : (own.wait.timeoutMs ?? DEFAULT_WAIT_MS);
  let staticDocs: unknown[] | undefined;

  const manifestsFor = (ctx: TaskContext): Manifest[] => {
    const docs = isStaticSource(own) ? (staticDocs ??= loadSource(own)) : loadSource(own, ctx);
    const { manifests, problems } = toManifests(docs, own.namespace);
    if (problems.length) throw new ConfigError(problems.join('; '));
    return manifests.map((m) => withOwnership(m, ctx.env));
  };

  /** Plans one object; `createdHere` holds the targets this task creates before it. */
  const planObject = async (ctx: TaskContext, client: KubeClient, m: Manifest, createdHere: ReadonlySet<string>): Promise<Planned> => {
    const plannedCreate = (manifest: Manifest, why: string): Planned => {
      const ref = refOf(manifest);
      const target = targetOf(ref);
      const diff = renderDiff(undefined, manifest as KubeObject, plainSecretValues(manifest));
      return { manifest, ref, target, live: undefined, after: manifest as KubeObject, change: { target, action: 'create', summary: why, diff } };
    };
    const info = await client.resource(m.apiVersion, m.kind);
    if (!info) {
      const { group } = splitApiVersion(m.apiVersion);
      const crd = declaredCrds(ctx).get(`${group}/${m.kind}`);
      const crdT = crd && crdTarget(crd.name);
      if (crd && crdT && (createdHere.has(crdT) || ctx.plannedCreate(crdT))) {
        return plannedCreate(placeNamespace(m, crd.namespaced, own.namespace), `its CustomResourceDefinition ${crd.name} is created earlier in this run`);
      }
      throw new TargetError(targetOf(refOf(m)), `the API server does not serve kind ${m.kind} in ${m.apiVersion} (is its CustomResourceDefinition installed?)`);
    }
    const desired = placeNamespace(m, info.namespaced, own.namespace);
    const ref = refOf(desired);
    const target = targetOf(ref);
    // A Secret's keys set to plain text are not secrets: only values from secret sources are masked.
    const plain = plainSecretValues(desired);
    const live = await readLive(ctx, ref, plain);
    // helix's last apply set exactly these fields to these values: an apply would store nothing new.
    if (live && (own.createOnly || appliedAlready(desired, live))) return { manifest: desired, ref, target, live, after: live, change: undefined };
    let after: KubeObject;
    try {
      after = guardSecretValues(await client.apply(desired, { dryRun: true, force, signal: ctx.signal }), plain);
    } catch (error) {
      if (error instanceof KubeApiError && error.notFound && !live && ref.namespace) {
        const nsTarget = namespaceTarget(ref.namespace);
        if (createdHere.has(nsTarget) || ctx.plannedCreate(nsTarget))
          return plannedCreate(desired, `namespace ${ref.namespace} is created earlier in this run`);
        throw new TargetError(target, `namespace ${ref.namespace} does not exist (${error.detail || 'not found'})`);
      }
      if (error instanceof KubeApiError && error.fieldConflicts.length) throw conflict(target, error);
      throw error;
    }
    if (live && deepEqual(stripNoise(live), stripNoise(after))) return { manifest: desired, ref, target, live, after: live, change: undefined };
    const change: Change = { target, action: live ? 'update' : 'create', diff: renderDiff(live, after, plain) };
    if (live) change.summary = describeChange(live, after);
    return { manifest: desired, ref, target, live, after, change };
  };

  const applyOne = async (ctx: TaskContext, client: KubeClient, p: Planned): Promise<KubeObject> => {
    let obj: KubeObject;
    try {
      obj = guardSecretValues(await client.apply(p.manifest, { force, signal: ctx.signal }), plainSecretValues(p.manifest));
    } catch (error) {
      if (error instanceof KubeApiError && error.fieldConflicts.length) throw conflict(p.target, error);
      throw error;
    }
    if (obj.kind === 'CustomResourceDefinition') {
      await waitUntilReady(client, [obj], CRD_ESTABLISH_MS, ctx.signal);
      await waitUntilServed(client, obj, CRD_ESTABLISH_MS, ctx.signal);
    }
    return obj;
  };

  return defineTask<KubeObject[]>({
    kind: 'k8s.apply',
    name,
    options: common,
    kubeAccess: () => sourceAccess(own, own.namespace, VERBS.apply),
    validate: (report) => {
      const p = sourceProblem(own);
      if (p) return report(p);
      if (own.namespace !== undefined && !NAMESPACE.test(own.namespace)) report(`namespace "${own.namespace}" must be a DNS-1123 label`);
      if (typeof own.wait === 'object' && own.wait.timeoutMs !== undefined && !(own.wait.timeoutMs > 0)) report('wait.timeoutMs must be positive');
      if (!isStaticSource(own)) return;
      try {
        staticDocs ??= loadSource(own);
      } catch (error) {
        return report((error as Error).message);
      }
      toManifests(staticDocs, own.namespace).problems.forEach(report);
    },
    preflight: async (ctx) => {
      if (!isStaticSource(own)) return [];
      const client = k8sClient(ctx);
      const problems: string[] = [];
      for (const m of orderForApply(manifestsFor(ctx))) {
        const info = await client.resource(m.apiVersion, m.kind);
        if (!info) continue; // a custom resource whose CRD an earlier task may create: the plan decides
        let desired: Manifest;
        try {
          desired = placeNamespace(m, info.namespaced, own.namespace);
        } catch (error) {
          problems.push((error as Error).message);
          continue;
        }
        const live = await readLive(ctx, refOf(desired), plainSecretValues(desired));
        if (live && (own.createOnly || appliedAlready(desired, live))) continue; // nothing to apply, so nothing the server could reject
        const problem = await dryRunProblem(client, desired, force, ctx.signal);
        if (problem) problems.push(problem);
      }
      return problems;
    },
    plan: async (ctx): Promise<Plan<KubeObject[]>> => {
      const manifests = orderForApply(manifestsFor(ctx));
      const client = k8sClient(ctx);
      const crds = declaredCrds(ctx);
      for (const m of manifests) {
        if (m.kind !== 'CustomResourceDefinition') continue;
        const spec = (m.spec ?? {}) as { group?: string; scope?: string; names?: { kind?: string } };
        if (spec.group && spec.names?.kind) crds.set(`${spec.group}/${spec.names.kind}`, { name: m.metadata.name, namespaced: spec.scope !== 'Cluster' });
      }
      const createdHere = new Set<string>();
      const planned: Planned[] = [];
      for (const m of manifests) {
        const p = await planObject(ctx, client, m, createdHere);
        if (p.change?.action === 'create') createdHere.add(p.target);
        declaredObjects(ctx).add(p.target);
        planned.push(p);
      }
      const changes = planned.flatMap((p) => (p.change ? [p.change] : []));
      if (changes.length === 0) {
        const live = planned.map((p) => p.live!);
        const one = planned.length === 1;
        const what = one ? `${describeRef(planned[0]!.ref)} already matches` : `${planned.length} objects already match`;
        if (waitMs === undefined) return noChange(what, live);
        const ready = await waitUntilReady(client, live, waitMs, ctx.signal);
        return noChange(`${what} and ${one ? 'is' : 'are'} ready`, ready);
      }
      return {
        changes,
        predicted: planned.map((p) => p.after),
        apply: async () => {
          const results: KubeObject[] = [];
          for (const p of planned) results.push(p.change ? await applyOne(ctx, client, p) : p.live!);
          liveObjects(ctx).wrote(results, ctx.generation?.());
          return waitMs === undefined ? results : waitUntilReady(client, results, waitMs, ctx.signal);
        },
      };
    },
  });
}

/**
 * Established is not yet served: the API server updates its discovery documents a moment after
 * a CRD is established, and a resource of it applied in between is refused. Waits until every
 * served version of the CRD's kind is in discovery.
 */
async function waitUntilServed(client: KubeClient, crd: KubeObject, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const group = crd.spec?.group as string | undefined;
  const kind = crd.spec?.names?.kind as string | undefined;
  const versions = ((crd.spec?.versions ?? []) as { name: string; served?: boolean }[]).filter((v) => v.served !== false).map((v) => `${group}/${v.name}`);
  if (!group || !kind) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    client.discovery.invalidate();
    const found = await Promise.all(versions.map((v) => client.resource(v, kind)));
    if (found.every(Boolean)) return;
    if (Date.now() > deadline || signal?.aborted) {
      throw new TargetError(
        targetOf(refOf(crd)),
        `CustomResourceDefinition is Established but the API server does not serve ${kind} in ${versions.join(', ')} after ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
