import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import { render, TemplateError } from '../../../src/modules/template/index.ts';

const secret = new Secret('hunter2-render');

describe('render', () => {
  const rows: { name: string; text: string; vars: Record<string, unknown>; out?: string; error?: RegExp }[] = [
    { name: 'plain variables, no HTML escaping', text: 'host={{host}} q={{q}}', vars: { host: 'a.b', q: '<&>' }, out: 'host=a.b q=<&>' },
    { name: 'nested path and @root', text: '{{db.port}}/{{@root.db.name}}', vars: { db: { port: 5432, name: 'x' } }, out: '5432/x' },
    { name: 'b64 and quote', text: '{{b64 s}} {{quote s}}', vars: { s: 'a"b' }, out: 'YSJi "a\\"b"' },
    { name: 'json', text: '{{json o}}', vars: { o: { a: [1, 'x'] } }, out: '{"a":[1,"x"]}' },
    {
      name: 'yaml under a key with indent',
      text: 'labels:\n  {{indent 2 (yaml l)}}\n',
      vars: { l: { app: 'x', tier: 'web' } },
      out: 'labels:\n  app: x\n  tier: web\n',
    },
    {
      name: 'a Secret renders as its value',
      text: 'pw={{pw}} b64={{b64 pw}}',
      vars: { pw: secret },
      out: `pw=hunter2-render b64=${Buffer.from('hunter2-render').toString('base64')}`,
    },
    { name: 'null renders empty', text: '[{{x}}]', vars: { x: null }, out: '[]' },
    { name: 'undefined variable', text: 'a\n  {{missing}}', vars: {}, error: /template "t\.hbs": undefined variable "missing" \(line 2, column 5\)/ },
    { name: 'undefined nested variable names the full path', text: '{{db.user}}', vars: { db: {} }, error: /undefined variable "db\.user"/ },
    { name: 'a property set to undefined is undefined', text: '{{x}}', vars: { x: undefined }, error: /undefined variable "x"/ },
    { name: 'undefined variable inside a helper call', text: '{{b64 (json nope)}}', vars: {}, error: /undefined variable "nope"/ },
    { name: 'unknown helper', text: '{{upper name}}', vars: { name: 'x' }, error: /unknown helper "upper"/ },
    { name: 'built-in helpers are not available', text: '{{lookup a "b"}}', vars: { a: {} }, error: /unknown helper "lookup"/ },
    { name: 'wrong argument count', text: '{{indent 2}}', vars: {}, error: /helper "indent" takes 2 arguments, got 1/ },
    { name: 'blocks are control flow', text: '{{#if x}}y{{/if}}', vars: { x: true }, error: /block "#if" is control flow/ },
    { name: 'each is control flow', text: '{{#each xs}}{{this}}{{/each}}', vars: { xs: [1] }, error: /block "#each" is control flow/ },
    { name: 'partials are rejected', text: '{{> header}}', vars: {}, error: /partial ">header" is control flow/ },
    { name: 'syntax error', text: '{{x}', vars: { x: 1 }, error: /template "t\.hbs": syntax error: Parse error on line 1/ },
    { name: 'helper given an object', text: '{{b64 o}}', vars: { o: {} }, error: /b64: takes a string, number or boolean/ },
  ];

  it.each(rows)('$name', ({ text, vars, out, error }) => {
    const run = () => render({ text, name: 't.hbs' }, vars);
    if (error) {
      expect(run).toThrow(TemplateError);
      expect(run).toThrow(error);
    } else {
      expect(run()).toBe(out);
    }
  });

  it('reports every undefined variable at once', () => {
    const err = (() => {
      try {
        render({ text: '{{a}} {{b}} {{c.d}}', name: 'many' }, { c: {} });
      } catch (e) {
        return e as TemplateError;
      }
      throw new Error('expected an error');
    })();
    expect(err.issues).toEqual([
      'template "many": undefined variable "a" (line 1, column 3)',
      'template "many": undefined variable "b" (line 1, column 9)',
      'template "many": undefined variable "c.d" (line 1, column 15)',
    ]);
  });

  it('rejects a relative src and names a missing file', () => {
    expect(() => render({ src: 'x.hbs' }, {})).toThrow(/src is relative/);
    expect(() => render({ src: '/nonexistent/x.hbs' }, {})).toThrow(/template "\/nonexistent\/x\.hbs": cannot read the template: ENOENT/);
  });

  it('an error never carries a secret value', () => {
    try {
      render({ text: '{{quote pw}} {{nope}}', name: 'hunter2-render' }, { pw: secret });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2-render');
    }
  });
});
