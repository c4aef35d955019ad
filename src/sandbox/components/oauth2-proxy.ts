import { join } from 'node:path';
import { goBuild, goBuildDir, goBuilt, OAUTH2_PROXY_BUILD } from '../build.ts';
import type { Component } from '../component.ts';
import { step } from '../progress.ts';
import { run } from '../proc.ts';
import { VERSIONS } from '../versions.ts';

/**
 * oauth2-proxy, built from the Go module proxy. The sandbox does not run it (it needs a
 * realm and a client first): it makes the binary available, and playbooks and tests start
 * it against a Keycloak realm with the Redis session store.
 */
export const oauth2ProxyBin = () => join(goBuildDir(OAUTH2_PROXY_BUILD.name, OAUTH2_PROXY_BUILD.version), 'bin', 'oauth2-proxy');

export const oauth2Proxy: Component = {
  name: 'oauth2-proxy',
  description: `oauth2-proxy v${VERSIONS.oauth2Proxy} binary (started by tests and playbooks)`,
  deps: [],
  prepare: async (ctx) => {
    await step(ctx.report, 'oauth2-proxy', `build oauth2-proxy v${VERSIONS.oauth2Proxy} (cached)`, () => goBuild(OAUTH2_PROXY_BUILD));
  },
  start: async () => {},
  health: async () => {
    if (!goBuilt(OAUTH2_PROXY_BUILD)) return { ok: false, detail: 'not built' };
    try {
      const { stdout } = await run(oauth2ProxyBin(), ['--version']);
      const ok = stdout.includes(`v${VERSIONS.oauth2Proxy}`);
      return { ok, detail: `${oauth2ProxyBin()}: ${stdout.trim()}` };
    } catch (error) {
      return { ok: false, detail: (error as Error).message.split('\n')[0]! };
    }
  },
  contribute: () => ({
    vars: { oauth2_proxy_bin: oauth2ProxyBin(), oauth2_proxy_version: VERSIONS.oauth2Proxy },
    env: { HELIX_SANDBOX_OAUTH2_PROXY_BIN: oauth2ProxyBin() },
  }),
};
