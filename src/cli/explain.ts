import { ConfigError } from '../runtime/errors.ts';
import { componentVars, loadInventory } from '../runtime/inventory.ts';
import { isSecret } from '../runtime/secret.ts';

/** `helix explain <component> <variable>`: the value (masked if secret) and where it came from. */
export function explainCommand(root: string, component: string, variable: string, o: { env: string; json?: boolean }): void {
  const inv = loadInventory(root, o.env);
  const { vars, provenance } = componentVars(inv, component);
  if (!(variable in vars)) {
    throw new ConfigError(`no variable "${variable}" for ${component} in environment ${o.env}`, `${component}/vars.${variable}`);
  }
  const value = vars[variable];
  const secret = isSecret(value);
  const shown = secret ? '********' : value;
  const origin = secret ? `${provenance[variable]} (secret from ${value.origin})` : provenance[variable];
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ variable, value: shown, secret, from: origin })}\n`);
    return;
  }
  process.stdout.write(`${variable} = ${typeof shown === 'string' ? shown : JSON.stringify(shown)}\n  from ${origin}\n`);
}
