import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectorOf, WORKFLOW_API } from '../../../src/oncluster/objects.ts';
import { bin, helix } from '../cli/run.ts';
import { sandboxClient } from '../k8s/helpers.ts';
import { eventually, exec, sandbox } from '../sandbox/helpers.ts';

/**
 * `--on-cluster` on the sandbox, through bin/helix.js: `helix image build` pushes the fixture
 * project's runner image to the sandbox registry, and its plays run in a pod of an Argo Workflow
 * on the real node, under the RBAC helix derived from the playbooks, with the secret variable
 * from a Kubernetes Secret (the workstation's environment does not have it). The output of a
 * converged play and of a failing one is what a local run prints, and so is the exit code;
 * Ctrl-C stops the Workflow; after the in-cluster rollback nothing of it is left.
 */
const project = fileURLToPath(new URL('../../fixtures/onclusterproject/', import.meta.url));
const kube = sandboxClient();
const ns = 'helix-oncluster';
const runnerNs = 'argo';
const runner = 'helix-run-oncluster-local';
const secretName = 'helix-oncluster-local';
const token = `oncluster-${randomBytes(9).toString('base64url')}`;
const id = { component: 'oncluster', env: 'local' };
const RBAC = 'rbac.authorization.k8s.io/v1';

/** Durations differ from run to run: `(12ms)`, `(1.2s)`, `in 2.4s`. */
function normalise(out: string): string {
  return out.replace(/\(\d+(?:\.\d+)?m?s\)/g, '(T)').replace(/ in \d+(?:\.\d+)?m?s$/gm, ' in T');
}

/** In-cluster runs: without ONCLUSTER_TOKEN in the environment (it comes from the Kubernetes Secret). */
const inCluster = (args: string[], timeoutMs = 400_000) => helix([...args, '--on-cluster'], { cwd: project, env: { ONCLUSTER_TOKEN: undefined }, timeoutMs });
const local = (args: string[]) => helix(args, { cwd: project, env: { ONCLUSTER_TOKEN: token } });

async function leftovers(): Promise<string[]> {
  const selector = selectorOf(id);
  const found: string[] = [];
  for (const [apiVersion, kind, namespace] of [
    [WORKFLOW_API, 'Workflow', runnerNs],
    ['v1', 'ServiceAccount', runnerNs],
    [RBAC, 'Role', undefined],
    [RBAC, 'RoleBinding', undefined],
    [RBAC, 'ClusterRole', undefined],
    [RBAC, 'ClusterRoleBinding', undefined],
  ] as const) {
    for (const o of await kube.list(apiVersion, kind, { labelSelector: selector, ...(namespace ? { namespace } : {}) }))
      found.push(`${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  }
  for (const p of await kube.list('v1', 'Pod', { namespace: runnerNs }))
    if (p.metadata.name.startsWith(runner)) found.push(`Pod ${runnerNs}/${p.metadata.name}`);
  if (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) found.push(`Namespace ${ns}`);
  return found;
}

async function cleanUp(): Promise<void> {
  const selector = selectorOf(id);
  for (const [apiVersion, kind] of [
    [WORKFLOW_API, 'Workflow'],
    ['v1', 'ServiceAccount'],
    [RBAC, 'RoleBinding'],
    [RBAC, 'Role'],
    [RBAC, 'ClusterRoleBinding'],
    [RBAC, 'ClusterRole'],
  ] as const) {
    for (const o of await kube.list(apiVersion, kind, { labelSelector: selector })) {
      await kube.delete({ apiVersion, kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });
    }
  }
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  await kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace: runnerNs, name: secretName });
  // The run records helix keeps in helix-system for the fixture (local and in-cluster runs alike).
  for (const s of await kube.list('v1', 'Secret', { namespace: 'helix-system', labelSelector: 'helix.dev/component=oncluster,helix.dev/env=local' }))
    await kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace: 'helix-system', name: s.metadata.name });
}

/** Every secret value the sandbox keeps on this machine: its secret files, private keys. */
function sandboxSecrets(): { file: string; value: Buffer }[] {
  const dir = sandbox().dir;
  const out: { file: string; value: Buffer }[] = [];
  const add = (file: string, value: Buffer) => out.push({ file, value });
  for (const f of readdirSync(join(dir, 'secrets'))) add(f, readFileSync(join(dir, 'secrets', f)).subarray(0, 16));
  // Key material, not the header every key of a type shares (`b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA…`,
  // `MIGHAgEAMBMGByqGSM49…`): 40 characters of the file's text from 60 before the end of its body.
  for (const sub of ['pki', 'ssh-keys']) {
    for (const f of readdirSync(join(dir, sub))) {
      const text = readFileSync(join(dir, sub, f), 'latin1');
      const body = /-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n([^-]+)-----END/.exec(text)?.[1]?.trimEnd();
      if (body && body.length > 100) add(`${sub}/${f}`, Buffer.from(body.slice(-60, -20), 'latin1'));
    }
  }
  return out;
}

describe('helix play|test|rollback --on-cluster on the sandbox', () => {
  beforeAll(async () => {
    await cleanUp();
    await eventually(
      'the namespace of an earlier run to be gone',
      async () => !(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) || undefined,
      120_000,
    );
    await kube.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: runnerNs }, stringData: { ONCLUSTER_TOKEN: token } });
  });
  afterAll(cleanUp);

  it('image build pushes the runner image to the sandbox registry, with no secret of the sandbox in its layers', async () => {
    const r = await helix(['image', 'build'], { cwd: project, timeoutMs: 900_000 });
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^pushed|^already in the registry/);
    const layout = /\(layout oci:([^:]+):/.exec(r.stdout)?.[1];
    expect(layout && existsSync(join(layout, 'index.json')), r.stdout).toBe(true);
    const blob = (digest: string) => readFileSync(join(layout!, 'blobs', 'sha256', digest.replace('sha256:', '')));
    const index = JSON.parse(readFileSync(join(layout!, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString('utf8')) as { layers: { digest: string }[] };
    const layers = manifest.layers.map((l) => gunzipSync(blob(l.digest)));
    // The scan sees what is there: the fixture's playbook and helix itself are in the layers.
    expect(layers.some((l) => l.includes('helix/test/fixtures/onclusterproject/playbooks/oncluster/20_config.ts'))).toBe(true);
    expect(layers.some((l) => l.includes('helix/bin/helix.js'))).toBe(true);
    const secrets = sandboxSecrets();
    expect(secrets.length).toBeGreaterThan(3);
    const found = secrets.filter((s) => layers.some((l) => l.includes(s.value))).map((s) => s.file);
    expect(found).toEqual([]);
  }, 900_000);

  it('--check prints the RBAC derived from the playbooks and changes nothing', async () => {
    const r = await inCluster(['play', 'oncluster', '--check']);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toContain(`Role               ${ns}/${runner}`);
    expect(r.stdout).toMatch(/ {4}configmaps: get, list, watch, create, patch, update\n/);
    expect(r.stdout).toMatch(/ {4}namespaces \[helix-oncluster\]: get, create, patch, update, delete\n/);
    expect(r.stdout).toContain(`ONCLUSTER_TOKEN from Secret ${runnerNs}/${secretName}`);
    expect(await leftovers()).toEqual([]);
  });

  it('an in-cluster play converges, the second reports 0 changed, and prints what a local run prints', async () => {
    const first = await inCluster(['play', 'oncluster']);
    expect(first.code, first.out).toBe(0);
    expect(first.stderr).toContain(`Workflow ${runnerNs}/${runner}-play-`);
    expect(first.stdout).toMatch(/changed  oncluster\/20_config\/greeting/);
    expect(first.stdout).not.toContain('argo=true');
    // The secret variable came from the Kubernetes Secret: the workstation's CLI did not have it.
    const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'token' });
    const data = (secret?.data ?? {}) as Record<string, string>;
    expect(Buffer.from(data.token ?? '', 'base64').toString()).toBe(token);
    expect(first.out).not.toContain(token);
    // The ServiceAccount may do what the playbooks do, and no more.
    const can = async (...args: string[]) => {
      const r = await exec('kubectl', ['auth', 'can-i', `--as=system:serviceaccount:${runnerNs}:${runner}`, ...args], { env: process.env });
      return r.stdout.trim() || `exit ${r.code}: ${r.stderr.trim()}`;
    };
    expect(await can('create', 'configmaps', '-n', ns)).toBe('yes');
    expect(await can('create', 'configmaps', '-n', 'default')).toBe('no');
    expect(await can('delete', 'namespaces/kube-system')).toBe('no');
    expect(await can('create', 'deployments', '-n', ns)).toBe('no');

    const second = await inCluster(['play', 'oncluster']);
    expect(second.code, second.out).toBe(0);
    expect(second.stdout).toMatch(/localhost +ok=3 {2}changed=0 {2}failed=0/);
    const here = await local(['play', 'oncluster']);
    expect(here.code, here.out).toBe(0);
    expect(normalise(second.stdout)).toBe(normalise(here.stdout));
  }, 900_000);

  it('a failing play exits 1 in the cluster as it does locally, with the same output', async () => {
    const there = await inCluster(['play', 'oncluster', '--set', 'fail=true']);
    const here = await local(['play', 'oncluster', '--set', 'fail=true']);
    expect(here.code, here.out).toBe(1);
    expect(there.code, there.out).toBe(1);
    expect(there.stdout).toContain('failed   oncluster/20_config/never-created');
    expect(there.stdout).not.toContain('Error: exit status');
    expect(normalise(there.stdout)).toBe(normalise(here.stdout));
  }, 600_000);

  it('Ctrl-C stops the Workflow, and the CLI exits with the run’s interrupted exit code', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.ONCLUSTER_TOKEN;
    delete env.HELIX_ROOT;
    const child = spawn(process.execPath, [bin, 'play', 'oncluster', '--on-cluster', '--set', 'fail=true', '--set', 'fail_after_ms=45000'], {
      cwd: project,
      env,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let gone = false;
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        gone = true;
        resolve(code);
      }),
    );
    await eventually(
      'the in-cluster play to reach its long task',
      async () => {
        if (gone) throw new Error(`helix exited before it was interrupted:\n${out}`);
        return out.includes('oncluster/20_config/token') ? true : undefined;
      },
      300_000,
    );
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    // helix in the pod finishes its current task (the 45 s wait), then stops; the CLI follows it to the end.
    expect(Date.now() - interruptedAt).toBeLessThan(120_000);
    expect(out).toContain('failed   oncluster/20_config/never-created');
    expect(out).toContain('helix: interrupted, stopping Workflow');
    expect(code, out).toBe(130);
    // helix in the pod stopped as a local run does: the recap says interrupted, and the run lock is released.
    expect(out).toMatch(/^interrupted in /m);
    expect(
      await kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'helix-system', name: 'helix-lock-oncluster-local' }),
    ).toBeUndefined();
    const name = new RegExp(`Workflow ${runnerNs}/(${runner}-play-[0-9a-f]+)`).exec(out)?.[1];
    const wf = await eventually(
      'the stopped Workflow to finish',
      async () => {
        const w = await kube.get({ apiVersion: WORKFLOW_API, kind: 'Workflow', namespace: runnerNs, name: name! });
        const s = w?.status as { phase?: string; message?: string } | undefined;
        return s?.phase && !['Pending', 'Running'].includes(s.phase) ? s : undefined;
      },
      120_000,
    );
    expect(wf.phase).toBe('Failed');
    expect(wf.message).toMatch(/Stopped with strategy 'Stop'/);
  }, 600_000);

  it('an in-cluster rollback removes the component, the Workflows and the RBAC helix created', async () => {
    const r = await inCluster(['rollback', 'oncluster']);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/changed  oncluster\/89_rollback\/namespace/);
    expect(r.stderr).toMatch(/removed the in-cluster runner: .*ClusterRole helix-run-oncluster-local/);
    await eventually('nothing of the component to be left', async () => ((await leftovers()).length === 0 ? true : undefined), 180_000);
    expect(await leftovers()).toEqual([]);
  }, 600_000);
});
