/**
 * Abuse benchmark (prints JSON; no assertions):
 *   node --import tsx tests/bench/abuse/run.ts [--seconds=15] [--idle=10] [--only=input-flood,lying-acks]
 * Starts the platform (a child process, `--expose-gc`) with a one-team exercise, measures the idle
 * baseline (`/healthz` latency p50/p99, RSS after a full GC), then runs each attack of `ATTACKS`
 * (abuse-kit.ts: the input flood of issue 10 row H1, the lying-acks client of row M1, the YAML alias
 * bomb of H2, the password flood of M3/M4, the answer loop of M6, a root process flooding the container
 * log; add new ones there) for `--seconds`, each against the same baseline: health latency and peak RSS during the
 * attack, RSS once the attacker is gone, as figures and as ratios to the idle baseline of this run.
 * Progress goes to stderr, the JSON to stdout. The yaml-bomb leaves the scenario compiler's worker threads
 * (up to 2, released after 60 s idle) in RSS, so `afterMiB` from then on includes them.
 */
import os from 'node:os';
import { ATTACKS, idle, startAbusePlatform, type AbusePlatform, type ProbeResult } from './abuse-kit.ts';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const SECONDS = Number(arg('seconds', '15'));
const IDLE_S = Number(arg('idle', '10'));
const ONLY = new Set(arg('only', '').split(',').filter(Boolean));
const SUBNET_POOL = '10.250.128.0/17'; // its own half of the abuse pool: the engine test uses the other
const MiB = 1024 * 1024;

const log = (message: string) => process.stderr.write(`[bench:abuse] ${message}\n`);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const ratio = (x: number, base: number) => (base > 0 ? round(x / base) : null);

let platform: AbusePlatform | undefined;
try {
  log('starting the platform');
  platform = await startAbusePlatform({ subnetPool: SUBNET_POOL, log });
  // warm up: one terminal opened, used and closed, so that the baseline has every module loaded
  const warm = await platform.connect(await platform.join('warm-up'));
  const warmId = (await warm.openOk({ host: 'console', cols: 80, rows: 24 })).terminal.terminalId;
  await warm.run(warmId, 'echo WARM$((1+1))', /WARM2/);
  await warm.close(warmId);
  warm.disconnect();
  const rssIdle = await platform.settledRss();
  log(`idle baseline for ${IDLE_S} s`);
  const idleProbe: ProbeResult = await idle(platform, IDLE_S * 1000);
  const results = [];
  for (const attack of ATTACKS) {
    if (ONLY.size && !ONLY.has(attack.name)) continue;
    log(`${attack.name} (${attack.row}) for ${SECONDS} s`);
    const outcome = await attack.run(platform, SECONDS);
    results.push({
      name: attack.name,
      row: attack.row,
      describe: attack.describe,
      seconds: SECONDS,
      health: {
        p50Ms: outcome.during.healthP50Ms,
        p99Ms: outcome.during.healthP99Ms,
        maxMs: outcome.during.healthMaxMs,
        samples: outcome.during.healthSamples,
        failures: outcome.during.healthFailures,
      },
      rss: {
        maxDuringMiB: round(outcome.during.rssMaxBytes / MiB),
        afterMiB: round(outcome.rssAfterBytes / MiB),
        overIdleDuringMiB: round((outcome.during.rssMaxBytes - rssIdle) / MiB),
        overIdleAfterMiB: round((outcome.rssAfterBytes - rssIdle) / MiB),
      },
      ratios: {
        healthP50: ratio(outcome.during.healthP50Ms, idleProbe.healthP50Ms),
        healthP99: ratio(outcome.during.healthP99Ms, idleProbe.healthP99Ms),
        rssDuring: ratio(outcome.during.rssMaxBytes, rssIdle),
        rssAfter: ratio(outcome.rssAfterBytes, rssIdle),
      },
      details: outcome.details,
    });
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: { cpus: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}` },
        idle: {
          seconds: IDLE_S,
          health: {
            p50Ms: idleProbe.healthP50Ms,
            p99Ms: idleProbe.healthP99Ms,
            maxMs: idleProbe.healthMaxMs,
            samples: idleProbe.healthSamples,
          },
          rssMiB: round(rssIdle / MiB),
          rssMaxMiB: round(idleProbe.rssMaxBytes / MiB),
        },
        attacks: results,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await platform?.stop();
}
