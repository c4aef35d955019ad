import type Handlebars from 'handlebars';
import { HELPER_ARITY, HELPERS, isHelper } from './helpers.ts';

type Program = ReturnType<typeof Handlebars.parse>;
type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;

const CONTROL_FLOW: Record<string, string> = {
  BlockStatement: 'block',
  DecoratorBlock: 'decorator',
  Decorator: 'decorator',
  PartialStatement: 'partial',
  PartialBlockStatement: 'partial',
};

function where(node: Node): string {
  return `(line ${node.loc.start.line}, column ${node.loc.start.column + 1})`;
}

/** True when `name` is an own property of `value` holding something other than `undefined`. */
function has(value: unknown, name: string): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, name) && (value as Record<string, unknown>)[name] !== undefined;
}

/**
 * Checks a parsed template before it is rendered and returns every problem found:
 * control flow (blocks, partials), unknown helpers, wrong argument counts and, when `vars`
 * is given, every variable that is not defined. A template has no blocks, so every path is
 * looked up from the root of `vars`.
 */
export function checkTemplate(program: Program, vars?: Record<string, unknown>): string[] {
  const issues: string[] = [];

  const path = (p: hbs.AST.PathExpression): void => {
    let parts = p.parts;
    if (p.data) {
      if (parts[0] !== 'root') {
        issues.push(`"@${p.original.replace(/^@/, '')}" is a block variable; templates have no blocks ${where(p)}`);
        return;
      }
      parts = parts.slice(1);
    }
    if (p.depth > 0) {
      issues.push(`"${p.original}" refers to a parent scope; templates have no blocks ${where(p)}`);
      return;
    }
    if (!vars) return;
    let value: unknown = vars;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (!has(value, part)) {
        issues.push(`undefined variable "${parts.slice(0, i + 1).join('.')}" ${where(p)}`);
        return;
      }
      value = value[part];
    }
  };

  const expression = (e: Expression): void => {
    switch (e.type) {
      case 'PathExpression':
        path(e as hbs.AST.PathExpression);
        return;
      case 'SubExpression':
        call(e as hbs.AST.SubExpression, true);
        return;
      default:
        return; // literals
    }
  };

  const call = (node: hbs.AST.MustacheStatement | hbs.AST.SubExpression, mustBeHelper: boolean): void => {
    if (node.path.type !== 'PathExpression') {
      issues.push(`a literal cannot be called or printed on its own ${where(node)}`);
      return;
    }
    const head = node.path as hbs.AST.PathExpression;
    const name = head.original;
    const calls = mustBeHelper || node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0 || isHelper(name);
    if (!calls) {
      path(head);
      return;
    }
    if (!isHelper(name) || head.data || head.parts.length !== 1) {
      issues.push(`unknown helper "${name}" (helpers: ${Object.keys(HELPERS).join(', ')}) ${where(node)}`);
    } else {
      const want = HELPER_ARITY[name];
      if (node.params.length !== want) {
        issues.push(`helper "${name}" takes ${want} argument${want === 1 ? '' : 's'}, got ${node.params.length} ${where(node)}`);
      }
      if ((node.hash?.pairs.length ?? 0) > 0) issues.push(`helper "${name}" takes no key=value options ${where(node)}`);
    }
    node.params.forEach(expression);
    node.hash?.pairs.forEach((pair) => expression(pair.value));
  };

  for (const statement of program.body) {
    const kind = CONTROL_FLOW[statement.type];
    if (kind) {
      issues.push(
        `${kind} "${controlName(statement)}" is control flow; templates render content only: compute the value in TypeScript and pass it in ${where(statement)}`,
      );
      continue;
    }
    if (statement.type === 'MustacheStatement') call(statement as hbs.AST.MustacheStatement, false);
  }
  return issues;
}

function controlName(statement: hbs.AST.Statement): string {
  const named = (e: hbs.AST.Expression | undefined): string => (e?.type === 'PathExpression' ? (e as hbs.AST.PathExpression).original : '(dynamic)');
  switch (statement.type) {
    case 'BlockStatement':
    case 'DecoratorBlock':
      return `#${named((statement as hbs.AST.BlockStatement).path)}`;
    case 'Decorator':
      return `*${named((statement as hbs.AST.Decorator).path)}`;
    default:
      return `>${named((statement as hbs.AST.PartialStatement).name)}`;
  }
}
