/**
 * How faithfully helix port reads Ansible's YAML: every `.yml`/`.yaml` of the Thinkube corpus
 * (`<repo>/../shared/corpus/thinkube`, or the folder given) read by helix's reader and by
 * PyYAML (what Ansible uses: `python3` with `yaml` must be installed), values compared.
 *
 *   node bench/port-yaml.ts [folder]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { readYaml } from '../src/port/ansible/yaml.ts';

const root = process.argv[2] ?? fileURLToPath(new URL('../../shared/corpus/thinkube', import.meta.url));
const files = execFileSync('find', [root, '(', '-name', '*.yml', '-o', '-name', '*.yaml', ')', '-not', '-path', '*/templates/*'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .filter(Boolean);
const PY = `
import yaml, json, sys
class L(yaml.SafeLoader): pass
L.add_constructor('!vault', lambda l, n: {'__vault__': l.construct_scalar(n)})
L.add_constructor('!unsafe', lambda l, n: l.construct_scalar(n))
out = {}
for f in sys.stdin.read().split('\\n'):
    try: out[f] = {'ok': json.loads(json.dumps(yaml.load(open(f), Loader=L), default=str))}
    except Exception as e: out[f] = {'err': str(e).split('\\n')[0]}
print(json.dumps(out))
`;
const py = JSON.parse(execFileSync('python3', ['-c', PY], { input: files.join('\n'), encoding: 'utf8', maxBuffer: 1 << 28 })) as Record<
  string,
  { ok?: unknown; err?: string }
>;
const norm = (v: unknown): unknown =>
  JSON.parse(
    JSON.stringify(v, (_k, x: unknown) =>
      x instanceof Date ? x.toISOString() : x && typeof x === 'object' && 'ciphertext' in x ? { __vault__: (x as { ciphertext: string }).ciphertext } : x,
    ) ?? 'null',
  );
const count = { files: files.length, same: 0, different: 0, bothRefuse: 0, onlyHelixRefuses: 0, onlyPyyamlRefuses: 0 };
for (const f of files) {
  let helix: { ok?: unknown; err?: string };
  try {
    helix = { ok: norm(readYaml(f).value) };
  } catch (error) {
    helix = { err: (error as Error).message };
  }
  const p = py[f]!;
  if (p.err !== undefined && helix.err !== undefined) count.bothRefuse++;
  else if (helix.err !== undefined) {
    count.onlyHelixRefuses++;
    console.log(`helix refuses ${f}: ${helix.err}`);
  } else if (p.err !== undefined) {
    count.onlyPyyamlRefuses++;
    console.log(`PyYAML refuses ${f}: ${p.err}`);
  } else if (isDeepStrictEqual(helix.ok, p.ok)) count.same++;
  else {
    count.different++;
    console.log(`different: ${f}`);
  }
}
console.log(count);
