import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../runtime/paths.ts';
import type { TaskContext } from '../../runtime/task.ts';
import { git } from './run.ts';
import type { Remote } from './url.ts';

/** A bare repository under helix's cache that mirrors the branches a run reads from one remote. */
export function cacheRepo(remote: Remote): string {
  return join(cacheDir(), 'git', `${createHash('sha256').update(remote.url).digest('hex').slice(0, 20)}.git`);
}

export async function ensureCacheRepo(remote: Remote): Promise<string> {
  const dir = cacheRepo(remote);
  if (!existsSync(join(dir, 'HEAD'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await git(['init', '--quiet', '--bare', dir], { what: 'create the cache repository', remote: remote.url });
  }
  return dir;
}

/** Serializes work on one cache repository within a run (tasks on several hosts run in parallel). */
export function lockFor(ctx: TaskContext, dir: string): <T>(fn: () => Promise<T>) => Promise<T> {
  const state = ctx.memo(`git-lock:${dir}`, () => ({ tail: Promise.resolve() as Promise<unknown> }));
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = state.tail.then(fn, fn);
    state.tail = next.catch(() => undefined);
    return next;
  };
}

/** The commit a remote branch points at, or undefined when the branch does not exist. */
export async function lsRemote(remote: Remote, branch: string, env: Record<string, string>): Promise<string | undefined> {
  const { stdout } = await git(['ls-remote', '--heads', remote.url, `refs/heads/${branch}`], {
    env,
    what: `read branch ${branch}`,
    remote: remote.url,
  });
  const line = stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line?.split('\t')[0];
}

/** Makes sure `commit` of the remote's `branch` is in the cache repository. */
export async function fetchCommit(dir: string, remote: Remote, branch: string, commit: string, env: Record<string, string>): Promise<void> {
  const have = await git(['cat-file', '-e', `${commit}^{commit}`], { gitDir: dir, what: 'look up a commit', remote: remote.url }).then(
    () => true,
    () => false,
  );
  if (have) return;
  await git(['fetch', '--quiet', '--no-tags', remote.url, `+refs/heads/${branch}:refs/helix/${branch}`], {
    gitDir: dir,
    env,
    what: `fetch branch ${branch}`,
    remote: remote.url,
    timeoutMs: 300_000,
  });
}

export interface TreeEntry {
  mode: string;
  type: string;
  object: string;
}

/** Every file of a commit's tree: path → mode and blob id. */
export async function readTree(dir: string, remote: Remote, commit: string): Promise<Map<string, TreeEntry>> {
  const { stdout } = await git(['ls-tree', '-r', '-z', '--full-tree', commit], { gitDir: dir, what: 'read the tree', remote: remote.url });
  const out = new Map<string, TreeEntry>();
  for (const rec of stdout.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, object] = rec.slice(0, tab).split(' ') as [string, string, string];
    out.set(rec.slice(tab + 1), { mode, type, object });
  }
  return out;
}

/** The blob id git gives `content` (SHA-1 object format), computed without running git. */
export function blobId(content: string): string {
  const body = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
}
