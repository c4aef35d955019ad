import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import * as exec from '../../../src/modules/exec/index.ts';
import { runTask, validate } from '../../fixtures/task-harness.ts';
import { fakeProcesses } from './fake-processes.ts';

const argv = ['make-thing', '--out', '/srv/thing'];

describe('exec.run plans from its idempotence declaration', () => {
  const rows: {
    name: string;
    options: Omit<exec.RunOptions, 'argv'>;
    paths?: string[];
    answers?: NonNullable<Parameters<typeof fakeProcesses>[0]>['answers'];
    expect: {
      outcome: 'ok' | 'changed';
      reason?: RegExp;
      change?: { target: string; action: string; summary: string };
      notIdempotent?: boolean;
      checkRuns: string[];
    };
  }[] = [
    {
      name: 'creates: absent path plans a create of it',
      options: { creates: '/srv/thing' },
      expect: {
        outcome: 'changed',
        change: { target: 'file:localhost:/srv/thing', action: 'create', summary: 'run `make-thing --out /srv/thing` (creates /srv/thing)' },
        checkRuns: [],
      },
    },
    {
      name: 'creates: second run plans nothing',
      options: { creates: '/srv/thing' },
      paths: ['/srv/thing'],
      expect: { outcome: 'ok', reason: /^\/srv\/thing exists: `make-thing --out \/srv\/thing` not needed$/, checkRuns: [] },
    },
    {
      name: 'creates relative to cwd',
      options: { creates: 'out/x', cwd: '/work' },
      paths: ['/work/out/x'],
      expect: { outcome: 'ok', reason: /^\/work\/out\/x exists/, checkRuns: [] },
    },
    {
      name: 'removes: present path plans a delete of it',
      options: { removes: '/srv/old' },
      paths: ['/srv/old'],
      expect: {
        outcome: 'changed',
        change: { target: 'file:localhost:/srv/old', action: 'delete', summary: 'run `make-thing --out /srv/thing` (removes /srv/old)' },
        checkRuns: [],
      },
    },
    {
      name: 'removes: absent path plans nothing',
      options: { removes: '/srv/old' },
      expect: { outcome: 'ok', reason: /^\/srv\/old does not exist/, checkRuns: [] },
    },
    {
      name: 'unless argv failing: the command runs',
      options: { unless: ['has-thing'] },
      answers: { 'has-thing': { exitCode: 1 } },
      expect: {
        outcome: 'changed',
        change: { target: 'exec:localhost:t/pb/cmd', action: 'run', summary: 'run `make-thing --out /srv/thing`' },
        checkRuns: ['has-thing'],
      },
    },
    {
      name: 'unless argv succeeding: second run plans nothing',
      options: { unless: ['has-thing'] },
      expect: { outcome: 'ok', reason: /^`has-thing` succeeded: /, checkRuns: ['has-thing'] },
    },
    {
      name: 'unless function true: nothing to do',
      options: { unless: async () => true },
      expect: { outcome: 'ok', reason: /^the unless condition holds/, checkRuns: [] },
    },
    {
      name: 'unless function false: the command runs',
      options: { unless: () => false },
      expect: { outcome: 'changed', change: { target: 'exec:localhost:t/pb/cmd', action: 'run', summary: 'run `make-thing --out /srv/thing`' }, checkRuns: [] },
    },
    {
      name: 'idempotent: false always runs and says so',
      options: { idempotent: false },
      expect: {
        outcome: 'changed',
        change: { target: 'exec:localhost:t/pb/cmd', action: 'run', summary: 'run `make-thing --out /srv/thing`' },
        notIdempotent: true,
        checkRuns: [],
      },
    },
    {
      name: 'creates wins over a failing unless',
      options: { creates: '/srv/thing', unless: ['has-thing'] },
      paths: ['/srv/thing'],
      answers: { 'has-thing': { exitCode: 1 } },
      expect: { outcome: 'ok', reason: /^\/srv\/thing exists/, checkRuns: [] },
    },
  ];

  it.each(rows)('$name', async ({ options, paths, answers, expect: want }) => {
    const fake = fakeProcesses({ ...(paths ? { paths } : {}), ...(answers ? { answers } : {}) });
    const task = exec.run('cmd', { argv, ...options } as exec.RunOptions);
    const check = await runTask(task, { mode: 'check', memo: fake.memo });
    expect(check.outcome).toBe(want.outcome);
    expect(fake.ran()).toEqual(want.checkRuns);
    if (want.outcome === 'ok') {
      expect(check.reason).toMatch(want.reason!);
      expect(check.result).toEqual({ exitCode: 0, stdout: '', stderr: '', ran: false });
      return;
    }
    expect(check.changes).toEqual([want.change]);
    expect(check.notIdempotent).toBe(want.notIdempotent ?? false);
    expect(check.result).toBeUndefined(); // known only after it runs

    const real = await runTask(task, { memo: fake.memo });
    expect(real.changes).toEqual(check.changes);
    expect(real.notIdempotent).toBe(want.notIdempotent ?? false);
    expect(fake.ran()).toEqual([...want.checkRuns, ...want.checkRuns, argv.join(' ')]);
    expect(real.result).toEqual({ exitCode: 0, stdout: '', stderr: '', ran: true });
  });
});

describe('exec.run outcome', () => {
  it('fails on a non-zero exit with the end of the masked stderr', async () => {
    const token = new Secret('tok-run-unit-123');
    const stderr = [...Array.from({ length: 30 }, (_, i) => `line ${i}`), 'auth failed for tok-run-unit-123'].join('\n');
    const fake = fakeProcesses({ answers: { 'deploy now': { exitCode: 3, stderr } } });
    const r = await runTask(exec.run('cmd', { argv: ['deploy', 'now'], env: { TOKEN: token }, idempotent: false }), { memo: fake.memo });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/^t\/pb\/cmd: `deploy now` exited with 3:\nline 11\n/);
    expect(r.error).toMatch(/auth failed for \*{8}$/);
    expect(r.error).not.toMatch(/line 10\n/);
    expect(JSON.stringify(r.events)).not.toContain('tok-run-unit-123');
    expect(fake.calls[0]?.env.TOKEN).toBe(token); // the runner reveals it, not the task
  });

  it('masks secrets in its result', async () => {
    const pw = new Secret('pw-in-stdout-xyz');
    const fake = fakeProcesses({ answers: { 'show-config': { stdout: 'password=pw-in-stdout-xyz\n' } } });
    const r = await runTask(exec.run('cmd', { argv: ['show-config'], stdin: pw, idempotent: false }), { memo: fake.memo });
    expect(r.result?.stdout).toBe('password=********\n');
    expect(fake.calls[0]?.stdin).toBe(pw);
  });

  it('masks the values listed in secrets', async () => {
    const extra = new Secret('xtra');
    const fake = fakeProcesses({ answers: { echo: { stdout: 'xtra' } } });
    const r = await runTask(exec.run('cmd', { argv: ['echo'], secrets: [extra], idempotent: false }), { memo: fake.memo });
    expect(r.result?.stdout).toBe('********');
  });

  const outcomes: {
    name: string;
    answer: { exitCode: number; stdout?: string; timedOut?: boolean };
    options: Partial<exec.RunOptions>;
    outcome: string;
    message?: RegExp;
  }[] = [
    {
      name: 'failedWhen turns exit 0 into a failure',
      answer: { exitCode: 0, stdout: 'ERROR: quota' },
      options: { failedWhen: (o) => o.stdout.startsWith('ERROR') },
      outcome: 'failed',
      message: /failed \(failedWhen; exit 0\):\nERROR: quota$/,
    },
    { name: 'failedWhen accepts a known exit code', answer: { exitCode: 2 }, options: { failedWhen: (o) => o.exitCode > 2 }, outcome: 'changed' },
    {
      name: 'changedWhen false reports ok',
      answer: { exitCode: 0, stdout: 'already exists' },
      options: { changedWhen: (o) => !o.stdout.includes('already') },
      outcome: 'ok',
      message: /changedWhen says nothing changed/,
    },
    {
      name: 'changedWhen true reports changed',
      answer: { exitCode: 0, stdout: 'added' },
      options: { changedWhen: (o) => !o.stdout.includes('already') },
      outcome: 'changed',
    },
    {
      name: 'a timeout fails with the limit',
      answer: { exitCode: 143, timedOut: true },
      options: { timeoutMs: 50 },
      outcome: 'failed',
      message: /`slow` timed out after 50 ms$/,
    },
  ];

  it.each(outcomes)('$name', async ({ answer, options, outcome, message }) => {
    const fake = fakeProcesses({ answers: { slow: answer } });
    const r = await runTask(exec.run('cmd', { argv: ['slow'], idempotent: false, ...options }), { memo: fake.memo });
    expect(r.outcome).toBe(outcome);
    if (message) expect(outcome === 'failed' ? r.error : r.reason).toMatch(message);
  });

  it('checks a computed argv at plan time', async () => {
    const pw = new Secret('computed-argv-secret');
    const r = await runTask(exec.run('cmd', { argv: () => ['login', pw.reveal()], idempotent: false }), { memo: fakeProcesses().memo });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/argv\[1\] contains a secret value/);
    expect(r.error).not.toContain('computed-argv-secret');
  });
});

describe('exec.run validation', () => {
  const secret = new Secret('argv-secret-value');
  const rows: { name: string; options: Record<string, unknown>; problems: RegExp[] }[] = [
    { name: 'valid', options: { argv: ['true'], creates: '/x' }, problems: [] },
    {
      name: 'a Secret in argv',
      options: { argv: ['login', '--password', secret], idempotent: false },
      problems: [/^argv\[2\] is a Secret: pass secrets through env or stdin, never argv$/],
    },
    {
      name: 'a revealed secret in argv',
      options: { argv: ['login', `--password=${secret.reveal()}`], idempotent: false },
      problems: [/^argv\[1\] contains a secret value/],
    },
    { name: 'a Secret in unless', options: { argv: ['x'], unless: ['check', secret] }, problems: [/^unless\[1\] is a Secret/] },
    {
      name: 'no idempotence declaration',
      options: { argv: ['x'] },
      problems: [/declare how the command is idempotent: creates, removes, unless, or idempotent: false/],
    },
    { name: 'idempotent: true', options: { argv: ['x'], idempotent: true }, problems: [/idempotent: true is not a declaration/] },
    { name: 'idempotent: false with creates', options: { argv: ['x'], idempotent: false, creates: '/x' }, problems: [/contradicts/] },
    { name: 'relative creates without cwd', options: { argv: ['x'], creates: 'out' }, problems: [/creates "out" is relative/] },
    { name: 'relative cwd', options: { argv: ['x'], cwd: 'sub', idempotent: false }, problems: [/cwd "sub" is relative/] },
    { name: 'empty argv', options: { argv: [], idempotent: false }, problems: [/argv must be a non-empty array/] },
    { name: 'a shell string is not argv', options: { argv: 'rm -rf /tmp/x', idempotent: false }, problems: [/argv must be a non-empty array/] },
    {
      name: 'bad env',
      options: { argv: ['x'], env: { 'A-B': 'x', C: 1 }, idempotent: false },
      problems: [/env name "A-B"/, /env C must be a string or a Secret/],
    },
    { name: 'bad timeout', options: { argv: ['x'], timeoutMs: 0, idempotent: false }, problems: [/timeoutMs must be a positive/] },
  ];

  it.each(rows)('$name', ({ options, problems }) => {
    const found = validate(exec.run('cmd', options as unknown as exec.RunOptions));
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(found[i]).toMatch(p));
    expect(found.join('\n')).not.toContain('argv-secret-value');
  });
});
