import type SQLite from 'better-sqlite3';
import { parseScoringEvent, type ScoringEvent, type ScoringEventDraft } from '../scoring/scoring-events.ts';

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

  /** The exercise's log in order, checked event by event. */
  *events(exerciseId: string): Generator<ScoringEvent> {
    for (const row of this.selectEvents.raw(true).iterate(exerciseId) as Iterable<[number, string]>) {
      const payload = JSON.parse(row[1]) as Record<string, unknown>;
      payload['seq'] = row[0];
      yield parseScoringEvent(payload);
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
