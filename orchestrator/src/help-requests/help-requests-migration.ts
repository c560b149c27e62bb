import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Help requests: a trainee asks the instructors of their exercise for help (optionally about one
 * objective and one host). At most one unresolved request per team, enforced by a partial unique
 * index (the last guard behind the service's own check).
 */
export const helpRequestsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('help_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('exercise_id', 'text', (c) => c.notNull().references('exercises.id').onDelete('cascade'))
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('objective_id', 'text')
      .addColumn('host', 'text')
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open','acknowledged','resolved')`))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('acknowledged_at', 'integer')
      .addColumn('acknowledged_by', 'text')
      .addColumn('resolved_at', 'integer')
      .addColumn('resolved_by', 'text')
      .execute();
    await db.schema
      .createIndex('help_requests_exercise')
      .on('help_requests')
      .columns(['exercise_id', 'created_at'])
      .execute();
    await sql`create unique index help_requests_one_unresolved_per_team on help_requests (exercise_id, team_id) where state <> 'resolved'`.execute(
      db,
    );
  },
};
