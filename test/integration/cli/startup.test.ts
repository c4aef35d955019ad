import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exec } from '../sandbox/helpers.ts';

/**
 * bin/helix.js runs helix's TypeScript and the user's natively on Node 24 (types stripped), with
 * Node's module compile cache in node_modules/.cache/helix/v8 (docs/decisions/048-native-typescript.md).
 * With or without the cache a run must behave the same, playbooks must share the CLI's runtime
 * (one `Secret` class, one registry), and a project anywhere may import helix by its name.
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const memproject = fileURLToPath(new URL('../../fixtures/memproject', import.meta.url));
const TOKEN = `demo-token-${process.pid}-never-printed`;
const scratch = mkdtempSync(join(tmpdir(), 'helix-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function helix(args: string[], env: NodeJS.ProcessEnv = {}, node = 'node'): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(node, ['bin/helix.js', ...args], { cwd: repo, env: { ...process.env, ...env }, timeoutMs: 120_000 });
}

/** The events of a --json run without timings, to compare two runs. */
const story = (stdout: string): unknown[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ durationMs: _d, ...e }) => e);

describe('start-up paths', () => {
  it('--version answers from package.json', async () => {
    const out = await helix(['--version']);
    expect(out.stdout.trim()).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
  });

  it('runs on Node 24 or newer, the floor package.json states', async () => {
    const out = await helix(['list', '--json'], { HELIX_ROOT: memproject });
    expect(out.code, out.stderr).toBe(0);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).engines.node).toBe('>=24');
  });

  it('a run with the compile cache and one without tell the same story, with one runtime shared by playbooks', async () => {
    const env = { HELIX_ROOT: memproject, DEMO_TOKEN: TOKEN, HELIX_STATE_DIR: join(scratch, 'state') };
    const cached = await helix(['play', 'demo', '--env', 'local', '--check', '--json'], env);
    const uncached = await helix(['play', 'demo', '--env', 'local', '--check', '--json'], { ...env, NODE_DISABLE_COMPILE_CACHE: '1' });
    // `secret()` in the component checks `instanceof Secret` against the Secret the inventory made
    expect(cached.stdout).not.toMatch(/must be a secret reference/);
    expect(cached.stdout + cached.stderr).not.toContain(TOKEN);
    expect(cached.code, cached.stderr).toBe(0);
    expect(story(cached.stdout)).toEqual(story(uncached.stdout));
    expect(story(cached.stdout)).toContainEqual(expect.objectContaining({ type: 'task.changed', path: 'demo/10_first/a' }));
    expect(uncached.code).toBe(cached.code);
    // Node kept the modules' compiled form where bin/helix.js asked it to.
    const cache = join(repo, 'node_modules/.cache/helix/v8');
    expect(existsSync(cache) && readdirSync(cache, { recursive: true }).length).toBeGreaterThan(0);
  });

  it('list lists without importing any playbook', async () => {
    const out = await helix(['list', '--json'], { HELIX_ROOT: memproject });
    expect(JSON.parse(out.stdout)).toEqual([
      { name: 'cleanup', path: 'playbooks/cleanup', playbooks: ['10_block'] },
      { name: 'demo', path: 'playbooks/demo', playbooks: ['10_first', '20_second', '88_test'] },
    ]);
  });

  describe('a project outside helix, without helix in its node_modules', () => {
    const project = join(scratch, 'project');
    const write = (rel: string, text: string): void => {
      mkdirSync(join(project, rel, '..'), { recursive: true });
      writeFileSync(join(project, rel), text);
    };
    write('inventory/local.yaml', 'components:\n  named:\n    token: { secret: { env: DEMO_TOKEN } }\n  enumerated: {}\n');
    write(
      'playbooks/named/component.ts',
      "import { z } from 'zod';\nimport { defineComponent, secret } from 'helix';\n\nexport default defineComponent({ name: 'named', description: 'imports helix by name', vars: z.object({ token: secret() }).strict() });\n",
    );
    // `./tasks.js` names tasks.ts (TypeScript's convention); `helix/modules/template` is a subpath export.
    write(
      'playbooks/named/10_first.ts',
      "import { definePlaybook } from 'helix';\nimport * as template from 'helix/modules/template';\nimport { greeting } from './tasks.js';\n\nexport default definePlaybook(() => [greeting(template)]);\n",
    );
    write(
      'playbooks/named/tasks.ts',
      "import type * as Template from 'helix/modules/template';\n\nexport const greeting = (template: typeof Template) => template.file('greeting', { dest: process.env.GREETING_FILE!, text: 'hello\\n' });\n",
    );
    // An enum is TypeScript that type stripping cannot run.
    write(
      'playbooks/enumerated/component.ts',
      "import { z } from 'zod';\nimport { defineComponent } from 'helix';\n\nexport default defineComponent({ name: 'enumerated', description: 'has an enum', vars: z.object({}) });\n",
    );
    write(
      'playbooks/enumerated/10_enum.ts',
      "import { definePlaybook } from 'helix';\n\nenum Colour { Red }\n\nexport default definePlaybook(() => (Colour.Red === 0 ? [] : []));\n",
    );
    const run = (args: string[], env: NodeJS.ProcessEnv) => {
      const all: NodeJS.ProcessEnv = { ...process.env, DEMO_TOKEN: TOKEN, HELIX_STATE_DIR: join(scratch, 'state-named'), ...env };
      delete all.HELIX_ROOT;
      return exec(process.execPath, [join(repo, 'bin/helix.js'), ...args], { cwd: project, env: all, timeoutMs: 120_000 });
    };
    // Packages such as zod come from the project's own node_modules.
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(join(repo, 'node_modules', 'zod'), join(project, 'node_modules', 'zod'));

    it('imports `helix` and `helix/modules/*` by name, and `./x.js` naming x.ts, with one runtime', async () => {
      const dest = join(scratch, 'greeting.txt');
      const r = await run(['play', 'named', '--json'], { GREETING_FILE: dest });
      expect(r.stdout + r.stderr).not.toMatch(/must be a secret reference|Cannot find (module|package)/);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(story(r.stdout)).toContainEqual(expect.objectContaining({ type: 'task.changed', path: 'named/10_first/greeting' }));
      expect(readFileSync(dest, 'utf8')).toBe('hello\n');
    });

    it('syntax type stripping cannot run (an enum) is exit 2 naming the file, not a crash', async () => {
      const r = await run(['play', 'enumerated', '--check'], {});
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/enumerated\/10_enum: cannot load enumerated\/10_enum: TypeScript enum is not supported in strip-only mode/);
    });
  });

  /**
   * A machine whose own node is older than 24 (this project's have Node 20 in /usr/bin): helix started
   * by it runs itself again on the Node 24 that setup.sh linked into node_modules/.bin, and without
   * that link says what to run.
   */
  describe('started by an older node', () => {
    const candidates = ['/usr/bin/node', '/usr/local/bin/node'].filter(existsSync);
    const old = candidates.find((n) => Number(execFileSync(n, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })) < 24);
    const oldNode = old ?? process.execPath;

    it('runs helix on node_modules/.bin/node, with the same output and exit code', async () => {
      expect(existsSync(join(repo, 'node_modules/.bin/node')) || old === undefined).toBe(true);
      const viaOld = await helix(['list', '--json'], { HELIX_ROOT: memproject }, oldNode);
      const direct = await helix(['list', '--json'], { HELIX_ROOT: memproject });
      expect(viaOld.code, viaOld.stderr).toBe(0);
      expect(JSON.parse(viaOld.stdout)).toEqual(JSON.parse(direct.stdout));
      const failed = await helix(['play', 'nosuch', '--check'], { HELIX_ROOT: memproject }, oldNode);
      expect(failed.code).toBe(2);
    });

    it('without a Node 24 beside it, says to run setup.sh and exits 2', async () => {
      const bare = join(scratch, 'bare');
      mkdirSync(join(bare, 'bin'), { recursive: true });
      copyFileSync(join(repo, 'bin/helix.js'), join(bare, 'bin/helix.js'));
      copyFileSync(join(repo, 'package.json'), join(bare, 'package.json'));
      const r = await exec(oldNode, [join(bare, 'bin/helix.js'), 'list'], { env: process.env });
      if (old === undefined) {
        // No older node on this machine: the one running is new enough, and the copy fails further on, for want of src/.
        expect(r.stderr).not.toMatch(/needs Node\.js 24/);
      } else {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^helix needs Node\.js 24 or newer \(this is v\d+\.[\d.]+\): run `bash scripts\/setup\.sh install`$/m);
      }
    });
  });
});
