import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskError } from '../../runtime/errors.ts';
import { isSecret, type Secret } from '../../runtime/secret.ts';
import { knownHostsLines, type Remote } from './url.ts';

/** How git authenticates to an SSH remote and which host keys it trusts. */
export interface SshAccess {
  /** Private key: a file path, or the key itself as a Secret (written to a 0600 temp file, removed after). */
  sshKey?: string | Secret;
  /**
   * Host keys to trust (`ssh-ed25519 AAAA…` or full known_hosts lines). Only these are trusted;
   * when absent, the user's known_hosts is used. Host keys are always checked.
   */
  knownHosts?: readonly string[];
}

/** Single-quotes a value for the `sh -c` git runs GIT_SSH_COMMAND with. */
function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `fn` with the environment git needs to reach the remote over SSH with strict host key
 * checking. Temporary files (key, known_hosts) live in a 0700 directory removed afterwards.
 */
export async function withSsh<T>(remote: Remote, access: SshAccess, path: string, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  if (remote.transport !== 'ssh') return fn({});
  const dir = mkdtempSync(join(tmpdir(), 'helix-git-'));
  try {
    const args = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=20'];
    if (access.sshKey !== undefined) {
      let keyFile: string;
      if (isSecret(access.sshKey)) {
        keyFile = join(dir, 'id');
        const key = access.sshKey.reveal().replace(/\r\n/g, '\n');
        writeFileSync(keyFile, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
      } else {
        keyFile = access.sshKey;
      }
      args.push('-i', keyFile, '-o', 'IdentitiesOnly=yes');
    }
    if (access.knownHosts) {
      const lines = knownHostsLines(remote, access.knownHosts);
      if (lines.length === 0) throw new TaskError(path, 'knownHosts: no host key given (refusing to trust any key)');
      const file = join(dir, 'known_hosts');
      writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      args.push('-o', `UserKnownHostsFile=${file}`, '-o', 'GlobalKnownHostsFile=/dev/null');
    }
    return await fn({ GIT_SSH_COMMAND: args.map(shq).join(' '), GIT_SSH_VARIANT: 'ssh' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
