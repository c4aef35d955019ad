import type { HelmValues } from 'helix/modules/helm';
import type { Secret } from 'helix';
import type { PlatformVars } from '../component.ts';

/**
 * The devtron-operator chart values helix sets, typed after the chart's real keys
 * (charts/devtron/values.yaml 0.23.3). Keys the design documents name but the chart does not
 * have (`crds.install`, external NATS/Redis, Dex connectors) are absent on purpose.
 */
export interface DevtronValues extends HelmValues {
  installer: { modules: string[] };
  'argo-cd': { enabled: false };
  global: {
    externalPostgres: { enabled: true; PG_ADDR: string; PG_PASSWORD: Secret };
    dbConfig: { PG_PORT: string; PG_USER: 'postgres'; PG_DATABASE: 'orchestrator' };
  };
  security: { enabled: boolean; trivy: { enabled: boolean } };
  components: {
    devtron: {
      service: { type: 'ClusterIP'; port: 80 };
      ingress: { enabled: false };
      customOverrides: { FORCE_SECURITY_SCANNING: string };
    };
  };
}

export function devtronValues(v: PlatformVars, pgAddr: string, password: Secret): DevtronValues {
  return {
    installer: { modules: v.devtron.modules },
    // Bundled Argo CD off (also the chart default): the platform's Argo CD is external.
    'argo-cd': { enabled: false },
    global: {
      // The CNPG `-rw` Service: migrations take session advisory locks the transaction Pooler breaks.
      externalPostgres: { enabled: true, PG_ADDR: pgAddr, PG_PASSWORD: password },
      dbConfig: { PG_PORT: '5432', PG_USER: 'postgres', PG_DATABASE: 'orchestrator' },
    },
    security: { enabled: v.devtron.trivy, trivy: { enabled: v.devtron.trivy } },
    components: {
      devtron: {
        service: { type: 'ClusterIP', port: 80 },
        ingress: { enabled: false },
        customOverrides: { FORCE_SECURITY_SCANNING: String(v.devtron.force_security_scanning) },
      },
    },
  };
}
