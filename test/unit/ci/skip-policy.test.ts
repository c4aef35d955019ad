import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AllowedSkip, checkSkips, type Skip } from '../../support/skip-policy.ts';

const skip = (test: string, reason = 'skipIf/runIf/.skip: no reason given'): Skip => ({ test, project: 'integration', reason });

describe('the skip policy of .ci/run', () => {
  it.each<[string, Skip[], AllowedSkip[], boolean, RegExp]>([
    ['no skips pass', [], [], true, /skips: 0, all on test\/skips\.json/],
    [
      'an allow-listed skip passes, printed with both reasons',
      [skip('a.test.ts > x', 'no chart')],
      [{ test: 'a.test.ts > x', reason: 'no registry has it' }],
      true,
      /allowed\s+\[integration\] a\.test\.ts > x\n\s+reason: no chart\n\s+allowed because: no registry has it/,
    ],
    [
      'a skip not on the list fails, named with its reason',
      [skip('b.test.ts > y', 'devpi does not converge')],
      [],
      false,
      /NOT ALLOWED\s+\[integration\] b\.test\.ts > y\n\s+reason: devpi does not converge/,
    ],
    [
      'one unlisted among listed ones still fails',
      [skip('a.test.ts > x'), skip('c.test.ts > z')],
      [{ test: 'a.test.ts > x', reason: 'r' }],
      false,
      /skips: 2, 1 not on test\/skips\.json/,
    ],
    [
      'a stale allow-list entry is reported, not failed',
      [],
      [{ test: 'gone.test.ts > w', reason: 'r' }],
      true,
      /stale allow-list entry \(it ran\): gone\.test\.ts > w/,
    ],
  ])('%s', (_, skips, allowed, ok, re) => {
    const r = checkSkips(skips, allowed);
    expect(r.ok).toBe(ok);
    expect(r.lines.join('\n')).toMatch(re);
  });

  it('the allow-list is short, and every entry says why the test cannot run here', () => {
    const list = JSON.parse(readFileSync(new URL('../../skips.json', import.meta.url), 'utf8')) as AllowedSkip[];
    expect(list.length).toBeLessThanOrEqual(5);
    for (const a of list) {
      expect(a.test).toMatch(/^test\/(unit|integration)\/.+\.test\.ts > /);
      expect(a.reason.length).toBeGreaterThan(40);
    }
  });
});
