import { createHash, randomUUID } from 'node:crypto';
import type SQLite from 'better-sqlite3';
import { CyropError } from '../errors.ts';
import type { JournalTable } from '../store/schema.ts';
import { mustBeYen } from './money.ts';

export type JournalEntry = JournalTable;

/** What a caller appends; the ledger adds seq, id, time and the hash chain. */
export type NewJournalEntry = Omit<JournalEntry, 'seq' | 'id' | 'recorded_at' | 'prev_hash' | 'hash'> & {
  id?: string;
};

/** A search of the journal (what Japan's electronic bookkeeping rules ask: date, amount, counterparty). */
export interface JournalQuery {
  orgId?: string;
  kind?: JournalEntry['kind'];
  /** Inclusive `YYYY-MM-DD` bounds on the entry date. */
  from?: string;
  to?: string;
  minYen?: number;
  maxYen?: number;
  /** Part of the counterparty's name, case-insensitive. */
  counterparty?: string;
  invoiceNumber?: string;
  limit?: number;
  offset?: number;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  headHash: string;
  problems: { seq: number; id: string | null; problem: string }[];
}

export const GENESIS_HASH = '0'.repeat(64);
const HEAD_KEY = 'journal_head';

/**
 * The fields of an entry in a fixed order, JSON-encoded: the bytes its hash covers (with the previous
 * entry's hash, so an edit, a deletion or a reordering breaks every later link).
 */
export function canonicalEntry(e: Omit<JournalEntry, 'hash'>): string {
  return JSON.stringify([
    'cyrop-journal-v1',
    e.seq,
    e.id,
    e.recorded_at,
    e.entry_date,
    e.kind,
    e.org_id,
    e.counterparty,
    e.course,
    e.course_run,
    e.seats,
    e.unit_price_yen,
    e.amount_yen,
    e.reverses,
    e.invoice_number,
    e.memo,
    e.recorded_by,
    e.prev_hash,
  ]);
}

export function entryHash(e: Omit<JournalEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalEntry(e)).digest('hex');
}

/**
 * The billing journal on SQLite: appended in IMMEDIATE transactions (so two processes — the server
 * and a CLI — never fork the chain; `prev_hash` is also UNIQUE at the database), never updated or
 * deleted (triggers refuse it), each entry's sha256 chained to the previous. The head (last seq and
 * hash) is kept in `meta` in the same transaction, so that deleting the newest entries shows too.
 */
export class Ledger {
  private readonly sqlite: SQLite.Database;
  private readonly clock: () => number;
  private readonly insert: SQLite.Statement;
  private readonly last: SQLite.Statement;
  private readonly setHead: SQLite.Statement;

  constructor(sqlite: SQLite.Database, clock: () => number = Date.now) {
    this.sqlite = sqlite;
    this.clock = clock;
    this.insert = sqlite.prepare(
      `insert into journal (seq, id, recorded_at, entry_date, kind, org_id, counterparty, course, course_run, seats,
         unit_price_yen, amount_yen, reverses, invoice_number, memo, recorded_by, prev_hash, hash)
       values (@seq, @id, @recorded_at, @entry_date, @kind, @org_id, @counterparty, @course, @course_run, @seats,
         @unit_price_yen, @amount_yen, @reverses, @invoice_number, @memo, @recorded_by, @prev_hash, @hash)`,
    );
    this.last = sqlite.prepare('select seq, hash from journal order by seq desc limit 1');
    this.setHead = sqlite.prepare(
      `insert into meta (key, value) values ('${HEAD_KEY}', ?) on conflict (key) do update set value = excluded.value`,
    );
  }

  /**
   * Append entries, chained, all or none. `within` runs in the same transaction after the inserts
   * (the caller's audit row, an invoice row): if it throws, nothing is written.
   */
  append(entries: readonly NewJournalEntry[], within?: (written: JournalEntry[]) => void): JournalEntry[] {
    const run = this.sqlite.transaction(() => {
      const head = this.last.get() as { seq: number; hash: string } | undefined;
      let seq = head?.seq ?? 0;
      let prev = head?.hash ?? GENESIS_HASH;
      const now = this.clock();
      const written: JournalEntry[] = [];
      for (const entry of entries) {
        mustBeYen(entry.amount_yen, 'amount_yen');
        seq += 1;
        const row: Omit<JournalEntry, 'hash'> = {
          seq,
          id: entry.id ?? randomUUID(),
          recorded_at: now,
          entry_date: entry.entry_date,
          kind: entry.kind,
          org_id: entry.org_id,
          counterparty: entry.counterparty,
          course: entry.course,
          course_run: entry.course_run,
          seats: entry.seats,
          unit_price_yen: entry.unit_price_yen,
          amount_yen: entry.amount_yen,
          reverses: entry.reverses,
          invoice_number: entry.invoice_number,
          memo: entry.memo,
          recorded_by: entry.recorded_by,
          prev_hash: prev,
        };
        const full = { ...row, hash: entryHash(row) };
        this.insert.run(full);
        written.push(full);
        prev = full.hash;
      }
      if (written.length > 0) this.setHead.run(`${seq}:${prev}`);
      within?.(written);
      return written;
    });
    return run.immediate();
  }

  /** Run `fn` in an IMMEDIATE transaction (for checks that must see what the append will see). */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  get(id: string): JournalEntry | undefined {
    return this.sqlite.prepare('select * from journal where id = ?').get(id) as JournalEntry | undefined;
  }

  /** The entry that reverses `id`, if any. */
  reversalOf(id: string): JournalEntry | undefined {
    return this.sqlite.prepare('select * from journal where reverses = ?').get(id) as
      JournalEntry | undefined;
  }

  search(q: JournalQuery): { entries: JournalEntry[]; total: number } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, value: string | number) => {
      where.push(clause);
      args.push(value);
    };
    if (q.orgId !== undefined) add('org_id = ?', q.orgId);
    if (q.kind !== undefined) add('kind = ?', q.kind);
    if (q.from !== undefined) add('entry_date >= ?', q.from);
    if (q.to !== undefined) add('entry_date <= ?', q.to);
    if (q.minYen !== undefined) add('amount_yen >= ?', q.minYen);
    if (q.maxYen !== undefined) add('amount_yen <= ?', q.maxYen);
    if (q.counterparty !== undefined)
      add("counterparty like ? escape '\\' collate nocase", `%${q.counterparty.replace(/[\\%_]/g, '\\$&')}%`);
    if (q.invoiceNumber !== undefined) add('invoice_number = ?', q.invoiceNumber);
    const filter = where.length ? `where ${where.join(' and ')}` : '';
    const total = (
      this.sqlite.prepare(`select count(*) as n from journal ${filter}`).get(...args) as { n: number }
    ).n;
    const entries = this.sqlite
      .prepare(`select * from journal ${filter} order by entry_date, seq limit ? offset ?`)
      .all(...args, q.limit ?? 1000, q.offset ?? 0) as JournalEntry[];
    return { entries, total };
  }

  /** Every sale and reversal of a sale of `orgId` dated in [from, to], in date order. */
  salesBetween(orgId: string, from: string, to: string): JournalEntry[] {
    return this.sqlite
      .prepare(
        `select j.* from journal j left join journal r on r.id = j.reverses
          where j.org_id = ? and j.entry_date between ? and ?
            and (j.kind = 'sale' or (j.kind = 'reversal' and r.kind = 'sale'))
          order by j.entry_date, j.seq`,
      )
      .all(orgId, from, to) as JournalEntry[];
  }

  /**
   * Walk the chain from the first entry: each entry's hash must be the hash of its fields and the
   * previous hash, seq must run 1, 2, 3…, and the last must be the recorded head. Every problem is
   * listed (an edited entry, a missing one, two swapped, a deleted tail).
   */
  verify(): VerifyResult {
    const problems: VerifyResult['problems'] = [];
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for (const row of this.sqlite
      .prepare('select * from journal order by seq')
      .iterate() as Iterable<JournalEntry>) {
      count += 1;
      if (row.seq !== expectedSeq)
        problems.push({
          seq: row.seq,
          id: row.id,
          problem: `entry ${row.seq} follows entry ${expectedSeq - 1}: ${row.seq - expectedSeq} entr${row.seq - expectedSeq === 1 ? 'y is' : 'ies are'} missing`,
        });
      if (row.prev_hash !== prev)
        problems.push({
          seq: row.seq,
          id: row.id,
          problem:
            'its previous-hash is not the hash of the entry before it (an entry was deleted, inserted or moved)',
        });
      const { hash, ...rest } = row;
      if (entryHash(rest) !== hash)
        problems.push({
          seq: row.seq,
          id: row.id,
          problem: 'its fields do not match its hash (the entry was edited)',
        });
      prev = hash;
      expectedSeq = row.seq + 1;
    }
    const head = (
      this.sqlite.prepare('select value from meta where key = ?').get(HEAD_KEY) as
        { value: string } | undefined
    )?.value;
    const actual = count === 0 ? undefined : `${expectedSeq - 1}:${prev}`;
    if (head !== actual)
      problems.push({
        seq: expectedSeq - 1,
        id: null,
        problem: `the journal ends at ${actual ?? 'nothing'} but its recorded head is ${head ?? 'nothing'} (the newest entries were deleted or changed)`,
      });
    return { ok: problems.length === 0, entries: count, headHash: prev, problems };
  }
}

/** The rejection SQLite gives when a trigger refuses an UPDATE or DELETE, as our error. */
export function translateLedgerError(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/append-only/.test(message)) throw new CyropError('CONFLICT', message, { cause: error });
  throw error;
}
