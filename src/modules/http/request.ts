import { TaskError } from '../../runtime/errors.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import { type Body, buildCall, type RequestOptions, shown, targetOf, validateRequest } from './call.ts';
import { clientFor, type HttpCall, type HttpResponse, HttpUnreachable } from './client.ts';
import { describeExpectation, type Expectation, expectationProblems, mismatches, seen } from './expect.ts';

export const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];
const SAFE = new Set<string>(['GET', 'HEAD', 'OPTIONS']);

/** A read-only request whose expectation, when met, means the change is already made. */
export interface Probe {
  /** @default the request's URL */
  url?: Input<string>;
  /** @default 'GET' */
  method?: 'GET' | 'HEAD';
  /** @default the request's headers */
  headers?: RequestOptions['headers'];
  expect: Expectation;
}

/** Options of {@link request}. */
export type RequestTaskOptions = RequestOptions & {
  /** @default 'GET' */
  method?: Method;
  /** Text, a Secret, or a JSON value (sent as `application/json`). */
  body?: Input<Body>;
  /** What the response must look like. @default { status: any 2xx } */
  expect?: Expectation;
  /**
   * For a state-changing method: skip the request when this says the change is made,
   * a function, or a read-only {@link Probe} request whose expectation holds. The task's
   * result is then the probe's response (or, for a function, a response with status 0).
   */
  unless?: ((ctx: TaskContext) => Promise<boolean> | boolean) | Probe;
  /** For a state-changing method: `false` declares it is sent every time (reported as not idempotent). */
  idempotent?: false;
} & TaskOptions<HttpResponse>;

/** Sends a request and turns "no response" into a task error. */
export async function send(ctx: TaskContext, call: HttpCall): Promise<HttpResponse> {
  try {
    return await clientFor(ctx).send(call, ctx.signal);
  } catch (error) {
    if (error instanceof HttpUnreachable) throw new TaskError(ctx.path, error.message, { cause: error });
    throw error;
  }
}

/** Fails with what was expected and what was seen. */
export function expectOrFail(ctx: TaskContext, call: HttpCall, expect: Expectation, res: HttpResponse): void {
  const wrong = mismatches(expect, res);
  if (wrong.length) throw new TaskError(ctx.path, `${call.method} ${shown(call.url)}: ${wrong.join('; ')} (saw ${seen(res)})`);
}

function validateProbe(p: unknown, report: (m: string) => void): void {
  if (typeof p !== 'object' || p === null) {
    report('unless must be a function or a probe { url?, method?, headers?, expect }');
    return;
  }
  const probe = p as Probe;
  if (probe.method !== undefined && probe.method !== 'GET' && probe.method !== 'HEAD') report('unless.method must be GET or HEAD (a probe changes nothing)');
  if (probe.expect === undefined) report('unless.expect is required: what answer means the change is already made');
  expectationProblems(probe.expect, 'unless.expect').forEach(report);
  if (probe.url !== undefined && isStatic(probe.url)) validateRequest({ url: probe.url }, (m) => report(`unless.${m}`));
}

/**
 * Sends an HTTP request; redirects are not followed, so `expect.redirectTo` can assert one.
 * A read-only method (GET, HEAD, OPTIONS) runs while planning and plans no change. A
 * state-changing method must declare how it is idempotent: `unless` (a function or a probe
 * request) or `idempotent: false`; it is sent when applying. TLS is verified unless the
 * environment turns it off. Errors show the status and a cut, masked body.
 *
 * ```ts
 * http.request('create-index', {
 *   method: 'PUT', url: `${devpi}/root/pypi`, headers: { 'x-devpi-auth': token }, body: { type: 'mirror' },
 *   unless: { expect: { status: 200 } },
 * });
 * ```
 */
export function request(name: string, options: RequestTaskOptions): Task<HttpResponse> {
  const [own, common] = splitOptions(options);
  const method = (own.method ?? 'GET').toUpperCase();
  const expect = own.expect ?? {};
  return defineTask<HttpResponse>({
    kind: 'http.request',
    name,
    options: common,
    validate(report) {
      validateRequest(own, report);
      expectationProblems(own.expect).forEach(report);
      if (!(METHODS as readonly string[]).includes(method)) return report(`method ${method} is not one of ${METHODS.join(', ')}`);
      const idempotent = (own as { idempotent?: unknown }).idempotent;
      if (SAFE.has(method)) {
        if (own.unless !== undefined || idempotent !== undefined) report(`${method} is read-only: it needs no unless or idempotent`);
        if (own.body !== undefined && method !== 'OPTIONS') report(`${method} takes no body`);
        return;
      }
      if (idempotent !== undefined && idempotent !== false) report('idempotent: true is not a declaration; say how with unless');
      else if (idempotent === false && own.unless !== undefined) report('idempotent: false contradicts unless; keep one');
      else if (idempotent === undefined && own.unless === undefined) {
        report(`${method} changes state: declare how it is idempotent with unless (a function or a probe request), or idempotent: false`);
      }
      if (own.unless !== undefined && typeof own.unless !== 'function') validateProbe(own.unless, report);
    },
    async plan(ctx) {
      const body = own.body === undefined ? undefined : resolve(own.body, ctx);
      const call = buildCall(own, ctx, method, body);
      if (SAFE.has(method)) {
        const res = await send(ctx, call);
        expectOrFail(ctx, call, expect, res);
        return noChange(`${method} ${shown(call.url)} answered ${res.status} as expected`, res);
      }
      if (typeof own.unless === 'function') {
        if (await own.unless(ctx)) return noChange(`the unless condition holds: ${method} ${shown(call.url)} not needed`, notSent(call));
      } else if (own.unless !== undefined) {
        const probe = own.unless;
        const probeCall = buildCall(
          { url: probe.url ?? own.url, headers: probe.headers ?? own.headers ?? {}, timeoutMs: call.timeoutMs },
          ctx,
          probe.method ?? 'GET',
        );
        const res = await send(ctx, probeCall);
        if (mismatches(probe.expect, res).length === 0) {
          return noChange(`${probeCall.method} ${shown(probeCall.url)} already answers ${describeExpectation(probe.expect)}: ${method} not needed`, res);
        }
      }
      return {
        changes: [{ target: targetOf(method, call.url), action: 'run', summary: `${method} ${shown(call.url)}` }],
        ...(own.idempotent === false ? { notIdempotent: true } : {}),
        apply: async () => {
          const res = await send(ctx, call);
          expectOrFail(ctx, call, expect, res);
          return res;
        },
      };
    },
  });
}

/** The result of a request that was not needed. */
function notSent(call: HttpCall): HttpResponse {
  return { url: call.url, status: 0, headers: {}, body: '' };
}
