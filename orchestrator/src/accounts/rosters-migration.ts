import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Known trainees: invitations to an organisation (a link that creates the account), the members of
 * each exercise's teams (from a roster or from joining), a cap on members per team, and join codes
 * that can be listed (by a public id, never by the code) and revoked.
 */
export const rostersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('invitations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // sha256 (hex) of the token in the link: a leaked table lets nobody in.
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('email', 'text', (c) => c.notNull().modifyEnd(sql`collate nocase`))
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('org-admin','instructor','trainee')`))
      .addColumn('name', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .addColumn('accepted_at', 'integer')
      .addColumn('revoked_at', 'integer')
      .addColumn('user_id', 'text', (c) => c.references('users.id'))
      .execute();
    await db.schema.createIndex('invitations_org').on('invitations').column('org_id').execute();
    await db.schema
      .createTable('exercise_members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('exercise_id', 'text', (c) => c.notNull().references('exercises.id').onDelete('cascade'))
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.modifyEnd(sql`collate nocase`))
      .addColumn('user_id', 'text', (c) => c.references('users.id'))
      .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('roster','join')`))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('exercise_members_team')
      .on('exercise_members')
      .columns(['exercise_id', 'team_id'])
      .execute();
    // One person is on one team of an exercise.
    await sql`create unique index exercise_members_user on exercise_members (exercise_id, user_id) where user_id is not null`.execute(
      db,
    );
    await sql`create unique index exercise_members_email on exercise_members (exercise_id, email) where email is not null`.execute(
      db,
    );
    await db.schema.alterTable('exercises').addColumn('max_members_per_team', 'integer').execute();
    await db.schema.alterTable('join_codes').addColumn('id', 'text').execute();
    await sql`update join_codes set id = lower(hex(randomblob(8)))`.execute(db);
    await sql`create unique index join_codes_id on join_codes (id)`.execute(db);
    await db.schema.alterTable('join_codes').addColumn('label', 'text').execute();
    await db.schema.alterTable('join_codes').addColumn('revoked_at', 'integer').execute();
  },
};
