import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/runtime/events.ts';
import { FileJournal, FileLock, type Journal, LockHeldError, newHolder, recordRun, type RunRecord } from '../../../src/runtime/state/index.ts';

const noop = (): void => undefined;

describe('file run lock', () => {
  it('refuses a second holder and names the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-lock-'));
    const a = await new FileLock(dir, 'demo-local').acquire(newHolder('helix play demo'), { waitMs: 0, ttlSeconds: 60, onLost: noop });
    const err = await new FileLock(dir, 'demo-local')
      .acquire(newHolder('helix play demo (second)'), { waitMs: 0, ttlSeconds: 60, onLost: noop })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toMatch(new RegExp(`pid ${process.pid} \\(helix play demo,`));
    await a.release();
    const b = await new FileLock(dir, 'demo-local').acquire(newHolder('again'), { waitMs: 0, ttlSeconds: 60, onLost: noop });
    expect(b.takenOver).toBeUndefined();
    await b.release();
  });

  it('waits for a lock released within --wait-lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-lock-'));
    const lock = new FileLock(dir, 'demo-local');
    const a = await lock.acquire(newHolder('first'), { waitMs: 0, ttlSeconds: 60, onLost: noop });
    setTimeout(() => void a.release(), 150);
    const b = await lock.acquire(newHolder('second'), { waitMs: 3000, ttlSeconds: 60, onLost: noop });
    expect((await lock.read())?.holder.command).toBe('second');
    await b.release();
    expect(await lock.read()).toBeUndefined();
  });

  it('takes over a lock whose holder process is gone, and reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-lock-'));
    const lock = new FileLock(dir, 'demo-local');
    const dead = { ...newHolder('killed run'), pid: 2 ** 22 + 17 };
    writeFileSync(join(dir, 'demo-local.lock'), JSON.stringify({ holder: dead, renewedAt: new Date().toISOString(), ttlSeconds: 60 }));
    const got = await lock.acquire(newHolder('rerun'), { waitMs: 0, ttlSeconds: 60, onLost: noop });
    expect(got.takenOver?.holder.command).toBe('killed run');
    await got.release();
  });

  it('takes over an expired lock of another host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-lock-'));
    const other = { ...newHolder('elsewhere'), host: 'ci-runner-7' };
    const old = new Date(Date.now() - 120_000).toISOString();
    writeFileSync(join(dir, 'demo-local.lock'), JSON.stringify({ holder: other, renewedAt: old, ttlSeconds: 60 }));
    const got = await new FileLock(dir, 'demo-local').acquire(newHolder('rerun'), { waitMs: 0, ttlSeconds: 60, onLost: noop });
    expect(got.takenOver?.holder.host).toBe('ci-runner-7');
    await got.release();
  });
});

describe('file run lock takeover is atomic', () => {
  /** A lock left by a dead run on another host, expired: every taker may take it over, only one may win. */
  const stale = (dir: string): void => {
    const other = { ...newHolder('dead run'), host: 'ci-runner-7' };
    writeFileSync(join(dir, 'demo-local.lock'), JSON.stringify({ holder: other, renewedAt: new Date(Date.now() - 120_000).toISOString(), ttlSeconds: 60 }));
  };

  for (const takers of [2, 5]) {
    it(`${takers} runs racing to take over a stale lock: exactly one wins, the others are refused naming it`, async () => {
      for (let round = 0; round < 20; round++) {
        const dir = mkdtempSync(join(tmpdir(), 'helix-lock-race-'));
        stale(dir);
        const holders = Array.from({ length: takers }, (_, i) => newHolder(`taker ${i}`));
        const outcomes = await Promise.allSettled(holders.map((h) => new FileLock(dir, 'demo-local').acquire(h, { waitMs: 0, ttlSeconds: 60, onLost: noop })));
        const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        expect(won, `round ${round}`).toHaveLength(1);
        const winner = holders[won[0]!]!;
        expect((await new FileLock(dir, 'demo-local').read())?.holder.id).toBe(winner.id);
        for (const o of outcomes) {
          if (o.status === 'rejected') {
            expect(o.reason).toBeInstanceOf(LockHeldError);
            expect((o.reason as LockHeldError).info.holder.id).toBe(winner.id);
          }
        }
        const got = (outcomes[won[0]!] as PromiseFulfilledResult<Awaited<ReturnType<FileLock['acquire']>>>).value;
        expect(got.takenOver?.holder.host).toBe('ci-runner-7');
        await got.release();
        expect(readdirSync(dir), 'no lock or leftover file').toEqual([]);
      }
    });
  }
});

describe('file journal', () => {
  it('records applied changes from events and closes the record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-journal-'));
    const journal = new FileJournal(dir, 'demo', 'local');
    const holder = newHolder('helix play demo');
    const record: RunRecord = {
      id: holder.id,
      seq: 1,
      component: 'demo',
      env: 'local',
      selection: 'play',
      status: 'running',
      holder,
      startedAt: holder.startedAt,
      changes: [],
    };
    const bus = new EventBus();
    const rec = recordRun(journal, record);
    bus.on(rec.onEvent);
    bus.emit({ type: 'task.changed', path: 'demo/10/a', host: 'localhost', changes: [{ action: 'create', target: 'mem:a' }], applied: true, durationMs: 1 });
    bus.emit({ type: 'task.changed', path: 'demo/10/b', host: 'localhost', changes: [{ action: 'create', target: 'mem:b' }], applied: false, durationMs: 1 });
    bus.emit({ type: 'run.end', ok: true, recap: {}, durationMs: 3 });
    await rec.flush();
    const [saved] = await journal.list();
    expect(saved?.status).toBe('ok');
    expect(saved?.changes.map((c) => c.target)).toEqual(['mem:a']);
    const file = join(dir, 'demo-local', '000001.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(1);
  });

  it('coalesces saves while one is in flight, and the last save holds every change', async () => {
    const saved: RunRecord[] = [];
    const slow: Journal = {
      list: async () => saved,
      save: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        saved.push(structuredClone(r));
      },
    };
    const holder = newHolder('helix play demo');
    const record: RunRecord = {
      id: holder.id,
      seq: 1,
      component: 'demo',
      env: 'local',
      selection: 'play',
      status: 'running',
      holder,
      startedAt: holder.startedAt,
      changes: [],
    };
    const rec = recordRun(slow, record);
    for (let i = 0; i < 100; i++) {
      rec.onEvent({
        type: 'task.changed',
        path: `demo/10/t${i}`,
        host: 'localhost',
        changes: [{ action: 'create', target: `mem:${i}` }],
        applied: true,
        durationMs: 1,
      });
    }
    rec.onEvent({ type: 'run.end', ok: true, recap: {}, durationMs: 3 });
    await rec.flush();
    expect(saved.length).toBeLessThanOrEqual(3);
    expect(saved.at(-1)?.status).toBe('ok');
    expect(saved.at(-1)?.changes).toHaveLength(100);
  });
});
