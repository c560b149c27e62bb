import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * A valid scenario within every cap, with seven template files of ~1 MB (280 expressions each):
 * quick to validate, but planning renders 7 MB per team.
 */
function heavyScenario(dir: string): string {
  const folder = path.join(dir, `heavy-${Math.random().toString(36).slice(2)}`);
  cpSync(path.dirname(EXAMPLE), folder, { recursive: true });
  const file = path.join(folder, 'scenario.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      '      - { path: /srv/app/config.ini, source: files/web-config.ini.hbs }',
      Array.from(
        { length: 7 },
        (_, i) => `      - { path: /srv/app/c${i}.ini, source: files/t${i}.hbs }`,
      ).join('\n'),
    ),
  );
  const template = `${'x'.repeat(3_600)}{{params.victim_user}}\n`.repeat(280);
  for (let i = 0; i < 7; i++) writeFileSync(path.join(folder, `files/t${i}.hbs`), template);
  return file;
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

  it('validates a scenario that is heavy but within every cap', async () => {
    const result = await compiler({}).compileFile(heavyScenario(dir));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    expect(result.compiled?.sources.size).to.equal(7);
  });

  it('stops planning at its deadline with a 422-class error naming the limit', async () => {
    const c = compiler({ timeoutMs: 1_500, heapMb: 4_096 });
    const file = heavyScenario(dir);
    const error = await refusal(
      c.planFile(file, {
        exerciseId: 'ex-1',
        teams: 200,
        secret: 'long-enough',
        subnetPool: '10.251.0.0/16',
      }),
    );
    expect(error.code).to.equal('SCENARIO_TOO_COSTLY');
    expect(error.message).to.contain('longer than 1.5 s');
    expect(error.details).to.deep.include.members([
      {
        severity: 'error',
        rule: 'limit.compile-time',
        file,
        line: 0,
        column: 0,
        pointer: '',
        message: 'compilation stopped after 1500 ms',
      },
    ]);
  });

  it('stops planning that needs more memory than the heap limit, and carries on', async () => {
    const c = compiler({ heapMb: 64, timeoutMs: 60_000 });
    const error = await refusal(
      c.planFile(heavyScenario(dir), {
        exerciseId: 'ex-1',
        teams: 200,
        secret: 'long-enough',
        subnetPool: '10.251.0.0/16',
      }),
    );
    expect(error.code).to.equal('SCENARIO_TOO_COSTLY');
    expect(error.message).to.contain('more than 64 MiB');
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
