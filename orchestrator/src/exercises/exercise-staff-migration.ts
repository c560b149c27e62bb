import type { Kysely, Migration } from 'kysely';

/**
 * Who an exercise's staff are: `exercises.created_by` (the account that launched it; null for
 * exercises launched before this migration, by the CLI or by the platform) and `exercise_staff`
 * (instructors assigned to an exercise besides its launcher). An instructor's class is the
 * exercises they launched or are assigned to; org-admins see their whole organisation.
 */
export const exerciseStaffMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('exercises').addColumn('created_by', 'text').execute();
    await db.schema
      .createTable('exercise_staff')
      .addColumn('exercise_id', 'text', (c) => c.notNull().references('exercises.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('assigned_at', 'integer', (c) => c.notNull())
      .addColumn('assigned_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('exercise_staff_pk', ['exercise_id', 'user_id'])
      .execute();
    await db.schema.createIndex('exercise_staff_user').on('exercise_staff').column('user_id').execute();
    await db.schema.createIndex('exercises_created_by').on('exercises').column('created_by').execute();
  },
};
