import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { Ledger, type NewJournalEntry } from './ledger.ts';

function sale(amount: number, date: string, counterparty = 'Customer A'): NewJournalEntry {
  return {
    entry_date: date,
    kind: 'sale',
    org_id: 'org-1',
    counterparty,
    course: 'course-1',
    course_run: null,
    seats: 1,
    unit_price_yen: amount,
    amount_yen: amount,
    reverses: null,
    invoice_number: null,
    memo: null,
    recorded_by: 'test',
  };
}

describe('billing ledger (SQLite)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let ledger: Ledger;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cyrop-ledger-'));
    database = await openDatabase(dir);
    ledger = new Ledger(database.sqlite, () => 1_780_000_000_000);
    ledger.append([
      sale(1000, '2026-04-01'),
      sale(2000, '2026-04-02', 'Beta Corp'),
      sale(3000, '2026-04-03'),
    ]);
    ledger.append([sale(4000, '2026-04-04'), sale(5000, '2026-05-01', 'beta corp')]);
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dropGuards = () => {
    database.sqlite.exec('drop trigger journal_no_update; drop trigger journal_no_delete;');
  };

  it('chains every entry to the previous one and verifies clean', () => {
    const all = ledger.search({}).entries;
    expect(all.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    for (let i = 1; i < all.length; i++) expect(all[i]?.prev_hash).to.equal(all[i - 1]?.hash);
    expect(ledger.verify()).to.include({ ok: true, entries: 5 });
  });

  it('the database refuses UPDATE and DELETE of a journal row', () => {
    expect(() => database.sqlite.prepare('update journal set amount_yen = 1 where seq = 2').run()).to.throw(
      /journal is append-only: UPDATE refused/,
    );
    expect(() => database.sqlite.prepare('delete from journal where seq = 2').run()).to.throw(
      /journal is append-only: DELETE refused/,
    );
    expect(() => database.sqlite.prepare('delete from journal').run()).to.throw(/append-only/);
    expect(ledger.verify().ok).to.equal(true);
  });

  it('the database refuses a fraction of a yen and a second entry on the same previous hash', () => {
    expect(() =>
      database.sqlite
        .prepare(
          `insert into journal (seq,id,recorded_at,entry_date,kind,org_id,counterparty,amount_yen,recorded_by,prev_hash,hash)
           values (99,'x',0,'2026-04-01','sale','o','c',1.5,'t','p','h')`,
        )
        .run(),
    ).to.throw(/CHECK constraint/);
    const head = ledger.search({}).entries[0]!;
    expect(() =>
      database.sqlite
        .prepare(
          `insert into journal (seq,id,recorded_at,entry_date,kind,org_id,counterparty,amount_yen,recorded_by,prev_hash,hash)
           values (99,'x',0,'2026-04-01','sale','o','c',1,'t',?,'h')`,
        )
        .run(head.prev_hash),
    ).to.throw(/UNIQUE constraint failed: journal.prev_hash/);
  });

  it('verify finds an edited entry', () => {
    dropGuards();
    database.sqlite.prepare('update journal set amount_yen = 2500 where seq = 2').run();
    const result = ledger.verify();
    expect(result.ok).to.equal(false);
    expect(result.problems).to.deep.equal([
      {
        seq: 2,
        id: result.problems[0]?.id,
        problem: 'its fields do not match its hash (the entry was edited)',
      },
    ]);
  });

  it('verify finds a deleted entry in the middle and a deleted newest entry', () => {
    dropGuards();
    database.sqlite.prepare('delete from journal where seq = 3').run();
    const middle = ledger.verify();
    expect(middle.ok).to.equal(false);
    expect(middle.problems.map((p) => p.seq)).to.deep.equal([4, 4]);
    expect(middle.problems[0]?.problem).to.match(/1 entry is missing/);

    database.sqlite.exec('delete from journal where seq = 5');
    expect(
      ledger
        .verify()
        .problems.map((p) => p.problem)
        .join('\n'),
    ).to.match(/recorded head is 5:/);
  });

  it('verify finds two entries swapped (their places exchanged, each hash kept)', () => {
    dropGuards();
    // Swap the contents of entries 2 and 3 (keeping seq), as someone reordering the books would.
    database.sqlite.exec(`
      update journal set seq = 1000 where seq = 2;
      update journal set seq = 2 where seq = 3;
      update journal set seq = 3 where seq = 1000;`);
    const result = ledger.verify();
    expect(result.ok).to.equal(false);
    expect(result.problems.map((p) => p.seq)).to.include.members([2, 3]);
  });

  it('searches by date, amount and counterparty (case-insensitive, part of the name)', () => {
    expect(
      ledger.search({ from: '2026-04-02', to: '2026-04-04' }).entries.map((e) => e.amount_yen),
    ).to.deep.equal([2000, 3000, 4000]);
    expect(ledger.search({ minYen: 2500, maxYen: 4500 }).entries.map((e) => e.amount_yen)).to.deep.equal([
      3000, 4000,
    ]);
    expect(ledger.search({ counterparty: 'BETA' }).entries.map((e) => e.amount_yen)).to.deep.equal([
      2000, 5000,
    ]);
    expect(ledger.search({ counterparty: '%' }).total).to.equal(0);
    expect(ledger.search({ limit: 2, offset: 1 })).to.deep.include({ total: 5 });
  });

  it('an append whose follow-up fails writes nothing', () => {
    expect(() =>
      ledger.append([sale(1, '2026-06-01')], () => {
        throw new Error('audit failed');
      }),
    ).to.throw('audit failed');
    expect(ledger.search({}).total).to.equal(5);
    expect(ledger.verify().ok).to.equal(true);
  });
});
