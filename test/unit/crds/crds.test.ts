import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRD_SETS, CRD_SOURCES, parseCrds } from '../../../src/crds/index.ts';
import { selectFiles } from '../../../src/crds/fetch.ts';

const dir = mkdtempSync(join(tmpdir(), 'helix-crds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('upstream CRD sources', () => {
  it('pin a version and at least one path for every set', () => {
    for (const id of CRD_SETS) {
      const s = CRD_SOURCES[id];
      expect(s.id).toBe(id);
      expect(s.version).toMatch(/^v\d+\.\d+\.\d+$/);
      expect(s.paths.length).toBeGreaterThan(0);
    }
  });

  it('parse only CustomResourceDefinitions, without status or creationTimestamp', () => {
    const text = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: poolers.postgresql.cnpg.io
  creationTimestamp: null
spec:
  group: postgresql.cnpg.io
status:
  storedVersions: []
---
apiVersion: v1
kind: ConfigMap
metadata: { name: other }
`;
    const crds = parseCrds(text);
    expect(crds).toHaveLength(1);
    expect(crds[0]).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'poolers.postgresql.cnpg.io' },
      spec: { group: 'postgresql.cnpg.io' },
    });
  });

  it('select the YAML files of folder paths (not kustomization.yaml) and named files', () => {
    mkdirSync(join(dir, 'manifests/base/crds/minimal'), { recursive: true });
    for (const f of ['b.yaml', 'a.yaml', 'kustomization.yaml', 'README.md']) writeFileSync(join(dir, 'manifests/base/crds/minimal', f), '');
    const files = selectFiles(dir, { ...CRD_SOURCES['argo-workflows'] });
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['manifests/base/crds/minimal/a.yaml', 'manifests/base/crds/minimal/b.yaml']);
  });
});
