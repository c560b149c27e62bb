/**
 * The scoreboard as the pages keep it from `/scoring` pushes: a snapshot, then deltas whose rows and
 * objective statistics replace the ones with the same id. The one merge of the console (the exercise
 * page, the trainee page and the projector use it); pure, so it is unit-tested without a socket.
 */

interface Row {
  readonly teamId: string;
  readonly rank: number;
}

interface Stats {
  readonly objectiveId: string;
}

/**
 * The board after a delta: changed rows replace the team's row (new teams are added), ordered by
 * rank (a delta re-ranks every team it moved, so rows it does not carry keep their ranks).
 */
export function mergeRows<R extends Row>(rows: readonly R[], changed: readonly R[]): R[] {
  const byId = new Map(rows.map((r) => [r.teamId, r]));
  for (const row of changed) byId.set(row.teamId, row);
  return [...byId.values()].sort((a, b) => a.rank - b.rank);
}

/** Objective statistics after a delta: replaced in place by objective id, new ones appended. */
export function mergeStats<S extends Stats>(stats: readonly S[], changed: readonly S[]): S[] {
  const byId = new Map(stats.map((s) => [s.objectiveId, s]));
  for (const s of changed) byId.set(s.objectiveId, s);
  return [...byId.values()];
}

/** Whether a push numbered `seq` is newer than what the page shows (`current`), so to be applied. */
export function isNewer(seq: number, current: number): boolean {
  return seq > current;
}
