import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Terminals: whether an exercise records keystrokes (`exercises.record_input`), and the index of
 * the asciicast recordings of its terminal sessions (the `.cast` files live in the data directory).
 */
export const terminalsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('exercises')
      .addColumn('record_input', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('terminal_recordings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('terminal_id', 'text', (c) => c.notNull())
      .addColumn('exercise_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('opened_by', 'text', (c) => c.notNull())
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('ended_at', 'integer')
      .addColumn('bytes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('truncated', 'integer', (c) =>
        c
          .notNull()
          .defaultTo(0)
          .check(sql`truncated in (0, 1)`),
      )
      .addColumn('includes_input', 'integer', (c) =>
        c
          .notNull()
          .defaultTo(0)
          .check(sql`includes_input in (0, 1)`),
      )
      .execute();
    await db.schema
      .createIndex('terminal_recordings_exercise')
      .on('terminal_recordings')
      .columns(['exercise_id', 'started_at'])
      .execute();
  },
};
