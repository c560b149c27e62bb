import { closestIds } from '../text/closest.ts';

/**
 * The normalised, in-memory NICE Framework catalogue (one framework version) and pure lookups on it.
 * Catalogues are plain data (they are stored as JSON); the lookups build an index on first use and
 * keep it in a WeakMap, so a catalogue must not be mutated after it has been looked up in.
 */

export type NiceFramework = 'nice-sp800-181r0' | 'nice-1.0.0' | 'nice-2.0.0' | 'nice-2.1.0';

export const NICE_FRAMEWORKS: readonly NiceFramework[] = Object.freeze([
  'nice-sp800-181r0',
  'nice-1.0.0',
  'nice-2.0.0',
  'nice-2.1.0',
] as const);

/** NIST's names of the framework versions (English), for lists and headings. */
export const NICE_FRAMEWORK_LABELS: Readonly<Record<NiceFramework, string>> = Object.freeze({
  'nice-sp800-181r0': 'NICE Framework, NIST SP 800-181 (2017)',
  'nice-1.0.0': 'NICE Framework Components v1.0.0',
  'nice-2.0.0': 'NICE Framework Components v2.0.0',
  'nice-2.1.0': 'NICE Framework Components v2.1.0',
});

export type NiceStatementType = 'task' | 'knowledge' | 'skill' | 'ability';

export const NICE_STATEMENT_TYPES: readonly NiceStatementType[] = Object.freeze([
  'task',
  'knowledge',
  'skill',
  'ability',
] as const);

export interface NiceStatement {
  readonly id: string;
  readonly type: NiceStatementType;
  readonly text: string;
}

export interface NiceWorkRole {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Category id, e.g. `PR` (2017) or `PD` (v1.0.0+). */
  readonly category: string;
  /** OPM cybersecurity codes, e.g. `['511']` (may be empty). */
  readonly opmCodes: readonly string[];
  /** Statement ids: tasks, then knowledge, then skills, then abilities (2017 only). */
  readonly statements: readonly string[];
}

export interface NiceCompetencyArea {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Statement ids linked to the area (only NF-COM-007 in v2.0.0 has any). */
  readonly statements: readonly string[];
}

export interface NiceCategory {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

export interface NiceCatalogue {
  readonly framework: NiceFramework;
  /** Version as the source states it: `2.1.0`, `2.0.0`, `1.0.0`, or `2017` for SP 800-181 rev0. */
  readonly sourceVersion: string;
  /** Name of the imported file. */
  readonly sourceName: string;
  /** Title of the source document, e.g. "Workforce Framework for Cybersecurity (NICE Framework) …". */
  readonly sourceTitle: string;
  readonly categories: readonly NiceCategory[];
  readonly workRoles: readonly NiceWorkRole[];
  readonly statements: readonly NiceStatement[];
  /** Empty for SP 800-181 rev0. */
  readonly competencyAreas: readonly NiceCompetencyArea[];
  /** Problems found while importing that did not stop it (e.g. links to undefined ids, left out). */
  readonly warnings: readonly string[];
}

export type NiceStatementCounts = Record<NiceStatementType, number>;

/** What an id names in a catalogue. */
export type NiceEntry =
  | { readonly kind: 'workRole'; readonly workRole: NiceWorkRole }
  | { readonly kind: 'statement'; readonly statement: NiceStatement }
  | { readonly kind: 'competencyArea'; readonly competencyArea: NiceCompetencyArea }
  | { readonly kind: 'category'; readonly category: NiceCategory };

/** Where an id is used in a scenario: a work role slot, or a statement slot (T/K/S/A or NF-COM-NNN). */
export type NiceIdKind = 'workRole' | 'statement';

export function isNiceFramework(value: unknown): value is NiceFramework {
  return typeof value === 'string' && (NICE_FRAMEWORKS as readonly string[]).includes(value);
}

export function findWorkRole(catalogue: NiceCatalogue, id: string): NiceWorkRole | undefined {
  return indexOf(catalogue).workRoles.get(id);
}

export function findStatement(catalogue: NiceCatalogue, id: string): NiceStatement | undefined {
  return indexOf(catalogue).statements.get(id);
}

export function findCompetencyArea(catalogue: NiceCatalogue, id: string): NiceCompetencyArea | undefined {
  return indexOf(catalogue).competencyAreas.get(id);
}

export function findCategory(catalogue: NiceCatalogue, id: string): NiceCategory | undefined {
  return indexOf(catalogue).categories.get(id);
}

/** Look an id up among work roles, statements, competency areas and categories. */
export function findNiceEntry(catalogue: NiceCatalogue, id: string): NiceEntry | undefined {
  const index = indexOf(catalogue);
  const workRole = index.workRoles.get(id);
  if (workRole) return { kind: 'workRole', workRole };
  const statement = index.statements.get(id);
  if (statement) return { kind: 'statement', statement };
  const competencyArea = index.competencyAreas.get(id);
  if (competencyArea) return { kind: 'competencyArea', competencyArea };
  const category = index.categories.get(id);
  if (category) return { kind: 'category', category };
  return undefined;
}

/** Ids of the work roles whose statement list contains `statementId`, in catalogue order. */
export function workRolesWithStatement(catalogue: NiceCatalogue, statementId: string): readonly string[] {
  return indexOf(catalogue).rolesByStatement.get(statementId) ?? [];
}

/** Count statement ids by type; ids not defined in the catalogue are not counted. */
export function countStatements(
  catalogue: NiceCatalogue,
  statementIds: Iterable<string>,
): NiceStatementCounts {
  const counts: NiceStatementCounts = { task: 0, knowledge: 0, skill: 0, ability: 0 };
  const statements = indexOf(catalogue).statements;
  for (const id of statementIds) {
    const statement = statements.get(id);
    if (statement) counts[statement.type] += 1;
  }
  return counts;
}

/**
 * The closest valid ids for an unknown id. `kind` 'workRole' suggests work roles; 'statement'
 * suggests statements and competency areas; 'any' suggests from every id in the catalogue.
 */
export function suggestNiceIds(
  catalogue: NiceCatalogue,
  kind: NiceIdKind | 'any',
  id: string,
  max = 3,
): string[] {
  const index = indexOf(catalogue);
  const candidates =
    kind === 'workRole' ? index.workRoleIds : kind === 'statement' ? index.statementIds : index.allIds;
  return closestIds(id, candidates, max);
}

/** E.g. `unknown statement K9999 in nice-2.1.0 (closest: K0999, K0099, K0199)`. */
export function unknownNiceIdMessage(catalogue: NiceCatalogue, kind: NiceIdKind, id: string): string {
  const noun = kind === 'workRole' ? 'work role' : 'statement';
  const closest = suggestNiceIds(catalogue, kind, id);
  const hint = closest.length > 0 ? ` (closest: ${closest.join(', ')})` : '';
  return `unknown ${noun} ${id} in ${catalogue.framework}${hint}`;
}

const ROLE_2017 = /^[A-Z]{2}-[A-Z]{3}-\d{3}$/;
const ROLE_COMPONENTS = /^[A-Z]{2}-WRL-\d{3}$/;
const STATEMENT_2017 = /^[TKSA]\d{4}$/;
const STATEMENT_COMPONENTS = /^[TKS]\d{4}$/;
const COMPETENCY_AREA = /^NF-COM-\d{3}$/;
const ABILITY = /^A\d{4}$/;

/**
 * Pure syntax check of an id for a framework version. Returns a message naming the expected shape,
 * or undefined when the id is well-formed (which does not mean it exists: look it up for that).
 * - nice-sp800-181r0: work roles `XX-XXX-NNN` (e.g. PR-CDA-001; not `XX-WRL-NNN`, which is the
 *   v1.0.0+ shape), statements `[TKSA]NNNN`.
 * - nice-1.0.0 and later: work roles `XX-WRL-NNN` (e.g. PD-WRL-007), statements `[TKS]NNNN`, and
 *   competency areas `NF-COM-NNN` where statements are allowed.
 */
export function idSyntaxProblem(framework: NiceFramework, kind: NiceIdKind, id: string): string | undefined {
  const raw: unknown = id;
  if (typeof raw !== 'string') return `a NICE id must be a string, found ${typeof raw}`;
  const shown = JSON.stringify(id);
  if (id.trim() === '') return `empty NICE ${kind === 'workRole' ? 'work role' : 'statement'} id`;
  const rev0 = framework === 'nice-sp800-181r0';
  const upper = id.trim().toUpperCase();
  let problem: string | undefined;
  let hint = '';

  if (kind === 'workRole') {
    if (rev0) {
      if (ROLE_2017.test(id) && !ROLE_COMPONENTS.test(id)) return undefined;
      problem = `${shown} is not a ${framework} work role id: expected XX-XXX-NNN (category-specialty area-number, e.g. PR-CDA-001)`;
      if (ROLE_COMPONENTS.test(upper)) hint = 'it has the v1.0.0+ shape XX-WRL-NNN; is the framework right?';
    } else {
      if (ROLE_COMPONENTS.test(id)) return undefined;
      problem = `${shown} is not a ${framework} work role id: expected XX-WRL-NNN (category-WRL-number, e.g. PD-WRL-007)`;
      if (ROLE_2017.test(upper) && !ROLE_COMPONENTS.test(upper))
        hint = 'it has the 2017 shape XX-XXX-NNN; use nice-sp800-181r0 for 2017 ids';
    }
  } else if (rev0) {
    if (STATEMENT_2017.test(id)) return undefined;
    problem = `${shown} is not a ${framework} statement id: expected [TKSA]NNNN (T task, K knowledge, S skill, A ability; e.g. K0001)`;
    if (COMPETENCY_AREA.test(upper))
      hint = 'competency areas (NF-COM-NNN) exist only in nice-1.0.0 and later';
  } else {
    if (STATEMENT_COMPONENTS.test(id) || COMPETENCY_AREA.test(id)) return undefined;
    problem = `${shown} is not a ${framework} statement id: expected [TKS]NNNN (T task, K knowledge, S skill; e.g. K0018) or a competency area NF-COM-NNN`;
    if (ABILITY.test(upper))
      hint = 'abilities (ANNNN) exist only in nice-sp800-181r0; v1.0.0 and later have none';
  }

  if (hint === '' && upper !== id && validFor(framework, kind, upper)) {
    hint = `ids are upper case without spaces: did you mean ${upper}?`;
  }
  return hint === '' ? problem : `${problem}; ${hint}`;
}

function validFor(framework: NiceFramework, kind: NiceIdKind, id: string): boolean {
  const rev0 = framework === 'nice-sp800-181r0';
  if (kind === 'workRole')
    return rev0 ? ROLE_2017.test(id) && !ROLE_COMPONENTS.test(id) : ROLE_COMPONENTS.test(id);
  return rev0 ? STATEMENT_2017.test(id) : STATEMENT_COMPONENTS.test(id) || COMPETENCY_AREA.test(id);
}

interface CatalogueIndex {
  readonly workRoles: Map<string, NiceWorkRole>;
  readonly statements: Map<string, NiceStatement>;
  readonly competencyAreas: Map<string, NiceCompetencyArea>;
  readonly categories: Map<string, NiceCategory>;
  readonly rolesByStatement: Map<string, string[]>;
  readonly workRoleIds: readonly string[];
  /** Statement ids plus competency area ids (both may fill a statement slot). */
  readonly statementIds: readonly string[];
  readonly allIds: readonly string[];
}

const indexes = new WeakMap<NiceCatalogue, CatalogueIndex>();

function indexOf(catalogue: NiceCatalogue): CatalogueIndex {
  let index = indexes.get(catalogue);
  if (index) return index;
  const byId = <T extends { id: string }>(items: readonly T[]): Map<string, T> => {
    const map = new Map<string, T>();
    for (const item of items) if (!map.has(item.id)) map.set(item.id, item);
    return map;
  };
  const rolesByStatement = new Map<string, string[]>();
  for (const role of catalogue.workRoles) {
    for (const statementId of role.statements) {
      const roles = rolesByStatement.get(statementId);
      if (roles) roles.push(role.id);
      else rolesByStatement.set(statementId, [role.id]);
    }
  }
  const workRoleIds = catalogue.workRoles.map((r) => r.id);
  const statementIds = [
    ...catalogue.statements.map((s) => s.id),
    ...catalogue.competencyAreas.map((c) => c.id),
  ];
  index = {
    workRoles: byId(catalogue.workRoles),
    statements: byId(catalogue.statements),
    competencyAreas: byId(catalogue.competencyAreas),
    categories: byId(catalogue.categories),
    rolesByStatement,
    workRoleIds,
    statementIds,
    allIds: [...workRoleIds, ...statementIds, ...catalogue.categories.map((c) => c.id)],
  };
  indexes.set(catalogue, index);
  return index;
}
