import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exec } from '../sandbox/helpers.ts';

/**
 * bin/helix.js runs helix's own sources precompiled (node_modules/.cache/helix/build), and the
 * user's TypeScript compiled the same way (docs/decisions/005-startup.md, 006-user-code.md). Whatever the path, a run must
 * behave the same, and playbooks must share the CLI's runtime (one `Secret` class, one registry).
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const memproject = fileURLToPath(new URL('../../fixtures/memproject', import.meta.url));
const TOKEN = `demo-token-${process.pid}-never-printed`;

async function helix(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec('node', ['bin/helix.js', ...args], { cwd: repo, env: { ...process.env, ...env }, timeoutMs: 120_000 });
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

  it('a precompiled run and a run from source tell the same story, with one runtime shared by playbooks', async () => {
    const env = { HELIX_ROOT: memproject, DEMO_TOKEN: TOKEN, HELIX_STATE_DIR: mkdtempSync(join(tmpdir(), 'helix-startup-')) };
    const compiled = await helix(['play', 'demo', '--env', 'local', '--check', '--json'], env);
    const source = await helix(['play', 'demo', '--env', 'local', '--check', '--json'], { ...env, HELIX_NO_BUILD_CACHE: '1' });
    // `secret()` in the component checks `instanceof Secret` against the Secret the inventory made
    expect(compiled.stdout).not.toMatch(/must be a secret reference/);
    expect(compiled.stdout + compiled.stderr).not.toContain(TOKEN);
    expect(story(compiled.stdout)).toEqual(story(source.stdout));
    expect(compiled.code).toBe(source.code);
    const manifest = JSON.parse(readFileSync(join(repo, 'node_modules/.cache/helix/build/manifest.json'), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files)).toContain('src/cli/main.ts');
    // The user's TypeScript ran compiled too (docs/decisions/006-user-code.md), not through tsx.
    const user = JSON.parse(readFileSync(join(repo, 'node_modules/.cache/helix/user/manifest.json'), 'utf8')) as { files: Record<string, unknown> };
    expect(Object.keys(user.files)).toEqual(
      expect.arrayContaining([join(memproject, 'playbooks/demo/component.ts'), join(memproject, 'playbooks/demo/10_first.ts')]),
    );
  });

  it('list lists without importing any playbook', async () => {
    const out = await helix(['list', '--json'], { HELIX_ROOT: memproject });
    expect(JSON.parse(out.stdout)).toEqual([
      { name: 'cleanup', path: 'playbooks/cleanup', playbooks: ['10_block'] },
      { name: 'demo', path: 'playbooks/demo', playbooks: ['10_first', '20_second', '88_test'] },
    ]);
  });
});
