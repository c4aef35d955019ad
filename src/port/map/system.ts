import { type Code, raw } from '../emit/code.ts';
import { quote } from '../jinja/code.ts';
import { type MapCx, type Mapped, only, staticBool, str, todo, value } from './context.ts';

/** `apt` / `package` / `pip` → `ssh.pkg` (names, state present/absent, cache update, pip to run). */
export function mapPackage(cx: MapCx): Mapped {
  const t = cx.task;
  const a = t.args;
  const pip = t.module === 'pip';
  only(cx, pip ? ['name', 'state', 'executable', 'virtualenv', 'version'] : ['name', 'pkg', 'state', 'update_cache', 'cache_valid_time'], [
    'install_recommends',
    'force_apt_get',
    'extra_args',
    'virtualenv_command',
    'lock_timeout',
  ]);
  const names = a.name ?? a.pkg;
  if (names === undefined) todo('module-args', 'no package name');
  const list = typeof names === 'string' && !/\{\{/.test(names) ? names.split(',').map((n) => n.trim()) : names;
  let v = value(list, cx.scope);
  if (v.type.k !== 'array' && v.type.k !== 'any') v = value([list], cx.scope);
  if (v.ctx) todo('module-args', 'package names computed from earlier results');
  let namesCode = v.code;
  if (pip && a.version !== undefined) {
    if (!Array.isArray(list) || list.length !== 1) todo('module-args', 'version: with several packages');
    namesCode = raw(`[\`${String(list[0])}==${String(a.version)}\`]`);
  }
  const state = a.state ?? 'present';
  if (!['present', 'absent', 'installed', 'removed', 'latest'].includes(String(state))) todo('module-args', `state: ${String(state)}`);
  if (state === 'latest') todo('module-args', 'state: latest (helix pins what it installs)');
  const opts: [string, Code][] = [['names', namesCode]];
  if (state === 'absent' || state === 'removed') opts.push(['state', raw("'absent'")]);
  opts.push(['manager', raw(pip ? "'pip'" : "'apt'")]);
  if (pip && (a.virtualenv !== undefined || a.executable !== undefined)) {
    const from = str(a.executable ?? a.virtualenv, cx.scope);
    const exe = a.executable !== undefined ? [from.code] : [`\`${from.code.replace(/^[`']|[`']$/g, '')}/bin/python\``, "'-m'", "'pip'"];
    opts.push(['pip', raw(`${from.ctx ? '(ctx) => ' : ''}[${exe.join(', ')}]`)]);
  }
  if (!pip && staticBool(cx, 'update_cache')) opts.push(['updateCache', raw('true')]);
  const ssh = cx.module('ssh');
  return { kind: 'task', fn: `${ssh}.pkg`, options: opts };
}

/** `service` / `systemd` → `ssh.service` (restarted, reloaded, started, stopped). */
export function mapService(cx: MapCx): Mapped {
  only(cx, ['name', 'state', 'enabled', 'daemon_reload'], ['no_block']);
  const a = cx.task.args;
  const enabled = staticBool(cx, 'enabled');
  const daemonReload = a.daemon_reload !== undefined && staticBool(cx, 'daemon_reload');
  if (a.name === undefined)
    todo('module-args', daemonReload ? 'daemon_reload without a unit (ssh.service reloads when a named unit changed on disk)' : 'no service name');
  if (a.state === undefined && enabled === undefined && !daemonReload) todo('module-args', 'a service task without state');
  if (a.state !== undefined && !['restarted', 'reloaded', 'started', 'stopped'].includes(String(a.state))) todo('module-args', `state: ${String(a.state)}`);
  const name = str(a.name, cx.scope);
  if (name.ctx) todo('module-args', 'a service named from earlier results');
  const ssh = cx.module('ssh');
  const opts: [string, Code][] = [['service', raw(name.code)]];
  if (a.state !== undefined) opts.push(['state', raw(quote(String(a.state)))]);
  if (enabled !== undefined) opts.push(['enabled', raw(String(enabled))]);
  if (daemonReload) {
    opts.push(['daemonReload', raw('true')]);
    cx.note('daemon_reload: ssh.service reloads systemd only when the unit changed on disk (NeedDaemonReload), not on every run');
  }
  return { kind: 'task', fn: `${ssh}.service`, options: opts };
}
