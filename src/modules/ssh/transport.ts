import { spawn } from 'node:child_process';
import type { HostTarget } from '../../runtime/env.ts';
import { InternalError, TargetError } from '../../runtime/errors.ts';
import type { Secret } from '../../runtime/secret.ts';
import type { TaskContext } from '../../runtime/task.ts';
import { type Command, type CommandResult, frame, sudoRefused } from './command.ts';
import { SshConnection } from './connection.ts';

/**
 * How commands reach one host: over the run's SSH connection, or by spawning `sh` on
 * this machine for `localhost`. Both run exactly the same framed command line.
 */
export abstract class Transport {
  readonly host: string;
  readonly local: boolean;
  /** Bumped by every command that may change the host; cached file facts compare it. */
  generation = 0;
  /** Per-host state other parts of the module keep for the run (facts, file stats). */
  readonly cache = new Map<string, unknown>();
  readonly #becomePassword: Secret | undefined;

  constructor(host: string, local: boolean, becomePassword: Secret | undefined) {
    this.host = host;
    this.local = local;
    this.#becomePassword = becomePassword;
  }

  /** Runs a command line with the given stdin. */
  protected abstract raw(line: string, stdin: Buffer): Promise<CommandResult>;

  abstract close(): void;

  /** A prefix for messages about this host. */
  abstract get label(): string;

  /**
   * Runs a command and returns its exit code and output; a non-zero exit is not an error
   * here (see {@link check}). A `sudo` that refuses to run fails with a TargetError.
   */
  async run(cmd: Command): Promise<CommandResult> {
    const framed = frame(cmd, this.#becomePassword);
    if (!cmd.readOnly) this.generation++;
    try {
      const result = await this.raw(framed.line, framed.stdin);
      if (cmd.become) {
        const refused = sudoRefused(result);
        if (refused) throw new TargetError(this.label, refused);
      }
      return result;
    } finally {
      if (!cmd.readOnly) this.generation++;
    }
  }

  /** Runs a command and fails unless it exits 0 (or one of `okCodes`). */
  async check(cmd: Command, what: string, okCodes: readonly number[] = [0]): Promise<CommandResult> {
    const result = await this.run(cmd);
    if (!okCodes.includes(result.code)) throw new TargetError(this.label, `${what} failed (exit ${result.code})${tail(result.stderr || result.stdout)}`);
    return result;
  }
}

/** The last lines of a command's output, for an error message (masked by the error). */
export function tail(text: string, lines = 5): string {
  const t = text.trim();
  if (!t) return '';
  const kept = t.split('\n').slice(-lines).join('\n');
  return `: ${kept.length > 2000 ? kept.slice(-2000) : kept}`;
}

export class SshTransport extends Transport {
  readonly connection: SshConnection;

  constructor(host: string, connection: SshConnection, becomePassword: Secret | undefined) {
    super(host, false, becomePassword);
    this.connection = connection;
  }

  get label(): string {
    return this.connection.label;
  }

  protected raw(line: string, stdin: Buffer): Promise<CommandResult> {
    return this.connection.exec(line, stdin);
  }

  close(): void {
    this.connection.close();
  }
}

/** `localhost`: the same command lines, run by `sh -c` on this machine. */
export class LocalTransport extends Transport {
  constructor(becomePassword?: Secret) {
    super('localhost', true, becomePassword);
  }

  get label(): string {
    return 'localhost';
  }

  protected raw(line: string, stdin: Buffer): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => reject(new TargetError('localhost', `cannot run sh: ${e.message}`, { cause: e })));
      child.on('close', (code, signal) =>
        resolve({
          code: code ?? 128,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by signal ${signal}` : ''),
        }),
      );
      child.stdin.on('error', () => {});
      child.stdin.end(stdin);
    });
  }

  close(): void {}
}

/** Settings a run may tune (tests shorten the connect timeout). */
export const transportDefaults: { connectTimeoutMs: number; keepaliveMs: number; knownHostsFiles: string[] | undefined } = {
  connectTimeoutMs: 10_000,
  keepaliveMs: 5000,
  knownHostsFiles: undefined,
};

/** Creates the transport for a host; tests replace this. */
export function createTransport(host: HostTarget, log: TaskContext['log']): Transport {
  if (host.local) return new LocalTransport();
  if (!host.spec) throw new InternalError(`host ${host.name} has no inventory entry`);
  const timeout = Number(host.vars.sshConnectTimeoutMs ?? transportDefaults.connectTimeoutMs);
  const connection = new SshConnection({
    name: host.name,
    spec: host.spec,
    connectTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : transportDefaults.connectTimeoutMs,
    keepaliveMs: transportDefaults.keepaliveMs,
    ...(transportDefaults.knownHostsFiles ? { knownHostsFiles: transportDefaults.knownHostsFiles } : {}),
    log,
  });
  return new SshTransport(host.name, connection, host.spec.becomePassword);
}

/**
 * The transport of the task's host, one per host and run (`ctx.memo('ssh:<host>')`). The
 * runtime closes it when the run ends.
 */
export function transportFor(ctx: TaskContext): Transport {
  return ctx.memo(`ssh:${ctx.host.name}`, () => createTransport(ctx.host, ctx.log));
}
