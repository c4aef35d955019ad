import { T } from '../ptype.ts';
import { arrow, type Code, raw } from '../emit/code.ts';
import { quote } from '../jinja/code.ts';
import { type MapCx, type Mapped, only, staticBool, staticString, str, todo, value } from './context.ts';

/** `helm_repository` → nothing to run: later releases name the repository URL themselves. */
export function mapHelmRepository(cx: MapCx): Mapped {
  only(cx, ['name', 'repo_name', 'repo_url', 'url', 'state'], ['force_update', 'pass_credentials']);
  const a = cx.task.args;
  const name = staticString(cx, a.repo_name !== undefined ? 'repo_name' : 'name');
  const url = staticString(cx, a.repo_url !== undefined ? 'repo_url' : 'url');
  if (!name || !url) todo('module-args', 'a repository named or located by a template');
  cx.earlier.helmRepos.set(name, url);
  return { kind: 'dropped', why: `helm repository ${name} (${url}) is given to helm.release as repo` };
}

/**
 * `kubernetes.core.helm` → `helm.release` (installs or upgrades only on a real difference) or
 * `helm.uninstall`. `repo/chart` references resolve through an earlier helm_repository.
 */
export function mapHelm(cx: MapCx): Mapped {
  only(
    cx,
    [
      'name',
      'release_name',
      'chart_ref',
      'chart_repo_url',
      'chart_version',
      'release_namespace',
      'namespace',
      'values',
      'values_files',
      'create_namespace',
      'wait',
      'wait_timeout',
      'timeout',
      'release_state',
      'state',
      'skip_crds',
    ],
    ['kubeconfig', 'context', 'update_repo_cache', 'force', 'reset_values', 'reuse_values', 'atomic', 'binary_path', 'validate_certs', 'purge'],
  );
  const a = cx.task.args;
  const helm = cx.module('helm');
  const nameArg = a.name ?? a.release_name;
  if (nameArg === undefined) todo('module-args', 'no release name');
  const name = str(nameArg, cx.scope);
  if (name.ctx) todo('module-args', 'a release named from earlier results');
  const nsArg = a.release_namespace ?? a.namespace;
  if (nsArg === undefined) todo('module-args', 'no release namespace');
  const ns = str(nsArg, cx.scope);
  if (ns.ctx) todo('module-args', 'a namespace from earlier results');
  const state = a.release_state ?? a.state ?? 'present';
  if (state === 'absent') {
    return {
      kind: 'task',
      fn: `${helm}.uninstall`,
      name: raw(name.code),
      options: [['namespace', raw(ns.code)], ...(staticBool(cx, 'wait') ? [['wait', raw('true')] as [string, Code]] : [])],
    };
  }
  if (state !== 'present') todo('module-args', `release_state: ${String(state)}`);
  if (a.values_files !== undefined) todo('module-args', 'values_files: read them into values in TypeScript');
  if (a.force !== undefined && staticBool(cx, 'force')) cx.note('helm force: dropped (helix upgrades only on a real difference)');
  const ref = a.chart_ref;
  if (typeof ref !== 'string') todo('module-args', 'no chart_ref');
  const opts: [string, Code][] = [];
  const m = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_.-]+)$/.exec(ref);
  if (a.chart_repo_url !== undefined) {
    opts.push(['chart', raw(str(ref, cx.scope).code)], ['repo', raw(str(a.chart_repo_url, cx.scope).code)]);
  } else if (m && cx.earlier.helmRepos.has(m[1]!)) {
    opts.push(['chart', raw(quote(m[2]!))], ['repo', raw(quote(cx.earlier.helmRepos.get(m[1]!)!))]);
  } else if (m) {
    todo('module-args', `chart_ref ${ref}: repository ${m[1]} is not added in this port`);
  } else opts.push(['chart', raw(str(ref, cx.scope).code)]);
  if (a.chart_version !== undefined) opts.push(['version', raw(str(a.chart_version, cx.scope).code)]);
  else cx.note(`helm release ${name.literal ?? name.code}: no chart version (pin one: an unpinned chart upgrades on its own)`);
  opts.push(['namespace', raw(ns.code)]);
  if (a.values !== undefined) {
    const v = value(a.values, cx.scope, { secretOk: () => true });
    opts.push(['values', v.ctx ? arrow('(ctx)', v.code) : v.code]);
  }
  if (staticBool(cx, 'create_namespace')) opts.push(['createNamespace', raw('true')]);
  if (staticBool(cx, 'wait')) opts.push(['wait', raw('true')]);
  const timeout = a.wait_timeout ?? a.timeout;
  if (timeout !== undefined) opts.push(['timeout', raw(quote(String(timeout)))]);
  if (staticBool(cx, 'skip_crds')) opts.push(['skipCrds', raw('true')]);
  return {
    kind: 'task',
    fn: `${helm}.release`,
    name: raw(name.code),
    options: opts,
    result: { type: T.object({ name: T.string, namespace: T.string, revision: T.number, status: T.string, chart: T.string }) },
  };
}
