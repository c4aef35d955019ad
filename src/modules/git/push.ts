import { rmSync } from 'node:fs';
import type { Change } from '../../runtime/change.ts';
import { TaskError } from '../../runtime/errors.ts';
import { isSecret, mask, type Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import { blobId, ensureCacheRepo, fetchCommit, lockFor, lsRemote, readTree, type TreeEntry } from './cache.ts';
import { git } from './run.ts';
import { type SshAccess, withSsh } from './ssh.ts';
import { parseRemote, type Remote } from './url.ts';

export interface PushOptions {
  /** `ssh://git@host:22/srv/git/app.git`, `git@host:org/app.git`, or a local path. */
  repoUrl: Input<string>;
  /** @default 'main' */
  branch?: string;
  /** When the branch does not exist, start it from this branch (else from an empty tree). */
  from?: string;
  /** Path in the repository → content. Content must be free of secrets (checked). */
  files: Input<Readonly<Record<string, string>>>;
  /**
   * Remove files that are not in `files`: in these folders (`['k8s/']`), or anywhere with `true`.
   * @default false (files are only added and changed)
   */
  prune?: boolean | readonly string[];
  /** Commit message. */
  message: string;
  /** @default { name: 'helix', email: 'helix@localhost' } */
  author?: { name: string; email: string };
  /** Private key: a file path, or the key as a Secret. */
  sshKey?: Input<string | Secret | undefined>;
  /** Host keys to trust for the remote (only these); the user's known_hosts when absent. */
  knownHosts?: Input<readonly string[] | undefined>;
}

export interface PushResult {
  repoUrl: string;
  branch: string;
  /** The branch's commit after the run (undefined: the branch does not exist and nothing was pushed). */
  commit: string | undefined;
  /** Paths added, changed or removed by this run. */
  changed: string[];
}

interface FilePlan {
  path: string;
  action: 'create' | 'update' | 'delete';
  content?: string;
  before?: string;
}

const DIFF_LIMIT = 64 * 1024;

export function checkPath(path: string): string | undefined {
  if (!path || path.startsWith('/') || path.endsWith('/')) return `"${path}" must be a relative file path`;
  if (path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..' || seg === '.git')) return `"${path}" has an empty, ".", ".." or ".git" segment`;
  if (/[\0\n\r\\]/.test(path)) return `"${path}" contains a control character or backslash`;
  return undefined;
}

function validateFiles(files: Readonly<Record<string, string>>, report: (m: string) => void): void {
  for (const [path, content] of Object.entries(files)) {
    const bad = checkPath(path);
    if (bad) report(`files: ${bad}`);
    if (isSecret(content)) report(`files.${path}: a Secret cannot go into git`);
    else if (typeof content !== 'string') report(`files.${path}: content must be a string`);
    else if (mask(content) !== content) report(`files.${path}: contains a secret value; secrets do not belong in git`);
  }
}

function pruned(path: string, prune: PushOptions['prune']): boolean {
  if (prune === true) return true;
  if (!prune) return false;
  return prune.some((dir) => path.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
}

/**
 * Commits files to a branch of a remote repository and pushes over SSH, only when something
 * differs. The plan compares the remote branch's tree with the wanted files and names each file
 * added, changed or removed. The commit is built from git objects (no working tree); the push
 * is a fast-forward, so a branch that moved since the plan is refused, never overwritten.
 */
export function push(name: string, options: PushOptions & TaskOptions<PushResult>): Task<PushResult> {
  const [spec, common] = splitOptions(options);
  const branch = spec.branch ?? 'main';
  const author = spec.author ?? { name: 'helix', email: 'helix@localhost' };
  return defineTask<PushResult>({
    kind: 'git.push',
    name,
    options: common,
    validate: (report) => {
      if (isStatic(spec.repoUrl) && !parseRemote(spec.repoUrl)) report(`repoUrl: "${spec.repoUrl}" is not an ssh://, user@host:path or local repository URL`);
      if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes('..') || branch.startsWith('-')) report(`branch: "${branch}" is not a valid branch name`);
      if (!spec.message?.trim()) report('message is required');
      if (isStatic(spec.files)) {
        if (Object.keys(spec.files).length === 0 && !spec.prune) report('files: nothing to push');
        validateFiles(spec.files, report);
      }
      if (isStatic(spec.knownHosts) && spec.knownHosts && spec.knownHosts.length === 0) report('knownHosts: empty (no host key to trust)');
    },
    plan: async (ctx) => {
      const url = resolve(spec.repoUrl, ctx);
      const remote = parseRemote(url);
      if (!remote) throw new TaskError(ctx.path, `repoUrl: "${url}" is not a repository URL`);
      const files = resolve(spec.files, ctx);
      const problems: string[] = [];
      validateFiles(files, (m) => problems.push(m));
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      const access = accessOf(ctx, spec);
      const dir = await ensureCacheRepo(remote);
      const locked = lockFor(ctx, dir);

      const { base, onBranch, tree } = await locked(() =>
        withSsh(remote, access, ctx.path, async (env) => {
          const head = await lsRemote(remote, branch, env);
          let base = head;
          if (!head && spec.from) {
            base = await lsRemote(remote, spec.from, env);
            if (!base) throw new TaskError(ctx.path, `from: branch ${spec.from} does not exist on ${url}`);
          }
          if (!base) return { base: undefined, onBranch: false, tree: new Map<string, TreeEntry>() };
          await fetchCommit(dir, remote, head ? branch : spec.from!, base, env);
          return { base, onBranch: head !== undefined, tree: await readTree(dir, remote, base) };
        }),
      );

      const plans: FilePlan[] = [];
      for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
        const have = tree.get(path);
        if (!have) plans.push({ path, action: 'create', content });
        else if (have.object !== blobId(content) || have.mode !== '100644') plans.push({ path, action: 'update', content, before: have.object });
      }
      for (const path of [...tree.keys()].sort()) {
        if (!(path in files) && pruned(path, spec.prune)) plans.push({ path, action: 'delete', before: tree.get(path)!.object });
      }
      const result: PushResult = { repoUrl: url, branch, commit: onBranch ? base : undefined, changed: [] };
      if (plans.length === 0) {
        if (!onBranch && base) {
          // A new branch from `from` with nothing to change: still has to be created.
          return {
            changes: [{ target: branchTarget(url, branch), action: 'create', summary: `create branch ${branch} from ${spec.from}` }],
            apply: () =>
              locked(() =>
                withSsh(remote, accessOf(ctx, spec), ctx.path, (env) =>
                  pushCommit(dir, remote, branch, base, undefined, env).then((c) => ({ ...result, commit: c })),
                ),
              ),
          };
        }
        const count = Object.keys(files).length;
        return noChange(`branch ${branch} of ${url} already has the ${count} file${count === 1 ? '' : 's'}`, result);
      }

      const changes: Change[] = [];
      for (const p of plans) {
        const verb = p.action === 'create' ? 'add' : p.action === 'update' ? 'change' : 'remove';
        const change: Change = { target: `${branchTarget(url, branch)}:${p.path}`, action: p.action, summary: `${verb} ${p.path}` };
        const before = p.before ? await readBlob(dir, remote, p.before) : '';
        const after = p.content ?? '';
        if (before.length <= DIFF_LIMIT && after.length <= DIFF_LIMIT) change.diff = { before: mask(before), after: mask(after) };
        changes.push(change);
      }
      return {
        changes,
        apply: () =>
          locked(() =>
            withSsh(remote, accessOf(ctx, spec), ctx.path, async (env) => {
              const commit = await commitFiles(dir, remote, base, plans, spec.message, author);
              const pushed = await pushCommit(dir, remote, branch, commit, onBranch ? base : undefined, env);
              return { ...result, commit: pushed, changed: plans.map((p) => p.path) };
            }),
          ),
      };
    },
  });
}

export function branchTarget(url: string, branch: string): string {
  return `git:${url}#${branch}`;
}

function accessOf(ctx: TaskContext, spec: PushOptions): SshAccess {
  const sshKey = spec.sshKey === undefined ? undefined : resolve(spec.sshKey, ctx);
  const knownHosts = spec.knownHosts === undefined ? undefined : resolve(spec.knownHosts, ctx);
  return { ...(sshKey !== undefined ? { sshKey } : {}), ...(knownHosts !== undefined ? { knownHosts } : {}) };
}

async function readBlob(dir: string, remote: Remote, id: string): Promise<string> {
  return (await git(['cat-file', 'blob', id], { gitDir: dir, what: 'read a file', remote: remote.url })).stdout;
}

/** Writes the blobs, a tree (base tree + changes, via a private index) and a commit; returns its id. */
async function commitFiles(
  dir: string,
  remote: Remote,
  base: string | undefined,
  plans: readonly FilePlan[],
  message: string,
  author: { name: string; email: string },
): Promise<string> {
  const index = `${dir}/helix-index-${process.pid}-${Date.now()}`;
  const env = { GIT_INDEX_FILE: index };
  const opts = { gitDir: dir, env, remote: remote.url };
  try {
    await git(base ? ['read-tree', base] : ['read-tree', '--empty'], { ...opts, what: 'read the base tree' });
    const entries: string[] = [];
    for (const p of plans) {
      if (p.action === 'delete') {
        entries.push(`0 ${'0'.repeat(40)}\t${p.path}`);
      } else {
        const { stdout } = await git(['hash-object', '-w', '--stdin'], { ...opts, input: p.content, what: `store ${p.path}` });
        entries.push(`100644 ${stdout.trim()}\t${p.path}`);
      }
    }
    await git(['update-index', '-z', '--index-info'], { ...opts, input: entries.map((e) => `${e}\0`).join(''), what: 'stage the files' });
    const tree = (await git(['write-tree'], { ...opts, what: 'write the tree' })).stdout.trim();
    const who = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
    const { stdout } = await git(['commit-tree', tree, ...(base ? ['-p', base] : []), '-F', '-'], {
      ...opts,
      env: { ...env, ...who },
      input: message.endsWith('\n') ? message : `${message}\n`,
      what: 'commit',
    });
    return stdout.trim();
  } finally {
    rmSync(index, { force: true });
  }
}

/**
 * Pushes `commit` to the branch: a fast-forward of `expected` (the commit the plan read) or the
 * creation of a missing branch. A branch that moved meanwhile is refused.
 */
async function pushCommit(
  dir: string,
  remote: Remote,
  branch: string,
  commit: string,
  expected: string | undefined,
  env: Record<string, string>,
): Promise<string> {
  const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
  await git(['push', '--quiet', lease, remote.url, `${commit}:refs/heads/${branch}`], {
    gitDir: dir,
    env,
    what: `push to branch ${branch}`,
    remote: remote.url,
    timeoutMs: 300_000,
  });
  return commit;
}
