import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { humanRenderer, jsonRenderer } from '../../../src/cli/render.ts';
import { EventBus, type RunEvent } from '../../../src/index.ts';
import { shellQuote } from '../../../src/modules/ssh/quote.ts';
import { debugStack, HelixError, ValidationError } from '../../../src/runtime/errors.ts';
import { run } from '../../../src/runtime/run.ts';
import { mask, MIN_SECRET_LENGTH, Secret, SECRET_MASK } from '../../../src/runtime/secret.ts';

const root = fileURLToPath(new URL('../../fixtures/memproject', import.meta.url));

/** A fresh secret with every character that changes its forms: quotes, backslash, space, $, +, /, non-ASCII. */
const fresh = (): string => `pw ${randomBytes(6).toString('hex')} a"b'c\\d$e+f/g~é`;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Each way a secret may be written into text, built here independently of the masking code. */
const FORMS: [string, (s: string) => string][] = [
  ['as is', (s) => `token=${s};`],
  ['JSON-escaped', (s) => JSON.stringify({ body: { password: s } })],
  ['JSON in a JSON string', (s) => JSON.stringify({ request: JSON.stringify({ password: s }) })],
  ['shell-quoted (single quotes)', (s) => `sh -c ${shellQuote(`echo ${s}`)}`],
  ['shell-quoted (double quotes)', (s) => `export PW="${s.replace(/["\\$`]/g, '\\$&')}"`],
  ['URL-encoded', (s) => `https://api.example.test/login?password=${encodeURIComponent(s)}&x=1`],
  ['form-encoded', (s) => `grant_type=password&${new URLSearchParams({ password: s }).toString()}`],
  ['base64', (s) => `data: ${b64(s)}`],
  ['base64url', (s) => `jwt.${Buffer.from(s, 'utf8').toString('base64url')}.sig`],
  ['base64 in a Basic auth header (offset 0)', (s) => `authorization: Basic ${b64(`ab:${s}`)}`],
  ['base64 in a Basic auth header (offset 1)', (s) => `authorization: Basic ${b64(`abc:${s}`)}`],
  ['base64 in a Basic auth header (offset 2)', (s) => `authorization: Basic ${b64(`a:${s}`)}`],
];

/** What must not be readable in masked text: the secret and its whole encodings. */
const readable = (s: string, text: string): string[] =>
  [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), b64(s), ...['ab:', 'abc:', 'a:'].map((p) => b64(`${p}${s}`))]
    .concat(b64(s).slice(4, -4))
    .filter((f) => text.includes(f));

describe('masking: every form of a secret', () => {
  for (const [form, write] of FORMS) {
    it(`${form}`, () => {
      const s = fresh();
      const text = write(s);
      expect(mask(text), 'unmasked before the value is known').toBe(text);
      new Secret(s, 'test');
      const masked = mask(text);
      expect(masked).toContain(SECRET_MASK);
      expect(readable(s, masked)).toEqual([]);
    });
  }

  it('sweep: an event, its human and JSON rendering and an error carry none of the forms', () => {
    const s = fresh();
    new Secret(s, 'test');
    const bus = new EventBus();
    let human = '';
    let json = '';
    bus.on(humanRenderer({ write: (t: string) => void (human += t) }, { diff: true, verbose: true }));
    bus.on(jsonRenderer({ write: (t: string) => void (json += t) }));
    const events: RunEvent[] = [];
    bus.on((e) => events.push(e));
    const all = FORMS.map(([, write]) => write(s)).join('\n');
    bus.emit({ type: 'task.failed', path: 'demo/10/a', host: 'localhost', error: new HelixError(all).message, ignored: false, durationMs: 1 });
    bus.emit({ type: 'log', path: 'demo/10/b', host: 'localhost', level: 'warn', message: all });
    bus.emit({
      type: 'task.changed',
      path: 'demo/10/c',
      host: 'localhost',
      applied: true,
      durationMs: 1,
      changes: [{ target: 'mem:c', action: 'update', diff: { before: all, after: all } }],
    });
    for (const [where, text] of Object.entries({ human, json, events: JSON.stringify(events) })) {
      expect([where, readable(s, text)]).toEqual([where, []]);
      expect(text).toContain(SECRET_MASK);
    }
  });

  it('HELIX_DEBUG stacks are masked, causes included', () => {
    const s = fresh();
    new Secret(s, 'test');
    const cause = new Error(`library said: ${JSON.stringify({ password: s })}`);
    const error = new TypeError(`cannot read ${s}`, { cause });
    const stack = debugStack(error);
    expect(stack).toMatch(/^TypeError: cannot read \*{8}\n\s+at /);
    expect(stack).toContain('caused by: Error: library said: {"password":"********"}');
    expect(readable(s, stack)).toEqual([]);
  });
});

describe('short secrets', () => {
  it('a Secret is masked whole in structured output whatever its length', () => {
    const short = new Secret('q7');
    expect(JSON.stringify({ short })).toBe('{"short":"********"}');
    expect(String(short)).toBe(SECRET_MASK);
  });

  it(`an inventory secret shorter than ${MIN_SECRET_LENGTH} characters is refused at validation, naming its source and length only`, async () => {
    process.env.DEMO_SHORT_TOKEN = 'k3y-s1x';
    const err = await run({ root, component: 'demo', env: 'short', selection: 'play', mode: 'check', bus: new EventBus() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      {
        path: 'inventory/short.yaml: components.demo.token',
        message: 'secret from environment variable DEMO_SHORT_TOKEN has 7 character(s): at least 8 are needed so that it can be masked in output',
      },
    ]);
    process.env.DEMO_SHORT_TOKEN = 'k3y-s1x-long-enough';
    await expect(run({ root, component: 'demo', env: 'short', selection: 'play', mode: 'check', bus: new EventBus() })).resolves.toMatchObject({ ok: true });
  });
});
