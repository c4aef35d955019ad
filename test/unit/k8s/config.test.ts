import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/index.ts';
import { loadKubeConfig } from '../../../src/modules/k8s/config.ts';
import { buildUrl } from '../../../src/modules/k8s/transport.ts';

function kubeconfig(dir: string, file: string, contexts: [string, string][], current: string): string {
  const path = join(dir, file);
  const clusters = contexts.map(([name, server]) => `- name: ${name}\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`).join('\n');
  const ctxs = contexts.map(([name]) => `- name: ${name}\n  context:\n    cluster: ${name}\n    user: u`).join('\n');
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n${clusters}\ncontexts:\n${ctxs}\nusers:\n- name: u\n  user:\n    token: abc\ncurrent-context: ${current}\n`,
  );
  return path;
}

describe('kubeconfig conventions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helix-kc-'));
  const a = kubeconfig(
    dir,
    'a',
    [
      ['one', 'https://one:6443'],
      ['two', 'https://two:6443'],
    ],
    'one',
  );
  const b = kubeconfig(dir, 'b', [['three', 'https://three:6443']], 'three');
  const server = (kc: ReturnType<typeof loadKubeConfig>) => kc.server;

  it("uses the environment's kubeconfig and context", () => {
    expect(server(loadKubeConfig({ kubeconfig: a }, {}))).toBe('https://one:6443');
    expect(server(loadKubeConfig({ kubeconfig: a, context: 'two' }, {}))).toBe('https://two:6443');
  });

  it("falls back to KUBECONFIG, merging its files, the first one's context winning", () => {
    const kc = loadKubeConfig(undefined, { KUBECONFIG: `${a}:${b}` });
    expect(server(kc)).toBe('https://one:6443');
    expect(server(loadKubeConfig({ context: 'three' }, { KUBECONFIG: `${a}:${b}` }))).toBe('https://three:6443');
  });

  it('reports an unknown context, a missing file and in-cluster outside a pod as config errors', () => {
    expect(() => loadKubeConfig({ kubeconfig: a, context: 'nope' }, {})).toThrow(/kubeconfig has no context "nope" \(contexts: one, two\)/);
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'missing') }, {})).toThrow(ConfigError);
    expect(() => loadKubeConfig({ inCluster: true }, {})).toThrow(/not running in a pod/);
    expect(() => loadKubeConfig(undefined, { KUBECONFIG: join(dir, 'missing') })).toThrow(/KUBECONFIG names no existing file/);
  });

  it('builds URLs under a server with a path prefix', () => {
    expect(buildUrl('https://h/k8s/clusters/c1/', { path: '/api/v1/namespaces', query: { a: 'b', c: undefined } }).href).toBe(
      'https://h/k8s/clusters/c1/api/v1/namespaces?a=b',
    );
  });
});
