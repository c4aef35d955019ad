import type { PlatformVars } from '../component.ts';
import { type CheckResult, fail, pass, warn } from 'helix/verify';

/** An object as rendered or as read from the cluster. */
type O = { metadata: { name: string; namespace?: string }; spec?: any; [k: string]: any };
const where = (o: O, source: string): string => `${source} ${o.kind ?? ''} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`.trim();

/** E: transaction pooling, the connection limits, two instances. */
export function checkPooler(o: O, v: PlatformVars, source: string): CheckResult[] {
  const p = v.cnpg.pooler;
  const pg = o.spec?.pgbouncer ?? {};
  const params = (pg.parameters ?? {}) as Record<string, string>;
  const problems: string[] = [];
  if (pg.poolMode !== 'transaction') problems.push(`spec.pgbouncer.poolMode = ${String(pg.poolMode)} (want transaction)`);
  if (params.max_client_conn !== String(p.max_client_conn)) problems.push(`max_client_conn = ${String(params.max_client_conn)} (want ${p.max_client_conn})`);
  if (params.default_pool_size !== String(p.default_pool_size))
    problems.push(`default_pool_size = ${String(params.default_pool_size)} (want ${p.default_pool_size})`);
  if (!(Number(o.spec?.instances) >= 2)) problems.push(`spec.instances = ${String(o.spec?.instances)} (want >= 2)`);
  if (o.spec?.cluster?.name !== v.cnpg.cluster_name) problems.push(`spec.cluster.name = ${String(o.spec?.cluster?.name)} (want ${v.cnpg.cluster_name})`);
  return [
    problems.length
      ? fail(
          'E',
          'pooler',
          'PgBouncer Pooler settings',
          `${where(o, source)}: ${problems.join('; ')}`,
          'poolMode transaction, max_client_conn 1000, default_pool_size 20, 2 instances',
        )
      : pass(
          'E',
          'pooler',
          'PgBouncer Pooler settings',
          `${where(o, source)}: transaction, max_client_conn ${params.max_client_conn}, default_pool_size ${params.default_pool_size}, ${o.spec.instances} instances`,
        ),
  ];
}

/** I and D: the image policy's mode matches the inventory switch, with settings that mode accepts. */
export function checkPolicy(o: O, v: PlatformVars, source: string): CheckResult[] {
  const entries = ((o.spec?.rules ?? []) as any[]).flatMap((r) => (r.verifyImages ?? []) as any[]);
  if (entries.length === 0)
    return [
      fail(
        'D',
        'image-signing',
        'image signatures verified (cosign keyless)',
        `${where(o, source)}: no verifyImages rule`,
        'add the keyless verifyImages rule',
      ),
    ];
  const out: CheckResult[] = [];
  const keyless = entries.every((e) => (e.attestors ?? []).some((a: any) => (a.entries ?? []).some((x: any) => x.keyless?.issuer || x.keyless?.issuerRegExp)));
  out.push(
    keyless
      ? pass(
          'D',
          'image-signing',
          'image signatures verified (cosign keyless)',
          `${where(o, source)}: keyless attestor, issuer ${entries[0].attestors[0].entries[0].keyless.issuer ?? entries[0].attestors[0].entries[0].keyless.issuerRegExp}`,
        )
      : fail(
          'D',
          'image-signing',
          'image signatures verified (cosign keyless)',
          `${where(o, source)}: a verifyImages entry has no keyless attestor`,
          'add a keyless attestor (issuer + subject)',
        ),
  );
  const problems: string[] = [];
  for (const [i, e] of entries.entries()) {
    const mode = e.failureAction ?? o.spec?.validationFailureAction ?? 'Audit';
    if (mode !== v.kyverno.mode) problems.push(`verifyImages[${i}].failureAction = ${mode} (inventory kyverno.mode = ${v.kyverno.mode})`);
    if (mode === 'Audit' && e.mutateDigest !== false)
      problems.push(`verifyImages[${i}]: mutateDigest = ${String(e.mutateDigest ?? 'true (default)')} with Audit (Kyverno rejects it)`);
  }
  out.push(
    problems.length
      ? fail(
          'I',
          'policy-mode',
          'Kyverno policy mode',
          `${where(o, source)}: ${problems.join('; ')}`,
          'Audit needs mutateDigest: false; switch to Enforce through kyverno.mode in the inventory',
        )
      : pass(
          'I',
          'policy-mode',
          'Kyverno policy mode',
          `${where(o, source)}: failureAction ${v.kyverno.mode}${v.kyverno.mode === 'Audit' ? ', mutateDigest false' : ''}`,
        ),
  );
  return out;
}

/** H: ForwardAuth to the Authentik outpost, trusting forwarded headers. */
export function checkMiddleware(o: O, v: PlatformVars, source: string): CheckResult[] {
  const fa = o.spec?.forwardAuth;
  const host = `${v.identity.outpost_service}.${v.identity.outpost_namespace}`;
  const problems: string[] = [];
  if (!fa) problems.push('no spec.forwardAuth');
  else {
    if (!String(fa.address ?? '').includes(host) || !String(fa.address).includes('/outpost.goauthentik.io/auth/traefik'))
      problems.push(`forwardAuth.address = ${String(fa.address)} (want the ${host} outpost)`);
    if (fa.trustForwardHeader !== true) problems.push('forwardAuth.trustForwardHeader is not true');
    if (!(fa.authResponseHeaders ?? []).includes('X-authentik-username')) problems.push('authResponseHeaders lacks X-authentik-username');
  }
  return [
    problems.length
      ? fail('H', 'forward-auth', 'ForwardAuth Middleware to Authentik', `${where(o, source)}: ${problems.join('; ')}`, 'apply playbooks/platform/85_traefik')
      : pass('H', 'forward-auth', 'ForwardAuth Middleware to Authentik', `${where(o, source)}: ${fa.address}`),
  ];
}

/** H: the dashboard route goes through the Middleware to devtron-service:80. */
export function checkRoute(o: O, v: PlatformVars, source: string): CheckResult[] {
  const routes = (o.spec?.routes ?? []) as any[];
  const main = routes.find((r) => (r.middlewares ?? []).some((m: any) => m.name === v.traefik.middleware_name));
  const ok =
    main && (main.services ?? []).some((s: any) => s.name === 'devtron-service' && Number(s.port) === 80) && String(main.match).includes(v.devtron.hostname);
  return [
    ok
      ? pass(
          'H',
          'dashboard-route',
          'Devtron dashboard only through ForwardAuth',
          `${where(o, source)}: ${main.match} -> ${v.traefik.middleware_name} -> devtron-service:80`,
        )
      : fail(
          'H',
          'dashboard-route',
          'Devtron dashboard only through ForwardAuth',
          `${where(o, source)}: no route for ${v.devtron.hostname} through middleware ${v.traefik.middleware_name} to devtron-service:80`,
          'apply playbooks/platform/85_traefik',
        ),
  ];
}

export const REQUIRED_ALERTS = ['ArgoAppSyncFailed', 'ArgoAppConfigurationDrift', 'ArgoAppHealthDegraded'] as const;

/** J: the Argo CD alerts exist, on metrics Argo CD exports. */
export function checkRules(o: O, source: string): CheckResult[] {
  const rules = ((o.spec?.groups ?? []) as any[]).flatMap((g) => (g.rules ?? []) as any[]);
  const names = new Set(rules.map((r) => r.alert));
  const missing = REQUIRED_ALERTS.filter((a) => !names.has(a));
  const badExpr = rules.filter((r) => r.alert && !/argocd_app_(info|sync_total)/.test(String(r.expr)));
  if (missing.length || badExpr.length) {
    return [
      fail(
        'J',
        'argocd-alerts',
        'Argo CD alert rules',
        `${where(o, source)}: ${[missing.length ? `missing ${missing.join(', ')}` : '', badExpr.length ? `${badExpr.map((r) => r.alert).join(', ')} use no Argo CD metric` : ''].filter(Boolean).join('; ')}`,
        'apply playbooks/platform/50_operators',
      ),
    ];
  }
  return [pass('J', 'argocd-alerts', 'Argo CD alert rules', `${where(o, source)}: ${REQUIRED_ALERTS.join(', ')}`)];
}

/** C: per-environment ApplicationSets with retries; ordering needs RollingSync (waves alone do not order generated apps). */
export function checkApplicationSets(v: PlatformVars, envName: string): CheckResult[] {
  const a = v.argocd;
  const envs = a.environments ?? [envName];
  const out: CheckResult[] = [];
  out.push(
    a.retry_limit > 0
      ? pass(
          'C',
          'sync-retry',
          'Argo CD syncs retry',
          `syncPolicy.retry.limit = ${a.retry_limit} on apps-root-${envName} and ${envs.map((e) => `platform-${e}`).join(', ')}`,
        )
      : warn('C', 'sync-retry', 'Argo CD syncs retry', 'argocd.retry_limit = 0', 'set a retry limit (5) with backoff'),
  );
  if (a.layers.length > 1 && !a.rolling_sync) {
    out.push(
      warn(
        'C',
        'layer-order',
        'layers sync in order',
        `${a.layers.length} layers ordered by sync-wave annotations only: waves do not order the Applications an ApplicationSet generates`,
        'enable argocd.rolling_sync (Progressive Syncs, beta) or sync layers from a parent app with an Application health check',
      ),
    );
  } else out.push(pass('C', 'layer-order', 'layers sync in order', a.rolling_sync ? 'ApplicationSet strategy RollingSync by layer' : 'one layer'));
  return out;
}
