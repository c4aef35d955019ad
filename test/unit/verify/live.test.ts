import { describe, expect, it } from 'vitest';
import component, { type PlatformVars } from '../../../playbooks/platform/component.ts';
import * as m from '../../../playbooks/platform/lib/manifests.ts';
import { liveChecks } from '../../../playbooks/platform/readiness/live.ts';
import { staticChecks } from '../../../playbooks/platform/readiness/static.ts';
import type { HelmReader, KnownKind, KubeReader, Obj } from '../../../src/verify/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';

const vars = component.vars.parse({
  terraform: { dir: 'tf' },
  identity: { issuer: 'https://auth.example.com/application/o/devtron/', client_id: 'devtron', client_secret: new Secret('oidc-secret-value') },
  devtron: { hostname: 'devtron.example.com', enabled: false },
  kyverno: { image_references: ['ghcr.io/acme/*'], subject: 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main' },
  argocd: { repo_url: 'https://github.com/acme/gitops.git' },
}) as PlatformVars;

/** The cluster as the play leaves it (objects from the same builders). */
function converged(): Obj[] {
  const node = (name: string, zone: string): Obj => ({
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    node('n1', 'a'),
    node('n2', 'b'),
    m.identityConfig(vars),
    { kind: 'Secret', metadata: { name: 'platform-oidc-client', namespace: 'devtroncd' }, data: { client_secret: b64('x') } },
    m.argoRules(vars),
    { ...m.rootApplication(vars, 'test'), status: { health: { status: 'Healthy' }, sync: { status: 'Synced' } } },
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
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || !o.metadata.namespace || o.metadata.namespace === namespace));
  }
  async list(kind: KnownKind, namespace?: string) {
    return this.objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
  }
}

/** Helm as the play leaves it: the Devtron release deployed with the values helix sets. */
class FakeHelm implements HelmReader {
  readonly releases: Record<string, { status: string; values: Record<string, unknown> }>;
  constructor(releases: Record<string, { status: string; values: Record<string, unknown> }> = {}) {
    this.releases = releases;
  }
  async release(name: string, namespace: string) {
    const r = this.releases[`${namespace}/${name}`];
    return r && { name, namespace, revision: 1, status: r.status, chart: 'devtron-operator-0.23.3', appVersion: 'v2' };
  }
  async values(name: string, namespace: string) {
    return this.releases[`${namespace}/${name}`]?.values ?? {};
  }
}

type Row = { name: string; edit: (objs: Obj[]) => Obj[]; fails: Record<string, RegExp> };
const find = (objs: Obj[], kind: string) => objs.find((o) => o.kind === kind)!;
const rows: Row[] = [
  { name: 'the converged cluster has no FAIL (second look finds nothing)', edit: (o) => o, fails: {} },
  {
    name: 'B: a NotReady node',
    edit: (o) => o.map((x) => (x.metadata.name === 'n2' ? { ...x, status: { conditions: [{ type: 'Ready', status: 'False' }] } } : x)),
    fails: { 'B.nodes': /NotReady: n2/ },
  },
  {
    name: 'C: an Argo CD server pod in devtroncd',
    edit: (o) => [...o, { kind: 'Pod', metadata: { name: 'argocd-server-7d9f-abcde', namespace: 'devtroncd' } }],
    fails: { 'C.no-argocd-in-devtroncd': /Pod devtroncd\/argocd-server-7d9f-abcde/ },
  },
  {
    name: 'C: a Degraded Application',
    edit: (o) => o.map((x) => (x.kind === 'Application' ? { ...x, status: { health: { status: 'Degraded', message: 'Deployment x failed' }, sync: { status: 'Synced' } } } : x)),
    fails: { 'C.app-apps-root-test': /health Degraded, sync Synced \(Deployment x failed\)/ },
  },
  { name: 'D: the image policy is gone', edit: (o) => o.filter((x) => x.kind !== 'ClusterPolicy'), fails: { 'D.image-signing': /ClusterPolicy verify-image-provenance: not found/ } },
  {
    name: 'E: the Pooler in session mode',
    edit: (o) => {
      const p = structuredClone(find(o, 'Pooler'));
      p.spec.pgbouncer.poolMode = 'session';
      return [...o.filter((x) => x.kind !== 'Pooler'), p];
    },
    fails: { 'E.pooler': /poolMode = session \(want transaction\)/ },
  },
  {
    name: 'E: the PDB selects the wrong pods',
    edit: (o) => {
      const p = structuredClone(find(o, 'PodDisruptionBudget'));
      p.spec.selector.matchLabels = { 'cnpg.io/poolerName': 'other' };
      return [...o.filter((x) => x.kind !== 'PodDisruptionBudget'), p];
    },
    fails: { 'E.pooler-pdb': /cnpg\.io\/poolerName=other/ },
  },
  { name: 'F: the identity ConfigMap is gone', edit: (o) => o.filter((x) => x.kind !== 'ConfigMap'), fails: { 'F.identity-config': /ConfigMap devtroncd\/platform-identity: not found/ } },
  {
    name: 'H: ForwardAuth points elsewhere',
    edit: (o) => {
      const mw = structuredClone(find(o, 'Middleware'));
      mw.spec.forwardAuth.address = 'http://evil.example.com/auth';
      return [...o.filter((x) => x.kind !== 'Middleware'), mw];
    },
    fails: { 'H.forward-auth': /forwardAuth\.address = http:\/\/evil\.example\.com\/auth/ },
  },
  {
    name: 'I: Audit with mutateDigest true',
    edit: (o) => {
      const p = structuredClone(find(o, 'ClusterPolicy'));
      p.spec.rules[0].verifyImages[0].mutateDigest = true;
      return [...o.filter((x) => x.kind !== 'ClusterPolicy'), p];
    },
    fails: { 'I.policy-mode': /mutateDigest = true with Audit/ },
  },
  {
    name: 'I: the live policy is in Enforce while the inventory says Audit',
    edit: (o) => {
      const p = structuredClone(find(o, 'ClusterPolicy'));
      p.spec.rules[0].verifyImages[0].failureAction = 'Enforce';
      return [...o.filter((x) => x.kind !== 'ClusterPolicy'), p];
    },
    fails: { 'I.policy-mode': /failureAction = Enforce \(inventory kyverno\.mode = Audit\)/ },
  },
  { name: 'J: the alert rules are gone', edit: (o) => o.filter((x) => x.kind !== 'PrometheusRule'), fails: { 'J.argocd-alerts': /PrometheusRule argocd\/argocd-alerts: not found/ } },
];

describe('live readiness checks', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const results = await liveChecks(vars, 'test', new FakeKube(row.edit(converged())), new FakeHelm());
      const failed = results.filter((r) => r.status === 'FAIL');
      expect(failed.map((r) => `${r.id}: ${r.evidence}`)).toHaveLength(Object.keys(row.fails).length);
      for (const [id, re] of Object.entries(row.fails)) expect(failed.find((r) => r.id === id)?.evidence).toMatch(re);
      for (const r of failed) expect(r.fix).toBeTruthy();
    });
  }
});

describe('static readiness checks', () => {
  it('pass for the rendered objects, with warnings where the inventory cannot say', () => {
    const results = staticChecks(vars, 'test');
    expect(results.filter((r) => r.status === 'FAIL')).toEqual([]);
    expect(results.find((r) => r.id === 'I.exceptions-honoured')!.status).toBe('WARN');
  });

  it('FAIL when Kyverno is installed without policyExceptions', () => {
    const v = { ...vars, operators: [{ release: 'kyverno', namespace: 'kyverno', chart: 'kyverno', values: { features: { policyExceptions: { enabled: false } } } }] } as PlatformVars;
    const r = staticChecks(v, 'test').find((x) => x.id === 'I.exceptions-honoured')!;
    expect(r.status).toBe('FAIL');
    expect(r.evidence).toMatch(/"enabled":false/);
  });

  it('FAIL when Traefik is installed without allowCrossNamespace', () => {
    const v = { ...vars, operators: [{ release: 'traefik', namespace: 'traefik', chart: 'traefik', values: {} }] } as PlatformVars;
    expect(staticChecks(v, 'test').find((x) => x.id === 'H.cross-namespace')!.status).toBe('FAIL');
  });

  it('renders Enforce with mutateDigest on, and the checks accept it', () => {
    const v = { ...vars, kyverno: { ...vars.kyverno, mode: 'Enforce' as const } };
    const entry = m.imagePolicy(v).spec.rules[0].verifyImages[0];
    expect(entry).toMatchObject({ failureAction: 'Enforce', mutateDigest: true });
    expect(staticChecks(v, 'test').find((x) => x.id === 'I.policy-mode')!.status).toBe('PASS');
  });
});
