import type { Env } from 'helix';
import type { PodPlacement } from '../../../../roles/common/placement.ts';
import type { KeycloakAdmin } from 'helix/modules/keycloak';
import type { DevpiVars } from './component.ts';
import { commonLabels, DEVPI_PORT, NAMES } from './names.ts';

/** Values every devpi playbook derives the same way from the environment. */
export function devpi(env: Env<DevpiVars>) {
  const v = env.vars;
  const ns = v.devpi_namespace;
  const labels = commonLabels(v.devpi_component_version);
  const admin: KeycloakAdmin = { url: v.keycloak_url, username: v.keycloak_admin_user, password: v.keycloak_admin_password };
  return {
    v,
    ns,
    labels,
    admin,
    dashboardUrl: `https://${v.devpi_dashboard_hostname}`,
    apiUrl: `https://${v.devpi_api_hostname}`,
    issuerUrl: `${v.keycloak_url}/realms/${encodeURIComponent(v.keycloak_realm)}`,
    serviceUrl: `http://${NAMES.app}.${ns}.svc.cluster.local:${DEVPI_PORT}`,
    indexPath: `root/${v.devpi_index_name}`,
    imagePullSecrets: v.image_pull_secret ? [{ name: NAMES.pullSecret }] : [],
    placement: { nodeSelector: v.placement.node_selector, tolerations: v.placement.tolerations } satisfies PodPlacement,
    tpl: (file: string) => new URL(`./templates/${file}`, import.meta.url),
  };
}

/** The image the Deployment runs: built from the pinned revision, or given. */
export function devpiImage(v: DevpiVars, builtTag?: string): string {
  if (v.build.enabled && builtTag) return `${v.harbor_registry}/${v.harbor_project}/devpi:${builtTag}`;
  return v.devpi_image!;
}
