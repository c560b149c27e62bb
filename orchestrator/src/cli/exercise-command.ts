import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { DURATION_PATTERN, parseDuration } from '../compiler/durations.ts';
import { loadConfig } from '../config/load-config.ts';
import type { ExerciseStatus, ExerciseSummary, LaunchEvent } from '../exercises/exercise-service.ts';
import { CyropError } from '../errors.ts';
import type { Orchestrator } from '../main.ts';
import { EXIT, type Io } from './main.ts';

type Format = { format: 'text' | 'json' };

/** `cyrop exercise launch|status|list|reset|extend|teardown|reconcile` and `cyrop gc`. */
export function exerciseCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const exercise = program
    .command('exercise')
    .description('launch and run exercises: one isolated environment per team');
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const withOrchestrator = async <T>(fn: (o: Orchestrator) => Promise<T>): Promise<T> => {
    const { openOrchestrator } = await import('../main.ts'); // the composition root: loaded by the action only
    const o = await openOrchestrator(loadConfig());
    try {
      return await fn(o);
    } finally {
      await o.close();
    }
  };
  const print = (
    opts: Format,
    value: ExerciseSummary | ExerciseStatus | ExerciseSummary[] | object,
    text: () => string,
  ) => {
    io.out(opts.format === 'json' ? JSON.stringify(value, null, 2) + '\n' : text());
  };

  exercise
    .command('launch')
    .description('create an exercise from a scenario and provision every team')
    .argument('<scenario>', 'a scenario folder or file')
    .requiredOption('--teams <n>', 'number of teams', (v) => positive(v, '--teams'))
    .option('--secret <secret>', 'exercise secret (random if not given)')
    .option('--id <id>', 'exercise id (default: scenario id + random suffix)')
    .option(
      '--ttl <duration>',
      'tear down automatically after this long, e.g. 4h (default CYROP_EXERCISE_TTL, at most CYROP_EXERCISE_TTL_MAX)',
    )
    .option('--concurrency <n>', 'teams provisioned at once (default CYROP_LAUNCH_CONCURRENCY, 4)', (v) =>
      positive(v, '--concurrency'),
    )
    .addOption(format())
    .action(
      async (
        scenario: string,
        opts: Format & { teams: number; secret?: string; id?: string; ttl?: string; concurrency?: number },
      ) => {
        await withOrchestrator(async ({ exercises }) => {
          const created = await exercises.create({
            scenarioPath: scenario,
            teams: opts.teams,
            ...(opts.secret ? { secret: opts.secret } : {}),
            ...(opts.id ? { id: opts.id } : {}),
            ...(opts.ttl ? { ttlMs: duration(opts.ttl) } : {}),
            launching: true,
          });
          if (opts.format === 'text')
            io.out(
              `exercise ${created.id}: ${created.teams.length} team(s) of ${created.scenario.id}@${created.scenario.version}\n`,
            );
          const progress = new LaunchProgress(io, opts.format === 'text', created);
          const result = await exercises.launch(created.id, {
            ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
            onEvent: (e) => progress.event(e),
          });
          progress.stop();
          print(opts, result, () => summaryText(result));
          const failed = result.teams.filter((t) => t.state !== 'ready');
          // Whatever the format and however the progress was shown, why teams failed goes to stderr.
          for (const t of failed)
            io.err(`cyrop: ${result.id}/${t.id} is ${t.state}${t.lastError ? `: ${t.lastError}` : ''}\n`);
          setExit(failed.length ? EXIT.invalid : EXIT.ok);
        });
      },
    );

  exercise
    .command('status')
    .description('what the store wants and what the engine has, per team')
    .argument('<id>', 'exercise id')
    .addOption(format())
    .action(async (id: string, opts: Format) => {
      await withOrchestrator(async ({ exercises }) => {
        const status = await exercises.status(id);
        print(opts, status, () => statusText(status));
      });
    });

  exercise
    .command('list')
    .description('every exercise in the store')
    .addOption(format())
    .action(async (opts: Format) => {
      await withOrchestrator(async ({ exercises }) => {
        const all = await exercises.list();
        print(opts, all, () =>
          all.length
            ? all
                .map(
                  (e) =>
                    `${e.id.padEnd(34)} ${e.state.padEnd(13)} ${e.scenario.id}@${e.scenario.version}  ${e.teams.length} team(s)\n`,
                )
                .join('')
            : 'no exercises\n',
        );
      });
    });

  exercise
    .command('reset')
    .description("recreate a team's environment, or one host of it, from its plan")
    .argument('<id>', 'exercise id')
    .requiredOption('--team <team>', 'team id, e.g. team-2')
    .option('--host <host>', 'only this host')
    .addOption(format())
    .action(async (id: string, opts: Format & { team: string; host?: string }) => {
      await withOrchestrator(async ({ exercises }) => {
        const result = await exercises.reset(id, opts.team, opts.host);
        print(opts, result, () => summaryText(result));
      });
    });

  exercise
    .command('extend')
    .description('push the expiry of an exercise back')
    .argument('<id>', 'exercise id')
    .argument('<duration>', 'e.g. 30m, 2h')
    .addOption(format())
    .action(async (id: string, by: string, opts: Format) => {
      await withOrchestrator(async ({ exercises }) => {
        const result = await exercises.extend(id, duration(by));
        print(
          opts,
          result,
          () => `exercise ${id} now expires at ${new Date(result.expiresAt ?? 0).toISOString()}\n`,
        );
      });
    });

  exercise
    .command('teardown')
    .description('remove every environment of an exercise')
    .argument('<id>', 'exercise id')
    .addOption(format())
    .action(async (id: string, opts: Format) => {
      await withOrchestrator(async ({ exercises }) => {
        const result = await exercises.teardown(id);
        print(opts, result, () => `exercise ${id} torn down\n`);
      });
    });

  exercise
    .command('reconcile')
    .description('make the engine match the store (what the server does at start-up and on a timer)')
    .addOption(format())
    .action(async (opts: Format) => {
      await withOrchestrator(async ({ exercises }) => {
        const report = await exercises.reconcile();
        print(
          opts,
          report,
          () =>
            `converged ${report.converged.length} environment(s), ${report.failed.length} failed, removed ${report.removedOrphans.length} orphan(s), expired ${report.expired.length} exercise(s)\n${report.failed.map((f) => `  ${f.ref.exercise}/${f.ref.team}: ${f.error}\n`).join('')}`,
        );
        setExit(report.failed.length ? EXIT.invalid : EXIT.ok);
      });
    });

  program
    .command('gc')
    .description('remove engine objects of exercises that ended or that the store does not know')
    .option(
      '--firewall',
      "also remove the engine's host firewall rules when nothing is left (where it has any)",
    )
    .option(
      '--any-installation',
      'also remove what other CYROP installations (other data directories) left on this engine',
    )
    .addOption(format())
    .action(async (opts: Format & { firewall?: boolean; anyInstallation?: boolean }) => {
      await withOrchestrator(async ({ exercises, driver }) => {
        const removed = await exercises.gc({ anyInstallation: opts.anyInstallation ?? false });
        let firewall = false;
        if (opts.firewall && driver.removeHostSetup && (await driver.list()).length === 0) {
          await driver.removeHostSetup();
          firewall = true;
        }
        print(
          opts,
          { removed, firewallRemoved: firewall },
          () =>
            `removed ${removed.length} leftover environment(s)${removed.map((r) => `\n  ${r.exercise}/${r.team}`).join('')}${firewall ? '\nremoved the host firewall rule' : ''}\n`,
        );
      });
    });
}

function positive(value: string, name: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CyropError('BAD_REQUEST', `${name}: '${value}' is not a positive whole number`);
  return Number(value);
}

function duration(text: string): number {
  if (!new RegExp(DURATION_PATTERN).test(text))
    throw new CyropError('BAD_REQUEST', `'${text}' is not a duration such as 30m or 2h`);
  return parseDuration(text);
}

/** A progress bar per team on a terminal; one line per team event elsewhere. */
class LaunchProgress {
  private readonly multi?: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private readonly steps = new Map<string, number>();
  private readonly enabled: boolean;

  constructor(
    private readonly io: Io,
    text: boolean,
    exercise: ExerciseSummary,
  ) {
    this.enabled = text;
    if (text && io.interactive) {
      this.multi = new MultiBar(
        {
          format: '{team} {bar} {value}/{total} {state}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      );
      for (const t of exercise.teams) {
        this.bars.set(
          t.id,
          this.multi.create(t.hosts.length * 2, 0, { team: t.id.padEnd(10), state: 'waiting' }),
        );
      }
    }
  }

  event(e: LaunchEvent): void {
    if (!this.enabled) return;
    if (e.kind === 'team') {
      const bar = this.bars.get(e.team);
      if (bar)
        bar.update({
          state: `${e.state}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}${e.detail ? `: ${e.detail.slice(0, 60)}` : ''}`,
        });
      else
        this.io.err(
          `${e.team}: ${e.state}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}${e.detail ? `: ${e.detail}` : ''}\n`,
        );
      if (e.state === 'provisioning') this.steps.set(e.team, 0);
      return;
    }
    if (e.kind === 'host' && (e.state === 'started' || e.state === 'adopted' || e.state === 'ready')) {
      const done = (this.steps.get(e.team) ?? 0) + 1;
      this.steps.set(e.team, done);
      this.bars.get(e.team)?.update(done, { state: `${e.host} ${e.state}` });
    }
  }

  stop(): void {
    this.multi?.stop();
  }
}

function summaryText(e: ExerciseSummary): string {
  const lines = [
    `exercise ${e.id} (${e.scenario.id}@${e.scenario.version}): ${e.state}${e.expiresAt ? `, expires ${new Date(e.expiresAt).toISOString()}` : ''}`,
  ];
  for (const t of e.teams)
    lines.push(
      `  ${t.id.padEnd(10)} ${t.state.padEnd(12)} ${t.hosts.join(', ')}${t.lastError ? `\n    last error: ${t.lastError}` : ''}`,
    );
  return lines.join('\n') + '\n';
}

function statusText(s: ExerciseStatus): string {
  const lines = [summaryText(s).trimEnd()];
  for (const env of s.environments) {
    lines.push(
      `  ${env.team}: ${env.ready ? 'ready' : 'not ready'} — ${env.hosts.map((h) => `${h.name}=${h.state}`).join(' ') || 'nothing on the engine'}`,
    );
  }
  return lines.join('\n') + '\n';
}
