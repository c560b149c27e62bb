import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import { CyropError } from '../errors.ts';
import { migrations } from './migrations.ts';
import type { DatabaseSchema } from './schema.ts';

export type Db = Kysely<DatabaseSchema>;

export interface OpenedDatabase {
  db: Db;
  /** The underlying connection, for the few things Kysely does not do (pragmas, backups). */
  sqlite: SQLite.Database;
  close(): Promise<void>;
}

/**
 * The embedded store: one SQLite file in the data directory, WAL journal, synchronous=FULL (scores
 * and money must survive a power cut once acknowledged), foreign keys on, migrations applied once
 * at open. Backups: copy `cyrop.db` with the server stopped, or use `sqlite3 cyrop.db ".backup F"`.
 */
export async function openDatabase(dataDir: string, file = 'cyrop.db'): Promise<OpenedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const location = file === ':memory:' ? file : path.join(dataDir, file);
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(location);
  } catch (error) {
    throw new CyropError('IO_ERROR', `cannot open the database ${location}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(migrations),
  };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    await db.destroy();
    throw new CyropError(
      'IO_ERROR',
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { db, sqlite, close: () => db.destroy() };
}
