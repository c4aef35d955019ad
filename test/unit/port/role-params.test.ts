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
    writeFileSync(join(dir, 'roles/client/tasks/main.yaml'), '- name: Create\n  uri:\n    url: "https://kc/{{ realm }}/clients"\n    method: POST\n    body_format: json\n    body: "{{ client_body }}"\n    status_code: [201, 409]\n');
    writeFileSync(
      join(dir, '10_deploy.yaml'),
      '- hosts: localhost\n  tasks:\n    - include_role:\n        name: client\n      vars:\n        realm: r\n        client_body:\n          clientId: app\n          enabled: true\n',
    );
    const { files } = port(dir, join(dir, 'out'), { dryRun: true });
    const role = files.get('roles/client/index.ts')!;
    expect(role).toContain('client_body: { clientId: string; enabled: boolean };');
    expect(files.get('playbooks/' + [...files.keys()].find((f) => f.endsWith('10_deploy.ts'))!.split('/')[1] + '/10_deploy.ts')).toContain("client_body: { clientId: 'app', enabled: true }");
  });
});
