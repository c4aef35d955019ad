import { HelixError } from '../errors.ts';
import type { KubeRequest, Transport } from './transport.ts';

/** The API server answered with an error status. The message is the server's one line, masked. */
export class KubeStatusError extends HelixError {
  readonly status: number;
  constructor(what: string, status: number, body: unknown) {
    const message =
      body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : '';
    super(`${what}: ${status}${message ? ` ${message.split('\n')[0]!.slice(0, 300)}` : ''}`);
    this.status = status;
  }
}

/**
 * JSON verbs on fixed paths, for helix's own bookkeeping objects (the run lock's Lease, the
 * journal's Secrets). Tasks use the k8s module's client, which adds discovery and retries.
 */
export class KubeRest {
  readonly #transport: Transport;
  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async #call<T>(req: KubeRequest): Promise<T> {
    const res = await this.#transport(req);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    throw new KubeStatusError(`${req.method} ${req.path}`, res.status, res.body);
  }

  /** The object, or undefined on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.#call<T>({ method: 'GET', path });
    } catch (error) {
      if (error instanceof KubeStatusError && error.status === 404) return undefined;
      throw error;
    }
  }

  list<T>(path: string, labelSelector?: string): Promise<{ items?: T[] }> {
    return this.#call({ method: 'GET', path, query: { labelSelector } });
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.#call({ method: 'POST', path, body });
  }

  replace<T>(path: string, body: unknown): Promise<T> {
    return this.#call({ method: 'PUT', path, body });
  }

  /** True when deleted, false when it was already gone. */
  async delete(path: string): Promise<boolean> {
    try {
      await this.#call({ method: 'DELETE', path });
      return true;
    } catch (error) {
      if (error instanceof KubeStatusError && error.status === 404) return false;
      throw error;
    }
  }
}

/** The HTTP status of a failed request, when it came from the API server. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof KubeStatusError ? error.status : undefined;
}
