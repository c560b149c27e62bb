import Handlebars from 'handlebars';
import type { ParameterValue } from './parameters.ts';

/**
 * Per-team templates: handlebars in strict mode, with no prototype access, no partials or
 * decorators, and only the whitelisted helpers. Every template is checked statically against
 * the scenario (declared parameters, hosts and networks) before anything is rendered, so an
 * unknown name is reported with its line instead of failing at launch.
 */
export interface TemplateContext {
  params: Record<string, ParameterValue>;
  team: { id: string; name: string; index: number };
  exercise: { id: string };
  hosts: Record<string, { name: string; address: Record<string, string> }>;
}

export interface TemplateScope {
  params: ReadonlySet<string>;
  /** host name → the networks it is on */
  hosts: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface TemplateProblem {
  /** 1-based line and column inside the template text. */
  line: number;
  column: number;
  message: string;
}

export interface TemplateAnalysis {
  problems: TemplateProblem[];
  usedParams: Set<string>;
}

const HELPERS = {
  upper: (value: unknown) => String(value).toUpperCase(),
  lower: (value: unknown) => String(value).toLowerCase(),
  base64: (value: unknown) => Buffer.from(String(value), 'utf8').toString('base64'),
  json: (value: unknown) => JSON.stringify(value),
  eq: (a: unknown, b: unknown) => a === b,
} as const;
const BLOCK_HELPERS = new Set(['if', 'unless']);
/** How many arguments each helper takes. */
const ARITY: Record<string, number> = { upper: 1, lower: 1, base64: 1, json: 1, eq: 2, if: 1, unless: 1 };
/** Deeper nesting of ( ) and {{# }} than this is refused before parsing (handlebars' parser is recursive). */
export const MAX_TEMPLATE_NESTING = 32;
export const ALLOWED_HELPERS: readonly string[] = [...Object.keys(HELPERS), ...BLOCK_HELPERS].sort();
const FORBIDDEN_SEGMENTS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const hbs = Handlebars.create();
for (const name of ['each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing'])
  hbs.unregisterHelper(name);
for (const [name, fn] of Object.entries(HELPERS)) hbs.registerHelper(name, fn);
const knownHelpers = Object.fromEntries(ALLOWED_HELPERS.map((h) => [h, true]));

/** True when the text contains template syntax (plain text skips the template machinery). */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

export function analyzeTemplate(source: string, scope: TemplateScope): TemplateAnalysis {
  const problems: TemplateProblem[] = [];
  const usedParams = new Set<string>();
  const tooDeep = nestingProblem(source);
  if (tooDeep) return { problems: [tooDeep], usedParams };
  let ast: hbs.AST.Program;
  try {
    ast = hbs.parse(source);
  } catch (error) {
    problems.push(syntaxProblem(source, error));
    // The parameters a broken template names still count as used (no misleading "unused" warning).
    for (const match of source.matchAll(/params\.([a-z][a-z0-9_]*)/g))
      if (match[1] && scope.params.has(match[1])) usedParams.add(match[1]);
    return { problems, usedParams };
  }
  const report = (node: hbs.AST.Node, message: string): void => {
    problems.push({ line: node.loc.start.line, column: node.loc.start.column + 1, message });
  };

  const checkValuePath = (path: hbs.AST.PathExpression): void => {
    if (path.data) {
      report(path, `template variable '@${path.parts.join('.')}' is not allowed (no @data variables)`);
      return;
    }
    const bad = path.parts.find((p) => FORBIDDEN_SEGMENTS.has(p));
    if (bad !== undefined) {
      report(path, `template '${path.original}' tries to reach '${bad}': prototype access is not allowed`);
      return;
    }
    if (path.depth > 0 || path.original.startsWith('this') || path.parts.length === 0) {
      report(path, `template '${path.original}': only params, team, exercise and hosts can be used`);
      return;
    }
    const [root, a, b, c, ...rest] = path.parts;
    switch (root) {
      case 'params':
        if (a === undefined || b !== undefined) report(path, `template '${path.original}': use params.NAME`);
        else if (!scope.params.has(a)) {
          report(
            path,
            `template uses undeclared parameter '${a}'${scope.params.size ? ` (declared: ${[...scope.params].sort().join(', ')})` : ' (no parameters are declared)'}`,
          );
        } else usedParams.add(a);
        return;
      case 'team':
        if (a === undefined || b !== undefined || !['id', 'name', 'index'].includes(a)) {
          report(path, `template '${path.original}': team has id, name and index`);
        }
        return;
      case 'exercise':
        if (a !== 'id' || b !== undefined) report(path, `template '${path.original}': exercise has id`);
        return;
      case 'hosts': {
        const networks = a === undefined ? undefined : scope.hosts.get(a);
        if (a === undefined || !networks) {
          report(
            path,
            `template '${path.original}': unknown host '${a ?? ''}' (hosts: ${[...scope.hosts.keys()].join(', ')})`,
          );
        } else if (b === 'name' && c === undefined) {
          return;
        } else if (b !== 'address' || c === undefined || rest.length > 0) {
          report(path, `template '${path.original}': use hosts.${a}.address.NETWORK or hosts.${a}.name`);
        } else if (!networks.has(c)) {
          report(
            path,
            `template '${path.original}': host '${a}' is not on network '${c}' (it is on: ${[...networks].join(', ')})`,
          );
        }
        return;
      }
      default:
        report(
          path,
          `unknown template variable '${path.original}' (known: params.NAME, team.id, team.name, team.index, exercise.id, hosts.HOST.address.NETWORK; helpers: ${ALLOWED_HELPERS.join(', ')})`,
        );
    }
  };

  const checkHelperName = (
    path: hbs.AST.PathExpression | hbs.AST.Literal,
    block: boolean,
    args: number,
    hash: hbs.AST.Hash | undefined,
  ): void => {
    if (path.type !== 'PathExpression') {
      report(path, 'a literal cannot be called as a helper');
      return;
    }
    const name = (path as hbs.AST.PathExpression).original;
    const allowed = block ? BLOCK_HELPERS.has(name) : name in HELPERS;
    if (allowed) {
      const arity = ARITY[name] ?? 0;
      if (args !== arity)
        report(path, `helper '${name}' takes ${arity} argument${arity === 1 ? '' : 's'} (got ${args})`);
      if (pairsOf(hash).length > 0) report(path, `helper '${name}' takes no name=value arguments`);
    } else {
      report(
        path,
        `helper '${name}' is not allowed (allowed: ${block ? [...BLOCK_HELPERS].join(', ') : Object.keys(HELPERS).join(', ')})`,
      );
    }
  };

  const visitExpression = (node: hbs.AST.Expression): void => {
    switch (node.type) {
      case 'PathExpression':
        checkValuePath(node as hbs.AST.PathExpression);
        break;
      case 'SubExpression': {
        const sub = node as hbs.AST.SubExpression;
        checkHelperName(sub.path, false, sub.params.length, sub.hash);
        sub.params.forEach(visitExpression);
        pairsOf(sub.hash).forEach((p) => visitExpression(p.value));
        break;
      }
      default: // string, number, boolean, undefined and null literals
        break;
    }
  };

  const visitProgram = (program: hbs.AST.Program | undefined): void => {
    if (!program) return;
    if (blockParamsOf(program).length) report(program, 'block parameters are not allowed');
    for (const statement of program.body) {
      switch (statement.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          const m = statement as hbs.AST.MustacheStatement;
          const isCall = m.params.length > 0 || pairsOf(m.hash).length > 0;
          if (
            isCall ||
            (m.path.type === 'PathExpression' && (m.path as hbs.AST.PathExpression).original in HELPERS)
          ) {
            checkHelperName(m.path, false, m.params.length, m.hash);
          } else if (m.path.type === 'PathExpression') {
            checkValuePath(m.path as hbs.AST.PathExpression);
          }
          m.params.forEach(visitExpression);
          pairsOf(m.hash).forEach((p) => visitExpression(p.value));
          break;
        }
        case 'BlockStatement': {
          const b = statement as hbs.AST.BlockStatement;
          checkHelperName(b.path, true, b.params.length, b.hash);
          b.params.forEach(visitExpression);
          pairsOf(b.hash).forEach((p) => visitExpression(p.value));
          visitProgram(b.program);
          visitProgram(b.inverse);
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement':
          report(statement, 'partials ({{> name}}) are not allowed in scenario templates');
          break;
        case 'Decorator':
        case 'DecoratorBlock':
          report(statement, 'decorators ({{* name}}) are not allowed in scenario templates');
          break;
        default:
          report(statement, `template construct '${statement.type}' is not allowed`);
      }
    }
  };
  try {
    visitProgram(ast);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    problems.push({
      line: 1,
      column: 1,
      message: `template is nested too deeply (at most ${MAX_TEMPLATE_NESTING} levels)`,
    });
  }
  return { problems, usedParams };
}

/** Refuse nesting deeper than MAX_TEMPLATE_NESTING before the (recursive, superlinear) parser sees it. */
function nestingProblem(source: string): TemplateProblem | undefined {
  let depth = 0;
  let line = 1;
  let column = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    column++;
    if (c === '\n') {
      line++;
      column = 0;
    } else if (c === '(' || (c === '{' && source.startsWith('{{#', i))) {
      depth++;
      if (depth > MAX_TEMPLATE_NESTING) {
        return {
          line,
          column,
          message: `template is nested too deeply (more than ${MAX_TEMPLATE_NESTING} levels of ( ) or {{#…}})`,
        };
      }
    } else if (c === ')' || (c === '{' && source.startsWith('{{/', i))) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

const TOKENS: Record<string, string> = {
  CLOSE: '}}',
  CLOSE_UNESCAPED: '}}}',
  CLOSE_RAW_BLOCK: '}}}}',
  OPEN_SEXPR: '(',
  CLOSE_SEXPR: ')',
  ID: 'a name',
  STRING: 'a string',
  NUMBER: 'a number',
  BOOLEAN: 'true or false',
  SEP: '.',
  EQUALS: '=',
  OPEN_ENDBLOCK: '{{/…}}',
  INVERSE: '{{else}}',
  OPEN_INVERSE_CHAIN: '{{else …}}',
  EOF: 'the end of the text',
  INVALID: 'a character that cannot stand there',
};

/** A handlebars parse error in words, at the `{{` it concerns (its parser gives the line, not the column). */
function syntaxProblem(source: string, error: unknown): TemplateProblem {
  const message = error instanceof Error ? error.message : String(error);
  const mismatch = /^(\S+) doesn't match (\S+) - (\d+):(\d+)$/.exec(message);
  if (mismatch) {
    return {
      line: Number(mismatch[3]),
      column: Number(mismatch[4]) + 1,
      message: `template syntax error: {{#${mismatch[1] ?? ''}}} is closed by {{/${mismatch[2] ?? ''}}}`,
    };
  }
  const line = Number(/on line (\d+)/.exec(message)?.[1] ?? 1);
  const text = source.split('\n')[line - 1] ?? '';
  const open = text.lastIndexOf('{{');
  const unclosed = open !== -1 && !text.includes('}}', open) ? open : text.indexOf('{{');
  const match = /Expecting (.*), got '?([A-Z_]+)'?/.exec(message);
  let words = message.split('\n')[0] ?? message;
  if (match) {
    const expected = [
      ...new Set((match[1] ?? '').split(', ').map((t) => TOKENS[t.replace(/'/g, '')] ?? t.replace(/'/g, ''))),
    ].slice(0, 3);
    const got = TOKENS[match[2] ?? ''] ?? match[2] ?? '?';
    words = `found ${got}, expected ${expected.join(' or ')}${match[2] === 'EOF' ? ' (a {{#block}} or {{ is not closed)' : ''}`;
  }
  return { line, column: unclosed === -1 ? 1 : unclosed + 1, message: `template syntax error: ${words}` };
}

/** The handlebars AST leaves these out where empty, whatever its type declarations say. */
function pairsOf(hash: hbs.AST.Hash | undefined): hbs.AST.HashPair[] {
  return hash?.pairs ?? [];
}
function blockParamsOf(program: { blockParams?: string[] }): string[] {
  return program.blockParams ?? [];
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Render a template already accepted by analyzeTemplate. Plain text is returned as is. */
export function renderTemplate(source: string, context: TemplateContext): string {
  if (!isTemplate(source)) return source;
  let template = compiled.get(source);
  if (!template) {
    template = hbs.compile(source, { strict: true, noEscape: true, knownHelpers, knownHelpersOnly: true });
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(source, template);
  }
  return template(context, { allowProtoMethodsByDefault: false, allowProtoPropertiesByDefault: false });
}
