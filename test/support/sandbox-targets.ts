/**
 * Typed connection settings for the keycloak and git modules, read from the sandbox inventory
 * (so DevPi tests and module tests configure tasks the same way). Secrets are read from the
 * 0600 files the inventory refers to and wrapped in `Secret`s.
 */
import { readFileSync } from 'node:fs';
import type { KeycloakAdmin } from '../../src/modules/keycloak/session.ts';
import { Secret } from '../../src/runtime/secret.ts';
import { readSandboxInventory } from './sandbox.ts';

function vars(): Record<string, unknown> {
  const inv = readSandboxInventory();
  if (!inv) throw new Error('no sandbox inventory: run `helix sandbox up` first');
  return (inv.raw.vars ?? {}) as Record<string, unknown>;
}

function str(v: Record<string, unknown>, name: string): string {
  const value = v[name];
  if (typeof value !== 'string') throw new Error(`sandbox inventory: vars.${name} is missing (is that component up?)`);
  return value;
}

function secretVar(v: Record<string, unknown>, name: string): Secret {
  const file = (v[name] as { secret?: { file?: string } } | undefined)?.secret?.file;
  if (!file) throw new Error(`sandbox inventory: vars.${name} is not a secret file reference`);
  return new Secret(readFileSync(file, 'utf8').replace(/\r?\n$/, ''), `sandbox ${name}`);
}

/** The sandbox Keycloak's admin login (master realm, admin-cli). */
export function sandboxKeycloakAdmin(): KeycloakAdmin {
  const v = vars();
  return { url: str(v, 'keycloak_url'), username: str(v, 'keycloak_admin_user'), password: secretVar(v, 'keycloak_admin_password') };
}

export interface SandboxGit {
  /** `ssh://git@10.213.7.20:22/srv/helix-sandbox/git/<name>` of one of the bare repositories. */
  repoUrl(name?: string): string;
  /** Path of the client private key. */
  sshKeyPath: string;
  /** The same key as a Secret (to test keys handed over in memory). */
  sshKey(): Secret;
  /** The git host's key, to trust only it. */
  knownHosts: string[];
  /** A shell-free `GIT_SSH_COMMAND` for checking the remote independently of helix. */
  sshCommand: string;
}

export function sandboxGit(): SandboxGit {
  const v = vars();
  const repos = (v.git_repos ?? []) as string[];
  const keyPath = str(v, 'git_ssh_key');
  return {
    repoUrl: (name = 'sandbox.git') => {
      const url = repos.find((r) => r.endsWith(`/${name}`));
      if (!url) throw new Error(`sandbox git: no repository ${name} (have: ${repos.join(', ')})`);
      return url;
    },
    sshKeyPath: keyPath,
    sshKey: () => new Secret(readFileSync(keyPath, 'utf8'), 'sandbox git ssh key'),
    knownHosts: [str(v, 'git_host_key')],
    sshCommand: str(v, 'git_ssh_command'),
  };
}
