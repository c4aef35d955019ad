import { randomBytes } from 'node:crypto';
import { TaskError } from '../../runtime/errors.ts';
import { Secret } from '../../runtime/secret.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { clientTarget } from './client.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

export interface ClientSecretSpec {
  admin: KeycloakAdmin;
  realm: string;
  clientId: string;
}

/**
 * Reads a confidential client's secret (a `Secret`, never shown). Plans no change.
 *
 * In a check run where an earlier task will create the client, the secret does not exist yet:
 * the result is then a random placeholder `Secret`, so later tasks (the Kubernetes Secret that
 * stores it) plan the change the real run will make. In a real run a missing client is an error.
 */
export function clientSecret(name: string, options: ClientSecretSpec & TaskOptions<Secret>): Task<Secret> {
  const [spec, common] = splitOptions(options);
  const { admin, realm, clientId } = spec;
  const what = `client ${clientId} in realm ${realm}`;
  return defineTask<Secret>({
    kind: 'keycloak.clientSecret',
    name,
    options: common,
    validate: (report) => {
      validateAdmin(admin, report);
      if (!realm) report('realm is required');
      if (!clientId) report('clientId is required');
    },
    plan: async (ctx) => {
      const api = keycloakApi(ctx, admin);
      const found = await api.findClient(realm, clientId);
      if (!found?.id) {
        if (ctx.plannedCreate(clientTarget(realm, clientId))) {
          const placeholder = new Secret(randomBytes(24).toString('base64url'), `predicted: the secret ${what} will get when created`);
          return noChange(`the secret of ${what} is known once the client is created (predicted)`, placeholder);
        }
        throw new TaskError(ctx.path, `${what} does not exist, so it has no secret`);
      }
      if (found.publicClient) throw new TaskError(ctx.path, `${what} is public: it has no secret`);
      const secret = await api.getClientSecret(realm, found.id);
      if (!secret) throw new TaskError(ctx.path, `${what} has no secret (is it confidential, with client-secret authentication?)`);
      return noChange(`read the secret of ${what}`, secret);
    },
  });
}
