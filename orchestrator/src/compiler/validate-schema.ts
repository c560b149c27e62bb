import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { joinPointer, type Diagnostic } from './diagnostic.ts';
import type { SourceMap } from './load-yaml.ts';
import { closestWords } from '../text/closest.ts';

/** The published JSON Schema (draft 2020-12) of cyrop/v1 scenarios. */
export const SCENARIO_SCHEMA_URL = new URL('../../schema/scenario.schema.json', import.meta.url);
export const scenarioSchema = JSON.parse(readFileSync(SCENARIO_SCHEMA_URL, 'utf8')) as Record<
  string,
  unknown
>;

const ajv = new Ajv2020({
  allErrors: true,
  verbose: true,
  strict: true,
  allowUnionTypes: true,
  strictRequired: false,
});
ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
const validate = ajv.compile(scenarioSchema);

type SchemaObject = Record<string, unknown> & { 'x-hint'?: string; properties?: Record<string, unknown> };

/** Validate a parsed scenario against the JSON Schema; every error becomes a positioned diagnostic. */
export function validateAgainstSchema(data: unknown, file: string, sourceMap: SourceMap): Diagnostic[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of selectErrors(errors)) {
    const d = toDiagnostic(error, errors, file, sourceMap);
    const key = `${d.pointer}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(d);
  }
  return diagnostics;
}

/**
 * ajv reports every failing branch of a oneOf. Keep, per failing oneOf, either the errors of the
 * branch whose type matched (the value is of the right shape but wrong inside), or none, in which
 * case the oneOf error itself is reported with the schema's hint. `if` errors are noise.
 */
function selectErrors(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const oneOf of errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')) {
    const prefix = oneOf.schemaPath + '/';
    const inBranches = errors.filter(
      (e) => e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(oneOf.instancePath),
    );
    const branchOf = (e: ErrorObject): string => e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
    const branches = new Map<string, ErrorObject[]>();
    for (const e of inBranches) branches.set(branchOf(e), [...(branches.get(branchOf(e)) ?? []), e]);
    // A branch "matched the shape" when none of its errors is a type/const/required mismatch of the value itself.
    const shapeMatches = [...branches.values()].filter(
      (errs) =>
        !errs.some(
          (e) =>
            e.instancePath === oneOf.instancePath &&
            (e.keyword === 'type' ||
              e.keyword === 'const' ||
              e.keyword === 'enum' ||
              e.keyword === 'pattern' ||
              e.keyword === 'not' ||
              e.keyword === 'required'),
        ),
    );
    if (shapeMatches.length === 1) {
      dropped.add(oneOf);
      for (const errs of branches.values())
        if (errs !== shapeMatches[0]) for (const e of errs) dropped.add(e);
    } else {
      for (const e of inBranches) dropped.add(e);
    }
  }
  return errors.filter((e) => !dropped.has(e) && e.keyword !== 'if');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'null',
};

function toDiagnostic(
  error: ErrorObject,
  all: ErrorObject[],
  file: string,
  sourceMap: SourceMap,
): Diagnostic {
  const parent = (typeof error.parentSchema === 'object' ? error.parentSchema : {}) as SchemaObject;
  const hint = parent['x-hint'];
  const pointer = error.instancePath;
  const got = describe(error.data);
  let at = sourceMap.nearest(pointer);
  let where = pointer;
  let message: string;
  const params = error.params as Record<string, unknown>;

  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      where = joinPointer(pointer, missing);
      message = `missing required key '${missing}'`;
      break;
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(params.additionalProperty ?? params.unevaluatedProperty);
      where = joinPointer(pointer, key);
      at = sourceMap.key(where) ?? at;
      const allowed = Object.keys(parent.properties ?? {}).filter((k) => k !== '$schema');
      const suggestion = closestWords(key, allowed, 1)[0];
      message =
        `unknown key '${key}'` +
        (suggestion ? ` (did you mean '${suggestion}'?)` : '') +
        (allowed.length > 0 ? `; allowed here: ${allowed.join(', ')}` : '');
      break;
    }
    case 'propertyNames': {
      const key = String(params.propertyName);
      where = joinPointer(pointer, key);
      at = sourceMap.key(where) ?? at;
      const inner = all.find(
        (e) => e.instancePath === pointer && e.schemaPath.startsWith(error.schemaPath + '/'),
      );
      const innerHint =
        inner && typeof inner.parentSchema === 'object'
          ? (inner.parentSchema as SchemaObject)['x-hint']
          : undefined;
      message = `key '${key}' is not a valid name${innerHint ? `: must be ${innerHint}` : ''}`;
      break;
    }
    case 'type':
      message = `must be ${
        hint ??
        String(params.type)
          .split(',')
          .map((t) => TYPE_NAMES[t] ?? t)
          .join(' or ')
      } (got ${got})`;
      break;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const suggestion = typeof error.data === 'string' ? closestWords(error.data, allowed, 1)[0] : undefined;
      message =
        `must be one of: ${allowed.join(', ')} (got ${got})` +
        (suggestion ? `; did you mean '${suggestion}'?` : '');
      break;
    }
    case 'const':
      message = `must be ${JSON.stringify(params.allowedValue)} (got ${got})`;
      break;
    case 'pattern':
      message = `must be ${hint ?? `a string matching ${String(params.pattern)}`} (got ${got})`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      message = `must be ${String(params.comparison)} ${String(params.limit)} (got ${got})`;
      break;
    case 'minItems':
      message = `must have at least ${String(params.limit)} item(s)`;
      break;
    case 'maxItems':
      message = `must have at most ${String(params.limit)} items (has ${Array.isArray(error.data) ? error.data.length : '?'})`;
      break;
    case 'minLength':
      message = `must not be empty`;
      break;
    case 'maxLength':
      message = `is too long: at most ${String(params.limit)} characters`;
      break;
    case 'minProperties':
      message = `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`;
      break;
    case 'maxProperties':
      message = `must have at most ${String(params.limit)} entries`;
      break;
    case 'uniqueItems':
      message = `has duplicate items (#${String(params.j)} and #${String(params.i)} are equal)`;
      break;
    case 'oneOf':
    case 'anyOf':
      message = hint ? `must be ${hint} (got ${got})` : `does not match any allowed form (got ${got})`;
      break;
    case 'false schema': {
      const key = pointer.slice(pointer.lastIndexOf('/') + 1);
      at = sourceMap.key(pointer) ?? at;
      const conditional = all.find(
        (e) =>
          e.keyword === 'if' &&
          pointer.startsWith(e.instancePath + '/') &&
          typeof e.parentSchema === 'object',
      );
      const thenHint = conditional
        ? ((conditional.parentSchema as { then?: SchemaObject }).then?.['x-hint'] ?? '')
        : '';
      message = `key '${key}' is not allowed here` + (thenHint ? ` (${thenHint})` : '');
      break;
    }
    default:
      message = `${error.message ?? 'is invalid'}${hint ? ` (expected ${hint})` : ''}`;
  }
  return {
    severity: 'error',
    rule: `schema.${error.keyword.replace(/ /g, '-')}`,
    file,
    ...at,
    pointer: where,
    message,
  };
}
