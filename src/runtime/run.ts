import type { z } from 'zod';
import type { Env } from './env.ts';
import { Engine, type ExecuteResult } from './engine.ts';
import { ConfigError, type Problem, ValidationError } from './errors.ts';
import type { EventBus, RunMode } from './events.ts';
import { componentVars, loadInventory } from './inventory.ts';
import { findComponent, loadComponent, loadPlaybook, type Selection, selectPlaybooks } from './loader.ts';
import { type PlacedPlaybook, type PlacedStep, place, walkTasks } from './tree.ts';

export interface RunOptions {
  /** Project root holding `playbooks/` and `inventory/`. */
  root: string;
  component: string;
  env: string;
  selection: Selection;
  mode: RunMode;
  bus: EventBus;
  /** Playbook names (`30_redis` or `redis`) or task path prefixes to run alone. */
  only?: readonly string[];
  /** Start at this playbook (name as for `only`). */
  from?: string;
  tags?: readonly string[];
  forks?: number;
  maxFailPercent?: number;
  signal?: AbortSignal;
}

export interface Prepared {
  env: Env;
  playbooks: PlacedPlaybook[];
  taskCount: number;
}

function matchesPlaybook(name: string, wanted: string): boolean {
  return name === wanted || name.replace(/^\d+_/, '') === wanted;
}

/**
 * Loads the inventory, the component and its playbooks, and validates all of it. Touches no
 * target; throws a ValidationError listing every problem found.
 */
export async function prepare(opts: Omit<RunOptions, 'bus' | 'mode'>): Promise<Prepared> {
  const inventory = loadInventory(opts.root, opts.env);
  const folder = findComponent(opts.root, opts.component);
  const component = await loadComponent(folder);
  const problems: Problem[] = [];

  const { vars: rawVars, provenance } = componentVars(inventory, component.name);
  const parsed = (component.vars as z.ZodType).safeParse(rawVars);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.map(String).join('.');
      const where = provenance[String(issue.path[0])] ?? `inventory/${opts.env}.yaml: components.${component.name}`;
      problems.push({ path: `${component.name}/vars.${key}`, message: `${issue.message} (${where})` });
    }
    throw new ValidationError(problems);
  }

  const env: Env = {
    name: opts.env,
    vars: parsed.data as Record<string, unknown>,
    kubernetes: inventory.kubernetes,
    tlsVerify: inventory.tlsVerify,
    hosts: inventory.hosts,
    groups: inventory.groups,
    provenance,
    inventoryDir: inventory.file.replace(/\/[^/]+$/, ''),
  };

  let selected = selectPlaybooks(folder, opts.selection);
  if (selected.length === 0) {
    throw new ConfigError(`component ${component.name} has no ${opts.selection} playbook`, component.name);
  }
  if (opts.from) {
    const i = selected.findIndex((p) => matchesPlaybook(p.name, opts.from!));
    if (i < 0) throw new ConfigError(`--from: no playbook "${opts.from}" in ${component.name}`, `${component.name}/${opts.from}`);
    selected = selected.slice(i);
  }

  const playbooks: PlacedPlaybook[] = [];
  for (const pb of selected) {
    const path = `${component.name}/${pb.name}`;
    try {
      const playbook = await loadPlaybook(folder, pb);
      playbooks.push(place(component.name, pb.name, playbook.build(env), env, problems));
    } catch (error) {
      problems.push({ path, message: (error as Error).message });
    }
  }
  if (problems.length) throw new ValidationError(problems);

  const filtered = filterOnly(playbooks, opts.only ?? [], component.name);
  const taskCount = filtered.reduce((n, pb) => n + [...walkTasks(pb.steps)].length, 0);
  return { env, playbooks: filtered, taskCount };
}

/** `--only` keeps whole playbooks by name, or tasks whose path starts with a prefix. */
function filterOnly(playbooks: PlacedPlaybook[], only: readonly string[], component: string): PlacedPlaybook[] {
  if (only.length === 0) return playbooks;
  const unknown = only.filter(
    (o) =>
      !playbooks.some(
        (pb) => matchesPlaybook(pb.name, o) || [...walkTasks(pb.steps)].some((t) => pathMatches(t.path, o, component)),
      ),
  );
  if (unknown.length) {
    throw new ConfigError(
      `--only: no playbook or task named ${unknown.map((u) => `"${u}"`).join(', ')} (playbooks: ${playbooks.map((p) => p.name).join(', ')})`,
      `${component}/${unknown[0]}`,
    );
  }
  const out: PlacedPlaybook[] = [];
  for (const pb of playbooks) {
    if (only.some((o) => matchesPlaybook(pb.name, o))) {
      out.push(pb);
      continue;
    }
    const keep = (steps: PlacedPlaybook['steps']): PlacedPlaybook['steps'] =>
      steps.flatMap((s): PlacedStep[] => {
        if (s.type === 'task') return only.some((o) => pathMatches(s.path, o, component)) ? [s] : [];
        if (only.some((o) => pathMatches(s.path, o, component))) return [s];
        const inner = keep(s.steps);
        return inner.length ? [{ ...s, steps: inner }] : [];
      });
    const steps = keep(pb.steps);
    if (steps.length) out.push({ ...pb, steps });
  }
  return out;
}

function pathMatches(path: string, prefix: string, component: string): boolean {
  const full = prefix.startsWith(`${component}/`) ? prefix : `${component}/${prefix}`;
  return path === full || path.startsWith(`${full}/`);
}

/**
 * Runs a component's playbooks: validate everything, run every preflight check, then
 * plan and apply task by task (or only plan, in check mode).
 */
export async function run(opts: RunOptions): Promise<ExecuteResult & { prepared: Prepared }> {
  const started = Date.now();
  const { bus } = opts;
  let prepared: Prepared;
  try {
    prepared = await prepare(opts);
  } catch (error) {
    if (error instanceof ValidationError) bus.emit({ type: 'run.invalid', problems: [...error.problems] });
    throw error;
  }
  bus.emit({
    type: 'run.start',
    component: opts.component,
    env: opts.env,
    mode: opts.mode,
    playbooks: prepared.playbooks.map((p) => p.name),
  });
  const engine = new Engine(prepared.env, {
    mode: opts.mode,
    bus,
    ...(opts.forks !== undefined ? { forks: opts.forks } : {}),
    ...(opts.maxFailPercent !== undefined ? { maxFailPercent: opts.maxFailPercent } : {}),
    ...(opts.tags ? { tags: opts.tags } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const problems = await engine.preflight(prepared.playbooks);
  if (problems.length) {
    bus.emit({ type: 'run.invalid', problems });
    throw new ValidationError(problems);
  }
  bus.emit({ type: 'run.validated', tasks: prepared.taskCount });
  const result = await engine.run(prepared.playbooks);
  bus.emit({
    type: 'run.end',
    ok: result.ok,
    recap: result.recap,
    durationMs: Date.now() - started,
    ...(result.interrupted ? { interrupted: true } : {}),
  });
  return { ...result, prepared };
}
