import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { Change } from '../../runtime/change.ts';
import type { TaskContext } from '../../runtime/task.ts';
import { argvProblems, type CommandOptions, commandSpec, cwdOf, display } from './command.ts';
import { processesFor } from './process.ts';

/**
 * How a raw command is idempotent. A command must say one of these, so a plan can tell
 * whether it needs to run (or admit that it cannot, with `idempotent: false`).
 */
export interface Idempotence {
  /** Run only when this path does not exist (absolute, or relative to `cwd`). */
  creates?: string;
  /** Run only when this path exists (absolute, or relative to `cwd`). */
  removes?: string;
  /**
   * Skip when this says the work is done: an argv run read-only with the command's env and
   * cwd (exit 0 = done), or a function. Runs in check mode too, so it must not change anything.
   */
  unless?: readonly string[] | ((ctx: TaskContext) => Promise<boolean> | boolean);
  /**
   * `false` declares that nothing can tell whether the command is needed: it runs every
   * time, and the plan and recap say so (`notIdempotent`).
   */
  idempotent?: false;
}

/** Static checks: exactly a consistent declaration. */
export function validateIdempotence(o: Idempotence & Pick<CommandOptions, 'cwd'>, report: (message: string) => void): void {
  const declared = [o.creates !== undefined, o.removes !== undefined, o.unless !== undefined];
  const idempotent = (o as { idempotent?: unknown }).idempotent;
  if (idempotent !== undefined && idempotent !== false) {
    report('idempotent: true is not a declaration; say how with creates, removes or unless');
  } else if (idempotent === false && declared.some(Boolean)) {
    report('idempotent: false contradicts creates/removes/unless; keep one');
  } else if (idempotent === undefined && !declared.some(Boolean)) {
    report('declare how the command is idempotent: creates, removes, unless, or idempotent: false');
  }
  for (const key of ['creates', 'removes'] as const) {
    const path = o[key];
    if (path === undefined) continue;
    if (typeof path !== 'string' || path === '') report(`${key} must be a path`);
    else if (!isAbsolute(path) && cwdOf(o) === undefined) report(`${key} "${path}" is relative: give an absolute path, or a cwd`);
  }
  if (Array.isArray(o.unless)) argvProblems(o.unless, 'unless').forEach(report);
  else if (o.unless !== undefined && typeof o.unless !== 'function') report('unless must be an argv array or a function');
}

/** Whether the command must run: the first declaration that says "already done" wins. */
export type Need = { run: false; reason: string } | { run: true; change: Change; notIdempotent: boolean };

export async function need(o: Idempotence & CommandOptions, ctx: TaskContext, argv: readonly string[]): Promise<Need> {
  const runner = processesFor(ctx);
  const cwd = cwdOf(o);
  const at = (p: string): string => (cwd ? resolvePath(cwd, p) : resolvePath(p));
  const command = `\`${display(argv)}\``;
  let change: Change = { target: `exec:${ctx.host.name}:${ctx.path}`, action: 'run', summary: `run ${command}` };

  if (o.creates !== undefined) {
    const path = at(o.creates);
    if (await runner.exists(path)) return { run: false, reason: `${path} exists` };
    change = { target: `file:${ctx.host.name}:${path}`, action: 'create', summary: `run ${command} (creates ${path})` };
  }
  if (o.removes !== undefined) {
    const path = at(o.removes);
    if (!(await runner.exists(path))) return { run: false, reason: `${path} does not exist` };
    change = { target: `file:${ctx.host.name}:${path}`, action: 'delete', summary: `run ${command} (removes ${path})` };
  }
  if (typeof o.unless === 'function') {
    if (await o.unless(ctx)) return { run: false, reason: 'the unless condition holds' };
  } else if (o.unless !== undefined) {
    const spec = commandSpec({ ...o, stdin: undefined }, ctx, o.unless);
    const out = await runner.run(spec, ctx.signal);
    if (out.exitCode === 0 && !out.timedOut) return { run: false, reason: `\`${display(o.unless)}\` succeeded` };
  }
  return { run: true, change, notIdempotent: o.idempotent === false };
}

/** After running: a `creates`/`removes` path that did not change means the next run repeats the command. */
export async function checkOutcome(o: Idempotence & CommandOptions, ctx: TaskContext): Promise<void> {
  const runner = processesFor(ctx);
  const cwd = cwdOf(o);
  const at = (p: string): string => (cwd ? resolvePath(cwd, p) : resolvePath(p));
  if (o.creates !== undefined && !(await runner.exists(at(o.creates)))) {
    ctx.log(`creates: ${at(o.creates)} still does not exist after the command; the next run will run it again`, 'warn');
  }
  if (o.removes !== undefined && (await runner.exists(at(o.removes)))) {
    ctx.log(`removes: ${at(o.removes)} still exists after the command; the next run will run it again`, 'warn');
  }
}
