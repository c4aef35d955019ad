import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { port } from '../../../src/port/index.ts';

/** A role parameter's type comes from its callers when the role's own use says only "text". */
describe('role parameters typed from call sites', () => {
  it('a structure passed on to a request body is typed as the structure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-role-params-'));
    mkdirSync(join(dir, 'roles/client/tasks'), { recursive: true });
    writeFileSync(
      join(dir, 'roles/client/tasks/main.yaml'),
      '- name: Create\n  uri:\n    url: "https://kc/{{ realm }}/clients"\n    method: POST\n    body_format: json\n    body: "{{ client_body }}"\n    status_code: [201, 409]\n',
    );
    writeFileSync(
      join(dir, '10_deploy.yaml'),
      '- hosts: localhost\n  tasks:\n    - include_role:\n        name: client\n      vars:\n        realm: r\n        client_body:\n          clientId: app\n          enabled: true\n',
    );
    const { files } = port(dir, join(dir, 'out'), { dryRun: true });
    const role = files.get('roles/client/index.ts')!;
    expect(role).toContain('client_body: { clientId: string; enabled: boolean };');
    expect(files.get(`playbooks/${[...files.keys()].find((f) => f.endsWith('10_deploy.ts'))!.split('/')[1]}/10_deploy.ts`)).toContain(
      "client_body: { clientId: 'app', enabled: true }",
    );
  });
});

describe('role outputs', () => {
  it("the Keycloak admin token a role requests is the caller's admin connection, not an input", () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-role-out-'));
    mkdirSync(join(dir, 'roles/kc/common/tasks'), { recursive: true });
    mkdirSync(join(dir, 'roles/kc/client/tasks'), { recursive: true });
    writeFileSync(
      join(dir, 'roles/kc/common/tasks/main.yaml'),
      '- name: Get token\n  uri:\n    url: "{{ kc_url }}/realms/master/protocol/openid-connect/token"\n    method: POST\n    body_format: form-urlencoded\n    body: {client_id: admin-cli, username: "{{ kc_user }}", password: "{{ kc_password }}", grant_type: password}\n  register: kc_token\n',
    );
    writeFileSync(
      join(dir, 'roles/kc/client/tasks/main.yaml'),
      '- include_role: {name: kc/common}\n- name: Create client\n  uri:\n    url: "{{ kc_url }}/admin/realms/{{ realm }}/clients"\n    method: POST\n    headers: {Authorization: "Bearer {{ kc_token.json.access_token }}"}\n    body_format: json\n    body: {clientId: app, enabled: true}\n    status_code: [201, 409]\n',
    );
    writeFileSync(
      join(dir, '10_deploy.yaml'),
      '- hosts: localhost\n  tasks:\n    - include_role: {name: kc/client}\n      vars: {kc_url: "https://kc", kc_user: admin, realm: r}\n',
    );
    const { files, report } = port(dir, join(dir, 'out'), { dryRun: true });
    const client = files.get('roles/kc/client/index.ts')!;
    expect(client).toContain('The Keycloak admin session role kc/common opens (it registers kc_token)');
    expect(client).toMatch(/keycloak\.client\('create-client'/);
    expect(client).not.toContain('kc_token:');
    expect(report.todosByReason).toEqual({});
  });
});
