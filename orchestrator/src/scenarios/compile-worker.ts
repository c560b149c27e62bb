/**
 * The worker side of `ScenarioCompiler`: compiles one scenario file, or compiles and plans it, in
 * a worker thread (time and memory bounded by the pool that runs it). NICE catalogues are loaded here, from the data
 * directory, once per worker: the main thread's catalogue callbacks cannot cross into a worker.
 */
import type { CompetencyCatalogue, ScenarioLimits } from '../compiler/check-scenario.ts';
import { formatDiagnostic } from '../compiler/diagnostic.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { planExercise, type PlanOptions } from '../compiler/plan-exercise.ts';
import type { FrameworkId } from '../compiler/scenario.ts';
import { isCyropError, type ErrorCode } from '../errors.ts';
import { competencyCatalogues } from './competency-catalogues.ts';
import { compileScenarioFile, type ScenarioFileResult } from './scenario-folder.ts';

export interface CompileTask {
  file: string;
  /** Where imported NICE catalogues are; without one, competency ids are only syntax-checked. */
  dataDir?: string;
  /** The operator's limits on scenarios (the largest `resources.disk`). */
  limits?: ScenarioLimits;
}

type CatalogueFor = (framework: FrameworkId) => CompetencyCatalogue | undefined;
const catalogues = new Map<string, Promise<CatalogueFor>>();

export default async function compileTask(task: CompileTask): Promise<ScenarioFileResult> {
  return compileScenarioFile(task.file, await cataloguesFor(task.dataDir), task.limits);
}

export interface PlanTask extends CompileTask {
  options: PlanOptions;
}

/** Plans, or the refusal as data (a CyropError's class does not survive the trip back). */
export type PlanOutcome =
  { plans: EnvironmentPlan[] } | { error: { code: ErrorCode; message: string; details?: unknown } };

export async function plan(task: PlanTask): Promise<PlanOutcome> {
  const result = compileScenarioFile(task.file, await cataloguesFor(task.dataDir), task.limits);
  if (!result.compiled) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    return {
      error: {
        code: 'SCENARIO_INVALID',
        message: `${task.file} is not valid:\n  ${errors.map(formatDiagnostic).join('\n  ')}`,
        details: result.diagnostics,
      },
    };
  }
  try {
    return { plans: planExercise(result.compiled, task.options) };
  } catch (error) {
    if (!isCyropError(error)) throw error;
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details !== undefined ? { details: error.details } : {}),
      },
    };
  }
}

async function cataloguesFor(dataDir: string | undefined): Promise<CatalogueFor | undefined> {
  if (dataDir === undefined) return undefined;
  let loading = catalogues.get(dataDir);
  if (!loading) {
    loading = competencyCatalogues(dataDir).then((c) => c.catalogueFor);
    catalogues.set(dataDir, loading);
  }
  return loading;
}
