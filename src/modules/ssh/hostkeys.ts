import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A host key we trust: its type and wire blob, or only a `SHA256:` fingerprint. */
export interface TrustedKey {
  type?: string;
  blob?: Buffer;
  fingerprint: string;
  /** Where it came from, for messages: `inventory`, `/root/.ssh/known_hosts:3`. */
  origin: string;
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a wire blob (`ssh-ed25519`). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parses `ssh-ed25519 AAAA… [comment]` or `SHA256:…`. Returns undefined for anything else. */
export function parseKeyText(text: string, origin: string): TrustedKey | undefined {
  const t = text.trim();
  if (t.startsWith('SHA256:')) return { fingerprint: t.split(/\s+/)[0]!, origin };
  const [type, b64] = t.split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  if (blobType(blob) !== type) return undefined;
  return { type, blob, fingerprint: fingerprint(blob), origin };
}

/** Host key algorithms to ask the server for, so it offers a key of a type we know. */
export function algorithmsFor(keys: readonly TrustedKey[]): string[] | undefined {
  if (keys.some((k) => !k.type)) return undefined;
  const out = new Set<string>();
  for (const k of keys) {
    if (k.type === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => out.add(a));
    else out.add(k.type!);
  }
  return out.size ? [...out] : undefined;
}

/** The name known_hosts files use for a host: `addr`, or `[addr]:port` off port 22. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** True when a known_hosts host field (`a,b,!c,|1|salt|hash`) names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('|')) {
      if (hashedMatch(p, name)) matched = true;
    } else if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

export interface KnownHosts {
  trusted: TrustedKey[];
  revoked: TrustedKey[];
}

/** Reads the keys known_hosts files list for `address:port` (`@cert-authority` lines are ignored). */
export function readKnownHosts(files: readonly string[], address: string, port: number): KnownHosts {
  const name = knownHostsName(address, port);
  const out: KnownHosts = { trusted: [], revoked: [] };
  for (const file of files) {
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      let fields = line.split(/\s+/);
      let marker: string | undefined;
      if (fields[0]?.startsWith('@')) {
        marker = fields[0];
        fields = fields.slice(1);
      }
      const [hosts, type, b64] = fields;
      if (!hosts || !type || !b64 || marker === '@cert-authority') return;
      if (!hostFieldMatches(hosts, name)) return;
      const key = parseKeyText(`${type} ${b64}`, `${file}:${i + 1}`);
      if (!key) return;
      (marker === '@revoked' ? out.revoked : out.trusted).push(key);
    });
  }
  return out;
}

/** `HELIX_SSH_KNOWN_HOSTS` (colon-separated), else `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`. */
export function defaultKnownHostsFiles(): string[] {
  const env = process.env.HELIX_SSH_KNOWN_HOSTS;
  if (env) return env.split(':').filter(Boolean);
  return [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks the key a server offered against the keys we trust. An unknown key and a changed
 * key both fail, with a message saying which and what to do.
 */
export function verifyHostKey(offered: Buffer, trusted: readonly TrustedKey[], revoked: readonly TrustedKey[], where: string): Verdict {
  const fp = fingerprint(offered);
  const type = blobType(offered);
  if (revoked.some((k) => k.fingerprint === fp)) {
    return { ok: false, reason: `host key ${type} ${fp} is marked @revoked in ${revoked.find((k) => k.fingerprint === fp)!.origin}` };
  }
  if (trusted.length === 0) {
    return {
      ok: false,
      reason:
        `host key is unknown: the host offered ${type} ${fp}, and neither the inventory (hostKeys) nor known_hosts lists a key for ${where}. ` +
        'Check the fingerprint out of band, then add the key to hostKeys in the inventory',
    };
  }
  if (trusted.some((k) => k.fingerprint === fp)) return { ok: true };
  const expected = trusted.map((k) => `${k.type ?? ''} ${k.fingerprint} (${k.origin})`.trim()).join(', ');
  return {
    ok: false,
    reason:
      `host key CHANGED: the host offered ${type} ${fp}, but ${where} is expected to have ${expected}. ` +
      'Someone may be intercepting the traffic, or the host was reinstalled: verify it before updating hostKeys',
  };
}
