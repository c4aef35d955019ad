import { mkdtempSync } from 'node:fs';
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
    expect(text).toContain('tasks found 6 · mapped 6 (100%)');
    let json = '';
    portCommand(sample, { out, json: true }, (s) => (json += s));
    const report = JSON.parse(json) as { totals: { found: number; mapped: number }; generated: string[] };
    expect(report.totals).toMatchObject({ found: 6, mapped: 6 });
    expect(report.generated).toContain('playbooks/k8s-basic/10_deploy.ts');
  });

  it('refuses an input that does not exist (a configuration error: exit 2)', () => {
    expect(() => portCommand('/nonexistent/playbook.yml', { out: tmpdir() })).toThrow(ConfigError);
  });
});
