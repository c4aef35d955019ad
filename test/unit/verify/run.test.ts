import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJson, renderMarkdown, renderTable } from '../../../src/verify/render.ts';
import { fail, pass, warn } from '../../../src/verify/index.ts';
import { verifyComponent } from '../../../src/verify/run.ts';

const src = fileURLToPath(new URL('../../../src', import.meta.url));

/** A user's project with one component; `verify` is the text of its verify.ts (none when undefined). */
function project(verify: string | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'helix-verify-run-'));
  mkdirSync(join(root, 'playbooks/shop'), { recursive: true });
  mkdirSync(join(root, 'inventory'));
  writeFileSync(join(root, 'inventory/local.yaml'), 'components:\n  shop:\n    replicas: 1\n');
  writeFileSync(
    join(root, 'playbooks/shop/component.ts'),
    `import { z } from 'zod';\nimport { defineComponent } from '${src}/index.ts';\nexport default defineComponent({ name: 'shop', description: 'd', vars: z.object({ replicas: z.number() }) });\n`,
  );
  if (verify !== undefined) writeFileSync(join(root, 'playbooks/shop/verify.ts'), verify);
  roots.push(root);
  return root;
}
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('helix verify <component>: the component’s verify.ts', () => {
  it('runs its checks with the validated vars, ordered by its sections', async () => {
    const root = project(`import { defineReadiness, fail, pass } from '${src}/verify/index.ts';
export default defineReadiness<{ replicas: number }>({
  sections: { S: 'Scale', T: 'Traffic' },
  check: async (ctx) => [
    pass('T', 'route', 'route', 'static: ' + ctx.static),
    ctx.env.vars.replicas >= 2 ? pass('S', 'replicas', 'two replicas', 'ok') : fail('S', 'replicas', 'two replicas', 'replicas = ' + ctx.env.vars.replicas, 'set replicas: 2'),
  ],
});
`);
    const { results, sections } = await verifyComponent({ root, component: 'shop', env: 'local', static: true });
    expect(sections).toEqual({ S: 'Scale', T: 'Traffic' });
    expect(results.map((r) => [r.id, r.status, r.evidence])).toEqual([
      ['S.replicas', 'FAIL', 'replicas = 1'],
      ['T.route', 'PASS', 'static: true'],
    ]);
    const fixed = await verifyComponent({ root, component: 'shop', env: 'local', static: true, set: { replicas: 3 } });
    expect(fixed.results[0]!.status).toBe('PASS');
  });

  it('a component without verify.ts is a configuration error', async () => {
    await expect(verifyComponent({ root: project(undefined), component: 'shop', env: 'local', static: true })).rejects.toThrow(
      /component shop has no readiness checks \(no verify\.ts/,
    );
  });

  it('a verify.ts that does not export defineReadiness is a configuration error', async () => {
    await expect(verifyComponent({ root: project('export default { check: () => [] };\n'), component: 'shop', env: 'local', static: true })).rejects.toThrow(
      /verify\.ts must `export default defineReadiness/,
    );
  });
});

describe('renderers take the component’s sections', () => {
  const results = [pass('S', 'a', 'alpha', 'fine'), warn('T', 'b', 'beta', 'meh', 'tune it'), fail('Z', 'c', 'gamma', 'broken', 'fix it')];
  const sections = { S: 'Scale', T: 'Traffic' };
  it('table: titles from the sections; a section the component did not name is still shown', () => {
    const t = renderTable(results, 'shop readiness', sections);
    expect(t).toMatch(/S {2}Scale/);
    expect(t).toMatch(/T {2}Traffic/);
    expect(t).toMatch(/Z {2}Z[\s\S]*gamma[\s\S]*fix: fix it/);
    expect(t).toMatch(/1 pass, 1 warn, 1 fail/);
  });
  it('markdown and json', () => {
    expect(renderMarkdown(results, 'shop', sections)).toMatch(/\| S \| Scale \| \*\*PASS\*\* \|/);
    const j = JSON.parse(renderJson(results, { component: 'shop' }, sections)) as {
      status: string;
      sections: Record<string, { title: string; status: string }>;
    };
    expect(j.status).toBe('FAIL');
    expect(j.sections).toEqual({ S: { title: 'Scale', status: 'PASS' }, T: { title: 'Traffic', status: 'WARN' }, Z: { title: 'Z', status: 'FAIL' } });
  });
});
