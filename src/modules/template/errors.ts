import { ConfigError } from '../../runtime/errors.ts';

/**
 * A template that cannot be rendered: a syntax error, control flow, an unknown helper or an
 * undefined variable. A user error (exit 2 when found during validation). Each issue names
 * the template and, where known, the line and column.
 */
export class TemplateError extends ConfigError {
  readonly template: string;
  /** One line per problem, each starting with `template "<name>": `. */
  readonly issues: readonly string[];

  constructor(template: string, issues: readonly string[]) {
    const lines = issues.map((issue) => `template "${template}": ${issue}`);
    super(lines.join('\n'));
    this.template = template;
    this.issues = lines;
  }
}
