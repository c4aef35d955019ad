import type { PlatformVars } from '../component.ts';
import { type CheckResult, fail, type KubeReader, type Obj, pass, warn } from 'helix/verify';

/**
 * C, Argo CD: the root Application, the Applications the per-environment ApplicationSets generate
 * (`<layer>-<env>`), and each one Synced and Healthy as Argo CD reports it. In a production
 * environment (`production: true`, the default) a missing Application, or one no Argo CD controller
 * has reported on, is a FAIL; elsewhere (the sandbox has no Argo CD controller) a WARN.
 */
export async function applicationChecks(v: PlatformVars, envName: string, kube: KubeReader): Promise<CheckResult[]> {
  const a = v.argocd;
  const out: CheckResult[] = [];
  const rootName = `apps-root-${envName}`;
  const root = await kube.get('Application', rootName, a.namespace);
  out.push(
    root
      ? pass('C', 'apps-root', 'root Application present', `Application ${a.namespace}/${rootName}`)
      : fail('C', 'apps-root', 'root Application present', `Application ${a.namespace}/${rootName}: not found`, 'apply playbooks/platform/50_operators'),
  );
  const apps = await kube.list('Application', a.namespace);
  const names = new Set(apps.map((x) => x.metadata.name));
  const expected = (a.environments ?? [envName]).flatMap((e) => a.layers.map((l) => ({ name: `${l.name}-${e}`, set: `platform-${e}` })));
  for (const x of expected.filter((x) => !names.has(x.name))) {
    const evidence = `Application ${a.namespace}/${x.name}: not found (ApplicationSet ${x.set} generates it)`;
    const fix = `check the ApplicationSet controller: kubectl -n ${a.namespace} describe applicationset ${x.set}`;
    out.push(
      v.production
        ? fail('C', `app-${x.name}`, `${x.name} ready`, evidence, fix)
        : warn('C', `app-${x.name}`, `${x.name} ready`, `${evidence}; not production`, fix),
    );
  }
  for (const app of apps) out.push(applicationReadiness(app, v.production));
  return out;
}

/** C: an Application is ready when Argo CD reports it Synced and Healthy. */
export function applicationReadiness(app: Obj, production: boolean): CheckResult {
  const name = `Application ${app.metadata.namespace}/${app.metadata.name}`;
  const health = app.status?.health?.status as string | undefined;
  const sync = app.status?.sync?.status as string | undefined;
  const id = `app-${app.metadata.name}`;
  const title = `${app.metadata.name} ready`;
  if (!health && !sync) {
    const evidence = `${name}: no status (no Argo CD controller has reported on it)`;
    const fix = 'check that the external Argo CD watches this namespace';
    return production ? fail('C', id, title, evidence, fix) : warn('C', id, title, `${evidence}; not production`, fix);
  }
  if (health === 'Degraded' || health === 'Missing' || (sync === 'Unknown' && health === 'Unknown')) {
    return fail(
      'C',
      id,
      title,
      `${name}: health ${health ?? '-'}, sync ${sync ?? '-'}${app.status?.health?.message ? ` (${app.status.health.message})` : ''}`,
      `argocd app get ${app.metadata.name}; fix the failing resources`,
    );
  }
  if (health === 'Healthy' && sync === 'Synced') return pass('C', id, title, `${name}: Synced, Healthy`);
  return warn('C', id, title, `${name}: health ${health ?? '-'}, sync ${sync ?? '-'}`, `argocd app sync ${app.metadata.name}`);
}
