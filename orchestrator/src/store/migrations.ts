import { sql, type Kysely, type Migration } from 'kysely';
import { accountsMigration } from '../accounts/accounts-migration.ts';
import { rostersMigration } from '../accounts/rosters-migration.ts';
import { adminMigration } from '../accounts/admin-migration.ts';
import { scenariosMigration } from '../scenarios/scenarios-migration.ts';
import { scoringMigration } from '../scoring-service/scoring-migration.ts';
import { terminalsMigration } from '../terminals/terminals-migration.ts';
import { helpRequestsMigration } from '../help-requests/help-requests-migration.ts';
import { billingMigration } from '../billing/billing-migration.ts';
import { coursesMigration } from '../courses/courses-migration.ts';
import { exerciseStaffMigration } from '../exercises/exercise-staff-migration.ts';

/** Versioned schema migrations, applied in name order, each once. Never edit a released one: add the next. */
export const migrations: Record<string, Migration> = {
  '0001-exercises': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('exercises')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('scenario_id', 'text', (c) => c.notNull())
        .addColumn('scenario_version', 'text', (c) => c.notNull())
        .addColumn('scenario_hash', 'text', (c) => c.notNull())
        .addColumn('scenario_path', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('created','launching','running','tearing-down','ended')`),
        )
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'integer')
        .execute();
      await db.schema
        .createTable('exercise_teams')
        .addColumn('exercise_id', 'text', (c) => c.notNull().references('exercises.id').onDelete('cascade'))
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('team_name', 'text', (c) => c.notNull())
        .addColumn('team_index', 'integer', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('plan_hash', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c
            .notNull()
            .check(sql`state in ('pending','provisioning','ready','failed','resetting','destroyed')`),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('exercise_teams_pk', ['exercise_id', 'team_id'])
        .execute();
      await db.schema.createIndex('exercises_state').on('exercises').column('state').execute();
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      // Engine objects carry this id, so that garbage collection only ever touches this installation's.
      await sql`insert into meta (key, value) values ('installation', lower(hex(randomblob(8))))`.execute(db);
    },
  },
  '0002-accounts': accountsMigration,
  '0003-scoring': scoringMigration,
  '0004-terminals': terminalsMigration,
  '0005-scenario-ownership': scenariosMigration,
  '0006-rosters': rostersMigration,
  '0007-administration': adminMigration,
  '0008-org-quotas': {
    async up(db: Kysely<unknown>) {
      // A table of its own (not columns of organisations): one row per organisation the operator set
      // quotas for; a null column means the platform default from configuration.
      await db.schema
        .createTable('org_quotas')
        .addColumn('org_id', 'text', (c) => c.primaryKey())
        .addColumn('max_exercises', 'integer')
        .addColumn('max_teams', 'integer')
        .addColumn('max_hosts', 'integer')
        .addColumn('max_cpu', 'real')
        .addColumn('max_memory_bytes', 'integer')
        .addColumn('max_disk_bytes', 'integer')
        .addColumn('default_ttl_ms', 'integer')
        .addColumn('max_ttl_ms', 'integer')
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0009-bound-addresses': {
    async up(db: Kysely<unknown>) {
      // The addresses an engine that assigns them (Kubernetes) gave a team's hosts (JSON, by host and
      // network); null on an engine that honours the planned ones.
      await db.schema.alterTable('exercise_teams').addColumn('addresses', 'text').execute();
    },
  },
  '0010-help-requests': helpRequestsMigration,
  '0011-billing': billingMigration,
  '0012-courses': coursesMigration,
  '0013-exercise-staff': exerciseStaffMigration,
};
