import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { TargetError } from '../../runtime/errors.ts';
import { mask } from '../../runtime/secret.ts';
import { goBuild, goBuildDir, goBuilt, PROMTOOL_BUILD } from '../../sandbox/build.ts';

/**
 * The promtool binary to use, without building anything: `HELIX_PROMTOOL` when set, else the
 * cached build (`~/.cache/helix/go/promtool/v<version>/bin/promtool`), else `promtool` on
 * PATH. Undefined when none exists.
 */
export function findPromtool(): string | undefined {
  const override = process.env.HELIX_PROMTOOL;
  if (override) return override;
  if (goBuilt(PROMTOOL_BUILD)) return join(goBuildDir(PROMTOOL_BUILD.name, PROMTOOL_BUILD.version), 'bin', 'promtool');
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'promtool'))) return join(dir, 'promtool');
  return undefined;
}

/**
 * Builds promtool from the Go module proxy (Prometheus's module at the pinned version) into
 * the cache, once, and returns its path. Needs `go`; several minutes cold.
 */
export async function installPromtool(): Promise<string> {
  return join(await goBuild(PROMTOOL_BUILD), 'promtool');
}

/** The outcome of `promtool test rules`. */
export interface RuleTestResult {
  /** promtool exited 0: every rule file loaded and every test passed. */
  ok: boolean;
  code: number;
  /** promtool's stdout and stderr, masked. */
  output: string;
  /** Names of the failing test groups, as promtool prints them (`FAILED:` blocks). */
  failed: string[];
}

export interface RuleTestOptions {
  /** The rule groups (`{ groups: [...] }`, the `spec` of a PrometheusRule). */
  rules: unknown;
  /** The file name the test files' `rule_files` give for the rules. */
  ruleFile: string;
  /** promtool unit test files; they are copied beside the rules file, so `rule_files` is that name. */
  tests: readonly string[];
  /** @default {@link findPromtool} */
  promtool?: string;
  /** @default 2 minutes */
  timeoutMs?: number;
}

/**
 * Runs `promtool test rules` on rule groups given as data (what helix renders) and on unit
 * test files: both are laid out in a scratch folder, promtool runs there, the folder goes.
 */
export async function testRules(o: RuleTestOptions): Promise<RuleTestResult> {
  const promtool = o.promtool ?? findPromtool();
  if (!promtool)
    throw new TargetError('promtool', 'no promtool binary: set HELIX_PROMTOOL, put promtool on PATH, or build it (`node src/modules/prometheus/install.ts`)');
  for (const t of o.tests) if (!existsSync(t)) throw new TargetError('promtool', `rule test file ${t} does not exist`);
  const dir = mkdtempSync(join(tmpdir(), 'helix-promtool-'));
  try {
    writeFileSync(join(dir, o.ruleFile), stringify(o.rules));
    const names = o.tests.map((t, i) => {
      const name = `${i}-${basename(t)}`;
      copyFileSync(t, join(dir, name));
      return name;
    });
    const r = await exec(promtool, ['test', 'rules', ...names], dir, o.timeoutMs ?? 120_000);
    const output = mask(`${r.stdout}${r.stderr}`).trim();
    return { ok: r.code === 0, code: r.code, output, failed: failedGroups(output) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The `name:` of each failing test group in promtool's output (`  FAILED:` then `name: …,`).
 * Empty when the rules themselves did not load (the output then says why).
 */
export function failedGroups(output: string): string[] {
  return [...new Set([...output.matchAll(/^\s*name: (.+?),?\s*$/gm)].map((m) => m[1]!.trim()))];
}

function exec(cmd: string, args: string[], cwd: string, timeout: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout, maxBuffer: 16 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new TargetError('promtool', `cannot run ${cmd}: ${error.message}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
