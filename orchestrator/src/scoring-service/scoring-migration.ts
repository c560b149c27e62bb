import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The scoring event log and the two tables whose unique indexes are the last guard of the rules:
 * one solve per team per objective, one unlock per team per hint. Rows of `solves` and
 * `hint_unlocks` are written in the same transaction as the event they come from.
 */
export const scoringMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('scoring_events')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('at', 'integer', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull().check(sql`json_valid(payload)`))
      .execute();
    await db.schema
      .createIndex('scoring_events_exercise')
      .on('scoring_events')
      .columns(['exercise_id', 'seq'])
      .execute();
    await db.schema
      .createTable('solves')
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('objective_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull().references('scoring_events.seq'))
      .addColumn('at', 'integer', (c) => c.notNull())
      .addUniqueConstraint('solves_once', ['exercise_id', 'team_id', 'objective_id'])
      .execute();
    await db.schema
      .createTable('hint_unlocks')
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('objective_id', 'text', (c) => c.notNull())
      .addColumn('hint_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull().references('scoring_events.seq'))
      .addColumn('at', 'integer', (c) => c.notNull())
      .addUniqueConstraint('hint_unlocks_once', ['exercise_id', 'team_id', 'objective_id', 'hint_id'])
      .execute();
  },
};
