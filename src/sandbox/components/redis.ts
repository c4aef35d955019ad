import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { TargetError } from '../../runtime/errors.ts';
import { type Component, ensureProcess, processesAlive } from '../component.ts';
import { PORTS } from '../versions.ts';

/** Debian's redis-server on loopback, no persistence. */
const REDIS = '/usr/bin/redis-server';
export const REDIS_URL = `redis://127.0.0.1:${PORTS.redis}`;

/** Sends `PING` and expects `+PONG` (a real RESP round trip, not just an open port). */
export function redisPing(port: number = PORTS.redis, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (c) => {
      data += c.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    sock.once('error', () => done(false));
  });
}

export const redis: Component = {
  name: 'redis',
  description: `Redis (Debian redis-server) on ${REDIS_URL}`,
  deps: [],
  prepare: async () => {
    if (!existsSync(REDIS)) throw new TargetError('sandbox/redis', `${REDIS} not found: install Debian's redis-server (scripts/setup.sh does)`);
  },
  start: async (ctx) => {
    const data = join(ctx.dir, 'redis');
    mkdirSync(data, { recursive: true, mode: 0o700 });
    await ensureProcess(ctx, {
      component: 'redis',
      proc: 'redis',
      cmd: REDIS,
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(PORTS.redis),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        data,
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
      ],
      marker: String(PORTS.redis),
      ports: [PORTS.redis],
      healthy: () => redisPing(),
      timeoutMs: 30_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'redis', ['redis']);
    if (!p.ok) return p;
    const ok = await redisPing();
    return { ok, detail: `${p.detail}; PING ${ok ? '→ PONG' : 'failed'} on :${PORTS.redis}` };
  },
  contribute: () => ({ vars: { redis_url: REDIS_URL }, env: { REDIS_URL } }),
};
