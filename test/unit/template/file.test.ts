import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import { FILES_KEY, type FileStore, file, type LiveFile } from '../../../src/modules/template/index.ts';
import { runTask, validate } from '../../fixtures/task-harness.ts';

/** An in-memory file system at the seam of template.file. */
function fakeFiles(initial: Record<string, { text: string; mode: number }> = {}) {
  const files = new Map<string, LiveFile>(Object.entries(initial).map(([p, f]) => [p, { content: Buffer.from(f.text), mode: f.mode }]));
  const writes: string[] = [];
  const store: FileStore = {
    read: async (path) => files.get(path),
    write: async (path, content, mode) => {
      writes.push(path);
      files.set(path, { content, mode });
    },
  };
  return { files, writes, memo: { [FILES_KEY]: store } };
}

const dest = '/etc/app/app.conf';
const text = 'host={{host}}\nport={{port}}\n';
const vars = { host: 'db', port: 5432 };
const rendered = 'host=db\nport=5432\n';

describe('template.file plans by content hash and mode', () => {
  const rows: {
    name: string;
    live?: { text: string; mode: number };
    mode?: number;
    expect: { outcome: 'ok' | 'changed'; action?: string; summary?: RegExp; diff?: boolean };
  }[] = [
    { name: 'absent file: create', expect: { outcome: 'changed', action: 'create', summary: /^18 bytes, mode 0644$/, diff: true } },
    {
      name: 'different content: update with a diff',
      live: { text: 'host=old\n', mode: 0o644 },
      expect: { outcome: 'changed', action: 'update', summary: /^content changed$/, diff: true },
    },
    {
      name: 'same content, other mode asked: mode only',
      live: { text: rendered, mode: 0o644 },
      mode: 0o640,
      expect: { outcome: 'changed', action: 'update', summary: /^mode 0644 -> 0640$/, diff: false },
    },
    { name: 'same content, no mode asked: existing mode kept', live: { text: rendered, mode: 0o600 }, expect: { outcome: 'ok' } },
    { name: 'second run plans nothing', live: { text: rendered, mode: 0o644 }, mode: 0o644, expect: { outcome: 'ok' } },
  ];

  it.each(rows)('$name', async ({ live, mode, expect: want }) => {
    const fs = fakeFiles(live ? { [dest]: live } : {});
    const task = file('conf', { text, dest, vars, ...(mode !== undefined ? { mode } : {}) });
    const check = await runTask(task, { mode: 'check', memo: fs.memo });
    expect(check.outcome).toBe(want.outcome);
    expect(fs.writes).toEqual([]);
    if (want.outcome === 'ok') {
      expect(check.reason).toMatch(/^\/etc\/app\/app\.conf already matches \(sha256 [0-9a-f]{12}\)$/);
      return;
    }
    expect(check.changes).toHaveLength(1);
    const change = check.changes[0]!;
    expect(change.target).toBe(`file:localhost:${dest}`);
    expect(change.action).toBe(want.action);
    expect(change.summary).toMatch(want.summary!);
    expect(change.diff !== undefined).toBe(want.diff);
    if (want.diff) expect(change.diff?.after).toBe(rendered);

    const real = await runTask(task, { memo: fs.memo });
    expect(real.changes).toEqual(check.changes);
    expect(fs.files.get(dest)?.content.toString()).toBe(rendered);
    const again = await runTask(task, { memo: fs.memo });
    expect(again.outcome).toBe('ok');
  });

  it('gives its result to later tasks, and predicts it in a check run', async () => {
    const fs = fakeFiles();
    const task = file('conf', { text, dest, vars });
    const check = await runTask(task, { mode: 'check', memo: fs.memo });
    expect(check.result).toEqual({ dest, mode: 0o644, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const real = await runTask(task, { memo: fs.memo });
    expect(real.result).toEqual(check.result);
  });

  it('renders vars computed from earlier results at plan time, and fails on an undefined one', async () => {
    const fs = fakeFiles();
    const ok = await runTask(file('conf', { text, dest, vars: () => vars }), { memo: fs.memo });
    expect(ok.outcome).toBe('changed');
    const bad = await runTask(file('conf', { text, dest, vars: () => ({ host: 'db' }) }), { memo: fakeFiles().memo });
    expect(bad.outcome).toBe('failed');
    expect(bad.error).toMatch(/template "conf \(inline\)": undefined variable "port"/);
  });
});

describe('template.file with secrets', () => {
  const password = new Secret('s3cret-file-value');

  it('writes with mode 0600 and never shows the content', async () => {
    const fs = fakeFiles({ [dest]: { text: 'password=old\n', mode: 0o644 } });
    const task = file('conf', { text: 'password={{pw}}\n', dest, vars: { pw: password }, secretsAllowed: true });
    const real = await runTask(task, { memo: fs.memo });
    expect(real.changes).toEqual([
      { target: `file:localhost:${dest}`, action: 'update', summary: 'content changed (the file holds secrets; not shown), mode 0644 -> 0600' },
    ]);
    expect(JSON.stringify(real.events)).not.toContain('s3cret-file-value');
    expect(fs.files.get(dest)).toEqual({ content: Buffer.from('password=s3cret-file-value\n'), mode: 0o600 });
    const again = await runTask(task, { memo: fs.memo });
    expect(again.outcome).toBe('ok');
  });

  it('a new file holding secrets has no diff', async () => {
    const fs = fakeFiles();
    const task = file('conf', { text: 'password={{pw}}\n', dest, vars: { pw: password }, secretsAllowed: true });
    const check = await runTask(task, { mode: 'check', memo: fs.memo });
    expect(check.changes).toEqual([{ target: `file:localhost:${dest}`, action: 'create', summary: '27 bytes, mode 0600, holds secrets' }]);
  });

  it('refuses secrets from computed vars without secretsAllowed', async () => {
    const run = await runTask(file('conf', { text: '{{pw}}', dest, vars: () => ({ pw: password }) }), { memo: fakeFiles().memo });
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatch(/secretsAllowed: true/);
  });
});

describe('template.file validation', () => {
  const secret = new Secret('validation-secret');
  const rows: { name: string; options: Parameters<typeof file>[1]; problems: RegExp[] }[] = [
    { name: 'valid', options: { text, dest, vars }, problems: [] },
    {
      name: 'undefined variable, with template and variable',
      options: { text, dest, vars: { host: 'x' } },
      problems: [/^template "conf \(inline\)": undefined variable "port" \(line 2, column 8\)$/],
    },
    { name: 'unknown helper with computed vars', options: { text: '{{shout x}}', dest, vars: () => ({ x: 1 }) }, problems: [/unknown helper "shout"/] },
    { name: 'relative dest', options: { text, dest: 'app.conf', vars }, problems: [/dest "app.conf" is relative/] },
    { name: 'neither src nor text', options: { dest } as never, problems: [/exactly one of src .* or text/] },
    { name: 'bad mode', options: { text, dest, vars, mode: 0o10000 }, problems: [/mode must be permission bits/] },
    {
      name: 'secret without secretsAllowed',
      options: { text: '{{pw}}', dest, vars: { pw: secret } },
      problems: [/vars hold a Secret: rendering it into a file needs secretsAllowed: true/],
    },
    {
      name: 'world-readable file holding secrets',
      options: { text: '{{pw}}', dest, vars: { pw: secret }, secretsAllowed: true, mode: 0o644 },
      problems: [/mode 0644 lets everyone read a file holding secrets/],
    },
    { name: 'relative src', options: { src: 'x.hbs', dest, vars }, problems: [/src is relative/] },
  ];

  it.each(rows)('$name', ({ options, problems }) => {
    const found = validate(file('conf', options));
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(found[i]).toMatch(p));
  });
});
