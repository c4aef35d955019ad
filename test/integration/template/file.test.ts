import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, collect, EventBus, run, Secret, ValidationError } from '../../../src/index.ts';
import { exitCodeFor } from '../../../src/runtime/errors.ts';
import { file } from '../../../src/modules/template/index.ts';
import { runTask } from '../../fixtures/task-harness.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'helix-template-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('template.file on the real file system', () => {
  it('creates, then plans nothing, then updates with a diff; writes atomically', async () => {
    const dest = join(dir, 'sub', 'app.conf');
    const task = (port: number) => file('conf', { text: 'port={{port}}\n', dest, vars: { port } });

    const check = await runTask(task(1));
    expect(check.outcome).toBe('changed');
    expect(readFileSync(dest, 'utf8')).toBe('port=1\n');
    expect(statSync(dest).mode & 0o777).toBe(0o644);

    expect((await runTask(task(1))).outcome).toBe('ok');

    const checkUpdate = await runTask(task(2), { mode: 'check' });
    expect(checkUpdate.changes[0]?.diff).toEqual({ before: 'port=1\n', after: 'port=2\n' });
    expect(readFileSync(dest, 'utf8')).toBe('port=1\n');
    await runTask(task(2));
    expect(readFileSync(dest, 'utf8')).toBe('port=2\n');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['app.conf']);
  });

  it('writes a file holding secrets with mode 0600 and shows no content', async () => {
    const dest = join(dir, 'secret.env');
    writeFileSync(dest, 'PASSWORD=old\n', { mode: 0o644 });
    const pw = new Secret('integration-template-secret');
    const task = file('env', { text: 'PASSWORD={{pw}}\n', dest, vars: { pw }, secretsAllowed: true });
    const first = await runTask(task);
    expect(first.changes[0]?.summary).toBe('content changed (the file holds secrets; not shown), mode 0644 -> 0600');
    expect(first.changes[0]?.diff).toBeUndefined();
    expect(JSON.stringify(first.events)).not.toContain('integration-template-secret');
    expect(readFileSync(dest, 'utf8')).toBe('PASSWORD=integration-template-secret\n');
    expect(statSync(dest).mode & 0o777).toBe(0o600);
    expect((await runTask(task)).outcome).toBe('ok');
  });

  it('reads a template file given by URL', async () => {
    const src = join(dir, 'greeting.hbs');
    writeFileSync(src, 'hello {{who}}\n');
    const dest = join(dir, 'greeting.txt');
    await runTask(file('greet', { src: new URL(`file://${src}`), dest, vars: { who: 'helix' } }));
    expect(readFileSync(dest, 'utf8')).toBe('hello helix\n');
  });
});

describe('template.file in a played component', () => {
  let root: string;
  let out: string;
  const bus = () => new EventBus();

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'helix-template-project-'));
    out = join(root, 'out');
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    mkdirSync(join(root, 'inventory'));
    mkdirSync(join(root, 'playbooks', 'conf'), { recursive: true });
    writeFileSync(join(root, 'inventory', 'local.yaml'), `components:\n  conf:\n    out: ${out}\n    name: helix\n`);
    const src = join(repo, 'src');
    writeFileSync(
      join(root, 'playbooks', 'conf', 'component.ts'),
      `import { z } from 'zod';\nimport { defineComponent } from '${src}/index.ts';\n` +
        `export default defineComponent({ name: 'conf', description: 'files', vars: z.object({ out: z.string(), name: z.string() }) });\n`,
    );
    writeFileSync(join(root, 'playbooks', 'conf', 'greeting.hbs'), 'hello {{name}}\n');
    writeFileSync(
      join(root, 'playbooks', 'conf', '10_files.ts'),
      `import { definePlaybook } from '${src}/index.ts';\nimport * as template from '${src}/modules/template/index.ts';\n` +
        `export default definePlaybook<{ out: string; name: string }>((env) => [\n` +
        `  template.file('greeting', { src: new URL('./greeting.hbs', import.meta.url), dest: env.vars.out + '/greeting.txt', vars: { name: env.vars.name } }),\n` +
        `  template.file('motd', { text: 'motd for {{name}}\\n', dest: env.vars.out + '/motd', vars: { name: env.vars.name }, mode: 0o640 }),\n` +
        `]);\n`,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const play = async (mode: 'check' | 'apply') => {
    const b = bus();
    const events = collect(b);
    const result = await run({ root, component: 'conf', env: 'local', selection: 'play', mode, bus: b });
    return { result, events, keys: result.changes.map((c) => changeKey(c.change)).sort() };
  };

  it('check predicts the play, and the second play changes nothing', async () => {
    const check = await play('check');
    expect(() => statSync(out)).toThrow();
    const first = await play('apply');
    expect(first.keys).toEqual(check.keys);
    expect(first.keys).toEqual([`create file:localhost:${out}/greeting.txt`, `create file:localhost:${out}/motd`]);
    expect(readFileSync(join(out, 'greeting.txt'), 'utf8')).toBe('hello helix\n');
    expect(statSync(join(out, 'motd')).mode & 0o777).toBe(0o640);
    const second = await play('apply');
    expect(second.keys).toEqual([]);
    expect(second.result.recap.localhost?.changed).toBe(0);
    expect((await play('check')).keys).toEqual([]);
  });

  it('an undefined variable fails validation with the task path, before any change (exit 2)', async () => {
    writeFileSync(join(root, 'playbooks', 'conf', 'greeting.hbs'), 'hello {{name}} from {{place}}\n');
    rmSync(out, { recursive: true, force: true });
    const err = await play('apply').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(exitCodeFor(err)).toBe(2);
    expect((err as ValidationError).problems).toEqual([
      {
        path: 'conf/10_files/greeting',
        message: `template "${join(root, 'playbooks', 'conf', 'greeting.hbs')}": undefined variable "place" (line 1, column 23)`,
      },
    ]);
    expect(() => statSync(out)).toThrow();
  });
});
