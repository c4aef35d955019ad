import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Env } from 'helix';
import { placementYaml } from '../../../../roles/common/placement.ts';
import * as template from 'helix/modules/template';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { DEVPI_PORT, NAMES } from './names.ts';

/** Where the volume is mounted and devpi keeps its data and login secret. */
export const DEVPI_PATHS = { mountPath: '/devpi', serverdir: '/devpi/server', secretfile: '/devpi/keys/secret' } as const;

/**
 * The init container's script: initialise the serverdir once (the root password comes from
 * DEVPISERVER_ROOT_PASSWD, so there is no empty-password window) and create the login
 * secret once (it lives on the volume, so tokens survive restarts), in a folder only devpi's
 * user may write: devpi-server refuses a secret file in a group-writable folder, and a
 * provisioner may hand the volume out world-writable (local-path does).
 */
export const INIT_COMMAND = [
  'sh',
  '-c',
  'set -eu; mkdir -p "$DEVPISERVER_SERVERDIR"; ' +
    'if [ ! -f "$DEVPISERVER_SERVERDIR/.serverversion" ]; then devpi-init; fi; ' +
    'keys="$(dirname "$DEVPISERVER_SECRETFILE")"; mkdir -p "$keys"; chmod 0700 "$keys"; ' +
    'if [ ! -f "$DEVPISERVER_SECRETFILE" ]; then devpi-gen-secret; fi',
] as const;

/** devpi-server's arguments: only root may create users and indexes (the API host is open). */
export const SERVER_ARGS = ['--host=0.0.0.0', `--port=${DEVPI_PORT}`, '--restrict-modify=root'] as const;

export const ENSURE_INDEX_SCRIPT = new URL('./files/ensure-index.py', import.meta.url);

/**
 * The manifests of devpi itself, as the files that go into the deployment repository
 * (`<path>/devpi.yaml`, `<path>/index-init.yaml`, `<path>/kustomization.yaml`). 70_deploy_devpi
 * pushes exactly these and, in `direct` mode, applies exactly these. No secret is in them.
 */
export function devpiFiles(env: Env<DevpiVars>, image: string): Record<string, string> {
  const d = devpi(env);
  const dir = d.v.deploy.path;
  const script = readFileSync(ENSURE_INDEX_SCRIPT, 'utf8');
  const bases = 'root/pypi';
  // The Job runs again when what it does changes, or the image (unless rebuilds move the image
  // without helix: the index does not depend on the image's revision).
  const jobHash = createHash('sha256')
    .update(script)
    .update(d.indexPath)
    .update(bases)
    .update(d.v.build.rebuild_schedule ? '' : image)
    .digest('hex')
    .slice(0, 8);
  const common = {
    namespace: d.ns,
    labels: d.labels,
    app: NAMES.app,
    image,
    imagePullSecrets: d.imagePullSecrets,
    placement: placementYaml(d.placement),
    rootSecret: NAMES.rootSecret,
    port: DEVPI_PORT,
  };
  const devpiYaml = template.render(
    { src: d.tpl('devpi.yaml.hbs') },
    {
      ...common,
      podLabels: { app: NAMES.app, 'app.kubernetes.io/component': 'server' },
      initCommand: [...INIT_COMMAND],
      serverArgs: [...SERVER_ARGS],
      pvc: NAMES.pvc,
      ...DEVPI_PATHS,
    },
  );
  const initYaml = template.render(
    { src: d.tpl('index-init.yaml.hbs') },
    {
      ...common,
      initScript: NAMES.initScript,
      jobName: `${NAMES.initJob}-${jobHash}`,
      jobLabels: { ...d.labels, app: NAMES.initJob },
      index: d.v.devpi_index_name,
      indexPath: d.indexPath,
      bases,
      serviceUrl: d.serviceUrl,
      script,
    },
  );
  const kustomization = template.render({ src: d.tpl('kustomization.yaml.hbs') }, { namespace: d.ns, resources: ['devpi.yaml', 'index-init.yaml'] });
  return { [`${dir}/devpi.yaml`]: devpiYaml, [`${dir}/index-init.yaml`]: initYaml, [`${dir}/kustomization.yaml`]: kustomization };
}
