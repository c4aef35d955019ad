import { describe, expect, it } from 'vitest';
import { editLines, type LineWish } from '../../../src/modules/ssh/lineinfile.ts';

describe('editLines (lineinfile semantics)', () => {
  const cases: [string, string | undefined, LineWish, string][] = [
    ['appends a missing line', 'a\nb\n', { line: 'c' }, 'a\nb\nc\n'],
    ['second run plans nothing', 'a\nb\nc\n', { line: 'c' }, 'a\nb\nc\n'],
    ['adds the final newline before appending', 'a', { line: 'b' }, 'a\nb\n'],
    ['creates content for a missing file', undefined, { line: 'x=1' }, 'x=1\n'],
    ['replaces the last line matching regexp', 'port=1\nport=2\nz\n', { line: 'port=8080', regexp: /^port=/ }, 'port=1\nport=8080\nz\n'],
    ['replacement: second run plans nothing', 'port=1\nport=8080\nz\n', { line: 'port=8080', regexp: /^port=/ }, 'port=1\nport=8080\nz\n'],
    ['inserts after the last match of insertAfter', '[a]\nx\n[b]\ny\n', { line: 'k=v', insertAfter: /^\[a\]/ }, '[a]\nk=v\nx\n[b]\ny\n'],
    ['insertAfter without a match appends', 'x\n', { line: 'k', insertAfter: /^nope/ }, 'x\nk\n'],
    ['inserts at the beginning', 'x\n', { line: '#!/bin/sh', insertBefore: 'BOF' }, '#!/bin/sh\nx\n'],
    ['inserts before the match', 'a\nend\n', { line: 'b', insertBefore: /^end$/ }, 'a\nb\nend\n'],
    ['removes equal lines', 'a\nb\na\n', { line: 'a', state: 'absent' }, 'b\n'],
    ['removes lines matching regexp', 'a=1\nb\na=2\n', { regexp: /^a=/, state: 'absent' }, 'b\n'],
    ['absent: second run plans nothing', 'b\n', { regexp: /^a=/, state: 'absent' }, 'b\n'],
    ['a global regexp behaves like a plain one', 'p=1\np=2\n', { line: 'p=3', regexp: /^p=/g }, 'p=1\np=3\n'],
  ];
  it.each(cases)('%s', (_name, before, wish, after) => {
    expect(editLines(before, wish)).toBe(after);
  });
});
