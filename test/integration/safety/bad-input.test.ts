import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubernetes } from '../k8s/helpers.ts';
import {
  dropNamespaces,
  errorOf,
  helix,
  type JsonLine,
  playArgs,
  problemsOf,
  recapOf,
  resourceVersions,
  settledResourceVersions,
  SECRETS,
  stateObjects,
  uniqueNs,
} from './helpers.ts';

/**
 * Issue 9, bad input: each case exits 2 naming the path of what is wrong, before any task
 * starts, and leaves the cluster as it was: every object of the fixture's namespace keeps its
 * resourceVersion, and no run lock or journal record is written for any environment tried.
 */
const ENV = 'bad';
const NS = uniqueNs('helix-safety-bad');
const ENVS = [ENV, 'bad-yaml', 'bad-key', 'bad-type', 'nope'];

interface Case {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Matched against every problem (`path: message`) and error line of the run. */
  says: RegExp;
}

const set = (kv: string): string[] => ['--set', kv];

const CASES: Case[] = [
  { name: 'malformed inventory YAML', args: playArgs('bad-yaml', undefined), says: /inventory\/bad-yaml\.yaml: malformed YAML \(line \d+\)/ },
  { name: 'unknown inventory key', args: playArgs('bad-key', undefined), says: /inventory\/bad-key\.yaml[^:]*: Unrecognized key.*"componets"/ },
  {
    name: 'wrong type in the inventory',
    args: playArgs('bad-type', undefined),
    says: /^safety\/vars\.web\.replicas: Invalid input: expected number, received string \(inventory\/bad-type\.yaml/m,
  },
  {
    name: 'wrong type on the command line',
    args: playArgs(ENV, NS, ...set('legacy=maybe')),
    says: /^safety\/vars\.legacy: Invalid input: expected boolean, received string \(--set legacy\)/m,
  },
  { name: 'unknown key in a component variable', args: playArgs(ENV, NS, ...set('web.replica=3')), says: /^safety\/vars\.web: Unrecognized key: "replica"/m },
  {
    name: 'unknown field in a manifest (server strict validation)',
    args: playArgs(ENV, NS, ...set('web.extra_spec.replica=3')),
    says: /^safety\/40_web\/web: Deployment helix-safety-bad-\w+\/safety-web rejected by the API server: .*\.spec\.replica: field not declared in schema/m,
  },
  {
    name: 'missing secret',
    args: playArgs(ENV, NS),
    env: { SAFETY_DB_PASSWORD: undefined },
    says: /components\.safety\.db_password: secret from environment variable SAFETY_DB_PASSWORD is not set/,
  },
  {
    name: 'invalid object name',
    args: playArgs(ENV, NS, ...set('config_name=Safety_Config')),
    says: /^safety\/20_config\/settings: ConfigMap helix-safety-bad-\w+\/Safety_Config: name "Safety_Config" must be a DNS-1123 subdomain/m,
  },
  {
    name: 'invalid namespace name',
    args: playArgs(ENV, NS, ...set('namespace=Helix.Safety')),
    says: /^safety\/10_namespace\/namespace: Namespace Helix\.Safety: name "Helix\.Safety" must be a DNS-1123 label/m,
  },
  {
    name: 'oversize value (a ConfigMap over 1 MiB)',
    args: playArgs(ENV, NS, ...set('blob_kib=1100')),
    says: /^safety\/20_config\/flags: ConfigMap helix-safety-bad-\w+\/safety-flags rejected by the API server: .*Too long: may not be (more than|longer than) 1048576/m,
  },
  {
    name: 'manifest rejected by the server',
    args: playArgs(ENV, NS, ...set('web.image_pull_policy=Sometimes')),
    says: /^safety\/40_web\/web: Deployment helix-safety-bad-\w+\/safety-web rejected by the API server: .*imagePullPolicy: Unsupported value: "Sometimes"/m,
  },
  {
    name: 'a secret in a label the server refuses (error masked)',
    args: playArgs(ENV, NS, ...set('leak_token_into_label=true')),
    says: /^safety\/20_config\/flags: .*rejected by the API server: .*Invalid value: "\*{8}"/m,
  },
  {
    name: 'template with an undefined variable',
    args: playArgs(ENV, NS, ...set('config_template=undefined-variable.yaml.hbs')),
    says: /^safety\/20_config: .*undefined-variable\.yaml\.hbs.*undefined variable "greting"/m,
  },
  {
    name: 'template that does not parse',
    args: playArgs(ENV, NS, ...set('config_template=unclosed-block.yaml.hbs')),
    says: /^safety\/20_config: .*unclosed-block\.yaml\.hbs/m,
  },
  { name: 'unknown --only', args: playArgs(ENV, NS, '--only', 'nope'), says: /^safety\/nope: --only: no playbook or task named "nope"/m },
  { name: 'unknown environment', args: playArgs('nope', undefined), says: /unknown environment "nope"/ },
  {
    name: '--prune with --only',
    args: playArgs(ENV, NS, '--prune', '--only', '20_config'),
    says: /^safety: --prune needs the whole play to know what is declared: drop --only/m,
  },
];

const said = (events: readonly JsonLine[]): string => [...problemsOf(events).map((p) => `${p.path}: ${p.message}`), errorOf(events)].join('\n');

describe.skipIf(!hasKubernetes())('bad input exits 2 before any change', () => {
  let state: Record<string, Record<string, string>>;

  beforeAll(async () => {
    const out = await helix(playArgs(ENV, NS));
    expect(out.code, out.stderr).toBe(0);
    expect(recapOf(out.events)?.failed).toBe(0);
    state = {};
    for (const env of ENVS) state[env] = await stateObjects(env);
  }, 300_000);

  afterAll(() => dropNamespaces([NS]));

  for (const c of CASES) {
    it(c.name, async () => {
      const before = await settledResourceVersions([NS]);
      expect(Object.keys(before).length).toBeGreaterThan(8);
      const out = await helix(c.args, c.env);
      expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(2);
      expect(said(out.events)).toMatch(c.says);
      expect(out.events.some((e) => e.type === 'task.start' || e.type === 'lock.acquired')).toBe(false);
      expect(out.stdout + out.stderr).not.toContain(SECRETS.apiToken);
      expect(out.stdout + out.stderr).not.toContain(SECRETS.dbPassword);
      expect(await resourceVersions([NS])).toEqual(before);
      for (const env of ENVS) expect(await stateObjects(env)).toEqual(state[env]);
    });
  }
});
