import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { type Component, type Contribution, type Ctx, saveCtx } from './component.ts';
import { adminPasswordFile, keycloak } from './components/keycloak.ts';
import { CONTEXT, adminKubeconfig } from './components/kubernetes.ts';
import { POSTGRES_DB, POSTGRES_USER, passwordFile, postgres } from './components/postgres.ts';
import { redis, redisPing } from './components/redis.ts';
import { httpOk } from './http.ts';
import { step } from './progress.ts';
import { requirePortFree, tcpOpen } from './proc.ts';
import { readSecret, writePrivate } from './state.ts';
import { KWOK_NODES, PORTS, VERSIONS } from './versions.ts';

/**
 * The container path: where a Docker engine answers, Kubernetes (k3s), Keycloak, Redis and
 * PostgreSQL run as containers through testcontainers, on the same loopback ports and with
 * the same credentials, so the inventory and `sandbox env` contract is unchanged. devpi,
 * oauth2-proxy, the SSH hosts and git stay processes (they need no engine).
 *
 * NOT TESTED on the project's machines (no Docker engine there); see docs/sandbox.md.
 * Select it with HELIX_SANDBOX_RUNTIME=containers, or it is chosen when an engine answers
 * `/_ping` and HELIX_SANDBOX_RUNTIME is not `process`.
 */
export type Runtime = 'process' | 'containers';

function dockerSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  if (host) return undefined; // tcp engines: only by explicit HELIX_SANDBOX_RUNTIME=containers
  return existsSync('/var/run/docker.sock') ? '/var/run/docker.sock' : undefined;
}

/** True when a Docker engine answers `GET /_ping` on its unix socket within a second. */
export function dockerAnswers(): Promise<boolean> {
  const socketPath = dockerSocket();
  if (!socketPath) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function detectRuntime(): Promise<Runtime> {
  const forced = process.env.HELIX_SANDBOX_RUNTIME;
  if (forced === 'process' || forced === 'containers') return forced;
  return (await dockerAnswers()) ? 'containers' : 'process';
}

interface ContainerSpec {
  name: string;
  description: string;
  image: string;
  ports: { container: number; host: number }[];
  env?: (ctx: Ctx) => Record<string, string>;
  command?: string[];
  privileged?: boolean;
  healthy: (ctx: Ctx) => Promise<boolean>;
  /** After start: e.g. copy the kubeconfig out of the container. */
  after?: (ctx: Ctx, id: string) => Promise<void>;
  contribute?: (ctx: Ctx) => Contribution;
  timeoutMs?: number;
}

async function tc() {
  // The reaper would remove the containers when `helix sandbox up` exits; `down` removes them.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  return import('testcontainers');
}

function containerComponent(spec: ContainerSpec): Component {
  const idOf = (ctx: Ctx) => ctx.state.facts[spec.name]?.containerId as string | undefined;
  const running = async (ctx: Ctx): Promise<boolean> => {
    const id = idOf(ctx);
    if (!id) return false;
    const { getContainerRuntimeClient } = await tc();
    const client = await getContainerRuntimeClient();
    const info = await client.container.inspect(client.container.getById(id)).catch(() => undefined);
    return !!info?.State.Running;
  };
  return {
    name: spec.name,
    description: `${spec.description} [container ${spec.image}]`,
    deps: [],
    prepare: async () => {},
    start: async (ctx) => {
      if ((await running(ctx)) && (await spec.healthy(ctx))) {
        ctx.report(`sandbox: ${spec.name}: container already running`);
        return;
      }
      for (const p of spec.ports) await requirePortFree(spec.name, '127.0.0.1', p.host);
      const { GenericContainer, Wait } = await tc();
      let c = new GenericContainer(spec.image)
        .withExposedPorts(...spec.ports)
        .withLabels({ 'helix.sandbox': spec.name })
        .withWaitStrategy(Wait.forListeningPorts())
        .withStartupTimeout(spec.timeoutMs ?? 300_000);
      if (spec.env) c = c.withEnvironment(spec.env(ctx));
      if (spec.command) c = c.withCommand(spec.command);
      if (spec.privileged) c = c.withPrivilegedMode();
      const started = await step(ctx.report, spec.name, `start container ${spec.image}`, () => c.start());
      (ctx.state.facts[spec.name] ??= {}).containerId = started.getId();
      saveCtx(ctx);
      await spec.after?.(ctx, started.getId());
      const deadline = Date.now() + (spec.timeoutMs ?? 300_000);
      while (!(await spec.healthy(ctx))) {
        if (Date.now() > deadline) throw new Error(`sandbox/${spec.name}: container ${started.getId().slice(0, 12)} did not become healthy`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    health: async (ctx) => {
      if (!(await running(ctx))) return { ok: false, detail: 'container not running' };
      const ok = await spec.healthy(ctx);
      return { ok, detail: `container ${idOf(ctx)!.slice(0, 12)}; ${ok ? 'healthy' : 'unhealthy'}` };
    },
    cleanup: async (ctx) => {
      const id = idOf(ctx);
      if (id) {
        const { getContainerRuntimeClient } = await tc();
        const client = await getContainerRuntimeClient();
        const ct = client.container.getById(id);
        await client.container.stop(ct, { timeout: 10 }).catch(() => {});
        await client.container.remove(ct, { removeVolumes: true }).catch(() => {});
      }
      delete ctx.state.facts[spec.name];
      saveCtx(ctx);
    },
    contribute: spec.contribute,
  };
}

const K3S_IMAGE = `rancher/k3s:v${VERSIONS.kubernetes}-k3s1`;

/** Kubernetes as one k3s container (a real kubelet, so pods run; no kwok needed). */
const k3s = containerComponent({
  name: 'kubernetes',
  description: `k3s ${VERSIONS.kubernetes} on https://127.0.0.1:${PORTS.apiserver}`,
  image: K3S_IMAGE,
  ports: [{ container: 6443, host: PORTS.apiserver }],
  privileged: true,
  command: ['server', '--disable=traefik', '--disable=metrics-server', `--node-name=${KWOK_NODES[0]}`, '--tls-san=127.0.0.1'],
  healthy: async (ctx) => existsSync(adminKubeconfig(ctx)) && (await kubeReady(ctx)),
  after: async (ctx, id) => {
    const { getContainerRuntimeClient } = await tc();
    const client = await getContainerRuntimeClient();
    const ct = client.container.getById(id);
    for (let i = 0; i < 120; i++) {
      const r = await client.container.exec(ct, ['cat', '/etc/rancher/k3s/k3s.yaml']);
      if (r.exitCode === 0 && r.output.includes('certificate-authority-data')) {
        const kubeconfig = r.output
          .replace(/https:\/\/127\.0\.0\.1:6443/g, `https://127.0.0.1:${PORTS.apiserver}`)
          .replace(/\bdefault\b/g, CONTEXT);
        writePrivate(adminKubeconfig(ctx), kubeconfig);
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    throw new Error('sandbox/kubernetes: k3s did not write its kubeconfig');
  },
  contribute: (ctx) => ({
    kubernetes: { kubeconfig: adminKubeconfig(ctx), context: CONTEXT },
    vars: { kubernetes_version: VERSIONS.kubernetes, kubernetes_server: `https://127.0.0.1:${PORTS.apiserver}` },
    env: { KUBECONFIG: adminKubeconfig(ctx), HELIX_SANDBOX_KUBE_CONTEXT: CONTEXT },
  }),
});

async function kubeReady(ctx: Ctx): Promise<boolean> {
  const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig(ctx));
  const nodes = await kc.makeApiClient(CoreV1Api).listNode().catch(() => undefined);
  return !!nodes?.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

const keycloakContainer = containerComponent({
  name: 'keycloak',
  description: `Keycloak ${VERSIONS.keycloak}`,
  image: `quay.io/keycloak/keycloak:${VERSIONS.keycloak}`,
  ports: [
    { container: 8080, host: PORTS.keycloak },
    { container: 9000, host: PORTS.keycloakManagement },
  ],
  command: ['start-dev', '--health-enabled=true'],
  env: () => ({
    KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KC_BOOTSTRAP_ADMIN_PASSWORD: readSecret(adminPasswordFile()),
    JAVA_OPTS_KC_HEAP: '-Xms128m -Xmx768m',
  }),
  healthy: () => httpOk(`http://127.0.0.1:${PORTS.keycloak}/realms/master/.well-known/openid-configuration`, { contains: '"issuer"' }),
  contribute: keycloak.contribute,
});

const redisContainer = containerComponent({
  name: 'redis',
  description: 'Redis 7',
  image: 'redis:7.0',
  ports: [{ container: 6379, host: PORTS.redis }],
  command: ['redis-server', '--save', '', '--appendonly', 'no'],
  healthy: () => redisPing(),
  contribute: redis.contribute,
});

const postgresContainer = containerComponent({
  name: 'postgres',
  description: 'PostgreSQL 15',
  image: 'postgres:15',
  ports: [{ container: 5432, host: PORTS.postgres }],
  env: () => ({ POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD: readSecret(passwordFile()) }),
  healthy: () => tcpOpen('127.0.0.1', PORTS.postgres),
  contribute: postgres.contribute,
});

/** The components that run as containers on the container path, by the names they replace. */
export const CONTAINER_COMPONENTS: Readonly<Record<string, Component>> = {
  kubernetes: k3s,
  keycloak: keycloakContainer,
  redis: redisContainer,
  postgres: postgresContainer,
};
