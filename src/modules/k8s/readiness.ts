import type { KubeObject } from './types.ts';

/** What a poll of an object says: done, keep waiting, or stop (it can no longer succeed). */
export interface Observation {
  state: 'ready' | 'waiting' | 'failed';
  /** What was seen, for the reason or the timeout error: `1 of 2 updated replicas available`. */
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export function conditionOf(obj: KubeObject, type: string): Condition | undefined {
  const list = (obj.status?.conditions ?? []) as Condition[];
  return Array.isArray(list) ? list.find((c) => c.type === type) : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function generationSeen(obj: KubeObject): boolean {
  const generation = obj.metadata.generation;
  return typeof generation !== 'number' || num(obj.status?.observedGeneration) >= generation;
}

/** A Deployment is rolled out when the controller saw the spec and every replica is updated and available. */
function deployment(obj: KubeObject): Observation {
  if (!generationSeen(obj)) return { state: 'waiting', message: 'the controller has not seen the latest spec yet' };
  const progressing = conditionOf(obj, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', message: `rollout exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
  }
  const want = typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1;
  const s = obj.status ?? {};
  if (num(s.updatedReplicas) < want) return { state: 'waiting', message: `${num(s.updatedReplicas)} of ${want} replicas updated` };
  if (num(s.replicas) > num(s.updatedReplicas))
    return { state: 'waiting', message: `${num(s.replicas) - num(s.updatedReplicas)} old replicas pending termination` };
  if (num(s.availableReplicas) < num(s.updatedReplicas))
    return { state: 'waiting', message: `${num(s.availableReplicas)} of ${num(s.updatedReplicas)} updated replicas available` };
  return { state: 'ready', message: `${want} of ${want} replicas updated and available` };
}

function statefulSet(obj: KubeObject): Observation {
  if (!generationSeen(obj)) return { state: 'waiting', message: 'the controller has not seen the latest spec yet' };
  const want = typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1;
  const s = obj.status ?? {};
  if (num(s.readyReplicas) < want) return { state: 'waiting', message: `${num(s.readyReplicas)} of ${want} replicas ready` };
  const strategy = obj.spec?.updateStrategy ?? {};
  if (strategy.type === 'OnDelete') return { state: 'ready', message: `${want} of ${want} replicas ready` };
  const partition = num(strategy.rollingUpdate?.partition);
  if (partition > 0) {
    const need = want - partition;
    if (num(s.updatedReplicas) < need) return { state: 'waiting', message: `${num(s.updatedReplicas)} of ${need} replicas updated (partition ${partition})` };
    return { state: 'ready', message: `${need} replicas updated (partition ${partition})` };
  }
  if (s.updateRevision !== s.currentRevision) return { state: 'waiting', message: `${num(s.updatedReplicas)} of ${want} replicas updated` };
  return { state: 'ready', message: `${want} of ${want} replicas ready and updated` };
}

function daemonSet(obj: KubeObject): Observation {
  if (!generationSeen(obj)) return { state: 'waiting', message: 'the controller has not seen the latest spec yet' };
  const s = obj.status ?? {};
  const want = num(s.desiredNumberScheduled);
  if (num(s.updatedNumberScheduled) < want) return { state: 'waiting', message: `${num(s.updatedNumberScheduled)} of ${want} pods updated` };
  if (num(s.numberAvailable) < want) return { state: 'waiting', message: `${num(s.numberAvailable)} of ${want} updated pods available` };
  return { state: 'ready', message: `${want} of ${want} pods updated and available` };
}

function job(obj: KubeObject): Observation {
  const failed = conditionOf(obj, 'Failed');
  if (failed?.status === 'True') return { state: 'failed', message: `job failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim() };
  if (conditionOf(obj, 'Complete')?.status === 'True') return { state: 'ready', message: 'job complete' };
  const s = obj.status ?? {};
  return { state: 'waiting', message: `${num(s.succeeded)} succeeded, ${num(s.active)} active, ${num(s.failed)} failed` };
}

function condition(obj: KubeObject, type: string, want = 'True'): Observation {
  const c = conditionOf(obj, type);
  if (c?.status === want) return { state: 'ready', message: `${type} is ${want}` };
  return { state: 'waiting', message: c ? `${type} is ${c.status ?? '?'}${c.reason ? ` (${c.reason})` : ''}` : `no ${type} condition yet` };
}

/** Kinds with a notion of "rolled out / ready", and how to tell. */
const CHECKS: Record<string, (obj: KubeObject) => Observation> = {
  Deployment: deployment,
  StatefulSet: statefulSet,
  DaemonSet: daemonSet,
  Job: job,
  CustomResourceDefinition: (obj) => condition(obj, 'Established'),
  Pod: (obj) => (obj.status?.phase === 'Succeeded' ? { state: 'ready', message: 'pod succeeded' } : condition(obj, 'Ready')),
  Namespace: (obj) =>
    obj.status?.phase === 'Active'
      ? { state: 'ready', message: 'namespace is Active' }
      : { state: 'waiting', message: `namespace is ${obj.status?.phase ?? 'unknown'}` },
};

/** Whether helix knows how to tell this kind is ready. */
export function hasReadiness(kind: string): boolean {
  return kind in CHECKS;
}

/**
 * Whether an object is rolled out / complete / established. Undefined for kinds without
 * such a notion (a ConfigMap is ready when it exists).
 */
export function readiness(obj: KubeObject): Observation | undefined {
  return CHECKS[obj.kind]?.(obj);
}

/** Whether a condition has the wanted status. */
export function conditionObservation(obj: KubeObject, type: string, status: 'True' | 'False' | 'Unknown' = 'True'): Observation {
  return condition(obj, type, status);
}

/**
 * Reads a field: kubectl-style `{.status.phase}`, `.status.phase`, `status.phase`,
 * with `[0]` indices and `["key.with.dots"]` / `['key']` for keys with dots.
 */
export function readPath(obj: unknown, path: string): unknown {
  const p = path
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .replace(/^\./, '');
  const parts: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[["']([^"']+)["']\]/g;
  for (const m of p.matchAll(re)) {
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else if (m[3] !== undefined) parts.push(m[3]);
  }
  let cur: unknown = obj;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}
