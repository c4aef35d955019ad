import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, TargetError } from '../../runtime/errors.ts';
import { type Component, type Contribution, type Ctx, ensureProcess, processesAlive, saveCtx } from '../component.ts';
import { isOurs, run, runStatus, stopPid, tcpBanner } from '../proc.ts';
import { ensureSharedDir, ensureUser, removeUser, sharedDir, userIds } from '../users.ts';
import { GIT_HOST, NET, SSH_HOSTS_DEFAULT, SSH_HOSTS_MAX, type SshHostDef, sshHostList } from '../versions.ts';
import { linkAddrs, requireRoot } from './net.ts';

/**
 * SSH hosts: one Debian sshd per host, each in its own network namespace on the sandbox
 * bridge, with its own address, host key and login user. The `git` host serves bare
 * repositories over SSH. Namespaces share the file system, the users and the hostname.
 */
const SSHD = '/usr/sbin/sshd'; // sshd re-execs itself and insists on an absolute path

type HostDef = SshHostDef;

/**
 * The number of SSH hosts asked for by `--ssh-hosts` or `HELIX_SANDBOX_SSH_HOSTS` (`where`
 * names the source in the error). Undefined when not given.
 */
export function parseSshHostCount(raw: string | number | undefined, where: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > SSH_HOSTS_MAX)
    throw new ConfigError(`the number of SSH hosts must be a whole number from 1 to ${SSH_HOSTS_MAX}, got "${raw}"`, where);
  return n;
}

/** How many SSH hosts run (as the last `up` of the ssh component recorded them). */
function runningCount(ctx: Ctx): number {
  const n = ctx.state.facts.ssh?.count;
  return typeof n === 'number' ? n : SSH_HOSTS_DEFAULT;
}

/** The SSH hosts that run (host1 … host<count>). */
export const runningHosts = (ctx: Ctx): HostDef[] => sshHostList(runningCount(ctx));

const netnsName = (h: HostDef) => `helix-${h.name}`;
const vethHost = (h: HostDef) => `hxv-${h.name}`;
const vethPeer = (h: HostDef) => `hxp-${h.name}`;

/** Kept across `down`: host keys and the client key (so known_hosts files stay valid). */
const keysDir = (ctx: Ctx) => join(ctx.dir, 'ssh-keys');
export const clientKey = (ctx: Ctx) => join(keysDir(ctx), 'id_ed25519');
export const knownHosts = (ctx: Ctx) => join(ctx.dir, 'ssh', 'known_hosts');
const hostKey = (ctx: Ctx, h: HostDef) => join(keysDir(ctx), `${h.name}_ssh_host_ed25519_key`);
const sshdConfig = (ctx: Ctx, h: HostDef) => join(ctx.dir, 'ssh', h.name, 'sshd_config');

export const gitReposDir = (ctx: Ctx) => join(sharedDir(ctx.dir), 'git');
/** Bare repositories created on `up` (`thinkube-devpi.git`: the DevPi image source, GitHub's stand-in). */
export const GIT_REPOS = ['sandbox.git', 'playbooks.git', 'thinkube-devpi.git'] as const;
/** sshd reads authorized_keys as the target user: it lives where that user can read it. */
const authorizedKeys = (ctx: Ctx, h: HostDef) => join(sharedDir(ctx.dir), 'ssh', h.name, 'authorized_keys');
/** The git host's authorized_keys (the client key, and deploy keys registered through the GitHub stand-in). */
export const gitAuthorizedKeys = (ctx: Ctx) => authorizedKeys(ctx, GIT_HOST);

const keysInFlight = new Map<string, Promise<void>>();

/**
 * Makes a key pair once. The ssh and git components both need the client key and start at
 * the same time: one generation per file (the second caller awaits the first), written aside
 * and renamed into place, so no caller sees half a pair or races ssh-keygen's overwrite prompt.
 */
function ensureKey(file: string, comment: string): Promise<void> {
  let p = keysInFlight.get(file);
  if (!p) {
    p = makeKey(file, comment).finally(() => keysInFlight.delete(file));
    keysInFlight.set(file, p);
  }
  return p;
}

async function makeKey(file: string, comment: string): Promise<void> {
  if (existsSync(file) && existsSync(`${file}.pub`)) return;
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', tmp]);
  renameSync(`${tmp}.pub`, `${file}.pub`);
  renameSync(tmp, file);
}

/** `ssh-ed25519 AAAA…` (without the comment). */
export function publicKeyOf(file: string): string {
  const [type, key] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return `${type} ${key}`;
}

async function nsExists(ns: string): Promise<boolean> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').some((l) => l.split(' ')[0] === ns);
}

/** Network namespace with a veth into the bridge and the host's address. */
async function ensureNamespace(ctx: Ctx, component: string, h: HostDef): Promise<void> {
  const facts = (ctx.state.facts[component] ??= {});
  const created = ((facts.namespaces as string[] | undefined) ??= []);
  const ns = netnsName(h);
  if (!(await nsExists(ns))) {
    await run('ip', ['netns', 'add', ns]);
    if (!created.includes(ns)) created.push(ns);
    saveCtx(ctx);
  } else if (!created.includes(ns)) {
    throw new TargetError(`sandbox/${component}`, `network namespace ${ns} exists but helix did not create it; remove it (ip netns del ${ns})`);
  }
  const inside = await linkAddrs('eth0', ns);
  if (!inside?.addr_info?.some((a) => a.local === h.address)) {
    await runStatus('ip', ['link', 'del', vethHost(h)]);
    await run('ip', ['link', 'add', vethHost(h), 'type', 'veth', 'peer', 'name', vethPeer(h)]);
    await run('ip', ['link', 'set', vethPeer(h), 'netns', ns]);
    await run('ip', ['-n', ns, 'link', 'set', vethPeer(h), 'name', 'eth0']);
    await run('ip', ['-n', ns, 'addr', 'add', `${h.address}/${NET.prefix}`, 'dev', 'eth0']);
  }
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['link', 'set', vethHost(h), 'master', NET.bridge]);
  await run('ip', ['link', 'set', vethHost(h), 'up']);
  // Pods of the real node reach the host (git over SSH, in-cluster plays): the way back to them
  // is through the gateway. Only the pod range: still no default route.
  await run('ip', ['-n', ns, 'route', 'replace', NET.podCidr, 'via', NET.gateway, 'dev', 'eth0']);
}

async function ensureLoginUser(ctx: Ctx, component: string, h: HostDef, shell: string): Promise<{ uid: number; gid: number; home: string }> {
  const facts = (ctx.state.facts[component] ??= {});
  const users = ((facts.users as string[] | undefined) ??= []);
  const home = join(sharedDir(ctx.dir), 'home', h.user);
  if (await ensureUser(h.user, home, shell)) {
    users.push(h.user);
    saveCtx(ctx);
  }
  const ids = (await userIds(h.user))!;
  mkdirSync(home, { recursive: true, mode: 0o755 });
  chownSync(home, ids.uid, ids.gid);
  return { ...ids, home };
}

function writeSshdConfig(ctx: Ctx, h: HostDef, authorized: string): string {
  const cfg = sshdConfig(ctx, h);
  mkdirSync(join(cfg, '..'), { recursive: true, mode: 0o700 });
  const lines = [
    `# helix sandbox host ${h.name} (network namespace ${netnsName(h)})`,
    'Port 22',
    `ListenAddress ${h.address}`,
    `HostKey ${hostKey(ctx, h)}`,
    `PidFile ${join(ctx.dir, 'ssh', h.name, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorized}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin no',
    'StrictModes no',
    `AllowUsers ${h.user}`,
    'MaxStartups 100:30:200',
    'MaxSessions 64',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
  ];
  writeFileSync(cfg, `${lines.join('\n')}\n`, { mode: 0o600 });
  return cfg;
}

async function sshdHealthy(h: HostDef): Promise<boolean> {
  return (await tcpBanner(h.address, 22))?.startsWith('SSH-2.0-') ?? false;
}

/** Starts one sshd host (namespace, user, keys, config, process). */
async function startHost(ctx: Ctx, component: string, h: HostDef, shell: string): Promise<void> {
  ensureSharedDir(ctx.dir);
  await ensureNamespace(ctx, component, h);
  await ensureKey(hostKey(ctx, h), `helix-sandbox-${h.name}`);
  await ensureKey(clientKey(ctx), 'helix-sandbox-client');
  await ensureLoginUser(ctx, component, h, shell);
  const authorized = authorizedKeys(ctx, h);
  mkdirSync(join(authorized, '..'), { recursive: true, mode: 0o755 });
  // Other lines are the git host's deploy keys (components/github.ts keeps them): kept.
  const line = `${publicKeyOf(clientKey(ctx))} helix-sandbox-client`;
  if (!existsSync(authorized) || !readFileSync(authorized, 'utf8').split('\n').includes(line)) writeFileSync(authorized, `${line}\n`, { mode: 0o644 });
  chmodSync(authorized, 0o644);
  const cfg = writeSshdConfig(ctx, h, authorized);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await run(SSHD, ['-t', '-f', cfg]);
  await ensureProcess(ctx, {
    component,
    proc: h.name,
    cmd: 'ip',
    args: ['netns', 'exec', netnsName(h), SSHD, '-D', '-e', '-f', cfg],
    marker: cfg,
    healthy: () => sshdHealthy(h),
    timeoutMs: 30_000,
  });
}

/** Rewrites known_hosts with every host's key (for `ssh -o StrictHostKeyChecking=yes`). */
function writeKnownHosts(ctx: Ctx): void {
  const lines: string[] = [];
  for (const h of [...runningHosts(ctx), GIT_HOST]) {
    const key = hostKey(ctx, h);
    if (existsSync(`${key}.pub`)) lines.push(`${h.address} ${publicKeyOf(key)}`);
  }
  mkdirSync(join(knownHosts(ctx), '..'), { recursive: true, mode: 0o700 });
  writeFileSync(knownHosts(ctx), `${lines.join('\n')}\n`, { mode: 0o644 });
}

/** Stops one host and removes what it had: process, veth, namespace, config, its user and home. */
async function removeHost(ctx: Ctx, component: string, h: HostDef): Promise<void> {
  const rec = ctx.state.processes[component]?.[h.name];
  if (rec && isOurs(rec.pid, rec.marker)) await stopPid(rec.pid);
  delete ctx.state.processes[component]?.[h.name];
  const facts = ctx.state.facts[component] ?? {};
  await runStatus('ip', ['link', 'del', vethHost(h)]);
  const namespaces = (facts.namespaces as string[] | undefined) ?? [];
  if (namespaces.includes(netnsName(h))) {
    await runStatus('ip', ['netns', 'del', netnsName(h)]);
    facts.namespaces = namespaces.filter((n) => n !== netnsName(h));
  }
  rmSync(join(ctx.dir, 'ssh', h.name), { recursive: true, force: true });
  rmSync(join(sharedDir(ctx.dir), 'ssh', h.name), { recursive: true, force: true });
  const users = (facts.users as string[] | undefined) ?? [];
  if (users.includes(h.user)) {
    await removeUser(h.user);
    rmSync(join(sharedDir(ctx.dir), 'home', h.user), { recursive: true, force: true });
    facts.users = users.filter((u) => u !== h.user);
  }
  saveCtx(ctx);
}

async function cleanupHosts(ctx: Ctx, component: string, hosts: readonly HostDef[]): Promise<void> {
  const facts = ctx.state.facts[component] ?? {};
  for (const h of hosts) {
    await runStatus('ip', ['link', 'del', vethHost(h)]);
    if (((facts.namespaces as string[] | undefined) ?? []).includes(netnsName(h))) await runStatus('ip', ['netns', 'del', netnsName(h)]);
    rmSync(join(ctx.dir, 'ssh', h.name), { recursive: true, force: true });
    rmSync(join(sharedDir(ctx.dir), 'ssh', h.name), { recursive: true, force: true });
  }
  for (const u of (facts.users as string[] | undefined) ?? []) {
    await removeUser(u);
    rmSync(join(sharedDir(ctx.dir), 'home', u), { recursive: true, force: true });
  }
  delete ctx.state.facts[component];
  saveCtx(ctx);
}

function sshCommand(ctx: Ctx): string {
  return `ssh -i ${clientKey(ctx)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHosts(ctx)}`;
}

export const sshHosts: Component = {
  name: 'ssh',
  description: `sshd hosts (Debian openssh-server; ${SSH_HOSTS_DEFAULT} unless --ssh-hosts), one network namespace each`,
  deps: ['net'],
  prepare: async () => {
    if (!existsSync(SSHD)) throw new TargetError('sandbox/ssh', `${SSHD} not found: install Debian's openssh-server (scripts/setup.sh does)`);
  },
  // `--ssh-hosts N` grows or shrinks to N hosts; without it, `up` keeps the hosts that run.
  // The recorded count covers every host that may exist while this runs, so `down` finds them.
  start: async (ctx) => {
    requireRoot('ssh');
    const had = runningCount(ctx);
    const want = ctx.sshHosts ?? had;
    (ctx.state.facts.ssh ??= {}).count = Math.max(had, want);
    saveCtx(ctx);
    for (const h of sshHostList(want)) await startHost(ctx, 'ssh', h, '/bin/bash');
    for (const h of sshHostList(had).slice(want)) {
      await removeHost(ctx, 'ssh', h);
      ctx.report(`sandbox: ssh/${h.name}: removed (--ssh-hosts ${want})`);
    }
    (ctx.state.facts.ssh ??= {}).count = want;
    saveCtx(ctx);
    writeKnownHosts(ctx);
  },
  health: async (ctx) => {
    const hosts = runningHosts(ctx);
    const p = processesAlive(
      ctx,
      'ssh',
      hosts.map((h) => h.name),
    );
    if (!p.ok) return p;
    const bad = [];
    for (const h of hosts) if (!(await sshdHealthy(h))) bad.push(`${h.name} (${h.address}:22)`);
    return bad.length
      ? { ok: false, detail: `no SSH banner from ${bad.join(', ')}` }
      : { ok: true, detail: `${p.detail}; SSH banner from ${hosts.map((h) => h.address).join(', ')}` };
  },
  cleanup: async (ctx) => cleanupHosts(ctx, 'ssh', runningHosts(ctx)),
  contribute: (ctx): Contribution => {
    const running = runningHosts(ctx);
    const hosts: Contribution['hosts'] = {};
    for (const h of running) {
      hosts[h.name] = { address: h.address, port: 22, user: h.user, key: clientKey(ctx), hostKeys: [publicKeyOf(hostKey(ctx, h))] };
    }
    return {
      hosts,
      groups: { sandbox_hosts: running.map((h) => h.name), admin_workstation: [running[0]!.name] },
      vars: { ssh_key: clientKey(ctx), ssh_known_hosts: knownHosts(ctx), ssh_command: sshCommand(ctx) },
      env: { HELIX_SANDBOX_SSH_KEY: clientKey(ctx), HELIX_SANDBOX_KNOWN_HOSTS: knownHosts(ctx) },
    };
  },
};

async function ensureRepos(ctx: Ctx): Promise<void> {
  const dir = gitReposDir(ctx);
  const ids = (await userIds(GIT_HOST.user))!;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chownSync(dir, ids.uid, ids.gid);
  for (const repo of GIT_REPOS) {
    const path = join(dir, repo);
    if (!existsSync(join(path, 'HEAD'))) {
      await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', path], { uid: ids.uid, gid: ids.gid });
    }
  }
}

export const gitRemoteBase = (ctx: Ctx) => `ssh://${GIT_HOST.user}@${GIT_HOST.address}:22${gitReposDir(ctx)}`;

export const gitServer: Component = {
  name: 'git',
  description: `bare git repositories over SSH on ${GIT_HOST.address} (git-shell)`,
  deps: ['net'],
  prepare: async () => {
    if (!existsSync(SSHD)) throw new TargetError('sandbox/git', `${SSHD} not found: install Debian's openssh-server (scripts/setup.sh does)`);
    if (!existsSync('/usr/bin/git-shell')) throw new TargetError('sandbox/git', '/usr/bin/git-shell not found: install git');
  },
  start: async (ctx) => {
    requireRoot('git');
    await startHost(ctx, 'git', GIT_HOST, '/usr/bin/git-shell');
    await ensureRepos(ctx);
    writeKnownHosts(ctx);
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'git', [GIT_HOST.name]);
    if (!p.ok) return p;
    if (!(await sshdHealthy(GIT_HOST))) return { ok: false, detail: `no SSH banner from ${GIT_HOST.address}:22` };
    const missing = GIT_REPOS.filter((r) => !existsSync(join(gitReposDir(ctx), r, 'HEAD')));
    return missing.length
      ? { ok: false, detail: `missing repositories: ${missing.join(', ')}` }
      : { ok: true, detail: `${p.detail}; repos ${GIT_REPOS.join(', ')}` };
  },
  cleanup: async (ctx) => {
    await cleanupHosts(ctx, 'git', [GIT_HOST]);
    rmSync(gitReposDir(ctx), { recursive: true, force: true });
  },
  contribute: (ctx): Contribution => ({
    vars: {
      git_remote_base: gitRemoteBase(ctx),
      git_repos: GIT_REPOS.map((r) => `${gitRemoteBase(ctx)}/${r}`),
      git_repos_dir: gitReposDir(ctx),
      git_user: GIT_HOST.user,
      git_host: GIT_HOST.address,
      git_ssh_key: clientKey(ctx),
      git_known_hosts: knownHosts(ctx),
      git_host_key: publicKeyOf(hostKey(ctx, GIT_HOST)),
      git_ssh_command: sshCommand(ctx),
    },
    env: { HELIX_SANDBOX_GIT_REMOTE_BASE: gitRemoteBase(ctx), HELIX_SANDBOX_GIT_SSH_COMMAND: sshCommand(ctx) },
  }),
};
