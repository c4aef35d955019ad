import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PortReport, port } from '../../../src/port/index.ts';
import { mappedShare } from '../../../src/port/report.ts';

/**
 * The real Thinkube tree (Apache-2.0, beside the clone at `<repo>/../shared/corpus/thinkube`;
 * read, never copied into the project): every core component and the `roles/` folder ported
 * into test/.port-out/thinkube. The share of tasks mapped (without `debug`) must not fall
 * below the figure docs/port.md states, and the output must typecheck within the ceiling it
 * states. A missing corpus fails the test: it is not optional.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const corpus = join(repo, '../shared/corpus/thinkube/ansible');
const outRoot = join(repo, 'test/.port-out/thinkube');
const doc = readFileSync(join(repo, 'docs/port.md'), 'utf8');

/** `<!-- thinkube: mapped-share-floor 31.0 tsc-error-ceiling 141 -->` in docs/port.md. */
function stated(): { floor: number; ceiling: number } {
  const m = /<!-- thinkube: mapped-share-floor ([\d.]+) tsc-error-ceiling (\d+) -->/.exec(doc);
  if (!m) throw new Error('docs/port.md states no Thinkube figures (<!-- thinkube: mapped-share-floor N tsc-error-ceiling N -->)');
  return { floor: Number(m[1]), ceiling: Number(m[2]) };
}

const reports = new Map<string, PortReport>();

beforeAll(() => {
  if (!existsSync(corpus)) throw new Error(`the Thinkube corpus is missing: ${corpus} (the shared folder beside the clone)`);
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  const core = join(corpus, '40_thinkube/core');
  const inputs: [string, string][] = readdirSync(core)
    .filter((c) => statSync(join(core, c)).isDirectory())
    .sort()
    .map((c) => [c, join(core, c)]);
  inputs.push(['roles', join(corpus, 'roles')]);
  for (const [name, dir] of inputs) reports.set(name, port(dir, join(outRoot, name), { component: name }).report);
  writeFileSync(join(outRoot, 'tsconfig.json'), JSON.stringify({ extends: '../../../tsconfig.json', include: ['./**/*.ts'] }, null, 2));
}, 120_000);

describe('helix port on the Thinkube corpus', () => {
  it('ports every component and role without a crash; a file it cannot read is named', () => {
    expect(reports.size).toBeGreaterThan(10);
    for (const r of reports.values()) {
      const t = r.totals;
      expect(t.found).toBe(t.mapped + t.inlined + t.wrapped + t.debug + t.dropped + t.todo);
      for (const p of r.problems) {
        expect(existsSync(p.file)).toBe(true);
        expect(p.message).toContain(p.file.split('/').at(-1));
      }
    }
    expect([...reports.values()].reduce((n, r) => n + r.totals.found, 0)).toBeGreaterThan(2500);
  });

  it('maps at least the share of tasks docs/port.md states, debug not counted', () => {
    const sum = { found: 0, mapped: 0, debug: 0 };
    for (const r of reports.values()) for (const k of ['found', 'mapped', 'debug'] as const) sum[k] += r.totals[k];
    expect(mappedShare(sum)).toBeGreaterThanOrEqual(stated().floor);
  });

  it('writes TypeScript that typechecks within the error ceiling docs/port.md states', () => {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', join(outRoot, 'tsconfig.json')], {
        cwd: repo,
        encoding: 'utf8',
        stdio: 'pipe',
        maxBuffer: 1 << 26,
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    const errors = output.split('\n').filter((l) => /error TS\d+/.test(l));
    // No syntax errors at all: they hide every type error behind them.
    expect(errors.filter((l) => /error TS1\d{3}:/.test(l))).toEqual([]);
    expect(errors.length, errors.join('\n')).toBeLessThanOrEqual(stated().ceiling);
    // tsc over the whole output takes about a minute on 2 idle cores, over two on the shared machine.
  }, 300_000);
});
