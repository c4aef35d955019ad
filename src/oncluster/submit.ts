import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../modules/k8s/client.ts';
import { describeRef } from '../modules/k8s/target.ts';
import type { Transport } from '../modules/k8s/transport.ts';
import type { KubeObject, KubeRef } from '../modules/k8s/types.ts';
import { ConfigError, TargetError } from '../runtime/errors.ts';
import type { Selection } from '../runtime/loader.ts';
import { SYSTEM_NAMESPACE } from '../runtime/state/index.ts';
import { imagePushed, registryCertDir } from './image.ts';
import { rbacObjects, type RunnerIdentity, runnerName, selectorOf, WORKFLOW_API, workflowObject } from './objects.ts';
import type { ClusterPlan } from './plan.ts';
import { describeRules } from './rbac.ts';

export interface Writer {
  write(text: string): void;
}

/** What the pod's helix is asked to do: the user's options, passed on as arguments. */
export interface PassOn {
  diff?: boolean;
  json?: boolean;
  only?: string[];
  from?: string;
  tags?: string[];
  forks?: number;
  maxFailPercent?: number;
  waitLock?: number;
  /** `--set` overrides of component variables; `--purge-data` sets purge_data. */
  set?: Record<string, unknown>;
  purgeData?: boolean;
  verbose?: boolean;
}

/** The same command line for the pod's helix (without `--on-cluster`). */
export function passOnArgs(o: PassOn): string[] {
  const a: string[] = [];
  if (o.diff) a.push('--diff');
  if (o.json) a.push('--json');
  if (o.only?.length) a.push('--only', o.only.join(','));
  if (o.from) a.push('--from', o.from);
  if (o.tags?.length) a.push('--tags', o.tags.join(','));
  if (o.forks !== undefined) a.push('--forks', String(o.forks));
  if (o.maxFailPercent !== undefined) a.push('--max-fail-percent', String(o.maxFailPercent));
  if (o.waitLock !== undefined) a.push('--wait-lock', `${o.waitLock}ms`);
  for (const [k, v] of Object.entries(o.set ?? {})) a.push('--set', `${k}=${JSON.stringify(v)}`);
  if (o.purgeData) a.push('--purge-data');
  if (o.verbose) a.push('-v');
  return a;
}

/** `--check --on-cluster`: what would be created and run, printed; nothing is changed. */
export async function describePlan(plan: ClusterPlan, selection: Selection, args: readonly string[], out: Writer): Promise<void> {
  const { id, rbac, image } = plan;
  const name = runnerName(id);
  const present = await imagePushed(image.ref, registryCertDir(plan.settings));
  out.write(`in-cluster ${selection} of ${id.component} --env ${id.env} (check: nothing was created or run)\n`);
  out.write(`  image              ${image.ref}${present ? '' : ' (not in the registry: run `helix image build` first)'}\n`);
  out.write(`  ServiceAccount     ${id.namespace}/${name}\n`);
  for (const [ns, rules] of Object.entries(rbac.namespaced)) {
    out.write(`  Role               ${ns}/${name}\n`);
    for (const line of describeRules(rules)) out.write(`    ${line}\n`);
  }
  if (rbac.cluster.length) {
    out.write(`  ClusterRole        ${name}\n`);
    for (const line of describeRules(rbac.cluster)) out.write(`    ${line}\n`);
  }
  out.write(`  Role               ${id.namespace}/${name} (Argo's executor)\n    workflowtaskresults.argoproj.io: create, patch\n`);
  out.write(
    `  secrets            ${plan.secretKeys.length ? `${plan.secretKeys.join(', ')} from Secret ${id.namespace}/${plan.secret}` : 'none (the inventory references no secret)'}\n`,
  );
  out.write(`  namespaces made    ${rbac.namespaces.length ? rbac.namespaces.join(', ') : 'none'} (if absent, before their Roles)\n`);
  out.write(`  Workflow           ${id.namespace}/${name}-${selection}-… runs: helix ${[selection, id.component, '--env', id.env, ...args].join(' ')}\n`);
}

/** Creates a namespace when it is absent (no labels: the playbook that declares it owns it). */
async function ensureNamespace(client: KubeClient, transport: Transport, name: string): Promise<void> {
  if (await client.get({ apiVersion: 'v1', kind: 'Namespace', name })) return;
  const res = await transport({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  if (res.status >= 300 && res.status !== 409) throw new TargetError(`k8s:v1/Namespace/_/${name}`, `cannot create namespace ${name}: HTTP ${res.status}`);
}

/** The namespaces, the ServiceAccount, Roles and bindings of the runner (server-side apply, idempotent). */
export async function installRunner(plan: ClusterPlan): Promise<void> {
  for (const ns of [...plan.rbac.namespaces, SYSTEM_NAMESPACE]) await ensureNamespace(plan.client, plan.transport, ns);
  for (const o of rbacObjects(plan.id, plan.rbac)) await plan.client.apply(o);
}

/** Waiting reasons of a container that will not start without someone changing something. */
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);
const DONE = new Set(['Succeeded', 'Failed', 'Error']);
/** How long after the Workflow finished the pod may take to report its main container's exit. */
const STATUS_GRACE_MS = 30_000;

interface ContainerStatus {
  name: string;
  state?: { running?: object; terminated?: { exitCode: number }; waiting?: { reason?: string; message?: string } };
}

/**
 * Submits the run's Workflow, streams the pod's output to `out` as it comes (the log is read
 * every second, and what is new written), and returns helix's exit code in the pod. SIGINT
 * stops the Workflow (Argo signals the pod, and helix stops after its current task, as a
 * local run does); a second SIGINT leaves at once.
 */
export async function submitAndStream(plan: ClusterPlan, selection: Selection, args: readonly string[], io: { out: Writer; err: Writer }): Promise<number> {
  const { client, id } = plan;
  const certDir = registryCertDir(plan.settings);
  if (!(await imagePushed(plan.image.ref, certDir))) {
    throw new ConfigError(
      `the runner image ${plan.image.ref} is not in the registry: run \`helix image build --env ${id.env}\` first (its tag names the playbooks it holds)`,
      `inventory/${id.env}.yaml: onCluster.image`,
    );
  }
  await installRunner(plan);
  const name = `${runnerName(id).slice(0, 50)}-${selection.slice(0, 4)}-${randomBytes(3).toString('hex')}`;
  const wf = workflowObject({
    id,
    name,
    selection,
    image: plan.image.ref,
    projectDir: plan.image.projectDir,
    inventory: plan.inventory,
    args,
    secret: plan.secret,
    secretKeys: plan.secretKeys,
  });
  await client.apply(wf);
  io.err.write(`helix: running in the cluster: Workflow ${id.namespace}/${name}, image ${plan.image.ref}\n`);

  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    io.err.write(`\nhelix: interrupted, stopping Workflow ${id.namespace}/${name}: helix in the pod stops after its current task (press again to leave now)\n`);
    void plan
      .transport({
        method: 'PATCH',
        path: `/apis/${WORKFLOW_API}/namespaces/${id.namespace}/workflows/${name}`,
        contentType: 'application/merge-patch+json',
        body: { spec: { shutdown: 'Stop' } },
      })
      .catch((error: Error) => io.err.write(`helix: could not stop Workflow ${id.namespace}/${name}: ${error.message}\n`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await stream(client, id, name, io);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Argo's emissary writes into the main container's log (`time="…" level=info msg="sub-process
 * exited" argo=true`, and `Error: exit status 1` when the process failed): not helix's output.
 */
const EXECUTOR_LINE = /^(?:time="[^"]*" level=\w+ msg=".*" argo=true\b.*|Error: exit status \d+)$/;

export function dropExecutorLines(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !EXECUTOR_LINE.test(line.replace(/\n$/, '')))
    .join('');
}

async function stream(client: KubeClient, id: RunnerIdentity, name: string, io: { out: Writer; err: Writer }): Promise<number> {
  const ref: KubeRef = { apiVersion: WORKFLOW_API, kind: 'Workflow', namespace: id.namespace, name };
  let printed = 0;
  let pod: string | undefined;
  /** When the Workflow was first seen finished: the pod's status may say how helix ended a little later. */
  let doneAt: number | undefined;
  for (;;) {
    const wf = await client.get(ref);
    const status = (wf?.status ?? {}) as { phase?: string; message?: string };
    if (!wf) throw new TargetError(`k8s:${WORKFLOW_API}/Workflow/${id.namespace}/${name}`, 'the Workflow was deleted while it ran');
    const pods = await client.list('v1', 'Pod', { namespace: id.namespace, labelSelector: `workflows.argoproj.io/workflow=${name}` });
    const p = pods.find((x) => x.metadata.name === pod) ?? pods[0];
    pod = p?.metadata.name;
    const main = ((p?.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? []).find((c) => c.name === 'main');
    const ended = main?.state?.terminated !== undefined;
    if (p && (main?.state?.running || ended)) {
      // Whole lines only until the container ended, so a line the executor wrote is recognised.
      const fresh = (await client.logs(id.namespace, p.metadata.name, { container: 'main', tailLines: 'all' })).slice(printed);
      const cut = ended ? fresh.length : fresh.lastIndexOf('\n') + 1;
      io.out.write(dropExecutorLines(fresh.slice(0, cut)));
      printed += cut;
    }
    const waiting = main?.state?.waiting;
    if (waiting?.reason && STUCK.has(waiting.reason)) {
      await client.delete(ref, { propagation: 'Background' });
      io.err.write(
        `helix: the in-cluster run cannot start: pod ${id.namespace}/${pod}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (Workflow deleted)\n`,
      );
      return 1;
    }
    if (main?.state?.terminated) return main.state.terminated.exitCode;
    // A stopped Workflow is Failed at once, while helix in the pod still finishes its current task:
    // follow it to the end, as a local run's Ctrl-C does.
    if (status.phase && DONE.has(status.phase) && !main?.state?.running) {
      doneAt ??= Date.now();
      if (!p || Date.now() - doneAt > STATUS_GRACE_MS) {
        const when = printed ? 'without an exit code from helix' : 'before helix ran';
        io.err.write(`helix: the in-cluster run ended ${status.phase} ${when}${status.message ? `: ${status.message}` : ''}\n`);
        return 1;
      }
    }
    await sleep(1000);
  }
}

/**
 * After a successful rollback: removes every Workflow of the component's in-cluster runs and the
 * runner's ServiceAccount, Roles and bindings (found by their labels, wherever they are).
 */
export async function removeRunner(client: KubeClient, id: RunnerIdentity): Promise<KubeRef[]> {
  const selector = selectorOf(id);
  const removed: KubeRef[] = [];
  const rbac = 'rbac.authorization.k8s.io/v1';
  const kinds: [string, string, string | undefined][] = [
    [WORKFLOW_API, 'Workflow', id.namespace],
    [rbac, 'ClusterRoleBinding', undefined],
    [rbac, 'RoleBinding', undefined],
    [rbac, 'ClusterRole', undefined],
    [rbac, 'Role', undefined],
    ['v1', 'ServiceAccount', id.namespace],
  ];
  for (const [apiVersion, kind, namespace] of kinds) {
    const items: KubeObject[] = await client.list(apiVersion, kind, { labelSelector: selector, ...(namespace ? { namespace } : {}) });
    for (const o of items) {
      const r: KubeRef = { apiVersion, kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
      if ((await client.delete(r, { propagation: 'Background' })) === 'deleted') removed.push(r);
    }
  }
  return removed;
}

export function describeRemoved(refs: readonly KubeRef[]): string {
  return refs.map(describeRef).join(', ');
}
