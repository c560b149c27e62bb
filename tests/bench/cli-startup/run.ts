/**
 * CLI start-up benchmark (issue 12): whole processes, `node -e 0` as the reference measured in the
 * same run, then `cyrop --help` and `cyrop validate scenarios`, each from the compiled build
 * (orchestrator/dist/, built first if not current) and from the sources through tsx
 * (CYROP_RUN_SOURCES=1). Runs are interleaved (one of each per round) so that a change of load hits
 * all alike. Prints one JSON document: medians, ratios to `node -e 0`, and whether the
 * bars hold (`--help` ≤ 0.3 s, `validate scenarios` ≤ 0.6 s, wall clock). The bars are for an idle
 * 2-core machine: `loadAverage` says how idle this one was.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBuild } from '../../../orchestrator/bin/build-stamp.js';
import { buildOrchestrator } from '../../../orchestrator/build.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CYROP = path.join(REPO, 'orchestrator/bin/cyrop.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const BARS = { help: 0.3, validate: 0.6 };

interface Case {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const cases: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'cyrop --help (compiled)', args: [CYROP, '--help'] },
  { name: 'cyrop validate scenarios (compiled)', args: [CYROP, 'validate', 'scenarios'] },
  { name: 'cyrop --help (tsx)', args: [CYROP, '--help'], env: { CYROP_RUN_SOURCES: '1' } },
  {
    name: 'cyrop validate scenarios (tsx)',
    args: [CYROP, 'validate', 'scenarios'],
    env: { CYROP_RUN_SOURCES: '1' },
  },
];

/** One run: wall-clock seconds from spawn to exit. */
function once(c: Case): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, CYROP_LOG_LEVEL: 'silent', ...c.env },
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr}`);
  return wall;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  let built = false;
  if (checkBuild().state !== 'current') {
    await buildOrchestrator();
    built = true;
  }
  const loadBefore = os.loadavg();
  const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (const c of cases) once(c); // warm-up: disk cache, tsx's transform cache
  for (let round = 0; round < RUNS; round++) for (const c of cases) wall.get(c.name)!.push(once(c));
  const loadAfter = os.loadavg();

  const medians = Object.fromEntries(cases.map((c) => [c.name, median(wall.get(c.name)!)]));
  const reference = medians['node -e 0']!;
  const help = medians['cyrop --help (compiled)']!;
  const validate = medians['cyrop validate scenarios (compiled)']!;
  process.stdout.write(
    JSON.stringify(
      {
        benchmark: 'cli-startup',
        node: process.version,
        cpus: os.cpus().length,
        runs: RUNS,
        builtFirst: built,
        loadAverage: { before: loadBefore.map((x) => round(x, 2)), after: loadAfter.map((x) => round(x, 2)) },
        note: 'wall-clock medians of whole processes; the machine may be shared, so compare ratios to node -e 0 of the same run',
        medianSeconds: Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, round(v)])),
        ratioToNodeE0: Object.fromEntries(
          Object.entries(medians).map(([k, v]) => [k, round(v / reference, 2)]),
        ),
        compiledSpeedup: {
          help: round(medians['cyrop --help (tsx)']! / help, 2),
          validate: round(medians['cyrop validate scenarios (tsx)']! / validate, 2),
        },
        bars: {
          helpSeconds: BARS.help,
          validateSeconds: BARS.validate,
          helpHolds: help <= BARS.help,
          validateHolds: validate <= BARS.validate,
        },
      },
      null,
      2,
    ) + '\n',
  );
}

await main();
