/**
 * Scoring benchmark: prints one JSON document.
 *   node --import tsx orchestrator/src/scoring/bench-scoring.ts [--events=1000000] [--teams=1000] [--objectives=50]
 *
 * - rebuildReferenceSet: the same for the note's reference set (G4), 200 wrong attempts per team;
 * - rebuild: replay of a synthetic log (40 % of team × objective pairs solved, the rest wrong
 *   submissions, some hints and awards) into a fresh projection, dynamic parabolic scoring (every
 *   solve re-values all earlier solvers), median of 3 runs;
 * - update: `apply` of one scoring event on the full board (re-value, re-sort, delta);
 * - read: `board('public')` right after each update, and JSON serialisation of the 1 000 rows;
 * - batch: 100 scoring events applied in bulk, then one sort and materialisation of the board;
 * - decide: `decideSubmission` for a wrong answer (hashing, rate limit, constant-time compare).
 * - reference: the same run's least work (a one-pass sum of the log; a plain sort of 1,000 rows),
 *   and `ratios` against it: wall-clock numbers vary by machine, ratios less.
 * No assertions: figures for a report.
 */
import os from 'node:os';
import { ScoreboardProjection } from '../../../orchestrator/src/scoring/scoreboard-projection.ts';
import { decideSubmission } from '../../../orchestrator/src/scoring/scoring-decisions.ts';
import type { ScoringEvent } from '../../../orchestrator/src/scoring/scoring-events.ts';
import {
  manyObjectives,
  SeededRandom,
  syntheticEventStream,
  testExercise,
} from '../../../orchestrator/src/scoring/scoring-test-data.ts';

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
}

const EVENTS = arg('events', 1_000_000);
const TEAMS = arg('teams', 1000);
const OBJECTIVES = arg('objectives', 50);
const SAMPLES = 5000;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (ms: number): number => Math.round(ms * 1e4) / 1e4;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

const exercise = testExercise({
  teams: TEAMS,
  objectives: manyObjectives(OBJECTIVES),
  scoring: {
    model: 'dynamic',
    dynamic: { initial: 500, minimum: 100, decay: 200, function: 'parabolic' },
    firstBloodBonusPercent: 10,
  },
  wrongSubmissionsPerMinute: 10,
});

const started = nowMs();
const events = syntheticEventStream(exercise, { seed: 1, events: EVENTS });
const generateMs = nowMs() - started;
const counts: Record<string, number> = {};
for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;

/** Median of 3 rebuilds: wall and CPU (user + system) milliseconds. */
function timeRebuilds(log: readonly ScoringEvent[]): {
  wall: number[];
  cpu: number[];
  last: ScoreboardProjection;
} {
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = new ScoreboardProjection(exercise);
  for (let run = 0; run < 3; run++) {
    const cpuBefore = process.cpuUsage();
    const t = nowMs();
    last = ScoreboardProjection.rebuild(exercise, log);
    wall.push(nowMs() - t);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu, last };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// the note's reference set (anchors-scoring.md (e), goal G4): 40 % solved, 200 wrong attempts per team
const referenceEvents = syntheticEventStream(exercise, {
  seed: 3,
  events: Math.round(TEAMS * (200 + OBJECTIVES * 0.4)),
});
const reference = timeRebuilds(referenceEvents);

const heapBefore = process.memoryUsage().heapUsed;
const rebuilt = timeRebuilds(events);
const projection = rebuilt.last;
const heapAfter = process.memoryUsage().heapUsed;
const rebuildMs = median(rebuilt.wall);

// updates and reads on the full board
const random = new SeededRandom(2);
const teams = exercise.teams.map((t) => t.id);
let seq = projection.lastSeq;
let at = (events.at(-1)?.at ?? 0) + 1;
const updateSamples: number[] = [];
const readSamples: number[] = [];
const jsonSamples: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  at += 10;
  const teamId = random.pick(teams);
  let event: ScoringEvent = {
    type: 'award',
    seq: ++seq,
    at,
    teamId,
    points: random.int(21) - 10 || 1,
    reason: 'bench',
  };
  const objective = random.pick(exercise.objectives);
  if (i % 2 === 0 && !projection.isSolved(teamId, objective.id))
    event = { type: 'solve', seq, at, teamId, objectiveId: objective.id, via: 'flag' };
  let t = nowMs();
  projection.apply(event);
  updateSamples.push(nowMs() - t);
  t = nowMs();
  const board = projection.board('public');
  readSamples.push(nowMs() - t);
  if (board.length !== TEAMS) throw new Error('board size');
  if (i % 10 === 0) {
    t = nowMs();
    JSON.stringify(board);
    jsonSamples.push(nowMs() - t);
  }
}

// batches: 100 scoring events applied in bulk (no deltas), then one re-sort and materialisation
const batchSamples: number[] = [];
for (let i = 0; i < 300; i++) {
  const batch: ScoringEvent[] = [];
  for (let j = 0; j < 100; j++) {
    at += 10;
    batch.push({
      type: 'award',
      seq: ++seq,
      at,
      teamId: random.pick(teams),
      points: random.int(40) - 20 || 1,
      reason: 'bench',
    });
  }
  const t = nowMs();
  projection.applyAll(batch);
  projection.board('live');
  batchSamples.push(nowMs() - t);
}

// same-run references (this machine is noisy): the least any scoreboard does. Rebuild: one pass
// summing each team's solve/award points in a Map (no scoring rules, no ranking); update: one plain
// sort of the 1,000 rows by points, then time, then id, with numeric/string compares.
const foldRuns: number[] = [];
for (let run = 0; run < 3; run++) {
  const t = nowMs();
  const totals = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'award') totals.set(e.teamId, (totals.get(e.teamId) ?? 0) + e.points);
    else if (e.type === 'solve') totals.set(e.teamId, (totals.get(e.teamId) ?? 0) + 100);
  }
  foldRuns.push(nowMs() - t);
  if (totals.size === 0) throw new Error('no points in the log');
}
const rows = teams.map((id, i) => ({ id, points: (i * 7919) % 5000, lastAt: (i * 104729) % 100_000 }));
const sortSamples: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const row = rows[i % rows.length]!;
  row.points += 1;
  const t = nowMs();
  rows.sort((a, b) => b.points - a.points || a.lastAt - b.lastAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  sortSamples.push(nowMs() - t);
}

// decisions: a wrong answer, end to end through the pure core
projection.apply({ type: 'exercise-started', seq: seq + 1, at });
const decideStarted = nowMs();
let decisions = 0;
for (; decisions < 20_000; decisions++) {
  const teamId = teams[decisions % teams.length] ?? '';
  decideSubmission(projection, { teamId, objectiveId: 'o001', text: `guess-${decisions}` }, at + decisions);
}
const decideMs = nowMs() - decideStarted;

console.log(
  JSON.stringify(
    {
      machine: { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length },
      dataset: {
        teams: TEAMS,
        objectives: OBJECTIVES,
        events: events.length,
        byType: counts,
        generateMs: Math.round(generateMs),
      },
      rebuild: {
        medianMs: Math.round(rebuildMs),
        medianCpuMs: Math.round(median(rebuilt.cpu)),
        runsMs: rebuilt.wall.map(Math.round),
        eventsPerSecond: Math.round(events.length / (rebuildMs / 1000)),
        heapMiB: Math.round((heapAfter - heapBefore) / 1048576),
      },
      rebuildReferenceSet: {
        events: referenceEvents.length,
        medianMs: Math.round(median(reference.wall)),
        medianCpuMs: Math.round(median(reference.cpu)),
      },
      update: { samples: SAMPLES, ms: percentiles(updateSamples) },
      reference: {
        onePassSumMs: Math.round(median(foldRuns)),
        plainSortOf1000Rows: { samples: SAMPLES, ms: percentiles(sortSamples) },
      },
      ratios: {
        rebuildVsOnePassSum: Math.round((rebuildMs / Math.max(median(foldRuns), 0.001)) * 10) / 10,
        updateP50VsPlainSortP50:
          Math.round(
            (percentiles(updateSamples).p50 / Math.max(percentiles(sortSamples).p50, 0.0001)) * 100,
          ) / 100,
        batchOf100P50VsPlainSortP50:
          Math.round((percentiles(batchSamples).p50 / Math.max(percentiles(sortSamples).p50, 0.0001)) * 100) /
          100,
      },
      boardRead: { samples: SAMPLES, ms: percentiles(readSamples) },
      boardJson: { samples: jsonSamples.length, ms: percentiles(jsonSamples) },
      batchOf100Updates: { samples: batchSamples.length, ms: percentiles(batchSamples) },
      decideWrongSubmission: { perSecond: Math.round(decisions / (decideMs / 1000)) },
    },
    null,
    2,
  ),
);
