/** Where a git remote lives: enough to write its known_hosts line and name it in messages. */
export interface Remote {
  url: string;
  /** `ssh` (ssh:// or scp-like `user@host:path`) or `local` (a path or file://, for tests and mirrors). */
  transport: 'ssh' | 'local';
  host?: string;
  port?: number;
}

/** Parses `ssh://user@host:port/path`, `user@host:path` or a local path / file:// URL. */
export function parseRemote(url: string): Remote | undefined {
  if (url.startsWith('ssh://')) {
    try {
      const u = new URL(url);
      if (!u.hostname || !u.pathname || u.pathname === '/') return undefined;
      return { url, transport: 'ssh', host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 22 };
    } catch {
      return undefined;
    }
  }
  const scp = /^(?:[A-Za-z0-9._-]+@)?(\[[^\]]+\]|[A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(url);
  if (scp) return { url, transport: 'ssh', host: scp[1]!.replace(/^\[|\]$/g, ''), port: 22 };
  if (url.startsWith('file://') || url.startsWith('/')) return { url, transport: 'local' };
  return undefined;
}

const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/;

/**
 * known_hosts lines for a remote. A bare key (`ssh-ed25519 AAAA…`, as inventories list host
 * keys) gets the remote's host pattern (`[host]:port` when the port is not 22); a full
 * known_hosts line is kept as it is.
 */
export function knownHostsLines(remote: Remote, keys: readonly string[]): string[] {
  const pattern = remote.port && remote.port !== 22 ? `[${remote.host}]:${remote.port}` : `${remote.host}`;
  return keys
    .flatMap((k) => k.split(/\r?\n/))
    .map((k) => k.trim())
    .filter((k) => k && !k.startsWith('#'))
    .map((k) => (KEY_TYPE.test(k) ? `${pattern} ${k}` : k));
}
