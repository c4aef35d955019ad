import { defineTask, group, noChange, TaskError, type Group, type Input, resolve, type Task, type TaskContext } from 'helix';
import * as k8s from 'helix/modules/k8s';

const WF = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' } as const;

interface WorkflowNode {
  id?: string;
  name?: string;
  displayName?: string;
  type?: string;
  phase?: string;
  message?: string;
  templateName?: string;
}

/** The nodes that failed, innermost first (the pod that failed, not the DAG around it). */
export function failedNodes(status: { nodes?: Record<string, WorkflowNode> } | undefined): WorkflowNode[] {
  const nodes = Object.values(status?.nodes ?? {}).filter((n) => n.phase === 'Failed' || n.phase === 'Error');
  const rank = (n: WorkflowNode): number => (n.type === 'Pod' ? 0 : n.type === 'Retry' ? 1 : 2);
  return nodes.sort((a, b) => rank(a) - rank(b));
}

export function describeFailure(name: string, status: { phase?: string; message?: string; nodes?: Record<string, WorkflowNode> } | undefined): string {
  const failed = failedNodes(status);
  const first = failed[0];
  const node = first
    ? `failed node "${first.displayName ?? first.name}"${first.templateName ? ` (template ${first.templateName})` : ''}${first.message ? `: ${first.message}` : ''}`
    : 'no failed node recorded';
  return `Workflow ${name} ${status?.phase ?? 'failed'}${status?.message ? ` (${status.message})` : ''}: ${node}`;
}

export interface WorkflowResult {
  name: string;
  phase: string;
  /** Output parameters of the Workflow, by name. */
  outputs: Record<string, string>;
}

/**
 * Follows one Workflow (by name, the one this run submitted: never "the newest in the
 * namespace") until it Succeeded, or fails naming the failed node, or times out with the phase
 * it last saw. Plans no change; in a check run a Workflow that would be submitted is not followed.
 */
export function followWorkflow(name: string, o: { namespace: string; workflow: Input<string>; timeoutMs: number; pollMs?: number }): Task<WorkflowResult> {
  return defineTask<WorkflowResult>({
    kind: 'argo.followWorkflow',
    name,
    plan: async (ctx: TaskContext) => {
      const wfName = resolve(o.workflow, ctx);
      const ref = { ...WF, namespace: o.namespace, name: wfName };
      const client = k8s.k8sClient(ctx);
      if (ctx.plannedCreate(k8s.targetOf(ref))) {
        return noChange(`Workflow ${o.namespace}/${wfName} would be submitted; its phase is followed in the real run`, {
          name: wfName,
          phase: 'Pending',
          outputs: {},
        });
      }
      const deadline = Date.now() + o.timeoutMs;
      let last = 'no phase yet';
      for (;;) {
        const wf = await k8s.readObject(client, ref, ctx.signal);
        if (!wf) throw new TaskError(ctx.path, `Workflow ${o.namespace}/${wfName} does not exist`);
        const status = wf.status as
          | { phase?: string; message?: string; nodes?: Record<string, WorkflowNode>; outputs?: { parameters?: { name: string; value?: string }[] } }
          | undefined;
        const phase = status?.phase;
        if (phase === 'Succeeded') {
          const outputs = Object.fromEntries((status?.outputs?.parameters ?? []).map((p) => [p.name, p.value ?? '']));
          return noChange(`Workflow ${o.namespace}/${wfName} Succeeded`, { name: wfName, phase, outputs });
        }
        if (phase === 'Failed' || phase === 'Error') throw new TaskError(ctx.path, describeFailure(`${o.namespace}/${wfName}`, status));
        if (phase && phase !== last) ctx.log(`Workflow ${o.namespace}/${wfName} is ${phase}`);
        last = phase ?? 'no phase yet';
        if (Date.now() > deadline || ctx.signal.aborted) {
          throw new TaskError(
            ctx.path,
            `Workflow ${o.namespace}/${wfName} did not finish within ${Math.round(o.timeoutMs / 1000)} s (phase: ${last}); is the Argo Workflows controller running?`,
          );
        }
        await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
      }
    },
  });
}

/**
 * Submits an Argo Workflow and follows it (original: container_deployment/workflow, which
 * used `generateName` so every run built again, and watched the newest Workflow of the
 * namespace). The Workflow's name is given (it carries a hash of what it builds): an
 * unchanged build is not submitted again, and a finished one is not followed again.
 *
 * @param o.manifest The Workflow (rendered from the component's template).
 * @param o.timeoutMs How long to follow it. @default 1800000
 * @param o.when Submit only when this returns true (e.g. the registry lacks the image).
 */
export function workflow(o: {
  manifest: k8s.Manifest;
  timeoutMs?: number;
  pollMs?: number;
  when?: (ctx: TaskContext) => boolean;
}): Group & { follow: Task<WorkflowResult> } {
  const namespace = o.manifest.metadata.namespace!;
  // Submitted once: the controller owns the Workflow's spec afterwards (never re-applied).
  const submit = k8s.apply('submit', { manifest: o.manifest, createOnly: true });
  const follow = followWorkflow('follow', {
    namespace,
    workflow: o.manifest.metadata.name,
    timeoutMs: o.timeoutMs ?? 1_800_000,
    ...(o.pollMs ? { pollMs: o.pollMs } : {}),
  });
  return { ...group('workflow', [submit, follow], o.when ? { when: o.when } : {}), follow };
}
