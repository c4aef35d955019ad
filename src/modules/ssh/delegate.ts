import type { HostTarget } from '../../runtime/env.ts';
import { TaskError } from '../../runtime/errors.ts';
import { type Input, isStatic, resolve, type Task, type TaskContext } from '../../runtime/task.ts';

/**
 * Runs a host task on another inventory host than the one the playbook is running on
 * (Ansible's `delegate_to`): for each host of the playbook, `task` plans and applies on `host`.
 *
 * The task keeps its own name, options and result; its result belongs to the playbook's host
 * (as a register does in Ansible), and `ctx.host.vars` are still the playbook host's variables:
 * only where commands go changes (`ctx.host.name` is the delegated host, `ctx.host.delegatedFrom`
 * the playbook's). `host` may be computed at run time (`(ctx) => …`); a name
 * that is neither `localhost` nor an inventory host fails the task (or validation, when known).
 *
 * ```ts
 * ssh.delegateTo(node, ssh.pkg(`podman-${arch}`, { name: 'podman', become: true }))
 * ```
 */
export function delegateTo<Out>(host: Input<string>, task: Task<Out>): Task<Out> {
  const on = (ctx: TaskContext): TaskContext => ({ ...ctx, host: delegated(resolve(host, ctx), ctx) });
  const wrapped: Task<Out> = {
    type: 'task',
    kind: task.kind,
    name: task.name,
    options: task.options,
    validate: (report) => {
      if (isStatic(host) && !host.trim()) report('delegateTo: the host name is empty');
      task.validate?.(report);
    },
    plan: (ctx) => task.plan(on(ctx)),
  };
  if (task.preflight) {
    const preflight = task.preflight;
    return { ...wrapped, preflight: (ctx) => preflight(on(ctx)) };
  }
  return wrapped;
}

function delegated(name: string, ctx: TaskContext): HostTarget {
  if (name === ctx.host.name) return ctx.host;
  if (name === 'localhost' || name === '127.0.0.1') return { name: 'localhost', local: true, vars: ctx.host.vars, delegatedFrom: ctx.host.name };
  const spec = ctx.env.hosts[name];
  if (!spec) {
    const known = Object.keys(ctx.env.hosts).sort();
    throw new TaskError(ctx.path, `delegateTo: no host "${name}" in environment ${ctx.env.name} (hosts: ${known.join(', ') || 'none'})`);
  }
  return { name, local: false, spec, vars: ctx.host.vars, delegatedFrom: ctx.host.name };
}
