import { describe, expect, it } from 'vitest';
import { mask, Secret } from '../../../src/index.ts';
import { describeFailure, failedNodes } from '../../../roles/container_deployment/workflow.ts';
import { dockerConfig } from '../../../roles/container_deployment/docker_kaniko.ts';
import { oauth2ProxyConfig } from '../../../roles/oauth2_proxy/index.ts';
import { redisConf } from '../../../roles/redis/ephemeral_redis/index.ts';

describe('container_deployment/workflow: failure report', () => {
  const table: { name: string; status: Parameters<typeof describeFailure>[1]; expected: RegExp }[] = [
    {
      name: 'names the failed pod, not the DAG around it',
      status: {
        phase: 'Failed',
        nodes: {
          a: { name: 'wf', displayName: 'wf', type: 'DAG', phase: 'Failed' },
          b: { name: 'wf.clone', displayName: 'clone', type: 'Pod', phase: 'Succeeded' },
          c: { name: 'wf.build-image', displayName: 'build-image', type: 'Pod', templateName: 'kaniko', phase: 'Error', message: 'exit code 1' },
        },
      },
      expected: /Failed: failed node "build-image" \(template kaniko\): exit code 1$/,
    },
    { name: 'no nodes recorded', status: { phase: 'Error', message: 'deadline exceeded' }, expected: /Error \(deadline exceeded\): no failed node recorded/ },
    {
      name: 'second run: a succeeded Workflow has no failed node',
      status: { phase: 'Succeeded', nodes: { a: { phase: 'Succeeded', type: 'Pod' } } },
      expected: /no failed node/,
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      expect(describeFailure('argo/wf', row.status)).toMatch(row.expected);
    });
  }
  it('orders pods first', () => {
    expect(failedNodes({ nodes: { a: { type: 'DAG', phase: 'Failed' }, b: { type: 'Pod', phase: 'Failed' } } })[0]?.type).toBe('Pod');
  });
});

describe('secrets stay secret in rendered configuration', () => {
  it('redis.conf carries the password only as a Secret', () => {
    const pw = new Secret('redis-pass-value-123');
    const conf = redisConf(pw, 6379);
    expect(String(conf)).not.toContain('redis-pass-value-123');
    expect(conf.reveal()).toMatch(/^requirepass redis-pass-value-123$/m);
    expect(conf.reveal()).toMatch(/^save ""$/m);
  });
  it('the docker config (user:token in base64) is masked everywhere', () => {
    const cfg = dockerConfig('registry.example.com', 'robot', new Secret('robot-token-value'));
    const auth = JSON.parse(cfg.reveal()).auths['registry.example.com'].auth as string;
    expect(mask(`leak: ${auth}`)).not.toContain(auth);
    expect(mask(`leak: ${cfg.reveal()}`)).not.toContain('robot-token-value');
  });
  it('oauth2_proxy.cfg has no secret and protects the upstream', () => {
    const cfg = oauth2ProxyConfig({
      namespace: 'devpi',
      issuerUrl: 'https://auth.example.com/realms/thinkube',
      clientId: 'oauth2-proxy-devpi',
      dashboardHost: 'packages.example.com',
      upstream: 'http://devpi.devpi.svc.cluster.local:3141/',
      cookieDomain: 'example.com',
      redisUrl: 'redis://ephemeral-redis.devpi.svc.cluster.local:6379',
    });
    expect(cfg).toMatch(/^upstreams = \["http:\/\/devpi\.devpi\.svc\.cluster\.local:3141\/"\]$/m);
    expect(cfg).toMatch(/^redirect_url = "https:\/\/packages\.example\.com\/oauth2\/callback"$/m);
    expect(cfg).toMatch(/^cookie_secure = true$/m);
    expect(cfg).toMatch(/^ssl_insecure_skip_verify = false$/m);
    expect(cfg).not.toMatch(/client_secret|cookie_secret|redis_password/);
  });
});
