import { expect } from 'chai';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planExercise } from '../compiler/plan-exercise.ts';
import { CyropError } from '../errors.ts';
import { NiceCatalogueStore } from '../nice/nice-catalogue-store.ts';
import { niceTestData } from '../nice/nice-test-data.ts';
import { ScenarioCompiler } from './scenario-compiler.ts';
import { compileScenarioFile } from './scenario-folder.ts';

const EXAMPLE = fileURLToPath(
  new URL('../../../tests/fixtures/valid/format-example/scenario.yaml', import.meta.url),
);

async function refusal(promise: Promise<unknown>): Promise<CyropError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    return error as CyropError;
  }
  throw new Error('expected a refusal');
}

/** A valid scenario whose template file is 1 MB of mustaches: seconds of work and tens of MiB to analyse. */
function heavyScenario(dir: string): string {
  const folder = path.join(dir, `heavy-${Math.random().toString(36).slice(2)}`);
  cpSync(path.dirname(EXAMPLE), folder, { recursive: true });
  writeFileSync(path.join(folder, 'files/web-config.ini.hbs'), '{{params.victim_user}}\n'.repeat(43_000));
  return path.join(folder, 'scenario.yaml');
}

describe('ScenarioCompiler (worker threads with a deadline and a heap limit)', function () {
  this.timeout(60_000);
  let dir: string;
  const compilers: ScenarioCompiler[] = [];
  const compiler = (options: ConstructorParameters<typeof ScenarioCompiler>[0]) => {
    const c = new ScenarioCompiler(options);
    compilers.push(c);
    return c;
  };
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-compiler-'));
  });
  after(async () => {
    for (const c of compilers) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the result the synchronous compiler gives, source files included, with catalogues read in the worker', async () => {
    const dataDir = path.join(dir, 'data');
    await new NiceCatalogueStore(dataDir).import(niceTestData.path('v210'));
    const inWorker = await compiler({ dataDir }).compileFile(EXAMPLE);
    const here = compileScenarioFile(EXAMPLE);
    expect(inWorker.diagnostics).to.deep.equal(here.diagnostics);
    expect(inWorker.compiled?.sourceHash).to.equal(here.compiled?.sourceHash);
    expect(inWorker.compiled?.scenario).to.deep.equal(here.compiled?.scenario);
    const source = inWorker.compiled?.sources.get('files/web-config.ini.hbs');
    expect(Buffer.isBuffer(source)).to.equal(true);
    expect(
      source?.equals(here.compiled?.sources.get('files/web-config.ini.hbs') ?? Buffer.alloc(0)),
    ).to.equal(true);
    expect(here.competencyCheck).to.equal('syntax-only');
    expect(inWorker.competencyCheck).to.equal('catalogue');
  });

  it('plans every team in the worker as planExercise does here, and keeps the code of a planning refusal', async () => {
    const c = compiler({});
    const options = {
      exerciseId: 'ex-1',
      teams: 3,
      secret: 'a-long-enough-secret',
      subnetPool: '10.251.0.0/16',
    };
    const compiled = compileScenarioFile(EXAMPLE).compiled;
    if (!compiled) throw new Error('the example does not compile');
    expect(await c.planFile(EXAMPLE, options)).to.deep.equal(planExercise(compiled, options));
    const error = await refusal(c.planFile(EXAMPLE, { ...options, secret: 'short' }));
    expect(error.code).to.equal('BAD_REQUEST');
    expect(error.message).to.contain('secret must be at least 8 characters');
  });

  it('stops a compilation at its deadline with a 422-class error naming the limit', async () => {
    const c = compiler({ timeoutMs: 200 });
    const file = heavyScenario(dir);
    const error = await refusal(c.compileFile(file));
    expect(error.code).to.equal('SCENARIO_TOO_COSTLY');
    expect(error.message).to.contain('longer than 0.2 s');
    expect(error.details).to.deep.include.members([
      {
        severity: 'error',
        rule: 'limit.compile-time',
        file,
        line: 0,
        column: 0,
        pointer: '',
        message: 'compilation stopped after 200 ms',
      },
    ]);
  });

  it('stops a compilation that needs more memory than its heap limit', async () => {
    const c = compiler({ heapMb: 32, timeoutMs: 50_000 });
    const error = await refusal(c.compileFile(heavyScenario(dir)));
    expect(error.code).to.equal('SCENARIO_TOO_COSTLY');
    expect(error.message).to.contain('more than 32 MiB');
    // The pool replaced the worker: the next compilation works.
    expect((await c.compileFile(EXAMPLE)).compiled).to.not.equal(undefined);
  });

  it('refuses compilations past its queue as RATE_LIMITED', async () => {
    const c = compiler({ threads: 1, queue: 1 });
    const runs = Array.from({ length: 5 }, () =>
      c.compileFile(EXAMPLE).then(
        () => 'done',
        (e: unknown) => (e instanceof CyropError ? e.code : 'other'),
      ),
    );
    const outcomes = await Promise.all(runs);
    expect(outcomes).to.include('done');
    expect(await Promise.all(runs)).to.include('RATE_LIMITED');
  });
});
