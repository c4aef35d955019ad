import { CLIENT_KEY, type HttpCall, type HttpClient, type HttpResponse, HttpUnreachable } from '../../../src/modules/http/index.ts';

type Answer = Partial<HttpResponse> | 'unreachable';

/**
 * A fake at the http module's IO seam. Answers per `METHOD url`: one answer, or a list
 * used in turn (the last repeats). Unknown requests get 404. Records every call.
 */
export function fakeHttp(answers: Record<string, Answer | Answer[]> = {}) {
  const calls: HttpCall[] = [];
  const used = new Map<string, number>();
  const client: HttpClient = {
    send: async (call) => {
      calls.push(call);
      const key = `${call.method} ${call.url}`;
      const a = answers[key];
      const list = a === undefined ? [{ status: 404 }] : Array.isArray(a) ? a : [a];
      const i = used.get(key) ?? 0;
      used.set(key, i + 1);
      const answer = list[Math.min(i, list.length - 1)]!;
      if (answer === 'unreachable') throw new HttpUnreachable(`${key}: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)`);
      const res: HttpResponse = { url: call.url, status: 200, headers: {}, body: '', ...answer };
      if (answer.redirectTo) res.redirectTo = new URL(answer.redirectTo, call.url).href;
      return res;
    },
  };
  return { calls, sent: () => calls.map((c) => `${c.method} ${c.url}`), memo: { [CLIENT_KEY]: client } };
}
