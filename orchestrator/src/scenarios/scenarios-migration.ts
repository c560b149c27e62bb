import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Scenario ownership: every uploaded scenario id belongs to one organisation (the primary key makes a
 * second owner impossible, whatever races), and every uploaded version records its content hash,
 * whether it is archived and whether it is published to every organisation. Uploads stored by an
 * earlier release have no rows yet: `ScenarioLibrary.adoptUnowned()` gives them to the operator at start.
 */
export const scenariosMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('scenario_ids')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('scenario_versions')
      .addColumn('scenario_id', 'text', (c) => c.notNull().references('scenario_ids.id'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('archived_at', 'integer')
      .addColumn('publication', 'text', (c) =>
        c
          .notNull()
          .defaultTo('private')
          .check(sql`publication in ('private','requested','published','rejected')`),
      )
      .addColumn('publication_at', 'integer')
      .addColumn('publication_by', 'text')
      .addColumn('publication_note', 'text')
      .addPrimaryKeyConstraint('scenario_versions_pk', ['scenario_id', 'version'])
      .execute();
    await db.schema.createIndex('scenario_versions_org').on('scenario_versions').column('org_id').execute();
    // A version belongs to the owner of its id: no row can say otherwise.
    await sql`create trigger scenario_versions_owner before insert on scenario_versions
      when new.org_id is not (select org_id from scenario_ids where id = new.scenario_id)
      begin select raise(abort, 'a scenario version must belong to the owner of its id'); end`.execute(db);
    // The content of a stored version never changes.
    await sql`create trigger scenario_versions_immutable before update of scenario_id, version, org_id, content_hash
      on scenario_versions begin select raise(abort, 'scenario versions are immutable'); end`.execute(db);
  },
};
