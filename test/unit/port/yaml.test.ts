import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProject } from '../../../src/port/ansible/read.ts';
import { parseYamlText } from '../../../src/port/ansible/yaml.ts';

/** YAML as PyYAML (Ansible's reader) reads it, where the yaml library is stricter or differs. */
describe('parseYamlText', () => {
  it.each([
    {
      name: 'a double-quoted scalar whose last line is indented like its key',
      text: '- set_fact:\n    x: "{{ [] +\n      [1]\n    }}"\n- name: next\n',
      value: [{ set_fact: { x: '{{ [] + [1] }}' } }, { name: 'next' }],
    },
    {
      name: 'a single-quoted scalar continued at column 0',
      text: "a:\n  b: 'one\ntwo'\n  c: 1\n",
      value: { a: { b: 'one two', c: 1 } },
    },
    {
      name: 'an escaped quote inside the continued scalar',
      text: 'k:\n  m: "say \\"hi\n  there\\""\n',
      value: { k: { m: 'say "hi there"' } },
    },
    { name: 'a literal block ending the file without a line break', text: 'a: |\n  x\n  y', value: { a: 'x\ny' } },
    { name: 'a literal block ending the file with a line break', text: 'a: |\n  x\n', value: { a: 'x\n' } },
    { name: 'a kept block ending the file without a line break', text: 'a: |+\n  x', value: { a: 'x' } },
  ])('$name', ({ text, value }) => {
    expect(parseYamlText(text, 'f.yaml').value).toEqual(value);
  });

  it('still refuses YAML that PyYAML refuses too (an unquoted {{ starting a value)', () => {
    expect(() => parseYamlText('- shell: {{ x }} get pods\n  register: r\n', 'bad.yaml')).toThrow(/bad\.yaml/);
  });
});

describe('readProject on a folder of roles', () => {
  it('reads roles nested a level down, named by their path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-roles-'));
    for (const role of ['keycloak/keycloak_client', 'httproute']) {
      mkdirSync(join(dir, role, 'tasks'), { recursive: true });
      writeFileSync(join(dir, role, 'tasks', 'main.yaml'), '- name: t\n  debug:\n    msg: hi\n');
    }
    const p = readProject(dir);
    expect([...p.roles.keys()].sort()).toEqual(['httproute', 'keycloak/keycloak_client']);
  });
});
