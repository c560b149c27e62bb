import { CyropError } from '../errors.ts';
import {
  countStatements,
  findCategory,
  findNiceEntry,
  suggestNiceIds,
  workRolesWithStatement,
  type NiceCatalogue,
  type NiceCategory,
  type NiceCompetencyArea,
  type NiceFramework,
  type NiceStatement,
  type NiceStatementCounts,
  type NiceWorkRole,
} from './nice-catalogue.ts';
import type { NiceCatalogueSource } from './nice-catalogue-store.ts';

/** What an id names in one framework version (`cyrop nice show ID`). */
export type NiceIdInfo =
  | {
      readonly kind: 'workRole';
      readonly framework: NiceFramework;
      readonly workRole: NiceWorkRole;
      readonly category: NiceCategory | undefined;
      readonly counts: NiceStatementCounts;
    }
  | {
      readonly kind: 'statement';
      readonly framework: NiceFramework;
      readonly statement: NiceStatement;
      /** Ids of the work roles that include the statement. */
      readonly workRoles: readonly string[];
    }
  | {
      readonly kind: 'competencyArea';
      readonly framework: NiceFramework;
      readonly competencyArea: NiceCompetencyArea;
      readonly counts: NiceStatementCounts;
    }
  | {
      readonly kind: 'category';
      readonly framework: NiceFramework;
      readonly category: NiceCategory;
      readonly workRoles: readonly string[];
    };

/**
 * Describe `id` in `framework`, or in every stored framework when none is given (an id such as K0018
 * can exist in several versions, with different texts). Returns one entry per framework that has it.
 * Throws NICE_CATALOGUE_MISSING when the catalogue(s) to search are not imported, and NOT_FOUND,
 * naming the closest ids of each searched framework, when no catalogue has the id.
 */
export async function showNiceId(
  source: NiceCatalogueSource,
  id: string,
  framework?: NiceFramework,
): Promise<NiceIdInfo[]> {
  const frameworks = framework === undefined ? await source.list() : [framework];
  if (frameworks.length === 0) {
    throw new CyropError(
      'NICE_CATALOGUE_MISSING',
      'no NICE Framework catalogue has been imported; import a NIST file with `cyrop nice import <file>`',
    );
  }
  const catalogues: NiceCatalogue[] = [];
  for (const name of frameworks) {
    const catalogue = await source.load(name);
    if (catalogue === undefined) {
      throw new CyropError(
        'NICE_CATALOGUE_MISSING',
        `no NICE Framework catalogue for ${name} has been imported; import the NIST file with \`cyrop nice import <file>\``,
        { details: { framework: name } },
      );
    }
    catalogues.push(catalogue);
  }

  const wanted = id.trim();
  const found: NiceIdInfo[] = [];
  for (const catalogue of catalogues) {
    const info = describeId(catalogue, wanted) ?? describeId(catalogue, wanted.toUpperCase());
    if (info !== undefined) found.push(info);
  }
  if (found.length > 0) return found;

  const closest = Object.fromEntries(catalogues.map((c) => [c.framework, suggestNiceIds(c, 'any', wanted)]));
  const hints = catalogues
    .map(
      (c, i) =>
        `${i === 0 ? 'closest in ' : 'in '}${c.framework}: ${(closest[c.framework] ?? []).join(', ')}`,
    )
    .join('; ');
  throw new CyropError(
    'NOT_FOUND',
    `unknown NICE id ${JSON.stringify(wanted)} in ${frameworks.join(', ')} (${hints})`,
    { details: { id: wanted, frameworks, closest } },
  );
}

function describeId(catalogue: NiceCatalogue, id: string): NiceIdInfo | undefined {
  const entry = findNiceEntry(catalogue, id);
  const framework = catalogue.framework;
  switch (entry?.kind) {
    case undefined:
      return undefined;
    case 'workRole':
      return {
        kind: 'workRole',
        framework,
        workRole: entry.workRole,
        category: findCategory(catalogue, entry.workRole.category),
        counts: countStatements(catalogue, entry.workRole.statements),
      };
    case 'statement':
      return {
        kind: 'statement',
        framework,
        statement: entry.statement,
        workRoles: workRolesWithStatement(catalogue, entry.statement.id),
      };
    case 'competencyArea':
      return {
        kind: 'competencyArea',
        framework,
        competencyArea: entry.competencyArea,
        counts: countStatements(catalogue, entry.competencyArea.statements),
      };
    case 'category':
      return {
        kind: 'category',
        framework,
        category: entry.category,
        workRoles: catalogue.workRoles.filter((r) => r.category === entry.category.id).map((r) => r.id),
      };
  }
}

/** Plain-text rendering of one NiceIdInfo for the CLI. */
export function formatNiceIdInfo(info: NiceIdInfo): string {
  const lines: string[] = [];
  switch (info.kind) {
    case 'workRole': {
      const role = info.workRole;
      lines.push(`${role.id}  work role in ${info.framework}`, `  name: ${role.name}`);
      lines.push(`  category: ${role.category}${info.category ? ` (${info.category.name})` : ''}`);
      if (role.opmCodes.length > 0) lines.push(`  OPM code: ${role.opmCodes.join(', ')}`);
      lines.push(`  statements: ${formatCounts(info.counts)}`, `  ${role.description}`);
      break;
    }
    case 'statement':
      lines.push(
        `${info.statement.id}  ${info.statement.type} statement in ${info.framework}`,
        `  ${info.statement.text}`,
        `  in ${info.workRoles.length} work role(s)${info.workRoles.length > 0 ? `: ${abbreviate(info.workRoles)}` : ''}`,
      );
      break;
    case 'competencyArea':
      lines.push(
        `${info.competencyArea.id}  competency area in ${info.framework}`,
        `  name: ${info.competencyArea.name}`,
        `  statements: ${formatCounts(info.counts)}`,
        `  ${info.competencyArea.description}`,
      );
      break;
    case 'category':
      lines.push(
        `${info.category.id}  category in ${info.framework}`,
        `  name: ${info.category.name}`,
        `  work roles: ${abbreviate(info.workRoles)}`,
        `  ${info.category.description}`,
      );
      break;
  }
  return lines.join('\n');
}

function formatCounts(counts: NiceStatementCounts): string {
  const parts = [
    `${counts.task} tasks`,
    `${counts.knowledge} knowledge`,
    `${counts.skill} skills`,
    ...(counts.ability > 0 ? [`${counts.ability} abilities`] : []),
  ];
  return parts.join(', ');
}

function abbreviate(ids: readonly string[], max = 12): string {
  return ids.length > max ? `${ids.slice(0, max).join(', ')}, … ${ids.length - max} more` : ids.join(', ');
}
