import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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
  /** Where line/column of a template held in the string at `pointer` stand in the file. */
  inString(pointer: string, line: number, column: number): SourcePosition;
}

export interface LoadedYaml {
  data: unknown;
  sourceMap: SourceMap;
  diagnostics: Diagnostic[];
}

export const YAML_LIMITS = {
  /** Aliases resolved in one document: YAML "billion laughs" bombs stop here. */
  maxAliasCount: 50,
  /** Keys that would reach the prototype chain when the document is used as a JS object. */
  forbiddenKeys: ['__proto__', 'constructor', 'prototype'] as readonly string[],
};

/**
 * Parse one YAML document, keeping every node's position. Syntax errors, duplicate keys,
 * alias bombs and prototype-polluting keys are reported as diagnostics, never thrown.
 */
export function loadYaml(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const values = new Map<string, SourcePosition>();
  const scalarTypes = new Map<string, string>();
  const keys = new Map<string, SourcePosition>();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    version: '1.2',
    schema: 'core',
    merge: false,
  });
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
    inString(pointer, line, column) {
      const start = sourceMap.nearest(pointer);
      const type = scalarTypes.get(pointer);
      if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') return { line: start.line + line, column };
      const quoted = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? 1 : 0;
      return line === 1
        ? { line: start.line, column: start.column + quoted + column - 1 }
        : { line: start.line + line - 1, column };
    },
  };

  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? at(err.pos[0]);
    diagnostics.push({
      severity: 'error',
      rule: err.code === 'DUPLICATE_KEY' ? 'yaml.duplicate-key' : 'yaml.syntax',
      file,
      line: pos.line,
      column: 'col' in pos ? pos.col : pos.column,
      pointer: '',
      message:
        err.code === 'DUPLICATE_KEY'
          ? `YAML: duplicate key '${keyAt(text, err.pos[0])}' (each key may appear once in a map)`
          : `YAML: ${firstLine(err.message)}`,
    });
  }
  for (const warn of doc.warnings) {
    const pos = warn.linePos?.[0] ?? at(warn.pos[0]);
    diagnostics.push({
      severity: 'warning',
      rule: 'yaml.warning',
      file,
      line: pos.line,
      column: 'col' in pos ? pos.col : pos.column,
      pointer: '',
      message: `YAML: ${firstLine(warn.message)}`,
    });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { data: undefined, sourceMap, diagnostics };

  let aliases = 0;
  const walk = (node: unknown, pointer: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.range) values.set(pointer, at(n.range[0]));
    if (isScalar(n) && n.type) scalarTypes.set(pointer, n.type);
    if (isAlias(n)) {
      aliases += 1;
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
          const pos = keyPos ?? sourceMap.nearest(pointer);
          diagnostics.push({
            severity: 'error',
            rule: 'yaml.key-type',
            file,
            ...pos,
            pointer,
            message: 'YAML: map keys must be plain strings',
          });
          continue;
        }
        const child = joinPointer(pointer, key);
        if (keyPos) keys.set(child, keyPos);
        if (YAML_LIMITS.forbiddenKeys.includes(key)) {
          diagnostics.push({
            severity: 'error',
            rule: 'yaml.forbidden-key',
            file,
            ...(keyPos ?? sourceMap.nearest(pointer)),
            pointer: child,
            message: `the key '${key}' is not allowed anywhere in a scenario (it would reach JavaScript's prototype chain)`,
          });
        }
        walk(pair.value, child);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        walk(item, joinPointer(pointer, i));
      });
    }
  };
  walk(doc.contents, '');
  if (diagnostics.some((d) => d.severity === 'error')) return { data: undefined, sourceMap, diagnostics };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (error) {
    // The yaml package throws a ReferenceError when alias expansion exceeds maxAliasCount.
    const firstAlias = findFirstAlias(doc.contents);
    diagnostics.push({
      severity: 'error',
      rule: 'yaml.alias-limit',
      file,
      ...(firstAlias?.range ? at(firstAlias.range[0]) : { line: 1, column: 1 }),
      pointer: '',
      message: `YAML: alias expansion is too large (${aliases} aliases expanding to more than ${YAML_LIMITS.maxAliasCount} nodes each); a scenario may not be a YAML bomb: ${firstLine(error instanceof Error ? error.message : String(error))}`,
    });
    return { data: undefined, sourceMap, diagnostics };
  }
  return { data, sourceMap, diagnostics };
}

function findFirstAlias(node: unknown): Node | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const n = node as Node;
  if (isAlias(n)) return n;
  if (isMap(n)) {
    for (const pair of n.items) {
      const found = findFirstAlias(pair.value);
      if (found) return found;
    }
  } else if (isSeq(n)) {
    for (const item of n.items) {
      const found = findFirstAlias(item);
      if (found) return found;
    }
  }
  return undefined;
}

function keyAt(text: string, offset: number): string {
  return /^[^:\n]*/.exec(text.slice(offset, offset + 200))?.[0]?.trim() ?? '?';
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
