import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import type { CommandResult } from './command.ts';
import { quoteArgv } from './quote.ts';

/**
 * A long-lived `sh` on the host that runs one command after another, so a command costs
 * a few forks on the host instead of a new SSH session and a login shell (a login shell
 * that sources a heavy `.bashrc` costs hundreds of milliseconds per session).
 *
 * Request: `<token> <line count> <stdin bytes>\n<line>\n<stdin>`. The worker reads the
 * command line with the `read` builtin, the stdin bytes with GNU `head -c` (exact counts),
 * pipes them to the command (never to a file),
 * drains what the command did not read, and ends the command's stdout with
 * `<token> <exit code>\n` and its stderr with `<token>\n`. The token is random per command.
 */
export const WORKER_SCRIPT = [
  'head --version 2>/dev/null | grep -q GNU || { echo helix-worker-unsupported; exit 0; }',
  'echo helix-worker-ready; echo helix-worker-ready >&2',
  'while IFS=" " read -r tok nl sl; do',
  '  line=; i=0',
  '  while [ "$i" -lt "$nl" ]; do IFS= read -r l; line="$line$l',
  '"; i=$((i+1)); done',
  // The line is always one quoted simple command, so eval cannot change the worker itself.
  '  if [ "$sl" -eq 0 ]; then eval "$line" </dev/null; rc=$?',
  '  else head -c "$sl" | { eval "$line"; rc=$?; cat >/dev/null; exit "$rc"; }; rc=$?; fi',
  '  printf "%s %s\\n" "$tok" "$rc"; printf "%s\\n" "$tok" >&2',
  'done',
].join('\n');

const READY = 'helix-worker-ready\n';

interface Pending {
  token: string;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  stdout?: Buffer;
  code?: number;
  stderr?: Buffer;
}

export class Worker {
  readonly #channel: ClientChannel;
  #out: Buffer = Buffer.alloc(0);
  #err: Buffer = Buffer.alloc(0);
  #pending: Pending | undefined;
  #ready: Promise<boolean>;
  busy = false;
  dead = false;
  #onDead: (error: Error) => void = () => {};

  private constructor(channel: ClientChannel) {
    this.#channel = channel;
    let started: ((ok: boolean) => void) | undefined;
    this.#ready = new Promise<boolean>((resolve) => {
      started = resolve;
    });
    channel.on('data', (d: Buffer) => {
      this.#out = this.#out.length ? Buffer.concat([this.#out, d]) : d;
      if (started) {
        const at = this.#out.indexOf(READY);
        if (at >= 0) {
          this.#out = this.#out.subarray(at + READY.length);
          started(true);
          started = undefined;
        } else if (this.#out.includes('helix-worker-unsupported')) {
          started(false);
          started = undefined;
        }
        return;
      }
      this.#progress();
    });
    let errStarted = false;
    channel.stderr.on('data', (d: Buffer) => {
      this.#err = this.#err.length ? Buffer.concat([this.#err, d]) : d;
      if (!errStarted) {
        // Whatever the login shell printed before the worker started is not a command's.
        const at = this.#err.indexOf(READY);
        if (at < 0) return;
        this.#err = this.#err.subarray(at + READY.length);
        errStarted = true;
      }
      this.#progress();
    });
    channel.on('error', () => {});
    channel.on('close', () => {
      started?.(false);
      this.dead = true;
      const p = this.#pending;
      this.#pending = undefined;
      const error = new Error('the command worker on the host exited');
      if (p) p.reject(error);
      this.#onDead(error);
    });
  }

  /** Starts a worker on a new channel; undefined when the host cannot run one (no GNU head). */
  static start(client: Client): Promise<Worker | undefined> {
    return new Promise((resolve) => {
      // Throws "Not connected" when the connection is already gone.
      client.exec(quoteArgv(['sh', '-c', WORKER_SCRIPT]), (error, channel) => {
        if (error) return resolve(undefined);
        const worker = new Worker(channel);
        void worker.#ready.then((ok) => {
          if (ok) resolve(worker);
          else {
            worker.close();
            resolve(undefined);
          }
        });
      });
    });
  }

  onDead(fn: (error: Error) => void): void {
    this.#onDead = fn;
  }

  #progress(): void {
    const p = this.#pending;
    if (!p) return;
    if (p.code === undefined) {
      const at = this.#out.indexOf(`${p.token} `);
      const nl = at >= 0 ? this.#out.indexOf('\n', at) : -1;
      if (nl >= 0) {
        p.stdout = this.#out.subarray(0, at);
        p.code = Number(this.#out.subarray(at + p.token.length + 1, nl).toString('latin1'));
        this.#out = this.#out.subarray(nl + 1);
      }
    }
    if (p.stderr === undefined) {
      const at = this.#err.indexOf(`${p.token}\n`);
      if (at >= 0) {
        p.stderr = this.#err.subarray(0, at);
        this.#err = this.#err.subarray(at + p.token.length + 1);
      }
    }
    if (p.code !== undefined && p.stderr !== undefined) {
      this.#pending = undefined;
      this.busy = false;
      p.resolve({ code: p.code, stdout: p.stdout!.toString('utf8'), stderr: p.stderr.toString('utf8') });
    }
  }

  /** Runs one command line; the worker must be idle. */
  run(line: string, stdin: Buffer): Promise<CommandResult> {
    if (this.dead) return Promise.reject(new Error('the command worker on the host exited'));
    this.busy = true;
    const token = `__helix_${randomBytes(12).toString('hex')}__`;
    const count = line.split('\n').length;
    return new Promise<CommandResult>((resolve, reject) => {
      this.#pending = { token, resolve, reject };
      this.#channel.write(Buffer.concat([Buffer.from(`${token} ${count} ${stdin.length}\n${line}\n`), stdin]));
    });
  }

  close(): void {
    this.dead = true;
    this.#channel.end();
  }
}
