/**
 * A local stand-in for the GitHub REST API, implementing only what helix calls: repository
 * lookup and deploy keys. GitHub cannot be reached from the sandbox; this is the one fake
 * server the project allows. Behaviour follows GitHub's documented responses: 404 for a repo
 * the token cannot see, 422 "key is already in use", Link-header pagination, 204 on delete.
 * Tests start it in-process; the sandbox runs it as a process (`components/github.ts`) whose
 * deploy keys open its git host's repositories.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DeployKey {
  id: number;
  key: string;
  title: string;
  read_only: boolean;
  verified: boolean;
  created_at: string;
  url: string;
  added_by: string;
  last_used: string | null;
  enabled: boolean;
}

export interface GithubRepo {
  private: boolean;
  defaultBranch: string;
  keys: DeployKey[];
}

export interface GithubApi {
  /** Base URL to give Octokit (`baseUrl`). */
  url: string;
  /** owner/repo → its deploy keys. */
  repos: Map<string, GithubRepo>;
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  /** Every `authorization` header received (to check tokens are sent, never printed). */
  authorizations: string[];
  addRepo(fullName: string, opts?: { private?: boolean; defaultBranch?: string }): void;
  close(): Promise<void>;
}

export interface GithubApiOptions {
  /** Accepted tokens; when set, any other (or none) gets 401. */
  tokens?: string[];
  /** Page size the server uses when the client does not ask (GitHub: 30). */
  pageSize?: number;
  /** Listen address. @default 127.0.0.1 and a free port */
  host?: string;
  port?: number;
  /** Called after a deploy key is added or deleted (the sandbox rewrites its git host's keys). */
  onKeysChanged?: (api: GithubApi) => void;
  /** The id of the first key added (a restarted server continues its numbering). @default 1000 */
  firstKeyId?: number;
}

/** The `type base64` part of an OpenSSH public key (GitHub ignores the comment). */
function keyBody(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function startGithubApi(opts: GithubApiOptions = {}): Promise<GithubApi> {
  let nextId = opts.firstKeyId ?? 1000;
  const state: GithubApi = {
    url: '',
    repos: new Map(),
    requests: [],
    authorizations: [],
    addRepo(fullName, o = {}) {
      state.repos.set(fullName.toLowerCase(), { private: o.private ?? true, defaultBranch: o.defaultBranch ?? 'main', keys: [] });
    },
    close: () => new Promise((r) => server.close(() => r())),
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) => send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
        } catch {
          resolve(undefined);
        }
      });
    });

  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    state.requests.push(`${req.method} ${u.pathname}`);
    const auth = req.headers.authorization;
    if (auth) state.authorizations.push(auth);
    if (opts.tokens) {
      const token = auth?.replace(/^(token|bearer)\s+/i, '');
      if (!token || !opts.tokens.includes(token)) return send(res, 401, { message: 'Bad credentials', status: '401' });
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/keys(?:\/(\d+))?)?$/.exec(u.pathname);
    if (!m) return notFound(res);
    const fullName = `${m[1]}/${m[2]}`;
    const repo = state.repos.get(fullName.toLowerCase());
    if (!repo) return notFound(res);
    const keysPath = m[3];
    const id = m[4] ? Number(m[4]) : undefined;

    if (!keysPath) {
      if (req.method !== 'GET') return send(res, 405, { message: 'Method Not Allowed' });
      return send(res, 200, {
        id: 1,
        name: m[2],
        full_name: fullName,
        private: repo.private,
        default_branch: repo.defaultBranch,
        ssh_url: `git@github.com:${fullName}.git`,
        clone_url: `https://github.com/${fullName}.git`,
      });
    }

    if (req.method === 'GET' && id === undefined) {
      const perPage = Math.min(100, Number(u.searchParams.get('per_page') ?? opts.pageSize ?? 30));
      const page = Math.max(1, Number(u.searchParams.get('page') ?? 1));
      const items = repo.keys.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < repo.keys.length) {
        const next = new URL(u.toString());
        next.searchParams.set('page', String(page + 1));
        next.searchParams.set('per_page', String(perPage));
        headers.link = `<${state.url}${next.pathname}${next.search}>; rel="next"`;
      }
      return send(res, 200, items, headers);
    }
    if (req.method === 'GET' && id !== undefined) {
      const key = repo.keys.find((k) => k.id === id);
      return key ? send(res, 200, key) : notFound(res);
    }
    if (req.method === 'POST' && id === undefined) {
      const body = (await readBody(req)) as { title?: string; key?: string; read_only?: boolean } | undefined;
      if (!body?.key || !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+/.test(body.key.trim())) {
        return send(res, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is invalid. You must supply a key in OpenSSH public key format' }],
        });
      }
      const all = [...state.repos.values()].flatMap((r) => r.keys);
      if (all.some((k) => keyBody(k.key) === keyBody(body.key!))) {
        return send(res, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is already in use' }],
        });
      }
      const key: DeployKey = {
        id: nextId++,
        key: keyBody(body.key),
        title: body.title ?? '',
        read_only: body.read_only ?? false,
        verified: true,
        created_at: new Date().toISOString(),
        url: `${state.url}/repos/${fullName}/keys/${nextId - 1}`,
        added_by: 'helix-test',
        last_used: null,
        enabled: true,
      };
      repo.keys.push(key);
      opts.onKeysChanged?.(state);
      return send(res, 201, key);
    }
    if (req.method === 'DELETE' && id !== undefined) {
      const before = repo.keys.length;
      repo.keys = repo.keys.filter((k) => k.id !== id);
      if (repo.keys.length < before) opts.onKeysChanged?.(state);
      return repo.keys.length < before ? send(res, 204) : notFound(res);
    }
    return send(res, 405, { message: 'Method Not Allowed' });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((r, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => r());
  });
  state.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return state;
}
