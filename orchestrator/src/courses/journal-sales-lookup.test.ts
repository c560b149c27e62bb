import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPrincipal } from '../access/principal.ts';
import { AccountService } from '../accounts/account-service.ts';
import { BillingService } from '../billing/billing-service.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { firstDayAtOrAfter, JournalSalesLookup } from './journal-sales-lookup.ts';
import { parsePeriodBound } from './usage-meter.ts';

/** The SalesLookup over billing's journal, with sales written by the billing service itself. */
describe('JournalSalesLookup (the billing journal)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let lookup: JournalSalesLookup;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-journal-sales-'));
    database = await openDatabase(dir);
    const accounts = new AccountService({ db: database.db, passwordCost: 10 });
    await accounts.ensureFirstOperator();
    const operator = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
    const company = await accounts.createOrganisation({ name: 'Acme', kind: 'training-company' });
    const billing = new BillingService({
      sqlite: database.sqlite,
      accounts,
      clock: () => Date.UTC(2026, 4, 10),
    });
    const by = cliPrincipal(operator.id);
    const sale = (date: string, courseRun: string | null) =>
      billing.recordSale(by, company.id, {
        date,
        customer: 'Customer',
        course: null,
        courseRun,
        seats: 1,
        unitPriceYen: 10_000,
        amountYen: 10_000,
        memo: null,
      });
    await sale('2026-03-31', 'R1'); // the day before the period
    await sale('2026-04-01', 'R1');
    await sale('2026-04-30', 'R1');
    await sale('2026-05-01', 'R1'); // the day after
    const reversed = await sale('2026-04-15', 'R2');
    await billing.reverseSale(by, company.id, reversed.id, 'cancelled by the customer');
    await sale('2026-04-15', null); // a sale of no run
    await sale('2026-04-16', 'R3');
    lookup = new JournalSalesLookup(database.db);
  });

  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the sales of each run dated in the period, a reversed sale not at all', async () => {
    const april = await lookup.salesCountForRuns(
      ['R1', 'R2', 'R4'],
      parsePeriodBound('from', '2026-04-01'),
      parsePeriodBound('to', '2026-05-01'),
    );
    // R1: 04-01 and 04-30 (not 03-31 nor 05-01); R2: its only sale was reversed; R3 not asked; R4 none
    expect(Object.fromEntries(april)).to.deep.equal({ R1: 2 });
  });

  it('counts a day whose midnight in Japan falls inside the period', async () => {
    const fromNoon = await lookup.salesCountForRuns(
      ['R1'],
      parsePeriodBound('from', '2026-04-01T12:00:00+09:00'),
      parsePeriodBound('to', '2026-05-01'),
    );
    expect(fromNoon.get('R1')).to.equal(1);
    expect(firstDayAtOrAfter(parsePeriodBound('from', '2026-04-01'))).to.equal('2026-04-01');
    expect(firstDayAtOrAfter(parsePeriodBound('from', '2026-04-01') + 1)).to.equal('2026-04-02');
    // 2026-04-01 00:00 UTC is 09:00 in Japan: the next day is the first whole one
    expect(firstDayAtOrAfter(Date.UTC(2026, 3, 1))).to.equal('2026-04-02');
    expect((await lookup.salesCountForRuns([], 0, Date.UTC(2100, 0, 1))).size).to.equal(0);
  });

  it('reads sale dates as days of the platform time zone it is given', async () => {
    // 2026-04-30 20:00 UTC: still April 30 in UTC (May 1 begins inside the period), already May 1 05:00
    // in Tokyo (May 1 began before it): the sale dated 2026-05-01 counts in UTC only
    const from = Date.UTC(2026, 3, 30, 20);
    const to = Date.UTC(2026, 4, 2);
    const utc = new JournalSalesLookup(database.db, 'UTC');
    expect((await utc.salesCountForRuns(['R1'], from, to)).get('R1')).to.equal(1);
    expect((await lookup.salesCountForRuns(['R1'], from, to)).get('R1') ?? 0).to.equal(0);
    expect(firstDayAtOrAfter(from, 'UTC')).to.equal('2026-05-01');
    expect(firstDayAtOrAfter(from, 'Asia/Tokyo')).to.equal('2026-05-02');
    expect(firstDayAtOrAfter(Date.UTC(2026, 4, 1), 'UTC')).to.equal('2026-05-01');
  });
});
