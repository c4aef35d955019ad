import { readFileSync } from 'node:fs';
import { Client, type ConnectConfig } from 'ssh2';
import { TargetError } from '../../runtime/errors.ts';
import type { ConnectionOptions } from './connection.ts';
import { algorithmsFor, defaultKnownHostsFiles, parseKeyText, readKnownHosts, verifyHostKey } from './hostkeys.ts';

/** A TargetError the engine reports as `host.unreachable` (its message says "unreachable"). */
export function unreachableError(label: string, detail: string, cause?: unknown): TargetError {
  return new TargetError(label, `unreachable: ${detail}`, cause === undefined ? undefined : { cause });
}

/**
 * Opens and authenticates one SSH connection: host key checked against the inventory's
 * hostKeys (or known_hosts when it lists none) unless explicitly skipped, key file and
 * agent authentication, one deadline for TCP connect, handshake and authentication.
 * `onLost` is called once the ready connection errors or closes.
 */
export function openClient(o: ConnectionOptions, label: string, onLost: (client: Client, error: TargetError) => void): Promise<Client> {
  const { spec, name } = o;
  const timeout = o.connectTimeoutMs ?? 10_000;
  const unreachable = (detail: string, cause?: unknown): TargetError => unreachableError(label, detail, cause);
  const where = `${name} (${spec.address}:${spec.port})`;
  const inventoryKeys = spec.hostKeys.map((k, i) => parseKeyText(k, `inventory hosts.${name}.hostKeys[${i}]`));
  if (inventoryKeys.some((k) => k === undefined)) {
    return Promise.reject(new TargetError(label, 'hostKeys holds an entry that is neither "<type> <base64>" nor "SHA256:<fingerprint>"'));
  }
  const known = spec.hostKeys.length
    ? { trusted: inventoryKeys as NonNullable<(typeof inventoryKeys)[number]>[], revoked: [] }
    : readKnownHosts(o.knownHostsFiles ?? defaultKnownHostsFiles(), spec.address, spec.port);

  let privateKey: Buffer | undefined;
  if (spec.key) {
    try {
      privateKey = readFileSync(spec.key);
    } catch (error) {
      return Promise.reject(new TargetError(label, `cannot read the private key ${spec.key}: ${(error as NodeJS.ErrnoException).code ?? error}`));
    }
  }
  const agent = process.env.SSH_AUTH_SOCK;
  if (!privateKey && !agent) {
    return Promise.reject(new TargetError(label, 'no private key (hosts.*.key) and no SSH agent (SSH_AUTH_SOCK) to authenticate with'));
  }

  let refusal: string | undefined;
  const config: ConnectConfig = {
    host: spec.address,
    port: spec.port,
    username: spec.user,
    readyTimeout: timeout,
    keepaliveInterval: o.keepaliveMs ?? 5000,
    keepaliveCountMax: 3,
    ...(privateKey ? { privateKey } : {}),
    ...(agent ? { agent } : {}),
  };
  if (spec.insecureSkipHostKeyCheck) {
    o.log?.(`host key checking is OFF for ${name} (insecureSkipHostKeyCheck): the connection may be intercepted`, 'warn');
  } else {
    const algorithms = algorithmsFor(known.trusted);
    if (algorithms) config.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    config.hostVerifier = (key: Buffer): boolean => {
      const verdict = verifyHostKey(key, known.trusted, known.revoked, where);
      if (!verdict.ok) refusal = verdict.reason;
      return verdict.ok;
    };
  }

  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let ready = false;
    // ssh2's readyTimeout starts after the TCP connect; this one covers all of it.
    const timer = setTimeout(() => {
      client.destroy();
      fail(unreachable(`no SSH session within ${timeout} ms`));
    }, timeout + 50);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      if (!ready) reject(error);
    };
    client.on('ready', () => {
      clearTimeout(timer);
      ready = true;
      resolve(client);
    });
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (refusal) return fail(new TargetError(label, refusal));
      if (!ready) {
        if (error.level === 'client-authentication') {
          const tried = [privateKey ? `key ${spec.key}` : '', agent ? 'the SSH agent' : ''].filter(Boolean).join(' and ');
          return fail(unreachable(`authentication as ${spec.user} failed (tried ${tried})`, error));
        }
        if (/handshake/i.test(error.message)) return fail(unreachable(`no SSH handshake within ${timeout} ms`, error));
        return fail(unreachable(error.code ? `${error.code} ${error.message}` : error.message, error));
      }
      onLost(client, unreachable(`connection lost (${error.message})`, error));
    });
    client.on('close', () => {
      fail(refusal ? new TargetError(label, refusal) : unreachable('the connection closed during the handshake'));
      if (ready) onLost(client, unreachable('connection lost'));
    });
    client.connect(config);
  });
}
