import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Administration: an organisation's CYNEX member category (the categories of CYNEX's fee table),
 * contact and invoicing details, and whether it is disabled; a user's preferred console language.
 * Existing organisations keep every field empty (null) and stay enabled.
 */
export const adminMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('organisations')
      .addColumn('category', 'text', (c) =>
        c.check(
          sql`category is null or category in ('large-enterprise','sme','general-incorporated-association','npo','educational-institution','government','individual-expert')`,
        ),
      )
      .execute();
    for (const column of [
      'contact_name',
      'contact_email',
      'contact_phone',
      'postal_address',
      'invoice_registration_number',
    ])
      await db.schema.alterTable('organisations').addColumn(column, 'text').execute();
    await db.schema.alterTable('organisations').addColumn('disabled_at', 'integer').execute();
    await db.schema
      .alterTable('users')
      .addColumn('preferred_language', 'text', (c) =>
        c.check(sql`preferred_language is null or preferred_language in ('en','ja')`),
      )
      .execute();
  },
};
