import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import * as ssh from '../../../src/modules/ssh/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { isUnchanged, type Task } from '../../../src/runtime/task.ts';
import { context, problems, runTask } from './context.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hx-ssh-'));
});

const mode = (p: string): number => statSync(p).mode & 0o7777;

describe('ssh.file on localhost', () => {
  const cases: { name: string; setup?: (d: string) => void; task: (d: string) => Task<any>; keys: (d: string) => string[]; check?: (d: string) => void }[] = [
    {
      name: 'creates a file with content and mode',
      task: (d) => ssh.file('f', { path: `${d}/a.conf`, content: 'x=1\n', mode: '0640' }),
      keys: (d) => [`create file:localhost:${d}/a.conf`],
      check: (d) => {
        expect(readFileSync(`${d}/a.conf`, 'utf8')).toBe('x=1\n');
        expect(mode(`${d}/a.conf`)).toBe(0o640);
      },
    },
    {
      name: 'second run plans nothing',
      setup: (d) => {
        writeFileSync(`${d}/a.conf`, 'x=1\n');
        chmodSync(`${d}/a.conf`, 0o640);
      },
      task: (d) => ssh.file('f', { path: `${d}/a.conf`, content: 'x=1\n', mode: '0640' }),
      keys: () => [],
    },
    {
      name: 'updates content, keeping the mode',
      setup: (d) => {
        writeFileSync(`${d}/a.conf`, 'x=0\n');
        chmodSync(`${d}/a.conf`, 0o600);
      },
      task: (d) => ssh.file('f', { path: `${d}/a.conf`, content: 'x=1\n' }),
      keys: (d) => [`update file:localhost:${d}/a.conf`],
      check: (d) => {
        expect(readFileSync(`${d}/a.conf`, 'utf8')).toBe('x=1\n');
        expect(mode(`${d}/a.conf`)).toBe(0o600);
      },
    },
    {
      name: 'changes only the mode',
      setup: (d) => writeFileSync(`${d}/a.conf`, 'x=1\n'),
      task: (d) => ssh.file('f', { path: `${d}/a.conf`, mode: '0600' }),
      keys: (d) => [`update file:localhost:${d}/a.conf`],
      check: (d) => expect(mode(`${d}/a.conf`)).toBe(0o600),
    },
    {
      name: 'creates a directory',
      task: (d) => ssh.file('d', { path: `${d}/sub/deeper`, state: 'directory', mode: '0750' }),
      keys: (d) => [`create file:localhost:${d}/sub/deeper`],
      check: (d) => expect(mode(`${d}/sub/deeper`)).toBe(0o750),
    },
    {
      name: 'removes a file',
      setup: (d) => writeFileSync(`${d}/gone`, ''),
      task: (d) => ssh.file('rm', { path: `${d}/gone`, state: 'absent' }),
      keys: (d) => [`delete file:localhost:${d}/gone`],
      check: (d) => expect(existsSync(`${d}/gone`)).toBe(false),
    },
    {
      name: 'absent: second run plans nothing',
      task: (d) => ssh.file('rm', { path: `${d}/gone`, state: 'absent' }),
      keys: () => [],
    },
    {
      name: 'secret content: 0600, no diff',
      task: (d) => ssh.file('s', { path: `${d}/token`, content: new Secret('tok-0123456789') }),
      keys: (d) => [`create file:localhost:${d}/token`],
      check: (d) => {
        expect(readFileSync(`${d}/token`, 'utf8')).toBe('tok-0123456789');
        expect(mode(`${d}/token`)).toBe(0o600);
      },
    },
  ];

  it.each(cases)('$name', async (c) => {
    c.setup?.(dir);
    const ctx = context();
    const check = await runTask(c.task(dir), ctx, 'check');
    expect(check.keys).toEqual(c.keys(dir));
    const real = await runTask(c.task(dir), ctx);
    expect(real.keys).toEqual(check.keys);
    c.check?.(dir);
    const again = await runTask(c.task(dir), context());
    expect(again.keys).toEqual([]);
  });

  it('never diffs a secret, and diffs a small text update', async () => {
    writeFileSync(`${dir}/s`, 'old');
    writeFileSync(`${dir}/t`, 'old\n');
    const s = await runTask(ssh.file('s', { path: `${dir}/s`, content: new Secret('new-secret-value') }), context(), 'check');
    expect(s.plan.changes[0]?.diff).toBeUndefined();
    expect(JSON.stringify(s.plan.changes)).not.toContain('new-secret-value');
    const t = await runTask(ssh.file('t', { path: `${dir}/t`, content: 'new\n' }), context(), 'check');
    expect(t.plan.changes[0]?.diff).toEqual({ before: 'old\n', after: 'new\n' });
  });

  it('says which folder is missing when a file has no parent', async () => {
    await expect(runTask(ssh.file('f', { path: `${dir}/no/such/file`, content: 'x' }), context())).rejects.toThrow(`the folder ${dir}/no/such does not exist`);
  });

  it('refuses a directory where a file is wanted', async () => {
    mkdirSync(`${dir}/d`);
    await expect(runTask(ssh.file('f', { path: `${dir}/d`, content: 'x' }), context())).rejects.toThrow(/is a directory, not a file/);
  });

  it.each([
    [{ path: 'relative/x' }, /must be absolute/],
    [{ path: '/etc/../x' }, /must not contain/],
    [{ path: '/' }, /refusing/],
    [{ path: '/x', mode: '999' }, /invalid mode/],
    [{ path: '/x', owner: 'a b' }, /invalid owner/],
    [{ path: '/x', state: 'directory' as const, content: 'x' }, /content is only for state 'file'/],
  ])('validates %j', (o, message) => {
    expect(problems(ssh.file('f', o)).join('\n')).toMatch(message);
  });

  it('onlyIfEmpty removes an empty folder or file and leaves one with something in it alone', async () => {
    mkdirSync(`${dir}/empty`);
    mkdirSync(`${dir}/full`);
    writeFileSync(`${dir}/full/keep`, 'x');
    writeFileSync(`${dir}/empty.txt`, '');
    writeFileSync(`${dir}/full.txt`, 'x');
    const gone = (p: string) => ssh.file(p, { path: `${dir}/${p}`, state: 'absent', onlyIfEmpty: true });
    expect((await runTask(gone('empty'), context())).keys).toEqual([`delete file:localhost:${dir}/empty`]);
    expect((await runTask(gone('empty.txt'), context())).keys).toEqual([`delete file:localhost:${dir}/empty.txt`]);
    const full = await runTask(gone('full'), context());
    expect(full.keys).toEqual([]);
    expect('reason' in full.plan && full.plan.reason).toMatch(/is not empty \(keep\): left alone/);
    expect((await runTask(gone('full.txt'), context())).keys).toEqual([]);
    expect([existsSync(`${dir}/empty`), existsSync(`${dir}/empty.txt`), existsSync(`${dir}/full/keep`), existsSync(`${dir}/full.txt`)]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect((await runTask(gone('empty'), context())).keys).toEqual([]);
  });

  it('onlyIfEmpty counts what an earlier task of a check run removes as gone, so check predicts the real run', async () => {
    mkdirSync(`${dir}/conf.d`);
    writeFileSync(`${dir}/conf.d/devpi.fish`, 'x');
    const task = ssh.file('dir', { path: `${dir}/conf.d`, state: 'absent', onlyIfEmpty: true });
    const checked = await runTask(task, context({ plannedDeletes: [`file:localhost:${dir}/conf.d/devpi.fish`] }), 'check');
    expect(checked.keys).toEqual([`delete file:localhost:${dir}/conf.d`]);
    expect(existsSync(`${dir}/conf.d/devpi.fish`)).toBe(true);
    expect((await runTask(task, context())).keys).toEqual([]);
  });

  it('onlyIfEmpty is only for state absent', () => {
    expect(problems(ssh.file('d', { path: '/tmp/x', state: 'directory', onlyIfEmpty: true }))).toEqual(["onlyIfEmpty is only for state 'absent'"]);
  });

  it('expands ~/ with the login user home', async () => {
    const { result } = await runTask(ssh.file('f', { path: '~/.helix-unit-test-probe', state: 'absent' }), context());
    expect(result?.path).toBe(`${process.env.HOME}/.helix-unit-test-probe`);
  });
});

describe('ssh.template on localhost', () => {
  it('renders strictly, writes, and plans nothing the second time', async () => {
    const t = (port: number): Task<any> => ssh.template('t', { path: `${dir}/app.conf`, text: 'port={{port}}\n', name: 'app.conf', vars: { port } });
    expect((await runTask(t(80), context())).keys).toEqual([`create file:localhost:${dir}/app.conf`]);
    expect(readFileSync(`${dir}/app.conf`, 'utf8')).toBe('port=80\n');
    expect((await runTask(t(80), context())).keys).toEqual([]);
    const changed = await runTask(t(81), context());
    expect(changed.plan.changes[0]?.diff).toEqual({ before: 'port=80\n', after: 'port=81\n' });
  });

  it('reports an undefined variable at validation', () => {
    expect(problems(ssh.template('t', { path: '/x', text: '{{nope}}', vars: {} })).join()).toMatch(/nope/);
  });

  it('treats a rendered secret as secret content', async () => {
    const plan = (await runTask(ssh.template('t', { path: `${dir}/s.conf`, text: 'pw={{pw}}\n', vars: { pw: new Secret('very-secret-pw') } }), context())).plan;
    expect(JSON.stringify(plan.changes)).not.toContain('very-secret-pw');
    expect(mode(`${dir}/s.conf`)).toBe(0o600);
  });
});

describe('ssh.copy on localhost', () => {
  it('copies a folder, then only what changed', async () => {
    const src = mkdtempSync(join(tmpdir(), 'hx-src-'));
    mkdirSync(`${src}/sub`);
    writeFileSync(`${src}/a`, 'A');
    writeFileSync(`${src}/sub/b`, 'B');
    chmodSync(`${src}/a`, 0o755);
    const task = ssh.copy('c', { src, dest: `${dir}/out` });
    const first = await runTask(task, context());
    expect(first.keys).toEqual([
      `create file:localhost:${dir}/out`,
      `create file:localhost:${dir}/out/a`,
      `create file:localhost:${dir}/out/sub`,
      `create file:localhost:${dir}/out/sub/b`,
    ]);
    expect(readFileSync(`${dir}/out/sub/b`, 'utf8')).toBe('B');
    expect(mode(`${dir}/out/a`)).toBe(0o755);
    expect((await runTask(task, context())).keys).toEqual([]);
    writeFileSync(`${src}/sub/b`, 'B2');
    expect((await runTask(task, context())).keys).toEqual([`update file:localhost:${dir}/out/sub/b`]);
  });
});

describe('ssh.line on localhost', () => {
  it('adds a line, then plans nothing, keeping the mode', async () => {
    writeFileSync(`${dir}/cfg`, 'a=1\n');
    chmodSync(`${dir}/cfg`, 0o640);
    const task = ssh.line('l', { path: `${dir}/cfg`, line: 'b=2', regexp: /^b=/ });
    expect((await runTask(task, context())).keys).toEqual([`update file:localhost:${dir}/cfg`]);
    expect(readFileSync(`${dir}/cfg`, 'utf8')).toBe('a=1\nb=2\n');
    expect(mode(`${dir}/cfg`)).toBe(0o640);
    expect((await runTask(task, context())).keys).toEqual([]);
  });

  it('fails on a missing file unless create is set', async () => {
    await expect(runTask(ssh.line('l', { path: `${dir}/none`, line: 'x' }), context())).rejects.toThrow(/does not exist/);
    expect((await runTask(ssh.line('l', { path: `${dir}/none`, line: 'x', create: true }), context())).keys).toEqual([`create file:localhost:${dir}/none`]);
  });

  it('removeEmpty: removing the last line removes the file; a file with other lines keeps them', async () => {
    writeFileSync(`${dir}/only`, '. ~/x  # marker\n');
    writeFileSync(`${dir}/more`, 'alias ll=ls\n. ~/x  # marker\n');
    const gone = (p: string) => ssh.line(p, { path: `${dir}/${p}`, regexp: /# marker$/, state: 'absent', removeEmpty: true });
    expect((await runTask(gone('only'), context())).keys).toEqual([`delete file:localhost:${dir}/only`]);
    expect(existsSync(`${dir}/only`)).toBe(false);
    expect((await runTask(gone('more'), context())).keys).toEqual([`update file:localhost:${dir}/more`]);
    expect(readFileSync(`${dir}/more`, 'utf8')).toBe('alias ll=ls\n');
    expect((await runTask(gone('only'), context())).keys).toEqual([]);
    expect((await runTask(gone('more'), context())).keys).toEqual([]);
  });
});

describe('ssh.exec on localhost', () => {
  it('timeoutMs stops a command that runs too long and fails the task, naming the limit', async () => {
    const started = Date.now();
    const slow = ssh.exec('slow', { argv: ['sleep', '30'], unless: ['false'], timeoutMs: 1000 });
    await expect(runTask(slow, context())).rejects.toThrow(/sleep 30 timed out after 1 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const quick = await runTask(ssh.exec('quick', { argv: ['true'], unless: ['false'], timeoutMs: 5000 }), context());
    expect(quick.result?.ran).toBe(true);
    expect(problems(ssh.exec('bad', { argv: ['true'], unless: ['false'], timeoutMs: 10 }))).toEqual([
      'timeoutMs must be a number of milliseconds, at least 1000',
    ]);
  });

  it('creates: runs once, then plans nothing', async () => {
    const task = ssh.exec('e', {
      argv: ['sh', '-c', 'printf "%s" "$GREETING" > "$1"', 'sh', `${dir}/made`],
      env: { GREETING: "hi 'there'" },
      creates: `${dir}/made`,
    });
    const first = await runTask(task, context());
    expect(first.keys).toEqual(['run exec:localhost:test/10_ssh/task']);
    expect('notIdempotent' in first.plan && first.plan.notIdempotent).toBeFalsy();
    expect(readFileSync(`${dir}/made`, 'utf8')).toBe("hi 'there'");
    const again = await runTask(task, context());
    expect(again.keys).toEqual([]);
    expect(again.result).toEqual({ ran: false, code: 0, stdout: '', stderr: '' });
  });

  it('creates: in a check run, a path an earlier task will create means the command will be skipped', async () => {
    const task = ssh.exec('e', { argv: ['false'], creates: `${dir}/later` });
    expect((await runTask(task, context(), 'check')).keys).toHaveLength(1);
    const planned = await runTask(task, context({ plannedCreates: [`file:localhost:${dir}/later`] }), 'check');
    expect(planned.keys).toEqual([]);
  });

  it('unless: plans nothing when the check succeeds', async () => {
    expect((await runTask(ssh.exec('e', { argv: ['false'], unless: ['true'] }), context())).keys).toEqual([]);
    expect((await runTask(ssh.exec('e', { argv: ['true'], unless: ['false'] }), context())).keys).toHaveLength(1);
  });

  it('without creates/unless is flagged as not idempotent, and returns output', async () => {
    const r = await runTask(ssh.exec('e', { argv: ['sh', '-c', 'pwd; cat'], cwd: dir, stdin: 'input' }), context());
    expect('notIdempotent' in r.plan && r.plan.notIdempotent).toBe(true);
    expect(r.result).toMatchObject({ ran: true, code: 0, stdout: `${dir}\ninput` });
  });

  it('fails with the exit code and the end of stderr, masked', async () => {
    const s = new Secret('leaky-secret-value');
    const task = ssh.exec('e', { argv: ['sh', '-c', 'echo "bad $TOKEN" >&2; exit 3'], env: { TOKEN: s } });
    const error = await runTask(task, context()).catch((e: Error) => e);
    expect(String(error)).toMatch(/exited 3: bad \*{8}/);
  });

  it('accepts okCodes', async () => {
    expect((await runTask(ssh.exec('e', { argv: ['sh', '-c', 'exit 2'], okCodes: [0, 2] }), context())).result).toMatchObject({ code: 2 });
  });

  it('failedWhen decides failure from the output instead of the exit code', async () => {
    const soft = ssh.exec('e', { argv: ['sh', '-c', 'echo already exists; exit 1'], failedWhen: (o) => o.code !== 0 && !o.stdout.includes('already exists') });
    expect((await runTask(soft, context())).result).toMatchObject({ code: 1 });
    const hard = ssh.exec('e', { argv: ['sh', '-c', 'echo Error: broken'], failedWhen: (o) => o.stdout.includes('Error') });
    await expect(runTask(hard, context())).rejects.toThrow(/failed \(failedWhen\), exit 0: Error: broken/);
  });

  it('changedWhen false reports the command as ran but unchanged', async () => {
    const task = ssh.exec('e', { argv: ['sh', '-c', 'echo unchanged'], changedWhen: (o) => !o.stdout.includes('unchanged') });
    const plan = await task.plan(context());
    if (!('apply' in plan)) throw new Error('expected a change to apply');
    const applied = await plan.apply();
    expect(isUnchanged(applied)).toBe(true);
    const changed = await ssh.exec('e', { argv: ['echo', 'created'], changedWhen: (o) => o.stdout.includes('created') }).plan(context());
    expect(isUnchanged('apply' in changed ? await changed.apply() : undefined)).toBe(false);
  });
});

describe('ssh.stat on localhost', () => {
  it('reads a file, a folder and a missing path, planning nothing', async () => {
    writeFileSync(`${dir}/f`, 'hello');
    chmodSync(`${dir}/f`, 0o640);
    const file = await runTask(ssh.stat('s', { path: `${dir}/f` }), context(), 'check');
    expect(file.keys).toEqual([]);
    expect(file.result).toMatchObject({ exists: true, type: 'file', mode: 0o640, size: 5 });
    expect((await runTask(ssh.stat('s', { path: dir }), context())).result).toMatchObject({ exists: true, type: 'directory' });
    expect((await runTask(ssh.stat('s', { path: `${dir}/none` }), context())).result).toEqual({ path: `${dir}/none`, exists: false });
    expect(problems(ssh.stat('s', { path: 'relative' }))).not.toEqual([]);
  });
});

describe('ssh.query on localhost', () => {
  it('runs while planning (check runs too), plans nothing and returns the output', async () => {
    const r = await runTask(ssh.query('q', { argv: ['sh', '-c', 'echo "$X"'], env: { X: 'seen' } }), context(), 'check');
    expect(r.keys).toEqual([]);
    expect(r.result).toMatchObject({ ran: true, code: 0, stdout: 'seen\n' });
  });

  it('fails on a non-zero exit, or as failedWhen says', async () => {
    await expect(runTask(ssh.query('q', { argv: ['false'] }), context())).rejects.toThrow(/false exited 1/);
    expect((await runTask(ssh.query('q', { argv: ['false'], failedWhen: () => false }), context())).result).toMatchObject({ code: 1 });
  });
});

describe('ssh.facts', () => {
  it('gathers os, arch, user, home and shell once per run', async () => {
    const memo = new Map<string, unknown>();
    const { result, plan } = await runTask(ssh.facts('facts'), context({ memo }));
    expect(result).toMatchObject({ os: { kernel: 'Linux' }, home: process.env.HOME });
    expect(plan.changes).toEqual([]);
    const transport = memo.get('ssh:localhost') as { cache: Map<string, unknown> };
    const cached = transport.cache.get('facts');
    await runTask(ssh.facts('again'), context({ memo }));
    expect(transport.cache.get('facts')).toBe(cached);
  });
});
