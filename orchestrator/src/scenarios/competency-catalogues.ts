import type { CompetencyCatalogue } from '../compiler/check-scenario.ts';
import type { FrameworkId } from '../compiler/scenario.ts';
import {
  findStatement,
  findCompetencyArea,
  findWorkRole,
  suggestNiceIds,
  type NiceCatalogue,
} from '../nice/nice-catalogue.ts';
import { NiceCatalogueStore } from '../nice/nice-catalogue-store.ts';

/** Adapts an imported NICE catalogue to what the scenario compiler asks of one. */
export function asCompetencyCatalogue(catalogue: NiceCatalogue): CompetencyCatalogue {
  return {
    framework: catalogue.framework,
    has: (kind, id) =>
      kind === 'workRole'
        ? findWorkRole(catalogue, id) !== undefined
        : findStatement(catalogue, id) !== undefined || findCompetencyArea(catalogue, id) !== undefined,
    closest: (kind, id) => suggestNiceIds(catalogue, kind, id),
  };
}

/** Every NICE catalogue imported into the data directory, loaded up front so the compiler can look ids up synchronously. */
export async function competencyCatalogues(dataDir: string): Promise<{
  catalogueFor: (framework: FrameworkId) => CompetencyCatalogue | undefined;
  frameworks: FrameworkId[];
}> {
  const store = new NiceCatalogueStore(dataDir);
  const loaded = new Map<FrameworkId, CompetencyCatalogue>();
  for (const framework of await store.list()) {
    const catalogue = await store.load(framework);
    if (catalogue) loaded.set(framework, asCompetencyCatalogue(catalogue));
  }
  return { catalogueFor: (framework) => loaded.get(framework), frameworks: [...loaded.keys()] };
}
