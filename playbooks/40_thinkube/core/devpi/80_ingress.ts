import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as template from 'helix/modules/template';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { DEVPI_PORT, NAMES, OAUTH2_PROXY_PORT } from './names.ts';

/** The values both route templates render; 88_test_devpi reads the same ones. */
export function ingressVars(env: Parameters<typeof devpi>[0]) {
  const d = devpi(env);
  const i = d.v.ingress;
  const tls = (host: string) => (i.tls_secret_name ? [{ hosts: [host], secretName: i.tls_secret_name }] : []);
  return {
    namespace: d.ns,
    labels: d.labels,
    app: NAMES.app,
    port: DEVPI_PORT,
    oauth2Proxy: NAMES.oauth2Proxy,
    oauth2ProxyPort: 80,
    oauth2ProxyTargetPort: OAUTH2_PROXY_PORT,
    dashboardIngress: NAMES.dashboardIngress,
    apiIngress: NAMES.apiIngress,
    dashboardHeaders: NAMES.dashboardHeaders,
    apiHeaders: NAMES.apiHeaders,
    dashboardHost: d.v.devpi_dashboard_hostname,
    apiHost: d.v.devpi_api_hostname,
    dashboardUrl: d.dashboardUrl,
    apiUrl: d.apiUrl,
    dashboardTls: tls(d.v.devpi_dashboard_hostname),
    apiTls: tls(d.v.devpi_api_hostname),
    className: i.class_name,
    bodySize: i.body_size,
    gatewayName: i.gateway_name,
    gatewayNamespace: i.gateway_namespace,
    gatewaySection: i.gateway_section,
    bodyLimit: NAMES.bodyLimit,
    bodyBytes: bodyBytes(i.body_size),
    ...annotations(d.ns, i.controller, i.body_size),
  };
}

/** `50m` → bytes. */
export function bodyBytes(size: string): number {
  const m = /^(\d+)([kmg]?)$/.exec(size);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m?.[2] ?? ''] ?? 1;
  return Number(m?.[1] ?? 0) * unit;
}

/** Each Ingress's annotations for the controller that serves it. */
function annotations(ns: string, controller: 'nginx' | 'traefik', bodySize: string) {
  if (controller === 'traefik') {
    const mw = (...names: string[]) => names.map((n) => `${ns}-${n}@kubernetescrd`).join(',');
    const base = { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' };
    return {
      dashboardAnnotations: { ...base, 'traefik.ingress.kubernetes.io/router.middlewares': mw(NAMES.dashboardHeaders, NAMES.bodyLimit) },
      apiAnnotations: { ...base, 'traefik.ingress.kubernetes.io/router.middlewares': mw(NAMES.apiHeaders, NAMES.bodyLimit) },
    };
  }
  const base = { 'nginx.ingress.kubernetes.io/proxy-body-size': bodySize, 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' };
  return {
    dashboardAnnotations: { ...base, 'nginx.ingress.kubernetes.io/proxy-set-headers': `${ns}/${NAMES.dashboardHeaders}` },
    apiAnnotations: { ...base, 'nginx.ingress.kubernetes.io/proxy-set-headers': `${ns}/${NAMES.apiHeaders}` },
  };
}

/** The route manifests of the kind and controller in use (80 applies them, 89 removes them). */
export function routeManifests(env: Parameters<typeof devpi>[0]) {
  const d = devpi(env);
  const i = d.v.ingress;
  const files =
    i.kind === 'httproute'
      ? ['httproute.yaml.hbs']
      : ['ingress.yaml.hbs', i.controller === 'traefik' ? 'ingress-traefik.yaml.hbs' : 'ingress-nginx-headers.yaml.hbs'];
  const vars = ingressVars(env);
  return files.flatMap((f) => template.manifests({ src: d.tpl(f) }, vars));
}

/**
 * Two hosts: the dashboard host goes to oauth2-proxy (which proxies to devpi only with a
 * session), the API host straight to devpi for pip and devpi-client. Each host tells devpi
 * its own outside URL, so the dashboard's links stay on the dashboard host.
 */
export default definePlaybook<DevpiVars>((env) => {
  return [k8s.apply('routes', { manifests: routeManifests(env) })];
});
