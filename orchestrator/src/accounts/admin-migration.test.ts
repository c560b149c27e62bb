import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import { openDatabase } from '../store/database.ts';
import { migrations } from '../store/migrations.ts';
import type { DatabaseSchema } from '../store/schema.ts';
import { AccountService } from './account-service.ts';
import { hashPassword } from './password-hash.ts';

describe('migration 0007-administration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-admin-migration-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the organisations and users of a data directory made before it: enabled, details empty', async () => {
    // a database as the previous release left it
    const db = new Kysely<DatabaseSchema>({
      dialect: new SqliteDialect({ database: new SQLite(path.join(dir, 'cyrop.db')) }),
    });
    const { error } = await new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(migrations) },
    }).migrateTo('0005-scenario-ownership');
    expect(error).to.equal(undefined);
    await sql`insert into organisations (id, name, kind, created_at) values ('op', 'Operator', 'operator', 1), ('acme', 'Acme', 'customer', 2)`.execute(
      db,
    );
    await sql`insert into users (id, org_id, email, name, role, password_hash, created_at) values ('u1', 'acme', 'a@acme.example', 'A', 'org-admin', ${await hashPassword('a password of old', 10)}, 3)`.execute(
      db,
    );
    await db.destroy();

    const reopened = await openDatabase(dir);
    try {
      const after = new AccountService({ db: reopened.db, passwordCost: 10 });
      const orgs = await after.listOrganisations();
      expect(orgs.map((o) => o.id)).to.deep.equal(['op', 'acme']);
      expect(orgs[1]).to.deep.include({
        kind: 'customer',
        category: null,
        contactEmail: null,
        invoiceRegistrationNumber: null,
        disabled: false,
        disabledAt: null,
      });
      const grant = await after.login('a@acme.example', 'a password of old');
      expect(grant.principal).to.deep.include({ userId: 'u1', role: 'org-admin' });
      expect((await after.getUser('u1'))?.preferredLanguage).to.equal(null);
    } finally {
      await reopened.close();
    }
  });
});
