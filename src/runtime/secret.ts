import { inspect } from 'node:util';

const MASK = '********';

/**
 * Every secret value seen in this process. Masking is global on purpose: a secret
 * created anywhere (inventory, a Keycloak client, a generated cookie secret) is masked
 * in every output, whichever renderer or error path it reaches.
 */
const known = new Set<string>();
/** `known`, longest first; rebuilt only when a secret is added (masking runs on every event). */
let longestFirst: string[] | undefined;

/** Values shorter than this are not masked as substrings (they would mangle output). */
const MIN_MASKED_LENGTH = 4;

function register(value: string): void {
  if (value.length < MIN_MASKED_LENGTH) return;
  const before = known.size;
  known.add(value);
  known.add(Buffer.from(value, 'utf8').toString('base64'));
  known.add(encodeURIComponent(value));
  if (known.size !== before) longestFirst = undefined;
}

/**
 * A value that must never be printed. `String(secret)`, `JSON.stringify(secret)` and
 * `util.inspect(secret)` all give a mask; only {@link Secret.reveal} gives the value, and
 * code that calls it is responsible for where the value goes (an HTTP body, a stdin pipe).
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from, for `helix explain` (never the value itself). */
  readonly origin: string;

  constructor(value: string, origin = 'generated') {
    this.#value = value;
    this.origin = origin;
    register(value);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }

  equals(other: Secret | string): boolean {
    return this.#value === (other instanceof Secret ? other.reveal() : other);
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Declares a value as secret without wrapping it (e.g. a token read from an API). */
export function markSecret(value: string): void {
  register(value);
}

/** Replaces every known secret value (and its base64 and URL encodings) in `text`. */
export function mask(text: string): string {
  if (known.size === 0 || text.length < MIN_MASKED_LENGTH) return text;
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  longestFirst ??= [...known].sort((a, b) => b.length - a.length);
  for (const value of longestFirst) {
    if (out.includes(value)) out = out.split(value).join(MASK);
  }
  return out;
}

/** Deep-copies a JSON-like value with every string masked and every Secret replaced. */
export function maskDeep<T>(value: T): T {
  if (typeof value === 'string') return mask(value) as T;
  if (value instanceof Secret) return MASK as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (value instanceof Error) return value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v);
    return out as T;
  }
  return value;
}

export const SECRET_MASK = MASK;
