import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TargetError } from '../runtime/errors.ts';
import { goBuild, SEAWEEDFS_BUILD } from './build.ts';
import { isAlive, portFree, run, spawnDaemon, stopPid, tailFile, tcpOpen, waitUntil } from './proc.ts';

/**
 * A throw-away S3 server: SeaweedFS's `weed server -s3` (master, volume server, filer and S3
 * gateway in one process) on 127.0.0.1, with its data in a scratch folder, one S3 identity and
 * the buckets asked for. The Terraform backend tests run OpenTofu's S3 backend against it
 * (decision 051). It is not a sandbox component: each user starts and stops their own.
 */
export interface S3Server {
  /** `http://127.0.0.1:<port>` (path-style addressing). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  buckets: string[];
  /** The data folder (removed by `stop` when the server made it). */
  dir: string;
  /** weed's log. */
  log: string;
  pid: number;
  /** The environment an AWS client (OpenTofu's S3 backend) needs to reach it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /** @default ['helix-platform-tfstate'] */
  buckets?: string[];
  /** The data folder. @default a new folder under the system's temp folder, removed by `stop` */
  dir?: string;
  /** @default generated */
  accessKey?: string;
  /** @default generated */
  secretKey?: string;
  /** The weed binary. @default the cached build ({@link installWeed}) */
  weed?: string;
  /** @default 2 minutes */
  timeoutMs?: number;
}

/** Builds SeaweedFS's `weed` from the Go module proxy into the cache, once, and returns its path. */
export async function installWeed(): Promise<string> {
  return join(await goBuild(SEAWEEDFS_BUILD), 'weed');
}

/** A TCP port nothing listens on now (the kernel's choice) whose `port + 10000` (the gRPC port given to weed) is free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port: 0 }, () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (port > 0 && port + 10000 < 65536 && (await portFree('127.0.0.1', port + 10000))) return port;
  }
}

/** The `-s3.config` document: one identity allowed everything. */
export function s3Identities(accessKey: string, secretKey: string): object {
  return { identities: [{ name: 'helix', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] };
}

/** Starts the server, waits until its S3 port answers and creates the buckets. */
export async function startS3Server(o: S3ServerOptions = {}): Promise<S3Server> {
  const weed = o.weed ?? (await installWeed());
  const own = o.dir === undefined;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'helix-s3-'));
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const accessKey = o.accessKey ?? `helix${randomBytes(6).toString('hex')}`;
  const secretKey = o.secretKey ?? randomBytes(20).toString('hex');
  const config = join(dir, 's3.json');
  writeFileSync(config, JSON.stringify(s3Identities(accessKey, secretKey)), { mode: 0o600 });
  const [master, volume, filer, s3] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const log = join(dir, 'weed.log');
  // Every port is given (gRPC ones too), so nothing lands on weed's defaults (8080, 9333, …).
  const args = [
    'server',
    `-dir=${data}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${master}`,
    `-master.port.grpc=${master + 10000}`,
    '-master.volumeSizeLimitMB=64',
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volume + 10000}`,
    '-volume.max=8',
    '-filer',
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filer + 10000}`,
    `-filer.localSocket=${join(dir, 'filer.sock')}`,
    '-s3',
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3 + 10000}`,
    // Its Iceberg and Lance catalogues would listen on fixed ports (8181, 9101).
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-s3.config=${config}`,
  ];
  const pid = spawnDaemon(weed, args, { cwd: dir, log });
  const stop = async (): Promise<void> => {
    await stopPid(pid, 5_000);
    if (own) rmSync(dir, { recursive: true, force: true });
  };
  const fail = async (what: string): Promise<never> => {
    const tail = tailFile(log, 20);
    await stopPid(pid, 5_000);
    throw new TargetError('seaweedfs', `${what}\n${tail}`);
  };
  const up = await waitUntil(() => tcpOpen('127.0.0.1', s3), { timeoutMs: o.timeoutMs ?? 120_000, alive: () => isAlive(pid) });
  if (up !== 'ok') await fail(`weed server: the S3 port ${s3} ${up === 'died' ? 'never opened: weed exited' : 'did not open in time'}`);
  const buckets = o.buckets ?? ['helix-platform-tfstate'];
  for (const b of buckets) {
    // The filer may not have joined the master yet: retry until the bucket is there.
    let last = '';
    const made = await waitUntil(
      async () => {
        try {
          await run(weed, ['shell', `-master=127.0.0.1:${master}`, `-filer=127.0.0.1:${filer}`], {
            input: `s3.bucket.create -name ${b}\ns3.bucket.list\nexit\n`,
            timeoutMs: 60_000,
          });
          const { stdout } = await run(weed, ['shell', `-master=127.0.0.1:${master}`, `-filer=127.0.0.1:${filer}`], {
            input: 's3.bucket.list\nexit\n',
            timeoutMs: 60_000,
          });
          last = stdout;
          return stdout.split('\n').some((l) => l.trim().startsWith(b));
        } catch (e) {
          last = (e as Error).message;
          return false;
        }
      },
      { timeoutMs: 60_000, intervalMs: 1000, alive: () => isAlive(pid) },
    );
    if (made !== 'ok') await fail(`weed shell s3.bucket.create -name ${b}: ${made}\n${last}`);
  }
  const endpoint = `http://127.0.0.1:${s3}`;
  const env = {
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: secretKey,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
  };
  return { endpoint, accessKey, secretKey, buckets, dir, log, pid, env, stop };
}

/**
 * `node src/sandbox/seaweedfs.ts`: starts a server, prints the `export AWS_…=`
 * lines a shell (and tofu in it) needs, and stops it, removing its data, on Ctrl-C.
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  startS3Server().then(
    (s) => {
      for (const [k, v] of Object.entries(s.env)) process.stdout.write(`export ${k}=${v}\n`);
      process.stderr.write(`seaweedfs: S3 on ${s.endpoint}, bucket ${s.buckets.join(', ')}, data in ${s.dir}; Ctrl-C stops it\n`);
      const stop = (): void => void s.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      setInterval(() => {}, 1 << 30);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
