import { createHash } from 'node:crypto';
import { group, type Group, type Secret, type Task } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as keycloak from 'helix/modules/keycloak';
import * as template from 'helix/modules/template';
import { keptSecret, secretManifest } from '../common/kept_secret.ts';
import { type PodPlacement, placementYaml } from '../common/placement.ts';

const cfgTemplate = new URL('./templates/oauth2_proxy.cfg.hbs', import.meta.url);
const objectsTemplate = new URL('./templates/oauth2-proxy.yaml.hbs', import.meta.url);

export interface Oauth2ProxySettings {
  /** Namespace of every object. */
  namespace: string;
  /** Deployment, Service and app label. @default 'oauth2-proxy' */
  name?: string;
  /** Pinned image. @default 'quay.io/oauth2-proxy/oauth2-proxy:v7.15.3' */
  image?: string;
  /** OIDC issuer: `<keycloak_url>/realms/<realm>`. */
  issuerUrl: string;
  clientId: string;
  /** Host oauth2-proxy serves (through the Ingress). */
  dashboardHost: string;
  /** Where authenticated requests go: `http://devpi.devpi.svc.cluster.local:3141/`. */
  upstream: string;
  /** Cookie domain (no leading dot). */
  cookieDomain: string;
  /** @default 'lax' */
  cookieSamesite?: 'lax' | 'strict' | 'none';
  /** @default '1h' */
  cookieRefresh?: string;
  /** @default '168h' */
  cookieExpire?: string;
  /** Realm roles allowed in (empty: every realm user). @default [] */
  allowedRoles?: readonly string[];
  /** Session store URL without credentials: `redis://ephemeral-redis.devpi.svc.cluster.local:6379`. */
  redisUrl: string;
  /** Verify the issuer's TLS certificate. @default true */
  verifyTls?: boolean;
  /** @default 4180 */
  port?: number;
  labels?: Record<string, string>;
  /** Node selector and tolerations of the pod. @default none */
  placement?: PodPlacement;
}

/** The oauth2_proxy.cfg text for these settings (no secret in it). */
export function oauth2ProxyConfig(s: Oauth2ProxySettings): string {
  return template.render(
    { src: cfgTemplate },
    {
      secretName: s.name ?? 'oauth2-proxy',
      httpAddress: `0.0.0.0:${s.port ?? 4180}`,
      clientId: s.clientId,
      issuerUrl: s.issuerUrl,
      redirectUrl: `https://${s.dashboardHost}/oauth2/callback`,
      insecureSkipVerify: s.verifyTls === false,
      allowedRoles: [...(s.allowedRoles ?? [])],
      upstreams: [s.upstream],
      whitelistDomains: [s.dashboardHost],
      cookieName: '_oauth2_proxy',
      cookieDomains: [s.cookieDomain],
      cookieSamesite: s.cookieSamesite ?? 'lax',
      cookieRefresh: s.cookieRefresh ?? '1h',
      cookieExpire: s.cookieExpire ?? '168h',
      redisUrl: s.redisUrl,
    },
  );
}

export interface Oauth2ProxyDeploy extends Group {
  readonly cookieSecret: Task<Secret>;
  readonly clientSecret: Task<Secret>;
}

/**
 * oauth2-proxy in front of an upstream (original: oauth2_proxy process_config + deploy +
 * ingress). Its configuration is a file in a ConfigMap; the Keycloak client secret (read
 * from Keycloak), the cookie secret (generated once, kept: the live Secret is read first)
 * and the session store password are in a Secret, given as environment variables by
 * secretKeyRef: never arguments, never a ConfigMap. Sessions live in Redis.
 *
 * @param s See {@link Oauth2ProxySettings}.
 * @param keycloakAdmin Admin connection to read the client secret.
 * @param realm Realm of the client.
 * @param redisPassword Secret and key holding the session store password.
 */
export function oauth2ProxyDeploy(
  s: Oauth2ProxySettings,
  keycloakAdmin: keycloak.KeycloakAdmin,
  realm: string,
  redisPassword: { secretName: string; key: string },
  o: { waitMs?: number } = {},
): Oauth2ProxyDeploy {
  const name = s.name ?? 'oauth2-proxy';
  const labels = { ...s.labels, app: name };
  const clientSecret = keycloak.clientSecret('client-secret', { admin: keycloakAdmin, realm, clientId: s.clientId });
  const cookieSecret = keptSecret('cookie-secret', { namespace: s.namespace, secretName: name, key: 'cookie-secret', bytes: 32 });
  const redisPw = keptSecret('redis-password', { namespace: s.namespace, secretName: redisPassword.secretName, key: redisPassword.key, ifMissing: 'require' });
  const secret = k8s.apply('secret', {
    manifest: (ctx) =>
      secretManifest({
        name,
        namespace: s.namespace,
        labels,
        data: { 'client-secret': ctx.result(clientSecret), 'cookie-secret': ctx.result(cookieSecret), 'redis-password': ctx.result(redisPw) },
      }),
  });
  const config = oauth2ProxyConfig(s);
  const objects = k8s.apply('objects', {
    manifests: (ctx) =>
      template.manifests(
        { src: objectsTemplate },
        {
          name,
          namespace: s.namespace,
          configName: `${name}-config`,
          secretName: name,
          image: s.image ?? 'quay.io/oauth2-proxy/oauth2-proxy:v7.15.3',
          port: s.port ?? 4180,
          labels,
          podLabels: { app: name, 'app.kubernetes.io/component': 'auth-proxy' },
          placement: placementYaml(s.placement),
          config,
          // Pods restart when the configuration or a secret changes.
          configHash: createHash('sha256')
            .update(config)
            .update(ctx.result(clientSecret).reveal())
            .update(ctx.result(cookieSecret).reveal())
            .update(ctx.result(redisPw).reveal())
            .digest('hex')
            .slice(0, 16),
        },
      ),
    wait: { timeoutMs: o.waitMs ?? 300_000 },
  });
  return { ...group(name, [clientSecret, cookieSecret, redisPw, secret, objects]), cookieSecret, clientSecret };
}
