import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TargetError } from '../../runtime/errors.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { isRoot, run, runStatus } from '../proc.ts';
import { ensureSecret, readSecret } from '../state.ts';
import { ensureSharedDir, sharedDir, userIds } from '../users.ts';
import { NET, PORTS } from '../versions.ts';

/**
 * A private PostgreSQL cluster (Debian's binaries, our own initdb) on a sandbox port. As root
 * it runs as the `postgres` user (PostgreSQL refuses root), with its data in the shared folder.
 */
export const POSTGRES_USER = 'helix';
export const POSTGRES_DB = 'helix';

export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

const root = (ctx: Ctx) => join(sharedDir(ctx.dir), 'postgres');
export const passwordFile = () => ensureSecret('postgres-password');

async function owner(): Promise<{ uid?: number; gid?: number }> {
  if (!isRoot()) return {};
  const ids = await userIds('postgres');
  if (!ids) throw new TargetError('sandbox/postgres', "the postgres system user does not exist: install Debian's postgresql (scripts/setup.sh does)");
  return ids;
}

const isReady = async (bin: string) => (await runStatus(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(PORTS.postgres), '-t', '2'])) === 0;

export const postgres: Component = {
  name: 'postgres',
  description: `PostgreSQL (Debian) on 127.0.0.1:${PORTS.postgres}`,
  // With root it also listens on the bridge (pods of the real node reach it there).
  deps: isRoot() ? ['net'] : [],
  prepare: async () => {
    if (!postgresBin())
      throw new TargetError('sandbox/postgres', "PostgreSQL binaries not found under /usr/lib/postgresql: install Debian's postgresql (scripts/setup.sh does)");
  },
  start: async (ctx) => {
    const bin = postgresBin()!;
    const ids = await owner();
    ensureSharedDir(ctx.dir);
    const dir = root(ctx);
    const data = join(dir, 'data');
    const sock = join(dir, 'run');
    for (const d of [dir, sock]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      if (ids.uid !== undefined) chownSync(d, ids.uid, ids.gid!);
    }
    if (!existsSync(join(data, 'PG_VERSION'))) {
      rmSync(data, { recursive: true, force: true });
      // initdb reads the superuser password from a file that the postgres user can read.
      const pw = join(dir, 'pwfile');
      writeFileSync(pw, `${readSecret(passwordFile())}\n`, { mode: 0o600 });
      if (ids.uid !== undefined) chownSync(pw, ids.uid, ids.gid!);
      try {
        await run(
          join(bin, 'initdb'),
          ['-D', data, '-U', POSTGRES_USER, `--pwfile=${pw}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-sync'],
          { ...ids, cwd: dir },
        );
      } finally {
        rmSync(pw, { force: true });
      }
    }
    // With root (a real node), pods reach it at host.sandbox.test on the bridge, with a password.
    const hba = join(data, 'pg_hba.conf');
    const podsLine = `host all all ${NET.podCidr} scram-sha-256`;
    const hbaChanged = isRoot() && existsSync(hba) && !readFileSync(hba, 'utf8').includes(podsLine);
    if (hbaChanged) appendFileSync(hba, `# helix sandbox: pods of the real node\n${podsLine}\n`);
    await ensureProcess(ctx, {
      component: 'postgres',
      changed: hbaChanged,
      proc: 'postgres',
      cmd: join(bin, 'postgres'),
      args: [
        '-D',
        data,
        '-p',
        String(PORTS.postgres),
        '-c',
        `listen_addresses=${isRoot() ? `127.0.0.1,${NET.gateway}` : '127.0.0.1'}`,
        '-c',
        `unix_socket_directories=${sock}`,
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'synchronous_commit=off',
      ],
      cwd: dir,
      ...ids,
      marker: data,
      ports: [PORTS.postgres],
      healthy: () => isReady(bin),
      timeoutMs: 60_000,
    });
    // A database named like the user, so clients that default to it connect.
    const env = { ...process.env, PGPASSWORD: readSecret(passwordFile()) };
    const exists = await run(
      join(bin, 'psql'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(PORTS.postgres),
        '-U',
        POSTGRES_USER,
        '-d',
        'postgres',
        '-tAc',
        `SELECT 1 FROM pg_database WHERE datname='${POSTGRES_DB}'`,
      ],
      { env },
    );
    if (exists.stdout.trim() !== '1') {
      await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(PORTS.postgres), '-U', POSTGRES_USER, POSTGRES_DB], { env });
    }
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'postgres', ['postgres']);
    if (!p.ok) return p;
    const ok = await isReady(postgresBin()!);
    return { ok, detail: `${p.detail}; pg_isready ${ok ? 'ok' : 'failed'} on :${PORTS.postgres}` };
  },
  cleanup: async (ctx) => rmSync(root(ctx), { recursive: true, force: true }),
  contribute: () => ({
    vars: {
      postgres_host: '127.0.0.1',
      postgres_port: PORTS.postgres,
      postgres_user: POSTGRES_USER,
      postgres_database: POSTGRES_DB,
      postgres_password: { secret: { file: passwordFile() } },
    },
    env: {
      PGHOST: '127.0.0.1',
      PGPORT: String(PORTS.postgres),
      PGUSER: POSTGRES_USER,
      PGDATABASE: POSTGRES_DB,
      HELIX_SANDBOX_POSTGRES_PASSWORD_FILE: passwordFile(),
    },
  }),
};
