import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/index.ts';
import { portCommand } from '../../../src/port/cli.ts';

const sample = fileURLToPath(new URL('../../fixtures/port/k8s-basic', import.meta.url));

describe('helix port (command)', () => {
  it('prints the report as text, and as JSON with --json', () => {
    const out = mkdtempSync(join(tmpdir(), 'helix-port-cli-'));
    let text = '';
    expect(portCommand(sample, { out }, (s) => (text += s))).toBe(0);
    expect(text).toContain('tasks found 6 · mapped 6 (100% of the 6 that are not debug)');
    let json = '';
    portCommand(sample, { out, json: true }, (s) => (json += s));
    const report = JSON.parse(json) as { totals: { found: number; mapped: number }; generated: string[] };
    expect(report.totals).toMatchObject({ found: 6, mapped: 6 });
    expect(report.generated).toContain('playbooks/k8s-basic/10_deploy.ts');
  });

  it('exits 1 naming a file it could not read, and ports the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-port-bad-'));
    writeFileSync(join(dir, '10_deploy.yaml'), '- hosts: localhost\n  tasks:\n    - name: ok\n      debug:\n        msg: hi\n');
    writeFileSync(join(dir, '20_broken.yaml'), '- hosts: localhost\n  tasks:\n    - shell: {{ x }} get pods\n      register: r\n');
    let text = '';
    expect(portCommand(dir, { out: join(dir, 'out') }, (s) => (text += s))).toBe(1);
    expect(text).toContain(join(dir, '20_broken.yaml'));
    expect(text).toContain('tasks found 1');
  });

  it('refuses an input that does not exist (a configuration error: exit 2)', () => {
    expect(() => portCommand('/nonexistent/playbook.yml', { out: tmpdir() })).toThrow(ConfigError);
  });
});
