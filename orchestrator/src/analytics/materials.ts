import type { FrameworkId } from '../compiler/scenario.ts';
import { isNiceFramework } from '../nice/nice-catalogue.ts';
import type { Material } from './coverage.ts';

/** What analytics needs of a catalogue entry (`scenarios/scenario-catalogue.ts`'s `CatalogueEntry`). */
export interface MaterialSource {
  id: string;
  version: string;
  framework?: FrameworkId;
  workRoles: readonly string[];
  statements: readonly string[];
  objectives: readonly { id: string; competencies?: readonly string[] }[];
}

/** One material per entry: the scenario's statements and every objective's, together. */
export function materialOf(entry: MaterialSource): Material {
  return {
    id: entry.id,
    framework: isNiceFramework(entry.framework) ? entry.framework : undefined,
    statements: [...entry.statements, ...entry.objectives.flatMap((o) => o.competencies ?? [])],
    workRoles: [...entry.workRoles],
  };
}

/**
 * One material per scenario id, from the FIRST entry of each id (callers pass entries newest version
 * first, as the catalogue lists them): a material is counted once, as its newest version maps it.
 */
export function materialsOf(entries: readonly MaterialSource[]): Material[] {
  const seen = new Set<string>();
  const out: Material[] = [];
  for (const e of entries) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(materialOf(e));
  }
  return out;
}
