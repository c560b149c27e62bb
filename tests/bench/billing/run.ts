/**
 * Billing benchmark: prints one JSON document.
 *   npm run bench:billing -- [--sales=100000] [--orgs=1000]
 *
 * - statement: the usage-fee statement of one company with `sales` sales lines in one month
 *   (BillingService.draftStatement: the journal read, every line built, the fee split and the tax),
 *   against the same sums by one SQL query (sum of amounts, fee and tax rounded down in SQL);
 * - feeRun: the yearly CYNEX fee run for `orgs` member organisations (BillingService.fees), against
 *   one SQL query that sums category fee × multiplier over the same organisations;
 * - the results are checked equal (the sums must agree) before the times are reported.
 * Median of 5 runs each; ratios are against the SQL reference measured in the same run. No assertions
 * on time: figures for a report; compare within a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPrincipal } from '../../../orchestrator/src/access/principal.ts';
import { AccountService } from '../../../orchestrator/src/accounts/account-service.ts';
import { BillingService } from '../../../orchestrator/src/billing/billing-service.ts';
import { ORGANISATION_CATEGORIES } from '../../../orchestrator/src/store/schema.ts';
import { openDatabase } from '../../../orchestrator/src/store/database.ts';

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
}

const SALES = arg('sales', 100_000);
const ORGS = arg('orgs', 1000);
const RUNS = 5;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function median<T>(fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const start = nowMs();
    result = await fn();
    times.push(nowMs() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: Math.round((times[Math.floor(RUNS / 2)] as number) * 100) / 100, result: result as T };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-bench-billing-'));
try {
  const database = await openDatabase(dir);
  const now = Date.UTC(2026, 5, 10, 3);
  const accounts = new AccountService({ db: database.db, clock: () => now, passwordCost: 10 });
  await accounts.ensureFirstOperator();
  const op = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
  const by = cliPrincipal(op.id);
  await accounts.updateOrganisation(by, op.id, { invoiceRegistrationNumber: 'T7000012050002' });
  const billing = new BillingService({ sqlite: database.sqlite, accounts, clock: () => now });

  // ── seed: one company with SALES sales in May 2026, ORGS member organisations ──
  const company = await accounts.createOrganisationAs(by, { name: 'Big Seller', kind: 'training-company' });
  const seedStart = nowMs();
  let csv = 'date,customer,course,seats,unit price,amount\n';
  for (let i = 0; i < SALES; i++) {
    const price = 1000 + ((i * 7919) % 50_000);
    csv += `2026-05-${String(1 + (i % 31)).padStart(2, '0')},Customer ${i % 997},course-${i % 13},1,${price},${price}\n`;
  }
  const imported = await billing.importSales(by, company.id, csv);
  if (imported.imported !== SALES)
    throw new Error(`seeding failed: ${JSON.stringify(imported.problems.slice(0, 3))}`);
  const seedSalesMs = nowMs() - seedStart;
  for (let i = 0; i < ORGS; i++) {
    const org = await accounts.createOrganisation({
      name: `Member ${i}`,
      kind: 'customer',
      category: ORGANISATION_CATEGORIES[i % ORGANISATION_CATEGORIES.length]!,
    });
    database.sqlite
      .prepare('insert into org_co_nexus (org_id, name, joined_on) values (?, ?, ?)')
      .run(org.id, 'C', '2026-01-01');
    for (let n = 0; n < i % 4; n++)
      database.sqlite
        .prepare('insert into org_co_nexus (org_id, name, joined_on) values (?, ?, ?)')
        .run(org.id, `X${n}`, '2026-01-01');
  }

  // ── statement ──
  const statement = await median(() => billing.draftStatement(company.id, '2026-05', '2026-06-10'));
  const sqlStatement = await median(
    () =>
      database.sqlite
        .prepare(
          `select count(*) as lines, sum(amount_yen) as sales, sum(amount_yen) * 10 / 100 as fee,
                  (sum(amount_yen) * 10 / 100) * 10 / 100 as tax
             from journal where org_id = ? and entry_date between '2026-05-01' and '2026-05-31' and kind = 'sale'`,
        )
        .get(company.id) as { lines: number; sales: number; fee: number; tax: number },
  );
  const doc = statement.result;
  const s = sqlStatement.result;
  if (
    doc.lines.length !== s.lines ||
    doc.taxTotals[0]?.taxableYen !== s.fee ||
    doc.taxTotals[0].taxYen !== s.tax
  )
    throw new Error(`statement disagrees with SQL: ${JSON.stringify({ doc: doc.taxTotals, sql: s })}`);

  // ── fee run ──
  const feeRun = await median(() => billing.fees(by, 2026, '2026-04-01'));
  // The default schedule in SQL: fee by category × min(2, 1 + (n − 1)/2) = fee × min(4, n + 1) / 2, rounded down; tax 10 % rounded down.
  const sqlFees = await median(
    () =>
      database.sqlite
        .prepare(
          `with fees(category, yen) as (values ('large-enterprise', 1000000), ('sme', 500000),
                  ('general-incorporated-association', 500000), ('npo', 50000), ('educational-institution', 50000),
                  ('government', 0), ('individual-expert', 0)),
                members as (select o.id, o.category, count(*) as n from organisations o join org_co_nexus c on c.org_id = o.id
                             where o.kind != 'operator' and o.category is not null group by o.id),
                amounts as (select (f.yen * min(4, m.n + 1)) / 2 as fee from members m join fees f on f.category = m.category)
           select count(*) as invoices, sum(fee) as taxable, sum(fee * 10 / 100) as tax from amounts`,
        )
        .get() as { invoices: number; taxable: number; tax: number },
  );
  const run = feeRun.result;
  const f = sqlFees.result;
  if (
    run.invoices.length !== f.invoices ||
    run.totals.taxableYen !== f.taxable ||
    run.totals.taxYen !== f.tax
  )
    throw new Error(`fee run disagrees with SQL: ${JSON.stringify({ run: run.totals, sql: f })}`);

  process.stdout.write(
    JSON.stringify(
      {
        bench: 'billing',
        node: process.version,
        cpus: os.cpus().length,
        runs: RUNS,
        seed: { sales: SALES, orgs: ORGS, importMs: Math.round(seedSalesMs) },
        statement: {
          lines: doc.lines.length,
          totalYen: doc.totalYen,
          ms: statement.ms,
          sqlMs: sqlStatement.ms,
          ratio: Math.round((statement.ms / sqlStatement.ms) * 10) / 10,
        },
        feeRun: {
          invoices: run.invoices.length,
          totalYen: run.totals.totalYen,
          ms: feeRun.ms,
          sqlMs: sqlFees.ms,
          ratio: Math.round((feeRun.ms / sqlFees.ms) * 10) / 10,
        },
      },
      null,
      2,
    ) + '\n',
  );
  await database.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
