import { CyropError } from '../errors.ts';
import {
  findStatement,
  findWorkRole,
  NICE_STATEMENT_TYPES,
  type NiceCatalogue,
  type NiceFramework,
  type NiceStatement,
  type NiceStatementType,
} from '../nice/nice-catalogue.ts';
export type {
  Fraction,
  RoleCoverage,
  CoverageFigures,
  CoverageReport,
  CrosswalkFigures,
  GapReport,
} from '../../../contract/analytics.ts';
import type {
  Fraction,
  CoverageFigures,
  CoverageReport,
  CrosswalkFigures,
  GapReport,
} from '../../../contract/analytics.ts';

/**
 * NICE coverage of a set of materials (scenarios) against one framework version: pure functions, no
 * I/O. Every figure is a `Fraction` (numerator AND denominator); nothing is ever a bare percentage.
 *
 * Rules (also in README.md):
 * - A statement is covered when at least one material names it, at scenario level or in an objective.
 * - A work role named by a material covers nothing by itself (it says who the material is for, not
 *   what it trains); it is counted in `namedBy` of the role's row.
 * - Competency areas (`NF-COM-NNN`) are not statements: they are listed under `otherIds`.
 * - A material mapped in another framework version counts only with `crosswalk: true`, only through
 *   statement ids present in both versions (NIST's shared ids) and roles with the same OPM code, and
 *   only in the separate `crosswalked` section: the direct figures never include it.
 */

export interface Material {
  /** Scenario id (one material per scenario id; versions are merged by the caller). */
  id: string;
  /** The framework the material's ids belong to; undefined: the material maps no NICE ids. */
  framework: NiceFramework | undefined;
  /** Statement ids, scenario level and objectives together (duplicates allowed). */
  statements: readonly string[];
  workRoles: readonly string[];
}

export interface CoverageOptions {
  /** Other framework catalogues, to crosswalk materials mapped in them (only with crosswalk). */
  crosswalk?: { catalogues: readonly NiceCatalogue[] };
  /** Only this role in `byRole` (unknown role: an error naming it). */
  role?: string;
}

export function fraction(covered: number, total: number): Fraction {
  return { covered, total, percent: total === 0 ? null : Math.round((covered / total) * 1000) / 10 };
}

/** `31 of 212 (14.6%)`. */
export function formatFraction(f: Fraction): string {
  return `${f.covered} of ${f.total}${f.percent === null ? '' : ` (${f.percent}%)`}`;
}

/** The statement types a catalogue has (ability only in SP 800-181 rev0). */
export function statementTypesOf(catalogue: NiceCatalogue): NiceStatementType[] {
  const present = new Set(catalogue.statements.map((s) => s.type));
  return NICE_STATEMENT_TYPES.filter((t) => present.has(t));
}

/** The figures for a set of covered statement ids (ids not in the catalogue are ignored). */
export function coverageFigures(
  catalogue: NiceCatalogue,
  covered: ReadonlySet<string>,
  namedBy: ReadonlyMap<string, number> = new Map(),
  role?: string,
): CoverageFigures {
  const types = statementTypesOf(catalogue);
  const totals = new Map<NiceStatementType, number>();
  const hits = new Map<NiceStatementType, number>();
  let coveredAll = 0;
  for (const s of catalogue.statements) {
    totals.set(s.type, (totals.get(s.type) ?? 0) + 1);
    if (covered.has(s.id)) {
      hits.set(s.type, (hits.get(s.type) ?? 0) + 1);
      coveredAll += 1;
    }
  }
  const byType: Partial<Record<NiceStatementType, Fraction>> = {};
  for (const t of types) byType[t] = fraction(hits.get(t) ?? 0, totals.get(t) ?? 0);
  const roles = role === undefined ? catalogue.workRoles : [requireRole(catalogue, role)];
  const byRole = roles.map((r) => {
    const ids = new Set(r.statements);
    let n = 0;
    const roleTotals = new Map<NiceStatementType, number>();
    const roleHits = new Map<NiceStatementType, number>();
    for (const id of ids) {
      const type = findStatement(catalogue, id)?.type;
      if (type !== undefined) roleTotals.set(type, (roleTotals.get(type) ?? 0) + 1);
      if (covered.has(id)) {
        n += 1;
        if (type !== undefined) roleHits.set(type, (roleHits.get(type) ?? 0) + 1);
      }
    }
    const roleByType: Partial<Record<NiceStatementType, Fraction>> = {};
    for (const t of types) roleByType[t] = fraction(roleHits.get(t) ?? 0, roleTotals.get(t) ?? 0);
    return {
      id: r.id,
      name: r.name,
      category: r.category,
      ...fraction(n, ids.size),
      namedBy: namedBy.get(r.id) ?? 0,
      byType: roleByType,
    };
  });
  return { overall: fraction(coveredAll, catalogue.statements.length), byType, byRole };
}

export function requireRole(catalogue: NiceCatalogue, role: string) {
  const found = findWorkRole(catalogue, role);
  if (!found)
    throw new CyropError(
      'BAD_REQUEST',
      `unknown work role ${role} in ${catalogue.framework} (roles look like ${catalogue.workRoles[0]?.id ?? '?'})`,
    );
  return found;
}

/** The statement ids a set of materials covers directly in a catalogue's framework. */
export function coveredStatements(catalogue: NiceCatalogue, materials: readonly Material[]): Set<string> {
  const covered = new Set<string>();
  for (const m of materials) {
    if (m.framework !== catalogue.framework) continue;
    for (const id of m.statements) if (findStatement(catalogue, id)) covered.add(id);
  }
  return covered;
}

/** Coverage of `materials` against `catalogue`; see the module comment for the rules. */
export function computeCoverage(
  catalogue: NiceCatalogue,
  materials: readonly Material[],
  options: CoverageOptions = {},
): CoverageReport {
  const direct = materials.filter((m) => m.framework === catalogue.framework);
  const covered = new Set<string>();
  const otherIds: CoverageReport['otherIds'] = [];
  const namedBy = new Map<string, number>();
  let covering = 0;
  for (const m of direct) {
    let any = false;
    for (const id of new Set(m.statements)) {
      if (findStatement(catalogue, id)) {
        covered.add(id);
        any = true;
      } else
        otherIds.push({
          material: m.id,
          id,
          reason: /^NF-COM-\d{3}$/.test(id) ? 'competency-area' : 'unknown',
        });
    }
    if (any) covering += 1;
    for (const r of new Set(m.workRoles))
      if (findWorkRole(catalogue, r)) namedBy.set(r, (namedBy.get(r) ?? 0) + 1);
  }
  const figures = coverageFigures(catalogue, covered, namedBy, options.role);
  const report: CoverageReport = {
    framework: catalogue.framework,
    sourceVersion: catalogue.sourceVersion,
    categories: catalogue.categories.map((c) => ({ id: c.id, name: c.name })),
    universe: `every ${statementTypesOf(catalogue).join('/')} statement of ${catalogue.framework} (${catalogue.statements.length}); a role's row: the statements NIST links to that role`,
    ...figures,
    materials: {
      total: materials.length,
      direct: direct.length,
      otherFramework: materials.filter(
        (m) => m.framework !== undefined && m.framework !== catalogue.framework,
      ).length,
      unmapped: materials.filter((m) => m.framework === undefined).length,
      covering,
    },
    otherIds: otherIds.sort((a, b) => a.material.localeCompare(b.material) || a.id.localeCompare(b.id)),
  };
  if (options.crosswalk) report.crosswalked = crosswalk(catalogue, materials, covered, namedBy, options);
  return report;
}

function crosswalk(
  catalogue: NiceCatalogue,
  materials: readonly Material[],
  direct: ReadonlySet<string>,
  directNamedBy: ReadonlyMap<string, number>,
  options: CoverageOptions,
): CrosswalkFigures {
  const catalogues = new Map((options.crosswalk?.catalogues ?? []).map((c) => [c.framework, c]));
  const combined = new Set(direct);
  const namedBy = new Map(directNamedBy);
  const sources: CrosswalkFigures['sources'] = [];
  for (const m of materials) {
    if (m.framework === undefined || m.framework === catalogue.framework) continue;
    const from = catalogues.get(m.framework);
    let crossed = 0;
    let notCrossed = 0;
    for (const id of new Set(m.statements)) {
      const source = from ? findStatement(from, id) : undefined;
      const target = findStatement(catalogue, id);
      // a shared id must name the same kind of statement in both versions
      if (source && target && source.type === target.type) {
        combined.add(id);
        crossed += 1;
      } else notCrossed += 1;
    }
    for (const r of new Set(m.workRoles)) {
      const role = from ? findWorkRole(from, r) : undefined;
      for (const opm of role?.opmCodes ?? []) {
        for (const t of catalogue.workRoles)
          if (t.opmCodes.includes(opm)) namedBy.set(t.id, (namedBy.get(t.id) ?? 0) + 1);
      }
    }
    sources.push({ material: m.id, framework: m.framework, crossed, notCrossed });
  }
  const added = new Set([...combined].filter((id) => !direct.has(id)));
  return {
    ...coverageFigures(catalogue, combined, namedBy, options.role),
    addedOnly: fraction(added.size, catalogue.statements.length),
    sources,
    rule:
      'direct ∪ crosswalked: a statement id of another version counts when the same id (same type) exists in ' +
      `${catalogue.framework}; roles by OPM code; crosswalked materials listed in sources`,
  };
}

const TYPE_ORDER: Record<NiceStatementType, number> = { task: 0, knowledge: 1, skill: 2, ability: 3 };

/** The statements of a work role that no material covers directly: the backlog for new materials. */
export function roleGaps(
  catalogue: NiceCatalogue,
  materials: readonly Material[],
  roleId: string,
): GapReport {
  const role = requireRole(catalogue, roleId);
  const covered = coveredStatements(catalogue, materials);
  const ids = [...new Set(role.statements)];
  const gaps = ids
    .filter((id) => !covered.has(id))
    .map((id) => findStatement(catalogue, id))
    .filter((s): s is NiceStatement => s !== undefined)
    .sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || a.id.localeCompare(b.id));
  return {
    framework: catalogue.framework,
    role: { id: role.id, name: role.name },
    coverage: fraction(ids.length - gaps.length, ids.length),
    gaps,
  };
}
