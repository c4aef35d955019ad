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
   */
  state: 'restarted' | 'reloaded' | 'started' | 'stopped';
}

const VERB = { restarted: 'restart', reloaded: 'reload', started: 'start', stopped: 'stop' } as const;

/** A service restarted, reloaded, started or stopped with systemctl (or `service` without systemd). */
export function service(name: string, options: ServiceOptions): Task<void> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  return defineTask<void>({
    kind: 'ssh.service',
    name,
    options: common,
    validate: (report) => {
      if (!/^[A-Za-z0-9@_.:-]+$/.test(own.service)) report(`invalid service name "${own.service}"`);
      if (!(own.state in VERB)) report(`invalid state "${String(own.state)}"`);
    },
    plan: async (ctx) => {
      const t = transportFor(ctx);
      const facts = await gatherFacts(t);
      const systemd = facts.init === 'systemd' && facts.commands.includes('systemctl');
      if (!systemd && !facts.commands.includes('service'))
        throw new TaskError(ctx.path, `neither systemd nor the service command is available on ${ctx.host.name}`);
      const b = become ? { become } : {};
      const verb = VERB[own.state];
      const command = (action: string): Command['argv'] => (systemd ? ['systemctl', action, '--', own.service] : ['service', own.service, action]);
      if (own.state === 'started' || own.state === 'stopped') {
        const r = await t.run({
          argv: systemd ? ['systemctl', 'is-active', '--quiet', '--', own.service] : ['service', own.service, 'status'],
          readOnly: true,
          ...b,
        });
        const running = r.code === 0;
        if (running === (own.state === 'started')) return noChange(`${own.service} is already ${running ? 'running' : 'stopped'}`, undefined);
      }
      return {
        changes: [{ target: `service:${ctx.host.name}:${own.service}`, action: 'run', summary: `${verb} ${own.service}` }],
        apply: async () => {
          const r = await t.run({ argv: command(verb), ...b });
          if (r.code !== 0) throw new TaskError(ctx.path, `${verb} ${own.service} exited ${r.code}${tail(r.stderr || r.stdout)}`);
        },
      };
    },
  });
}
