import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PortReport, port } from '../../../src/port/index.ts';

/**
 * The corpus (test/fixtures/port/*) ported into test/.port-out (gitignored, inside the repo so
 * `helix` and `helix/modules/*` resolve through package.json's self-reference). Generated
 * code is compared with reviewed snapshots (never updated in CI) and must typecheck.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = join(repo, 'test/fixtures/port');
const outRoot = join(repo, 'test/.port-out');
const samples = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const results = new Map<string, { report: PortReport; files: Map<string, string> }>();

beforeAll(() => {
  mkdirSync(outRoot, { recursive: true });
  // Only this test's folders: the integration lane ports into test/.port-out/it-* meanwhile.
  writeFileSync(
    join(outRoot, 'tsconfig.unit.json'),
    JSON.stringify({ extends: '../../tsconfig.json', include: samples.map((s) => `./${s}/**/*.ts`) }, null, 2),
  );
  for (const s of samples) {
    rmSync(join(outRoot, s), { recursive: true, force: true });
    results.set(s, port(join(fixtures, s), join(outRoot, s)));
  }
});

/** The report without machine-specific paths. */
function portable(r: PortReport): unknown {
  return { ...r, input: '<input>', out: '<out>' };
}

describe.each(samples)('port %s', (sample) => {
  it('matches the reviewed snapshots of every generated file', async () => {
    const { files } = results.get(sample)!;
    for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      await expect(text).toMatchFileSnapshot(`./__snapshots__/${sample}/${path}.snap`);
    }
  });

  it('reports what became of every task', async () => {
    const { report } = results.get(sample)!;
    const t = report.totals;
    expect(t.found).toBe(t.mapped + t.inlined + t.wrapped + t.debug + t.dropped + t.todo);
    await expect(`${JSON.stringify(portable(report), null, 2)}\n`).toMatchFileSnapshot(`./__snapshots__/${sample}/report.json.snap`);
  });
});

describe('generated code', () => {
  it('typechecks against helix with tsc --noEmit', () => {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', join(outRoot, 'tsconfig.unit.json')], { cwd: repo, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 180_000);
});
