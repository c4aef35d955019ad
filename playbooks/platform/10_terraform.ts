import { definePlaybook } from 'helix';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';
import { terraformGuardrails } from './lib/guardrails.ts';

/**
 * Installation step 1, Terraform (infra primitives). helix never runs terraform: it checks
 * the environment's root module and CI policy statically (real HCL parser) and stops the
 * play when the state backend or the hard boundary of 002 is broken.
 */
export default definePlaybook<PlatformVars>((env) => [terraformGuardrails(platform(env))]);
