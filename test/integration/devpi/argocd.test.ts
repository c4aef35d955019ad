import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type KubeObject, kubeTransport, loadKubeConfig } from '../../../src/modules/k8s/index.ts';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { type CliRun, helix, keys } from './cli.ts';

/**
 * DevPi delivered by Argo CD on the sandbox, through the CLI as a user runs it
 * (`--set deploy.mode=argocd` over inventory/local.yaml): helix pushes the manifests to the
 * git host, writes the repository Secret and the Application; the sandbox's Argo CD (its
 * repo server cloning over SSH with that Secret, its application controller applying) deploys
 * devpi; helix waits for the pushed commit Synced and Healthy. Then a replay changes nothing
 * and a rollback removes the Application and everything Argo CD created. Afterwards devpi is
 * played again in direct mode, as inventory/local.yaml has it.
 */
const ARGOCD = ['--set', 'deploy.mode=argocd'];
const APP = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'argocd', name: 'devpi' };
/** What the deployment repository holds: devpi.yaml and index-init.yaml (kustomization.yaml is not applied). */
const SYNCED = [
  { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' },
  { apiVersion: 'v1', kind: 'Service', namespace: 'devpi', name: 'devpi' },
];

interface Inv {
  vars: Record<string, any>;
  kubernetes: { kubeconfig: string; context: string };
}
const inventory = (): Inv => parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as Inv;
const kube = () => new KubeClient(kubeTransport(loadKubeConfig(inventory().kubernetes)).transport);
const changed = (run: CliRun): number => run.events.filter((e) => e.type === 'task.changed').length;
const tail = (r: CliRun) => r.stdout.slice(-4000) + r.stderr.slice(-2000);

/** The commit the deployment branch points at on the git host (read with the sandbox's own key). */
function branchHead(): string {
  const inv = inventory();
  const url = `${inv.vars.git_remote_base}/sandbox.git`;
  const r = spawnSync('git', ['ls-remote', url, 'helix-devpi'], {
    env: { ...process.env, GIT_SSH_COMMAND: inv.vars.git_ssh_command },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const m = /^([0-9a-f]{40})\trefs\/heads\/helix-devpi$/m.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return m![1]!;
}

describe('devpi delivered by Argo CD on the sandbox, through the CLI', () => {
  beforeAll(() => {
    // Start clean: whatever a direct or an Argo CD play left (the rollback in argocd mode also removes the Application).
    const r = helix(['rollback', 'devpi', '--env', 'local', ...ARGOCD]);
    expect(r.code, tail(r)).toBe(0);
  }, 900_000);

  afterAll(() => {
    // Leave devpi as inventory/local.yaml deploys it, for the other tests and users of the sandbox.
    const r = helix(['play', 'devpi', '--env', 'local']);
    expect(r.code, tail(r)).toBe(0);
  }, 1_800_000);

  let first: CliRun;
  /** What the Application reported it manages, as `Kind/namespace/name`. */
  let managed: { group?: string; version: string; kind: string; namespace?: string; name: string }[] = [];

  it('the play pushes the manifests, Argo CD syncs them, and helix waits for the pushed commit Synced and Healthy', async () => {
    first = helix(['play', 'devpi', '--env', 'local', ...ARGOCD, '--json']);
    expect(first.code, tail(first)).toBe(0);
    const head = branchHead();
    const synced = first.events.find((e) => e.type === 'task.ok' && e.path === 'devpi/70_deploy_devpi/synced');
    expect(synced?.reason).toBe(`Application argocd/devpi: Synced to ${head.slice(0, 12)} and Healthy`);
    // helix wrote the Application and its repository Secret, and never devpi's own objects: Argo CD did.
    expect(keys(first)).toContain('create k8s:argoproj.io/v1alpha1/Application/argocd/devpi');
    expect(keys(first)).toContain('create k8s:v1/Secret/argocd/devpi-deployment-repo');
    expect(keys(first).filter((k) => k.startsWith('create git:') && k.endsWith(':k8s/devpi.yaml'))).toHaveLength(1);
    expect(keys(first)).not.toContain('create k8s:apps/v1/Deployment/devpi/devpi');

    const k = kube();
    const app = (await k.get(APP)) as KubeObject;
    const status = app.status as { sync: { status: string; revision: string }; health: { status: string }; resources: { kind: string; name: string }[] };
    expect([status.sync.status, status.sync.revision, status.health.status]).toEqual(['Synced', head, 'Healthy']);
    expect(status.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(expect.arrayContaining(['Deployment/devpi', 'Service/devpi']));
    managed = status.resources as unknown as typeof managed;
    expect(managed.map((r) => r.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Job', 'Service']);
    for (const ref of SYNCED) {
      const o = (await k.get(ref)) as KubeObject;
      expect(o, `${ref.kind} ${ref.name}`).toBeDefined();
      // Applied by Argo CD's controller (server-side apply), tracked as the Application's.
      expect(o.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toMatch(/^devpi:/);
      const managers = ((o.metadata.managedFields ?? []) as { manager: string; operation: string }[]).map((f) => `${f.manager}/${f.operation}`);
      expect(managers).toContain('argocd-controller/Apply');
      expect(managers.filter((m) => m.startsWith('helix/'))).toEqual([]);
    }
    // The pod Argo CD deployed runs on the real node and serves through the ingress, TLS verified.
    const pods = await k.list('v1', 'Pod', { namespace: 'devpi', labelSelector: 'app=devpi' });
    const running = pods.filter((p) => (p.status as { phase: string }).phase === 'Running');
    expect(
      running.map((p) => [(p.spec as { nodeName: string }).nodeName, (p.status as { containerStatuses: { ready: boolean }[] }).containerStatuses[0]!.ready]),
    ).toEqual([['helix-node', true]]);
    const { Agent } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: readFileSync(inventory().vars.tls_ca_file as string, 'utf8') } });
    const res = await fetch('https://packages-api.devpi.sandbox.test/+api', { headers: { accept: 'application/json' }, dispatcher } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { login: string } }).result.login).toBe('https://packages-api.devpi.sandbox.test/+login');
  }, 1_800_000);

  it('a second play changes nothing (and still waits on the commit the branch holds)', () => {
    const again = helix(['play', 'devpi', '--env', 'local', ...ARGOCD, '--json']);
    expect(again.code, tail(again)).toBe(0);
    expect(keys(again)).toEqual([]);
    expect(changed(again)).toBe(0);
    const synced = again.events.find((e) => e.type === 'task.ok' && e.path === 'devpi/70_deploy_devpi/synced');
    expect(synced?.reason).toBe(`Application argocd/devpi: Synced to ${branchHead().slice(0, 12)} and Healthy`);
  }, 900_000);

  it('rollback --check predicts the rollback, which removes the Application and everything Argo CD created', async () => {
    const predicted = helix(['rollback', 'devpi', '--env', 'local', ...ARGOCD, '--check', '--json']);
    expect(predicted.code, tail(predicted)).toBe(0);
    const rb = helix(['rollback', 'devpi', '--env', 'local', ...ARGOCD, '--json']);
    expect(rb.code, tail(rb)).toBe(0);
    expect(keys(predicted)).toEqual(keys(rb));
    expect(keys(rb)).toContain('delete k8s:argoproj.io/v1alpha1/Application/argocd/devpi');
    expect(keys(rb)).toContain('delete k8s:v1/Secret/argocd/devpi-deployment-repo');
    const k = kube();
    expect(await k.get(APP)).toBeUndefined();
    expect(managed.length).toBeGreaterThan(0);
    for (const r of managed) {
      const ref = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, namespace: r.namespace ?? 'devpi', name: r.name };
      expect(await k.get(ref), `${r.kind} ${r.name} is gone`).toBeUndefined();
    }
    const again = helix(['rollback', 'devpi', '--env', 'local', ...ARGOCD, '--json']);
    expect(again.code, tail(again)).toBe(0);
    expect(keys(again)).toEqual([]);
  }, 900_000);
});
