import { describe, expect, it } from 'vitest';
import { closeMemo } from '../../../src/runtime/run.ts';

describe('closeMemo (run-end cleanup of shared values)', () => {
  it('closes every value with a close() method once, ignores the rest and errors', async () => {
    const closed: string[] = [];
    const memo = new Map<string, unknown>([
      ['ssh:a', { close: () => void closed.push('a') }],
      ['ssh:b', { close: async () => void closed.push('b') }],
      [
        'broken',
        {
          close: () => {
            throw new Error('already gone');
          },
        },
      ],
      ['plain', { value: 1 }],
      ['number', 42],
      ['nothing', null],
    ]);
    await closeMemo(memo);
    expect(closed.sort()).toEqual(['a', 'b']);
    expect(memo.size).toBe(0);
    await closeMemo(memo);
    expect(closed).toHaveLength(2);
  });
});
