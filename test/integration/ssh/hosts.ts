import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Helpers that play "a host went away" on a sandbox SSH host, and undo it. */

function netnsExists(ns: string): boolean {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .some((l) => l.split(' ')[0] === ns);
  } catch {
    return false;
  }
}

/** The pid of the sshd listening on address:port (inside the host's namespace when it has one). */
export function sshdPid(name: string, address: string, port: number): number {
  const ns = `helix-${name}`;
  const args = ['-ltnpH', `sport = :${port}`];
  const outputs = [
    ...(netnsExists(ns) ? [() => execFileSync('ip', ['netns', 'exec', ns, 'ss', ...args], { encoding: 'utf8' })] : []),
    () => execFileSync('ss', args, { encoding: 'utf8' }),
  ];
  for (const read of outputs) {
    const line = read()
      .split('\n')
      .find((l) => l.includes(`${address}:${port}`) && l.includes('sshd'));
    const pid = line ? /pid=(\d+)/.exec(line)?.[1] : undefined;
    if (pid) return Number(pid);
  }
  throw new Error(`no sshd listening on ${address}:${port} for ${name}`);
}

/** Every process below `pid` (the sessions an sshd listener forked). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = `/proc/${entry}/stat`;
    if (!existsSync(stat)) continue;
    let text: string;
    try {
      text = readFileSync(stat, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * Stops a host: freezes its sshd listener (SIGSTOP, so new connections get no handshake)
 * and kills the sessions it serves (so the held connection drops). Returns the undo.
 */
export function stopHost(name: string, address: string, port: number): () => void {
  const listener = sshdPid(name, address, port);
  process.kill(listener, 'SIGSTOP');
  for (const pid of descendants(listener)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return () => process.kill(listener, 'SIGCONT');
}
