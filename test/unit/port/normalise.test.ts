import { describe, expect, it } from 'vitest';
import { parseYamlText, readTasks } from '../../../src/port/ansible/yaml.ts';
import { parseKv, splitArgs } from '../../../src/port/tasks/kv.ts';
import { normalise, type NormTask } from '../../../src/port/tasks/normalise.ts';

function one(yaml: string): NormTask {
  const y = parseYamlText(yaml, 't.yml');
  const n = normalise(readTasks(y, y.root)[0]!);
  if (n.type !== 'task') throw new Error(`not a task: ${n.type}`);
  return n;
}

describe('free-form arguments', () => {
  it.each([
    ['a=1 b="x y" c=\'z\'', ['a=1', 'b="x y"', "c='z'"]],
    ['echo {{ a | default("x y") }} done', ['echo', '{{ a | default("x y") }}', 'done']],
  ])('splits %s', (src, words) => expect(splitArgs(src)).toEqual(words));

  it('separates a command line from its inline options', () => {
    expect(parseKv('kubectl get ns creates=/tmp/x chdir=/srv', new Set(['creates', 'chdir']))).toEqual({
      creates: '/tmp/x',
      chdir: '/srv',
      _raw_params: 'kubectl get ns',
    });
  });
});

describe('task normalisation', () => {
  it.each([
    ['- kubernetes.core.k8s: {state: present}', 'k8s'],
    ['- community.kubernetes.k8s_info: {kind: Pod}', 'k8s_info'],
    ['- ansible.builtin.uri: {url: x}', 'uri'],
    ['- ansible.legacy.command: ls', 'command'],
    ['- include: other.yml', 'include_tasks'],
    ['- k8s_facts: {kind: Pod}', 'k8s_info'],
    ['- community.general.keycloak_client: {client_id: x}', 'keycloak_client'],
  ])('%s → %s', (src, module) => expect(one(src).module).toBe(module));

  it('reads free-form module arguments', () => {
    expect(one('- copy: src=a dest=/b mode=0644').args).toEqual({ src: 'a', dest: '/b', mode: '0644' });
    expect(one('- shell: echo hi > /tmp/x creates=/tmp/x').args).toEqual({ creates: '/tmp/x', _raw_params: 'echo hi > /tmp/x' });
  });

  it('merges args: and reads action/local_action', () => {
    expect(one('- command: ls\n  args: {chdir: /srv}').args).toEqual({ _raw_params: 'ls', chdir: '/srv' });
    const t = one('- local_action: command echo hi');
    expect(t.module).toBe('command');
    expect(t.delegateTo).toBe('localhost');
    expect(t.args).toEqual({ _raw_params: 'echo hi' });
  });

  it('reads every keyword', () => {
    const t = one(`
- name: wait
  uri: {url: "http://x"}
  register: r
  until: r.status == 200
  retries: 5
  delay: 2
  when: [a, "b is defined"]
  failed_when: false
  changed_when: r.status == 201
  ignore_errors: yes
  no_log: true
  delegate_to: localhost
  run_once: true
  become: true
  become_user: app
  tags: [web, api]
  notify: restart web
  vars: {x: 1}
  async: 30
`);
    expect(t).toMatchObject({
      name: 'wait',
      register: 'r',
      until: 'r.status == 200',
      retries: 5,
      delay: 2,
      when: ['a', 'b is defined'],
      failedWhen: [false],
      changedWhen: ['r.status == 201'],
      ignoreErrors: true,
      noLog: true,
      delegateTo: 'localhost',
      runOnce: true,
      become: true,
      becomeUser: 'app',
      tags: ['web', 'api'],
      notify: ['restart web'],
      vars: { x: 1 },
      ignored: ['async'],
    });
  });

  it.each([
    ['- debug: {msg: x}\n  loop: [1, 2]', { keyword: 'loop', var: 'item', shape: 'list' }],
    ['- debug: {msg: x}\n  with_items: "{{ xs }}"', { keyword: 'with_items', items: '{{ xs }}', shape: 'flatten' }],
    ['- debug: {msg: x}\n  with_dict: "{{ d }}"', { keyword: 'with_dict', shape: 'dict' }],
    ['- debug: {msg: x}\n  loop: [1]\n  loop_control: {loop_var: port, label: "{{ port }}"}', { var: 'port', label: '{{ port }}' }],
  ])('loop %#', (src, expected) => expect(one(src).loop).toMatchObject(expected));

  it('keeps blocks with rescue and always, each task with its own text', () => {
    const y = parseYamlText('- name: guarded\n  block:\n    - command: a\n  rescue:\n    - command: b\n  always:\n    - command: c\n  when: x\n', 't.yml');
    const b = normalise(readTasks(y, y.root)[0]!);
    expect(b.type).toBe('block');
    if (b.type !== 'block') return;
    expect(b.when).toEqual(['x']);
    expect(b.rescue[0]?.source.text).toBe('- command: b');
    expect(b.always[0]?.type).toBe('task');
  });

  it('reports a task with two module keys', () => {
    const y = parseYamlText('- copy: {src: a}\n  template: {src: b}\n', 't.yml');
    expect(normalise(readTasks(y, y.root)[0]!)).toMatchObject({ type: 'broken' });
  });
});
