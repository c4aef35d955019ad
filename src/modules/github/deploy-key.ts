import { ensure, type EnsureOptions, type FieldChange, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import { type Input, isStatic, resolve, type Task, type TaskContext } from '../../runtime/task.ts';
import { baseUrlOf, githubApi, githubError, statusOf } from './client.ts';
import { readRepository, type RepositoryOptions, validateRepo } from './repository.ts';

/** A deploy key of a repository, identified by its title. */
export interface DeployKeySpec extends RepositoryOptions {
  title: string;
  /** The OpenSSH public key (`ssh-ed25519 AAAA… comment`; the comment is ignored). */
  key: string;
  /** Read-only keys can clone but not push. @default true */
  readOnly?: boolean;
}

export interface DeployKey {
  id: number;
  title: string;
  /** `type base64`, as GitHub stores it. */
  key: string;
  readOnly: boolean;
}

/** `ssh-ed25519 AAAA…` without the comment. */
export function keyBody(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(' ');
}

const where = (d: DeployKeySpec) => `${d.owner}/${d.repo}`;

/**
 * GitHub cannot change a deploy key: a different key or access level means delete and add
 * again (planned as a replacement).
 */
export const deployKeyProvider: Provider<DeployKeySpec, DeployKey> = {
  kind: 'github.deployKey',
  describe: (d) => `deploy key "${d.title}" of ${where(d)}`,
  id: (d) => `github:${baseUrlOf(d.github)}/${where(d)}/keys/${d.title}`,
  validate: (d, report) => {
    validateRepo(d, report);
    if (!d.title?.trim()) report('title is required');
    if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-\S+) [A-Za-z0-9+/]+=*( .*)?$/.test(d.key?.trim() ?? '')) {
      report('key: not an OpenSSH public key (`ssh-ed25519 AAAA…`)');
    }
    if (/PRIVATE KEY/.test(d.key ?? '')) report('key: this is a private key; give the public key');
  },
  preflight: async (ctx, d) =>
    (await readRepository(ctx, d)) ? [] : [`repository ${where(d)} does not exist on ${baseUrlOf(d.github)}, or the token cannot see it`],
  read: async (ctx, d) => {
    const api = githubApi(ctx, d.github);
    try {
      const keys = await api.paginate(api.rest.repos.listDeployKeys, { owner: d.owner, repo: d.repo, per_page: 100 });
      const found = keys.find((k) => k.title === d.title);
      return found ? { id: found.id, title: found.title, key: keyBody(found.key), readOnly: found.read_only } : undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw githubError(d.github, `list deploy keys of ${where(d)}`, error);
    }
  },
  diff: (d, live) => {
    const out: FieldChange[] = [];
    if (keyBody(d.key) !== live.key) out.push({ field: 'key', before: live.key, after: keyBody(d.key), replace: true });
    const readOnly = d.readOnly ?? true;
    if (readOnly !== live.readOnly) out.push({ field: 'readOnly', before: live.readOnly, after: readOnly, replace: true });
    return out;
  },
  create: async (ctx, d) => {
    try {
      await githubApi(ctx, d.github).rest.repos.createDeployKey({
        owner: d.owner,
        repo: d.repo,
        title: d.title,
        key: keyBody(d.key),
        read_only: d.readOnly ?? true,
      });
    } catch (error) {
      throw githubError(d.github, `add deploy key "${d.title}" to ${where(d)}`, error);
    }
  },
  update: () => Promise.reject(new Error('deploy keys are replaced, never updated')),
  delete: async (ctx, d, live) => {
    try {
      await githubApi(ctx, d.github).rest.repos.deleteDeployKey({ owner: d.owner, repo: d.repo, key_id: live.id });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw githubError(d.github, `delete deploy key ${live.id} ("${d.title}") of ${where(d)}`, error);
    }
  },
};

type DeployKeyOptions = Omit<DeployKeySpec, 'key'> & {
  /** The public key, or a function of earlier results (a key pair generated and stored by an earlier task). */
  key: Input<string>;
};

/**
 * Ensures a repository has a deploy key with this title and public key (read-only unless
 * `readOnly: false`); `state: 'absent'` deletes it by id.
 */
export function deployKey(name: string, options: DeployKeyOptions & EnsureOptions<DeployKey> & { state?: 'present' }): Task<DeployKey>;
export function deployKey(
  name: string,
  options: Omit<DeployKeyOptions, 'key'> & { key?: Input<string> } & EnsureOptions<undefined> & { state: 'absent' },
): Task<undefined>;
export function deployKey(name: string, options: Omit<DeployKeyOptions, 'key'> & { key?: Input<string> } & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions(options);
  const { key = '', ...rest } = spec;
  const desired = isStatic(key) ? ({ ...rest, key } as DeployKeySpec) : (ctx: TaskContext) => ({ ...rest, key: resolve(key, ctx) }) as DeployKeySpec;
  const provider: Provider<DeployKeySpec, DeployKey> =
    opts.state === 'absent' ? { ...deployKeyProvider, validate: (d, report) => validateRepo(d, report) } : deployKeyProvider;
  return ensure(name, provider, desired, opts);
}
