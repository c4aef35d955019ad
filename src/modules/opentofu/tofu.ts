import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { TargetError } from '../../runtime/errors.ts';
import { mask } from '../../runtime/secret.ts';
import { goBuild, goBuildDir, goBuilt, OPENTOFU_BUILD } from '../../sandbox/build.ts';

/**
 * The tofu binary to use, without building anything: `HELIX_TOFU` when set, else the cached
 * build (`~/.cache/helix/go/opentofu/v<version>/bin/tofu`), else `tofu` on PATH. Undefined
 * when none exists.
 */
export function findTofu(): string | undefined {
  const override = process.env.HELIX_TOFU;
  if (override) return override;
  if (goBuilt(OPENTOFU_BUILD)) return join(goBuildDir(OPENTOFU_BUILD.name, OPENTOFU_BUILD.version), 'bin', 'tofu');
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'tofu'))) return join(dir, 'tofu');
  return undefined;
}

/**
 * Builds OpenTofu from the Go module proxy (its module at the pinned version) into the cache,
 * once, and returns the binary's path. Needs `go`; several minutes cold.
 */
export async function installTofu(): Promise<string> {
  return join(await goBuild(OPENTOFU_BUILD), 'tofu');
}

/** The outcome of one tofu command. */
export interface TofuResult {
  code: number;
  /** stdout and stderr, masked. */
  output: string;
  /** stdout alone, masked (`-json` output; CLI configuration warnings land here too). */
  stdout: string;
}

export interface TofuOptions {
  /** The root module's folder. */
  dir: string;
  /** @default {@link findTofu} */
  tofu?: string;
  /** Added to helix's environment (backend credentials come from there, as for any Terraform run). */
  env?: NodeJS.ProcessEnv;
  /** @default 5 minutes */
  timeoutMs?: number;
}

/** Runs `tofu <args>` in the module folder (argument array, no shell); resolves with its exit code. */
export function tofu(args: readonly string[], o: TofuOptions): Promise<TofuResult> {
  const bin = o.tofu ?? findTofu();
  if (!bin) throw new TargetError('tofu', 'no tofu binary: set HELIX_TOFU, put tofu on PATH, or build it (`node src/modules/opentofu/install.ts`)');
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      [...args],
      { cwd: o.dir, env: { ...process.env, TF_IN_AUTOMATION: '1', ...o.env }, timeout: o.timeoutMs ?? 300_000, maxBuffer: 32 << 20, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(new TargetError('tofu', `cannot run ${bin} ${args[0] ?? ''}: ${error.message}`));
        else resolve({ code: error ? (error.code as number) : 0, output: mask(`${stdout}${stderr}`).trim(), stdout: mask(stdout).trim() });
      },
    );
  });
}

/** One resource the plan would change, from `tofu show -json` (`resource_changes`). */
export interface PlannedChange {
  address: string;
  /** `update`, `create`, `delete`, `delete, create` (replace), … */
  actions: string;
  /** Top-level attributes whose value differs between state and plan (for an update). */
  attributes: string[];
}

/** The outcome of `tofu plan -detailed-exitcode`. */
export interface PlanResult {
  /** 0: no changes, 1: error, 2: changes (the state no longer matches the configuration and what it reads). */
  code: number;
  changes: PlannedChange[];
  /** Resources refresh found changed outside OpenTofu (`resource_drift`). */
  drift: PlannedChange[];
  /** tofu's output (init and plan), masked. */
  output: string;
}

export interface PlanOptions extends TofuOptions {
  /** How long to wait for the state lock. @default '0s' (a held lock is reported at once) */
  lockTimeout?: string;
}

/**
 * `tofu init` then `tofu plan -detailed-exitcode` on a root module, read-only: the working
 * directory (`.terraform`, the plan file) is a scratch folder (`TF_DATA_DIR`), so the module's
 * folder is never written. The plan takes the state lock like any plan.
 */
export async function plan(o: PlanOptions): Promise<PlanResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'helix-tofu-'));
  const env = { ...o.env, TF_DATA_DIR: join(scratch, 'data') };
  const run = (args: string[]): Promise<TofuResult> => tofu(args, { ...o, env });
  try {
    const init = await run(['init', '-input=false', '-no-color', '-reconfigure']);
    if (init.code !== 0) return { code: 1, changes: [], drift: [], output: init.output };
    const planFile = join(scratch, 'plan.tfplan');
    const p = await run(['plan', '-detailed-exitcode', '-input=false', '-no-color', `-lock-timeout=${o.lockTimeout ?? '0s'}`, `-out=${planFile}`]);
    if (p.code !== 2) return { code: p.code, changes: [], drift: [], output: p.output };
    const show = await run(['show', '-json', '-no-color', planFile]);
    let json: PlanJson | undefined;
    try {
      // CLI configuration warnings share stdout with the JSON document (one line).
      const line = show.stdout.split('\n').findLast((l) => l.startsWith('{'));
      json = show.code === 0 && line ? (JSON.parse(line) as PlanJson) : undefined;
    } catch {
      json = undefined;
    }
    // The plan's exit 2 stands even when its details cannot be read.
    if (!json) return { code: 2, changes: [], drift: [], output: `${p.output}\n${show.output}` };
    return { code: 2, ...planChanges(json), output: p.output };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface ChangeJson {
  address: string;
  change: { actions: string[]; before?: unknown; after?: unknown; after_unknown?: unknown };
}

/** The parts of `tofu show -json <plan>` helix reads. */
export interface PlanJson {
  resource_changes?: ChangeJson[];
  resource_drift?: ChangeJson[];
}

/** The changed resources (no-op and read actions left out) and the drift of a JSON plan. */
export function planChanges(json: PlanJson): { changes: PlannedChange[]; drift: PlannedChange[] } {
  // Attributes known only after apply (`after_unknown`) follow from the others: left out.
  const unknown = (c: ChangeJson): Record<string, unknown> =>
    c.change.after_unknown && typeof c.change.after_unknown === 'object' ? (c.change.after_unknown as Record<string, unknown>) : {};
  const one = (c: ChangeJson): PlannedChange => ({
    address: c.address,
    actions: c.change.actions.join(', '),
    attributes: changedAttributes(c.change.before, c.change.after).filter((k) => unknown(c)[k] !== true),
  });
  const changed = (c: ChangeJson): boolean => !c.change.actions.every((a) => a === 'no-op' || a === 'read');
  return { changes: (json.resource_changes ?? []).filter(changed).map(one), drift: (json.resource_drift ?? []).map(one) };
}

/** Top-level keys whose values differ (both sides objects); [] otherwise. */
export function changedAttributes(before: unknown, after: unknown): string[] {
  const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!obj(before) || !obj(after)) return [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

/** The lock holder tofu names when it refuses a held state lock (`Error acquiring the state lock`). */
export function lockInfo(output: string): { id?: string; who?: string; operation?: string } | undefined {
  if (!/Error acquiring the state lock/.test(output)) return undefined;
  const field = (name: string): string | undefined => new RegExp(`^\\s*${name}:\\s*(.+)$`, 'm').exec(output)?.[1]?.trim();
  const out: { id?: string; who?: string; operation?: string } = {};
  const id = field('ID');
  const who = field('Who');
  const operation = field('Operation');
  if (id) out.id = id;
  if (who) out.who = who;
  if (operation) out.operation = operation;
  return out;
}

/** The error lines of tofu's output (`Error: …` and what follows), at most `max` lines. */
export function errorExcerpt(output: string, max = 12): string {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /(^|│ )Error: /.test(l));
  return (start >= 0 ? lines.slice(start) : lines.slice(-max))
    .map((l) => l.replace(/^[│╷╵] ?/, '').trimEnd())
    .filter(Boolean)
    .slice(0, max)
    .join('\n');
}
