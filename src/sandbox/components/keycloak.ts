import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TargetError } from '../../runtime/errors.ts';
import { cacheDir } from '../../runtime/paths.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { step } from '../progress.ts';
import { isRoot, run } from '../proc.ts';
import { ensureSecret, readSecret } from '../state.ts';
import { HOST_NAMES, PORTS, VERSIONS } from '../versions.ts';

/**
 * Keycloak from Maven Central (`org.keycloak:keycloak-quarkus-dist` zip), in dev mode on
 * loopback, with the bootstrap admin from generated credentials and a capped heap. Its H2
 * database lives in the sandbox folder, not in the cached distribution.
 */
const V = VERSIONS.keycloak;
export const KEYCLOAK_URL = `http://127.0.0.1:${PORTS.keycloak}`;
export const KEYCLOAK_ADMIN_USER = 'admin';
const HEAP = '-Xms128m -Xmx768m';

export const keycloakHome = () => join(cacheDir(), 'keycloak', V, `keycloak-${V}`);
const dataDir = (ctx: Ctx) => join(ctx.dir, 'keycloak');
export const adminPasswordFile = () => ensureSecret('keycloak-admin-password');

/** A JDK ≥ 17 for Keycloak: HELIX_JAVA_HOME, the Temurin 25 of our machines, JAVA_HOME, or the default. */
export function javaHome(): string | undefined {
  const candidates = [process.env.HELIX_JAVA_HOME, '/usr/lib/jvm/temurin-25-jdk-amd64', '/usr/lib/jvm/temurin-21-jdk-amd64', process.env.JAVA_HOME];
  if (existsSync('/usr/lib/jvm')) for (const d of readdirSync('/usr/lib/jvm').sort().reverse()) candidates.push(join('/usr/lib/jvm', d));
  return candidates.find((c) => c && existsSync(join(c, 'bin', 'java')));
}

async function download(): Promise<void> {
  const home = keycloakHome();
  if (existsSync(join(home, 'bin', 'kc.sh'))) return;
  const dir = join(cacheDir(), 'keycloak', V);
  mkdirSync(dir, { recursive: true });
  const zip = join(dir, `keycloak-quarkus-dist-${V}.zip`);
  if (!existsSync(zip)) {
    await run(
      'mvn',
      [
        '-B',
        '-q',
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
        `-Dartifact=org.keycloak:keycloak-quarkus-dist:${V}:zip`,
        `-DoutputDirectory=${dir}`,
      ],
      { timeoutMs: 30 * 60_000 },
    ).catch((error: Error) => {
      throw new TargetError('sandbox/keycloak', `could not download keycloak-quarkus-dist ${V} from Maven Central with mvn: ${error.message}`);
    });
  }
  const tmp = join(dir, 'unpack.tmp');
  rmSync(tmp, { recursive: true, force: true });
  await run('unzip', ['-q', zip, '-d', tmp]);
  renameSync(join(tmp, `keycloak-${V}`), home);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(zip, { force: true });
}

const ready = () => httpOk(`${KEYCLOAK_URL}/realms/master/.well-known/openid-configuration`, { contains: '"issuer"' });
const managementReady = () => httpOk(`http://127.0.0.1:${PORTS.keycloakManagement}/health/ready`, { contains: 'UP' });

export const keycloak: Component = {
  name: 'keycloak',
  description: `Keycloak ${V} (start-dev, H2) on ${KEYCLOAK_URL}`,
  deps: [],
  prepare: async (ctx) => {
    await step(ctx.report, 'keycloak', `download keycloak-quarkus-dist ${V} from Maven Central (cached)`, download);
  },
  start: async (ctx) => {
    const java = javaHome();
    if (!java) throw new TargetError('sandbox/keycloak', 'no JDK found (Keycloak needs Java 17+; set HELIX_JAVA_HOME)');
    mkdirSync(dataDir(ctx), { recursive: true, mode: 0o700 });
    const kcsh = join(keycloakHome(), 'bin', 'kc.sh');
    await ensureProcess(ctx, {
      component: 'keycloak',
      proc: 'keycloak',
      cmd: kcsh,
      args: [
        // With root (a real node), pods reach it at host.sandbox.test:18080 on the bridge too.
        'start-dev',
        `--http-host=${isRoot() ? '0.0.0.0' : '127.0.0.1'}`,
        `--http-port=${PORTS.keycloak}`,
        '--http-management-host=127.0.0.1',
        `--http-management-port=${PORTS.keycloakManagement}`,
        '--health-enabled=true',
        `--db-url=jdbc:h2:file:${join(dataDir(ctx), 'keycloakdb')};NON_KEYWORDS=VALUE`,
      ],
      env: {
        ...process.env,
        JAVA_HOME: java,
        JAVA_OPTS_KC_HEAP: HEAP,
        KC_BOOTSTRAP_ADMIN_USERNAME: KEYCLOAK_ADMIN_USER,
        KC_BOOTSTRAP_ADMIN_PASSWORD: readSecret(adminPasswordFile()),
      },
      marker: `--http-port=${PORTS.keycloak}`,
      ports: [PORTS.keycloak, PORTS.keycloakManagement],
      healthy: async () => (await ready()) && (await managementReady()),
      // First start of a fresh distribution re-augments; on 2 busy cores (a cold Go build
      // running beside it) that and the H2 bootstrap took up to ~2.5 min.
      timeoutMs: 600_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'keycloak', ['keycloak']);
    if (!p.ok) return p;
    const ok = (await ready()) && (await managementReady());
    return {
      ok,
      detail: `${p.detail}; master realm ${ok ? 'answers' : 'does not answer'} on :${PORTS.keycloak}, /health/ready on :${PORTS.keycloakManagement}`,
    };
  },
  contribute: () => ({
    vars: {
      // What playbooks configure OIDC clients with: with root, a name that pods and this
      // machine resolve alike, so the issuer Keycloak reports is the same for both.
      keycloak_url: isRoot() ? `http://${HOST_NAMES.host}:${PORTS.keycloak}` : KEYCLOAK_URL,
      keycloak_admin_user: KEYCLOAK_ADMIN_USER,
      keycloak_admin_password: { secret: { file: adminPasswordFile() } },
      keycloak_version: V,
    },
    env: { KEYCLOAK_URL, KEYCLOAK_ADMIN_USER, KEYCLOAK_ADMIN_PASSWORD_FILE: adminPasswordFile() },
  }),
};
