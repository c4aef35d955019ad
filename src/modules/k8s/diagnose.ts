import type { KubeClient } from './client.ts';
import type { KubeObject } from './types.ts';

/**
 * Why a workload's pods are not coming up, read from the pods themselves: a container that
 * cannot get its image, crashes, or cannot be created is a failure the wait reports at once
 * (with the pod's reason and its last log lines) instead of waiting out its timeout.
 */
export interface Trouble {
  /** A state the workload will not leave by itself: the wait fails with this. */
  fatal?: string;
  /** What the pods show otherwise (unschedulable, pulling, …), for a timeout's message. */
  detail?: string;
}

/** Waiting reasons that end a wait: the kubelet already failed at least once and is backing off. */
const FATAL_WAITING = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CrashLoopBackOff', 'RunContainerError']);
/** Fatal only once they persist (a Secret or ConfigMap the pod needs may still be on its way). */
const SLOW_FATAL_WAITING = new Set(['CreateContainerConfigError', 'CreateContainerError']);
const SLOW_FATAL_AFTER_MS = 60_000;
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']);

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number; message?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

/** The label selector of a workload's pods, or undefined for kinds without one. */
export function podSelector(obj: KubeObject): string | undefined {
  if (!WORKLOAD_KINDS.has(obj.kind)) return undefined;
  const labels = obj.spec?.selector?.matchLabels as Record<string, string> | undefined;
  if (!labels || !Object.keys(labels).length) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** What is wrong with one pod, if anything; `now` decides whether a slow reason has persisted. */
export function podTrouble(pod: KubeObject, now: number): { fatal?: string; detail?: string; container?: string; previous?: boolean } {
  const name = `pod ${pod.metadata.namespace}/${pod.metadata.name}`;
  const statuses = [...((pod.status?.initContainerStatuses ?? []) as ContainerStatus[]), ...((pod.status?.containerStatuses ?? []) as ContainerStatus[])];
  const age = now - Date.parse(String(pod.metadata.creationTimestamp ?? new Date(now).toISOString()));
  for (const c of statuses) {
    const w = c.state?.waiting;
    if (!w?.reason) continue;
    const said = `${name}: container ${c.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`;
    const crashed = w.reason === 'CrashLoopBackOff' || w.reason === 'RunContainerError';
    const last = c.lastState?.terminated;
    const exit = crashed && last ? ` (last exit code ${last.exitCode ?? '?'}${last.reason ? `, ${last.reason}` : ''}, ${c.restartCount ?? 0} restarts)` : '';
    if (FATAL_WAITING.has(w.reason) || (SLOW_FATAL_WAITING.has(w.reason) && age > SLOW_FATAL_AFTER_MS)) {
      return { fatal: `${said}${exit}`, container: c.name, previous: crashed };
    }
    return { detail: said };
  }
  const scheduled = ((pod.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[]).find(
    (c) => c.type === 'PodScheduled',
  );
  if (scheduled?.status === 'False') return { detail: `${name}: not scheduled: ${scheduled.reason ?? ''} ${scheduled.message ?? ''}`.trim() };
  return {};
}

/** Looks at a workload's pods; a fatal trouble carries the container's last log lines. */
export async function diagnoseWorkload(client: KubeClient, obj: KubeObject, signal?: AbortSignal, now = Date.now()): Promise<Trouble> {
  const selector = obj.kind === 'Pod' ? undefined : podSelector(obj);
  const ns = obj.metadata.namespace;
  if (!ns || (obj.kind !== 'Pod' && !selector)) return {};
  const pods = obj.kind === 'Pod' ? [obj] : await client.list('v1', 'Pod', { namespace: ns, labelSelector: selector }, signal);
  const details: string[] = [];
  for (const pod of pods.filter((p) => !p.metadata.deletionTimestamp)) {
    const t = podTrouble(pod, now);
    if (t.fatal) {
      const log = await client.logs(ns, pod.metadata.name, { container: t.container, tailLines: 10, previous: t.previous }, signal).catch(() => '');
      const tail = log.trim() ? `\nlast log lines of ${t.container}${t.previous ? ' (previous run)' : ''}:\n${log.trimEnd()}` : '';
      return { fatal: `${t.fatal}${tail}` };
    }
    if (t.detail) details.push(t.detail);
  }
  return details.length ? { detail: details.join('; ') } : {};
}
