import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSops } from '../../../playbooks/platform/lib/sops-install.ts';
import { ensureUpstreamCrds } from '../../../src/crds/index.ts';
import { installHelm } from '../../../src/modules/helm/install.ts';
import { rawKube } from '../../../src/crds/kube.ts';
import { changeKey, EventBus, run } from '../../../src/index.ts';
import type { RunOptions } from '../../../src/runtime/run.ts';
import { verifyComponent } from '../../../src/verify/run.ts';
import { hasKubernetes, kubeEnv } from '../k8s/helpers.ts';
import { readSandboxInventory } from '../../support/sandbox.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

async function helix(selection: RunOptions['selection'], extra: Partial<RunOptions> = {}) {
  const result = await run({ root, component: 'platform', env: 'local', selection, mode: 'apply', bus: new EventBus(), ...extra });
  return { result, keys: result.changes.map((c) => changeKey(c.change)).sort() };
}

async function databases(): Promise<string[]> {
  const v = (readSandboxInventory()!.raw.vars ?? {}) as Record<string, any>;
  const client = new pg.Client({
    host: v.postgres_host,
    port: v.postgres_port,
    user: v.postgres_user,
    database: v.postgres_database ?? 'postgres',
    password: readFileSync(v.postgres_password.secret.file, 'utf8').trim(),
  });
  await client.connect();
  try {
    const r = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname IN ('orchestrator','lens','git_sensor','casbin') ORDER BY 1",
    );
    return r.rows.map((x) => x.datname);
  } finally {
    await client.end();
  }
}

const hasPostgres = (): boolean => Boolean((readSandboxInventory()?.raw.vars as Record<string, unknown> | undefined)?.postgres_host);

describe.runIf(hasKubernetes() && hasPostgres())('platform on the sandbox', () => {
  const k = () => kubeEnv().kubernetes!;
  const kube = () => rawKube(k().kubeconfig!, k().context);
  const failures = async (set?: Record<string, unknown>) =>
    (await verifyComponent({ root, component: 'platform', env: 'local', ...(set ? { set } : {}) })).results
      .filter((r) => r.status === 'FAIL')
      .map((r) => `${r.id}: ${r.evidence}`);

  beforeAll(async () => {
    await Promise.all([installSops(), installHelm()]);
    const report = await ensureUpstreamCrds(k().kubeconfig!, undefined, { ...(k().context ? { context: k().context! } : {}) });
    expect(report.created.length + report.updated.length + report.unchanged.length).toBeGreaterThanOrEqual(60);
    await helix('rollback', { extraVars: { purge_data: true } });
  }, 1_800_000);

  afterAll(async () => {
    await helix('rollback');
  }, 600_000);

  it('upstream CRDs are installed and a second install changes nothing', async () => {
    const again = await ensureUpstreamCrds(k().kubeconfig!, ['cnpg', 'kyverno', 'traefik', 'prometheus-operator', 'argo-cd', 'argo-workflows'], {
      ...(k().context ? { context: k().context! } : {}),
    });
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    for (const crd of [
      'poolers.postgresql.cnpg.io',
      'clusterpolicies.kyverno.io',
      'middlewares.traefik.io',
      'prometheusrules.monitoring.coreos.com',
      'applications.argoproj.io',
      'workflows.argoproj.io',
    ]) {
      expect(again.unchanged).toContain(crd);
    }
  });

  it('converges: --check predicts exactly, the second run changes nothing, the databases exist', async () => {
    const check = await helix('play', { mode: 'check' });
    expect(check.result.ok).toBe(true);
    const real = await helix('play');
    expect(real.result.ok).toBe(true);
    expect(real.keys).toEqual(check.keys);
    expect(real.keys).toContain('create postgres:127.0.0.1:15432/orchestrator');
    expect(real.keys).toContain('create k8s:postgresql.cnpg.io/v1/Pooler/platform/platform-db-pooler-rw');
    const again = await helix('play');
    expect(again.keys).toEqual([]);
    expect(again.result.recap.localhost?.changed).toBe(0);
    expect(await databases()).toEqual(['casbin', 'git_sensor', 'lens', 'orchestrator']);
    const test = await helix('test');
    expect(test.result.ok).toBe(true);
  });

  it('verify passes on the converged sandbox', async () => {
    expect(await failures()).toEqual([]);
  });

  it('verify FAILs with the right evidence when one thing per section is broken', async () => {
    // A: a backend with dynamodb_table and a helm_release resource (static files).
    const tf = mkdtempSync(join(tmpdir(), 'helix-tf-broken-'));
    try {
      const good = readFileSync(join(root, 'playbooks/platform/terraform/envs/prod/backend.tf'), 'utf8');
      writeFileSync(join(tf, 'backend.tf'), good.replace('use_lockfile = true', 'use_lockfile = true\n    dynamodb_table = "tf-locks"'));
      writeFileSync(join(tf, 'apps.tf'), 'resource "helm_release" "devtron" {\n  name = "devtron"\n}\n');
      const a = await failures({ terraform: { dir: tf } });
      expect(a.some((f) => /^A\.backend-no-dynamodb: .*dynamodb_table = tf-locks/.test(f))).toBe(true);
      expect(a.some((f) => /^A\.hard-boundary: .*resource helm_release\.devtron/.test(f))).toBe(true);
    } finally {
      rmSync(tf, { recursive: true, force: true });
    }
    // C: an Argo CD pod in devtroncd.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'argocd-server-broken', namespace: 'devtroncd' },
      spec: { containers: [{ name: 'x', image: 'example.invalid/argocd:v3' }] },
    };
    expect((await kube().request('POST', '/api/v1/namespaces/devtroncd/pods', pod)).status).toBe(201);
    expect(await failures()).toEqual([expect.stringMatching(/^C\.no-argocd-in-devtroncd: Pod devtroncd\/argocd-server-broken/)]);
    await kube().request('DELETE', '/api/v1/namespaces/devtroncd/pods/argocd-server-broken?gracePeriodSeconds=0');
    // E: the Pooler in session mode.
    const pooler = '/apis/postgresql.cnpg.io/v1/namespaces/platform/poolers/platform-db-pooler-rw';
    await kube().request('PATCH', pooler, { spec: { pgbouncer: { poolMode: 'session' } } }, 'application/merge-patch+json');
    expect(await failures()).toEqual([expect.stringMatching(/^E\.pooler: live Pooler platform\/platform-db-pooler-rw: spec\.pgbouncer\.poolMode = session/)]);
    // I: mutateDigest with Audit.
    const policy = '/apis/kyverno.io/v1/clusterpolicies/verify-image-provenance';
    const live = (await kube().request('GET', policy)).body as any;
    live.spec.rules[0].verifyImages[0].mutateDigest = true;
    await kube().request('PATCH', policy, { spec: { rules: live.spec.rules } }, 'application/merge-patch+json');
    // F, H, J: objects removed.
    await kube().request('DELETE', '/api/v1/namespaces/devtroncd/configmaps/platform-identity');
    await kube().request('DELETE', '/apis/traefik.io/v1alpha1/namespaces/traefik/middlewares/authentik');
    await kube().request('DELETE', '/apis/monitoring.coreos.com/v1/namespaces/platform-monitoring/prometheusrules/argocd-alerts');
    const broken = await failures();
    expect(broken.map((f) => f.split(':')[0]).sort()).toEqual(['E.pooler', 'F.identity-config', 'H.forward-auth', 'I.policy-mode', 'J.argocd-alerts']);
    expect(broken.find((f) => f.startsWith('I.'))).toMatch(/mutateDigest = true with Audit/);
    expect(broken.find((f) => f.startsWith('H.'))).toMatch(/Middleware traefik\/authentik: not found/);
    // The play repairs all of it; verify passes again.
    const repair = await helix('play');
    expect(repair.result.ok).toBe(true);
    expect(repair.keys).toEqual([
      'create k8s:monitoring.coreos.com/v1/PrometheusRule/platform-monitoring/argocd-alerts',
      'create k8s:traefik.io/v1alpha1/Middleware/traefik/authentik',
      'create k8s:v1/ConfigMap/devtroncd/platform-identity',
      'update k8s:kyverno.io/v1/ClusterPolicy/_/verify-image-provenance',
      'update k8s:postgresql.cnpg.io/v1/Pooler/platform/platform-db-pooler-rw',
    ]);
    expect(await failures()).toEqual([]);
  });

  it('rollback removes what the play created and keeps the data (databases, CNPG cluster, its namespace); --purge-data drops them', async () => {
    const check = await helix('rollback', { mode: 'check' });
    const rb = await helix('rollback');
    expect(rb.result.ok).toBe(true);
    expect(rb.keys).toEqual(check.keys);
    expect(rb.keys.every((k) => k.startsWith('delete k8s:'))).toBe(true);
    expect(rb.keys).not.toContain('delete k8s:v1/Namespace/_/platform');
    expect(rb.keys.filter((k) => k.includes('postgresql.cnpg.io/v1/Cluster/'))).toEqual([]);
    expect(await databases()).toEqual(['casbin', 'git_sensor', 'lens', 'orchestrator']);
    expect((await helix('rollback')).keys).toEqual([]);
    expect((await helix('play')).result.ok).toBe(true);
    const purge = await helix('rollback', { extraVars: { purge_data: true } });
    expect(purge.result.ok).toBe(true);
    expect(purge.keys).toContain('delete postgres:127.0.0.1:15432/orchestrator');
    expect(purge.keys).toContain('delete k8s:v1/Namespace/_/platform');
    expect(await databases()).toEqual([]);
  });
});
