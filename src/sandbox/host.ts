import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { run, runStatus } from './proc.ts';

/**
 * What the real node changes on the host, each change recorded so `down` can undo exactly it:
 * kernel settings, an iptables chain, lines in /etc/hosts and mounts under the node's folders.
 */

/** Sets a sysctl and returns its previous value (undefined when it was already `value`). */
export function setSysctl(key: string, value: string): string | undefined {
  const file = `/proc/sys/${key.replaceAll('.', '/')}`;
  const before = readFileSync(file, 'utf8').trim();
  if (before === value) return undefined;
  writeFileSync(file, `${value}\n`);
  return before;
}

export function restoreSysctls(saved: Record<string, string>): void {
  for (const [key, value] of Object.entries(saved)) {
    try {
      writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, `${value}\n`);
    } catch {
      /* the setting is gone with its module: nothing to restore */
    }
  }
}

/**
 * The host's /etc/hosts block of the sandbox, between two marker lines. `lines` replace the
 * block (empty: the block is removed). Returns true when the file changed.
 */
export function writeHostsBlock(lines: readonly string[], file = '/etc/hosts'): boolean {
  const begin = '# helix-sandbox begin (helix sandbox up; removed by down)';
  const end = '# helix-sandbox end';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = text.replace(new RegExp(`\\n?${escapeRegExp(begin)}[\\s\\S]*?${escapeRegExp(end)}\\n?`, 'g'), '\n').replace(/\n+$/, '\n');
  const next = lines.length ? `${kept.replace(/\n*$/, '\n')}${begin}\n${lines.join('\n')}\n${end}\n` : kept;
  if (next === text) return false;
  writeFileSync(file, next);
  return true;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Mount points under any of `roots`, deepest first (the order to unmount them). */
export function mountsUnder(roots: readonly string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => roots.some((r) => p === r || p.startsWith(`${r}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `roots` (lazily when busy); returns what was unmounted. */
export async function unmountUnder(roots: readonly string[]): Promise<string[]> {
  const done: string[] = [];
  for (const p of mountsUnder(roots)) {
    if ((await runStatus('umount', [p])) !== 0) await runStatus('umount', ['-l', p]);
    done.push(p);
  }
  return done;
}

/** An iptables chain of the sandbox, jumped to from the top of a built-in chain. */
export interface Chain {
  table: 'filter' | 'nat';
  chain: string;
  from: string;
  rules: string[][];
}

/** Creates (or refills) the chain and makes sure exactly one jump to it sits in `from`. */
export async function ensureChain(c: Chain): Promise<void> {
  const t = ['-w', '-t', c.table];
  if ((await runStatus('iptables', [...t, '-L', c.chain, '-n'])) !== 0) await run('iptables', [...t, '-N', c.chain]);
  await run('iptables', [...t, '-F', c.chain]);
  for (const r of c.rules) await run('iptables', [...t, '-A', c.chain, ...r]);
  const jump = [c.from, '-m', 'comment', '--comment', 'helix-sandbox', '-j', c.chain];
  if ((await runStatus('iptables', [...t, '-C', ...jump])) !== 0) await run('iptables', [...t, '-I', ...jump]);
}

/** Removes the jump(s) to the chain and the chain itself; true when anything was there. */
export async function removeChain(c: Pick<Chain, 'table' | 'chain' | 'from'>): Promise<boolean> {
  const t = ['-w', '-t', c.table];
  let found = false;
  const jump = [c.from, '-m', 'comment', '--comment', 'helix-sandbox', '-j', c.chain];
  while ((await runStatus('iptables', [...t, '-D', ...jump])) === 0) found = true;
  if ((await runStatus('iptables', [...t, '-L', c.chain, '-n'])) === 0) {
    await runStatus('iptables', [...t, '-F', c.chain]);
    await runStatus('iptables', [...t, '-X', c.chain]);
    found = true;
  }
  return found;
}

/** Every iptables rule (all tables) as `iptables-save` prints it, for `down`'s check. */
export async function iptablesRules(): Promise<string> {
  const v4 = (await run('iptables-save', [])).stdout;
  const v6 = (await run('ip6tables-save', []).catch(() => ({ stdout: '' }))).stdout;
  return `${v4}\n${v6}`;
}

/**
 * What a sandbox left on this machine, each line a trace: processes still running from its
 * folders, mounts under them, network namespaces and links it names, iptables rules of its
 * own or of kube-proxy, and its /etc/hosts block. `down` must leave this empty.
 */
export async function leftovers(roots: readonly string[], markers: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    if (cmd && markers.some((m) => cmd.includes(m))) out.push(`process ${e}: ${cmd.slice(0, 160)}`);
  }
  for (const m of mountsUnder(roots)) out.push(`mount ${m}`);
  const netns = (await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }))).stdout;
  for (const l of netns.split('\n')) {
    const name = l.split(' ')[0];
    if (name && (name.startsWith('helix-') || name.startsWith('cni-'))) out.push(`network namespace ${name}`);
  }
  const links = (await run('ip', ['-o', 'link', 'show']).catch(() => ({ stdout: '' }))).stdout;
  for (const l of links.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(l)?.[1];
    if (name && /^(hxbr0|hxcni0|hxv-|veth)/.test(name)) out.push(`network link ${name}`);
  }
  const rules = await iptablesRules().catch(() => '');
  for (const l of rules.split('\n')) if (/HELIX-SANDBOX|KUBE-|helix-sandbox/.test(l) && !l.startsWith('#')) out.push(`iptables ${l}`);
  if (existsSync('/etc/hosts') && readFileSync('/etc/hosts', 'utf8').includes('# helix-sandbox begin')) out.push('/etc/hosts block of the sandbox');
  for (const r of roots) if (existsSync(r)) out.push(`folder ${r}`);
  return out;
}

/**
 * Writes a file only when its content differs. Daemons that watch their configuration
 * (kube-proxy exits when its file is written, even with the same bytes) then see no change
 * on a repeated `up`.
 */
export function writeIfChanged(file: string, content: string): boolean {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  writeFileSync(file, content);
  return true;
}

/**
 * Removes every chain whose name starts with `prefix` and every rule that jumps to one, in all
 * tables of `iptables` or `ip6tables`: what the kubelet leaves (KUBE-FIREWALL, its canaries),
 * which `kube-proxy --cleanup` does not touch.
 */
export async function removeChainsByPrefix(prefix: string, bin: 'iptables' | 'ip6tables' = 'iptables'): Promise<number> {
  const save = (await run(`${bin}-save`, []).catch(() => ({ stdout: '' }))).stdout;
  const steps = chainRemoval(save, prefix);
  for (const args of steps) await runStatus(bin, ['-w', ...args]);
  return steps.length;
}

/**
 * The iptables arguments that remove, from an `iptables-save` dump, every rule of a built-in
 * or foreign chain that jumps to a chain named `prefix…`, then flush and delete those chains.
 */
export function chainRemoval(save: string, prefix: string): string[][] {
  let table = '';
  const jumps: string[][] = [];
  const chains: [string, string][] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':') && line.slice(1).startsWith(prefix)) chains.push([table, line.slice(1).split(' ')[0]!]);
    else if (line.startsWith('-A ')) {
      const rule = splitRule(line.slice(3));
      const target = rule[rule.indexOf('-j') + 1];
      if (rule.includes('-j') && target?.startsWith(prefix) && !rule[0]!.startsWith(prefix)) jumps.push(['-t', table, '-D', ...rule]);
    }
  }
  return [...jumps, ...chains.map(([t, c]) => ['-t', t, '-F', c]), ...chains.map(([t, c]) => ['-t', t, '-X', c])];
}

/** Splits an iptables-save rule into arguments (double-quoted words kept whole). */
export function splitRule(rule: string): string[] {
  const out: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]!);
  return out;
}
