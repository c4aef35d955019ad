import type { Client, ClientChannel } from 'ssh2';
import type { HostSpec } from '../../runtime/env.ts';
import { TargetError } from '../../runtime/errors.ts';
import type { CommandResult } from './command.ts';
import { Worker } from './worker.ts';
import { openClient, unreachableError } from './connect.ts';

export interface ConnectionOptions {
  /** Inventory name of the host, for messages. */
  name: string;
  spec: HostSpec;
  /** Time allowed for TCP connect, handshake and authentication. @default 10000 */
  connectTimeoutMs?: number;
  /** known_hosts files consulted when the inventory lists no host key. */
  knownHostsFiles?: readonly string[];
  /** Concurrent channels on the connection (OpenSSH allows 10 sessions by default). @default 8 */
  maxChannels?: number;
  /** Keepalive interval; three unanswered keepalives drop the connection. @default 5000 */
  keepaliveMs?: number;
  log?: (message: string, level: 'info' | 'warn') => void;
  /** Run commands through long-lived `sh` workers (see worker.ts) instead of a channel each. @default true */
  workers?: boolean;
}

/** Largest stdout or stderr kept from one command; the rest is dropped. */
const MAX_OUTPUT = 32 * 1024 * 1024;

/**
 * One SSH connection per host, held for the whole run. Commands are channels over it,
 * a few at a time. The connection is opened on first use and reopened if it was lost
 * between commands.
 */
export class SshConnection {
  readonly #o: ConnectionOptions;
  #client: Promise<Client> | undefined;
  #live: Client | undefined;
  #closed = false;
  #active = 0;
  readonly #queue: (() => void)[] = [];
  readonly #pending = new Set<(error: Error) => void>();
  #workers: Worker[] = [];
  /** False once the host showed it cannot run a worker: commands then get a channel each. */
  #useWorkers: boolean;

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#useWorkers = options.workers ?? true;
  }

  /** `helix1 (helix1@10.213.7.11:22)`: the prefix of every error about this host. */
  get label(): string {
    const { spec, name } = this.#o;
    return `ssh ${name} (${spec.user}@${spec.address}:${spec.port})`;
  }

  #unreachable(detail: string, cause?: unknown): TargetError {
    return unreachableError(this.label, detail, cause);
  }

  #drop(error: Error): void {
    this.#live = undefined;
    this.#workers = [];
    this.#client = undefined;
    for (const reject of [...this.#pending]) reject(error);
    this.#pending.clear();
  }

  #session(): Promise<Client> {
    if (this.#closed) return Promise.reject(new TargetError(this.label, 'the run is over: the connection is closed'));
    if (!this.#client) {
      const attempt = openClient(this.#o, this.label, (client, error) => {
        if (this.#live === client) this.#drop(error);
      }).then((client) => {
        this.#live = client;
        return client;
      });
      this.#client = attempt;
      attempt.catch(() => {
        if (this.#client === attempt) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #slot(): Promise<void> {
    const max = this.#o.maxChannels ?? 8;
    if (this.#active < max) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#active--;
  }

  /** Opens the connection now (facts gathering does this implicitly). */
  async open(): Promise<void> {
    await this.#session();
  }

  /** Runs one command line with `stdin` and collects its output. */
  async exec(line: string, stdin: Buffer): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#session();
      await this.#slot();
      try {
        if (this.#useWorkers) {
          const worker = await this.#worker(client);
          if (worker) return await this.#onWorker(client, worker, line, stdin);
        }
        return await this.#onChannel(client, line, stdin);
      } catch (error) {
        // The connection died between commands and its close was not processed yet:
        // nothing was sent, so open a new one and try once more.
        if (!(error instanceof Error) || error.message !== 'Not connected') throw error;
        if (this.#live === client) this.#drop(this.#unreachable('connection lost'));
        if (attempt >= 2) throw this.#unreachable('connection lost', error);
      } finally {
        this.#release();
      }
    }
  }

  /** An idle worker, marked busy, or a new one; undefined when the host cannot run workers. */
  async #worker(client: Client): Promise<Worker | undefined> {
    this.#workers = this.#workers.filter((w) => !w.dead);
    const idle = this.#workers.find((w) => !w.busy);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    const worker = await Worker.start(client);
    if (!worker) {
      this.#useWorkers = false;
      return undefined;
    }
    worker.busy = true;
    if (this.#live === client) this.#workers.push(worker);
    return worker;
  }

  #onWorker(client: Client, worker: Worker, line: string, stdin: Buffer): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve, reject) => {
      const abandon = (error: Error): void => reject(error);
      this.#pending.add(abandon);
      worker.run(line, stdin).then(
        (r) => {
          this.#pending.delete(abandon);
          resolve(r);
        },
        (error: Error) => {
          // A worker dies first when the whole connection goes: give the connection's own
          // close a moment to arrive, so a lost host is reported as unreachable.
          setTimeout(() => {
            this.#pending.delete(abandon);
            reject(this.#live === client ? new TargetError(this.label, error.message) : this.#unreachable('connection lost while a command was running'));
          }, 100);
        },
      );
    });
  }

  /** Runs one command line on a channel of its own. */
  #onChannel(client: Client, line: string, stdin: Buffer): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve, reject) => {
      const abandon = (error: Error): void => reject(error);
      this.#pending.add(abandon);
      const done = (fn: () => void): void => {
        this.#pending.delete(abandon);
        fn();
      };
      client.exec(line, (error: Error | undefined, channel: ClientChannel) => {
        if (error) {
          setTimeout(() => {
            const lost = this.#live !== client;
            done(() =>
              reject(
                lost ? this.#unreachable('connection lost', error) : new TargetError(this.label, `cannot open a channel: ${error.message}`, { cause: error }),
              ),
            );
          }, 100);
          return;
        }
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outLen = 0;
        let errLen = 0;
        let code: number | undefined;
        let signal: string | undefined;
        channel.on('data', (d: Buffer) => {
          if ((outLen += d.length) <= MAX_OUTPUT) out.push(d);
        });
        channel.stderr.on('data', (d: Buffer) => {
          if ((errLen += d.length) <= MAX_OUTPUT) err.push(d);
        });
        channel.on('exit', (c: number | null, s?: string) => {
          if (typeof c === 'number') code = c;
          else signal = s ?? 'unknown';
        });
        channel.on('close', () =>
          done(() => {
            if (code === undefined && signal === undefined) {
              return reject(this.#unreachable('connection lost while a command was running'));
            }
            resolve({
              code: code ?? 128,
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by signal ${signal}` : ''),
            });
          }),
        );
        channel.on('error', () => {});
        channel.end(stdin);
      });
    });
  }

  /** Closes the connection; later commands fail. Safe to call more than once. */
  close(): void {
    this.#closed = true;
    const live = this.#live;
    this.#live = undefined;
    for (const w of this.#workers) w.close();
    this.#workers = [];
    live?.end();
    // A connection still being opened is closed as soon as it is ready.
    this.#client?.then(
      (c) => c.end(),
      () => {},
    );
    this.#client = undefined;
  }
}
