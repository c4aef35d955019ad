/**
 * `fetch` with the environment's TLS setting. Verification is on unless an environment
 * turns it off (`tls.verify: false` in the inventory); extra CAs come from
 * `NODE_EXTRA_CA_CERTS`, as for every Node program.
 */
export type Fetch = typeof fetch;

let insecure: Promise<object> | undefined;

/**
 * An undici dispatcher that skips certificate checks, built from the class of Node's own
 * global dispatcher (so it matches the bundled fetch without a separate undici dependency).
 */
function insecureDispatcher(): Promise<object> {
  insecure ??= (async () => {
    const key = Symbol.for('undici.globalDispatcher.1');
    // Node creates its global dispatcher lazily, on the first fetch.
    if (!(key in globalThis)) await fetch('data:,').then((r) => r.arrayBuffer());
    const global = (globalThis as Record<symbol, unknown>)[key] as { constructor: new (o: object) => object } | undefined;
    if (!global) throw new Error('cannot turn off TLS verification: Node has no global fetch dispatcher');
    return new global.constructor({ connect: { rejectUnauthorized: false } });
  })();
  return insecure;
}

/** The global `fetch`, or one that does not verify certificates when `verify` is false. */
export function fetchWithTls(verify: boolean): Fetch {
  if (verify) return fetch;
  return (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) =>
    fetch(input, { ...init, dispatcher: await insecureDispatcher() } as RequestInit)) as Fetch;
}

/** Extra `RequestInit` for libraries that take request options instead of a fetch function. */
export async function requestInitWithTls(verify: boolean): Promise<RequestInit> {
  return verify ? {} : ({ dispatcher: await insecureDispatcher() } as RequestInit);
}
