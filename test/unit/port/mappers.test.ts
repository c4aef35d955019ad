import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { port } from '../../../src/port/index.ts';
import type { Outcome } from '../../../src/port/report.ts';

/** Ports one task in a one-play playbook and returns the generated playbook and the outcome. */
function portTask(task: string, o: { hosts?: string; extra?: Record<string, string> } = {}): { code: string; outcome: Outcome; todo?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'helix-port-'));
  const body = task
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  writeFileSync(join(dir, 'play.yml'), `- hosts: ${o.hosts ?? 'localhost'}\n  tasks:\n${body}\n`);
  for (const [f, text] of Object.entries(o.extra ?? {})) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  const { report, files } = port(dir, join(dir, 'out'), { component: 't', dryRun: true });
  const code = files.get('playbooks/t/10_play.ts') ?? '';
  const f = report.files.find((x) => x.file === 'play.yml')!;
  const outcome = (['mapped', 'inlined', 'wrapped', 'debug', 'dropped', 'todo'] as const).find((k) => f[k] > 0)!;
  return { code, outcome, ...(f.todos[0] ? { todo: f.todos[0].reason } : {}) };
}

type Row = [title: string, task: string, outcome: Outcome, contains: string[], opts?: { hosts?: string; extra?: Record<string, string> }];

const rows: Row[] = [
  // kubernetes.core.k8s
  [
    'k8s definition → k8s.apply',
    '- k8s: {state: present, definition: {apiVersion: v1, kind: Namespace, metadata: {name: x}}}',
    'mapped',
    ["k8s.apply('k8s', {", "manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }"],
  ],
  [
    'k8s kind/name → minimal manifest',
    '- kubernetes.core.k8s: {kind: Namespace, name: x}',
    'mapped',
    ["manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }"],
  ],
  [
    'k8s absent → k8s.remove',
    '- k8s: {state: absent, kind: Deployment, name: web, namespace: apps}',
    'mapped',
    ['k8s.remove(', "apiVersion: 'apps/v1'", "namespace: 'apps'", 'wait: false'],
  ],
  [
    'k8s wait → apply wait',
    '- k8s: {definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: n}}, wait: yes, wait_timeout: 60}',
    'mapped',
    ['wait: { timeoutMs: 60000 }'],
  ],
  [
    'k8s src file',
    '- k8s: {src: files/cm.yaml}',
    'mapped',
    ["file: new URL('./files/cm.yaml', import.meta.url)"],
    { extra: { 'files/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' } },
  ],
  ['k8s patched is a TODO', '- k8s: {state: patched, kind: Namespace, name: x}', 'todo', ['TODO(port): module-args']],
  // k8s_info
  [
    'k8s_info by name → k8s.get',
    '- k8s_info: {kind: Pod, name: p, namespace: n}\n  register: r',
    'mapped',
    ["const r = k8s.get('k8s-info', { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'n' })"],
  ],
  [
    'k8s_info wait → k8s.wait',
    '- k8s_info: {kind: Deployment, name: d, namespace: n, wait: true, wait_condition: {type: Available}}',
    'mapped',
    ['k8s.wait(', "for: { condition: 'Available' }"],
  ],
  [
    'k8s_info with selectors → k8s.list',
    '- k8s_info: {kind: Pod, namespace: n, label_selectors: [app=x, "tier={{ ns }}"]}\n  register: pods\n- debug: {msg: "{{ pods.resources[0].metadata.name }}"}',
    'mapped',
    ["const pods = k8s.list('k8s-info', {", 'labelSelector: `app=x,tier=${v.ns}`', 'ctx.result(pods)[0]!.metadata.name'],
  ],
  ['k8s_info without a name → k8s.list', '- k8s_info: {kind: Namespace}', 'mapped', ["k8s.list('k8s-info', { apiVersion: 'v1', kind: 'Namespace' })"]],
  ['k8s_info waiting on a selection is a TODO', '- k8s_info: {kind: Pod, namespace: n, label_selectors: [app=x], wait: true}', 'todo', ['module-args']],
  // uri
  [
    'uri GET → http.request (read-only)',
    '- uri: {url: "https://x.test/health", status_code: [200, 204]}',
    'mapped',
    ["http.request('uri', { url: 'https://x.test/health', expect: { status: [200, 204] } })"],
  ],
  [
    'uri POST json → idempotent: false',
    '- uri: {url: "https://x.test/api", method: POST, body_format: json, body: {a: 1}}',
    'mapped',
    ["method: 'POST'", 'body: { a: 1 }', 'idempotent: false'],
  ],
  ['uri POST creates → unless', '- uri: {url: "https://x.test/api", method: POST, creates: /tmp/done}', 'mapped', ["unless: () => existsSync('/tmp/done')"]],
  [
    'uri until status → http.waitUntil',
    '- uri: {url: "https://x.test/"}\n  register: r\n  until: r.status == 200\n  retries: 10\n  delay: 2',
    'mapped',
    ['http.waitUntil(', 'timeoutMs: 20000', 'intervalMs: 2000'],
  ],
  // Keycloak over uri
  [
    'Keycloak token + client → keycloak.client',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}}
  register: tok
- uri:
    url: "https://kc.test/admin/realms/r1/clients"
    method: POST
    headers: {Authorization: "Bearer {{ tok.json.access_token }}"}
    body_format: json
    body: {clientId: app, publicClient: false, redirectUris: ["https://app.test/cb"]}
    status_code: [201, 409]`,
    'mapped',
    [
      "const tokAdmin: keycloak.KeycloakAdmin = { url: 'https://kc.test', username: 'admin', password: v.kc_pw }",
      "keycloak.client('uri-2', {",
      "clientId: 'app'",
      "redirectUris: ['https://app.test/cb']",
    ],
  ],
  [
    'Keycloak user search → keycloak.findUsers; its json is the list (a token request under when: the connection)',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}}
  register: tok
  when: kc_enabled | bool
- uri: {url: "https://kc.test/admin/realms/r1/users?username={{ who }}&exact=true", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, status_code: 200}
  register: found
- fail: {msg: none}
  when: found.json | length != 1
- set_fact: {uid: "{{ found.json[0].id }}"}
- debug: {msg: "{{ uid }}"}`,
    'mapped',
    [
      "const found = keycloak.findUsers('uri-2', { admin: tokAdmin, realm: 'r1', username: v.who })",
      'when: (ctx) => ctx.result(found).length !== 1',
      'ctx.result(found)[0]?.id',
    ],
  ],
  [
    'Keycloak role read → keycloak.getRealmRole: status 404 when missing; status_code 200 alone → required',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}}
  register: tok
  when: kc_enabled | bool
- uri: {url: "https://kc.test/admin/realms/r1/roles/{{ role }}", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, status_code: [200, 404]}
  register: rc
- uri: {url: "https://kc.test/admin/realms/r1/roles", method: POST, headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, body_format: json, body: {name: "{{ role }}"}}
  when: rc.status == 404
- uri: {url: "https://kc.test/admin/realms/r1/roles/{{ role }}", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}}
  register: again`,
    'mapped',
    [
      "const rc = keycloak.getRealmRole('uri-2', { admin: tokAdmin, realm: 'r1', role: v.role })",
      'when: (ctx) => (ctx.result(rc) ? 200 : 404) === 404',
      'required: true',
    ],
  ],
  [
    'Keycloak group and client-scope lists → keycloak.listGroups / listClientScopes',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}}
  register: tok
  when: kc_enabled | bool
- uri: {url: "https://kc.test/admin/realms/r1/groups?search=admins", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}}
  register: gs
- uri: {url: "https://kc.test/admin/realms/r1/client-scopes", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}}
  register: cs`,
    'mapped',
    [
      "keycloak.listGroups('uri-2', { admin: tokAdmin, realm: 'r1', search: 'admins' })",
      "keycloak.listClientScopes('uri-3', { admin: tokAdmin, realm: 'r1' })",
    ],
  ],
  [
    'a Keycloak read accepting other statuses stays a TODO',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}}
  register: tok
  when: kc_enabled | bool
- uri: {url: "https://kc.test/admin/realms/r1/groups", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, status_code: [200, 401]}`,
    'inlined',
    ['module-args: a Keycloak read accepting status 401'],
  ],
  [
    'Keycloak client body given as one value (POST and PUT by id) → keycloak.client with keycloak.clientFields',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}}
  register: tok
- uri: {url: "https://kc.test/admin/realms/r1/clients?clientId={{ cid }}", headers: {Authorization: "Bearer {{ tok.json.access_token }}"}}
  register: existing
- uri: {url: "https://kc.test/admin/realms/r1/clients", method: POST, headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, body_format: json, body: "{{ client_body }}"}
- uri: {url: "https://kc.test/admin/realms/r1/clients/{{ existing.json[0].id }}", method: PUT, headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, body_format: json, body: "{{ client_body | to_json }}"}`,
    'mapped',
    [
      "keycloak.client('uri-3', { admin: tokAdmin, realm: 'r1', ...keycloak.clientFields(v.client_body) })",
      "keycloak.client('uri-4', { admin: tokAdmin, realm: 'r1', ...keycloak.clientFields(v.client_body) })",
    ],
  ],
  [
    'Keycloak group POST → keycloak.group (location names its id); a fail on the token status never fails',
    `- uri: {url: "https://kc.test/realms/master/protocol/openid-connect/token", method: POST, body_format: form-urlencoded, body: {client_id: admin-cli, username: admin, password: "{{ kc_pw }}", grant_type: password}, status_code: [200, 401]}
  register: tok
- fail: {msg: "no token"}
  when: tok.status != 200
- uri: {url: "https://kc.test/admin/realms/r1/groups", method: POST, headers: {Authorization: "Bearer {{ tok.json.access_token }}"}, body_format: json, body: {name: admins, attributes: {description: ["Admins"]}}, status_code: [201, 409]}
  register: g
- set_fact: {gid: "{{ g.location.split('/')[-1] }}"}
- debug: {msg: "{{ gid }}"}`,
    'mapped',
    [
      "const g = keycloak.group('uri-2', {",
      "group: 'admins',",
      "attributes: { description: ['Admins'] },",
      '// never fails: when: tok.status != 200 is always false in helix',
      '`${tokAdmin.url}/admin/realms/r1/groups/${ctx.result(g).id}`',
    ],
  ],
  [
    'systemd enabled + daemon_reload → ssh.service enabled / daemonReload',
    '- systemd: {name: node-sync.timer, enabled: true, state: started, daemon_reload: true}\n  become: true',
    'mapped',
    ["service: 'node-sync.timer',", "state: 'started',", 'enabled: true,', 'daemonReload: true,', 'become: true,'],
    { hosts: 'web' },
  ],
  ['systemd daemon_reload without a unit stays a TODO', '- systemd: {daemon_reload: true}', 'todo', ['module-args'], { hosts: 'web' }],
  // template / files / lineinfile
  [
    'template → ssh.template with .hbs',
    '- template: {src: a.conf.j2, dest: /etc/a.conf, mode: "0600"}',
    'mapped',
    ["ssh.template('template', {", "src: new URL('./templates/a.conf.hbs', import.meta.url)", "mode: '0600'"],
    { hosts: 'web', extra: { 'templates/a.conf.j2': 'port={{ port }}\n' } },
  ],
  [
    'copy content → ssh.file',
    '- copy: {content: "x\\n", dest: /etc/x, mode: 0644}',
    'mapped',
    ["ssh.file('copy', { path: '/etc/x', content: 'x\\n', mode: '0644' })"],
    { hosts: 'web' },
  ],
  [
    'copy src → ssh.copy',
    '- copy: {src: a.txt, dest: /etc/a.txt}',
    'mapped',
    ["ssh.copy('copy', { src: new URL('./files/a.txt', import.meta.url), dest: '/etc/a.txt' })"],
    { hosts: 'web', extra: { 'files/a.txt': 'a\n' } },
  ],
  [
    'template src under playbook_dir (known while porting) → ssh.template',
    '- template: {src: "{{ tpl_dir }}/a.conf.j2", dest: /etc/a.conf}',
    'mapped',
    ["src: new URL('./templates/a.conf.hbs', import.meta.url)"],
    { hosts: 'web\n  vars: {tpl_dir: "{{ playbook_dir }}/tpl"}', extra: { 'tpl/a.conf.j2': 'port={{ port }}\n' } },
  ],
  [
    'template src from a variable of the inventory stays a TODO',
    '- template: {src: "{{ somewhere }}/a.conf.j2", dest: /etc/a.conf}',
    'todo',
    ['module-args'],
    { hosts: 'web' },
  ],
  [
    'copy of the content of a folder (trailing /) → ssh.copy of the copied folder',
    '- copy: {src: "{{ playbook_dir }}/d/", dest: /srv/d/}',
    'mapped',
    ["src: new URL('./files/d/', import.meta.url)"],
    { hosts: 'web', extra: { 'd/x.txt': 'x\n' } },
  ],
  [
    'copy of a folder itself (no trailing /) is a TODO',
    '- copy: {src: d, dest: /srv}',
    'todo',
    ['module-args'],
    { hosts: 'web', extra: { 'files/d/x.txt': 'x\n' } },
  ],
  [
    'file directory → ssh.file',
    '- file: {path: /srv/x, state: directory, owner: app}',
    'mapped',
    ["ssh.file('file', { path: '/srv/x', state: 'directory', owner: 'app' })"],
    { hosts: 'web' },
  ],
  ['file link is a TODO', '- file: {src: /a, dest: /b, state: link}', 'todo', ['module-args'], { hosts: 'web' }],
  [
    'lineinfile → ssh.line',
    "- lineinfile: {path: /etc/hosts, regexp: '^10\\.0', line: 10.0.0.1 x}",
    'mapped',
    ["ssh.line('lineinfile', { path: '/etc/hosts', line: '10.0.0.1 x', regexp: /^10\\.0/ })"],
    { hosts: 'web' },
  ],
  // command / shell
  ['command local → exec.run (not idempotent)', '- command: echo hi', 'mapped', ["exec.run('command', { argv: ['echo', 'hi'], idempotent: false })"]],
  [
    'command creates → creates',
    '- command: make install chdir=/src creates=/usr/bin/x',
    'mapped',
    ["argv: ['make', 'install']", "cwd: '/src'", "creates: '/usr/bin/x'"],
  ],
  [
    'command changed_when false → exec.query',
    '- command: kubectl version\n  changed_when: false',
    'mapped',
    ["exec.query('command', { argv: ['kubectl', 'version'] })"],
  ],
  [
    'command on a host → ssh.exec',
    '- command: systemctl is-active x\n  args: {creates: /x}',
    'mapped',
    ["ssh.exec('command', { argv: ['systemctl', 'is-active', 'x'], creates: '/x' })"],
    { hosts: 'web' },
  ],
  [
    'shell line continuations → one command (sh joins them)',
    '- shell: |\n    kubectl exec -n db pod-0 -- \\\n      psql -c "SELECT 1;"',
    'mapped',
    ["argv: ['kubectl', 'exec', '-n', 'db', 'pod-0', '--', 'psql', '-c', 'SELECT 1;']"],
  ],
  ['folded command: > (shlex: newlines are spaces)', '- command: >\n    helm version\n    --short', 'mapped', ["argv: ['helm', 'version', '--short']"]],
  ['double quotes keep a backslash before other characters', '- shell: grep "a\\.b" /etc/x', 'mapped', ["argv: ['grep', 'a\\\\.b', '/etc/x']"]],
  ['a word that may render to nothing stays with the shell', "- shell: podman build {{ extra | default('') }} .", 'wrapped', ["'/bin/sh', '-c'"]],
  ['command with a backslash-newline is refused (shlex keeps it)', '- command: |\n    a \\\n    b', 'todo', ['module-args']],
  [
    'ansible_env.HOME on a host → an ssh.facts step read through ctx',
    '- file: {path: "{{ ansible_env.HOME }}/x", state: directory}',
    'mapped',
    ["const facts = ssh.facts('gather-facts');", 'path: (ctx) => `${ctx.result(facts).home}/x`', 'tasks: [facts, file]'],
    { hosts: 'web' },
  ],
  [
    "ansible_facts['architecture'] → facts.arch",
    "- command: echo {{ ansible_facts['architecture'] }}",
    'mapped',
    ["argv: (ctx) => ['echo', ctx.result(facts).arch]"],
    { hosts: 'web' },
  ],
  [
    "facts gathered under the play's become are root's: a TODO",
    '- file: {path: "{{ ansible_env.HOME }}/x", state: directory}',
    'todo',
    ['gathered-facts'],
    { hosts: 'web\n  become: true' },
  ],
  [
    'pip into a virtualenv under the home fact',
    '- pip: {name: build, virtualenv: "{{ ansible_env.HOME }}/.venv"}',
    'mapped',
    ["pip: (ctx) => [`${ctx.result(facts).home}/.venv/bin/python`, '-m', 'pip']"],
    { hosts: 'web' },
  ],
  ['shell script is kept (not counted as mapped)', '- shell: ps aux | grep x', 'wrapped', ["argv: ['/bin/sh', '-c', 'ps aux | grep x']"]],
  [
    'kubectl delete → k8s.remove',
    '- command: kubectl delete deployment web -n apps --ignore-not-found',
    'mapped',
    ["k8s.remove('command', {", "kind: 'Deployment'"],
  ],
  [
    'kubectl rollout status → k8s.wait',
    '- command: kubectl rollout status deployment/web -n apps --timeout=120s',
    'mapped',
    ["for: 'rollout'", 'timeoutMs: 120000'],
  ],
  ['helm repo update is dropped', '- command: helm repo update', 'dropped', ['helm repo update']],
  // set_fact, debug, assert, fail, pause, wait_for
  ['set_fact → const', '- set_fact: {url: "http://{{ host }}:80"}', 'inlined', ['const url = `http://${v.host}:80`;']],
  [
    'debug of an untranslatable message → a log line showing its source, counted apart',
    '- debug: {msg: "{{ hostvars[\'a\'].x }}"}',
    'debug',
    ["debug('debug', {", "msg: () => 'not translated (hostvars: hostvars: another host\\'s variables"],
  ],
  [
    "debug reading a TODO's register: the TODO refuses, the debug logs",
    '- blockinfile: {path: /x, block: y}\n  register: b\n- debug: {msg: "{{ b.changed }}"}',
    'debug',
    ["todo('todo-blockinfile'", 'not translated (register-attribute: b is registered by a task that is a TODO'],
    { hosts: 'web' },
  ],
  ['debug with failed_when is an assertion: still a TODO', '- debug: {msg: "{{ hostvars[\'a\'].x }}"}\n  failed_when: true', 'todo', ['TODO(port): hostvars']],
  ['debug → lib debug, counted apart', '- debug: {msg: "hello {{ name }}"}', 'debug', ["debug('debug', { msg: () => `hello ${v.name}` })"]],
  [
    'assert on variables → validation',
    '- assert: {that: [port > 0], fail_msg: bad port}',
    'inlined',
    ["if (!(v.port > 0)) throw new ConfigError('bad port', 'assert');"],
  ],
  [
    'assert on results → lib check',
    '- command: id\n  register: r\n  changed_when: false\n- assert: {that: "r.rc == 0"}',
    'mapped',
    ["check('assert', { that: (ctx) => ctx.result(r).exitCode === 0"],
  ],
  [
    'fail with a condition on variables → validation',
    '- fail: {msg: stop}\n  when: mode == "x"',
    'inlined',
    ["if (v.mode === 'x') throw new ConfigError('stop', 'fail');"],
  ],
  ['pause → lib pause', '- pause: {seconds: 3}', 'mapped', ["pause('pause', { ms: 3000 })"]],
  ['pause with a prompt is a TODO', '- pause: {prompt: continue?}', 'todo', ['module-args']],
  [
    'wait_for port → lib waitForPort',
    '- wait_for: {host: db, port: 5432, timeout: 30}',
    'mapped',
    ["waitForPort('wait-for', { host: 'db', port: 5432, timeoutMs: 30000 })"],
  ],
  // packages, services, helm
  [
    'apt → ssh.pkg',
    '- apt: {name: [curl, jq], update_cache: yes}',
    'mapped',
    ["ssh.pkg('apt', { names: ['curl', 'jq'], manager: 'apt', updateCache: true })"],
    { hosts: 'web' },
  ],
  ['pip → ssh.pkg pip', '- pip: {name: requests, version: "2.32.3"}', 'mapped', ['names: [`requests==2.32.3`]', "manager: 'pip'"], { hosts: 'web' }],
  [
    'service restarted → ssh.service',
    '- service: {name: nginx, state: restarted}',
    'mapped',
    ["ssh.service('service', { service: 'nginx', state: 'restarted' })"],
    { hosts: 'web' },
  ],
  [
    'systemd enabled → ssh.service enabled',
    '- systemd: {name: nginx, enabled: yes}',
    'mapped',
    ["ssh.service('systemd', { service: 'nginx', enabled: true })"],
    { hosts: 'web' },
  ],
  [
    'helm → helm.release',
    '- kubernetes.core.helm: {name: web, chart_ref: bitnami/nginx, chart_repo_url: "https://charts.test", chart_version: 1.2.3, release_namespace: web, values: {replicaCount: 2}}',
    'mapped',
    ["helm.release('web', {", "chart: 'bitnami/nginx'", "version: '1.2.3'", 'values: { replicaCount: 2 }'],
  ],
  [
    'helm absent → helm.uninstall',
    '- kubernetes.core.helm: {name: web, release_namespace: web, release_state: absent}',
    'mapped',
    ["helm.uninstall('web', { namespace: 'web' })"],
  ],
  // tempfile, slurp
  [
    'tempfile → mktemp',
    '- tempfile: {state: directory}\n  register: t',
    'mapped',
    ["exec.run('tempfile', { argv: ['mktemp', '-d', '/tmp/ansible.XXXXXXXX'], idempotent: false })"],
  ],
  [
    'slurp on a host → ssh.query base64',
    '- slurp: {src: /etc/k.conf}\n  register: s\n  become: true\n- copy: {content: "{{ s.content | b64decode }}", dest: /tmp/k}',
    'mapped',
    ["ssh.query('slurp', { argv: ['base64', '-w0', '/etc/k.conf'], become: true })", "Buffer.from(ctx.result(s).stdout, 'base64')"],
    { hosts: 'web' },
  ],
  [
    'stat → ssh.stat, failed_when as a check after it',
    '- ansible.builtin.stat: {path: /usr/local/bin/helm}\n  register: h\n  failed_when: not h.stat.exists\n- command: helm version\n  when: h.stat.isdir',
    'mapped',
    [
      "const h = ssh.stat('stat', { path: '/usr/local/bin/helm' })",
      'that: (ctx) => !!ctx.result(h).exists',
      "when: (ctx) => (ctx.result(h).type === 'directory')",
    ],
    { hosts: 'web' },
  ],
  ['stat checksum is a TODO', '- stat: {path: /x}\n  register: h\n- debug: {msg: "{{ h.stat.checksum }}"}', 'mapped', ['register-attribute'], { hosts: 'web' }],
  [
    'lineinfile owner is a TODO (ssh.line sets no owner)',
    '- lineinfile: {path: /etc/x, line: a, owner: app}',
    'todo',
    ['module-args', 'owner: not translated'],
    { hosts: 'web' },
  ],
  ['slurp locally → exec.query', '- slurp: {src: /etc/hostname}\n  register: s', 'mapped', ["exec.query('slurp', { argv: ['cat', '/etc/hostname'] })"]],
  // commands on hosts: changed_when / failed_when on the output
  [
    'host command changed_when false → ssh.query',
    '- command: kubectl get nodes\n  changed_when: false',
    'mapped',
    ["ssh.query('command', { argv: ['kubectl', 'get', 'nodes'] })"],
    { hosts: 'web' },
  ],
  [
    'host command changed_when → ssh.exec changedWhen',
    '- command: kubectl apply -f x.yaml\n  register: r\n  changed_when: "\'configured\' in r.stdout"',
    'mapped',
    ["changedWhen: (out) => out.stdout.includes('configured')"],
    { hosts: 'web' },
  ],
  [
    'host command failed_when → ssh.exec failedWhen',
    "- command: systemctl is-active x\n  register: r\n  failed_when: r.rc != 0 and 'inactive' not in r.stdout",
    'mapped',
    ["failedWhen: (out) => out.code !== 0 && !out.stdout.includes('inactive')"],
    { hosts: 'web' },
  ],
  // a looped register: results carry their item
  [
    'loop register results[].item',
    "- command: cat /etc/{{ item }}\n  loop: [a, b]\n  register: r\n  changed_when: false\n- debug: {msg: \"{{ r.results | selectattr('stdout', 'equalto', '') | map(attribute='item') | list }}\"}",
    'mapped',
    [
      "r.map((t, i) => { const r = ctx.result(t); return { ...r, rc: r.exitCode, stdout_lines: r.stdout.split('\\n'), stderr_lines: r.stderr.split('\\n'), item: ['a', 'b'][i]! }; }).filter((x: any) => x.stdout === '').map((x: any) => x.item)",
    ],
  ],
  // failed_when on a read: a check right after it
  [
    'k8s_info failed_when → k8s.get then lib check',
    '- k8s_info: {kind: Secret, name: s, namespace: n}\n  register: s\n  failed_when: s.resources | length == 0',
    'mapped',
    [
      "k8s.get('k8s-info', {",
      "check('k8s-info-failed-when', {",
      'that: (ctx) => !((ctx.result(s) ? [ctx.result(s)] : []).length === 0)',
      "message: 'failed_when: s.resources | length == 0'",
    ],
  ],
  // kubectl apply from a heredoc, both spellings
  [
    'cat heredoc piped to kubectl apply → k8s.apply',
    "- shell: |\n    cat <<'EOF' | {{ kubectl_bin }} apply -f -\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c, namespace: '{{ ns }}'}\n    EOF\n  environment: {KUBECONFIG: /k}",
    'mapped',
    ["k8s.apply('shell', {", 'kind: ConfigMap', "namespace: '${v.ns}'"],
    { hosts: 'web' },
  ],
  [
    'unquoted heredoc with shell expansion stays shell',
    '- shell: |\n    cat <<EOF | kubectl apply -f -\n    data: $HOME\n    EOF',
    'wrapped',
    ["'/bin/sh'"],
    { hosts: 'web' },
  ],
  // a TODO fails closed: a lib todo step whose validation refuses the playbook
  [
    'a TODO is a step that refuses validation',
    '- community.general.ufw: {rule: allow}',
    'todo',
    ["todo('todo-community-general-ufw', {", "reason: 'module-unsupported'"],
  ],
  // include_role
  ['include_role of a missing role is a TODO', '- include_role: {name: nowhere}', 'todo', ['role-missing']],
  [
    'include_role of a tasks_from the role lacks is a TODO',
    '- include_role: {name: r, tasks_from: nope}',
    'todo',
    ['role-missing', 'role r has no tasks/nope.yml'],
    { extra: { 'roles/r/tasks/main.yml': '- debug: {msg: hi}\n' } },
  ],
  // generateName: the server names a new object each run; helix applies by name
  [
    'k8s with metadata.generateName is a TODO',
    '- k8s: {state: present, definition: {apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {generateName: t-, namespace: n}}}',
    'todo',
    ['module-args', 'metadata.generateName t-: helix applies objects by name'],
  ],
  // ansible_check_mode reads false (decision 042): its placeholders are never set
  [
    'a task when: ansible_check_mode is dropped',
    '- set_fact: {uuid: check-mode-uuid}\n  when: ansible_check_mode',
    'dropped',
    ['// never runs: when: ansible_check_mode is always false (ansible_check_mode reads false, decision 042):'],
  ],
  [
    'when: not ansible_check_mode is no condition',
    '- command: echo a\n  when: not ansible_check_mode',
    'mapped',
    ["exec.run('command', { argv: ['echo', 'a'], idempotent: false });"],
  ],
  // delegate_to another host
  [
    'delegate_to a templated host in a loop → ssh.delegateTo per item',
    '- apt: {name: podman, state: present}\n  become: true\n  delegate_to: "{{ item.value }}"\n  loop: "{{ build_nodes | dict2items }}"\n  loop_control: {label: "{{ item.key }}"}',
    'mapped',
    [
      'Object.entries(v.build_nodes).map(([key, value]) => ({ key, value })).map(item => ssh.delegateTo(',
      'String(item.value),',
      "ssh.pkg(`apt-${String(item.key).replace(/[^A-Za-z0-9._-]+/g, '-')}`, {",
    ],
    { hosts: 'web' },
  ],
  [
    'delegate_to a named host → ssh.delegateTo',
    '- file: {path: /etc/containers, state: directory}\n  delegate_to: builder',
    'mapped',
    ["ssh.delegateTo('builder', ssh.file('file', { path: '/etc/containers', state: 'directory' }))"],
    { hosts: 'web' },
  ],
  [
    'delegate_to another host from a localhost play → a host task there',
    '- command: podman info\n  delegate_to: "{{ builder }}"\n  changed_when: false',
    'mapped',
    ["ssh.delegateTo(v.builder, ssh.query('command', { argv: ['podman', 'info'] }))"],
  ],
  [
    "delegate_to the first host of a group: groups['x'] is no hosts when the inventory has no such group",
    '- stat: {path: /root/.ssh/id_ed25519}\n  delegate_to: "{{ groups[\'management\'][0] }}"\n  register: key',
    'mapped',
    ["ssh.delegateTo((env.groups['management'] ?? [])[0]!, ssh.stat('stat', { path: '/root/.ssh/id_ed25519' }))"],
    { hosts: 'web' },
  ],
  [
    'a host task delegated to localhost from a play on hosts → ssh.delegateTo localhost',
    '- file: {path: /tmp/keys, state: directory}\n  delegate_to: localhost\n- apt: {name: jq}\n  delegate_to: localhost',
    'mapped',
    [
      "ssh.delegateTo('localhost', ssh.file('file', { path: '/tmp/keys', state: 'directory' }))",
      "ssh.delegateTo('localhost', ssh.pkg('apt', { names: ['jq'], manager: 'apt' }))",
    ],
    { hosts: 'web' },
  ],
  [
    "inventory_hostname in a delegated task is still the play's host",
    '- command: echo {{ inventory_hostname }}\n  delegate_to: builder',
    'mapped',
    ["ssh.exec('command', { argv: (ctx) => ['echo', (ctx.host.delegatedFrom ?? ctx.host.name)] })"],
    { hosts: 'web' },
  ],
  [
    'delegate_to another host on a Kubernetes task stays a TODO',
    '- k8s: {kind: Namespace, name: x}\n  delegate_to: "{{ item }}"\n  loop: [a, b]',
    'todo',
    ['// TODO(port): keyword-unsupported: delegate_to: {{ item }} on k8s.apply (only host tasks, ssh.*, run on another host)'],
    { hosts: 'web' },
  ],
  // loops over earlier results, async
  [
    'a loop over earlier results → each, reading the list when it plans; results[i] under Ansible names',
    '- command: probe {{ item }}\n  loop: [a, b]\n  register: probes\n  changed_when: false\n- command: fix {{ item.item }}\n  loop: "{{ probes.results | selectattr(\'rc\', \'ne\', 0) | list }}"\n  when: item.stdout != ""\n  tags: [fix]',
    'mapped',
    [
      "const command2 = each(\n    'command',",
      '.filter((x: any) => x.rc !== 0),\n    (item, i) => exec.run(`command-2[${i}]`, {',
      "return { ...r, rc: r.exitCode, stdout_lines: r.stdout.split('\\n'), stderr_lines: r.stderr.split('\\n'), item: ['a', 'b'][i]! }",
      "when: () => item.stdout !== ''",
      "{ tags: ['fix'] }",
    ],
  ],
  [
    'a register of a loop over earlier results reads rc/stdout_lines, and skipped items',
    '- command: a\n  register: first\n  changed_when: false\n- command: b {{ item }}\n  loop: "{{ first.stdout_lines }}"\n  register: second\n- debug: {msg: "{{ second.results | map(attribute=\'rc\') | list }}"}',
    'mapped',
    ["ctx.result(second).map((r, i): any => (r === undefined ? { skipped: true, item: (ctx.result(first).stdout.split('\\n'))[i] } : { ...r, rc: r.exitCode,"],
  ],
  [
    'async on a command → timeoutMs; the async_status waiting for it is dropped',
    '- shell: podman build -t x:{{ item }} .\n  loop: [amd64, arm64]\n  async: 7200\n  poll: 0\n  register: builds\n- async_status: {jid: "{{ item.ansible_job_id }}"}\n  loop: "{{ builds.results }}"\n  register: done\n  until: done.finished\n  retries: 240',
    'mapped',
    ['timeoutMs: 7200000', '// async_status: builds ran to its end in its own task (async became its timeoutMs):'],
    { hosts: 'web' },
  ],
  [
    'async_status on a job helix did not start stays a TODO',
    '- async_status: {jid: "{{ other.ansible_job_id }}"}',
    'todo',
    ['// TODO(port): module-unsupported: async_status has no helix mapping'],
  ],
  // unsupported
  [
    'an unknown module is a TODO with its YAML',
    '- community.general.ufw: {rule: allow}',
    'todo',
    ['// TODO(port): module-unsupported', '// - community.general.ufw: {rule: allow}'],
  ],
];

describe('module mappers', () => {
  it.each(rows)('%s', (_title, task, outcome, contains, opts) => {
    const r = portTask(task, opts);
    expect(r.outcome).toBe(outcome);
    for (const c of contains) expect(r.code).toContain(c);
  });
});

describe('task keywords', () => {
  it.each<[string, string, string[]]>([
    ['when', '- command: echo a\n  when: enabled | bool', ['when: () => v.enabled']],
    [
      'when on a result',
      '- command: id\n  register: r\n  changed_when: false\n- command: echo b\n  when: r.stdout != ""',
      ["when: (ctx) => ctx.result(r).stdout !== ''"],
    ],
    ['loop over a literal list', '- command: echo {{ item }}\n  loop: [a, b]', ["const command = ['a', 'b'].map(item => exec.run(`command-${item}`"]],
    ['with_items over a variable', '- command: echo {{ item.name }}\n  with_items: "{{ users }}"', ['v.users.map((item, i) => exec.run(`command[${i}]`']],
    ['with_dict', '- command: echo {{ item.key }}\n  with_dict: {a: 1}', ['Object.entries({ a: 1 }).map(([key, value]) => ({ key, value }))']],
    [
      'until/retries/delay',
      '- command: probe\n  register: p\n  until: p.rc == 0\n  retries: 4\n  delay: 1\n  changed_when: false',
      ['retries: 4', 'delayMs: 1000', 'until: (r) => r.exitCode === 0'],
    ],
    [
      'until on a listing k8s_info reads its own result',
      '- k8s_info: {kind: Pod, namespace: kc, label_selectors: [app=keycloak]}\n  register: pods\n  until: pods.resources | length == 0\n  retries: 10',
      ['retries: 10', 'until: (r) => r.length === 0'],
    ],
    [
      'until on k8s_info by name reads resources[0] of its own result',
      '- k8s_info: {api_version: v1, kind: ConfigMap, namespace: n, name: c}\n  register: cm\n  until: cm.resources[0].data.ready == "yes"',
      ["until: (r) => r!.data.ready === 'yes'"],
    ],
    [
      "until reading another task's result stays a TODO",
      '- command: id\n  register: a\n  changed_when: false\n- k8s_info: {kind: Pod, namespace: kc}\n  register: pods\n  until: a.rc == 0',
      ["// TODO(port): keyword-unsupported: until: reads other tasks' results"],
    ],
    ['failed_when on a command', '- command: check\n  register: c\n  failed_when: c.rc > 1', ['failedWhen: (out) => out.exitCode > 1']],
    ['failed_when false', '- k8s: {kind: Namespace, name: x}\n  failed_when: false', ['ignoreErrors: true']],
    ['ignore_errors', '- command: x\n  ignore_errors: yes', ['ignoreErrors: true']],
    ['tags', '- command: x\n  tags: [a, b]', ["tags: ['a', 'b']"]],
    ['become on a host task', '- file: {path: /x, state: directory}\n  become: true\n  become_user: app', ["become: 'app'"]],
    ['no_log set_fact → Secret', "- set_fact: {pw: \"{{ lookup('env', 'PW') }}\"}\n  no_log: true", ["const pw = new Secret((process.env.PW ?? ''));"]],
    ['task vars', '- command: echo {{ greeting }}\n  vars: {greeting: hi}', ["argv: ['echo', 'hi']"]],
    [
      'block/rescue/always',
      '- block:\n    - command: a\n  rescue:\n    - command: b\n  always:\n    - command: c\n  when: x',
      ["block('block', { steps: [command], rescue: [command2], always: [command3], when: () => Boolean(v.x) })"],
    ],
    ['environment on a command', '- command: x\n  environment: {A: "1"}', ["env: { A: '1' }"]],
    [
      'a Secret with a text default stays a Secret',
      "- set_fact: {pw: \"{{ lookup('env', 'PW') }}\"}\n  no_log: true\n- set_fact: {pw2: \"{{ pw | default('none') }}\"}\n  when: not ansible_check_mode",
      ["const pw2 = pw ?? new Secret('none');"],
    ],
    ['a field no item has reads loosely', "- command: echo {{ item.ns | default('d') }}\n  loop: [{name: a}]", ["(item as { ns?: any }).ns ?? 'd'"]],
    [
      'a loop over earlier results with retries per item stays a TODO',
      '- command: a\n  register: first\n  changed_when: false\n- command: b {{ item }}\n  loop: "{{ first.stdout_lines }}"\n  register: r\n  until: r.rc == 0\n  retries: 3',
      ['// TODO(port): loop-dynamic: a loop over earlier results with retries on each item'],
    ],
    [
      'set_fact accumulating a dict in a loop → Object.assign over the items',
      '- set_fact:\n    base: "{{ base | default({}) | combine({item: registry + \'/\' + item}) }}"\n  loop: "{{ archs }}"\n- command: echo {{ base[archs[0]] }}',
      ['const base = Object.assign({}, {}, ...v.archs.map((item) => ({ [String(item)]: `${v.registry}/${item}` })));'],
    ],
    [
      'set_fact accumulating a list in a loop with a when per item → filter and map',
      '- set_fact:\n    aliases: "{{ aliases | default([]) + [{\'ip\': item.ip}] }}"\n  loop: "{{ nodes }}"\n  when: item.ip is defined',
      ['const aliases = [...[], ...v.nodes.filter((item) => item.ip !== undefined).map((item) => ({ ip: item.ip }))];'],
    ],
    [
      'set_fact accumulating from its earlier value starts there',
      '- set_fact: {names: [a]}\n- set_fact:\n    names: "{{ names | default([]) + [item.name] }}"\n  loop: "{{ users }}"',
      ['const names2 = [...names, ...v.users.map((item) => item.name)];'],
    ],
    [
      'set_fact in a loop that does not accumulate stays a TODO',
      '- set_fact:\n    team: "{{ item.id }}"\n  loop: "{{ teams }}"',
      ['// TODO(port): loop-dynamic: set_fact in a loop (an accumulator): write it with map/filter'],
    ],
    ['delegate_to localhost on a host play', '- command: date\n  delegate_to: localhost', ["exec.run('command'"]],
  ])('%s', (_t, task, contains) => {
    const r = portTask(task, task.includes('become') || task.includes('delegate_to') ? { hosts: 'web' } : {});
    for (const c of contains) expect(r.code).toContain(c);
  });

  it('notify points at handlers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-port-'));
    writeFileSync(
      join(dir, 'play.yml'),
      '- hosts: web\n  tasks:\n    - copy: {content: x, dest: /etc/x}\n      notify: restart x\n  handlers:\n    - name: restart x\n      service: {name: x, state: restarted}\n',
    );
    const { files } = port(dir, join(dir, 'out'), { component: 't', dryRun: true });
    const code = files.get('playbooks/t/10_play.ts')!;
    expect(code).toContain("const restartX = ssh.service('restart-x'");
    expect(code).toContain('notify: [restartX]');
    expect(code).toContain('handlers: [restartX]');
  });
});
