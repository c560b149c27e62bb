import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  CST,
  LineCounter,
  Lexer,
  parseDocument,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { joinPointer, type Diagnostic } from './diagnostic.ts';

export interface SourcePosition {
  line: number;
  column: number;
}

/** Where each JSON pointer of a YAML document stands in its file: the value, and (for map entries) the key. */
export interface SourceMap {
  value(pointer: string): SourcePosition | undefined;
  key(pointer: string): SourcePosition | undefined;
  /** The position of the pointer, or of its nearest ancestor that has one. */
  nearest(pointer: string, preferKey?: boolean): SourcePosition;
  /**
   * Where line/column of `template`, the string held at `pointer`, stand in the file. Found by
   * looking the text there up in the scalar's source, so folded, quoted and block strings map right;
   * where the source spells it differently (escapes), the string's own position.
   */
  inString(pointer: string, template: string, line: number, column: number): SourcePosition;
}

export interface LoadedYaml {
  data: unknown;
  sourceMap: SourceMap;
  diagnostics: Diagnostic[];
}

export const YAML_LIMITS = {
  /** Nodes one alias may expand to: YAML "billion laughs" bombs stop here. */
  maxAliasCount: 50,
  /**
   * Anchors (`&name`) and aliases (`*name`) in one file, counted on the token stream before any is
   * resolved: the `yaml` package resolves each alias by walking the whole document, so their cost
   * grows with (aliases × document size) before `maxAliasCount` can apply.
   */
  maxAnchors: 50,
  maxAliases: 100,
  /**
   * Nodes (values, keys, list entries, flow collections) in one file, counted the same way: a file
   * of 300,000 `[],` fits in the size limit but costs seconds and hundreds of MiB to load with
   * positions. The largest shipped scenario has about 830.
   */
  maxNodes: 20_000,
  /** Keys that would reach the prototype chain when the document is used as a JS object. */
  forbiddenKeys: ['__proto__', 'constructor', 'prototype'] as readonly string[],
};

const FRIENDLY: Partial<Record<string, (message: string) => string>> = {
  MULTIPLE_DOCS: () =>
    "a scenario file holds exactly one YAML document, but this file has multiple documents (a second one after '---'): remove it or move it to a file of its own",
  BAD_INDENT: (m) => `bad indentation: ${m}`,
  BLOCK_AS_IMPLICIT_KEY: () =>
    'bad indentation: this line is indented deeper than the key before it (or a key is missing its colon)',
  MULTILINE_IMPLICIT_KEY: () => 'bad indentation: a key must fit on one line (is a line indented too deep?)',
  TAB_AS_INDENT: () => 'Tabs are not allowed as indentation (indent with spaces)',
};

/**
 * Parse one YAML document, keeping every node's position. Syntax errors, duplicate keys,
 * alias bombs, undefined aliases and prototype-polluting keys are reported as diagnostics, never thrown.
 */
export function loadYaml(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const values = new Map<string, SourcePosition>();
  const keys = new Map<string, SourcePosition>();
  const keyPointers = new Map<number, string>(); // offset of a key → its pointer
  const scalars = new Map<string, { type: string; start: number; end: number }>();
  const lastLine = Math.max(1, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return line > lastLine ? { line: lastLine, column: 1 } : { line, column: col };
  };
  const error = (rule: string, pos: SourcePosition, pointer: string, message: string): void => {
    diagnostics.push({ severity: 'error', rule, file, ...pos, pointer, message });
  };

  const sourceMap: SourceMap = {
    value: (p) => values.get(p),
    key: (p) => keys.get(p),
    nearest(pointer, preferKey = false) {
      for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
        const found = (preferKey ? keys.get(p) : undefined) ?? values.get(p) ?? keys.get(p);
        if (found) return found;
        if (p === '') return { line: 1, column: 1 };
      }
    },
    inString(pointer, template, line, column) {
      const scalar = scalars.get(pointer);
      if (!scalar) return sourceMap.nearest(pointer);
      const lines = template.split('\n');
      let offset = column - 1;
      for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
      const snippet = (template.slice(offset, offset + 16).split('\n')[0] ?? '').trimEnd();
      if (!snippet) return sourceMap.nearest(pointer);
      let occurrence = 0;
      for (let i = template.indexOf(snippet); i !== -1 && i < offset; i = template.indexOf(snippet, i + 1))
        occurrence++;
      const source = text.slice(scalar.start, scalar.end);
      let found = -1;
      for (let n = 0; n <= occurrence; n++) {
        found = source.indexOf(snippet, found + 1);
        if (found === -1) return sourceMap.nearest(pointer);
      }
      return at(scalar.start + found);
    },
  };

  // Caps first, on the tokens: nothing is resolved yet, and this pass is linear in the text.
  let marks: YamlMarks;
  try {
    marks = scanAnchorsAndAliases(text);
  } catch (e) {
    error('yaml.syntax', { line: 1, column: 1 }, '', `YAML: ${describeThrown(e)}`);
    return { data: undefined, sourceMap, diagnostics };
  }
  const over = (
    kind: 'anchors' | 'aliases',
    cap: number,
    found: { name: string; offset: number }[],
    sign: string,
  ): boolean => {
    const first = found[cap];
    if (!first) return false;
    error(
      kind === 'anchors' ? 'limit.yaml-anchors' : 'limit.yaml-aliases',
      positionOf(text, first.offset),
      '',
      `YAML: too many ${kind}: a scenario file may use at most ${cap} ${kind} (${sign}name), this one has ${found.length}; ${sign}${first.name} here is number ${cap + 1} (the limit keeps alias resolution cheap: write the values out instead)`,
    );
    return true;
  };
  let tooMany =
    over('anchors', YAML_LIMITS.maxAnchors, marks.anchors, '&') ||
    over('aliases', YAML_LIMITS.maxAliases, marks.aliases, '*');
  if (!tooMany && marks.nodeOverCap !== undefined) {
    error(
      'limit.yaml-nodes',
      positionOf(text, marks.nodeOverCap),
      '',
      `YAML: too many values: a scenario file may hold at most ${YAML_LIMITS.maxNodes} nodes (values, keys and list entries), this one has ${marks.nodes}; the one here is number ${YAML_LIMITS.maxNodes + 1}`,
    );
    tooMany = true;
  }
  if (tooMany) return { data: undefined, sourceMap, diagnostics };

  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
      version: '1.2',
      schema: 'core',
      merge: false,
    });
  } catch (e) {
    error('yaml.syntax', { line: 1, column: 1 }, '', `YAML: ${describeThrown(e)}`);
    return { data: undefined, sourceMap, diagnostics };
  }

  // Positions first (also for files with errors: a duplicate key is reported at its pointer).
  const aliases: { node: Node; pointer: string }[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.range) values.set(pointer, at(n.range[0]));
    if (isScalar(n) && n.range)
      scalars.set(pointer, { type: n.type ?? 'PLAIN', start: n.range[0], end: n.range[1] });
    if (isAlias(n)) {
      aliases.push({ node: n, pointer });
      return;
    }
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        const keyValue = isScalar(keyNode) ? keyNode.value : keyNode;
        const key =
          typeof keyValue === 'string' || typeof keyValue === 'number' ? String(keyValue) : undefined;
        const keyPos = isScalar(keyNode) && keyNode.range ? at(keyNode.range[0]) : undefined;
        if (key === undefined) {
          error(
            'yaml.key-type',
            keyPos ?? sourceMap.nearest(pointer),
            pointer,
            'YAML: map keys must be plain strings',
          );
          continue;
        }
        const child = joinPointer(pointer, key);
        if (keyPos) keys.set(child, keyPos);
        if (isScalar(keyNode) && keyNode.range) keyPointers.set(keyNode.range[0], child);
        if (YAML_LIMITS.forbiddenKeys.includes(key)) {
          error(
            'yaml.forbidden-key',
            keyPos ?? sourceMap.nearest(pointer),
            child,
            `the key '${key}' is not allowed anywhere in a scenario (it would reach JavaScript's prototype chain)`,
          );
        }
        walk(pair.value, child);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        walk(item, joinPointer(pointer, i));
      });
    }
  };
  try {
    walk(doc.contents, '');
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    error('yaml.depth', { line: 1, column: 1 }, '', 'YAML: the document is nested too deeply');
    return { data: undefined, sourceMap, diagnostics };
  }

  // Syntax errors: the first one, and duplicate keys before it; later ones are mostly its echoes.
  const errors = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const firstSyntax = errors.findIndex((e) => e.code !== 'DUPLICATE_KEY');
  for (const err of firstSyntax === -1 ? errors : errors.slice(0, firstSyntax + 1)) reportYamlError(err);
  for (const warn of doc.warnings) {
    // An unknown tag (!foo) would silently become a plain string: scenarios use no tags.
    const pos = at(warn.pos[0]);
    if (warn.code === 'TAG_RESOLVE_FAILED')
      error('yaml.tag', pos, '', `YAML: ${firstLine(warn.message)} (scenarios use no YAML tags)`);
    else
      diagnostics.push({
        severity: 'warning',
        rule: 'yaml.warning',
        file,
        ...pos,
        pointer: '',
        message: `YAML: ${firstLine(warn.message)}`,
      });
  }
  // An alias needs an anchor of its name before it (checked on the tokens: `Alias.resolve` walks the document).
  const firstAnchor = new Map<string, number>();
  for (const a of marks.anchors) if (!firstAnchor.has(a.name)) firstAnchor.set(a.name, a.offset);
  for (const { node, pointer } of aliases) {
    const anchorAt = isAlias(node) ? firstAnchor.get(node.source) : undefined;
    if (isAlias(node) && (anchorAt === undefined || anchorAt > (node.range?.[0] ?? 0))) {
      error(
        'yaml.alias',
        node.range ? at(node.range[0]) : sourceMap.nearest(pointer),
        pointer,
        `YAML: alias *${node.source} refers to no anchor &${node.source} defined before it`,
      );
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { data: undefined, sourceMap, diagnostics };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (e) {
    if (e instanceof RangeError && !/alias/i.test(e.message)) {
      error('yaml.depth', { line: 1, column: 1 }, '', 'YAML: the document is nested too deeply');
    } else {
      const first = aliases[0];
      error(
        'yaml.alias-limit',
        first?.node.range ? at(first.node.range[0]) : { line: 1, column: 1 },
        '',
        `YAML: alias expansion is too large (an alias may stand for at most ${YAML_LIMITS.maxAliasCount} nodes); a scenario may not be a YAML bomb`,
      );
    }
    return { data: undefined, sourceMap, diagnostics };
  }
  return { data, sourceMap, diagnostics };

  function reportYamlError(err: YAMLError): void {
    const pos = at(err.pos[0]);
    if (err.code === 'DUPLICATE_KEY') {
      const key = keyAt(text, err.pos[0]);
      error(
        'yaml.duplicate-key',
        pos,
        keyPointers.get(err.pos[0]) ?? '',
        `YAML: duplicate key '${key}' (each key may appear once in a map)`,
      );
      return;
    }
    const message = firstLine(err.message).replace(/ at line \d+, column \d+:?$/, '');
    const friendly = FRIENDLY[err.code];
    error(
      'yaml.syntax',
      pos,
      '',
      `YAML: ${/Maximum call stack/.test(message) ? 'the document is nested too deeply' : friendly ? friendly(message) : message}`,
    );
  }
}

interface YamlMarks {
  anchors: { name: string; offset: number }[];
  aliases: { name: string; offset: number }[];
  /** YAML nodes (values, keys, list items, flow collections), and where the first one past the cap is. */
  nodes: number;
  nodeOverCap?: number;
}

/** Tokens that stand for a node (or an entry) of the document; plain scalars are counted separately. */
const NODE_TOKENS = new Set([
  'alias',
  'single-quoted-scalar',
  'double-quoted-scalar',
  'flow-map-start',
  'flow-seq-start',
  'seq-item-ind',
  'explicit-key-ind',
  'map-value-ind',
]);

/**
 * Every anchor and alias of a YAML text, in source order, and a count of its nodes, from the `yaml`
 * package's Lexer: tokens only, nothing parsed into a tree, composed or resolved, so this costs a
 * fraction of loading the file. Offsets are counted as the package's Parser counts them (control
 * tokens take no room in the source).
 */
export function scanAnchorsAndAliases(text: string, maxNodes: number = YAML_LIMITS.maxNodes): YamlMarks {
  const marks: YamlMarks = { anchors: [], aliases: [], nodes: 0 };
  let offset = 0;
  let atScalar = false;
  const node = (): void => {
    marks.nodes++;
    if (marks.nodes === maxNodes + 1) marks.nodeOverCap = offset;
  };
  for (const source of new Lexer().lex(text)) {
    if (atScalar) {
      // The text of a plain or block scalar, announced by a control token.
      atScalar = false;
      node();
      offset += source.length;
      continue;
    }
    const type = CST.tokenType(source);
    if (type === 'scalar') {
      atScalar = true;
      continue;
    }
    if (type === 'doc-mode' || type === 'flow-error-end') continue;
    if (type === 'anchor') marks.anchors.push({ name: source.slice(1).trimEnd(), offset });
    else if (type === 'alias') marks.aliases.push({ name: source.slice(1).trimEnd(), offset });
    if (type !== null && NODE_TOKENS.has(type)) node();
    offset += source.length;
  }
  return marks;
}

/** 1-based line and column of an offset (for the few positions reported before the parse). */
function positionOf(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function keyAt(text: string, offset: number): string {
  const raw = /^[^:\n]*/.exec(text.slice(offset, offset + 200))?.[0]?.trim() ?? '?';
  return /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function describeThrown(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return /Maximum call stack/.test(message) ? 'the document is nested too deeply' : firstLine(message);
}
