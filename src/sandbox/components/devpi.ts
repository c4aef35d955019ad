import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TargetError } from '../../runtime/errors.ts';
import { cacheDir } from '../../runtime/paths.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { step } from '../progress.ts';
import { run } from '../proc.ts';
import { ensureSecret, readSecret } from '../state.ts';
import { PORTS, VERSIONS } from '../versions.ts';

/**
 * devpi-server + devpi-web + devpi-client from PyPI in a cached venv. The server runs in
 * offline mode without a root/pypi mirror, with a persistent secret file so logins survive
 * restarts, and the root password from a generated secret.
 */
export const DEVPI_URL = `http://127.0.0.1:${PORTS.devpi}`;
const key = `${VERSIONS.devpiServer}-web${VERSIONS.devpiWeb}-client${VERSIONS.devpiClient}`;
export const devpiVenv = () => join(cacheDir(), 'devpi', key, 'venv');
const serverDir = (ctx: Ctx) => join(ctx.dir, 'devpi');
export const rootPasswordFile = () => ensureSecret('devpi-root-password');
/** devpi wants at least 32 characters, 0600, in a folder only its user can write. */
const serverSecretFile = () => ensureSecret('devpi-server-secret', () => randomBytes(32).toString('base64'));

function python(): string {
  return process.env.HELIX_PYTHON ?? 'python3';
}

async function install(): Promise<void> {
  const venv = devpiVenv();
  if (existsSync(join(venv, '.complete'))) return;
  // A venv is not relocatable, so build it in place; a half-built one is removed first.
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(join(venv, '..'), { recursive: true });
  try {
    await run(python(), ['-m', 'venv', venv]);
  } catch (error) {
    throw new TargetError('sandbox/devpi', `cannot create a Python venv (install python3-venv): ${(error as Error).message}`);
  }
  await run(
    join(venv, 'bin', 'pip'),
    [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `devpi-server==${VERSIONS.devpiServer}`,
      `devpi-web==${VERSIONS.devpiWeb}`,
      `devpi-client==${VERSIONS.devpiClient}`,
    ],
    { timeoutMs: 30 * 60_000 },
  );
  writeFileSync(join(venv, '.complete'), `${new Date().toISOString()}\n`);
}

const api = () => httpOk(`${DEVPI_URL}/+api`, { headers: { Accept: 'application/json' }, contains: '"login"' });

export const devpi: Component = {
  name: 'devpi',
  description: `devpi-server ${VERSIONS.devpiServer} + devpi-web ${VERSIONS.devpiWeb} (offline mode) on ${DEVPI_URL}`,
  deps: [],
  prepare: async (ctx) => {
    await step(ctx.report, 'devpi', `install devpi-server/-web/-client from PyPI into a venv (cached)`, install);
  },
  start: async (ctx) => {
    const bin = join(devpiVenv(), 'bin');
    const dir = serverDir(ctx);
    const secretfile = serverSecretFile();
    const env: NodeJS.ProcessEnv = { ...process.env, DEVPISERVER_ROOT_PASSWD: readSecret(rootPasswordFile()) };
    if (!existsSync(join(dir, '.nodeinfo'))) {
      const tmp = `${dir}.init`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true, mode: 0o700 });
      await run(join(bin, 'devpi-init'), ['--serverdir', tmp, '--no-root-pypi'], { env });
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
    delete env.DEVPISERVER_ROOT_PASSWD;
    await ensureProcess(ctx, {
      component: 'devpi',
      proc: 'devpi',
      cmd: join(bin, 'devpi-server'),
      args: ['--serverdir', dir, '--host', '127.0.0.1', '--port', String(PORTS.devpi), '--offline-mode', '--secretfile', secretfile],
      env,
      marker: dir,
      ports: [PORTS.devpi],
      healthy: api,
      timeoutMs: 300_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'devpi', ['devpi']);
    if (!p.ok) return p;
    const ok = await api();
    return { ok, detail: `${p.detail}; /+api ${ok ? 'answers' : 'does not answer'} on :${PORTS.devpi}` };
  },
  cleanup: async (ctx) => rmSync(serverDir(ctx), { recursive: true, force: true }),
  contribute: () => ({
    vars: {
      devpi_url: DEVPI_URL,
      devpi_root_user: 'root',
      devpi_root_password: { secret: { file: rootPasswordFile() } },
      devpi_client: join(devpiVenv(), 'bin', 'devpi'),
    },
    env: { DEVPI_URL, DEVPI_ROOT_PASSWORD_FILE: rootPasswordFile(), HELIX_SANDBOX_DEVPI_CLIENT: join(devpiVenv(), 'bin', 'devpi') },
  }),
};
