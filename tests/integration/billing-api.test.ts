import { expect } from 'chai';
import { pdfPages } from '../../orchestrator/src/documents/pdf-test-tools.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { cliPrincipal } from '../../orchestrator/src/access/principal.ts';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { sessionAuthenticator } from '../../orchestrator/src/api/auth/session-authenticator.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { accountRoutes } from '../../orchestrator/src/api/routes/account-routes.ts';
import { billingRoutes } from '../../orchestrator/src/api/routes/billing-routes.ts';
import { BillingService } from '../../orchestrator/src/billing/billing-service.ts';
import { DEFAULT_FEE_SCHEDULE } from '../../orchestrator/src/billing/fee-schedule.ts';
import { PdfRenderer } from '../../orchestrator/src/documents/pdf-renderer.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

interface Call {
  status: number;
  text: string;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  headers: Headers;
}

/**
 * The billing API on a real server and a real SQLite store: a training company records, imports and
 * reverses its sales and reads its statement; the operator issues it, records a payment and reads
 * the receivables and the journal; another company's admin is told none of it exists; every
 * billing route × every role (the role matrix of issue 13, item 7).
 */
describe('billing API (real server)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let server: Server;
  let base: string;
  const now = Date.UTC(2026, 5, 10, 3); // 2026-06-10 in Tokyo
  let acme = '';
  let other = '';
  const cookies: Record<string, string> = {};
  const pdf = new PdfRenderer();

  async function call(
    method: string,
    url: string,
    options: { who?: string; body?: unknown } = {},
  ): Promise<Call> {
    const headers: Record<string, string> = { origin: base };
    const cookie = options.who ? cookies[options.who] : undefined;
    if (cookie) headers.cookie = cookie;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await checkedFetch(new URL(url, base), {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    let body: Call['body'] = {};
    try {
      body = text ? (JSON.parse(text) as Call['body']) : {};
    } catch {
      // CSV
    }
    return { status: res.status, text, body, headers: res.headers };
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await call('POST', '/api/auth/login', { body: { email, password } });
    expect(res.status, res.text).to.equal(200);
    return res.headers
      .getSetCookie()
      .find((c) => c.startsWith('cyrop_session='))!
      .split(';')[0]!;
  }

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-billing-api-'));
    database = await openDatabase(dir);
    const accounts = new AccountService({ db: database.db, clock: () => now, passwordCost: 10 });
    const billing = new BillingService({ sqlite: database.sqlite, accounts, clock: () => now });
    const scenarios = await new ScenarioLibrary({
      db: database.db,
      catalogue: new ScenarioCatalogue(path.join(REPO, 'tests/fixtures/valid')).load(),
      uploads: new ScenarioUploads(path.join(dir, 'scenarios')),
    }).init();
    const app = createApp({
      scenarios,
      logger: pino({ level: 'silent' }),
      authenticate: sessionAuthenticator(accounts),
      routes: (api) => {
        accountRoutes(api, { accounts, clock: () => now });
        billingRoutes(api, { billing, pdf });
      },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await accounts.ensureFirstOperator();
    const op = (await accounts.listOrganisations()).find((o) => o.kind === 'operator')!;
    const by = cliPrincipal(op.id);
    await accounts.updateOrganisation(by, op.id, {
      name: 'CYROP運営',
      invoiceRegistrationNumber: 'T7000012050002',
    });
    acme = (
      await accounts.createOrganisationAs(by, {
        name: 'Acme Training',
        kind: 'training-company',
        category: 'sme',
      })
    ).id;
    other = (await accounts.createOrganisationAs(by, { name: 'Other Co', kind: 'training-company' })).id;
    const users: [string, string, 'operator' | 'org-admin' | 'instructor' | 'trainee'][] = [
      ['operator', op.id, 'operator'],
      ['acmeAdmin', acme, 'org-admin'],
      ['acmeInstructor', acme, 'instructor'],
      ['acmeTrainee', acme, 'trainee'],
      ['otherAdmin', other, 'org-admin'],
    ];
    for (const [name, orgId, role] of users) {
      await accounts.createUserAs(by, {
        orgId,
        email: `${name}@example.test`,
        name,
        role,
        password: `${name} password 1`,
      });
      cookies[name] = await login(`${name}@example.test`, `${name} password 1`);
    }
  });
  after(async () => {
    await pdf.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a company records, imports and reverses sales; the operator issues the statement, records a payment; receivables age', async () => {
    const one = await call('POST', `/api/billing/organisations/${acme}/sales`, {
      who: 'acmeAdmin',
      body: {
        date: '2026-04-03',
        customer: 'Customer A',
        course: 'web-basics',
        seats: 2,
        unitPriceYen: 61_728,
        amountYen: 123_456,
      },
    });
    expect(one.status, one.text).to.equal(201);
    expect(one.body).to.include({ kind: 'sale', amount_yen: 123_456, org_id: acme });

    const mismatch = await call('POST', `/api/billing/organisations/${acme}/sales`, {
      who: 'acmeAdmin',
      body: { date: '2026-04-03', customer: 'X', seats: 2, unitPriceYen: 100, amountYen: 150 },
    });
    expect(mismatch.status).to.equal(400);
    expect(mismatch.body.error?.message).to.contain('amountYen: 150 is not seats 2 × unit price 100 = 200');
    const fraction = await call('POST', `/api/billing/organisations/${acme}/sales`, {
      who: 'acmeAdmin',
      body: { date: '2026-04-03', customer: 'X', amountYen: 1.5 },
    });
    expect(fraction.status).to.equal(400);

    const bad = await call('POST', `/api/billing/organisations/${acme}/sales/import`, {
      who: 'acmeAdmin',
      body: { csv: '\uFEFF日付,顧客,金額\n2026/4/20,Customer B,78901\n2026/4/31,Customer C,abc\n' },
    });
    expect(bad.status).to.equal(422);
    expect(bad.body).to.deep.equal({
      imported: 0,
      totalYen: 0,
      problems: [
        {
          line: 3,
          column: '日付',
          code: 'not-a-date',
          params: { value: '2026/4/31' },
          message: "'2026/4/31' is not a date (YYYY-MM-DD or YYYY/M/D)",
        },
        {
          line: 3,
          column: '金額',
          code: 'not-a-number',
          params: { value: 'abc' },
          message: "'abc' is not a whole number",
        },
      ],
    });
    const good = await call('POST', `/api/billing/organisations/${acme}/sales/import`, {
      who: 'acmeAdmin',
      body: { csv: '\uFEFF日付,顧客,金額\n2026/4/20,Customer B,78901\n2026/4/21,Customer C,5000\n' },
    });
    expect(good.status, good.text).to.equal(200);
    expect(good.body).to.include({ imported: 2, totalYen: 83_901 });
    const c = (await call('GET', '/api/billing/journal?counterparty=customer%20c', { who: 'acmeAdmin' }))
      .body as {
      entries: { id: string }[];
    };
    expect(c.entries).to.have.length(1);
    const reversed = await call(
      'POST',
      `/api/billing/organisations/${acme}/sales/${c.entries[0]!.id}/reversal`,
      {
        who: 'acmeAdmin',
        body: { reason: 'cancelled by the customer' },
      },
    );
    expect(reversed.status, reversed.text).to.equal(201);
    expect(reversed.body).to.include({ kind: 'reversal', amount_yen: -5000 });

    // The worked example: 123,456 + 78,901 (+ 5,000 − 5,000) → 20,235 + 2,023 = 22,258
    const draft = await call('GET', `/api/billing/organisations/${acme}/statements/2026-04`, {
      who: 'acmeAdmin',
    });
    expect(draft.body).to.include({ issued: false, totalYen: 22_258 });
    expect(draft.body.taxTotals).to.deep.equal([{ taxRatePercent: 10, taxableYen: 20_235, taxYen: 2_023 }]);
    expect(draft.body.issuer).to.deep.equal({ name: 'CYROP運営', registrationNumber: 'T7000012050002' });

    expect(
      (
        await call('POST', `/api/billing/organisations/${acme}/statements/2026-04/issue`, {
          who: 'acmeAdmin',
        })
      ).status,
    ).to.equal(403);
    const issued = await call('POST', `/api/billing/organisations/${acme}/statements/2026-04/issue`, {
      who: 'operator',
    });
    expect(issued.status, issued.text).to.equal(201);
    const number = issued.body.number as string;
    const late = await call('POST', `/api/billing/organisations/${acme}/sales/import`, {
      who: 'acmeAdmin',
      body: { csv: 'date,customer,amount\n2026-04-30,Late Customer,1000\n' },
    });
    expect(late.status).to.equal(422);
    expect(late.body.problems).to.deep.equal([
      {
        line: 2,
        column: 'date',
        code: 'month-invoiced',
        params: { value: '2026-04-30', invoice: number },
        message: `date 2026-04-30: the usage-fee statement ${number} for 2026-04 is already issued; date the sale in a month not yet invoiced`,
      },
    ]);
    const csv = await call(
      'GET',
      `/api/billing/organisations/${acme}/statements/2026-04?format=csv&lang=en`,
      { who: 'acmeAdmin' },
    );
    expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    expect(csv.text.startsWith('\uFEFFrecord,invoice number,')).to.equal(true);
    expect(csv.text).to.contain(
      `tax-total,${number},2026-06-10,2026-04-01,2026-04-30,2026-07-10,CYROP運営,T7000012050002,Acme Training,,Subject to 10%,,,10,20235,2023,22258\r\n`,
    );
    expect(csv.text).to.contain(`total,${number},`);
    // the same statement as a qualified invoice in PDF, in Japanese: every required item
    const pdf = await checkedFetch(
      new URL(`/api/billing/organisations/${acme}/statements/2026-04?format=pdf&lang=ja`, base),
      {
        headers: { cookie: cookies['acmeAdmin'] ?? '' },
      },
    );
    expect(pdf.status).to.equal(200);
    expect(pdf.headers.get('content-type')).to.equal('application/pdf');
    const text = pdfPages(Buffer.from(await pdf.arrayBuffer())).join('\n');
    for (const item of [
      '適格請求書',
      'T7000012050002',
      'CYROP運営',
      'Acme Training 御中',
      '20,235円',
      '2,023円',
      '22,258円',
      '10%',
    ])
      expect(text, item).to.include(item);

    const pay = await call('POST', '/api/billing/payments', {
      who: 'operator',
      body: { invoiceNumber: number, on: '2026-06-30', amountYen: 20_000 },
    });
    expect(pay.status, pay.text).to.equal(201);
    const owed = await call('GET', '/api/billing/receivables?asOf=2026-07-20', { who: 'acmeAdmin' }); // 40 days after issue
    expect(owed.body.totals).to.deep.equal({
      '0-30': 0,
      '31-60': 2_258,
      '61-90': 0,
      '>90': 0,
      totalYen: 2_258,
    });
    expect(
      (
        (await call('GET', '/api/billing/receivables', { who: 'otherAdmin' })).body.totals as {
          totalYen: number;
        }
      ).totalYen,
    ).to.equal(0);
    expect(
      (await call('GET', `/api/billing/receivables?org=${acme}`, { who: 'otherAdmin' })).status,
    ).to.equal(404);

    const verify = await call('GET', '/api/billing/verify', { who: 'operator' });
    expect(verify.body).to.include({ ok: true, entries: 6 }); // 3 sales, 1 reversal, 1 invoice, 1 payment
    const audit = database.sqlite
      .prepare("select action from audit_log where action like 'billing.%' order by id")
      .all()
      .map((r) => (r as { action: string }).action);
    expect(audit).to.deep.equal([
      'billing.sale-recorded',
      'billing.sales-imported',
      'billing.sale-reversed',
      'billing.statement-issued',
      'billing.payment-recorded',
    ]);
  });

  it('a 5,000-line statement renders as PDF in a worker: cheap requests sent while it renders are answered before it ends', async function () {
    this.timeout(180_000);
    const count = 5_000;
    const rows = Array.from(
      { length: count },
      (_, i) => `2026-03-${String(1 + (i % 28)).padStart(2, '0')},Customer ${i + 1},${1000 + i}`,
    );
    const imported = await call('POST', `/api/billing/organisations/${other}/sales/import`, {
      who: 'otherAdmin',
      body: { csv: `date,customer,amount\n${rows.join('\n')}\n` },
    });
    expect(imported.status, imported.text.slice(0, 500)).to.equal(200);
    expect(imported.body).to.include({ imported: count });

    const order: string[] = [];
    const download = fetch(
      new URL(`/api/billing/organisations/${other}/statements/2026-03?format=pdf&lang=en`, base),
      { headers: { cookie: cookies['otherAdmin'] ?? '' } },
    ).then(async (res) => {
      const bytes = Buffer.from(await res.arrayBuffer());
      order.push('pdf');
      return { status: res.status, bytes };
    });
    // Wait until the worker has the statement (the server has read it from the journal), then ask
    // cheap questions: each must be answered while the PDF is still being drawn.
    while (pdf.rendering === 0 && order.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 3; i += 1) {
      const health = await fetch(new URL('/healthz', base));
      expect(health.status).to.equal(200);
      const journal = await call('GET', '/api/billing/journal?limit=1', { who: 'acmeAdmin' });
      expect(journal.status).to.equal(200);
      order.push(`cheap ${i + 1}`);
      expect(pdf.rendering, 'the PDF is still being rendered').to.equal(1);
    }
    const { status, bytes } = await download;
    expect(order).to.deep.equal(['cheap 1', 'cheap 2', 'cheap 3', 'pdf']);
    expect(status, bytes.subarray(0, 300).toString()).to.equal(200);
    const text = pdfPages(bytes).join('\n');
    expect(text).to.include('Customer 1 ');
    expect(text).to.include(`Customer ${count}`);
  });

  it("the operator's usage fees by month come in one request, each company's fee the same as its statement's", async () => {
    const fees = await call('GET', '/api/billing/usage-fees?from=2026-03&to=2026-05', { who: 'operator' });
    expect(fees.status, fees.text).to.equal(200);
    // March: the 5,000 sales above, 1,000 + … + 5,999 = 17,497,500 → 10 % = 1,749,750 (a draft);
    // April: the worked example, issued with a fee of 20,235; May: nothing.
    expect(fees.body).to.deep.equal({
      from: '2026-03',
      to: '2026-05',
      months: [
        {
          period: '2026-03',
          netSalesYen: 17_497_500,
          feeYen: 1_749_750,
          organisations: [
            { orgId: other, orgName: 'Other Co', netSalesYen: 17_497_500, feeYen: 1_749_750, issued: false },
          ],
        },
        {
          period: '2026-04',
          netSalesYen: 202_357,
          feeYen: 20_235,
          organisations: [
            { orgId: acme, orgName: 'Acme Training', netSalesYen: 202_357, feeYen: 20_235, issued: true },
          ],
        },
        { period: '2026-05', netSalesYen: 0, feeYen: 0, organisations: [] },
      ],
    });
    const march = await call('GET', `/api/billing/organisations/${other}/statements/2026-03`, {
      who: 'operator',
    });
    expect(march.body.taxTotals).to.deep.equal([
      { taxRatePercent: 10, taxableYen: 1_749_750, taxYen: 174_975 },
    ]);
    for (const who of ['acmeAdmin', 'acmeInstructor', 'acmeTrainee'])
      expect((await call('GET', '/api/billing/usage-fees?from=2026-03&to=2026-05', { who })).status).to.equal(
        403,
      );
    expect((await call('GET', '/api/billing/usage-fees?from=2026-03&to=2026-05')).status).to.equal(401);
    const backwards = await call('GET', '/api/billing/usage-fees?from=2026-05&to=2026-03', {
      who: 'operator',
    });
    expect(backwards.status).to.equal(400);
    expect(backwards.body.error?.message).to.equal('to (2026-03) is before from (2026-05)');
    const tooLong = await call('GET', '/api/billing/usage-fees?from=2000-01&to=2026-03', { who: 'operator' });
    expect(tooLong.status).to.equal(400);
    expect(tooLong.body.error?.message).to.contain('more than 120 months');
  });

  it('every billing route × every role: anonymous 401; trainees and instructors 403; another company 404; operator-only routes 403', async () => {
    const books = (org: string) =>
      [
        [
          'POST',
          `/api/billing/organisations/${org}/sales`,
          { date: '2026-06-01', customer: 'M', amountYen: 1000 },
        ],
        [
          'POST',
          `/api/billing/organisations/${org}/sales/import`,
          { csv: 'date,customer,amount\n2026-06-01,M,1000\n' },
        ],
        ['POST', `/api/billing/organisations/${org}/sales/nonexistent/reversal`, { reason: 'x' }],
        ['GET', `/api/billing/organisations/${org}/statements/2026-05`, undefined],
        ['GET', `/api/billing/organisations/${org}/co-nexus`, undefined],
        ['GET', `/api/billing/receivables?org=${org}`, undefined],
        ['GET', `/api/billing/journal?org=${org}`, undefined],
      ] as const;
    const operatorOnly = [
      ['POST', `/api/billing/organisations/${acme}/statements/2026-05/issue`, undefined],
      ['GET', '/api/billing/fees/2026', undefined],
      ['POST', '/api/billing/fees/2026/issue', undefined],
      ['POST', '/api/billing/payments', { invoiceNumber: 'none', on: '2026-06-01', amountYen: 1 }],
      ['PUT', `/api/billing/organisations/${acme}/co-nexus`, { names: ['C'] }],
      ['GET', '/api/billing/fee-schedules', undefined],
      ['POST', '/api/billing/fee-schedules', { version: 'x' }],
      ['GET', '/api/billing/verify', undefined],
    ] as const;
    const seen: string[] = [];
    const expectStatus = async (
      who: string | undefined,
      [method, url, body]: readonly [string, string, unknown],
      status: number,
    ) => {
      const res = await call(method, url, {
        ...(who ? { who } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      seen.push(`${who ?? 'anonymous'} ${method} ${url} ${res.status}`);
      expect(res.status, `${who ?? 'anonymous'} ${method} ${url}: ${res.text}`).to.equal(status);
    };
    for (const route of [...books(acme), ...operatorOnly]) {
      await expectStatus(undefined, route, 401);
      await expectStatus('acmeTrainee', route, 403);
      await expectStatus('acmeInstructor', route, 403);
    }
    for (const route of books(acme)) await expectStatus('otherAdmin', route, 404);
    for (const route of operatorOnly) {
      await expectStatus('acmeAdmin', route, 403);
      await expectStatus('otherAdmin', route, 403);
    }
    // what the operator gets from each operator-only route with these bodies
    // (May has no sales: nothing to issue; no invoice 'none'; a schedule with only a version is refused)
    const operatorStatus = [409, 200, 200, 404, 200, 200, 400, 200];
    for (const [i, route] of operatorOnly.entries())
      await expectStatus('operator', route, operatorStatus[i]!);
    expect(seen.length).to.equal(15 * 3 + 7 + 16 + 8);
  });

  it("the operator sets and reads an organisation's Co-Nexus and adds a fee schedule: each answer as the document declares it", async () => {
    const set = await call('PUT', `/api/billing/organisations/${other}/co-nexus`, {
      who: 'operator',
      body: { names: ['Kansai', 'Tokai'] },
    });
    expect(set.status, set.text).to.equal(200);
    expect(set.body).to.deep.equal({ orgId: other, names: ['Kansai', 'Tokai'] });
    const read = await call('GET', `/api/billing/organisations/${other}/co-nexus`, { who: 'operator' });
    expect(read.status, read.text).to.equal(200);
    expect(read.body['names']).to.deep.equal(['Kansai', 'Tokai']);
    expect(read.body['joinedOn']).to.match(/^\d{4}-\d{2}-\d{2}$/);
    const before = (await call('GET', '/api/billing/fee-schedules', { who: 'operator' })).body as unknown;
    expect(before).to.be.an('array');
    // in force long after every period the other tests read
    const schedule = { ...DEFAULT_FEE_SCHEDULE, version: '2030-04', effectiveFrom: '2030-04-01' };
    const added = await call('POST', '/api/billing/fee-schedules', { who: 'operator', body: schedule });
    expect(added.status, added.text).to.equal(201);
    expect(added.body).to.deep.equal(schedule);
    const after = (await call('GET', '/api/billing/fee-schedules', { who: 'operator' })).body as unknown;
    expect(after).to.deep.equal([...(before as unknown[]), schedule]);
  });
});
