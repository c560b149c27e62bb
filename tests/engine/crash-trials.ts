import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The crash-safety trials, whatever the engine: kill -9 `cyrop exercise launch` (several teams) at a
 * seeded random point of the span a whole launch takes (timed once first, on this machine as loaded as
 * it is now: a fixed window in ms mostly killed the CLI before it had stored anything), run
 * `cyrop exercise reconcile`, and check that the engine holds every team's
 * environment exactly once, ready, and nothing else; then `cyrop exercise teardown` leaves nothing.
 * `CYROP_CRASH_SEED` replays a run's kill points. The engine tests (tests/engine/crash-safety.test.ts
 * for Docker, tests/kubernetes/crash-safety.test.ts) give what differs: the CLI's environment, the
 * scenario and how to look at the engine.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CYROP = path.join(REPO, 'orchestrator/bin/cyrop.js');

export interface CrashEngine {
  /** The CLI's environment (engine, data folder, …) and the scenario folder it launches. */
  env: NodeJS.ProcessEnv;
  scenarioDir: string;
  /** Every team's objects exist exactly once, running and ready, and nothing else of `exercise`. */
  expectConverged(exercise: string, teams: number, context: string): Promise<void>;
  /** The engine was never touched for `exercise`: nothing of it exists, not even going away. */
  expectUntouched(exercise: string, context: string): Promise<void>;
  /** After a teardown: nothing of `exercise` is left (an engine may take a while to let go). */
  expectTornDown(exercise: string, context: string): Promise<void>;
  close(): Promise<void>;
}

export interface CrashTrialOptions {
  /** The describe block's title. */
  title: string;
  trials: number;
  teams: number;
  /** Make the engine's side, in `before` (it may skip the suite, saying why). */
  setup(ctx: Mocha.Context): Promise<CrashEngine>;
  /** Per-test timeout. */
  timeoutMs?: number;
}

/** A small seeded generator, so that a failing trial can be replayed with the same kill delays. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function crashSafetyTrials(options: CrashTrialOptions): void {
  const { trials, teams } = options;
  describe(options.title, function () {
    this.timeout(options.timeoutMs ?? 30 * 60_000);
    let engine: CrashEngine | undefined;
    /** How long a whole launch took when timed in `before`. */
    let launchMs = 0;
    const seed = Number(process.env['CYROP_CRASH_SEED'] ?? Date.now() % 100_000);
    const random = mulberry32(seed);

    before(async function () {
      this.timeout(600_000);
      engine = await options.setup(this);
      const id = `crash-${process.pid}-timed`;
      const started = Date.now();
      const launch = cli(launchArgs(id));
      launchMs = Date.now() - started;
      expect(launch.status, `the timed launch: ${launch.stderr}`).to.equal(0);
      await engine.expectConverged(id, teams, 'the timed launch');
      const teardown = cli(['exercise', 'teardown', id]);
      expect(teardown.status, `the timed launch's teardown: ${teardown.stderr}`).to.equal(0);
      await engine.expectTornDown(id, 'the timed launch');
      console.log(
        `      (a whole ${teams}-team launch took ${launchMs} ms; kills fall in 2-100% of it; CYROP_CRASH_SEED=${seed} replays the fractions)`,
      );
    });
    after(async () => {
      await engine?.close();
    });

    const launchArgs = (id: string) => [
      'exercise',
      'launch',
      engine!.scenarioDir,
      '--teams',
      String(teams),
      '--id',
      id,
      '--secret',
      'crash-secret',
      '--format',
      'json',
    ];
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [CYROP, ...args], {
        env: engine!.env,
        encoding: 'utf8',
        timeout: 600_000,
      });

    for (let trial = 1; trial <= trials; trial++) {
      it(`trial ${trial}: converges with no duplicate and nothing missing`, async () => {
        const e = engine!;
        const id = `crash-${process.pid}-${trial}`;
        const delay = Math.round(launchMs * (0.02 + random() * 0.98));
        const context = `seed ${seed}, kill after ${delay} ms`;
        const child = spawn(process.execPath, [CYROP, ...launchArgs(id)], { env: e.env, stdio: 'ignore' });
        const exited = new Promise((r) => child.once('exit', r));
        await new Promise((r) => setTimeout(r, delay));
        const finished = child.exitCode !== null;
        child.kill('SIGKILL');
        await exited;

        const reconcile = cli(['exercise', 'reconcile', '--format', 'json']);
        expect(reconcile.status, `${context}: ${reconcile.stderr}${reconcile.stdout}`).to.equal(0);

        const status = cli(['exercise', 'status', id, '--format', 'json']);
        if (status.status !== 0) {
          // killed before the exercise was stored: then the engine was never touched either
          expect(status.stderr, context).to.contain(`no exercise '${id}'`);
          await e.expectUntouched(id, context);
          console.log(`      killed after ${delay} ms, before the exercise was stored`);
          return;
        }
        const parsed = JSON.parse(status.stdout) as {
          teams: { id: string; state: string; lastError?: string | null }[];
          environments: { ready: boolean }[];
        };
        // what the store says of each team, to tell a failure of the engine from one of the store
        const stored = `${context}; the store: ${parsed.teams
          .map((t) => `${t.id} ${t.state}${t.lastError ? ` (${t.lastError})` : ''}`)
          .join(', ')}`;
        await e.expectConverged(id, teams, stored);
        expect(
          parsed.teams.map((t) => t.state),
          stored,
        ).to.deep.equal(Array(teams).fill('ready'));
        expect(
          parsed.environments.every((env) => env.ready),
          stored,
        ).to.equal(true);
        console.log(
          `      killed after ${delay} ms${finished ? ' (the launch had finished)' : ''}; reconcile converged`,
        );

        const teardown = cli(['exercise', 'teardown', id]);
        expect(teardown.status, `${context}: ${teardown.stderr}`).to.equal(0);
        await e.expectTornDown(id, context);
      });
    }
  });
}
