import { TargetError } from '../../runtime/errors.ts';

/** The parts of a Kubernetes `Status` helix relies on. */
interface Status {
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

const MAX_MESSAGE = 400;
/** Kubernetes' StatusReason for a code, when the server sent none. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};
const TYPED_PATCH = /failed to create typed patch object|field not declared in schema/;

function shorten(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE)}…` : one;
}

/**
 * The API server refused a request. The message is the server's one-line `Status.message`
 * (shortened and masked), never the raw response body or headers.
 */
export class KubeApiError extends TargetError {
  readonly status: number;
  /** `NotFound`, `Conflict`, `Invalid`, `BadRequest`, … */
  readonly reason: string;
  /** Field manager conflicts of a server-side apply (`.spec.replicas` owned by `kubectl`). */
  readonly fieldConflicts: readonly string[];
  /** The server's one-line message (shortened; masked when shown through `message`). */
  readonly detail: string;
  /** Seconds the server asked to wait before retrying (429, 503). */
  readonly retryAfter: number | undefined;

  constructor(target: string, what: string, status: number, body: unknown, retryAfter?: number) {
    const s = (body && typeof body === 'object' ? body : {}) as Status;
    const reason = s.reason ?? REASONS[status] ?? `HTTP${status}`;
    const causes = s.details?.causes ?? [];
    const fieldConflicts = causes.filter((c) => c.reason === 'FieldManagerConflict').map((c) => shorten(c.message ?? c.field ?? ''));
    const detail = typeof s.message === 'string' && s.message ? shorten(s.message) : typeof body === 'string' ? shorten(body) : '';
    super(target, `${what}: ${status} ${reason}${detail ? `: ${detail}` : ''}`);
    this.status = status;
    this.reason = reason;
    this.fieldConflicts = fieldConflicts;
    this.retryAfter = retryAfter;
    this.detail = detail;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /**
   * The request itself is wrong: 400/422, or the 500 a server-side apply answers when the
   * object does not fit the schema ("failed to create typed patch object … field not
   * declared in schema"). Never worth retrying; in preflight, a problem with the input.
   */
  get invalid(): boolean {
    return this.status === 400 || this.status === 422 || (this.status === 500 && TYPED_PATCH.test(this.detail));
  }
}

/** The API server could not be reached (refused, reset, timed out). */
export class KubeUnreachable extends TargetError {
  readonly code: string;
  constructor(target: string, what: string, code: string) {
    super(target, `${what}: API server unreachable (${code})`);
    this.code = code;
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'TIMEOUT',
]);

/** The error code of a network failure (`ECONNREFUSED`), or undefined for anything else. */
export function networkCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && NETWORK_CODES.has(code)) return code;
  if (/socket hang up/i.test(error.message)) return 'ECONNRESET';
  return undefined;
}
