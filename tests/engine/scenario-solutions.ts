import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentPlan, PlannedObjective } from '../../orchestrator/src/compiler/environment-plan.ts';
import { localize } from '../../orchestrator/src/compiler/scenario.ts';
import {
  ExerciseService,
  type ExerciseServiceOptions,
} from '../../orchestrator/src/exercises/exercise-service.ts';
import type { RuntimeDriver } from '../../orchestrator/src/runtime/runtime-driver.ts';
import { AnswerChecker, evaluateCheck } from '../../orchestrator/src/scoring/check-answer.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCENARIOS = path.join(REPO, 'scenarios');

/** The shipped scenarios (folders of scenarios/ with a scenario.yaml), sorted. */
export const shippedScenarios = readdirSync(SCENARIOS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(SCENARIOS, d.name, 'scenario.yaml')))
  .map((d) => d.name)
  .sort();

/**
 * Every shipped scenario is solvable for real on an engine: launched for two teams through the
 * exercise service, its scripted solution run on the console as the trainee, each flag found is that
 * team's (and not the other's), each answer is what the environment shows (as the service's plan
 * states it, addresses included), and every check fails before the fix and passes after.
 *
 * The same suite runs on Docker (tests/engine/solutions.test.ts) and on Kubernetes
 * (tests/kubernetes/solutions.test.ts).
 */
export function describeScenarioSolutions(
  title: string,
  setup: {
    /** Called in `before` (may skip the suite); the driver the exercises run on. */
    driver: (ctx: Mocha.Context) => Promise<RuntimeDriver>;
    service: Omit<ExerciseServiceOptions, 'db' | 'driver'>;
  },
): void {
  describe(title, function () {
    this.timeout(15 * 60_000);
    let dir: string | undefined;
    let database: OpenedDatabase | undefined;
    let driver: RuntimeDriver;
    let exercises: ExerciseService;

    before(async function () {
      driver = await setup.driver(this);
      dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-solutions-'));
      database = await openDatabase(dir);
      exercises = new ExerciseService({
        db: database.db,
        driver,
        retryDelaysMs: [500],
        ...setup.service,
      });
    });
    after(async () => {
      await database?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('every scenario has a scripted solution', () => {
      expect(shippedScenarios.length).to.be.at.least(6);
      for (const s of shippedScenarios)
        expect(existsSync(path.join(SCENARIOS, s, 'solution', 'solve.sh')), s).to.equal(true);
    });

    for (const name of shippedScenarios) {
      it(`${name}: every objective met for each team`, async () => {
        await solveScenario(exercises, driver, name);
      });
    }
  });
}

async function solveScenario(exercises: ExerciseService, driver: RuntimeDriver, name: string) {
  const id = `sol-${name.slice(0, 16)}-${process.pid % 10000}`;
  await exercises.create({
    scenarioPath: path.join(SCENARIOS, name),
    teams: 2,
    id,
    secret: `solution-${name}`,
    launching: true,
  });
  try {
    const launched = await exercises.launch(id, { concurrency: 2 });
    expect(launched.teams.map((t) => `${t.id}:${t.state}:${t.lastError ?? ''}`)).to.deep.equal([
      'team-1:ready:',
      'team-2:ready:',
    ]);
    // The plans as the service states them (on an engine that assigns addresses, with them bound).
    const plans = await Promise.all(['team-1', 'team-2'].map((t) => exercises.plan(id, t)));
    const checker = new AnswerChecker(plans);
    const script = readFileSync(path.join(SCENARIOS, name, 'solution', 'solve.sh'), 'utf8');
    const inputsFile = path.join(SCENARIOS, name, 'solution', 'inputs.json');
    const inputs = existsSync(inputsFile)
      ? (JSON.parse(readFileSync(inputsFile, 'utf8')) as Record<
          string,
          { objective: string; pattern: string }
        >)
      : {};

    const runCheck = async (plan: EnvironmentPlan, o: PlannedObjective) => {
      const c = o.check!;
      const r = await driver.exec({ exercise: id, team: plan.team.id, host: c.host }, c.run, {
        timeoutMs: c.timeoutMs,
        maxOutputBytes: 65_536,
        ...(c.user ? { user: c.user } : {}),
      });
      return {
        passed: evaluateCheck(c, { exitCode: r.exitCode, stdout: r.stdout.toString(), timedOut: r.timedOut }),
        output: (r.stdout.toString() + r.stderr.toString()).trim(),
      };
    };

    const answers = await Promise.all(
      plans.map(async (plan) => {
        for (const o of plan.objectives.filter((x) => x.kind === 'check')) {
          const before = await runCheck(plan, o);
          expect(
            before.passed,
            `${plan.team.id} ${o.id} must fail before the fix: ${before.output}`,
          ).to.equal(false);
        }
        const env: Record<string, string> = {};
        for (const [variable, input] of Object.entries(inputs)) {
          const description =
            localize(plan.objectives.find((o) => o.id === input.objective)?.description) ?? '';
          const value = new RegExp(input.pattern).exec(description)?.[1];
          expect(value, `${variable} from the description of ${input.objective}`).to.be.a('string');
          env[variable] = value!;
        }
        const consoleHost = plan.hosts.find((h) => h.console)!;
        const run = await driver.exec(
          { exercise: id, team: plan.team.id, host: consoleHost.name },
          ['bash', '-lc', script],
          {
            timeoutMs: 8 * 60_000,
            maxOutputBytes: 4 << 20,
            user: consoleHost.console!.user,
            workdir: consoleHost.console!.workdir,
            env,
          },
        );
        const stdout = run.stdout.toString();
        expect(
          run.exitCode,
          `${plan.team.id} solve.sh: ${run.stderr.toString().split('\n').slice(-20).join('\n')}`,
        ).to.equal(0);
        const found = new Map<string, string>();
        for (const m of stdout.matchAll(/^ANSWER (\S+) (.*)$/gm)) found.set(m[1]!, m[2]!);
        return { plan, found };
      }),
    );

    for (const { plan, found } of answers) {
      const other = plans.find((p) => p !== plan)!;
      for (const o of plan.objectives) {
        if (o.kind === 'check') {
          const after = await runCheck(plan, o);
          expect(after.passed, `${plan.team.id} ${o.id} must pass after the fix: ${after.output}`).to.equal(
            true,
          );
          continue;
        }
        const value = found.get(o.id);
        expect(value, `${plan.team.id} printed no ANSWER for ${o.id}`).to.be.a('string');
        expect(
          checker.check(plan.team.id, o.id, value!),
          `${plan.team.id} ${o.id} = ${value!}`,
        ).to.deep.equal({
          verdict: 'correct',
        });
        if (o.flag && 'exact' in o.flag) {
          // the flag found is this team's, and the other team submitting it would be caught
          expect(checker.check(other.team.id, o.id, value!)).to.deep.equal({
            verdict: 'other-team',
            ownerTeamIds: [plan.team.id],
          });
        }
      }
    }
  } finally {
    await exercises.teardown(id);
  }
}
