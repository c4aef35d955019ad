import { describe, expect, it } from 'vitest';
import { print, raw } from '../../../src/port/emit/code.ts';
import { coerce } from '../../../src/port/emit/host.ts';
import { Imports } from '../../../src/port/emit/imports.ts';
import { T, type PType } from '../../../src/port/ptype.ts';

/** A role argument converted to the type of the parameter it is passed to. */
describe('coerce (role arguments)', () => {
  it.each<[string, PType, PType, string]>([
    ['text to a boolean parameter reads like | bool', T.string, T.boolean, '/^(true|yes|on|1)$/i.test(v.x)'],
    ['text to a Secret parameter', T.string, T.secret, 'new Secret(v.x)'],
    ['a boolean to a string parameter', T.boolean, T.string, 'String(v.x)'],
    ['a Secret to a string parameter', T.secret, T.string, 'v.x.reveal()'],
    ['text to a number parameter', T.string, T.number, 'Number(v.x)'],
    ['the same type is passed as is', T.string, T.string, 'v.x'],
    ['an unknown type is passed as is', T.any, T.boolean, 'v.x'],
  ])('%s', (_t, from, to, out) => {
    expect(print(coerce({ code: raw('v.x'), ctx: false, type: from }, to, new Imports()))).toBe(out);
  });
});
