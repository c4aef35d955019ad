import { createHash } from 'node:crypto';
import { group, Secret, type Group, type Task } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as template from 'helix/modules/template';
import { keptSecret, secretManifest } from '../../common/kept_secret.ts';
import { type PodPlacement, placementYaml } from '../../common/placement.ts';

export interface EphemeralRedis extends Group {
  /** The session store password (kept in the config Secret, key `password`). */
  readonly password: Task<Secret>;
  /** `redis://<name>.<namespace>.svc.cluster.local:<port>` (no credentials in it). */
  readonly url: string;
  /** The Secret holding `redis.conf` and `password`. */
  readonly configSecret: string;
}

/** The redis.conf the Deployment runs with: nothing persisted, a password required. */
export function redisConf(password: Secret, port: number): Secret {
  return new Secret(
    [
      '# Written by helix (roles/redis/ephemeral_redis): sessions only, nothing persisted.',
      `port ${port}`,
      'save ""',
      'appendonly no',
      'protected-mode yes',
      `requirepass ${password.reveal()}`,
      '',
    ].join('\n'),
    'redis.conf with requirepass',
  );
}

/**
 * An ephemeral Redis for oauth2-proxy sessions (original: roles/redis/ephemeral_redis).
 * Unlike the original it requires a password (generated once, kept in a Secret, given to
 * Redis in a mounted config file and never as an argument) and a NetworkPolicy lets only
 * the session store's clients in.
 *
 * @param o.namespace Namespace of the Deployment, Service, NetworkPolicy and Secret.
 * @param o.name Name of the Deployment and Service. @default 'ephemeral-redis'
 * @param o.image Pinned Redis image. @default 'docker.io/library/redis:7.4.2-alpine'
 * @param o.port @default 6379
 * @param o.clientLabels Pod labels allowed to connect. @default { app: 'oauth2-proxy' }
 * @param o.labels Labels on every object. @default {}
 * @param o.waitMs How long to wait for the rollout. @default 300000
 * @param o.placement Node selector and tolerations of the pod. @default none
 */
export function ephemeralRedis(o: {
  namespace: string;
  name?: string;
  image?: string;
  port?: number;
  clientLabels?: Record<string, string>;
  labels?: Record<string, string>;
  waitMs?: number;
  placement?: PodPlacement;
}): EphemeralRedis {
  const name = o.name ?? 'ephemeral-redis';
  const image = o.image ?? 'docker.io/library/redis:7.4.2-alpine';
  const port = o.port ?? 6379;
  const labels = { ...o.labels, app: name };
  const configSecret = `${name}-config`;
  const password = keptSecret('password', { namespace: o.namespace, secretName: configSecret, key: 'password' });
  const config = k8s.apply('config', {
    manifest: (ctx) => {
      const pw = ctx.result(password);
      return secretManifest({ name: configSecret, namespace: o.namespace, labels, data: { password: pw, 'redis.conf': redisConf(pw, port) } });
    },
  });
  const objects = k8s.apply('objects', {
    manifests: (ctx) =>
      template.manifests(
        { src: new URL('./templates/redis.yaml.hbs', import.meta.url) },
        {
          name,
          namespace: o.namespace,
          image,
          port,
          labels,
          podLabels: { app: name, 'app.kubernetes.io/component': 'session-store' },
          clientLabels: o.clientLabels ?? { app: 'oauth2-proxy' },
          configSecret,
          placement: placementYaml(o.placement),
          policyName: `${name}-clients`,
          // Restart Redis when its configuration (the password) changes.
          configHash: createHash('sha256').update(ctx.result(password).reveal()).digest('hex').slice(0, 16),
        },
      ),
    wait: { timeoutMs: o.waitMs ?? 300_000 },
  });
  const steps = group(name, [password, config, objects]);
  return { ...steps, password, url: `redis://${name}.${o.namespace}.svc.cluster.local:${port}`, configSecret };
}
