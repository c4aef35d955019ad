import { mask } from './secret.ts';

/**
 * The error hierarchy is small on purpose. Only the CLI maps these to exit codes:
 * user errors (config, validation) exit 2, target and task errors exit 1, and anything
 * else is an internal bug.
 */
export class HelixError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(mask(message), options);
    this.name = new.target.name;
  }
}

/** A problem found before anything was touched, with the path of what it is about. */
export interface Problem {
  path: string;
  message: string;
}

/** Bad configuration or input: unknown environment, malformed inventory, missing secret. */
export class ConfigError extends HelixError {
  readonly path: string | undefined;
  constructor(message: string, path?: string, options?: { cause?: unknown }) {
    super(path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

/** Every problem the validation pass found, reported at once. */
export class ValidationError extends HelixError {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} found before any change:\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.problems = problems.map((p) => ({ path: p.path, message: mask(p.message) }));
  }
}

/** A target (API server, Keycloak, SSH host) could not be reached or refused a request. */
export class TargetError extends HelixError {
  readonly target: string;
  constructor(target: string, message: string, options?: { cause?: unknown }) {
    super(`${target}: ${message}`, options);
    this.target = target;
  }
}

/** A task failed while planning or applying. */
export class TaskError extends HelixError {
  readonly taskPath: string;
  constructor(taskPath: string, message: string, options?: { cause?: unknown }) {
    super(`${taskPath}: ${message}`, options);
    this.taskPath = taskPath;
  }
}

/**
 * Thrown in check mode when a task needs a value that only exists after an earlier task
 * applies. The engine reports the task as a predicted change instead of failing.
 */
export class UnknownUntilApplied extends HelixError {}

/** A bug in helix itself. */
export class InternalError extends HelixError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message} (this is a helix bug, please report it)`, options);
  }
}

/** A short, masked description of any thrown value, for events and messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return mask(error.message);
  return mask(String(error));
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof ValidationError) return 2;
  if (error instanceof HelixError) return 1;
  return 70;
}

/**
 * The stack of an error and of its causes, masked, for `HELIX_DEBUG`: a stack repeats the
 * message it was made with, and a cause (a library's error) was never masked.
 */
export function debugStack(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return mask(parts.join('\ncaused by: '));
}
