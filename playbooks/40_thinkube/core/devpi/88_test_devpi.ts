import { randomBytes } from 'node:crypto';
import { block, defineTask, definePlaybook, noChange, Secret, TaskError, type Step } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as keycloak from 'helix/modules/keycloak';
import { devpi } from './common.ts';
import { dashboardCheck, type LiveOptions, packageRoundTrip } from './live.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';

/**
 * The DevPi test (original 18_test, whose probes could not fail). Every check fails the run:
 * objects exist and rolled out; the Keycloak client matches (one client, confidential, exact
 * redirect URIs, audience mapper, and the secret oauth2-proxy holds is Keycloak's); the routes
 * exist (and the Gateway accepted them); then the live checks (live.ts) against what runs,
 * through the ingress with TLS verified: a real browser logs in as a throwaway realm user
 * (removed afterwards, whatever happened) and a package goes up and comes back with pip (and
 * is deleted again).
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const v = d.v;
  const ns = d.ns;
  const exists = (name: string, apiVersion: string, kind: string, objName: string, namespace: string | null = ns) =>
    k8s.wait(name, { apiVersion, kind, name: objName, ...(namespace ? { namespace } : {}), for: 'exists', timeoutMs: 10_000 });
  const rollout = (name: string, objName: string) =>
    k8s.wait(name, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: objName, for: 'rollout', timeoutMs: 120_000 });

  const keycloakClient = defineTask<void>({
    kind: 'devpi.checkKeycloakClient',
    name: 'keycloak-client',
    plan: async (ctx) => {
      const api = keycloak.keycloakApi(ctx, d.admin);
      const client = await api.findClient(v.keycloak_realm, v.oauth2_proxy_client_id);
      const fail = (m: string): never => {
        throw new TaskError(ctx.path, `Keycloak client ${v.oauth2_proxy_client_id} in realm ${v.keycloak_realm}: ${m}`);
      };
      if (!client?.id) return fail('does not exist');
      if (client.publicClient) fail('is public, expected confidential');
      const want = [`${d.dashboardUrl}/oauth2/callback`];
      if (JSON.stringify(client.redirectUris ?? []) !== JSON.stringify(want))
        fail(`redirect URIs are ${JSON.stringify(client.redirectUris)}, expected ${JSON.stringify(want)}`);
      const mappers = await api.listMappers(v.keycloak_realm, client.id);
      const aud = mappers.find((m) => m.protocolMapper === 'oidc-audience-mapper' && m.config?.['included.client.audience'] === v.oauth2_proxy_client_id);
      if (!aud) fail('has no audience mapper for itself');
      const secret = await api.getClientSecret(v.keycloak_realm, client.id);
      const held = await k8s.readObject(k8s.k8sClient(ctx), { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: NAMES.oauth2ProxySecret }, ctx.signal);
      const heldValue = Buffer.from(String((held?.data as Record<string, string> | undefined)?.['client-secret'] ?? ''), 'base64').toString('utf8');
      if (!secret?.equals(heldValue)) fail(`the secret in Secret ${ns}/${NAMES.oauth2ProxySecret} is not the client's`);
      return noChange('exactly one confidential client, exact redirect URI, audience mapper, and oauth2-proxy holds its secret', undefined);
    },
  });

  const routeKind =
    v.ingress.kind === 'httproute'
      ? { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' }
      : { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
  const steps: Step[] = [
    exists('namespace', 'v1', 'Namespace', ns, null),
    exists('pvc', 'v1', 'PersistentVolumeClaim', NAMES.pvc),
    rollout('redis', NAMES.redis),
    rollout('oauth2-proxy', NAMES.oauth2Proxy),
    rollout('devpi', NAMES.app),
    exists('devpi-service', 'v1', 'Service', NAMES.app),
    exists('dashboard-route', routeKind.apiVersion, routeKind.kind, NAMES.dashboardIngress),
    exists('api-route', routeKind.apiVersion, routeKind.kind, NAMES.apiIngress),
    ...(v.ingress.kind === 'httproute' ? [routeAccepted(NAMES.dashboardIngress), routeAccepted(NAMES.apiIngress)] : []),
    keycloakClient,
  ];

  const username = 'helix-devpi-test';
  const password = new Secret(testPassword(), 'generated for this test run');
  const user = { admin: d.admin, realm: v.keycloak_realm, username };
  const live: LiveOptions = {
    namespace: ns,
    dashboardHost: v.devpi_dashboard_hostname,
    apiHost: v.devpi_api_hostname,
    indexPath: d.indexPath,
    keycloakUrl: v.keycloak_url,
    realm: v.keycloak_realm,
    clientId: v.oauth2_proxy_client_id,
    cookieDomain: v.domain_name,
    cookieSamesite: v.oauth2_proxy_cookie_samesite,
    redis: { app: NAMES.redis, configSecret: NAMES.redisConfig },
    ...(v.tls_ca_file ? { caFile: v.tls_ca_file } : {}),
  };
  steps.push(
    block('live', {
      steps: [
        keycloak.user('test-user', { ...user, email: `${username}@${v.domain_name}`, emailVerified: true, firstName: 'Helix', lastName: 'Test', password }),
        dashboardCheck('dashboard', { ...live, user: { username, password, target: keycloak.userTarget(v.keycloak_realm, username) } }),
        packageRoundTrip('package', { ...live, rootPassword: v.devpi_root_password }),
      ],
      always: [keycloak.user('remove-test-user', { ...user, state: 'absent' })],
    }),
  );
  return steps;

  /** The Gateway took the route: its status says Accepted and ResolvedRefs for the parent. */
  function routeAccepted(route: string) {
    return defineTask<void>({
      kind: 'devpi.routeAccepted',
      name: `${route}-accepted`,
      plan: async (ctx) => {
        const r = await k8s.readObject(
          k8s.k8sClient(ctx),
          { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns, name: route },
          ctx.signal,
        );
        type Cond = { type: string; status: string; reason?: string; message?: string };
        const parents = ((r?.status as { parents?: { parentRef: { name: string }; conditions?: Cond[] }[] } | undefined)?.parents ?? []).filter(
          (p) => p.parentRef.name === v.ingress.gateway_name,
        );
        const conds = parents.flatMap((p) => p.conditions ?? []);
        for (const type of ['Accepted', 'ResolvedRefs']) {
          const c = conds.find((x) => x.type === type);
          if (c?.status !== 'True') {
            throw new TaskError(
              ctx.path,
              `HTTPRoute ${ns}/${route}: Gateway ${v.ingress.gateway_namespace}/${v.ingress.gateway_name} reports ${type}=${c?.status ?? 'nothing'}${c?.message ? ` (${c.message})` : ''}`,
            );
          }
        }
        return noChange(`Gateway ${v.ingress.gateway_namespace}/${v.ingress.gateway_name} accepted it and resolved its backends`, undefined);
      },
    });
  }
});

/** A throwaway realm user's password for one test run. */
function testPassword(): string {
  return `${randomBytes(18).toString('base64url')}Aa1!`;
}
