import { describe, expect, it } from 'vitest';
import component, { type PlatformVars } from '../../../playbooks/platform/component.ts';
import { devtronValues } from '../../../playbooks/platform/lib/devtron-values.ts';
import * as m from '../../../playbooks/platform/lib/manifests.ts';
import { liveChecks } from '../../../playbooks/platform/readiness/live.ts';
import { staticChecks } from '../../../playbooks/platform/readiness/static.ts';
import readiness from '../../../playbooks/platform/verify.ts';
import { Secret } from '../../../src/index.ts';
import type { CheckResult, HelmReader, KnownKind, KubeReader, Obj } from '../../../src/verify/index.ts';
import { readinessContext, runReadiness } from '../../../src/verify/index.ts';
import { envOf } from '../../../src/runtime/inventory.ts';

const base = {
  terraform: { dir: 'tf' },
  identity: { issuer: 'https://auth.example.com/application/o/devtron/', client_id: 'devtron', client_secret: new Secret('oidc-secret-value') },
  devtron: { hostname: 'devtron.example.com' },
  kyverno: { image_references: ['ghcr.io/acme/*'], subject: 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main' },
  argocd: { repo_url: 'https://github.com/acme/gitops.git' },
};
/** A production environment with Devtron enabled: every check applies. */
const vars = component.vars.parse(base) as PlatformVars;
const ENV = 'test';

/** The Devtron release as the play deploys it (the values helix sets, as `helm get values` returns them). */
const deployedValues = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(devtronValues(vars, `${vars.cnpg.cluster_name}-rw.${vars.cnpg.namespace}.svc.cluster.local`, new Secret('pg-password'))));

/** The cluster as the play leaves it (objects from the same builders), with Argo CD reporting. */
function converged(): Obj[] {
  const node = (name: string, zone: string): Obj => ({
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const ready = { health: { status: 'Healthy' }, sync: { status: 'Synced' } };
  const app = (name: string): Obj => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace: 'argocd' }, status: ready });
  return [
    node('n1', 'a'),
    node('n2', 'b'),
    { kind: 'Namespace', metadata: { name: 'devtroncd' } },
    { kind: 'Service', metadata: { name: 'devtron-service', namespace: 'devtroncd' }, spec: { type: 'ClusterIP' } },
    m.identityConfig(vars),
    { kind: 'Secret', metadata: { name: 'platform-oidc-client', namespace: 'devtroncd' }, data: { client_secret: b64('x') } },
    m.argoRules(vars),
    { ...m.rootApplication(vars, ENV), status: ready },
    ...vars.argocd.layers.map((l) => app(`${l.name}-${ENV}`)),
    m.cnpgCluster(vars),
    m.cnpgPooler(vars),
    m.poolerPdb(vars),
    m.imagePolicy(vars),
    m.policyException(vars),
    m.forwardAuthMiddleware(vars),
    m.dashboardRoute(vars),
    { kind: 'Deployment', metadata: { name: 'argocd-dex-server', namespace: 'devtroncd' } },
  ] as Obj[];
}

class FakeKube implements KubeReader {
  readonly objects: Obj[];
  constructor(objects: Obj[]) {
    this.objects = objects;
  }
  async get(kind: KnownKind, name: string, namespace?: string) {
    return this.objects.find(
      (o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || !o.metadata.namespace || o.metadata.namespace === namespace),
    );
  }
  async list(kind: KnownKind, namespace?: string) {
    return this.objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
  }
}

type Release = { status: string; values: Record<string, unknown> };
class FakeHelm implements HelmReader {
  readonly releases: Record<string, Release>;
  constructor(releases: Record<string, Release>) {
    this.releases = releases;
  }
  async release(name: string, namespace: string) {
    const r = this.releases[`${namespace}/${name}`];
    return r && { name, namespace, revision: 3, status: r.status, chart: 'devtron-operator-0.23.3', appVersion: 'v2' };
  }
  async values(name: string, namespace: string) {
    return this.releases[`${namespace}/${name}`]?.values ?? {};
  }
}
const deployed = (): Record<string, Release> => ({ 'devtroncd/devtron': { status: 'deployed', values: deployedValues() } });

const find = (objs: Obj[], kind: string, name?: string) => objs.find((o) => o.kind === kind && (!name || o.metadata.name === name))!;
/** Replaces one object by an edited copy. */
const edit =
  (kind: string, change: (o: Obj) => void, name?: string) =>
  (objs: Obj[]): Obj[] => {
    const o = structuredClone(find(objs, kind, name));
    change(o);
    return [...objs.filter((x) => x !== find(objs, kind, name)), o];
  };
const drop =
  (kind: string, name?: string) =>
  (objs: Obj[]): Obj[] =>
    objs.filter((x) => !(x.kind === kind && (!name || x.metadata.name === name)));

type Row = {
  name: string;
  objects?: (objs: Obj[]) => Obj[];
  releases?: (r: Record<string, Release>) => Record<string, Release>;
  v?: PlatformVars;
  /** Check id → evidence pattern: exactly these FAIL. */
  fails?: Record<string, RegExp>;
  /** Check id → evidence pattern: these WARN (others may too). */
  warns?: Record<string, RegExp>;
};
const values = (change: (v: any) => void) => (r: Record<string, Release>) => {
  const out = structuredClone(r);
  change(out['devtroncd/devtron']!.values);
  return out;
};

const rows: Row[] = [
  { name: 'the converged cluster has no FAIL (second look finds nothing)', fails: {} },
  { name: 'B: no nodes', objects: drop('Node'), fails: { 'B.nodes': /no nodes/ } },
  {
    name: 'B: a NotReady node',
    objects: edit('Node', (n) => (n.status = { conditions: [{ type: 'Ready', status: 'False' }] }), 'n2'),
    fails: { 'B.nodes': /NotReady: n2/ },
  },
  {
    name: 'B: one zone is a WARN',
    objects: edit('Node', (n) => (n.metadata.labels = { 'topology.kubernetes.io/zone': 'a' }), 'n2'),
    fails: {},
    warns: { 'B.zones': /1 zone label/ },
  },
  {
    name: 'C: an Argo CD server pod in devtroncd',
    objects: (o) => [...o, { kind: 'Pod', metadata: { name: 'argocd-server-7d9f-abcde', namespace: 'devtroncd' } }],
    fails: { 'C.no-argocd-in-devtroncd': /Pod devtroncd\/argocd-server-7d9f-abcde/ },
  },
  {
    name: 'C: no devtroncd namespace is not "no Argo CD there"',
    objects: drop('Namespace', 'devtroncd'),
    fails: { 'C.no-argocd-in-devtroncd': /Namespace devtroncd: not found/ },
  },
  { name: 'C: the Devtron release is absent', releases: () => ({}), fails: { 'C.devtron-release': /helm release devtroncd\/devtron: absent/ } },
  {
    name: 'C: the Devtron release failed',
    releases: (r) => ({ 'devtroncd/devtron': { ...r['devtroncd/devtron']!, status: 'failed' } }),
    fails: { 'C.devtron-release': /: failed/ },
  },
  {
    name: 'C: the deployed release turns the bundled Argo CD on',
    releases: values((x) => (x['argo-cd'].enabled = true)),
    fails: { 'C.devtron-argocd-off': /argo-cd\.enabled = true/ },
  },
  {
    name: 'C: the deployed release leaves argo-cd.enabled to the chart (WARN)',
    releases: values((x) => delete x['argo-cd']),
    fails: {},
    warns: { 'C.devtron-argocd-off': /not set/ },
  },
  {
    name: 'C: the deployed release points Devtron at the transaction Pooler',
    releases: values((x) => (x.global.externalPostgres.PG_ADDR = 'platform-db-pooler-rw.platform.svc.cluster.local')),
    fails: { 'C.devtron-db-rw': /PG_ADDR = platform-db-pooler-rw\.platform/ },
  },
  {
    name: 'C: the deployed release has no PG_ADDR',
    releases: values((x) => delete x.global.externalPostgres.PG_ADDR),
    fails: { 'C.devtron-db-rw': /\(not set\)/ },
  },
  {
    name: 'C: the Devtron Service is a LoadBalancer',
    objects: edit('Service', (s) => (s.spec.type = 'LoadBalancer')),
    fails: { 'C.devtron-service': /type LoadBalancer/ },
  },
  { name: 'C: the Devtron Service is gone', objects: drop('Service'), fails: { 'C.devtron-service': /devtron-service: not found/ } },
  { name: 'C: the root Application is gone', objects: drop('Application', `apps-root-${ENV}`), fails: { 'C.apps-root': /apps-root-test: not found/ } },
  {
    name: 'C: a generated Application is missing in production',
    objects: drop('Application', `apps-${ENV}`),
    fails: { [`C.app-apps-${ENV}`]: /apps-test: not found \(ApplicationSet platform-test generates it\)/ },
  },
  {
    name: 'C: an Application no Argo CD reports on, in production',
    objects: edit('Application', (a) => delete a.status, `platform-${ENV}`),
    fails: { [`C.app-platform-${ENV}`]: /no status \(no Argo CD controller has reported on it\)/ },
  },
  {
    name: 'C: a Degraded Application',
    objects: edit(
      'Application',
      (a) => (a.status = { health: { status: 'Degraded', message: 'Deployment x failed' }, sync: { status: 'Synced' } }),
      `apps-root-${ENV}`,
    ),
    fails: { [`C.app-apps-root-${ENV}`]: /health Degraded, sync Synced \(Deployment x failed\)/ },
  },
  {
    name: 'C: an OutOfSync Application is a WARN',
    objects: edit('Application', (a) => (a.status.sync.status = 'OutOfSync'), `apps-root-${ENV}`),
    fails: {},
    warns: { [`C.app-apps-root-${ENV}`]: /sync OutOfSync/ },
  },
  { name: 'D: the image policy is gone', objects: drop('ClusterPolicy'), fails: { 'D.image-signing': /ClusterPolicy verify-image-provenance: not found/ } },
  {
    name: 'D: the image policy lost its keyless attestor',
    objects: edit('ClusterPolicy', (p) => (p.spec.rules[0].verifyImages[0].attestors = [{ entries: [{ keys: { publicKeys: 'x' } }] }])),
    fails: { 'D.image-signing': /no keyless attestor/ },
  },
  {
    name: 'I: the emergency PolicyException is gone',
    objects: drop('PolicyException'),
    fails: { 'I.emergency-exception': /PolicyException kyverno\/allow-emergency-image: not found/ },
  },
  {
    name: 'I: Audit with mutateDigest true',
    objects: edit('ClusterPolicy', (p) => (p.spec.rules[0].verifyImages[0].mutateDigest = true)),
    fails: { 'I.policy-mode': /mutateDigest = true with Audit/ },
  },
  {
    name: 'I: the live policy is in Enforce while the inventory says Audit',
    objects: edit('ClusterPolicy', (p) => (p.spec.rules[0].verifyImages[0].failureAction = 'Enforce')),
    fails: { 'I.policy-mode': /failureAction = Enforce \(inventory kyverno\.mode = Audit\)/ },
  },
  { name: 'E: the Cluster is gone', objects: drop('Cluster'), fails: { 'E.cluster': /Cluster platform\/platform-db-cluster: not found/ } },
  { name: 'E: the Cluster has one instance', objects: edit('Cluster', (c) => (c.spec.instances = 1)), fails: { 'E.cluster': /spec\.instances = 1/ } },
  { name: 'E: the Pooler is gone', objects: drop('Pooler'), fails: { 'E.pooler': /Pooler platform\/platform-db-pooler-rw: not found/ } },
  {
    name: 'E: the Pooler in session mode',
    objects: edit('Pooler', (p) => (p.spec.pgbouncer.poolMode = 'session')),
    fails: { 'E.pooler': /poolMode = session \(want transaction\)/ },
  },
  { name: 'E: the PDB is gone', objects: drop('PodDisruptionBudget'), fails: { 'E.pooler-pdb': /not found/ } },
  {
    name: 'E: the PDB selects the wrong pods',
    objects: edit('PodDisruptionBudget', (p) => (p.spec.selector.matchLabels = { 'cnpg.io/poolerName': 'other' })),
    fails: { 'E.pooler-pdb': /cnpg\.io\/poolerName=other/ },
  },
  {
    name: 'F: the identity ConfigMap is gone',
    objects: drop('ConfigMap'),
    fails: { 'F.identity-config': /ConfigMap devtroncd\/platform-identity: not found/ },
  },
  {
    name: 'F: the identity ConfigMap names another issuer',
    objects: edit('ConfigMap', (c) => (c.data.issuer = 'https://evil.example.com/')),
    fails: { 'F.identity-config': /issuer https:\/\/evil\.example\.com\// },
  },
  { name: 'F: the OIDC client Secret is gone', objects: drop('Secret'), fails: { 'F.oidc-secret': /platform-oidc-client: not found/ } },
  { name: 'F: the OIDC client Secret has no client_secret', objects: edit('Secret', (s) => (s.data = {})), fails: { 'F.oidc-secret': /no client_secret key/ } },
  {
    name: 'H: ForwardAuth points elsewhere',
    objects: edit('Middleware', (w) => (w.spec.forwardAuth.address = 'http://evil.example.com/auth')),
    fails: { 'H.forward-auth': /forwardAuth\.address = http:\/\/evil\.example\.com\/auth/ },
  },
  { name: 'H: the Middleware is gone', objects: drop('Middleware'), fails: { 'H.forward-auth': /Middleware traefik\/authentik: not found/ } },
  {
    name: 'H: the dashboard route skips the Middleware',
    objects: edit('IngressRoute', (r) => r.spec.routes.forEach((x: any) => (x.middlewares = []))),
    fails: { 'H.dashboard-route': /no route for devtron\.example\.com through middleware authentik/ },
  },
  { name: 'H: the dashboard route is gone', objects: drop('IngressRoute'), fails: { 'H.dashboard-route': /IngressRoute devtroncd\/devtron: not found/ } },
  { name: 'J: the alert rules are gone', objects: drop('PrometheusRule'), fails: { 'J.argocd-alerts': /PrometheusRule argocd\/argocd-alerts: not found/ } },
  {
    name: 'J: an alert is missing',
    objects: edit('PrometheusRule', (r) => r.spec.groups.forEach((g: any) => (g.rules = g.rules.filter((x: any) => x.alert !== 'ArgoAppHealthDegraded')))),
    fails: { 'J.argocd-alerts': /missing ArgoAppHealthDegraded/ },
  },
];

/** Checks that only ever WARN (what they look at is advice, not a requirement). */
const WARN_ONLY = ['B.zones'];

async function live(row: Row): Promise<CheckResult[]> {
  const objects = (row.objects ?? ((o) => o))(converged());
  const releases = (row.releases ?? ((r) => r))(deployed());
  return liveChecks(row.v ?? vars, ENV, new FakeKube(objects), new FakeHelm(releases));
}

describe('live readiness checks', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const results = await live(row);
      const failed = results.filter((r) => r.status === 'FAIL');
      expect(failed.map((r) => `${r.id}: ${r.evidence}`)).toHaveLength(Object.keys(row.fails ?? {}).length);
      for (const [id, re] of Object.entries(row.fails ?? {})) expect(failed.find((r) => r.id === id)?.evidence).toMatch(re);
      for (const [id, re] of Object.entries(row.warns ?? {})) expect(results.find((r) => r.id === id && r.status === 'WARN')?.evidence).toMatch(re);
      for (const r of results.filter((x) => x.status !== 'PASS')) expect(r.fix).toBeTruthy();
    });
  }

  it('every live check has a row that makes it FAIL (or WARN, for the advice-only ones)', async () => {
    // One id per Application (`C.app-<name>`): a row for any of them covers the check.
    const kind = (id: string): string => id.replace(/^C\.app-.*/, 'C.app-*');
    const ids = new Set((await live(rows[0]!)).map((r) => kind(r.id)));
    const failing = new Set<string>();
    const warning = new Set<string>();
    for (const row of rows) {
      for (const id of Object.keys(row.fails ?? {})) failing.add(kind(id));
      for (const id of Object.keys(row.warns ?? {})) warning.add(kind(id));
    }
    expect([...ids].filter((id) => !failing.has(id) && !WARN_ONLY.includes(id))).toEqual([]);
    expect(WARN_ONLY.filter((id) => !warning.has(id))).toEqual([]);
  });

  it('outside production, missing or unreported Applications are WARN, not FAIL', async () => {
    const v = component.vars.parse({ ...base, production: false }) as PlatformVars;
    const objects = drop('Application', `apps-${ENV}`)(edit('Application', (a) => delete a.status, `platform-${ENV}`)(converged()));
    const results = await live({ name: '', v, objects: () => objects });
    expect(results.filter((r) => r.status === 'FAIL')).toEqual([]);
    expect(results.find((r) => r.id === `C.app-apps-${ENV}`)).toMatchObject({ status: 'WARN', evidence: expect.stringMatching(/not found.*not production/) });
    expect(results.find((r) => r.id === `C.app-platform-${ENV}`)).toMatchObject({
      status: 'WARN',
      evidence: expect.stringMatching(/no status.*not production/),
    });
  });

  it('with Devtron disabled the release is a WARN and its values are not claimed', async () => {
    const v = component.vars.parse({ ...base, devtron: { ...base.devtron, enabled: false } }) as PlatformVars;
    const results = await live({ name: '', v, releases: () => ({}) });
    expect(results.find((r) => r.id === 'C.devtron-release')).toMatchObject({ status: 'WARN' });
    expect(results.map((r) => r.id)).not.toContain('C.devtron-argocd-off');
    expect(results.map((r) => r.id)).not.toContain('C.devtron-service');
  });
});

describe("the platform's verify.ts, as helix verify and the test playbook 88 run it", () => {
  const env = (v: Record<string, unknown>) =>
    envOf(
      {
        name: ENV,
        vars: {},
        kubernetes: undefined,
        tlsVerify: true,
        hosts: {},
        groups: {},
        provenance: {},
        file: `${process.cwd()}/inventory/test.yaml`,
        components: {},
      } as any,
      component.vars.parse(v) as PlatformVars,
      {},
    );

  it('checks the Devtron release whenever Devtron is enabled', async () => {
    const ctx = readinessContext(env(base), { static: false, kube: new FakeKube(converged()), helm: new FakeHelm({}) });
    const results = await runReadiness(readiness, ctx);
    expect(results.find((r) => r.id === 'C.devtron-release')).toMatchObject({ status: 'FAIL', evidence: expect.stringMatching(/absent/) });
  });

  it('orders results by section, A to J', async () => {
    const ctx = readinessContext(env(base), { static: false, kube: new FakeKube(converged()), helm: new FakeHelm(deployed()) });
    const sections = (await runReadiness(readiness, ctx)).map((r) => r.section);
    expect(sections).toEqual([...sections].sort());
  });

  it('static mode reads no cluster; live mode without a cluster is a configuration error', async () => {
    const staticCtx = readinessContext(env(base), { static: true });
    const results = await runReadiness(readiness, staticCtx);
    expect(results.some((r) => r.section === 'B')).toBe(false);
    await expect(runReadiness(readiness, readinessContext(env(base), { static: false }))).rejects.toThrow(/names no Kubernetes cluster: use --static/);
  });
});

describe('static readiness checks', () => {
  it('pass for the rendered objects, with warnings where the inventory cannot say', () => {
    const results = staticChecks(vars, ENV);
    expect(results.filter((r) => r.status === 'FAIL')).toEqual([]);
    expect(results.find((r) => r.id === 'I.exceptions-honoured')!.status).toBe('WARN');
  });

  it('no static check re-checks a value helix hard-codes (those are read from the deployed release)', () => {
    const ids = staticChecks(vars, ENV).map((r) => r.id);
    for (const id of ['C.devtron-argocd-off', 'C.devtron-db-rw', 'C.devtron-service']) expect(ids).not.toContain(id);
  });

  it.each([
    ['D.sops', { identity: { ...base.identity, client_secret: 'identity.client_secret' } }, /secrets\.sops_file is not set/],
    ['F.issuer', { identity: { ...base.identity, issuer: 'http://auth.example.com/application/o/devtron/' } }, /identity\.issuer = http:/],
    ['E.pooler', { cnpg: { pooler: { pool_mode: 'session' } } }, /poolMode = session/],
    ['E.pooler', { cnpg: { pooler: { instances: 1 } } }, /spec\.instances = 1/],
  ] as const)('%s FAILs on a wrong inventory input', (id, over, re) => {
    const v = component.vars.parse({ ...base, ...over }) as PlatformVars;
    const r = staticChecks(v, ENV).find((x) => x.id === id && x.status === 'FAIL');
    expect(r?.evidence).toMatch(re);
  });

  it.each([
    ['D.trivy', { devtron: { ...base.devtron, trivy: false } }, /security\.enabled = false/],
    ['C.sync-retry', { argocd: { ...base.argocd, retry_limit: 0 } }, /retry_limit = 0/],
    ['C.layer-order', {}, /ordered by sync-wave annotations only/],
  ] as const)('%s WARNs on a weak inventory input', (id, over, re) => {
    const v = component.vars.parse({ ...base, ...over }) as PlatformVars;
    expect(staticChecks(v, ENV).find((x) => x.id === id && x.status === 'WARN')?.evidence).toMatch(re);
  });

  it('FAIL when Kyverno is installed without policyExceptions', () => {
    const v = {
      ...vars,
      operators: [{ release: 'kyverno', namespace: 'kyverno', chart: 'kyverno', values: { features: { policyExceptions: { enabled: false } } } }],
    } as PlatformVars;
    const r = staticChecks(v, ENV).find((x) => x.id === 'I.exceptions-honoured')!;
    expect(r.status).toBe('FAIL');
    expect(r.evidence).toMatch(/"enabled":false/);
  });

  it('FAIL when Traefik is installed without allowCrossNamespace', () => {
    const v = { ...vars, operators: [{ release: 'traefik', namespace: 'traefik', chart: 'traefik', values: {} }] } as PlatformVars;
    expect(staticChecks(v, ENV).find((x) => x.id === 'H.cross-namespace')!.status).toBe('FAIL');
  });

  it('renders Enforce with mutateDigest on, and the checks accept it', () => {
    const v = { ...vars, kyverno: { ...vars.kyverno, mode: 'Enforce' as const } };
    const entry = m.imagePolicy(v).spec.rules[0].verifyImages[0];
    expect(entry).toMatchObject({ failureAction: 'Enforce', mutateDigest: true });
    expect(staticChecks(v, ENV).find((x) => x.id === 'I.policy-mode')!.status).toBe('PASS');
  });
});
