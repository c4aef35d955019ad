import { TargetError } from '../../runtime/errors.ts';
import type { Component, Ctx } from '../component.ts';
import { saveCtx } from '../component.ts';
import { isRoot, run, runStatus } from '../proc.ts';

export { isRoot };
import { writeHostsBlock } from '../host.ts';
import { FIXED_ADDRESSES, HOST_NAMES, INGRESS_HOST_NAMES, NET } from '../versions.ts';

/**
 * The sandbox's names in the host's /etc/hosts (the host has no wildcard resolver; pods ask
 * CoreDNS, which answers every `*.sandbox.test` name).
 */
export function hostsLines(): string[] {
  return [...FIXED_ADDRESSES.map(([ip, name]) => `${ip} ${name}`), `${NET.ingressIp} ${HOST_NAMES.ingress} ${INGRESS_HOST_NAMES.join(' ')}`];
}

/** Adds an address (/32) of the sandbox to the bridge, once. */
export async function ensureAddress(ctx: Ctx, ip: string): Promise<void> {
  const a = await linkAddrs(NET.bridge);
  if (!a?.addr_info?.some((i) => i.local === ip)) await run('ip', ['addr', 'add', `${ip}/32`, 'dev', NET.bridge]);
  const facts = (ctx.state.facts.net ??= {});
  const list = (facts.addresses ??= []) as string[];
  if (!list.includes(ip)) list.push(ip);
  saveCtx(ctx);
}

/**
 * The sandbox's private network: a bridge with the gateway address of 10.213.7.0/24. SSH
 * hosts hang off it in their own network namespaces; the apiserver advertises the gateway
 * address (it must not be loopback). Nothing outside the /24 is ever addressed.
 */
export function requireRoot(component: string): void {
  if (!isRoot()) {
    throw new TargetError(
      `sandbox/${component}`,
      'needs root (network namespaces, a bridge and host users); run `helix sandbox up` as root or leave this component out with --only',
    );
  }
}

interface IpAddr {
  ifname: string;
  operstate: string;
  addr_info?: { local: string; prefixlen: number }[];
}

export async function linkAddrs(dev: string, netns?: string): Promise<IpAddr | undefined> {
  const args = [...(netns ? ['-n', netns] : []), '-j', 'addr', 'show', 'dev', dev];
  try {
    const { stdout } = await run('ip', args);
    return (JSON.parse(stdout) as IpAddr[])[0];
  } catch {
    return undefined;
  }
}

async function bridgeHealthy(): Promise<boolean> {
  const a = await linkAddrs(NET.bridge);
  return !!a?.addr_info?.some((i) => i.local === NET.gateway);
}

export const net: Component = {
  name: 'net',
  description: `bridge ${NET.bridge} with ${NET.gateway}/${NET.prefix} (sandbox-only network)`,
  deps: [],
  prepare: async () => {},
  start: async (ctx: Ctx) => {
    requireRoot('net');
    const facts = (ctx.state.facts.net ??= {});
    if (!(await linkAddrs(NET.bridge))) {
      await run('ip', ['link', 'add', NET.bridge, 'type', 'bridge']);
      facts.bridge = NET.bridge;
      saveCtx(ctx);
    } else if (!facts.bridge) {
      throw new TargetError('sandbox/net', `a network interface ${NET.bridge} exists that helix did not create; remove it or rename it`);
    }
    if (!(await bridgeHealthy())) await run('ip', ['addr', 'add', `${NET.gateway}/${NET.prefix}`, 'dev', NET.bridge]);
    await run('ip', ['link', 'set', NET.bridge, 'up']);
    if (writeHostsBlock(hostsLines())) facts.hosts = true;
    saveCtx(ctx);
    ctx.report(`sandbox: net: bridge ${NET.bridge} ${NET.gateway}/${NET.prefix} ready`);
  },
  health: async () => {
    const ok = await bridgeHealthy();
    return { ok, detail: ok ? `${NET.bridge} has ${NET.gateway}/${NET.prefix}` : `${NET.bridge} missing or without ${NET.gateway}` };
  },
  cleanup: async (ctx) => {
    const facts = ctx.state.facts.net ?? {};
    if (facts.bridge && (await linkAddrs(NET.bridge))) await runStatus('ip', ['link', 'del', NET.bridge]);
    writeHostsBlock([]);
    delete ctx.state.facts.net;
    saveCtx(ctx);
  },
};
