import { definePlaybook } from 'helix';
import { ephemeralRedis } from '../../../../roles/redis/ephemeral_redis/index.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES, REDIS_PORT } from './names.ts';

/** The session store for oauth2-proxy. */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  return [
    ephemeralRedis({
      namespace: d.ns,
      name: NAMES.redis,
      image: d.v.redis_image,
      port: REDIS_PORT,
      clientLabels: { app: NAMES.oauth2Proxy },
      labels: d.labels,
      placement: d.placement,
    }),
  ];
});
