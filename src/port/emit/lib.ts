/**
 * `lib/port.ts`, written once into the output when a ported playbook needs it: the few tasks
 * Ansible has as modules (`debug`, `assert`/`fail`, `pause`, `wait_for` on a port) that helix
 * has no module for, written against helix's public task contract so the user owns them.
 */
export const LIB_FILE = 'lib/port.ts';

export const LIB_SOURCE = `/**
 * Small tasks for what Ansible has as modules and helix has no module for, written by
 * \`helix port\`. They follow helix's task contract: they plan no change (except pause, which
 * only waits), so check runs and real runs report the same.
 */
import { createConnection } from 'node:net';
import { defineTask, noChange, splitOptions, type Task, type TaskContext, TaskError, type TaskOptions } from 'helix';

/** Ansible \`debug\`: logs a message (masked like every output) and plans nothing. */
export function debug(name: string, options: { msg: (ctx: TaskContext) => unknown } & TaskOptions<void>): Task<void> {
  const [own, common] = splitOptions(options);
  return defineTask<void>({
    kind: 'port.debug',
    name,
    options: common,
    plan: async (ctx) => {
      const m = own.msg(ctx);
      ctx.log(typeof m === 'string' ? m : JSON.stringify(m));
      return noChange('logged', undefined);
    },
  });
}

/** Ansible \`assert\`/\`fail\` on values only known at run time: fails the task with \`message\`. */
export function check(
  name: string,
  options: { that: (ctx: TaskContext) => boolean; message: string | ((ctx: TaskContext) => string) } & TaskOptions<void>,
): Task<void> {
  const [own, common] = splitOptions(options);
  return defineTask<void>({
    kind: 'port.check',
    name,
    options: common,
    plan: async (ctx) => {
      if (!own.that(ctx)) throw new TaskError(ctx.path, typeof own.message === 'string' ? own.message : own.message(ctx));
      return noChange('holds', undefined);
    },
  });
}

/** Ansible \`pause\` (and \`wait_for: timeout\`): waits, changes nothing. */
export function pause(name: string, options: { ms: number } & TaskOptions<void>): Task<void> {
  const [own, common] = splitOptions(options);
  return defineTask<void>({
    kind: 'port.pause',
    name,
    options: common,
    plan: async (ctx) => {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, own.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(ctx.signal.reason);
        });
      });
      return noChange(\`waited \${own.ms} ms\`, undefined);
    },
  });
}

/** Ansible \`wait_for: host/port\`: waits until a TCP port accepts connections. */
export function waitForPort(
  name: string,
  options: { host: string; port: number; timeoutMs?: number } & TaskOptions<void>,
): Task<void> {
  const [own, common] = splitOptions(options);
  const timeoutMs = own.timeoutMs ?? 300_000;
  const probe = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = createConnection({ host: own.host, port: own.port, timeout: 2000 });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
      s.once('timeout', () => (s.destroy(), resolve(false)));
    });
  return defineTask<void>({
    kind: 'port.waitForPort',
    name,
    options: common,
    plan: async (ctx) => {
      const until = Date.now() + timeoutMs;
      while (!(await probe())) {
        if (Date.now() > until) throw new TaskError(ctx.path, \`\${own.host}:\${own.port} did not open within \${timeoutMs} ms\`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      return noChange(\`\${own.host}:\${own.port} is open\`, undefined);
    },
  });
}

/**
 * A task \`helix port\` could not translate. While it is here and not \`handled\`, validation
 * refuses the playbook (exit 2, before anything runs), naming it and what it would have
 * provided: nothing a later task needs is silently left out. Port it by hand (and delete
 * this), or set \`handled: true\` once you have decided the playbook does not need it.
 */
export function todo(
  name: string,
  options: { reason: string; message: string; line: string; handled?: boolean } & TaskOptions<void>,
): Task<void> {
  const [own, common] = splitOptions(options);
  return defineTask<void>({
    kind: 'port.todo',
    name,
    options: common,
    validate: (report) => {
      if (!own.handled) report(\`not ported (\${own.reason}, \${own.line}): \${own.message}; port it by hand, or set handled: true\`);
    },
    plan: async () => noChange('marked handled', undefined),
  });
}
`;
