import type SQLite from 'better-sqlite3';
import {
  parseScoringEvent,
  storedScoringEvent,
  type ScoringEvent,
  type ScoringEventDraft,
} from '../scoring/scoring-events.ts';

/** Rows read per statement by `events` (one string of `seq,payload` pairs, parsed at once). */
const READ_BATCH = 4096;

/**
 * The scoring event log in SQLite, through prepared statements on the raw better-sqlite3 handle
 * (the hot path). `appendBatch` writes every event of a batch — and the `solves` / `hint_unlocks`
 * rows they imply — in ONE transaction; the unique indexes refuse a second solve or unlock.
 * With synchronous=FULL (set by `openDatabase`) a returned batch is on disk.
 */
export class ScoringStore {
  private readonly insertEvent: SQLite.Statement;
  private readonly insertSolve: SQLite.Statement;
  private readonly insertHint: SQLite.Statement;
  private readonly selectEvents: SQLite.Statement;
  private readonly selectEventBatch: SQLite.Statement;

  constructor(readonly sqlite: SQLite.Database) {
    this.insertEvent = sqlite.prepare(
      'insert into scoring_events (exercise_id, team_id, type, at, payload) values (?, ?, ?, ?, ?)',
    );
    this.insertSolve = sqlite.prepare(
      'insert into solves (exercise_id, team_id, objective_id, seq, at) values (?, ?, ?, ?, ?)',
    );
    this.insertHint = sqlite.prepare(
      'insert into hint_unlocks (exercise_id, team_id, objective_id, hint_id, seq, at) values (?, ?, ?, ?, ?, ?)',
    );
    this.selectEvents = sqlite.prepare(
      'select seq, payload from scoring_events where exercise_id = ? order by seq',
    );
    // SQLite joins a batch of rows into one JSON array body ([seq, payload, seq, payload, …]): one
    // call and one JSON.parse per batch instead of one per row
    this.selectEventBatch = sqlite
      .prepare(
        "select group_concat(seq || ',' || payload, ',' order by seq) from " +
          '(select seq, payload from scoring_events where exercise_id = ? and seq > ? order by seq limit ?)',
      )
      .pluck();
  }

  /**
   * Appends one event (inside a transaction opened by the caller) and returns it numbered.
   * Throws (SQLITE_CONSTRAINT_UNIQUE) for a second solve or hint unlock.
   */
  append(exerciseId: string, draft: ScoringEventDraft): ScoringEvent {
    const teamId = 'teamId' in draft ? draft.teamId : null;
    const info = this.insertEvent.run(exerciseId, teamId, draft.type, draft.at, JSON.stringify(draft));
    const seq = Number(info.lastInsertRowid);
    const event: ScoringEvent = { ...draft, seq };
    if (event.type === 'solve')
      this.insertSolve.run(exerciseId, event.teamId, event.objectiveId, seq, event.at);
    else if (event.type === 'hint-unlock')
      this.insertHint.run(exerciseId, event.teamId, event.objectiveId, event.hintId, seq, event.at);
    return event;
  }

  /** Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT); rolls back if it throws. */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  /**
   * The exercise's log in order. By default every event is checked in full (`parseScoringEvent`:
   * audits, anything not known to come from this service). `trusted: true` is the rebuild's fast
   * path for the log this service wrote: rows are read in batches and each event's shape is checked
   * in place, falling back to the full check when anything looks unusual (`storedScoringEvent`).
   */
  *events(exerciseId: string, options: { trusted?: boolean } = {}): Generator<ScoringEvent> {
    if (!options.trusted) {
      for (const row of this.selectEvents.raw(true).iterate(exerciseId) as Iterable<[number, string]>) {
        const payload = JSON.parse(row[1]) as Record<string, unknown>;
        payload['seq'] = row[0];
        yield parseScoringEvent(payload);
      }
      return;
    }
    let after = 0;
    for (;;) {
      const joined = this.selectEventBatch.get(exerciseId, after, READ_BATCH) as string | null;
      if (joined === null) return;
      const pairs = JSON.parse(`[${joined}]`) as unknown[];
      for (let i = 0; i < pairs.length; i += 2) {
        const seq = pairs[i] as number;
        const payload = pairs[i + 1];
        if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
          yield parseScoringEvent(payload); // throws, naming the problem
          continue;
        }
        yield storedScoringEvent(payload as Record<string, unknown>, seq);
        after = seq;
      }
      if (pairs.length < 2 * READ_BATCH) return;
    }
  }

  /** Bulk load for benchmarks and imports: numbered by the store, in one transaction. */
  appendAll(exerciseId: string, drafts: Iterable<ScoringEventDraft>): number {
    let count = 0;
    this.transaction(() => {
      for (const draft of drafts) {
        this.append(exerciseId, draft);
        count++;
      }
    });
    return count;
  }

  /** Solve rows of an exercise (for audits and tests): team, objective, seq. */
  solves(exerciseId: string): { teamId: string; objectiveId: string; seq: number; at: number }[] {
    return this.sqlite
      .prepare(
        'select team_id as teamId, objective_id as objectiveId, seq, at from solves where exercise_id = ? order by seq',
      )
      .all(exerciseId) as { teamId: string; objectiveId: string; seq: number; at: number }[];
  }
}
