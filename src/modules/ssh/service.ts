import type { Change } from '../../runtime/change.ts';
import { TaskError } from '../../runtime/errors.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import type { Command } from './command.ts';
import { gatherFacts } from './facts.ts';
import { type HostOptions, toBecome } from './options.ts';
import { tail, transportFor } from './transport.ts';

export interface ServiceOptions extends HostOptions, TaskOptions<void> {
  /** The service (systemd unit or init script) name. */
  service: string;
  /**
   * `restarted`/`reloaded` always act (use them as handlers, notified by the tasks that
   * change the service's files); `started`/`stopped` act only when the service is not.
   * Leave it out to manage only `enabled` or `daemonReload`.
   */
  state?: 'restarted' | 'reloaded' | 'started' | 'stopped';
  /** Started at boot (`systemctl is-enabled`, then `enable`/`disable`). systemd only. */
  enabled?: boolean;
  /**
   * Reload systemd's unit files first when systemd says this unit's changed on disk
   * (`NeedDaemonReload=yes`), as `systemctl daemon-reload` does. systemd only.
   */
  daemonReload?: boolean;
}

const VERB = { restarted: 'restart', reloaded: 'reload', started: 'start', stopped: 'stop' } as const;

/**
 * A service restarted, reloaded, started or stopped with systemctl (or `service` without
 * systemd); enabled or disabled at boot; systemd's unit files reloaded when the unit changed.
 * Each part compares first, except restarted/reloaded, which always act.
 */
export function service(name: string, options: ServiceOptions): Task<void> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  return defineTask<void>({
    kind: 'ssh.service',
    name,
    options: common,
    validate: (report) => {
      if (!/^[A-Za-z0-9@_.:-]+$/.test(own.service)) report(`invalid service name "${own.service}"`);
      if (own.state !== undefined && !(own.state in VERB)) report(`invalid state "${String(own.state)}"`);
      if (own.state === undefined && own.enabled === undefined && !own.daemonReload) report('nothing to do: give state, enabled or daemonReload');
    },
    plan: async (ctx) => {
      const t = transportFor(ctx);
      const facts = await gatherFacts(t);
      const systemd = facts.init === 'systemd' && facts.commands.includes('systemctl');
      if (!systemd && !facts.commands.includes('service'))
        throw new TaskError(ctx.path, `neither systemd nor the service command is available on ${ctx.host.name}`);
      if (!systemd && (own.enabled !== undefined || own.daemonReload))
        throw new TaskError(ctx.path, `enabled and daemonReload need systemd, which ${ctx.host.name} does not run`);
      const b = become ? { become } : {};
      const target = `service:${ctx.host.name}:${own.service}`;
      const steps: { change: Change; argv: Command['argv']; what: string }[] = [];
      const reasons: string[] = [];

      if (own.daemonReload) {
        const r = await t.run({ argv: ['systemctl', 'show', '--property=NeedDaemonReload', '--value', '--', own.service], readOnly: true, ...b });
        if (r.stdout.trim() === 'yes')
          steps.push({
            change: { target: `systemd:${ctx.host.name}`, action: 'run', summary: `daemon-reload (${own.service} changed on disk)` },
            argv: ['systemctl', 'daemon-reload'],
            what: 'daemon-reload',
          });
        else reasons.push('unit files loaded');
      }
      if (own.enabled !== undefined) {
        const r = await t.run({ argv: ['systemctl', 'is-enabled', '--quiet', '--', own.service], readOnly: true, ...b });
        const enabled = r.code === 0;
        const verb = own.enabled ? 'enable' : 'disable';
        if (enabled !== own.enabled)
          steps.push({
            change: { target, action: 'update', summary: `${verb} ${own.service} at boot` },
            argv: ['systemctl', verb, '--', own.service],
            what: verb,
          });
        else reasons.push(`${own.enabled ? 'enabled' : 'disabled'} at boot`);
      }
      if (own.state !== undefined) {
        const verb = VERB[own.state];
        let act = true;
        if (own.state === 'started' || own.state === 'stopped') {
          const r = await t.run({
            argv: systemd ? ['systemctl', 'is-active', '--quiet', '--', own.service] : ['service', own.service, 'status'],
            readOnly: true,
            ...b,
          });
          const running = r.code === 0;
          act = running !== (own.state === 'started');
          if (!act) reasons.push(`already ${running ? 'running' : 'stopped'}`);
        }
        if (act)
          steps.push({
            change: { target, action: 'run', summary: `${verb} ${own.service}` },
            argv: systemd ? ['systemctl', verb, '--', own.service] : ['service', own.service, verb],
            what: verb,
          });
      }
      if (!steps.length) return noChange(`${own.service}: ${reasons.join(', ')}`, undefined);
      return {
        changes: steps.map((s) => s.change),
        apply: async () => {
          for (const s of steps) {
            const r = await t.run({ argv: s.argv, ...b });
            if (r.code !== 0) throw new TaskError(ctx.path, `${s.what} ${own.service} exited ${r.code}${tail(r.stderr || r.stdout)}`);
          }
        },
      };
    },
  });
}
