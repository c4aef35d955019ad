import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DeployKey, type GithubApi, startGithubApi } from '../github-api.ts';
import { type Component, type Contribution, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { ensureSecret, readSecret } from '../state.ts';
import { PORTS } from '../versions.ts';
import { clientKey, gitAuthorizedKeys, gitReposDir, publicKeyOf } from './ssh.ts';

/**
 * The GitHub API stand-in (GitHub cannot be reached from here): repository lookup and deploy
 * keys for the repositories of the sandbox's git host, on http://127.0.0.1:18089 with a
 * generated token. A deploy key registered through it opens its repository on the git host:
 * read-only keys can only fetch that one repository (a forced `git-upload-pack`), so a
 * build pod clones with the key helix registered, as it would from GitHub.
 */
export const GITHUB_URL = `http://127.0.0.1:${PORTS.github}`;
/** GitHub repository → bare repository on the git host. */
export const GITHUB_REPOS: Readonly<Record<string, string>> = { 'thinkube/thinkube-devpi': 'thinkube-devpi.git' };

const dir = (ctx: Ctx) => join(ctx.dir, 'github');
const configFile = (ctx: Ctx) => join(dir(ctx), 'config.json');
export const githubTokenFile = () => ensureSecret('github-token', () => `ghp_${randomToken()}`);

function randomToken(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(27)), (b) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[b % 62]).join('');
}

interface Config {
  port: number;
  tokenFile: string;
  /** owner/repo → bare repository path. */
  repos: Record<string, string>;
  /** Where registered keys are kept across restarts. */
  stateFile: string;
  /** The git host's authorized_keys, and the key lines always in it. */
  authorizedKeys: string;
  baseKeys: string[];
}

/** The authorized_keys line of a deploy key: read-only keys fetch their repository only. */
export function deployKeyLine(key: Pick<DeployKey, 'id' | 'key' | 'read_only'>, repoPath: string): string {
  const options = key.read_only ? `restrict,command="git-upload-pack '${repoPath}'"` : 'restrict';
  return `${options} ${key.key} github-deploy-key-${key.id}`;
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

/** `helix sandbox serve-github <config>`: the process the component runs. */
export async function serveGithub(config: string): Promise<GithubApi> {
  const c = JSON.parse(readFileSync(config, 'utf8')) as Config;
  const saved = existsSync(c.stateFile) ? (JSON.parse(readFileSync(c.stateFile, 'utf8')) as Record<string, DeployKey[]>) : {};
  const sync = (api: GithubApi): void => {
    const keys: Record<string, DeployKey[]> = {};
    const lines = [...c.baseKeys];
    for (const [name, repo] of api.repos) {
      keys[name] = repo.keys;
      for (const k of repo.keys) lines.push(deployKeyLine(k, c.repos[name]!));
    }
    writeAtomic(c.stateFile, `${JSON.stringify(keys, null, 2)}\n`, 0o600);
    writeAtomic(c.authorizedKeys, `${lines.join('\n')}\n`, 0o644);
  };
  const api = await startGithubApi({
    port: c.port,
    tokens: [readFileSync(c.tokenFile, 'utf8').trim()],
    onKeysChanged: sync,
    firstKeyId:
      Math.max(
        999,
        ...Object.values(saved)
          .flat()
          .map((k) => k.id),
      ) + 1,
  });
  for (const name of Object.keys(c.repos)) {
    api.addRepo(name, { private: true });
    api.repos.get(name.toLowerCase())!.keys.push(...(saved[name.toLowerCase()] ?? []));
  }
  sync(api);
  return api;
}

async function healthy(): Promise<boolean> {
  try {
    const name = Object.keys(GITHUB_REPOS)[0]!;
    const res = await fetch(`${GITHUB_URL}/repos/${name}`, {
      headers: { authorization: `token ${readSecret(githubTokenFile())}` },
      signal: AbortSignal.timeout(2000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

const helixBin = () => fileURLToPath(new URL('../../../bin/helix.js', import.meta.url));

export const github: Component = {
  name: 'github',
  description: `GitHub API stand-in (repositories and deploy keys of the git host) on ${GITHUB_URL}`,
  deps: ['git'],
  prepare: async () => undefined,
  start: async (ctx) => {
    mkdirSync(dir(ctx), { recursive: true, mode: 0o700 });
    const repos = Object.fromEntries(Object.entries(GITHUB_REPOS).map(([name, repo]) => [name.toLowerCase(), join(gitReposDir(ctx), repo)]));
    const config: Config = {
      port: PORTS.github,
      tokenFile: githubTokenFile(),
      repos,
      stateFile: join(dir(ctx), 'deploy-keys.json'),
      authorizedKeys: gitAuthorizedKeys(ctx),
      baseKeys: [`${publicKeyOf(clientKey(ctx))} helix-sandbox-client`],
    };
    const text = `${JSON.stringify(config, null, 2)}\n`;
    const changed = !existsSync(configFile(ctx)) || readFileSync(configFile(ctx), 'utf8') !== text;
    if (changed) writeAtomic(configFile(ctx), text, 0o600);
    await ensureProcess(ctx, {
      component: 'github',
      proc: 'api',
      cmd: process.execPath,
      args: [helixBin(), 'sandbox', 'serve-github', configFile(ctx)],
      marker: configFile(ctx),
      changed,
      healthy,
      timeoutMs: 60_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'github', ['api']);
    if (!p.ok) return p;
    return (await healthy()) ? { ok: true, detail: `${p.detail}; ${GITHUB_URL} answers` } : { ok: false, detail: `${GITHUB_URL} does not answer` };
  },
  // Registered keys go with the git host's repositories (down removes both).
  cleanup: async (ctx) => rmSync(dir(ctx), { recursive: true, force: true }),
  contribute: (): Contribution => ({
    vars: { github_api_url: GITHUB_URL, github_token: { secret: { file: githubTokenFile() } } },
    env: { HELIX_SANDBOX_GITHUB_URL: GITHUB_URL, HELIX_SANDBOX_GITHUB_TOKEN_FILE: githubTokenFile() },
  }),
};
