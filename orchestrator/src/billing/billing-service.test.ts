import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cliPrincipal, type Principal } from '../access/principal.ts';
import { AccountService, type Organisation } from '../accounts/account-service.ts';
import { CyropError } from '../errors.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { BillingService } from './billing-service.ts';
import { invoiceText } from './invoice-formats.ts';

async function rejects(
  promise: Promise<unknown> | (() => unknown),
  code: string,
  message?: RegExp,
): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    expect((error as CyropError).code).to.equal(code);
    if (message) expect((error as Error).message).to.match(message);
    return;
  }
  throw new Error(`expected ${code}`);
}

const sale = (date: string, amountYen: number, customer = 'Customer A') => ({
  date,
  customer,
  course: 'web-basics',
  courseRun: null,
  seats: null,
  unitPriceYen: null,
  amountYen,
  memo: null,
});

describe('BillingService', () => {
  let dir: string;
  let database: OpenedDatabase;
  let now: number;
  let accounts: AccountService;
  let billing: BillingService;
  let operator: Principal;
  let acme: Organisation;
  let other: Organisation;
  let acmeAdmin: Principal;
  let otherAdmin: Principal;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-billing-'));
    database = await openDatabase(dir);
    now = Date.UTC(2026, 5, 10, 3); // 2026-06-10 12:00 in Tokyo
    accounts = new AccountService({ db: database.db, clock: () => now, passwordCost: 10 });
    await accounts.ensureFirstOperator();
    const op = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
    operator = cliPrincipal(op.id);
    await accounts.updateOrganisation(operator, op.id, { invoiceRegistrationNumber: 'T7000012050002' });
    acme = await accounts.createOrganisationAs(operator, {
      name: 'Acme Training',
      kind: 'training-company',
      category: 'sme',
    });
    other = await accounts.createOrganisationAs(operator, { name: 'Other Co', kind: 'training-company' });
    acmeAdmin = { kind: 'user', userId: 'u1', orgId: acme.id, role: 'org-admin', name: 'A' };
    otherAdmin = { kind: 'user', userId: 'u2', orgId: other.id, role: 'org-admin', name: 'B' };
    billing = new BillingService({ sqlite: database.sqlite, accounts, clock: () => now });
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const audits = (action: string) =>
    database.sqlite.prepare('select * from audit_log where action = ?').all(action) as {
      org_id: string;
      actor: string;
    }[];

  it('closes a month at midnight of the platform time zone it is given, not always Tokyo', async () => {
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-04-03', 123_456));
    // 2026-04-30 20:00 UTC: already 1 May 05:00 in Tokyo, still 30 April in UTC
    now = Date.UTC(2026, 3, 30, 20);
    const inUtc = new BillingService({
      sqlite: database.sqlite,
      accounts,
      clock: () => now,
      timeZone: 'UTC',
    });
    expect(inUtc.today()).to.equal('2026-04-30');
    expect(billing.today(), 'the default zone, Asia/Tokyo').to.equal('2026-05-01');
    await rejects(
      inUtc.issueStatement(operator, acme.id, '2026-04'),
      'CONFLICT',
      /period 2026-04 has not ended yet \(today is 2026-04-30\)/,
    );
    const issued = await billing.issueStatement(operator, acme.id, '2026-04');
    expect(issued).to.include({ issuedOn: '2026-05-01' });
    // four hours later April has ended in UTC too: the statement (issued in Tokyo) is there once
    now = Date.UTC(2026, 4, 1, 0);
    await rejects(inUtc.issueStatement(operator, acme.id, '2026-04'), 'CONFLICT', /already issued/);
  });

  it("the worked example through the ledger: April's statement is ¥20,235 + ¥2,023 = ¥22,258, issued once, then paid", async () => {
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-04-03', 123_456));
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-04-20', 78_901, 'Customer B'));
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-05-01', 999)); // another month
    const draft = await billing.statement(acmeAdmin, acme.id, '2026-04');
    expect(draft).to.include({ issued: false, totalYen: 22_258 });
    expect(draft.lines).to.have.length(2);
    // the statement's lines add up to the fee on the ledger's sales of the month
    const ledgerSum = billing.ledger
      .salesBetween(acme.id, '2026-04-01', '2026-04-30')
      .reduce((s, e) => s + e.amount_yen, 0);
    expect(ledgerSum).to.equal(202_357);
    expect(draft.lines.reduce((s, l) => s + l.amountYen, 0)).to.equal(Math.floor(ledgerSum / 10));

    await rejects(billing.issueStatement(acmeAdmin, acme.id, '2026-04'), 'FORBIDDEN');
    await rejects(billing.issueStatement(operator, acme.id, '2026-06'), 'CONFLICT', /has not ended/);
    const issued = await billing.issueStatement(operator, acme.id, '2026-04');
    expect(issued).to.include({
      number: `UF-2026-04-${acme.id.replace(/-/g, '').slice(0, 8).toUpperCase()}`,
      issuedOn: '2026-06-10',
      dueOn: '2026-07-10',
    });
    await rejects(billing.issueStatement(operator, acme.id, '2026-04'), 'CONFLICT', /already issued/);
    // an issued month takes no more sales
    await rejects(
      billing.recordSale(acmeAdmin, acme.id, sale('2026-04-25', 1000)),
      'CONFLICT',
      /already issued/,
    );

    await rejects(
      () =>
        billing.recordPayment(operator, {
          invoiceNumber: issued.number,
          on: '2026-06-20',
          amountYen: 22_259,
        }),
      'CONFLICT',
      /22258 yen still owed/,
    );
    billing.recordPayment(operator, { invoiceNumber: issued.number, on: '2026-06-20', amountYen: 20_000 });
    const after = await billing.statement(acmeAdmin, acme.id, '2026-04');
    expect(after).to.deep.include({ issued: true, payments: [{ on: '2026-06-20', amountYen: 20_000 }] });
    expect(audits('billing.sale-recorded')).to.have.length(3);
    expect(audits('billing.statement-issued')[0]).to.include({ org_id: acme.id, actor: 'system:cli' });
    expect(audits('billing.payment-recorded')).to.have.length(1);
    expect(billing.verify(operator).ok).to.equal(true);
  });

  it('a sale reversed after its month was invoiced is a return (返還) on the next statement, with its own tax per rate', async () => {
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-04-03', 123_456));
    const b = await billing.recordSale(acmeAdmin, acme.id, sale('2026-04-20', 78_901, 'Customer B'));
    const april = await billing.issueStatement(operator, acme.id, '2026-04');
    expect(april.totalYen).to.equal(22_258);
    // reversed on 2026-06-10 (April is closed, so it is dated today), beside a June sale of ¥100,000
    await billing.reverseSale(acmeAdmin, acme.id, b.id, 'cancelled by the customer');
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-06-12', 100_000, 'Customer C'));
    const june = await billing.statement(acmeAdmin, acme.id, '2026-06');
    // June charges 10 % of 100,000 = 10,000 + 1,000 tax; it returns 10 % of 78,901 = 7,890 (down)
    // + 789 tax; 11,000 − 8,679 = 2,321 owed. April's issued statement is unchanged.
    expect(june.lines).to.have.length(1);
    expect(june.taxTotals).to.deep.equal([{ taxRatePercent: 10, taxableYen: 10_000, taxYen: 1_000 }]);
    expect(june.returns?.taxTotals).to.deep.equal([{ taxRatePercent: 10, taxableYen: 7_890, taxYen: 789 }]);
    expect(june.returns?.lines).to.have.length(1);
    expect(june.returns?.lines[0]).to.deep.include({
      date: '2026-04-20',
      amountYen: 7_890,
      taxRatePercent: 10,
    });
    expect(june.returns?.lines[0]?.description.ja).to.equal(
      '返還: Customer B様への売上 ¥78,901（web-basics） の利用料 10%（2026-06-10 取消）',
    );
    expect(june.totalYen).to.equal(2_321);
    expect(invoiceText(june)).to.contain('returned at 10%: ¥7,890, consumption tax ¥789\ntotal: ¥2,321\n');
    expect((await billing.statement(acmeAdmin, acme.id, '2026-04')).totalYen).to.equal(22_258);
    // the operator's monthly figures agree: June's fee is 10,000 charged − 7,890 returned
    const figures = billing.usageFees(operator, '2026-04', '2026-06').months;
    expect(figures.map((m) => [m.period, m.netSalesYen, m.feeYen])).to.deep.equal([
      ['2026-04', 202_357, 20_235],
      ['2026-05', 0, 0],
      ['2026-06', 100_000 - 78_901, 2_110],
    ]);

    // issued in July, the return is stored with the statement
    now = Date.UTC(2026, 6, 5, 3);
    const issued = await billing.issueStatement(operator, acme.id, '2026-06');
    expect(issued.returns).to.deep.equal(june.returns);
    expect(issued.totalYen).to.equal(2_321);
    expect(billing.usageFees(operator, '2026-06', '2026-06').months[0]).to.deep.include({ feeYen: 2_110 });
  });

  it('a reversed sale nets to zero on the statement; a sale is reversed once; a stranger is told it does not exist', async () => {
    const a = await billing.recordSale(acmeAdmin, acme.id, sale('2026-05-02', 50_000));
    await billing.recordSale(acmeAdmin, acme.id, sale('2026-05-03', 10_000));
    await rejects(billing.reverseSale(otherAdmin, acme.id, a.id, 'typo'), 'NOT_FOUND');
    await rejects(billing.reverseSale(otherAdmin, other.id, a.id, 'typo'), 'NOT_FOUND', /no sale/);
    const r = await billing.reverseSale(acmeAdmin, acme.id, a.id, 'entered twice');
    expect(r).to.include({ kind: 'reversal', amount_yen: -50_000, reverses: a.id, entry_date: '2026-05-02' });
    await rejects(billing.reverseSale(acmeAdmin, acme.id, a.id, 'again'), 'CONFLICT', /already reversed/);
    const doc = await billing.statement(acmeAdmin, acme.id, '2026-05');
    expect(doc.totalYen).to.equal(1_100); // by hand: 10,000 × 10 % = 1,000 + tax 100
    expect(doc.lines.reduce((s, l) => s + l.amountYen, 0)).to.equal(1_000);
    await rejects(billing.statement(otherAdmin, acme.id, '2026-05'), 'NOT_FOUND');
    expect((await billing.search(otherAdmin, {})).total).to.equal(0);
    expect((await billing.search(acmeAdmin, { counterparty: 'customer' })).total).to.equal(3);
    await rejects(billing.search(otherAdmin, { orgId: acme.id }), 'NOT_FOUND');
  });

  it('only a training company records sales: a customer organisation is refused, by its admin and by the operator', async () => {
    const customer = await accounts.createOrganisationAs(operator, { name: 'Buyer Co', kind: 'customer' });
    const buyerAdmin: Principal = {
      kind: 'user',
      userId: 'u3',
      orgId: customer.id,
      role: 'org-admin',
      name: 'C',
    };
    for (const who of [buyerAdmin, operator]) {
      await rejects(
        billing.recordSale(who, customer.id, sale('2026-05-02', 50_000)),
        'CONFLICT',
        /not a training company/,
      );
      await rejects(
        billing.importSales(who, customer.id, 'date,customer,amount\n2026-05-02,X,1000\n'),
        'CONFLICT',
        /not a training company/,
      );
    }
    expect((await billing.search(operator, { orgId: customer.id })).total).to.equal(0);
    // its (empty) books can still be read
    expect((await billing.statement(buyerAdmin, customer.id, '2026-05')).lines).to.deep.equal([]);
  });

  it('imports a CSV all or nothing: a file with one bad row imports nothing and names line and column', async () => {
    const bad = await billing.importSales(
      acmeAdmin,
      acme.id,
      '日付,顧客,コース,席数,単価,金額\n2026/5/1,A社,c1,2,500,1000\n2026/5/2,B社,c1,2,500,999\n',
    );
    expect(bad).to.deep.equal({
      imported: 0,
      totalYen: 0,
      problems: [
        {
          line: 3,
          column: '金額',
          code: 'amount-mismatch',
          params: { amount: 999, seats: 2, unitPrice: 500, product: 1000 },
          message: '999 is not seats 2 × unit price 500 = 1000',
        },
      ],
    });
    expect((await billing.search(operator, {})).total).to.equal(0);
    const good = await billing.importSales(
      acmeAdmin,
      acme.id,
      '\uFEFFdate,customer,amount\n2026-05-01,A,"123,456"\n2026-05-09,B,78901\n',
    );
    expect(good).to.deep.equal({ imported: 2, totalYen: 202_357, problems: [] });
    expect(audits('billing.sales-imported')).to.have.length(1);
    expect((await billing.statement(acmeAdmin, acme.id, '2026-05')).totalYen).to.equal(22_258);
  });

  it('yearly fees: members with Co-Nexus invoiced by category and multiplier; receivables aged by days since issue', async () => {
    await rejects(billing.setCoNexus(acmeAdmin, acme.id, ['C']), 'FORBIDDEN');
    expect(await billing.setCoNexus(operator, acme.id, ['C', 'A', 'C'])).to.deep.equal(['A', 'C']);
    await accounts.updateOrganisation(operator, other.id, { category: 'large-enterprise' });
    const run = await billing.fees(operator, 2026);
    expect(run.period).to.deep.equal({ from: '2026-04-01', to: '2027-03-31' });
    expect(run.invoices.map((i) => [i.recipient.name, i.totalYen])).to.deep.equal([
      ['Acme Training', 825_000],
    ]); // 500,000 × 3/2 + 10 %
    expect(run.skipped.map((s) => s.name)).to.deep.equal(['Other Co']);
    await rejects(billing.fees(acmeAdmin, 2026), 'FORBIDDEN');
    const issued = await billing.issueFees(operator, 2026);
    expect(issued.invoices.every((i) => i.issued)).to.equal(true);
    now += 45 * 86_400_000; // 45 days later
    const owed = await billing.receivables(operator);
    expect(owed.invoices.map((i) => [i.outstandingYen, i.ageDays, i.bucket])).to.deep.equal([
      [825_000, 45, '31-60'],
    ]);
    expect(owed.totals).to.deep.include({ '31-60': 825_000, totalYen: 825_000 });
    expect((await billing.receivables(otherAdmin)).invoices).to.deep.equal([]);
    expect((await billing.receivables(acmeAdmin)).totals.totalYen).to.equal(825_000);
    expect((await billing.receivables(operator, { asOf: '2026-12-31' })).invoices[0]?.bucket).to.equal('>90');
  });

  it('fee schedules: a new version applies from its date; a multiplier above 2 is refused', async () => {
    const base = (await import('./fee-schedule.ts')).DEFAULT_FEE_SCHEDULE;
    await rejects(
      () =>
        billing.addFeeSchedule(operator, {
          ...base,
          version: 'bad',
          effectiveFrom: '2027-04-01',
          coNexusMultipliers: [
            { numerator: 1, denominator: 1 },
            { numerator: 5, denominator: 2 },
          ],
        }),
      'BAD_REQUEST',
      /coNexusMultipliers\/1 5\/2 exceeds 2/,
    );
    billing.addFeeSchedule(operator, {
      ...base,
      version: '2027',
      effectiveFrom: '2027-04-01',
      participationFeeYen: { ...base.participationFeeYen, sme: 600_000 },
    });
    await billing.setCoNexus(operator, acme.id, ['C']);
    expect((await billing.fees(operator, 2026)).totals.taxableYen).to.equal(500_000);
    expect((await billing.fees(operator, 2027)).totals.taxableYen).to.equal(600_000);
  });
});
