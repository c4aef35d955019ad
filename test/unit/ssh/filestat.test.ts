import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command, CommandResult } from '../../../src/modules/ssh/command.ts';
import { parseStats, STAT_SCRIPT } from '../../../src/modules/ssh/filestat.ts';
import * as ssh from '../../../src/modules/ssh/index.ts';
import { LocalTransport } from '../../../src/modules/ssh/transport.ts';
import type { Task } from '../../../src/runtime/task.ts';
import { context, runTask } from './context.ts';

/** The local transport, counting the commands that reach the "host". */
class CountingTransport extends LocalTransport {
  readonly seen: string[] = [];
  override run(cmd: Command): Promise<CommandResult> {
    this.seen.push(cmd.argv[2] === STAT_SCRIPT ? 'stat' : cmd.argv.join(' ').slice(0, 40));
    return super.run(cmd);
  }
}

function counted(): { memo: Map<string, unknown>; t: CountingTransport } {
  const t = new CountingTransport();
  return { memo: new Map<string, unknown>([['ssh:localhost', t]]), t };
}

describe('batched file facts', () => {
  it('parses stat and sha256sum output, including odd names', () => {
    const paths = ['/a', '/b|c', '/missing', '/d'];
    const out = [
      'regular file|644|root|root|3|/a',
      'regular empty file|600|u|g|0|/b|c',
      'directory|755|root|root|4096|/d',
      '--',
      `${'1'.repeat(64)}  /a`,
      `${'2'.repeat(64)}  /b|c`,
      '',
    ].join('\n');
    const stats = parseStats(paths, out);
    expect(stats.get('/a')).toEqual({ path: '/a', exists: true, type: 'file', mode: 0o644, owner: 'root', group: 'root', size: 3, sha256: '1'.repeat(64) });
    expect(stats.get('/b|c')).toMatchObject({ exists: true, mode: 0o600, sha256: '2'.repeat(64) });
    expect(stats.get('/missing')).toEqual({ path: '/missing', exists: false });
    expect(stats.get('/d')).toMatchObject({ type: 'directory', mode: 0o755 });
    expect(stats.get('/d')?.sha256).toBeUndefined();
  });

  it('one read serves a whole run of file tasks on a host where nothing changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-batch-'));
    for (let i = 0; i < 6; i++) writeFileSync(`${dir}/f${i}`, `content ${i}\n`);
    const tasks: Task<any>[] = [
      ...Array.from({ length: 6 }, (_, i) => ssh.file(`f${i}`, { path: `${dir}/f${i}`, content: `content ${i}\n` })),
      ssh.exec('once', { argv: ['true'], creates: `${dir}/f0` }),
    ];
    const { memo, t } = counted();
    for (const task of tasks) expect((await runTask(task, context({ memo }))).keys).toEqual([]);
    expect(t.seen.filter((s) => s === 'stat')).toHaveLength(1);
    expect(t.seen).toHaveLength(2); // facts, then the one stat
  });

  it('a task writing one path keeps the batch for the others; any other command drops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-batch-'));
    const a = ssh.file('a', { path: `${dir}/a`, content: 'A' });
    const b = ssh.file('b', { path: `${dir}/b`, content: 'B' });
    const c = ssh.file('c', { path: `${dir}/c`, content: 'C' });
    const { memo, t } = counted();
    await runTask(a, context({ memo }));
    await runTask(b, context({ memo }));
    expect(t.seen.filter((s) => s === 'stat')).toHaveLength(1);
    await runTask(ssh.exec('touch', { argv: ['touch', `${dir}/c`] }), context({ memo }));
    const before = t.seen.length;
    expect((await runTask(c, context({ memo }))).keys).toEqual([`update file:localhost:${dir}/c`]);
    expect(t.seen.slice(before).filter((s) => s === 'stat')).toHaveLength(1);
    // Second run: everything matches, one read again.
    const fresh = counted();
    for (const task of [a, b, c]) expect((await runTask(task, context({ memo: fresh.memo }))).keys).toEqual([]);
    expect(fresh.t.seen.filter((s) => s === 'stat')).toHaveLength(1);
  });
});
