import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, collect, EventBus, run, Secret } from '../../../src/index.ts';
import * as exec from '../../../src/modules/exec/index.ts';
import { runTask } from '../../fixtures/task-harness.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'helix-exec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exec.run with real processes', () => {
  it('creates: runs once, then plans nothing', async () => {
    const marker = join(dir, 'made');
    const task = exec.run('touch', { argv: ['touch', marker], creates: marker });
    const check = await runTask(task, { mode: 'check' });
    expect(check.changes.map((c) => `${c.action} ${c.target}`)).toEqual([`create file:localhost:${marker}`]);
    expect(existsSync(marker)).toBe(false);
    const first = await runTask(task);
    expect(first.changes).toEqual(check.changes);
    expect(existsSync(marker)).toBe(true);
    expect((await runTask(task)).outcome).toBe('ok');
  });

  it('unless: a real check command decides', async () => {
    const file = join(dir, 'unless');
    const task = exec.run('write', { argv: ['sh', '-c', 'echo hi > "$1"', 'sh', file], unless: ['test', '-f', file] });
    expect((await runTask(task)).outcome).toBe('changed');
    expect(readFileSync(file, 'utf8')).toBe('hi\n');
    expect((await runTask(task)).outcome).toBe('ok');
  });

  it('arguments reach the program as they are, with no shell in between', async () => {
    const tricky = ['$(touch pwned)', '; rm -rf /', "it's", '*', '"q"', 'a b'];
    const r = await runTask(exec.query('args', { argv: ['node', '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...tricky], cwd: dir }));
    expect(JSON.parse(r.result!.stdout)).toEqual(tricky);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('passes secrets through env and stdin, and masks them in output and errors', async () => {
    const token = new Secret('integration-exec-token-42');
    const echo = await runTask(exec.run('echo', { argv: ['sh', '-c', 'echo "env=$TOKEN"; cat'], env: { TOKEN: token }, stdin: token, idempotent: false }));
    expect(echo.result?.stdout).toBe('env=********\n********');
    const failing = await runTask(exec.run('fail', { argv: ['sh', '-c', 'echo "bad token $TOKEN" >&2; exit 4'], env: { TOKEN: token }, idempotent: false }));
    expect(failing.error).toBe('t/pb/fail: `sh -c \'echo "bad token $TOKEN" >&2; exit 4\'` exited with 4:\nbad token ********');
    expect(JSON.stringify([echo.events, failing.events])).not.toContain('integration-exec-token-42');
  });

  it('runs in cwd, with env on top of this environment (or alone)', async () => {
    const pwd = await runTask(exec.query('pwd', { argv: ['pwd'], cwd: dir, parse: (o) => o.stdout.trim() }));
    expect(pwd.result).toBe(dir);
    const inherit = await runTask(exec.query('env', { argv: ['sh', '-c', 'echo "$HOME|$EXTRA"'], env: { EXTRA: 'x' }, parse: (o) => o.stdout.trim() }));
    expect(inherit.result).toBe(`${process.env.HOME}|x`);
    const alone = await runTask(
      exec.query('env2', { argv: ['/bin/sh', '-c', 'echo "${HOME:-none}|$EXTRA"'], env: { EXTRA: 'y' }, inheritEnv: false, parse: (o) => o.stdout.trim() }),
    );
    expect(alone.result).toBe('none|y');
  });

  it('kills a command and its children at the timeout', async () => {
    const started = Date.now();
    const r = await runTask(exec.run('slow', { argv: ['sh', '-c', 'sleep 30 & sleep 30; wait'], timeoutMs: 300, idempotent: false }));
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('names a command that does not exist', async () => {
    const r = await runTask(exec.run('missing', { argv: ['helix-no-such-command'], idempotent: false }));
    expect(r.error).toMatch(/cannot run helix-no-such-command: command not found/);
  });

  it('reports changedWhen and idempotent: false honestly', async () => {
    const task = exec.run('maybe', { argv: ['echo', 'already there'], idempotent: false, changedWhen: (o) => !o.stdout.includes('already') });
    const check = await runTask(task, { mode: 'check' });
    expect(check.outcome).toBe('changed');
    expect(check.notIdempotent).toBe(true);
    const real = await runTask(task);
    expect(real.outcome).toBe('ok');
    expect(real.reason).toMatch(/changedWhen says nothing changed/);
  });
});

describe('exec.run in a played component', () => {
  let root: string;
  let out: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'helix-exec-project-'));
    out = join(root, 'out');
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    mkdirSync(join(root, 'inventory'));
    mkdirSync(join(root, 'playbooks', 'cmds'), { recursive: true });
    writeFileSync(join(root, 'inventory', 'local.yaml'), `components:\n  cmds:\n    out: ${out}\n`);
    const src = join(repo, 'src');
    writeFileSync(
      join(root, 'playbooks', 'cmds', 'component.ts'),
      `import { z } from 'zod';\nimport { defineComponent } from '${src}/index.ts';\n` +
        `export default defineComponent({ name: 'cmds', description: 'commands', vars: z.object({ out: z.string() }) });\n`,
    );
    writeFileSync(
      join(root, 'playbooks', 'cmds', '10_commands.ts'),
      `import { definePlaybook } from '${src}/index.ts';\nimport * as exec from '${src}/modules/exec/index.ts';\n` +
        `export default definePlaybook<{ out: string }>((env) => [\n` +
        `  exec.run('mkdir', { argv: ['mkdir', '-p', env.vars.out], creates: env.vars.out }),\n` +
        `  exec.run('stamp', { argv: ['sh', '-c', 'date > stamp'], cwd: env.vars.out, creates: 'stamp' }),\n` +
        `]);\n`,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const play = async (mode: 'check' | 'apply') => {
    const bus = new EventBus();
    const events = collect(bus);
    const result = await run({ root, component: 'cmds', env: 'local', selection: 'play', mode, bus });
    return { result, events, keys: result.changes.map((c) => changeKey(c.change)).sort() };
  };

  it('check predicts the play, the second play changes nothing', async () => {
    const check = await play('check');
    expect(check.keys).toEqual([`create file:localhost:${out}`, `create file:localhost:${out}/stamp`]);
    expect(existsSync(out)).toBe(false);
    const first = await play('apply');
    expect(first.keys).toEqual(check.keys);
    expect(existsSync(join(out, 'stamp'))).toBe(true);
    const second = await play('apply');
    expect(second.keys).toEqual([]);
    expect(second.result.recap.localhost).toMatchObject({ changed: 0, ok: 2 });
    expect((await play('check')).keys).toEqual([]);
  });
});
