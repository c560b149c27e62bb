import { CyropError } from '../errors.ts';
import type {
  NiceCatalogue,
  NiceCategory,
  NiceCompetencyArea,
  NiceFramework,
  NiceStatement,
  NiceStatementType,
  NiceWorkRole,
} from './nice-catalogue.ts';

/**
 * Turn a parsed JSON file in one of NIST's published NICE Framework formats into a NiceCatalogue.
 * The format is detected by shape:
 * - NIST CPRT JSON of the NICE Framework Components: `{documents, relationship_types, elements,
 *   relationships}` (v2.0.0) or the same wrapped as `{response: {elements: {…}}}` (v2.1.0 export).
 *   The version comes from `documents[0].version`.
 * - The SP 800-181 rev0 (2017) catalogue JSON: `{framework, categories, specialty_areas, work_roles,
 *   statements}`.
 * Anything else, and any file of the right shape with wrong types inside, is a
 * CyropError('NICE_FORMAT_UNKNOWN') whose message names what was expected and what was found.
 * Links to ids the file does not define are left out and reported in `warnings`.
 */
export function parseNiceFile(json: unknown, sourceName: string): NiceCatalogue {
  if (!isRecord(json)) {
    throw formatError(
      sourceName,
      `not a NICE Framework file: expected a JSON object, found ${describe(json)}`,
      {
        found: describe(json),
      },
    );
  }
  if (Object.hasOwn(json, 'response')) {
    const response = json['response'];
    if (isRecord(response) && Object.hasOwn(response, 'elements')) {
      const inner = response['elements'];
      if (!isRecord(inner)) {
        throw formatError(
          sourceName,
          `${CPRT}: response.elements must be an object holding {documents, elements, relationships}, found ${describe(inner)}`,
        );
      }
      return parseCprt(inner, sourceName, 'response.elements.');
    }
  }
  if (['documents', 'elements', 'relationships'].some((key) => Object.hasOwn(json, key))) {
    return parseCprt(json, sourceName, '');
  }
  const keys = Object.keys(json);
  if (Object.hasOwn(json, 'work_roles')) {
    if (Object.hasOwn(json, 'competency_areas') || Object.hasOwn(json, 'version')) {
      throw formatError(
        sourceName,
        `not a NIST format: this looks like a derived "normalized" NICE file (top-level keys: ${listKeys(keys)}); import the official NIST CPRT JSON instead`,
        { topLevelKeys: keys },
      );
    }
    return parseRev0(json, sourceName);
  }
  const hint = Object.hasOwn(json, 'sheets')
    ? ' (a spreadsheet dump; import the NIST CPRT JSON instead)'
    : '';
  throw formatError(
    sourceName,
    `not a NICE Framework file: found an object with ${keys.length === 0 ? 'no keys' : `top-level keys ${listKeys(keys)}`}${hint}`,
    { topLevelKeys: keys },
  );
}

const CPRT = 'NIST CPRT JSON';
const REV0 = 'SP 800-181 rev0 (2017) catalogue JSON';

const ACCEPTED_FORMATS =
  'accepted formats: NIST CPRT JSON of the NICE Framework Components v1.0.0, v2.0.0 or v2.1.0 ' +
  '(top level {documents, relationship_types, elements, relationships}, or that wrapped as {response: {elements: {…}}}), ' +
  'and the SP 800-181 rev0 (2017) catalogue JSON (top level {categories, specialty_areas, work_roles, statements})';

const CPRT_VERSIONS = new Map<string, NiceFramework>([
  ['1.0.0', 'nice-1.0.0'],
  ['2.0.0', 'nice-2.0.0'],
  ['2.1.0', 'nice-2.1.0'],
]);

const CPRT_STATEMENT_TYPES = new Set<string>(['task', 'knowledge', 'skill']);
const KNOWN_CPRT_TYPES = new Set<string>([
  'category',
  'work_role',
  'task',
  'knowledge',
  'skill',
  'competency_area',
  'opm_code',
  'sort',
]);
const REV0_STATEMENT_TYPES = new Set<string>(['task', 'knowledge', 'skill', 'ability']);
const REV0_LISTS: readonly (readonly [key: string, type: NiceStatementType])[] = [
  ['tasks', 'task'],
  ['knowledge', 'knowledge'],
  ['skills', 'skill'],
  ['abilities', 'ability'],
];

/** At most this many dangling links are listed one by one in `warnings`; the rest are summed up. */
const MAX_LISTED_DANGLING = 50;
/** At most this many shape problems are listed in an error message. */
const MAX_LISTED_PROBLEMS = 10;

type Json = Record<string, unknown>;

interface RoleDraft {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  category: string | undefined;
  readonly opmCodes: string[];
  readonly byType: Record<NiceStatementType, string[]>;
  readonly seen: Set<string>;
}

function parseCprt(root: Json, sourceName: string, at: string): NiceCatalogue {
  const fail = (message: string, details?: unknown): CyropError =>
    formatError(sourceName, `${CPRT}: ${message}`, details);

  const documents = own(root, 'documents');
  if (!Array.isArray(documents) || documents.length === 0) {
    throw fail(
      `${at}documents must be a non-empty array (documents[0].version names the framework version), found ${describe(documents)}`,
    );
  }
  const document: unknown = documents[0];
  if (!isRecord(document)) throw fail(`${at}documents[0] must be an object, found ${describe(document)}`);
  const version = own(document, 'version');
  if (typeof version !== 'string') {
    throw fail(`${at}documents[0].version must be a string such as "2.1.0", found ${describe(version)}`);
  }
  const framework = CPRT_VERSIONS.get(version.trim());
  if (framework === undefined) {
    const supported = [...CPRT_VERSIONS].map(([v, f]) => `${v} (${f})`).join(', ');
    throw fail(
      `unsupported NICE Framework version ${JSON.stringify(version)} in ${at}documents[0].version; supported versions: ${supported}`,
      { version, supported: [...CPRT_VERSIONS.keys()] },
    );
  }
  const documentName = own(document, 'name');
  const sourceTitle =
    typeof documentName === 'string' ? documentName : `NICE Framework Components ${version}`;

  const problems = new Problems();
  const elements = own(root, 'elements');
  const relationships = own(root, 'relationships');
  if (!Array.isArray(elements)) problems.add(`${at}elements must be an array, found ${describe(elements)}`);
  if (!Array.isArray(relationships)) {
    problems.add(`${at}relationships must be an array, found ${describe(relationships)}`);
  }
  if (!Array.isArray(elements) || !Array.isArray(relationships)) throw problems.error(sourceName, CPRT);

  const warnings: string[] = [];
  const typeOf = new Map<string, string>();
  const categories: NiceCategory[] = [];
  const roles = new Map<string, RoleDraft>();
  const statements: NiceStatement[] = [];
  const areas = new Map<string, NiceCompetencyArea & { statements: string[] }>();
  const unknownTypes = new Map<string, number>();
  let duplicates = 0;

  elements.forEach((element: unknown, i) => {
    const path = `${at}elements[${i}]`;
    if (!isRecord(element)) {
      problems.add(`${path} must be an object, found ${describe(element)}`);
      return;
    }
    const type = requireString(element, 'element_type', path, problems);
    const id = requireId(element, 'element_identifier', path, problems);
    const title = optionalString(element, 'title', path, problems);
    const text = optionalString(element, 'text', path, problems);
    if (type === undefined || id === undefined || title === undefined || text === undefined) return;
    const earlier = typeOf.get(id);
    if (earlier !== undefined) {
      duplicates += 1;
      if (duplicates <= MAX_LISTED_DANGLING) {
        warnings.push(`element ${id} (${type}) is defined more than once; kept the first (${earlier})`);
      }
      return;
    }
    typeOf.set(id, type);
    if (type === 'category') categories.push({ id, name: title, description: text });
    else if (type === 'work_role') roles.set(id, newRoleDraft(id, title, text));
    else if (type === 'competency_area')
      areas.set(id, { id, name: title, description: text, statements: [] });
    else if (CPRT_STATEMENT_TYPES.has(type)) statements.push({ id, type: type as NiceStatementType, text });
    else if (!KNOWN_CPRT_TYPES.has(type)) unknownTypes.set(type, (unknownTypes.get(type) ?? 0) + 1);
  });

  const links: { source: string; dest: string }[] = [];
  const otherRelationships = new Map<string, number>();
  relationships.forEach((relationship: unknown, i) => {
    const path = `${at}relationships[${i}]`;
    if (!isRecord(relationship)) {
      problems.add(`${path} must be an object, found ${describe(relationship)}`);
      return;
    }
    const source = requireId(relationship, 'source_element_identifier', path, problems);
    const dest = requireId(relationship, 'dest_element_identifier', path, problems);
    const kind = requireString(relationship, 'relationship_identifier', path, problems);
    if (source === undefined || dest === undefined || kind === undefined) return;
    if (kind === 'projection') links.push({ source, dest });
    else otherRelationships.set(kind, (otherRelationships.get(kind) ?? 0) + 1);
  });
  if (problems.any()) throw problems.error(sourceName, CPRT);

  for (const [type, count] of unknownTypes) {
    warnings.push(`ignored ${count} element(s) of unknown element_type ${JSON.stringify(type)}`);
  }
  for (const [kind, count] of otherRelationships) {
    warnings.push(
      `ignored ${count} relationship(s) of type ${JSON.stringify(kind)} (only "projection" is used)`,
    );
  }

  const dangling = new DanglingLinks(warnings);
  const ignoredPairs = new Map<string, number>();
  for (const { source, dest } of links) {
    const sourceType = typeOf.get(source);
    const destType = typeOf.get(dest);
    if (sourceType === undefined || destType === undefined) {
      const missing = [
        sourceType === undefined ? source : undefined,
        destType === undefined ? dest : undefined,
      ]
        .filter((x) => x !== undefined)
        .join(' and ');
      dangling.add(`${source} → ${dest}`, missing);
      continue;
    }
    if (sourceType === 'sort' || destType === 'sort') continue;
    const role = sourceType === 'work_role' ? roles.get(source) : undefined;
    if (sourceType === 'category' && destType === 'work_role') {
      const target = roles.get(dest);
      if (target === undefined) continue;
      if (target.category === undefined) target.category = source;
      else if (target.category !== source) {
        warnings.push(
          `work role ${dest} is linked to categories ${target.category} and ${source}; kept ${target.category}`,
        );
      }
    } else if (role !== undefined && CPRT_STATEMENT_TYPES.has(destType)) {
      addRoleStatement(role, destType as NiceStatementType, dest);
    } else if (role !== undefined && destType === 'opm_code') {
      if (!role.opmCodes.includes(dest)) role.opmCodes.push(dest);
    } else if (sourceType === 'competency_area' && CPRT_STATEMENT_TYPES.has(destType)) {
      const area = areas.get(source);
      if (area !== undefined && !area.statements.includes(dest)) area.statements.push(dest);
    } else {
      const pair = `${sourceType}→${destType}`;
      ignoredPairs.set(pair, (ignoredPairs.get(pair) ?? 0) + 1);
    }
  }
  dangling.summarise();
  for (const [pair, count] of ignoredPairs) warnings.push(`ignored ${count} link(s) ${pair} (not used)`);

  const categoryIds = new Set(categories.map((c) => c.id));
  const workRoles = [...roles.values()].map((role) => {
    if (role.category === undefined) {
      const fromId = role.id.slice(0, 2);
      role.category = categoryIds.has(fromId) ? fromId : '';
      warnings.push(
        `work role ${role.id} has no category link; ${role.category === '' ? 'left its category empty' : `took ${fromId} from its id`}`,
      );
    }
    return finishRole(role);
  });
  if (workRoles.length === 0) throw fail(`${at}elements defines no work_role elements`);

  return {
    framework,
    sourceVersion: version.trim(),
    sourceName,
    sourceTitle,
    categories,
    workRoles,
    statements,
    competencyAreas: [...areas.values()],
    warnings,
  };
}

function parseRev0(root: Json, sourceName: string): NiceCatalogue {
  const problems = new Problems();
  const rawRoles = own(root, 'work_roles');
  const rawStatements = own(root, 'statements');
  const rawCategories = own(root, 'categories');
  if (!Array.isArray(rawRoles)) problems.add(`work_roles must be an array, found ${describe(rawRoles)}`);
  if (!Array.isArray(rawStatements))
    problems.add(`statements must be an array, found ${describe(rawStatements)}`);
  if (rawCategories !== undefined && !Array.isArray(rawCategories)) {
    problems.add(`categories must be an array, found ${describe(rawCategories)}`);
  }
  if (!Array.isArray(rawRoles) || !Array.isArray(rawStatements) || problems.any()) {
    throw problems.error(sourceName, REV0);
  }

  const warnings: string[] = [];
  const statements: NiceStatement[] = [];
  const statementTypes = new Map<string, NiceStatementType>();
  rawStatements.forEach((raw: unknown, i) => {
    const path = `statements[${i}]`;
    if (!isRecord(raw)) {
      problems.add(`${path} must be an object, found ${describe(raw)}`);
      return;
    }
    const id = requireId(raw, 'id', path, problems);
    const type = requireString(raw, 'type', path, problems);
    const text = requireString(raw, 'text', path, problems);
    if (type !== undefined && !REV0_STATEMENT_TYPES.has(type)) {
      problems.add(
        `${path}.type must be one of task, knowledge, skill, ability, found ${JSON.stringify(type)}`,
      );
      return;
    }
    if (id === undefined || type === undefined || text === undefined) return;
    if (statementTypes.has(id)) {
      warnings.push(`statement ${id} is defined more than once; kept the first`);
      return;
    }
    statementTypes.set(id, type as NiceStatementType);
    statements.push({ id, type: type as NiceStatementType, text });
  });

  const categories: NiceCategory[] = [];
  (Array.isArray(rawCategories) ? rawCategories : []).forEach((raw: unknown, i) => {
    const path = `categories[${i}]`;
    if (!isRecord(raw)) {
      problems.add(`${path} must be an object, found ${describe(raw)}`);
      return;
    }
    const id = requireId(raw, 'id', path, problems);
    const name = requireString(raw, 'name', path, problems);
    const description = optionalString(raw, 'description', path, problems);
    if (id !== undefined && name !== undefined && description !== undefined) {
      categories.push({ id, name, description });
    }
  });

  const dangling = new DanglingLinks(warnings);
  const roles: RoleDraft[] = [];
  const roleIds = new Set<string>();
  rawRoles.forEach((raw: unknown, i) => {
    const path = `work_roles[${i}]`;
    if (!isRecord(raw)) {
      problems.add(`${path} must be an object, found ${describe(raw)}`);
      return;
    }
    const id = requireId(raw, 'id', path, problems);
    const name = requireString(raw, 'name', path, problems);
    const description = optionalString(raw, 'description', path, problems);
    const category = optionalString(raw, 'category', path, problems);
    const opmCode = own(raw, 'opm_code');
    if (
      opmCode !== undefined &&
      opmCode !== null &&
      typeof opmCode !== 'string' &&
      typeof opmCode !== 'number'
    ) {
      problems.add(`${path}.opm_code must be a string, found ${describe(opmCode)}`);
    }
    const lists = REV0_LISTS.map(
      ([key, type]) => [type, requireStringArray(raw, key, path, problems)] as const,
    );
    if (id === undefined || name === undefined || description === undefined || category === undefined) return;
    if (roleIds.has(id)) {
      warnings.push(`work role ${id} is defined more than once; kept the first`);
      return;
    }
    roleIds.add(id);
    const role = newRoleDraft(id, name, description);
    role.category = category === '' ? id.slice(0, 2) : category;
    if (typeof opmCode === 'string' || typeof opmCode === 'number') role.opmCodes.push(String(opmCode));
    for (const [listType, ids] of lists) {
      for (const statementId of ids ?? []) {
        const actual = statementTypes.get(statementId);
        if (actual === undefined) {
          dangling.add(`${id} → ${statementId}`, statementId);
          continue;
        }
        if (actual !== listType) {
          warnings.push(
            `work role ${id} lists ${statementId} (a ${actual} statement) among its ${listType} statements`,
          );
        }
        addRoleStatement(role, actual, statementId);
      }
    }
    roles.push(role);
  });
  if (problems.any()) throw problems.error(sourceName, REV0);
  dangling.summarise();
  if (roles.length === 0) throw formatError(sourceName, `${REV0}: work_roles is empty`);

  const title = own(root, 'framework');
  return {
    framework: 'nice-sp800-181r0',
    sourceVersion: '2017',
    sourceName,
    sourceTitle:
      typeof title === 'string' ? title : 'NICE Cybersecurity Workforce Framework (NIST SP 800-181, 2017)',
    categories,
    workRoles: roles.map(finishRole),
    statements,
    competencyAreas: [],
    warnings,
  };
}

function newRoleDraft(id: string, name: string, description: string): RoleDraft {
  return {
    id,
    name,
    description,
    category: undefined,
    opmCodes: [],
    byType: { task: [], knowledge: [], skill: [], ability: [] },
    seen: new Set(),
  };
}

function addRoleStatement(role: RoleDraft, type: NiceStatementType, id: string): void {
  if (role.seen.has(id)) return;
  role.seen.add(id);
  role.byType[type].push(id);
}

function finishRole(role: RoleDraft): NiceWorkRole {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    category: role.category ?? '',
    opmCodes: role.opmCodes,
    statements: [...role.byType.task, ...role.byType.knowledge, ...role.byType.skill, ...role.byType.ability],
  };
}

/** Collects links to undefined ids as warnings: the first few one by one, then a total. */
class DanglingLinks {
  private count = 0;

  constructor(private readonly warnings: string[]) {}

  add(link: string, missing: string): void {
    this.count += 1;
    if (this.count <= MAX_LISTED_DANGLING) {
      this.warnings.push(`dangling link ${link}: ${missing} is not defined in the file; left out`);
    }
  }

  summarise(): void {
    if (this.count > MAX_LISTED_DANGLING) {
      this.warnings.push(`… and ${this.count - MAX_LISTED_DANGLING} more dangling links, left out`);
    }
  }
}

/** Shape problems of a recognised format; all of them are reported together. */
class Problems {
  private readonly listed: string[] = [];
  private total = 0;

  add(problem: string): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }

  any(): boolean {
    return this.total > 0;
  }

  error(sourceName: string, format: string): CyropError {
    const more = this.total > this.listed.length ? `; … and ${this.total - this.listed.length} more` : '';
    const noun = this.total === 1 ? 'problem' : 'problems';
    return formatError(
      sourceName,
      `malformed ${format}, ${this.total} ${noun}: ${this.listed.join('; ')}${more}`,
      {
        problems: this.listed,
        total: this.total,
      },
    );
  }
}

function formatError(sourceName: string, message: string, details?: unknown): CyropError {
  return new CyropError(
    'NICE_FORMAT_UNKNOWN',
    `${sourceName}: ${message}. ${capitalise(ACCEPTED_FORMATS)}.`,
    {
      details: { sourceName, ...(isRecord(details) ? details : {}) },
    },
  );
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: `{}`['constructor'] must not count as a value. */
function own(object: Json, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** A string, trimmed (NIST titles sometimes end in a space). */
function requireString(object: Json, key: string, path: string, problems: Problems): string | undefined {
  const value = own(object, key);
  if (typeof value === 'string') return value.trim();
  problems.add(`${path}.${key} must be a string, found ${describe(value)}`);
  return undefined;
}

function requireId(object: Json, key: string, path: string, problems: Problems): string | undefined {
  const value = own(object, key);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  problems.add(`${path}.${key} must be a non-empty string, found ${describe(value)}`);
  return undefined;
}

/** A string, trimmed; a missing key or null reads as ''. */
function optionalString(object: Json, key: string, path: string, problems: Problems): string | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.trim();
  problems.add(`${path}.${key} must be a string, found ${describe(value)}`);
  return undefined;
}

function requireStringArray(
  object: Json,
  key: string,
  path: string,
  problems: Problems,
): string[] | undefined {
  const value = own(object, key);
  if (!Array.isArray(value)) {
    problems.add(`${path}.${key} must be an array of ids, found ${describe(value)}`);
    return undefined;
  }
  const ids: string[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item === 'string' && item.trim() !== '') ids.push(item.trim());
    else problems.add(`${path}.${key}[${i}] must be an id string, found ${describe(item)}`);
  });
  return ids;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.length} items)`;
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `a ${typeof value} (${String(value)})`;
    case 'object':
      return `an object with keys ${listKeys(Object.keys(value))}`;
    default:
      return `a ${typeof value}`;
  }
}

function listKeys(keys: readonly string[]): string {
  if (keys.length === 0) return '{}';
  const shown = keys.slice(0, 12).join(', ');
  return `{${shown}${keys.length > 12 ? `, … ${keys.length - 12} more` : ''}}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
