import type { Env, HostTarget } from './env.ts';
import type { Problem } from './errors.ts';
import type { PlaybookBody } from './playbook.ts';
import type { Step, Task, TaskContext } from './task.ts';

/** A task with its resolved path and inherited tags and conditions. */
export interface PlacedTask {
  readonly type: 'task';
  readonly path: string;
  readonly task: Task<unknown>;
  readonly tags: ReadonlySet<string>;
  /** `when` conditions of enclosing groups, outermost first. */
  readonly conditions: readonly ((ctx: TaskContext) => boolean)[];
}

export interface PlacedGroup {
  readonly type: 'group';
  readonly path: string;
  readonly steps: readonly PlacedStep[];
  readonly rescue: readonly PlacedStep[];
  readonly always: readonly PlacedStep[];
}

export type PlacedStep = PlacedTask | PlacedGroup;

/** One playbook of the run, ready to execute. */
export interface PlacedPlaybook {
  readonly name: string;
  readonly path: string;
  readonly hosts: readonly HostTarget[];
  readonly serial: number | undefined;
  readonly steps: readonly PlacedStep[];
  readonly handlers: readonly PlacedTask[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._\-[\]=:]*$/;

/**
 * Gives every step its path, checks names and duplicates, runs each task's static
 * validation and resolves the hosts. Collects every problem instead of stopping at the first.
 */
export function place(component: string, playbookName: string, body: PlaybookBody, env: Env, problems: Problem[]): PlacedPlaybook {
  const base = `${component}/${playbookName}`;
  const seen = new Set<string>();
  const handlerSet = new Set(body.handlers ?? []);

  const placeTask = (task: Task<unknown>, parent: string, tags: Set<string>, conds: PlacedTask['conditions']): PlacedTask => {
    const path = `${parent}/${task.name}`;
    if (!NAME.test(task.name)) problems.push({ path, message: `invalid task name "${task.name}"` });
    if (seen.has(path)) problems.push({ path, message: 'duplicate task path: give the task a unique name' });
    seen.add(path);
    try {
      task.validate?.((message) => problems.push({ path, message }));
    } catch (error) {
      problems.push({ path, message: `validation failed: ${(error as Error).message}` });
    }
    for (const h of task.options.notify ?? []) {
      if (!handlerSet.has(h)) problems.push({ path, message: `notifies "${h.name}", which is not a handler of ${base}` });
    }
    return {
      type: 'task',
      path,
      task,
      tags: new Set([...tags, ...(task.options.tags ?? [])]),
      conditions: conds,
    };
  };

  const placeSteps = (steps: readonly Step[], parent: string, tags: Set<string>, conds: PlacedTask['conditions']): PlacedStep[] =>
    steps.map((step) => {
      if (step.type === 'task') return placeTask(step, parent, tags, conds);
      const path = `${parent}/${step.name}`;
      if (!NAME.test(step.name)) problems.push({ path, message: `invalid group name "${step.name}"` });
      const inner = new Set([...tags, ...(step.tags ?? [])]);
      const innerConds = step.when ? [...conds, step.when] : conds;
      return {
        type: 'group',
        path,
        steps: placeSteps(step.steps, path, inner, innerConds),
        rescue: placeSteps(step.rescue ?? [], `${path}/rescue`, inner, innerConds),
        always: placeSteps(step.always ?? [], `${path}/always`, inner, innerConds),
      } satisfies PlacedGroup;
    });

  const tags = new Set(body.tags ?? []);
  const steps = placeSteps(body.tasks, base, tags, []);
  const handlers = (body.handlers ?? []).map((h) => placeTask(h, `${base}/handlers`, tags, []));
  return { name: playbookName, path: base, hosts: resolveHosts(body.hosts, env, base, problems), serial: body.serial, steps, handlers };
}

function resolveHosts(pattern: string | undefined, env: Env, path: string, problems: Problem[]): HostTarget[] {
  if (!pattern || pattern === 'localhost') return [{ name: 'localhost', local: true, vars: {} }];
  const names = new Set<string>();
  for (const part of pattern
    .split(/[,:]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (part === 'all') Object.keys(env.hosts).forEach((h) => names.add(h));
    else if (env.groups[part]) env.groups[part]!.forEach((h) => names.add(h));
    else if (env.hosts[part]) names.add(part);
    else problems.push({ path, message: `hosts: no group or host "${part}" in environment ${env.name}` });
  }
  return [...names].map((name) => {
    const spec = env.hosts[name]!;
    return { name, local: false, spec, vars: spec.vars };
  });
}

/** Every task of a tree, depth first, in run order (rescue and always included). */
export function* walkTasks(steps: readonly PlacedStep[]): Generator<PlacedTask> {
  for (const s of steps) {
    if (s.type === 'task') yield s;
    else {
      yield* walkTasks(s.steps);
      yield* walkTasks(s.rescue);
      yield* walkTasks(s.always);
    }
  }
}
