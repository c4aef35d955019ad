import { group, Secret, type Group } from 'helix';
import * as k8s from 'helix/modules/k8s';
import { secretManifest } from '../common/kept_secret.ts';

/** A docker `config.json` for one registry, as a Secret value (it holds `user:token`). */
export function dockerConfig(registry: string, user: string, token: Secret): Secret {
  const auth = Buffer.from(`${user}:${token.reveal()}`, 'utf8').toString('base64');
  return new Secret(JSON.stringify({ auths: { [registry]: { auth } } }), `docker config for ${registry}`);
}

/**
 * Registry credentials for the image build chain (original: container_deployment/docker_kaniko):
 * the builder's docker config (key `config.json`, what Kaniko reads) in the build namespace,
 * and a `kubernetes.io/dockerconfigjson` pull secret in the app namespace. Nothing is
 * printed, no temporary file is written, no token prefix is logged.
 *
 * @param o.registry Registry host[:port].
 * @param o.user Robot account.
 * @param o.token Robot token (a Secret).
 * @param o.buildNamespace Namespace of the builder's Secret.
 * @param o.builderSecret Name of the builder's Secret.
 * @param o.appNamespace Namespace of the pull secret.
 * @param o.pullSecret Name of the pull secret.
 */
export function dockerKaniko(o: {
  registry: string;
  user: string;
  token: Secret;
  buildNamespace: string;
  builderSecret: string;
  appNamespace: string;
  pullSecret: string;
  labels?: Record<string, string>;
}): Group {
  const cfg = dockerConfig(o.registry, o.user, o.token);
  return group('registry-auth', [
    k8s.apply('builder', {
      manifest: secretManifest({ name: o.builderSecret, namespace: o.buildNamespace, labels: o.labels ?? {}, data: { 'config.json': cfg } }),
    }),
    k8s.apply('pull', {
      manifest: secretManifest({
        name: o.pullSecret,
        namespace: o.appNamespace,
        labels: o.labels ?? {},
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': cfg },
      }),
    }),
  ]);
}
