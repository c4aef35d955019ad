import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The architecture, checked: helix (`src/`) never imports user code (`playbooks/`, `roles/`),
 * and user code reaches helix only through its public API, by the names package.json `exports`
 * gives (`helix`, `helix/verify`, `helix/modules/<name>`).
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : tsFiles(p);
    return /\.(ts|mts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module specifier of a file: static, type-only, re-exports and dynamic imports of literals. */
function specifiers(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** helix's package name, from package.json. */
const packageName = (): string => (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;

/** Where a relative specifier points (undefined for packages and node: builtins). */
const target = (file: string, spec: string): string | undefined => (spec.startsWith('.') || spec.startsWith('/') ? resolve(dirname(file), spec) : undefined);
const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/** Imports of a helix source that reach user code. */
function srcViolations(file: string, text: string): string[] {
  const userDirs = [join(root, 'playbooks'), join(root, 'roles')];
  return specifiers(text).filter((s) => {
    const t = target(file, s);
    return t !== undefined && userDirs.some((d) => inside(t, d));
  });
}

/**
 * Imports of user code that reach helix other than by its package name and public entry points
 * (`helix`, `helix/verify`, `helix/modules/<name>`): a path into `src/`, even to an entry file, is
 * one (docs/decisions/048-native-typescript.md: Node resolves the name from any project folder).
 */
function userViolations(file: string, text: string): string[] {
  const name = packageName();
  const src = join(root, 'src');
  return specifiers(text).filter((s) => {
    if (s === name || s.startsWith(`${name}/`)) return !/^helix(\/verify|\/modules\/[a-z0-9_-]+)?$/.test(s.replace(name, 'helix'));
    const t = target(file, s);
    return t !== undefined && inside(t, src);
  });
}

describe('src/ never imports from playbooks/ or roles/', () => {
  const files = tsFiles(join(root, 'src'));
  it('finds the sources', () => expect(files.length).toBeGreaterThan(100));
  it('no source imports user code', () => {
    const bad = files.flatMap((f) => srcViolations(f, readFileSync(f, 'utf8')).map((s) => `${relative(root, f)}: ${s}`));
    expect(bad).toEqual([]);
  });
});

describe('components and roles import only the public API', () => {
  const files = [...tsFiles(join(root, 'playbooks')), ...tsFiles(join(root, 'roles'))];
  it('finds the user code', () => expect(files.length).toBeGreaterThan(30));
  it('no playbook, component helper or role imports a helix internal', () => {
    const bad = files.flatMap((f) => userViolations(f, readFileSync(f, 'utf8')).map((s) => `${relative(root, f)}: ${s}`));
    expect(bad).toEqual([]);
  });
});

describe('the import rules catch what they should', () => {
  const srcFile = join(root, 'src/verify/platform/index.ts');
  const playbook = join(root, 'playbooks/platform/88_test.ts');
  it.each([
    ['a static import', `import { x } from '../../../playbooks/platform/lib/guardrails.ts';`],
    ['a type-only import', `import type { PlatformVars } from '../../../playbooks/platform/component.ts';`],
    ['a re-export', `export { x } from '../../../roles/common/kept_secret.ts';`],
    ['a dynamic import', `const m = await import('../../../playbooks/platform/verify.ts');`],
  ])('src: %s of a playbook fails', (_, text) => {
    expect(srcViolations(srcFile, text)).toHaveLength(1);
  });
  it('src: imports inside src pass', () => {
    expect(srcViolations(srcFile, `import { a } from '../report.ts';\nimport { b } from '../../runtime/errors.ts';\nimport pc from 'picocolors';`)).toEqual([]);
  });
  it.each([
    ['a runtime internal', `import { Secret } from '../../src/runtime/secret.ts';`],
    ['a module internal', `import { helmCli } from '../../src/modules/helm/cli.ts';`],
    ['a verify internal', `import type { Obj } from '../../src/verify/kube.ts';`],
    ['a deep package path', `import { x } from 'helix/src/runtime/task.ts';`],
    ['a path to the public entry point', `import { definePlaybook } from '../../src/index.ts';`],
    ['a path to a module entry point', `import * as k8s from '../../src/modules/k8s/index.ts';`],
  ])('user code: %s fails', (_, text) => {
    expect(userViolations(playbook, text)).toHaveLength(1);
  });
  it('user code: the public entry points by name pass', () => {
    const text = [
      `import { run } from 'helix';`,
      `import * as helm from 'helix/modules/helm';`,
      `import { pass } from 'helix/verify';`,
      `import { z } from 'zod';`,
      `import { x } from './lib/context.ts';`,
    ].join('\n');
    expect(userViolations(playbook, text)).toEqual([]);
  });
});
