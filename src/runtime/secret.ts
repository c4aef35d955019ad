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

/**
 * Values shorter than this are not masked as substrings (they would mangle output). A
 * {@link Secret} is masked whole in structured fields whatever its length; secrets from the
 * inventory shorter than {@link MIN_SECRET_LENGTH} are refused at validation.
 */
const MIN_MASKED_LENGTH = 4;

/**
 * The shortest secret an inventory may give: shorter ones cannot be masked in free text
 * without hiding ordinary words, nor without their absence giving them away.
 */
export const MIN_SECRET_LENGTH = 8;

/** A base64 fragment shorter than this is not masked (it could be anything). */
const MIN_FRAGMENT_LENGTH = 8;

/** The text of `value` inside a JSON string (what `JSON.stringify` puts between the quotes). */
function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * The base64 characters that encode `value` wherever it sits in a longer base64 text (a Basic
 * auth header, a kubeconfig): at each of the 3 byte offsets, the 4-character groups that
 * depend on the value's bytes alone.
 */
function base64Fragments(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (const offset of [0, 1, 2]) {
    const skip = offset === 0 ? 0 : 3 - offset; // bytes that complete the group the prefix started
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole <= 0) continue;
    const fragment = bytes.subarray(skip, skip + whole).toString('base64');
    if (fragment.length >= MIN_FRAGMENT_LENGTH) out.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/**
 * Every form in which `value` may reach text: as is; JSON-escaped (once, and twice for JSON in
 * a JSON string); shell-quoted (inside single quotes, and escaped inside double quotes);
 * URL-encoded (a path or query component, and a form body); base64 and base64url (whole, and
 * inside a longer base64 text).
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([
    value,
    jsonEscaped(value),
    jsonEscaped(jsonEscaped(value)),
    value.replace(/'/g, `'\\''`),
    value.replace(/["\\$`]/g, '\\$&'),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    Buffer.from(value, 'utf8').toString('base64'),
    Buffer.from(value, 'utf8').toString('base64url'),
    ...base64Fragments(value),
  ]);
  return [...forms].filter((f) => f.length >= MIN_MASKED_LENGTH);
}

function register(value: string): void {
  if (value.length < MIN_MASKED_LENGTH) return;
  const before = known.size;
  for (const form of secretForms(value)) known.add(form);
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

/** Replaces every known secret value, in every form of {@link secretForms}, in `text`. */
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
