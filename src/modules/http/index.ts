/**
 * HTTP requests and checks. Redirects are never followed (so they can be asserted), TLS is
 * verified unless the environment turns it off, and response bodies reach messages only
 * masked and cut.
 *
 * ```ts
 * import * as http from 'helix/modules/http';
 * http.waitUntil('devpi-up', { url: 'https://devpi.example/+api', expect: { status: 200 } });
 * http.assert('login-redirects', { url: 'https://devpi.example/', expect: { redirectTo: /\/oauth2\/start/ } });
 * ```
 */
export { assert, type AssertOptions } from './assert.ts';
export { type Body, DEFAULT_TIMEOUT_MS, type RequestOptions } from './call.ts';
export { CLIENT_KEY, fetchClient, type HttpCall, type HttpClient, type HttpResponse, HttpUnreachable, MAX_BODY } from './client.ts';
export type { Expectation } from './expect.ts';
export { type Method, METHODS, type Probe, request, type RequestTaskOptions } from './request.ts';
export { waitUntil, type WaitUntilOptions } from './wait-until.ts';
export { fetchWithCa, fetchWithTls, type Fetch, noResponseReason, verifiesTls } from '../../runtime/fetch.ts';
export { unverifiedTargets } from '../../runtime/env.ts';
