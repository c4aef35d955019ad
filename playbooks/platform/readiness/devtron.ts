import type { PlatformVars } from '../component.ts';
import { type CheckResult, fail, type HelmReader, type KubeReader, pass, warn } from 'helix/verify';

/** Argo CD workloads (the bundled install); `argocd-dex-server` is Devtron's own Dex and allowed. */
const ARGOCD_WORKLOAD = /^argocd-(server|repo-server|application-controller|applicationset-controller|redis|notifications-controller|commit-server)(-|$)/;

const get = (o: unknown, path: string[]): unknown =>
  path.reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);

/**
 * C, Devtron in the live cluster: its namespace holds no Argo CD of its own, and, where Devtron is
 * enabled, its release is deployed with the values the platform needs, read from the release
 * (`helm get values`) and the live Service: what runs, not what helix's own builder returns.
 */
export async function devtronChecks(v: PlatformVars, kube: KubeReader, helm: HelmReader): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const ns = v.devtron.namespace;
  const title = `no Argo CD workloads in ${ns}`;
  if (!(await kube.get('Namespace', ns))) {
    // Nothing to look at is not evidence of absence.
    out.push(fail('C', 'no-argocd-in-devtroncd', title, `Namespace ${ns}: not found`, 'run helix play platform (it creates the namespace)'));
  } else {
    const workloads = [...(await kube.list('Pod', ns)), ...(await kube.list('Deployment', ns)), ...(await kube.list('StatefulSet', ns))];
    const argo = workloads.filter((w) => ARGOCD_WORKLOAD.test(w.metadata.name));
    out.push(
      argo.length
        ? fail(
            'C',
            'no-argocd-in-devtroncd',
            title,
            argo.map((w) => `${w.kind ?? 'Pod'} ${ns}/${w.metadata.name}`).join(', '),
            'keep argo-cd.enabled: false in the Devtron values and remove the bundled Argo CD',
          )
        : pass('C', 'no-argocd-in-devtroncd', title, `Namespace ${ns}: ${workloads.length} workloads, none of Argo CD (argocd-dex-server is Devtron's Dex)`),
    );
  }
  if (!v.devtron.enabled) {
    out.push(
      warn(
        'C',
        'devtron-release',
        'Devtron release deployed',
        'devtron.enabled is false in this environment (no chart copy)',
        'set devtron.source to a reachable chart and devtron.enabled: true',
      ),
    );
    return out;
  }
  const rel = `helm release ${ns}/${v.devtron.release}`;
  const release = await helm.release(v.devtron.release, ns);
  out.push(
    release?.status === 'deployed'
      ? pass('C', 'devtron-release', 'Devtron release deployed', `${rel}: deployed (${release.chart}, revision ${release.revision})`)
      : fail('C', 'devtron-release', 'Devtron release deployed', `${rel}: ${release?.status ?? 'absent'}`, 'run helix play platform --only 60_devtron'),
  );
  if (!release) return out;

  const values = await helm.values(v.devtron.release, ns);
  const argoOn = get(values, ['argo-cd', 'enabled']);
  out.push(
    argoOn === false
      ? pass('C', 'devtron-argocd-off', 'Devtron bundled Argo CD disabled', `${rel} values: argo-cd.enabled = false`)
      : argoOn === undefined
        ? warn(
            'C',
            'devtron-argocd-off',
            'Devtron bundled Argo CD disabled',
            `${rel} values: argo-cd.enabled not set (the chart default decides)`,
            'set argo-cd.enabled: false explicitly (helix play platform --only 60_devtron)',
          )
        : fail(
            'C',
            'devtron-argocd-off',
            'Devtron bundled Argo CD disabled',
            `${rel} values: argo-cd.enabled = ${String(argoOn)}`,
            'set argo-cd.enabled: false',
          ),
  );
  const addr = get(values, ['global', 'externalPostgres', 'PG_ADDR']);
  const rw = `${v.cnpg.cluster_name}-rw.`;
  out.push(
    typeof addr === 'string' && addr.startsWith(rw)
      ? pass('C', 'devtron-db-rw', 'Devtron uses the CNPG -rw Service (not the transaction Pooler)', `${rel} values: global.externalPostgres.PG_ADDR = ${addr}`)
      : fail(
          'C',
          'devtron-db-rw',
          'Devtron uses the CNPG -rw Service (not the transaction Pooler)',
          `${rel} values: global.externalPostgres.PG_ADDR = ${String(addr ?? '(not set)')}`,
          `point PG_ADDR at ${rw}${v.cnpg.namespace}.svc.cluster.local: migrations take advisory locks PgBouncer transaction mode breaks`,
        ),
  );
  const svc = await kube.get('Service', 'devtron-service', ns);
  out.push(
    svc?.spec?.type === 'ClusterIP'
      ? pass('C', 'devtron-service', 'Devtron Service is ClusterIP behind Traefik', `Service ${ns}/devtron-service: type ClusterIP`)
      : fail(
          'C',
          'devtron-service',
          'Devtron Service is ClusterIP behind Traefik',
          `Service ${ns}/devtron-service: ${svc ? `type ${String(svc.spec?.type)}` : 'not found'}`,
          'set components.devtron.service.type: ClusterIP; publish through the IngressRoute',
        ),
  );
  return out;
}
