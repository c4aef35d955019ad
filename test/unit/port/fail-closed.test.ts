import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { port } from '../../../src/port/index.ts';
import { ValidationError } from '../../../src/runtime/errors.ts';
import { prepare } from '../../../src/runtime/run.ts';

/**
 * A ported playbook with a task the port could not translate refuses to run: validation
 * (before anything is touched) names the TODO and the task that reads its result, until the
 * TODO is marked handled. Ported inside the repo (test/.port-out) so `helix` resolves.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const src = join(repo, 'test/.port-out/fail-closed-src');
const out = join(repo, 'test/.port-out/fail-closed');
const handled = join(repo, 'test/.port-out/fail-closed-handled');

const PLAYBOOK = `- hosts: localhost
  tasks:
    - name: Open the firewall
      community.general.ufw:
        rule: allow
        port: "443"
      register: fw
    - name: Show the rule
      ansible.builtin.command: echo "{{ fw.stdout }}"
    - name: Make the folder
      ansible.builtin.file:
        path: /tmp/helix-fail-closed
        state: directory
`;

describe('a ported playbook with TODOs', () => {
  it('fails validation naming each TODO and the task depending on it, until marked handled', async () => {
    rmSync(src, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, '10_deploy.yaml'), PLAYBOOK);
    const { report } = port(src, out, { component: 'fc' });
    expect(report.totals).toMatchObject({ found: 3, mapped: 1, todo: 2 });

    const opts = { root: out, component: 'fc', env: 'local', selection: 'play' as const };
    const error = await prepare(opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const problems = (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual([
      expect.stringMatching(
        /^fc\/10_deploy\/todo-open-the-firewall: not ported \(module-unsupported, 10_deploy\.yaml:3\): community\.general\.ufw has no helix mapping/,
      ),
      expect.stringMatching(
        /^fc\/10_deploy\/todo-show-the-rule: not ported \(register-attribute, 10_deploy\.yaml:8\): fw is registered by a task that is a TODO \(line 3\)/,
      ),
    ]);

    // Marked handled (ported by hand elsewhere, or not needed): the playbook validates. A second
    // copy, since the first playbook module is cached by the loader.
    rmSync(handled, { recursive: true, force: true });
    port(src, handled, { component: 'fc' });
    const file = join(handled, 'playbooks/fc/10_deploy.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll("line: '10_deploy.yaml:", "handled: true, line: '10_deploy.yaml:"));
    await expect(prepare({ ...opts, root: handled })).resolves.toBeDefined();
  }, 60_000);
});
