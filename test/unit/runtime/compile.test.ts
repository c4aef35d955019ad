import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { CompileUnsupported, UserCompiler } from '../../../src/runtime/compile.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let dir: string;
let compiler: UserCompiler;
const build = join('/nonexistent', 'build');

function write(rel: string, text: string): string {
  const file = join(dir, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const compiled = async (file: string): Promise<string> => readFileSync(fileURLToPath(await compiler.compile(file)), 'utf8');

beforeEach(() => {
  // Inside the repository (not under node_modules), so packages resolve as for its playbooks.
  mkdirSync(join(REPO, 'test', '.tmp'), { recursive: true });
  dir = mkdtempSync(join(REPO, 'test', '.tmp', 'compile-'));
  compiler = new UserCompiler({ root: REPO, build, cache: join(dir, '.cache') });
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('user code compiler', () => {
  it('maps helix to its precompiled modules, other TypeScript to its compiled form, and keeps import.meta.url on the source', async () => {
    const helper = write('roles/helper.ts', 'export const n: number = 1;\n');
    const file = write(
      'playbooks/app/10_x.ts',
      [
        "import { definePlaybook } from 'helix';",
        "import * as k8s from 'helix/modules/k8s';",
        "import { n } from '../../roles/helper.ts';",
        "import { readFileSync } from 'node:fs';",
        'export const tpl = new URL("./t.hbs", import.meta.url);',
        'export default [definePlaybook, k8s, n, readFileSync];',
      ].join('\n'),
    );
    const js = await compiled(file);
    expect(js).toContain(`from "${pathToFileURL(join(build, 'src', 'index.mjs')).href}"`);
    expect(js).toContain(`from "${pathToFileURL(join(build, 'src', 'modules', 'k8s', 'index.mjs')).href}"`);
    expect(js).toContain('from "node:fs"');
    expect(js).toContain(JSON.stringify(pathToFileURL(file).href));
    const helperUrl = /from "(file:[^"]*helper\.mjs)"/.exec(js)?.[1];
    expect(helperUrl).toBeDefined();
    expect(readFileSync(fileURLToPath(helperUrl!), 'utf8')).toContain('const n = 1');
    expect(helper.endsWith('.ts')).toBe(true);
  });

  it('leaves text that only looks like an import alone, and resolves a package to its file', async () => {
    const file = write(
      'playbooks/app/20_y.ts',
      ['import { z } from "zod";', 'export const script = `cp from "$HOME" import "x"`;', 'export default z;'].join('\n'),
    );
    const js = await compiled(file);
    expect(js).toContain('`cp from "$HOME" import "x"`');
    expect(js).toMatch(/from "file:[^"]*node_modules\/zod\/[^"]*"/);
  });

  it("resolves TypeScript's ./x.js convention to x.ts, and a literal dynamic import", async () => {
    write('lib/x.ts', 'export const x = 2;\n');
    const file = write('playbooks/app/30_z.ts', "export { x } from '../../lib/x.js';\nexport const later = () => import('../../lib/x.ts');\n");
    const js = await compiled(file);
    expect(js).toMatch(/from "file:[^"]*lib\/x\.mjs"/);
    expect(js).toMatch(/import\("file:[^"]*lib\/x\.mjs"\)/);
  });

  it('recompiles a file when it changes, and an imported file when it changes', async () => {
    const dep = write('lib/v.ts', 'export const v = 1;\n');
    const file = write('playbooks/app/40_w.ts', "export { v } from '../../lib/v.ts';\n");
    const url = await compiler.compile(file);
    const depOut = /from "(file:[^"]*v\.mjs)"/.exec(readFileSync(fileURLToPath(url), 'utf8'))![1]!;
    expect(readFileSync(fileURLToPath(depOut), 'utf8')).toContain('v = 1');
    writeFileSync(dep, 'export const v = 22;\n');
    await new UserCompiler({ root: REPO, build, cache: join(dir, '.cache') }).compile(file);
    expect(readFileSync(fileURLToPath(depOut), 'utf8')).toContain('v = 22');
  });

  it('resolves helix to the helix that runs, from a project that does not have it installed', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'hx-compile-'));
    try {
      const file = join(outside, '10_a.ts');
      writeFileSync(file, "import { definePlaybook } from 'helix';\nimport { apply } from 'helix/modules/k8s';\nexport default [definePlaybook, apply];\n");
      const js = await compiled(file);
      expect(js).toContain(`from "${pathToFileURL(join(build, 'src', 'index.mjs')).href}"`);
      expect(js).toContain(`from "${pathToFileURL(join(build, 'src', 'modules', 'k8s', 'index.mjs')).href}"`);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('forgets sources that are gone, and their compiled files, when it next compiles', async () => {
    const gone = write('playbooks/app/70_gone.ts', 'export const g = 1;\n');
    const goneOut = fileURLToPath(await compiler.compile(gone));
    rmSync(gone);
    await compiler.compile(write('playbooks/app/71_new.ts', 'export const h = 2;\n'));
    const manifest = JSON.parse(readFileSync(join(dir, '.cache', 'manifest.json'), 'utf8')) as { files: Record<string, unknown> };
    expect(Object.keys(manifest.files)).not.toContain(gone);
    expect(existsSync(goneOut)).toBe(false);
  });

  it('refuses what it cannot compile ahead of time, so the caller falls back to tsx', async () => {
    const computed = write('playbooks/app/50_v.ts', 'export const load = (f: string) => import(f);\n');
    await expect(compiler.compile(computed)).rejects.toBeInstanceOf(CompileUnsupported);
    const missing = write('playbooks/app/60_u.ts', "export * from './nowhere.ts';\n");
    await expect(compiler.compile(missing)).rejects.toThrow(/cannot resolve "\.\/nowhere\.ts"/);
  });
});
