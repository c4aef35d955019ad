import { TaskError } from '../../runtime/errors.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import { buildCall, type RequestOptions, shown, targetOf, validateRequest } from './call.ts';
import { clientFor, type HttpCall, type HttpResponse, HttpUnreachable } from './client.ts';
import { describeExpectation, type Expectation, expectationProblems, mismatches, seen } from './expect.ts';

/** Options of {@link waitUntil}. */
export type WaitUntilOptions = Omit<RequestOptions, 'timeoutMs'> & {
  /** What the answer must look like. @default { status: any 2xx } */
  expect?: Expectation;
  /** Give up after this long. @default 300000 (5 minutes) */
  timeoutMs?: number;
  /** Time between attempts. @default 2000 */
  intervalMs?: number;
  /** Give up on one attempt after this long. @default 10000 */
  requestTimeoutMs?: number;
} & TaskOptions<HttpResponse>;

type Attempt = { ok: true; res: HttpResponse } | { ok: false; seen: string };

async function attempt(ctx: TaskContext, call: HttpCall, expect: Expectation): Promise<Attempt> {
  try {
    const res = await clientFor(ctx).send(call, ctx.signal);
    const wrong = mismatches(expect, res);
    return wrong.length ? { ok: false, seen: `${wrong.join('; ')} (saw ${seen(res)})` } : { ok: true, res };
  } catch (error) {
    if (error instanceof HttpUnreachable) return { ok: false, seen: error.message.replace(/^\S+ \S+: /, '') };
    throw error;
  }
}

/**
 * Waits until a URL answers as expected (GET, redirects not followed). While planning it asks
 * once: if the answer is already right there is nothing to do; otherwise the plan is to wait
 * (in check mode, a predicted wait), and applying polls every `intervalMs` until the answer
 * is right or `timeoutMs` has passed, then fails with the last answer seen.
 */
export function waitUntil(name: string, options: WaitUntilOptions): Task<HttpResponse> {
  const [own, common] = splitOptions(options);
  const expect = own.expect ?? {};
  const timeoutMs = own.timeoutMs ?? 300_000;
  const intervalMs = own.intervalMs ?? 2000;
  return defineTask<HttpResponse>({
    kind: 'http.waitUntil',
    name,
    options: common,
    validate(report) {
      validateRequest({ ...own, timeoutMs: own.requestTimeoutMs ?? 10_000 }, report);
      expectationProblems(own.expect).forEach(report);
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) report('timeoutMs must be a positive number of milliseconds');
      if (!(Number.isFinite(intervalMs) && intervalMs > 0)) report('intervalMs must be a positive number of milliseconds');
    },
    async plan(ctx) {
      const call = buildCall({ ...own, timeoutMs: Math.min(own.requestTimeoutMs ?? 10_000, timeoutMs) }, ctx, 'GET');
      const wanted = describeExpectation(expect);
      const first = await attempt(ctx, call, expect);
      if (first.ok) return noChange(`GET ${shown(call.url)} answers ${wanted}`, first.res);
      return {
        changes: [{ target: targetOf('GET', call.url), action: 'run', summary: `wait until GET ${shown(call.url)} answers ${wanted} (now: ${first.seen})` }],
        apply: async () => {
          const deadline = Date.now() + timeoutMs;
          let last = first.seen;
          let tries = 1;
          while (Date.now() < deadline && !ctx.signal.aborted) {
            await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), ctx.signal);
            const next = await attempt(ctx, call, expect);
            tries++;
            if (next.ok) return next.res;
            last = next.seen;
          }
          throw new TaskError(ctx.path, `GET ${shown(call.url)} did not answer ${wanted} within ${timeoutMs} ms (${tries} attempts); last: ${last}`);
        },
      };
    },
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
