import { definePlaybook } from '../../../../src/index.ts';
import * as k8s from '../../../../src/modules/k8s/index.ts';
import * as template from '../../../../src/modules/template/index.ts';
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
    dashboardHeadersRef: `${d.ns}/${NAMES.dashboardHeaders}`,
    apiHeadersRef: `${d.ns}/${NAMES.apiHeaders}`,
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
  };
}

/**
 * Two hosts: the dashboard host goes to oauth2-proxy (which proxies to devpi only with a
 * session), the API host straight to devpi for pip and devpi-client. Each host tells devpi
 * its own outside URL, so the dashboard's links stay on the dashboard host.
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const file = d.v.ingress.kind === 'httproute' ? 'httproute.yaml.hbs' : 'ingress.yaml.hbs';
  return [k8s.apply('routes', { manifests: template.manifests({ src: d.tpl(file) }, ingressVars(env)) })];
});
