import { describe, expect, it } from 'vitest';
import { projectDirInImage } from '../../../src/oncluster/image.ts';
import { fileSecretKey, renderClusterInventory } from '../../../src/oncluster/inventory.ts';
import { rbacObjects, rbacRefs, runnerName, workflowObject } from '../../../src/oncluster/objects.ts';
import { dropExecutorLines, passOnArgs } from '../../../src/oncluster/submit.ts';
import type { InventoryLayer } from '../../../src/runtime/inventory.ts';

function layer(raw: Partial<InventoryLayer['raw']>, label: string): InventoryLayer {
  return { raw: { include: [], tls: { targets: {} }, vars: {}, components: {}, hosts: {}, groups: {}, ...raw } as InventoryLayer['raw'], label, dir: '/x' };
}

describe('the in-cluster inventory', () => {
  const sandbox = layer(
    {
      kubernetes: { kubeconfig: '/root/.local/state/helix/sandbox/kubeconfig' },
      vars: {
        registry: 'registry.sandbox.test',
        keycloak_admin_password: { secret: { file: '/root/.local/state/helix/sandbox/secrets/keycloak-admin-password' } },
        unrelated_token: { secret: { env: 'UNRELATED' } },
      },
      hosts: { h1: { address: '10.0.0.1', port: 22, user: 'root', hostKeys: [], insecureSkipHostKeyCheck: false, vars: {} } },
      tls: { targets: { 'host.sandbox.test:18080': { verify: false } } },
    },
    'sandbox',
  );
  const top = layer({ components: { app: { namespace: 'team', token: { secret: { env: 'APP_TOKEN' } } }, other: { x: 1 } } }, 'inventory/local.yaml');

  it('runs in the cluster, keeps the component and shared vars, and turns every secret reference into a key of the run Secret', () => {
    const { doc, secretKeys } = renderClusterInventory([sandbox, top], 'app', new Set(['namespace', 'token', 'keycloak_admin_password']));
    expect(doc).toEqual({
      kubernetes: { inCluster: true },
      tls: { targets: { 'host.sandbox.test:18080': { verify: false } } },
      vars: { registry: 'registry.sandbox.test', keycloak_admin_password: { secret: { env: 'HELIX_SECRET_KEYCLOAK_ADMIN_PASSWORD' } } },
      components: { app: { namespace: 'team', token: { secret: { env: 'APP_TOKEN' } } } },
    });
    expect(secretKeys).toEqual(['APP_TOKEN', 'HELIX_SECRET_KEYCLOAK_ADMIN_PASSWORD']);
    // No workstation path, kubeconfig or SSH host goes to the pod.
    expect(JSON.stringify(doc)).not.toContain('/root/');
  });

  it('keeps every shared secret when the schema is not known', () => {
    expect(renderClusterInventory([sandbox, top], 'app').secretKeys).toEqual(['APP_TOKEN', 'HELIX_SECRET_KEYCLOAK_ADMIN_PASSWORD', 'UNRELATED']);
  });

  it('names file secrets by their file', () => {
    expect(fileSecretKey('~/.local/state/helix/sandbox/secrets/devpi-root-password')).toBe('HELIX_SECRET_DEVPI_ROOT_PASSWORD');
  });
});

describe('the Workflow and the runner objects', () => {
  const id = { component: 'my_app', env: 'prod', namespace: 'argo' };

  it('runs the same command in one step, under the runner, with secrets from the run Secret', () => {
    const wf = workflowObject({
      id,
      name: 'helix-run-my-app-prod-play-abc123',
      selection: 'play',
      image: 'registry.example/helix/runner:0.1.0-abc',
      projectDir: '/helix',
      inventory: { kubernetes: { inCluster: true } },
      args: ['--diff'],
      secret: 'helix-my-app-prod',
      secretKeys: ['APP_TOKEN'],
    }) as unknown as { metadata: { labels: Record<string, string> }; spec: Record<string, any> };
    expect(wf.spec.serviceAccountName).toBe('helix-run-my-app-prod');
    const t = wf.spec.templates[0];
    expect(t.container.command).toEqual(['/usr/local/bin/node', '/helix/bin/helix.js', 'play', 'my_app', '--env', 'prod', '--diff']);
    expect(t.inputs.artifacts[0].path).toBe('/helix/inventory/prod.yaml');
    expect(t.inputs.artifacts[0].raw.data).toBe('kubernetes:\n  inCluster: true\n');
    expect(t.container.env).toContainEqual({ name: 'APP_TOKEN', valueFrom: { secretKeyRef: { name: 'helix-my-app-prod', key: 'APP_TOKEN', optional: true } } });
    expect(wf.metadata.labels).toMatchObject({ 'helix.dev/component': 'my_app', 'helix.dev/env': 'prod', 'helix.dev/on-cluster': 'run' });
  });

  it('makes a Role and binding per namespace (the runner namespace with the executor rule), a ClusterRole, and removes bindings first', () => {
    const objects = rbacObjects(id, {
      namespaced: { team: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
      cluster: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['team'] }],
      namespaces: ['team'],
    });
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'ServiceAccount argo/helix-run-my-app-prod',
      'Role team/helix-run-my-app-prod',
      'RoleBinding team/helix-run-my-app-prod',
      'Role argo/helix-run-my-app-prod',
      'RoleBinding argo/helix-run-my-app-prod',
      'ClusterRole /helix-run-my-app-prod',
      'ClusterRoleBinding /helix-run-my-app-prod',
    ]);
    expect(rbacRefs(objects).map((r) => r.kind)).toEqual(['ClusterRoleBinding', 'RoleBinding', 'RoleBinding', 'ClusterRole', 'Role', 'Role', 'ServiceAccount']);
    expect(runnerName({ component: 'x'.repeat(80), env: 'prod' }).length).toBeLessThanOrEqual(63);
  });

  it('passes the run options on, and nothing else', () => {
    expect(passOnArgs({ diff: true, only: ['20_config'], set: { fail: true, a: { b: 1 } }, waitLock: 5000, purgeData: true })).toEqual([
      '--diff',
      '--only',
      '20_config',
      '--wait-lock',
      '5000ms',
      '--set',
      'fail=true',
      '--set',
      'a={"b":1}',
      '--purge-data',
    ]);
    expect(passOnArgs({})).toEqual([]);
  });

  it("drops the executor's own lines from the pod's output, and keeps helix's", () => {
    const log =
      'play x --env local\n  ok  x/10/a (1ms)\ntime="2026-12-07T20:58:42.357Z" level=info msg="sub-process exited" argo=true error="<nil>"\nError: exit status 1\n';
    expect(dropExecutorLines(log)).toBe('play x --env local\n  ok  x/10/a (1ms)\n');
  });

  it('puts a project inside helix at its place relative to helix, and any other at /project', () => {
    expect(projectDirInImage('/work/helix', '/work/helix')).toBe('/helix');
    expect(projectDirInImage('/work/helix', '/work/helix/test/fixtures/p')).toBe('/helix/test/fixtures/p');
    expect(projectDirInImage('/work/helix', '/srv/platform')).toBe('/project');
  });
});
