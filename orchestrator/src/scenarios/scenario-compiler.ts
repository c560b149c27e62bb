import type { Piscina } from 'piscina';
import { CyropError } from '../errors.ts';
import { COMPILED, ORCHESTRATOR_URL } from '../paths.ts';
import type { ScenarioLimits } from '../compiler/check-scenario.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import type { PlanOptions } from '../compiler/plan-exercise.ts';
import type { CompileTask, PlanOutcome, PlanTask } from './compile-worker.ts';
import type { ScenarioFileResult } from './scenario-folder.ts';

/** Bounds of one compilation of untrusted scenario content. */
export interface CompileLimits {
  /** Wall-clock deadline of one compilation, from the request (time waiting for a thread included). */
  timeoutMs: number;
  /** V8 heap of a compile worker (old generation), in MiB. */
  heapMb: number;
  /** Compilations at once (each in a worker thread of its own). */
  threads: number;
  /** Compilations waiting for a thread; past this, requests are refused (429). */
  queue: number;
}

export const COMPILE_LIMITS: CompileLimits = { timeoutMs: 20_000, heapMb: 256, threads: 2, queue: 16 };

export interface ScenarioCompilerOptions extends Partial<CompileLimits> {
  /** The data directory, where imported NICE catalogues are read from (in the worker). */
  dataDir?: string;
  /** The operator's limits on scenarios (the largest `resources.disk`), checked in the worker. */
  scenarioLimits?: ScenarioLimits;
}

// The worker runs what the main thread runs: the compiled build's compile-worker.js (orchestrator/build.ts
// makes it an entry of its own), or the TypeScript source through tsx (bin/cyrop.js without a build, mocha).
const WORKER = COMPILED
  ? { filename: new URL('dist/compile-worker.js', ORCHESTRATOR_URL).href, execArgv: [] }
  : {
      filename: new URL('src/scenarios/compile-worker.ts', ORCHESTRATOR_URL).href,
      execArgv: ['--import', import.meta.resolve('tsx')],
    };

/**
 * Compiles scenario files of untrusted origin (uploads, and exercises launched from them) off the
 * event loop: in worker threads with a deadline and a heap limit, a bounded number at once. A
 * compilation that runs out of time or memory is refused as SCENARIO_TOO_COSTLY (422) naming the
 * bound; the worker is ended and replaced, the server carries on. Trusted input (the CLI on local
 * files, the shipped catalogue at start) may keep calling `compileScenarioFile` directly.
 */
export class ScenarioCompiler {
  readonly limits: CompileLimits;
  private readonly dataDir: string | undefined;
  private readonly scenarioLimits: ScenarioLimits | undefined;
  private pool: Piscina | undefined;
  private inFlight = 0;

  constructor(options: ScenarioCompilerOptions = {}) {
    const { dataDir, scenarioLimits, ...limits } = options;
    this.limits = { ...COMPILE_LIMITS, ...limits };
    this.dataDir = dataDir;
    this.scenarioLimits = scenarioLimits;
  }

  /** Read and compile one scenario file (see `compileScenarioFile`); throws only when a bound is hit. */
  async compileFile(file: string): Promise<ScenarioFileResult> {
    const result = (await this.run('default', { file, ...this.where() }, file)) as ScenarioFileResult;
    return revive(result);
  }

  /**
   * Compile a valid scenario file and plan every team (`planExercise`: per-team template
   * rendering), in a worker under the same bounds. Planning refusals keep their code.
   */
  async planFile(file: string, options: PlanOptions): Promise<EnvironmentPlan[]> {
    const outcome = (await this.run('plan', { file, options, ...this.where() }, file)) as PlanOutcome;
    if ('plans' in outcome) return outcome.plans;
    throw new CyropError(outcome.error.code, outcome.error.message, { details: outcome.error.details });
  }

  private where(): { dataDir?: string; limits?: ScenarioLimits } {
    return {
      ...(this.dataDir !== undefined ? { dataDir: this.dataDir } : {}),
      ...(this.scenarioLimits !== undefined ? { limits: this.scenarioLimits } : {}),
    };
  }

  private async run(name: string, task: CompileTask | PlanTask, file: string): Promise<unknown> {
    if (this.inFlight >= this.limits.threads + this.limits.queue) {
      throw new CyropError(
        'RATE_LIMITED',
        `the platform is already compiling ${this.limits.threads} scenarios with ${this.limits.queue} more waiting: try again shortly`,
      );
    }
    this.inFlight++;
    try {
      return await (
        await this.workers()
      ).run(task, { name, signal: AbortSignal.timeout(this.limits.timeoutMs) });
    } catch (error) {
      throw this.translate(error, file);
    } finally {
      this.inFlight--;
    }
  }

  /** Ends the worker threads (running compilations are refused). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  /** The pool, made at the first compilation (piscina is loaded only then: `cyrop --help` does without it). */
  private async workers(): Promise<Piscina> {
    if (this.pool) return this.pool;
    const { Piscina } = await import('piscina');
    this.pool ??= new Piscina({
      ...WORKER,
      minThreads: 0,
      maxThreads: this.limits.threads,
      idleTimeout: 60_000,
      resourceLimits: {
        maxOldGenerationSizeMb: this.limits.heapMb,
        maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(this.limits.heapMb / 8))),
        stackSizeMb: 4,
      },
    });
    return this.pool;
  }

  private translate(error: unknown, file: string): CyropError {
    const e = error as { name?: string; code?: string; message?: string };
    if (e.name === 'AbortError' || (error instanceof DOMException && error.name === 'TimeoutError'))
      return new CyropError(
        'SCENARIO_TOO_COSTLY',
        `compiling the scenario took longer than ${this.limits.timeoutMs / 1000} s, the limit for one compilation: it was stopped (is it made of a huge number of nodes, aliases or templates?)`,
        {
          cause: error,
          details: [
            limitDiagnostic(
              file,
              'limit.compile-time',
              `compilation stopped after ${this.limits.timeoutMs} ms`,
            ),
          ],
        },
      );
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return new CyropError(
        'SCENARIO_TOO_COSTLY',
        `compiling the scenario needed more than ${this.limits.heapMb} MiB of memory, the limit for one compilation: it was stopped`,
        {
          cause: error,
          details: [
            limitDiagnostic(file, 'limit.compile-memory', `compilation stopped at ${this.limits.heapMb} MiB`),
          ],
        },
      );
    return new CyropError('INTERNAL', `compiling ${file} failed: ${e.message ?? String(error)}`, {
      cause: error,
    });
  }
}

function limitDiagnostic(file: string, rule: string, message: string) {
  return { severity: 'error' as const, rule, file, line: 0, column: 0, pointer: '', message };
}

/** Buffers arrive from a worker as plain Uint8Arrays. */
function revive(result: ScenarioFileResult): ScenarioFileResult {
  if (!result.compiled) return result;
  const sources = new Map<string, Buffer>();
  for (const [name, bytes] of result.compiled.sources)
    sources.set(name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { ...result, compiled: { ...result.compiled, sources } };
}
