import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { en } from '../../web-console/src/i18n/en.ts';
import { addMonths } from '../../web-console/src/views/business-api.ts';
import { apiClient } from '../api-client.ts';
import {
  launchBrowser,
  screenshot,
  selectLanguage,
  findOverflow,
  NAME_SHIM,
  skipAfterFirstFailure,
  type TestBrowser,
  visibleText,
} from './browser.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(REPO, 'tests', 'e2e', 'screenshots');

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: biz-part, version: 1.0.0, title: Part, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
  - { id: q1, kind: question, title: Q1, points: 1, question: { answers: ["a"] } }
`;

const ACME_ADMIN = { email: 'keiko@acme.example', password: 'keiko secret password 1', name: 'Keiko' };
const BETA_ADMIN = { email: 'ben@beta.example', password: 'ben secret password 1', name: 'Ben' };
/** An org-admin of a customer organisation: it buys courses and sells nothing. */
const CUST_ADMIN = { email: 'kenji@cust.example', password: 'kenji secret password 1', name: 'Kenji' };
const OPERATOR_PASSWORD = 'business e2e operator secret 1';

/** Today in Japan (the books' dates) and its month: the page opens on this month. */
function todayInJapan(): { day: string; period: string } {
  const day = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  return { day, period: day.slice(0, 7) };
}

/**
 * The Business pages of a training company and the operator's Revenue pages (headless Chromium; the
 * platform with the in-memory engine). A company admin records two sales in the form (after a
 * refused one naming the field), imports a CSV with one bad line (sees that line, nothing imported),
 * then the corrected file, reverses one sale after a confirmation naming it, and downloads the
 * month's statement as PDF; the operator sees the month's usage fee and the course run flagged for
 * usage without sales; another company's admin sees none of it. Each page in both languages,
 * checked for language and overflow, and photographed.
 */
describe('business and revenue pages (headless Chromium, in-memory engine)', function () {
  this.timeout(180_000);
  skipAfterFirstFailure();
  let dir: string;
  let platform: RunningPlatform;
  let browser: TestBrowser;
  let admin: Page;
  let acmeId = '';
  let runId = '';
  const { day, period } = todayInJapan();

  const ok = async (c: ReturnType<typeof apiClient>, method: string, url: string, body?: unknown) => {
    const res = await c(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  const signIn = async (page: Page, who: { email: string; password: string }, hash: string) => {
    await page.goto(`${platform.url}#/login?next=${encodeURIComponent(hash)}`);
    await page.getByTestId('login-email').fill(who.email);
    await page.getByTestId('login-password').fill(who.password);
    await page.getByTestId('login-submit').click();
    await page.waitForFunction((h) => location.hash === h, hash);
  };

  const shootBoth = async (page: Page, name: string, label: { en: string; ja: string }, prefixes: RegExp) => {
    for (const lang of ['en', 'ja'] as const) {
      await selectLanguage(page, lang);
      await page.waitForFunction((text) => document.body.innerText.includes(text), label[lang]);
      await page.evaluate(NAME_SHIM);
      checkLanguage(await page.evaluate(visibleText), lang, label[lang], prefixes);
      expect(
        await page.evaluate(findOverflow, 'main'),
        `text leaving its box on ${name} (${lang})`,
      ).to.deep.equal([]);
      expect(await seriousViolations(page), `axe on ${name} (${lang})`).to.deep.equal([]);
      await screenshot(page, lang, name, SHOTS);
    }
    await selectLanguage(page, 'en');
  };

  before(async () => {
    if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-e2e-business-'));
    mkdirSync(path.join(dir, 'catalogue', 'biz-part'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'biz-part', 'scenario.yaml'), SCENARIO);
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none' },
        { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
      ),
      pino({ level: 'silent' }),
      { driver: new FakeRuntimeDriver() },
    );
    const operator = apiClient(platform.url);
    await ok(operator, 'POST', '/api/auth/login', { email: first.email, password: first.password });
    await ok(operator, 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: OPERATOR_PASSWORD,
    });
    // the statements' issuer needs its qualified-invoice registration number
    const orgs = (await ok(operator, 'GET', '/api/organisations')) as {
      organisations: { id: string; kind: string }[];
    };
    const operatorOrg = orgs.organisations.find((o) => o.kind === 'operator')!;
    await ok(operator, 'PATCH', `/api/organisations/${operatorOrg.id}`, {
      name: 'CYROP運営',
      invoiceRegistrationNumber: 'T7000012050002',
    });
    const made = async (name: string, kind: string, extra: Record<string, unknown> = {}) =>
      ((await ok(operator, 'POST', '/api/organisations', { name, kind, ...extra })) as { id: string }).id;
    acmeId = await made('Acme Training', 'training-company', { category: 'sme' });
    const betaId = await made('Beta Academy', 'training-company');
    const custId = await made('Cust KK', 'customer');
    await ok(operator, 'PUT', `/api/billing/organisations/${acmeId}/co-nexus`, { names: ['C'] });
    for (const [org, who] of [
      [acmeId, ACME_ADMIN],
      [betaId, BETA_ADMIN],
    ] as const)
      await ok(operator, 'POST', `/api/organisations/${org}/users`, { ...who, role: 'org-admin' });
    await ok(operator, 'POST', `/api/organisations/${custId}/users`, { ...CUST_ADMIN, role: 'org-admin' });
    await ok(operator, 'POST', `/api/organisations/${custId}/users`, {
      email: 'hanako@cust.example',
      name: 'Hanako',
      role: 'trainee',
      password: 'hanako secret password 1',
    });
    // a course run for the customer with a trainee in its exercise and no sale: metering flags it
    const course = (await ok(operator, 'POST', '/api/courses', {
      orgId: acmeId,
      title: { ja: 'インシデント対応入門', en: 'Incident response basics' },
      scenarios: [{ id: 'biz-part', version: '1.0.0' }],
      pricePerSeat: 50_000,
      capacity: 10,
      schedule: { days: 1, hoursPerDay: 6 },
    })) as { id: string };
    runId = (
      (await ok(operator, 'POST', `/api/courses/${course.id}/runs`, {
        customerOrgId: custId,
        startsAt: `${period}-01`,
        endsAt: day,
      })) as { id: string }
    ).id;
    await ok(operator, 'POST', `/api/course-runs/${runId}/enrolments`, { emails: ['hanako@cust.example'] });
    const launched = (await ok(operator, 'POST', `/api/course-runs/${runId}/launch`, { position: 1 })) as {
      exercises: { exerciseId: string }[];
    };
    const exerciseId = launched.exercises[0]!.exerciseId;
    for (let i = 0; i < 200; i++) {
      const e = (await ok(operator, 'GET', `/api/exercises/${exerciseId}`)) as { state: string };
      if (e.state === 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const player = apiClient(platform.url);
    await ok(player, 'POST', '/api/auth/login', {
      email: 'hanako@cust.example',
      password: 'hanako secret password 1',
    });
    await ok(player, 'POST', `/api/me/exercises/${exerciseId}/enter`);
    browser = await launchBrowser();
    admin = (await browser.newPage({ acceptDownloads: true })).page;
  });

  after(async () => {
    await browser.close();
    await platform.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const saleRow = (customer: string) =>
    admin.locator(`[data-testid="sale-row"][data-customer="${customer}"]`);

  it('a company admin records two sales in the form; a missing customer is named before anything is sent', async () => {
    await signIn(admin, ACME_ADMIN, '#/business');
    await selectLanguage(admin, 'en');
    await admin.getByTestId('sales-none').waitFor();
    expect(await admin.getByTestId('nav-business').count(), 'a training company has the link').to.equal(1);
    expect(await admin.getByTestId('sale-date').inputValue()).to.equal(day);

    await admin.getByTestId('sale-seats').fill('2');
    await admin.getByTestId('sale-unitPrice').fill('50000');
    await admin.getByTestId('sale-submit').click();
    expect(await admin.getByTestId('sale-customer-error').innerText()).to.equal('Customer: required.');
    expect(await admin.getByTestId('sale-customer').getAttribute('aria-invalid')).to.equal('true');
    expect(await admin.getByTestId('sales-none').count(), 'nothing recorded').to.equal(1);

    await admin.getByTestId('sale-customer').fill('Cust KK');
    // the company's run is offered by its course's title and first day (in Japan)
    expect(
      await admin.locator(`[data-testid="sale-courseRun"] option[value="${runId}"]`).innerText(),
    ).to.equal(`Incident response basics, from ${period}-01`);
    await admin.getByTestId('sale-courseRun').selectOption('');
    await admin.getByTestId('sale-submit').click();
    await saleRow('Cust KK').waitFor();
    expect(await saleRow('Cust KK').getAttribute('data-yen'), 'amount = seats × unit price').to.equal(
      '100000',
    );

    await admin.getByTestId('sale-customer').fill('Beta Learning');
    await admin.getByTestId('sale-seats').fill('3');
    await admin.getByTestId('sale-unitPrice').fill('10000');
    await admin.getByTestId('sale-amount').fill('31000');
    await admin.getByTestId('sale-submit').click();
    expect(await admin.getByTestId('sale-amount-error').innerText()).to.equal(
      'Amount: 3 seats × ¥10,000 is ¥30,000, not this amount.',
    );
    await admin.getByTestId('sale-amount').fill('30000');
    await admin.getByTestId('sale-submit').click();
    await saleRow('Beta Learning').waitFor();
    expect(await admin.getByTestId('sales-net').innerText()).to.equal('¥130,000');
  });

  it('imports a CSV: one bad line is shown and nothing is imported; the corrected file imports', async () => {
    const bad = `\uFEFF日付,顧客,席数,単価,金額\n${day},Gamma,1,20000,\n${day},Delta,x,15000,\n`;
    await admin
      .getByTestId('sales-import-file')
      .setInputFiles({ name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    const problems = admin.getByTestId('sales-import-problem');
    await problems.first().waitFor();
    // every problem of the file is on its one bad line (seats, and so the amount it would give)
    const lines = await problems.evaluateAll((items) => items.map((li) => li.getAttribute('data-line')));
    expect(new Set(lines)).to.deep.equal(new Set(['3']));
    expect(await problems.first().innerText()).to.match(/^Line 3, column “席数”: /);
    expect(await saleRow('Gamma').count(), 'nothing imported from a file with errors').to.equal(0);
    await shootBoth(
      admin,
      'business-import-refused',
      { en: 'Nothing was imported', ja: '取り込みませんでした' },
      /^business\./,
    );
    // the server names each problem by code; the page says it in Japanese, the cell's value quoted
    await selectLanguage(admin, 'ja');
    await admin.waitForFunction(() => document.body.innerText.includes('取り込みませんでした'));
    expect(await problems.allInnerTexts()).to.deep.equal([
      '3 行目、列「席数」：「x」は整数ではありません。',
      '3 行目、列「金額」：金額がありません。金額、または席数と単価を入れてください。',
    ]);
    await selectLanguage(admin, 'en');
    expect(await problems.allInnerTexts()).to.deep.equal([
      'Line 3, column “席数”: “x” is not a whole number.',
      'Line 3, column “金額”: No amount: give the amount, or seats and unit price.',
    ]);

    const good = bad.replace(',x,', ',1,');
    await admin
      .getByTestId('sales-import-file')
      .setInputFiles({ name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await admin.getByTestId('sales-import-done').waitFor();
    expect(await admin.getByTestId('sales-import-done').innerText()).to.equal(
      'Imported 2 sales, ¥35,000 in total.',
    );
    await saleRow('Delta').waitFor();
    expect(await admin.getByTestId('sales-net').innerText()).to.equal('¥165,000');
  });

  it('reverses a sale after a confirmation naming it; the reversal is listed and the statement follows', async () => {
    await saleRow('Beta Learning').getByTestId('sale-reverse').click();
    expect(await admin.getByTestId('sale-reverse-question').innerText()).to.equal(
      `Reverse the sale to Beta Learning of ${day} for ¥30,000? A reversing entry is recorded; nothing is deleted.`,
    );
    await admin.getByTestId('sale-reverse-reason').fill('customer cancelled');
    await admin.getByTestId('sale-reverse-confirm').click();
    await admin
      .locator('[data-testid="sale-row"][data-customer="Beta Learning"][data-reversed="true"]')
      .waitFor();
    const reversal = admin.locator('[data-testid="reversal-row"][data-customer="Beta Learning"]');
    expect(await reversal.getAttribute('data-yen')).to.equal('-30000');
    expect(await admin.getByTestId('sales-net').innerText()).to.equal('¥135,000');
    // 10 % of ¥135,000 = ¥13,500, tax ¥1,350
    const summary = admin.getByTestId('statement-summary');
    expect(await summary.getAttribute('data-total-yen')).to.equal('14850');
    expect(await summary.innerText()).to.contain('usage fee ¥13,500 + tax ¥1,350 = ¥14,850');
    // the course run has a trainee in it and no sale this month: the company is told too
    await admin.getByTestId('usage-flagged').waitFor();
    await shootBoth(admin, 'business', { en: 'Sales in', ja: 'の売上' }, /^business\./);
    // printed: the books stay, the controls go
    await admin.emulateMedia({ media: 'print' });
    expect(await admin.getByTestId('sales-list').isVisible()).to.equal(true);
    expect(await admin.getByTestId('statement-summary').isVisible()).to.equal(true);
    for (const control of ['sale-form', 'sales-import-file', 'business-month', 'sale-reverse'])
      expect(await admin.getByTestId(control).first().isVisible(), `${control} printed`).to.equal(false);
    expect(await admin.locator('header.topbar').isVisible(), 'the top bar printed').to.equal(false);
    await screenshot(admin, 'en', 'business-print', SHOTS);
    await admin.emulateMedia({ media: 'screen' });
  });

  it('downloads the month’s statement as a Japanese PDF listing the sales', async () => {
    const row = admin.locator(`[data-testid="statement-row"][data-period="${period}"]`);
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      row.getByTestId('statement-pdf-ja').click(),
    ]);
    const file = path.join(dir, 'statement.pdf');
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).to.contain('Cust KK');
    expect(text).to.contain('Delta');
    expect(text.replace(/\s/g, '')).to.contain('14,850');
  });

  it('the operator sees the month’s usage fee, the CYNEX fee by category and the flagged course run', async () => {
    // the year's CYNEX fee invoices issued: Acme (SME, one Co-Nexus) owes ¥550,000 with tax, aged 0–30 days
    const operator = apiClient(platform.url);
    await ok(operator, 'POST', '/api/auth/login', { email: 'admin@localhost', password: OPERATOR_PASSWORD });
    const fiscalYear =
      Number(period.slice(5)) >= 4 ? Number(period.slice(0, 4)) : Number(period.slice(0, 4)) - 1;
    await ok(operator, 'POST', `/api/billing/fees/${fiscalYear}/issue`);
    const op = (await browser.newPage()).page;
    const billingCalls: string[] = [];
    op.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/billing/')) billingCalls.push(url.pathname);
    });
    await signIn(op, { email: 'admin@localhost', password: OPERATOR_PASSWORD }, '#/revenue');
    await selectLanguage(op, 'en');
    const month = op.locator(`[data-testid="revenue-month-row"][data-period="${period}"]`);
    await month.waitFor();
    // the year's chart is one aggregate request, not one statement per company per month
    expect(billingCalls.filter((p) => p === '/api/billing/usage-fees')).to.have.length(1);
    expect(
      billingCalls.filter((p) => p.includes('/statements/') || p === '/api/billing/journal'),
    ).to.deep.equal([]);
    expect(await month.getAttribute('data-fee-yen')).to.equal('13500');
    expect(await month.innerText()).to.contain('¥135,000');
    const bar = op.locator(`[data-testid="revenue-fees-chart"] rect[data-value="13500"]`);
    expect(await bar.count(), 'the month has its bar').to.equal(1);
    const flagged = op.locator('[data-testid="revenue-flagged-row"]');
    await flagged.first().waitFor();
    expect(await flagged.count()).to.equal(1);
    expect(await flagged.getAttribute('data-run-id')).to.equal(runId);
    expect(await flagged.innerText()).to.contain('Acme Training');
    expect(await flagged.innerText()).to.contain('Cust KK');
    const sme = op.locator('[data-testid="revenue-category-row"][data-category="sme"]');
    expect(await sme.getAttribute('data-yen'), 'SME, one Co-Nexus').to.equal('500000');
    expect(await op.getByTestId('revenue-owed-total').getAttribute('data-yen')).to.equal('550000');
    const owed = op.locator('[data-testid="revenue-owed-row"]');
    expect(await owed.getAttribute('data-bucket')).to.equal('0-30');
    expect(await owed.innerText()).to.contain('Acme Training');
    const segment = op.locator('[data-testid="revenue-owed-chart"] rect[data-label="0–30 days"]');
    expect(await segment.getAttribute('data-value')).to.equal('550000');
    expect(await segment.getAttribute('width'), 'the whole bar is 0–30 days').to.equal('720.0');
    await shootBoth(op, 'revenue', { en: 'Usage fees by month', ja: '月別利用料' }, /^revenue\./);
    await op.emulateMedia({ media: 'print' });
    expect(await op.getByTestId('revenue-fees-chart').isVisible()).to.equal(true);
    expect(await op.getByTestId('revenue-year').isVisible(), 'the year control printed').to.equal(false);
    await screenshot(op, 'en', 'revenue-print', SHOTS);
    await op.emulateMedia({ media: 'screen' });
    expect(browser.cspViolations).to.deep.equal([]);
  });

  it('another company’s admin sees none of it, in the page or through the API', async () => {
    const other = (await browser.newPage()).page;
    await signIn(other, BETA_ADMIN, '#/business');
    await other.getByTestId('sales-none').waitFor();
    const text = await other.evaluate(() => document.body.innerText);
    for (const name of ['Cust KK', 'Delta', 'Gamma', 'Beta Learning']) expect(text).to.not.contain(name);
    expect(await other.getByTestId('usage-flagged').count()).to.equal(0);
    const beta = apiClient(platform.url);
    await ok(beta, 'POST', '/api/auth/login', { email: BETA_ADMIN.email, password: BETA_ADMIN.password });
    for (const url of [
      `/api/billing/journal?org=${acmeId}`,
      `/api/billing/organisations/${acmeId}/statements/${period}?format=pdf&lang=ja`,
      `/api/metering/organisations/${acmeId}?from=${period}-01&to=${day}`,
    ])
      expect((await beta('GET', url)).status, url).to.equal(404);
    await other.goto(`${platform.url}#/revenue`);
    await other.getByText(en['revenue.forOperator']).waitFor();
    expect(await other.getByTestId('revenue-month-row').count()).to.equal(0);
  });

  it('a customer organisation’s admin has no Business link, and the page says it is for training companies', async () => {
    const customer = (await browser.newPage()).page;
    await signIn(customer, CUST_ADMIN, '#/account');
    await selectLanguage(customer, 'en');
    await customer.getByTestId('nav-account').waitFor();
    expect(await customer.getByTestId('nav-business').count()).to.equal(0);
    await customer.goto(`${platform.url}#/business`);
    await customer.getByText(en['business.forOrgAdmins']).waitFor();
    expect(await customer.getByTestId('sales-import-file').count()).to.equal(0);
    await customer.close();
  });

  it('a sale of an invoiced month reversed this month: the statement lists the return (date, description, amount, tax per rate) and subtracts it', async () => {
    // last month: a sale to Epsilon, its statement issued (by the operator); then the sale reversed
    // today, which is a return of the fee already charged, on this month's statement
    const operator = apiClient(platform.url);
    await ok(operator, 'POST', '/api/auth/login', { email: 'admin@localhost', password: OPERATOR_PASSWORD });
    const previous = addMonths(period, -1);
    const sale = (await ok(operator, 'POST', `/api/billing/organisations/${acmeId}/sales`, {
      date: `${previous}-15`,
      customer: 'Epsilon Corp',
      amountYen: 40_000,
    })) as { id: string };
    await ok(operator, 'POST', `/api/billing/organisations/${acmeId}/statements/${previous}/issue`);
    await ok(operator, 'POST', `/api/billing/organisations/${acmeId}/sales/${sale.id}/reversal`, {
      reason: 'refund after the course',
    });

    await admin.goto(`${platform.url}#/business`);
    await admin.reload();
    await selectLanguage(admin, 'en');
    const row = admin.getByTestId('statement-return-row');
    await row.waitFor();
    expect(await row.count()).to.equal(1);
    // 10 % of ¥40,000 charged last month = ¥4,000 given back, tax ¥400 at 10 %
    expect(await row.getAttribute('data-date')).to.equal(`${previous}-15`);
    expect(await row.getAttribute('data-yen')).to.equal('4000');
    expect(await row.getAttribute('data-rate')).to.equal('10');
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).to.equal(`${previous}-15`);
    expect(cells[1]).to.contain('Epsilon Corp').and.contain('¥40,000').and.contain(`reversed on ${day}`);
    expect(cells.slice(2)).to.deep.equal(['¥4,000', '10 %']);
    const tax = admin.getByTestId('statement-return-tax');
    expect(await tax.getAttribute('data-taxable-yen')).to.equal('4000');
    expect(await tax.getAttribute('data-tax-yen')).to.equal('400');
    expect(await tax.innerText()).to.contain('Returned at 10 % (tax ¥400)');
    // in the sales list the reversal says where its money went, and this month's net sales are the
    // statement's (¥135,000), not less the earlier month's sale
    const reversal = admin.locator('[data-testid="reversal-row"][data-customer="Epsilon Corp"]');
    expect(await reversal.getAttribute('data-earlier-month')).to.equal('true');
    expect(await reversal.innerText()).to.contain(en['business.reversalEarlier']);
    expect(await admin.getByTestId('sales-net').innerText()).to.equal('¥135,000');
    // this month's ¥14,850 less the ¥4,400 returned with its tax
    const summary = admin.getByTestId('statement-summary');
    expect(await summary.getAttribute('data-total-yen')).to.equal('10450');
    expect(await summary.innerText()).to.contain(
      'usage fee ¥13,500 + tax ¥1,350 − returns ¥4,400 (tax included) = ¥10,450',
    );
    // last month's issued statement has no returns: its sale is a line there
    await admin.getByTestId('business-month').fill(previous);
    await admin.getByTestId('business-month').dispatchEvent('change');
    await admin.locator('[data-testid="statement-summary"][data-issued="true"]').waitFor();
    expect(await admin.getByTestId('statement-returns').count()).to.equal(0);
    await admin.getByTestId('business-month').fill(period);
    await admin.getByTestId('business-month').dispatchEvent('change');
    await row.waitFor();
    await admin.getByTestId('statement-returns').scrollIntoViewIfNeeded();
    await shootBoth(
      admin,
      'business-returns',
      { en: 'Returns on this statement', ja: 'この明細での返還' },
      /^business\./,
    );
    await selectLanguage(admin, 'ja');
    const ja = await row.locator('td').allInnerTexts();
    expect(ja[1]).to.contain('返還').and.contain('Epsilon Corp');
    expect(ja[3]).to.equal('10%');
    await selectLanguage(admin, 'en');
  });
});

/** axe-core's browser build, injected by the test (never bundled into the console). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The serious and critical axe-core violations on the page as it is now (as accessibility.test.ts counts them). */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: unknown,
            opts: unknown,
          ): Promise<{
            passes: unknown[];
            violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    // axe ran: some rules passed (an empty list would otherwise also mean it never looked)
    if (result.passes.length === 0) return ['axe checked nothing'];
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

function checkLanguage(text: string, lang: 'en' | 'ja', label: string, prefixes: RegExp): void {
  // the fixed parts (12 characters or more) of this page's English messages: none on a Japanese page
  const englishOnly = Object.entries(en)
    .filter(([key]) => prefixes.test(key))
    .map(([, message]) => message.split('{')[0]!.trim())
    .filter((message) => message.length >= 12);
  if (lang === 'ja')
    for (const english of englishOnly)
      expect(text, 'English message on the Japanese page').to.not.include(english);
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  expect(text, 'no raw message key').to.not.match(/\b(?:business|revenue)\.[a-z][A-Za-z0-9.]*\b/);
  expect(text, 'no unfilled {placeholder}').to.not.match(/\{[a-z]+\}/i);
}
