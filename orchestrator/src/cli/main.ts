import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isCyropError } from '../errors.ts';
import { adminCommands } from './admin-command.ts';
import { billingCommand } from './billing-command.ts';
import { clusterCommand } from './cluster-command.ts';
import { courseCommands } from './course-command.ts';
import { exerciseCommand } from './exercise-command.ts';
import { imagesCommand } from './images-command.ts';
import { niceCommand } from './nice-command.ts';

/** Exit statuses: 0 success, 1 the input has problems (validation errors), 2 the command could not run. */
export const EXIT = { ok: 0, invalid: 1, failed: 2 } as const;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only there). */
  interactive: boolean;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY,
};

// Each command's action imports what it runs (`await import`), so that starting the command loads
// only commander and the wiring below: `cyrop --help` does not load the server, the store or an engine
// client (tests/integration/cli-build.test.ts checks it, tests/bench/cli-startup/ measures it).
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('cyrop')
    .description('CYROP — open cyber-range platform')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');

  program
    .command('validate')
    .description(
      'check scenario files or folders; every problem of every file, as file:line:col  /pointer  message',
    )
    .argument('<paths...>', 'scenario files or folders')
    .addOption(format())
    .action(async (paths: string[], opts: { format: 'text' | 'json' }) => {
      const { validateCommand } = await import('./validate-command.ts');
      setExit(await validateCommand(paths, opts, io));
    });

  program
    .command('plan')
    .description('print the per-team environment plans of a scenario')
    .argument('<scenario>', 'a scenario folder or file')
    .requiredOption('--teams <n>', 'number of teams', parsePositiveInt)
    .option('--secret <secret>', 'exercise secret (random if not given: then the plan cannot be reproduced)')
    .option('--exercise <id>', 'exercise id', 'preview')
    .option('--pool <cidr>', 'subnet pool for the teams (default from CYROP_SUBNET_POOL, else 10.200.0.0/16)')
    .addOption(format().default('text'))
    .action(
      async (
        scenario: string,
        opts: { teams: number; secret?: string; exercise: string; pool?: string; format: 'text' | 'json' },
      ) => {
        const { planCommand } = await import('./plan-command.ts');
        setExit(await planCommand(scenario, opts, io));
      },
    );

  niceCommand(program, io, setExit);

  program
    .command('usage')
    .description(
      'material use for a period: materials launched with real teams (utilisation), launches, teams, trainee-hours',
    )
    .requiredOption('--from <date>', 'first day (YYYY-MM-DD, platform time zone) or an ISO date-time')
    .requiredOption('--to <date>', 'last day, included (YYYY-MM-DD) or an ISO date-time (excluded)')
    .option('--org <id>', 'one organisation (default: platform-wide)')
    .addOption(format().choices(['text', 'json', 'csv']))
    .action(async (opts: { from: string; to: string; org?: string; format: 'text' | 'json' | 'csv' }) => {
      const { usageCommand } = await import('./analytics-command.ts');
      setExit(await usageCommand(opts, io));
    });
  exerciseCommand(program, io, setExit);
  imagesCommand(program, io, setExit);
  adminCommands(program, io, setExit);
  billingCommand(program, io, setExit);
  clusterCommand(program, io, setExit);
  courseCommands(program, io, setExit);

  program
    .command('serve')
    .description('start the platform server and print its URL')
    .option('--port <port>', 'TCP port (default from CYROP_PORT, else 8420)', parsePort)
    .option('--host <address>', 'address to bind (default 127.0.0.1)')
    .action(async (opts: { port?: number; host?: string }) => {
      const { serveCommand } = await import('./serve-command.ts');
      await serveCommand(opts, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.failed;
    }
    if (isCyropError(error)) {
      io.err(`cyrop: ${error.message}\n`);
      return EXIT.failed;
    }
    io.err(`cyrop: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.CYROP_DEBUG && error instanceof Error) io.err(`${error.stack ?? ''}\n`);
    return EXIT.failed;
  }
  return exitCode;
}

function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new InvalidArgumentError(`'${text}' is not a positive whole number`);
  return Number(text);
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new InvalidArgumentError(`'${text}' is not a TCP port`);
  return Number(text);
}
