import type { PlatformVars } from '../component.ts';
import { devtronValues } from '../lib/devtron-values.ts';
import { argoRules, cnpgPooler, dashboardRoute, forwardAuthMiddleware, imagePolicy } from '../lib/manifests.ts';
import { Secret } from 'helix';
import { type CheckResult, fail, pass, warn } from 'helix/verify';
import { checkApplicationSets, checkMiddleware, checkPooler, checkPolicy, checkRoute, checkRules } from './objects.ts';

/**
 * Checks of what helix would apply, from the inventory alone (no cluster): the pre-merge
 * validation of 004. The same object checks run on the live objects in live mode. Each reads an
 * inventory input that can be wrong; none re-checks a value helix's own builders fix.
 */
export function staticChecks(v: PlatformVars, envName: string): CheckResult[] {
  const out: CheckResult[] = [];
  // The Devtron values helix builds are fixed by devtronValues (argo-cd off, PG_ADDR on the -rw
  // Service, a ClusterIP Service): checking them here could not fail. The live checks read them
  // from the deployed release instead (readiness/devtron.ts); test/unit/platform covers the builder.
  const values = devtronValues(v, `${v.cnpg.cluster_name}-rw.${v.cnpg.namespace}.svc.cluster.local`, new Secret('(static check placeholder)'));
  out.push(
    values.security.enabled && values.security.trivy.enabled
      ? pass('D', 'trivy', 'Trivy scanning in Devtron', 'values: security.enabled = true, security.trivy.enabled = true')
      : warn(
          'D',
          'trivy',
          'Trivy scanning in Devtron',
          `values: security.enabled = ${values.security.enabled}, security.trivy.enabled = ${values.security.trivy.enabled}`,
          'set devtron.trivy: true (both flags are needed)',
        ),
  );
  const secretFromSops = typeof v.identity.client_secret === 'string';
  out.push(
    secretFromSops && !v.secrets.sops_file
      ? fail(
          'D',
          'sops',
          'secrets decrypted at apply time only',
          'identity.client_secret names a SOPS key but secrets.sops_file is not set',
          'set secrets.sops_file',
        )
      : pass(
          'D',
          'sops',
          'secrets decrypted at apply time only',
          secretFromSops ? `SOPS file ${v.secrets.sops_file} (decrypted in memory)` : 'secret references from the environment',
        ),
  );
  out.push(...checkPooler(cnpgPooler(v), v, 'rendered'));
  out.push(...checkPolicy(imagePolicy(v), v, 'rendered'));
  out.push(...checkMiddleware(forwardAuthMiddleware(v), v, 'rendered'));
  out.push(...checkRoute(dashboardRoute(v), v, 'rendered'));
  out.push(...checkRules(argoRules(v), 'rendered'));
  out.push(...checkApplicationSets(v, envName));
  const kyvernoOp = v.operators.find((o) => o.release === 'kyverno');
  const pe = (kyvernoOp?.values as { features?: { policyExceptions?: { enabled?: boolean; namespace?: string } } } | undefined)?.features?.policyExceptions;
  out.push(
    !v.kyverno.emergency_exception.enabled
      ? pass('I', 'exceptions-honoured', 'emergency PolicyException is honoured', 'no emergency exception configured')
      : !kyvernoOp
        ? warn(
            'I',
            'exceptions-honoured',
            'emergency PolicyException is honoured',
            'Kyverno is not installed by this component: its features.policyExceptions setting is unknown',
            `install Kyverno with features.policyExceptions.enabled: true and namespace ${v.kyverno.exceptions_namespace}`,
          )
        : pe?.enabled === true && (pe.namespace === v.kyverno.exceptions_namespace || pe.namespace === '*')
          ? pass(
              'I',
              'exceptions-honoured',
              'emergency PolicyException is honoured',
              `kyverno values: features.policyExceptions = { enabled: true, namespace: ${pe.namespace} }`,
            )
          : fail(
              'I',
              'exceptions-honoured',
              'emergency PolicyException is honoured',
              `kyverno values: features.policyExceptions = ${JSON.stringify(pe ?? {})}`,
              `set features.policyExceptions.enabled: true and namespace: ${v.kyverno.exceptions_namespace}`,
            ),
  );
  const traefikOp = v.operators.find((o) => o.release === 'traefik');
  const cross = (traefikOp?.values as { providers?: { kubernetesCRD?: { allowCrossNamespace?: boolean } } } | undefined)?.providers?.kubernetesCRD
    ?.allowCrossNamespace;
  const needsCross = v.traefik.namespace !== v.devtron.namespace;
  out.push(
    !needsCross
      ? pass('H', 'cross-namespace', 'Traefik may use the Middleware from another namespace', 'Middleware and IngressRoute share a namespace')
      : !traefikOp
        ? warn(
            'H',
            'cross-namespace',
            'Traefik may use the Middleware from another namespace',
            `Middleware in ${v.traefik.namespace}, IngressRoute in ${v.devtron.namespace}; Traefik is not installed by this component`,
            'install Traefik with providers.kubernetesCRD.allowCrossNamespace: true',
          )
        : cross === true
          ? pass(
              'H',
              'cross-namespace',
              'Traefik may use the Middleware from another namespace',
              'traefik values: providers.kubernetesCRD.allowCrossNamespace = true',
            )
          : fail(
              'H',
              'cross-namespace',
              'Traefik may use the Middleware from another namespace',
              `traefik values: providers.kubernetesCRD.allowCrossNamespace = ${String(cross)}`,
              'set providers.kubernetesCRD.allowCrossNamespace: true',
            ),
  );
  out.push(
    v.identity.issuer.startsWith('https://')
      ? pass('F', 'issuer', 'OIDC issuer is HTTPS', `identity.issuer = ${v.identity.issuer}`)
      : fail('F', 'issuer', 'OIDC issuer is HTTPS', `identity.issuer = ${v.identity.issuer}`, 'use the https issuer from Authentik’s discovery document'),
  );
  out.push(
    warn(
      'G',
      'netbird',
      'NetBird CI runners use ephemeral setup keys',
      'not checkable from the cluster or the repository: ephemeral is a setup-key property in NetBird',
      'create the CI setup key with ephemeral: true in NetBird management',
    ),
  );
  return out;
}
