/**
 * The worker side of `ScenarioCompiler`: compiles one scenario file in a worker thread (time and
 * memory bounded by the pool that runs it). NICE catalogues are loaded here, from the data
 * directory, once per worker: the main thread's catalogue callbacks cannot cross into a worker.
 */
import type { FrameworkId } from '../compiler/scenario.ts';
import type { CompetencyCatalogue } from '../compiler/check-scenario.ts';
import { competencyCatalogues } from './competency-catalogues.ts';
import { compileScenarioFile, type ScenarioFileResult } from './scenario-folder.ts';

export interface CompileTask {
  file: string;
  /** Where imported NICE catalogues are; without one, competency ids are only syntax-checked. */
  dataDir?: string;
}

type CatalogueFor = (framework: FrameworkId) => CompetencyCatalogue | undefined;
const catalogues = new Map<string, Promise<CatalogueFor>>();

export default async function compileTask(task: CompileTask): Promise<ScenarioFileResult> {
  let catalogueFor: CatalogueFor | undefined;
  if (task.dataDir !== undefined) {
    let loading = catalogues.get(task.dataDir);
    if (!loading) {
      loading = competencyCatalogues(task.dataDir).then((c) => c.catalogueFor);
      catalogues.set(task.dataDir, loading);
    }
    catalogueFor = await loading;
  }
  return compileScenarioFile(task.file, catalogueFor);
}
