import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import * as exec from '../../../src/modules/exec/index.ts';
import { runTask, validate } from '../../fixtures/task-harness.ts';
import { fakeProcesses } from './fake-processes.ts';

describe('exec.query', () => {
  const rows: { name: string; mode: 'check' | 'apply' }[] = [
    { name: 'reads in a check run and plans nothing', mode: 'check' },
    { name: 'second run plans nothing either', mode: 'apply' },
  ];

  it.each(rows)('$name', async ({ mode }) => {
    const fake = fakeProcesses({ answers: { 'helm version --short': { stdout: 'v3.19.0+g1234\n' } } });
    const task = exec.query('helm-version', { argv: ['helm', 'version', '--short'], parse: (o) => o.stdout.trim() });
    const r = await runTask(task, { mode, memo: fake.memo });
    expect(r.outcome).toBe('ok');
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('read `helm version --short` (exit 0)');
    expect(r.result).toBe('v3.19.0+g1234');
    expect(fake.ran()).toEqual(['helm version --short']);
  });

  it('returns the masked output by default', async () => {
    const s = new Secret('query-secret-out');
    const fake = fakeProcesses({ answers: { 'cat cfg': { stdout: 'token: query-secret-out' } } });
    const r = await runTask(exec.query('cfg', { argv: ['cat', 'cfg'] }), { memo: fake.memo });
    expect(r.result).toEqual({ exitCode: 0, stdout: 'token: ********', stderr: '', ran: true });
    void s;
  });

  it('fails with what the command said', async () => {
    const fake = fakeProcesses({ answers: { 'kubectl get ns x': { exitCode: 1, stderr: 'Error from server (NotFound)' } } });
    const r = await runTask(exec.query('ns', { argv: ['kubectl', 'get', 'ns', 'x'] }), { memo: fake.memo });
    expect(r.outcome).toBe('failed');
    expect(r.error).toBe('t/pb/ns: `kubectl get ns x` exited with 1:\nError from server (NotFound)');
  });

  it('validates argv like exec.run, without an idempotence declaration', () => {
    expect(validate(exec.query('q', { argv: ['ls'] }))).toEqual([]);
    expect(validate(exec.query('q', { argv: ['curl', new Secret('query-argv-secret') as unknown as string] }))).toEqual([
      'argv[1] is a Secret: pass secrets through env or stdin, never argv',
    ]);
  });
});
