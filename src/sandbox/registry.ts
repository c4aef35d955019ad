import { ConfigError } from '../runtime/errors.ts';
import type { Component } from './component.ts';
import { devpi } from './components/devpi.ts';
import { keycloak } from './components/keycloak.ts';
import { KUBERNETES_COMPONENTS } from './components/kubernetes.ts';
import { net } from './components/net.ts';
import { oauth2Proxy } from './components/oauth2-proxy.ts';
import { postgres } from './components/postgres.ts';
import { redis } from './components/redis.ts';
import { gitServer, sshHosts } from './components/ssh.ts';
import { coredns } from './components/dns.ts';
import { registry } from './components/image-registry.ts';
import { traefik } from './components/ingress.ts';
import { NODE_COMPONENTS } from './components/node.ts';
import { storage } from './components/storage.ts';
import { argoWorkflows } from './components/argo-workflows.ts';
import { github } from './components/github.ts';
import { argoCd } from './components/argo-cd.ts';

/** The real node and what makes it useful: images, runtime, kubelet, Services, DNS, ingress. */
export const NODE_GROUP: readonly Component[] = [registry, ...NODE_COMPONENTS, coredns, traefik, storage];

/** Every component, in a valid start order (each after its dependencies). */
export const COMPONENTS: readonly Component[] = [
  net,
  ...KUBERNETES_COMPONENTS,
  ...NODE_GROUP,
  keycloak,
  redis,
  postgres,
  devpi,
  oauth2Proxy,
  sshHosts,
  gitServer,
  github,
  argoWorkflows,
  argoCd,
];

/** Names accepted by `--only` besides the component names. */
export const ALIASES: Readonly<Record<string, readonly string[]>> = {
  k8s: KUBERNETES_COMPONENTS.map((c) => c.name),
  kubernetes: KUBERNETES_COMPONENTS.map((c) => c.name),
  hosts: ['ssh', 'git', 'github'],
  node: NODE_GROUP.map((c) => c.name),
};

/** Every component, and the names `--only` accepts besides their own. */
export function catalog(): { components: Component[]; aliases: Record<string, readonly string[]> } {
  return { components: [...COMPONENTS], aliases: { ...ALIASES } };
}

export function component(name: string): Component {
  const c = catalog().components.find((x) => x.name === name);
  if (!c) throw new ConfigError(`unknown sandbox component "${name}"`, '--only');
  return c;
}

/**
 * The components to start for `--only a,b` (all when empty, but an opt-in component only when
 * its variable is `1`): the named ones, the members of named aliases, and their dependencies, in
 * start order. Unknown names are all reported at once.
 */
export function resolveComponents(only?: readonly string[], env: NodeJS.ProcessEnv = process.env): Component[] {
  const { components, aliases } = catalog();
  if (!only?.length) return components.filter((c) => !c.optIn || env[c.optIn] === '1');
  const unknown = only.filter((n) => !aliases[n] && !components.some((c) => c.name === n));
  if (unknown.length) {
    const known = [...Object.keys(aliases), ...components.map((c) => c.name)].join(', ');
    throw new ConfigError(`unknown sandbox component${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${known})`, '--only');
  }
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const d of component(name).deps) add(d);
  };
  for (const n of only) for (const m of aliases[n] ?? [n]) add(m);
  return components.filter((c) => wanted.has(c.name));
}
