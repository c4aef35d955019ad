import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, EventBus, run } from '../../../src/index.ts';
import { OWNERSHIP_LABELS } from '../../../src/modules/k8s/ownership.ts';
import type { KubeObject, KubeRef } from '../../../src/modules/k8s/types.ts';
import { port } from '../../../src/port/index.ts';
import { cleanup, hasKubernetes, kubeEnv, sandboxClient, unique } from '../k8s/helpers.ts';

/**
 * Issue 7 acceptance: a Kubernetes-only Ansible sample, applied by `ansible-playbook`
 * (kubernetes.core) and by helix after `helix port`, yields the same objects on the sandbox's
 * API server, compared field by field once server-set fields are removed.
 *
 * Ansible comes from the venv `scripts/setup.sh bench` installs (PyPI `ansible`, which bundles
 * kubernetes.core; read-only here). Without it, or without the sandbox, the test is skipped.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const venv = process.env.HELIX_BENCH_ANSIBLE_VENV ?? join(homedir(), '.cache', 'helix', 'ansible-venv');
const ansiblePlaybook = join(venv, 'bin', 'ansible-playbook');
const hasAnsible = existsSync(ansiblePlaybook);

/** The objects the sample manages (namespace substituted). */
const objects = (ns: string): KubeRef[] => [
  { apiVersion: 'v1', kind: 'Namespace', name: ns },
  { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'echo-settings' },
  { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'echo-credentials' },
  { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'echo' },
  { apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'echo' },
];

/**
 * Removes what the server sets on its own (ids, times, field managers, status, allocated
 * IPs) and, on helix's side, its ownership labels (what it prunes and rolls back by).
 */
function comparable(o: KubeObject | undefined, helix: boolean): unknown {
  if (!o) return undefined;
  const {
    uid: _u,
    resourceVersion: _r,
    generation: _g,
    creationTimestamp: _c,
    managedFields: _m,
    selfLink: _s,
    ...metadata
  } = o.metadata as Record<string, unknown>;
  if (helix && metadata.labels) {
    const labels = { ...(metadata.labels as Record<string, string>) };
    delete labels[OWNERSHIP_LABELS.component];
    delete labels[OWNERSHIP_LABELS.env];
    if (labels[OWNERSHIP_LABELS.managedBy] === 'helix') delete labels[OWNERSHIP_LABELS.managedBy];
    if (Object.keys(labels).length) metadata.labels = labels;
    else delete metadata.labels;
  }
  const annotations = { ...((metadata.annotations as Record<string, string>) ?? {}) };
  delete annotations['deployment.kubernetes.io/revision'];
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const { status: _st, ...rest } = o;
  if (o.kind === 'Service') {
    const { clusterIP: _ip, clusterIPs: _ips, ...spec } = rest.spec as Record<string, unknown>;
    rest.spec = spec;
  }
  return { ...rest, metadata };
}

async function snapshot(ns: string, helix: boolean): Promise<Record<string, unknown>> {
  const client = sandboxClient();
  const out: Record<string, unknown> = {};
  for (const ref of objects(ns)) out[`${ref.kind}/${ref.name}`] = comparable(await client.get(ref), helix);
  return out;
}

async function deleteNamespace(ns: string): Promise<void> {
  const client = sandboxClient();
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }, { propagation: 'Background' }).catch(() => {});
  for (let i = 0; i < 120; i++) {
    if (!(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`namespace ${ns} was not deleted within a minute`);
}

describe.skipIf(!hasKubernetes() || !hasAnsible)('helix port: same objects as ansible-playbook (kubernetes.core)', () => {
  const ns = unique('port-echo');
  const work = mkdtempSync(join(tmpdir(), 'helix-port-it-'));
  const out = join(repo, 'test/.port-out', `it-${ns}`);
  afterAll(async () => {
    await cleanup(sandboxClient(), [ns]);
    rmSync(work, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('applies the ported k8s-basic sample exactly as kubernetes.core applies the original', async () => {
    // The sample, in a namespace of its own.
    cpSync(join(repo, 'test/fixtures/port/k8s-basic'), work, { recursive: true });
    const playbook = join(work, 'deploy.yml');
    writeFileSync(playbook, readFileSync(playbook, 'utf8').replace('ns: port-echo', `ns: ${ns}`));
    const k = kubeEnv().kubernetes!;

    // 1. ansible-playbook.
    execFileSync(ansiblePlaybook, ['-i', 'localhost,', '-c', 'local', '-e', `ansible_python_interpreter=${join(venv, 'bin', 'python')}`, playbook], {
      cwd: work,
      env: {
        ...process.env,
        K8S_AUTH_KUBECONFIG: k.kubeconfig!,
        ...(k.context ? { K8S_AUTH_CONTEXT: k.context } : {}),
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_LOCALHOST_WARNING: 'False',
      },
      stdio: 'pipe',
      timeout: 300_000,
    });
    const byAnsible = await snapshot(ns, false);
    expect(Object.values(byAnsible).every((o) => o !== undefined)).toBe(true);
    await deleteNamespace(ns);

    // 2. helix port, then helix play on the same cluster.
    const { report } = port(work, out, { component: 'k8s-basic' });
    expect(report.totals.todo).toBe(0);
    writeFileSync(
      join(out, 'inventory', 'local.yaml'),
      `kubernetes: { kubeconfig: ${JSON.stringify(k.kubeconfig)}${k.context ? `, context: ${JSON.stringify(k.context)}` : ''} }\ncomponents: {}\n`,
    );
    const bus = new EventBus();
    const events = collect(bus);
    const first = await run({ root: out, component: 'k8s-basic', env: 'local', selection: 'play', mode: 'apply', bus });
    expect(events.filter((e) => e.type === 'task.failed')).toEqual([]);
    expect(first.ok).toBe(true);
    const byHelix = await snapshot(ns, true);

    // 3. Field by field.
    expect(byHelix).toEqual(byAnsible);

    // And helix's second run plans nothing.
    const second = await run({ root: out, component: 'k8s-basic', env: 'local', selection: 'play', mode: 'apply', bus: new EventBus() });
    expect(second.changes).toEqual([]);
  }, 600_000);
});
