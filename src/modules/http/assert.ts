import { defineTask, noChange, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { buildCall, type RequestOptions, shown, validateRequest } from './call.ts';
import type { HttpResponse } from './client.ts';
import { describeExpectation, type Expectation, expectationProblems } from './expect.ts';
import { expectOrFail, send } from './request.ts';

/** Options of {@link assert}. */
export type AssertOptions = RequestOptions & {
  /** @default 'GET' */
  method?: 'GET' | 'HEAD';
  /** What the response must look like. @default { status: any 2xx } */
  expect?: Expectation;
} & TaskOptions<HttpResponse>;

/**
 * Checks a URL answers as expected: a GET (or HEAD) while planning, in check mode too. Plans
 * no change; fails with what it expected and what it saw (status, Location, a cut masked body).
 *
 * ```ts
 * http.assert('login-redirects', { url: 'https://devpi.example/', expect: { status: 302, redirectTo: /\/oauth2\/start/ } });
 * ```
 */
export function assert(name: string, options: AssertOptions): Task<HttpResponse> {
  const [own, common] = splitOptions(options);
  const method = own.method ?? 'GET';
  const expect = own.expect ?? {};
  return defineTask<HttpResponse>({
    kind: 'http.assert',
    name,
    options: common,
    validate(report) {
      validateRequest(own, report);
      expectationProblems(own.expect).forEach(report);
      if (method !== 'GET' && method !== 'HEAD') report('http.assert sends GET or HEAD only');
    },
    async plan(ctx) {
      const call = buildCall(own, ctx, method);
      const res = await send(ctx, call);
      expectOrFail(ctx, call, expect, res);
      return noChange(`${method} ${shown(call.url)} answers ${describeExpectation(expect)}`, res);
    },
  });
}
