import type { PlatformVars } from '../component.ts';
import { type CheckResult, fail, pass, warn } from 'helix/verify';
import type { HelmReader, KubeReader } from 'helix/verify';
import { applicationChecks } from './applications.ts';
import { devtronChecks } from './devtron.ts';
import { checkMiddleware, checkPolicy, checkPooler, checkRoute, checkRules } from './objects.ts';

function missing(section: CheckResult['section'], id: string, title: string, what: string, fix: string): CheckResult {
  return fail(section, id, title, `${what}: not found`, fix);
}

/** Checks of the live cluster objects, section by section. */
export async function liveChecks(v: PlatformVars, envName: string, kube: KubeReader, helm: HelmReader): Promise<CheckResult[]> {
  const out: CheckResult[] = [];

  // B: nodes and spread.
  const nodes = await kube.list('Node');
  const notReady = nodes.filter((n) => !(n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'));
  out.push(
    nodes.length === 0
      ? fail('B', 'nodes', 'nodes Ready', 'no nodes', 'add worker nodes')
      : notReady.length
        ? fail('B', 'nodes', 'nodes Ready', `NotReady: ${notReady.map((n) => n.metadata.name).join(', ')}`, 'repair or replace the nodes')
        : pass('B', 'nodes', 'nodes Ready', `${nodes.length} nodes Ready`),
  );
  const zones = new Set(nodes.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']).filter(Boolean));
  out.push(
    zones.size >= 2
      ? pass('B', 'zones', 'nodes spread over zones', `zones: ${[...zones].join(', ')}`)
      : warn(
          'B',
          'zones',
          'nodes spread over zones',
          `${zones.size} zone label(s) (topology.kubernetes.io/zone)`,
          'spread node groups over at least two availability zones',
        ),
  );

  // C: Devtron (its namespace, release, values and Service) and the Argo CD Applications.
  out.push(...(await devtronChecks(v, kube, helm)));
  out.push(...(await applicationChecks(v, envName, kube)));

  // D and I: the image policy and the emergency exception.
  const policy = await kube.get('ClusterPolicy', v.kyverno.policy_name);
  if (!policy)
    out.push(
      missing(
        'D',
        'image-signing',
        'image signatures verified (cosign keyless)',
        `ClusterPolicy ${v.kyverno.policy_name}`,
        'apply playbooks/platform/80_kyverno',
      ),
    );
  else out.push(...checkPolicy(policy, v, 'live'));
  if (v.kyverno.emergency_exception.enabled) {
    const e = v.kyverno.emergency_exception;
    const pe = await kube.get('PolicyException', e.name, v.kyverno.exceptions_namespace);
    out.push(
      pe
        ? pass(
            'I',
            'emergency-exception',
            'emergency PolicyException present',
            `PolicyException ${v.kyverno.exceptions_namespace}/${e.name} for ${v.kyverno.policy_name}/${v.kyverno.rule_name}`,
          )
        : missing(
            'I',
            'emergency-exception',
            'emergency PolicyException present',
            `PolicyException ${v.kyverno.exceptions_namespace}/${e.name}`,
            'apply playbooks/platform/80_kyverno',
          ),
    );
  }

  // E: Cluster, Pooler, PDB.
  const c = v.cnpg;
  const cluster = await kube.get('Cluster', c.cluster_name, c.namespace);
  out.push(
    !cluster
      ? missing('E', 'cluster', 'CNPG Cluster with two instances', `Cluster ${c.namespace}/${c.cluster_name}`, 'apply playbooks/platform/70_cnpg')
      : Number(cluster.spec?.instances) >= 2
        ? pass('E', 'cluster', 'CNPG Cluster with two instances', `Cluster ${c.namespace}/${c.cluster_name}: ${cluster.spec.instances} instances`)
        : fail(
            'E',
            'cluster',
            'CNPG Cluster with two instances',
            `Cluster ${c.namespace}/${c.cluster_name}: spec.instances = ${String(cluster.spec?.instances)}`,
            'set cnpg.instances >= 2',
          ),
  );
  const pooler = await kube.get('Pooler', c.pooler.name, c.namespace);
  out.push(
    ...(pooler
      ? checkPooler(pooler, v, 'live')
      : [missing('E', 'pooler', 'PgBouncer Pooler settings', `Pooler ${c.namespace}/${c.pooler.name}`, 'apply playbooks/platform/70_cnpg')]),
  );
  const pdb = await kube.get('PodDisruptionBudget', c.pooler.name, c.namespace);
  const sel = pdb?.spec?.selector?.matchLabels?.['cnpg.io/poolerName'];
  out.push(
    !pdb
      ? missing('E', 'pooler-pdb', 'Pooler PodDisruptionBudget', `PodDisruptionBudget ${c.namespace}/${c.pooler.name}`, 'apply playbooks/platform/70_cnpg')
      : sel === c.pooler.name && Number(pdb.spec?.minAvailable) >= 1
        ? pass(
            'E',
            'pooler-pdb',
            'Pooler PodDisruptionBudget',
            `PodDisruptionBudget ${c.namespace}/${c.pooler.name}: minAvailable ${pdb.spec.minAvailable}, cnpg.io/poolerName=${sel}`,
          )
        : fail(
            'E',
            'pooler-pdb',
            'Pooler PodDisruptionBudget',
            `PodDisruptionBudget ${c.namespace}/${c.pooler.name}: selector cnpg.io/poolerName=${String(sel)}, minAvailable ${String(pdb.spec?.minAvailable)}`,
            `select cnpg.io/poolerName: ${c.pooler.name} with minAvailable >= 1`,
          ),
  );

  // F: the identity data.
  const ns = v.devtron.namespace;
  const idc = await kube.get('ConfigMap', 'platform-identity', ns);
  out.push(
    !idc
      ? missing('F', 'identity-config', 'OIDC client data published', `ConfigMap ${ns}/platform-identity`, 'apply playbooks/platform/20_identity')
      : idc.data?.issuer === v.identity.issuer && idc.data?.redirect_uri === `https://${v.devtron.hostname}/orchestrator/api/dex/callback`
        ? pass(
            'F',
            'identity-config',
            'OIDC client data published',
            `ConfigMap ${ns}/platform-identity: issuer ${idc.data.issuer}, redirect ${idc.data.redirect_uri}`,
          )
        : fail(
            'F',
            'identity-config',
            'OIDC client data published',
            `ConfigMap ${ns}/platform-identity: issuer ${String(idc.data?.issuer)}, redirect ${String(idc.data?.redirect_uri)}`,
            'apply playbooks/platform/20_identity',
          ),
  );
  const oidc = await kube.get('Secret', 'platform-oidc-client', ns);
  out.push(
    oidc?.data?.client_secret
      ? pass('F', 'oidc-secret', 'OIDC client secret present', `Secret ${ns}/platform-oidc-client: key client_secret`)
      : fail(
          'F',
          'oidc-secret',
          'OIDC client secret present',
          `Secret ${ns}/platform-oidc-client: ${oidc ? 'no client_secret key' : 'not found'}`,
          'apply playbooks/platform/30_secrets',
        ),
  );

  // H: Middleware and route.
  const mw = await kube.get('Middleware', v.traefik.middleware_name, v.traefik.namespace);
  out.push(
    ...(mw
      ? checkMiddleware(mw, v, 'live')
      : [
          missing(
            'H',
            'forward-auth',
            'ForwardAuth Middleware to Authentik',
            `Middleware ${v.traefik.namespace}/${v.traefik.middleware_name}`,
            'apply playbooks/platform/85_traefik',
          ),
        ]),
  );
  const route = await kube.get('IngressRoute', 'devtron', ns);
  out.push(
    ...(route
      ? checkRoute(route, v, 'live')
      : [missing('H', 'dashboard-route', 'Devtron dashboard only through ForwardAuth', `IngressRoute ${ns}/devtron`, 'apply playbooks/platform/85_traefik')]),
  );

  // J: rules.
  const rules = await kube.get('PrometheusRule', 'argocd-alerts', v.prometheus.namespace);
  out.push(
    ...(rules
      ? checkRules(rules, 'live')
      : [
          missing(
            'J',
            'argocd-alerts',
            'Argo CD alert rules',
            `PrometheusRule ${v.prometheus.namespace}/argocd-alerts`,
            'apply playbooks/platform/50_operators',
          ),
        ]),
  );
  return out;
}
