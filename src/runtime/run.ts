import type { z } from 'zod';
import type { Env } from './env.ts';
import { Engine, type ExecuteResult } from './engine.ts';
import { ConfigError, type Problem, ValidationError } from './errors.ts';
import type { EventBus, RunMode } from './events.ts';
import { componentVars, envOf, loadInventory } from './inventory.ts';
import { findComponent, loadComponent, loadPlaybook, type Selection, selectPlaybooks } from './loader.ts';
import { registeredPruners } from './prune.ts';
import { newHolder, recordRun, type RunRecord, stateFor } from './state/index.ts';
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
  /** How long to wait for another run's lock before giving up. @default 0 */
  waitLockMs?: number;
  /** Lease time of the run lock; a dead holder's lock is taken over after this. @default 60 */
  lockTtlSeconds?: number;
  /** Component variables set on the command line (`--set`); they win over the inventory. */
  extraVars?: Record<string, unknown>;
  /**
   * After a successful play, delete what helix created for the component that its playbooks no
   * longer declare (docs/decisions/004-prune.md). Needs the whole play. @default false
   */
  prune?: boolean;
  /**
   * `placeholder`: secret references of the inventory become stand-ins and nothing is read (for
   * deriving what a run touches without its secrets). @default 'resolve'
   */
  secrets?: 'resolve' | 'placeholder';
}

export interface Prepared {
  env: Env;
  playbooks: PlacedPlaybook[];
  taskCount: number;
}

/** `--set` values over inventory values: objects merge key by key, anything else replaces. */
function mergeVars(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const plain = (x: unknown): x is Record<string, unknown> =>
      x !== null && typeof x === 'object' && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
    out[k] = plain(b) && plain(v) ? mergeVars(b, v) : v;
  }
  return out;
}

function matchesPlaybook(name: string, wanted: string): boolean {
  return name === wanted || name.replace(/^\d+_/, '') === wanted;
}

/**
 * Loads the inventory, the component and its playbooks, and validates all of it. Touches no
 * target; throws a ValidationError listing every problem found.
 */
export async function prepare(opts: Omit<RunOptions, 'bus' | 'mode'>): Promise<Prepared> {
  const inventory = loadInventory(opts.root, opts.env, opts.secrets ? { secrets: opts.secrets } : {});
  const folder = findComponent(opts.root, opts.component);
  const component = await loadComponent(folder);
  const problems: Problem[] = [];
  if (opts.prune) {
    const partial = [opts.only?.length ? '--only' : '', opts.from ? '--from' : '', opts.tags?.length ? '--tags' : ''].filter(Boolean);
    if (opts.selection !== 'play') throw new ConfigError(`--prune applies to play, not ${opts.selection}`, component.name);
    if (partial.length) {
      throw new ConfigError(`--prune needs the whole play to know what is declared: drop ${partial.join(' and ')}`, component.name);
    }
  }

  const { vars: inventoryVars, provenance } = componentVars(inventory, component.name);
  const rawVars = mergeVars(inventoryVars, opts.extraVars ?? {});
  for (const k of Object.keys(opts.extraVars ?? {})) provenance[k] = `--set ${k}`;
  const parsed = (component.vars as z.ZodType).safeParse(rawVars);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.map(String).join('.');
      const where = provenance[String(issue.path[0])] ?? `inventory/${opts.env}.yaml: components.${component.name}`;
      problems.push({ path: `${component.name}/vars.${key}`, message: `${issue.message} (${where})` });
    }
    throw new ValidationError(problems);
  }

  const env: Env = envOf(inventory, parsed.data as Record<string, unknown>, provenance, component.name);

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
    (o) => !playbooks.some((pb) => matchesPlaybook(pb.name, o) || [...walkTasks(pb.steps)].some((t) => pathMatches(t.path, o, component))),
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
 * plan and apply task by task (or only plan, in check mode). Whatever happens, the run's
 * shared values that hold something open (SSH connections) are closed at the end.
 */
export async function run(opts: RunOptions): Promise<ExecuteResult & { prepared: Prepared }> {
  const memo = new Map<string, unknown>();
  try {
    return await runWith(opts, memo);
  } finally {
    await closeMemo(memo);
  }
}

/**
 * Ends what the run's shared values hold open: every memo value with a `close()` method is
 * closed once. Errors while closing are ignored: the run's outcome is already decided.
 */
export async function closeMemo(memo: Map<string, unknown>): Promise<void> {
  const closers = [...memo.values()].filter(
    (v): v is { close(): unknown } => typeof v === 'object' && v !== null && typeof (v as { close?: unknown }).close === 'function',
  );
  memo.clear();
  await Promise.all(
    closers.map(async (v) => {
      try {
        await v.close();
      } catch {
        // already closed or broken
      }
    }),
  );
}

/** The run itself; `run` closes what its memo holds open afterwards. */
async function runWith(opts: RunOptions, memo: Map<string, unknown>): Promise<ExecuteResult & { prepared: Prepared }> {
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
    playbooks: [...prepared.playbooks.map((p) => p.name), ...(opts.prune ? ['prune'] : [])],
  });
  for (const [target, setIn] of Object.entries(prepared.env.tlsUnverified ?? {})) bus.emit({ type: 'tls.unverified', target, setIn });
  const abort = new AbortController();
  if (opts.signal) {
    if (opts.signal.aborted) abort.abort();
    opts.signal.addEventListener('abort', () => abort.abort(), { once: true });
  }
  // Set once the run lock is ours: confirms it before each task when its renewal is overdue.
  let confirmLock: (() => Promise<void>) | undefined;
  const engine = new Engine(prepared.env, {
    mode: opts.mode,
    bus,
    memo,
    signal: abort.signal,
    beforeTask: async () => {
      await confirmLock?.();
    },
    ...(opts.forks !== undefined ? { forks: opts.forks } : {}),
    ...(opts.maxFailPercent !== undefined ? { maxFailPercent: opts.maxFailPercent } : {}),
    ...(opts.tags ? { tags: opts.tags } : {}),
  });
  const problems = await engine.preflight(prepared.playbooks);
  if (problems.length) {
    bus.emit({ type: 'run.invalid', problems });
    throw new ValidationError(problems);
  }
  bus.emit({ type: 'run.validated', tasks: prepared.taskCount });

  /** The play, then (with `--prune`, after a play that succeeded) the prune playbook. */
  const execute = async (): Promise<ExecuteResult> => {
    const result = await engine.run(prepared.playbooks);
    if (!opts.prune || !result.ok) return result;
    const pruned = await engine.run([await prunePlaybook(opts, prepared, memo)]);
    return { ...pruned, ok: pruned.ok && result.ok };
  };
  if (opts.mode === 'check') {
    const result = await execute();
    bus.emit({ type: 'run.end', ok: result.ok, recap: result.recap, durationMs: Date.now() - started });
    return { ...result, prepared };
  }
  return withLockAndJournal(opts, prepared, abort, memo, async (lockLost, confirm) => {
    confirmLock = confirm;
    // Preflight read the targets before the lock was ours: plan on fresh reads.
    engine.forgetReads();
    const result = await execute();
    const lost = lockLost();
    bus.emit({
      type: 'run.end',
      ok: result.ok && !lost,
      recap: result.recap,
      durationMs: Date.now() - started,
      ...(result.interrupted && !lost ? { interrupted: true } : {}),
    });
    // Another run may hold the lock now: this one failed, it was not interrupted by its user.
    if (lost) throw lost;
    return { ...result, prepared };
  });
}

/**
 * Holds the (component, env) run lock for the duration of `body` and journals what it changes.
 * A run left unfinished by a killed process is reported, and this run converges from wherever it stopped.
 */
async function withLockAndJournal<T>(
  opts: RunOptions,
  prepared: Prepared,
  abort: AbortController,
  memo: Map<string, unknown>,
  body: (lockLost: () => Error | undefined, confirm: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const { bus } = opts;
  const { lock, journal, where } = stateFor(prepared.env, opts.component, memo);
  const holder = newHolder(`helix ${opts.selection} ${opts.component} --env ${opts.env}`);
  const ttl = opts.lockTtlSeconds ?? (Number(process.env.HELIX_LOCK_TTL_SECONDS) || 60);
  let lost: Error | undefined;
  const acquired = await lock.acquire(holder, {
    waitMs: opts.waitLockMs ?? 0,
    ttlSeconds: ttl,
    // The engine starts no further task once the lock is lost; the run then fails with this error.
    onLost: (error) => {
      lost ??= error;
      bus.emit({ type: 'log', path: opts.component, host: 'localhost', level: 'warn', message: error.message });
      abort.abort();
    },
  });
  try {
    const t = acquired.takenOver?.holder;
    bus.emit({
      type: 'lock.acquired',
      scope: lock.scope,
      where,
      ...(t ? { takenOverFrom: `${t.user}@${t.host} pid ${t.pid} (since ${t.startedAt})` } : {}),
    });
    const history = await journal.list();
    const last = history.at(-1);
    if (last?.status === 'running') {
      bus.emit({ type: 'run.resumed', previousRun: last.id, previousStartedAt: last.startedAt, changesBeforeStop: last.changes.length });
      last.status = 'interrupted';
      await journal.save(last);
    }
    const record: RunRecord = {
      id: holder.id,
      seq: (last?.seq ?? 0) + 1,
      component: opts.component,
      env: opts.env,
      selection: opts.selection,
      status: 'running',
      holder,
      startedAt: holder.startedAt,
      changes: [],
    };
    const recorder = recordRun(journal, record);
    // The record says "running" before the first change, so a kill at any point is seen by the next run.
    await recorder.flush();
    const off = bus.on(recorder.onEvent);
    try {
      return await body(
        () => lost,
        async () => acquired.confirm?.(),
      );
    } finally {
      off();
      await recorder.flush();
    }
  } finally {
    await acquired.release();
  }
}

/**
 * The `<component>/prune` playbook: one task per module that registered a pruner, told which
 * targets earlier runs journalled (so kinds applied only in the past are looked at too).
 */
async function prunePlaybook(opts: RunOptions, prepared: Prepared, memo: Map<string, unknown>): Promise<PlacedPlaybook> {
  const component = prepared.env.component ?? opts.component;
  const { journal } = stateFor(prepared.env, opts.component, memo);
  const journalTargets = [...new Set((await journal.list()).flatMap((r) => r.changes.map((c) => c.target)))];
  const tasks = registeredPruners().map((p) => p.task({ component, env: opts.env, journalTargets }));
  const problems: Problem[] = [];
  const placed = place(component, 'prune', { tasks }, prepared.env, problems);
  if (problems.length) throw new ValidationError(problems);
  return placed;
}
