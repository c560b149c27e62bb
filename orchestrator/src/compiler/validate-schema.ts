import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { joinPointer, type Diagnostic } from './diagnostic.ts';
import type { SourceMap } from './load-yaml.ts';
import { closestWords } from '../text/closest.ts';
import { COMPILED, ORCHESTRATOR_URL } from '../paths.ts';
import { precompiledValidator, scenarioAjv } from './schema-ajv.ts';

/** The published JSON Schema (draft 2020-12) of cyrop/v1 scenarios. */
export const SCENARIO_SCHEMA_URL = new URL('schema/scenario.schema.json', ORCHESTRATOR_URL);
export const scenarioSchema = JSON.parse(readFileSync(SCENARIO_SCHEMA_URL, 'utf8')) as Record<
  string,
  unknown
>;

const validate: ValidateFunction = COMPILED ? precompiledValidator() : scenarioAjv().compile(scenarioSchema);

type SchemaObject = Record<string, unknown> & {
  'x-hint'?: string;
  properties?: Record<string, unknown>;
  $ref?: unknown;
  type?: unknown;
};

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
 * ajv reports every failing branch of a oneOf. Keep what helps the author: when exactly one branch
 * has the type of the value (a map where a string-or-map is allowed), that branch's errors; when
 * none has, only the oneOf itself, with the schema's hint. Errors inside propertyNames are folded
 * into the propertyNames error at the key. `if` errors are noise.
 */
function selectErrors(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const oneOf of errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')) {
    const branches = Array.isArray(oneOf.schema) ? (oneOf.schema as unknown[]) : [];
    const types = branches.map(branchType);
    const actual = jsonType(oneOf.data);
    const matching = types.filter((t) => t !== undefined && typeMatches(t, actual)).length;
    const atValue = errors.filter((e) => e !== oneOf && e.instancePath === oneOf.instancePath);
    if (types.every((t) => t !== undefined) && matching === 1) {
      // The other branches can only have failed on the value's type, right here.
      dropped.add(oneOf);
      for (const e of atValue) if (e.keyword === 'type') dropped.add(e);
    } else if (types.every((t) => t !== undefined) && matching === 0) {
      for (const e of atValue) dropped.add(e);
    } else {
      const prefix = oneOf.schemaPath + '/';
      for (const e of errors) if (e.schemaPath.startsWith(prefix)) dropped.add(e);
    }
  }
  for (const e of errors) if (e.propertyName !== undefined && e.keyword !== 'propertyNames') dropped.add(e);
  return errors.filter((e) => !dropped.has(e) && e.keyword !== 'if');
}

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

function typeMatches(declared: JsonType, actual: JsonType): boolean {
  return declared === actual || (declared === 'number' && actual === 'integer');
}

/** The JSON type a oneOf branch accepts, following local $refs; undefined when it is not one type. */
function branchType(branch: unknown): JsonType | undefined {
  let schema = branch as SchemaObject | undefined;
  for (let hops = 0; schema && typeof schema.$ref === 'string' && hops < 8; hops++) {
    schema = resolveRef(schema.$ref);
  }
  if (!schema) return undefined;
  if (typeof schema.type === 'string') return schema.type as JsonType;
  if ('const' in schema) return jsonType(schema.const);
  return undefined;
}

function resolveRef(ref: string): SchemaObject | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = scenarioSchema;
  for (const part of ref.slice(2).split('/')) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node as SchemaObject | undefined;
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
      const inner = all.find((e) => e.propertyName === key && e.keyword !== 'propertyNames');
      const innerHint =
        inner && typeof inner.parentSchema === 'object'
          ? (inner.parentSchema as SchemaObject)['x-hint']
          : undefined;
      message = `key '${key}' is not a valid name${innerHint ? `: must be ${innerHint}` : ''}`;
      break;
    }
    case 'type':
      if (pointer === '' && (error.data === null || error.data === undefined)) {
        message =
          'must be a map, but the file is empty: a scenario needs apiVersion, kind, metadata, hosts and objectives';
        break;
      }
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
