import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { claimMembership } from '../../orchestrator/src/accounts/team-members.ts';
import {
  answer,
  EVIDENCE_SCENARIO,
  evidencePlans,
  insertExercise,
} from '../../orchestrator/src/analytics/analytics-test-data.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { pdfPages } from '../../orchestrator/src/documents/pdf-test-tools.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { NiceCatalogueStore } from '../../orchestrator/src/nice/nice-catalogue-store.ts';
import { niceTestData } from '../../orchestrator/src/nice/nice-test-data.ts';
import { ScoringService } from '../../orchestrator/src/scoring-service/scoring-service.ts';
import { ScoringStore } from '../../orchestrator/src/scoring-service/scoring-store.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { en } from '../../web-console/src/i18n/en.ts';
import { calendarDay, formatDay } from '../../web-console/src/platform-zone.ts';
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

/**
 * The analytics pages (issue 14, item 5) in Chromium on a real platform: the shipped catalogue plus
 * a small scenario mapped to NICE v2.1.0 (`evidence-test`), NIST's v2.1.0 catalogue imported, one
 * ended exercise of a training company in which two trainees solved objectives (written before the
 * platform starts, through the real scoring service). No container is started.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(REPO, 'tests', 'e2e', 'screenshots');
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
/** axe-core's browser build, injected by the test (never bundled into the console). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const EX = 'an-drill';
const INSTRUCTOR = { email: 'sensei@analytics.test', password: 'analytics e2e instructor 1', name: 'Sensei' };
const ALICE = { email: 'alice@analytics.test', password: 'analytics e2e alice pass 1', name: 'Alice' };
const BOB = { email: 'bob@analytics.test', password: 'analytics e2e bob pass 1', name: 'Bob' };

interface Json<T> {
  status: number;
  body: T;
}

interface RoleRow {
  id: string;
  covered: number;
  total: number;
  percent: number | null;
  byType: Record<string, { covered: number; total: number }>;
}

describe('analytics pages (browser)', function () {
  this.timeout(240_000);
  skipAfterFirstFailure();

  let dir: string;
  let platform: RunningPlatform | undefined;
  let origin: string;
  let browser: TestBrowser | undefined;
  let staff: Page;
  let aliceId: string;
  let bobId: string;
  let launched: number;

  const signIn = async (page: Page, who: { email: string; password: string }, next: string) => {
    await page.goto(`${origin}/#/login?next=${encodeURIComponent(next)}`);
    await page.getByTestId('login-email').fill(who.email);
    await page.getByTestId('login-password').fill(who.password);
    await page.getByTestId('login-submit').click();
  };

  /** The API's JSON as the page's session reads it. */
  const apiJson = (page: Page, url: string): Promise<{ status: number; body: unknown }> =>
    page.evaluate(async (u) => {
      const r = await fetch(u, { headers: { accept: 'application/json' } });
      return { status: r.status, body: (await r.json()) as unknown };
    }, url);
  const started = (): TestBrowser => {
    if (!browser) throw new Error('the browser did not start');
    return browser;
  };

  const shootBoth = async (page: Page, name: string, label: { en: string; ja: string }) => {
    for (const lang of ['en', 'ja'] as const) {
      await selectLanguage(page, lang);
      await page.waitForFunction((text) => document.body.innerText.includes(text), label[lang]);
      await page.evaluate(NAME_SHIM);
      checkLanguage(await page.evaluate(visibleText), lang, label[lang]);
      expect(
        await page.evaluate(findOverflow, 'main'),
        `text leaving its box on ${name} (${lang})`,
      ).to.deep.equal([]);
      expect(await seriousAxeViolations(page), `axe on ${name} (${lang})`).to.deep.equal([]);
      await screenshot(page, lang, name, SHOTS);
    }
    await selectLanguage(page, 'en');
  };

  before(async function () {
    this.timeout(120_000);
    if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-analytics-e2e-'));
    const scenarios = path.join(dir, 'scenarios');
    cpSync(path.join(REPO, 'scenarios'), scenarios, { recursive: true });
    mkdirSync(path.join(scenarios, 'evidence-test'), { recursive: true });
    writeFileSync(path.join(scenarios, 'evidence-test', 'scenario.yaml'), EVIDENCE_SCENARIO);
    const dataDir = path.join(dir, 'data');
    await new NiceCatalogueStore(dataDir).import(niceTestData.path('v210'));

    const database = await openDatabase(dataDir);
    try {
      const accounts = new AccountService({ db: database.db });
      await accounts.ensureFirstOperator();
      const org = await accounts.createOrganisation({ name: 'Analytics School', kind: 'training-company' });
      const instructorId = (await accounts.createUser({ orgId: org.id, role: 'instructor', ...INSTRUCTOR }))
        .user.id;
      aliceId = (await accounts.createUser({ orgId: org.id, role: 'trainee', ...ALICE })).user.id;
      bobId = (await accounts.createUser({ orgId: org.id, role: 'trainee', ...BOB })).user.id;
      launched = Date.now() - 3 * 3_600_000;
      const plans = evidencePlans(EX, 2);
      await insertExercise(database.db, {
        id: EX,
        orgId: org.id,
        scenarioId: 'evidence-test',
        version: '1.0.0',
        at: launched,
        teams: plans,
        state: 'ended',
        createdBy: instructorId, // the instructor's class
      });
      await claimMembership(database.db, {
        exerciseId: EX,
        teamId: 'team-1',
        displayName: 'Alice',
        userId: aliceId,
        now: launched,
      });
      await claimMembership(database.db, {
        exerciseId: EX,
        teamId: 'team-2',
        displayName: 'Bob',
        userId: bobId,
        now: launched,
      });
      let now = launched;
      const scoring = new ScoringService({
        store: new ScoringStore(database.sqlite),
        plans: () => Promise.resolve(plans),
        clock: () => (now += 60_000),
      });
      await scoring.start(EX);
      expect((await scoring.submit(EX, 'team-1', 'recon', '8080', aliceId)).outcome).to.equal('correct');
      const flag = answer(plans, 'team-1', 'capture');
      expect((await scoring.submit(EX, 'team-1', 'capture', flag, aliceId)).outcome).to.equal('correct');
      expect((await scoring.submit(EX, 'team-2', 'recon', '8080', bobId)).outcome).to.equal('correct');
      await scoring.stopTimers();
    } finally {
      await database.close();
    }
    platform = await startPlatform(
      loadConfig({ CYROP_SUBNET_POOL: '10.238.0.0/16' }, { port: 0, dataDir, scenariosDir: scenarios }),
      pino({ level: 'silent' }),
    );
    origin = platform.url.replace(/\/$/, '');
    browser = await launchBrowser();
    staff = (await started().newPage({ acceptDownloads: true })).page;
  });

  after(async () => {
    await browser?.close();
    await platform?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the instructor’s #/analytics: overall coverage with its denominator, bars by type, and heatmap cells equal to the API’s numbers', async () => {
    await signIn(staff, INSTRUCTOR, '#/analytics');
    await staff.getByTestId('nav-analytics').waitFor();
    await staff.getByTestId('heatmap').waitFor();
    const api = (await apiJson(staff, '/api/analytics/coverage?framework=nice-2.1.0&scope=shipped')) as Json<{
      overall: RoleRow;
      byRole: RoleRow[];
      byType: Record<string, RoleRow>;
      categories: { id: string; name: string }[];
    }>;
    expect(api.status).to.equal(200);
    const overall = staff.getByTestId('coverage-overall');
    expect(await overall.getAttribute('data-covered')).to.equal(String(api.body.overall.covered));
    expect(await overall.getAttribute('data-total')).to.equal(String(api.body.overall.total));
    // the shipped six + evidence-test: more than the shipped 74, out of every v2.1.0 statement
    expect(api.body.overall.total).to.equal(2148);
    expect(await overall.innerText()).to.include(
      `${api.body.overall.covered} of 2,148 statements (${api.body.overall.percent === null ? '' : api.body.overall.percent.toFixed(1)} %)`,
    );
    for (const [type, f] of Object.entries(api.body.byType)) {
      const li = staff.locator(`[data-testid="coverage-by-type"] li[data-type="${type}"]`);
      expect(await li.getAttribute('data-covered'), type).to.equal(String(f.covered));
      expect(await li.innerText()).to.include(
        `${f.covered.toLocaleString('en')} of ${f.total.toLocaleString('en')}`,
      );
    }
    const cells = staff.locator('[data-testid="heatmap-cell"][data-column="direct"]');
    expect(await cells.count()).to.equal(api.body.byRole.length);
    const someCovered = api.body.byRole.filter((r) => r.covered > 0).slice(0, 3);
    expect(someCovered.length, 'roles with covered statements').to.be.greaterThan(0);
    for (const role of [...someCovered, api.body.byRole[0]!, api.body.byRole[api.body.byRole.length - 1]!]) {
      const cell = staff.locator(
        `[data-testid="heatmap-cell"][data-column="direct"][data-role="${role.id}"]`,
      );
      expect(await cell.getAttribute('data-covered'), role.id).to.equal(String(role.covered));
      expect(await cell.getAttribute('data-total'), role.id).to.equal(String(role.total));
      expect(await cell.textContent(), role.id).to.include(`${role.covered} / ${role.total}`);
      expect(await cell.getAttribute('aria-label'), role.id).to.include(
        `${role.covered} of ${role.total} statements`,
      );
    }
    // the framework choice is the API's list: NIST's names, versions not imported disabled
    const options = await staff
      .locator('[data-testid="analytics-framework"] option')
      .evaluateAll((os) => os.map((o) => [o.getAttribute('value'), (o as HTMLOptionElement).disabled]));
    expect(options).to.deep.equal([
      ['nice-sp800-181r0', true],
      ['nice-1.0.0', true],
      ['nice-2.0.0', true],
      ['nice-2.1.0', false],
    ]);
    expect(await staff.locator('[data-testid="analytics-framework"]').inputValue()).to.equal('nice-2.1.0');
    expect(await staff.locator('.analytics-coverage h2').innerText()).to.equal(
      'Coverage of NICE Framework Components v2.1.0',
    );
    // the role × statement type grid: one cell per role and type, the API's role figures by type
    expect(Object.keys(api.body.byType)).to.deep.equal(['task', 'knowledge', 'skill']);
    for (const type of ['task', 'knowledge', 'skill']) {
      expect(
        await staff.locator(`[data-testid="heatmap-cell"][data-column="${type}"]`).count(),
        type,
      ).to.equal(api.body.byRole.length);
    }
    for (const role of someCovered) {
      for (const [type, f] of Object.entries(role.byType)) {
        const cell = staff.locator(
          `[data-testid="heatmap-cell"][data-column="${type}"][data-role="${role.id}"]`,
        );
        expect(await cell.getAttribute('data-covered'), `${role.id} ${type}`).to.equal(String(f.covered));
        expect(await cell.getAttribute('data-total'), `${role.id} ${type}`).to.equal(String(f.total));
        expect(await cell.getAttribute('aria-label'), `${role.id} ${type}`).to.include(
          `${f.covered} of ${f.total} statements`,
        );
      }
    }
    // the category headings are the framework file's names (v2.1.0: "PROTECTION and DEFENSE")
    const headings = await staff.getByTestId('heatmap-group').allTextContents();
    expect(api.body.categories.find((c) => c.id === 'PD')?.name).to.equal('PROTECTION and DEFENSE');
    expect(headings).to.include('PD — Protection and Defense');
    expect(headings.length).to.equal(new Set(api.body.byRole.map((r) => r.id.slice(0, 2))).size);
    // a covered cell is coloured differently from an uncovered one
    const uncovered = api.body.byRole.find((r) => r.covered === 0);
    if (uncovered) {
      const fill = (id: string) =>
        staff
          .locator(`[data-testid="heatmap-cell"][data-column="direct"][data-role="${id}"] rect`)
          .getAttribute('fill');
      expect(await fill(someCovered[0]!.id)).to.not.equal(await fill(uncovered.id));
    }
    await shootBoth(staff, 'analytics-coverage', {
      en: 'Work roles × statement types',
      ja: '職務ロール × ステートメントの種類',
    });
  });

  it('a role’s gaps: the API’s list with NIST’s English text, and the CSV downloads', async () => {
    await staff.getByTestId('gaps-role').selectOption('PD-WRL-001');
    await staff.locator('[data-testid="gaps-summary"]', { hasText: 'PD-WRL-001' }).waitFor();
    const api = (await apiJson(
      staff,
      '/api/analytics/gaps?framework=nice-2.1.0&scope=shipped&role=PD-WRL-001',
    )) as Json<{ gaps: { id: string; text: string }[] }>;
    const rows = staff.locator('[data-testid="gaps-table"] tbody tr');
    expect(await rows.count()).to.equal(api.body.gaps.length);
    const first = api.body.gaps[0]!;
    expect(await rows.first().getAttribute('data-statement')).to.equal(first.id);
    expect(await rows.first().innerText()).to.include(first.text);
    const [download] = await Promise.all([
      staff.waitForEvent('download'),
      staff.getByTestId('gaps-csv').click(),
    ]);
    const file = path.join(dir, 'gaps.csv');
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    expect(csv).to.include('work_role,statement_id,type,text');
    expect(csv).to.include(`PD-WRL-001,${first.id},`);
  });

  it('material use: the exercise’s material is used, the others are listed as not used', async () => {
    const util = staff.getByTestId('usage-utilisation');
    await util.waitFor();
    const api = (await apiJson(
      staff,
      `/api/analytics/usage?from=${await staff.getByTestId('usage-from').inputValue()}&to=${await staff.getByTestId('usage-to').inputValue()}`,
    )) as Json<{ utilisation: RoleRow; neverUsed: { id: string }[] }>;
    expect(api.status).to.equal(200);
    expect(await util.getAttribute('data-covered')).to.equal(String(api.body.utilisation.covered));
    expect(await util.getAttribute('data-total')).to.equal(String(api.body.utilisation.total));
    expect(api.body.utilisation.covered).to.equal(1);
    expect(
      await staff
        .locator('[data-testid="usage-bars"] li[data-material="evidence-test"]')
        .getAttribute('data-launches'),
    ).to.equal('1');
    expect(await staff.locator('[data-testid="usage-never"] li').count()).to.equal(api.body.neverUsed.length);
    expect(
      await staff.locator('[data-testid="usage-never"] li[data-material="evidence-test"]').count(),
    ).to.equal(0);
    // utilisation over time: the launch's month shows it used, the others none
    await staff.getByTestId('usage-monthly').waitFor();
    // months of the platform's time zone (Asia/Tokyo), whatever the browser's
    const month = calendarDay(launched, 'Asia/Tokyo').slice(0, 7);
    const months = await staff
      .locator('[data-testid="usage-monthly"] li')
      .evaluateAll((lis) =>
        lis.map((li) => [li.getAttribute('data-month'), li.getAttribute('data-covered')]),
      );
    expect(months).to.have.length(6);
    for (const [m, covered] of months) expect(covered, `month ${m}`).to.equal(m === month ? '1' : '0');
    await staff.getByTestId('analytics-usage').scrollIntoViewIfNeeded();
    await shootBoth(staff, 'analytics-usage', {
      en: 'Materials launched with real teams',
      ja: '実際のチームで起動された教材',
    });
  });

  it('prints without the navigation and the controls', async () => {
    await staff.emulateMedia({ media: 'print' });
    expect(await staff.locator('header.topbar').isVisible()).to.equal(false);
    expect(await staff.getByTestId('analytics-framework').isVisible()).to.equal(false);
    expect(await staff.getByTestId('heatmap').isVisible()).to.equal(true);
    await screenshot(staff, 'en', 'analytics-print', SHOTS);
    await staff.emulateMedia({ media: 'screen' });
  });

  it('a trainee sees their own progress only, and downloads the transcript PDF', async () => {
    const { page } = await started().newPage({ acceptDownloads: true });
    await signIn(page, ALICE, '#/analytics/me');
    await page.getByTestId('progress-roles').waitFor();
    expect(await page.getByTestId('nav-analytics').count(), 'no staff analytics link').to.equal(0);
    const own = (await apiJson(page, `/api/analytics/trainees/${aliceId}/evidence`)) as Json<{
      frameworks: {
        statements: { id: string }[];
        roles: { id: string; demonstrated: number; total: number }[];
      }[];
    }>;
    const fw = own.body.frameworks.find((f) => f.statements.length > 0)!;
    const shown = await page
      .locator('[data-testid="progress-statements"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-statement')));
    expect(shown.sort()).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    expect(fw.statements.map((s) => s.id).sort()).to.deep.equal(shown);
    const role = fw.roles.find((r) => r.id === 'PD-WRL-001')!;
    const li = page.locator('[data-testid="progress-roles"] li[data-role="PD-WRL-001"]');
    expect(await li.innerText()).to.include(`${role.demonstrated} of ${role.total} statements demonstrated`);
    // another trainee's evidence is not hers to read, and the staff page is refused
    expect((await apiJson(page, `/api/analytics/trainees/${bobId}/evidence`)).status).to.equal(404);
    await shootBoth(page, 'analytics-me', { en: 'statements demonstrated', ja: 'ステートメントを実証' });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('transcript-pdf-ja').click(),
    ]);
    const file = path.join(dir, 'transcript.pdf');
    await download.saveAs(file);
    const pdf = readFileSync(file);
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const text = pdfPages(pdf).join('\n');
    expect(text).to.include('S0875');
    expect(text).to.match(JAPANESE);

    await page.goto(`${origin}/#/analytics`);
    await page.getByText('This page is for instructors').waitFor();
    await page.context().close();

    // Bob, in the other team, sees his two statements and not Alice's
    const bob = (await started().newPage()).page;
    await signIn(bob, BOB, '#/analytics/me');
    await bob.getByTestId('progress-statements').waitFor();
    const bobShown = await bob
      .locator('[data-testid="progress-statements"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-statement')));
    expect(bobShown.sort()).to.deep.equal(['K1193', 'T1084']);
    await bob.context().close();
    expect(started().cspViolations).to.deep.equal([]);
  });

  it('dates are days in the platform’s time zone (Asia/Tokyo), labelled, in a browser set to another zone', async () => {
    // when Alice first demonstrated T1084 (her recon), as the API says (the instructor may read it)
    const evidence = (await apiJson(staff, `/api/analytics/trainees/${aliceId}/evidence`)) as Json<{
      frameworks: { statements: { id: string; firstAt: number }[] }[];
    }>;
    const first = evidence.body.frameworks
      .flatMap((f) => f.statements)
      .find((x) => x.id === 'T1084')!.firstAt;
    // that instant is another calendar day in one of these two zones than in Tokyo, whatever the
    // hour (Tokyo +9, Pago Pago −11, Kiritimati +14): that one is the browser's
    const zone = ['Pacific/Pago_Pago', 'Pacific/Kiritimati'].find(
      (z) => calendarDay(first, z) !== calendarDay(first, 'Asia/Tokyo'),
    )!;
    const { page } = await started().newPage({ timezoneId: zone });
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).to.equal(zone);
    await signIn(page, ALICE, '#/analytics/me');
    await page.getByTestId('progress-statements').waitFor();
    expect(await page.getByTestId('progress-zone').innerText()).to.include('Asia/Tokyo');
    expect(await page.locator('[data-testid="progress-statements"] thead').innerText()).to.include(
      'First demonstrated (Asia/Tokyo)',
    );
    const row = page
      .locator('[data-testid="progress-statements"] tbody tr[data-statement="T1084"] td')
      .last();
    const at = Number(await row.getAttribute('data-first'));
    expect(at).to.equal(first);
    expect(await row.innerText()).to.equal(formatDay(at, 'Asia/Tokyo', 'en'));
    expect(await row.innerText()).to.not.equal(formatDay(at, zone, 'en'));
    await page.context().close();

    // the staff page's default period ends today in Tokyo, and says so
    const other = (await started().newPage({ timezoneId: zone })).page;
    await signIn(other, INSTRUCTOR, '#/analytics');
    await other.getByTestId('usage-period').waitFor();
    expect(await other.getByTestId('usage-to').inputValue()).to.equal(calendarDay(Date.now(), 'Asia/Tokyo'));
    expect(await other.getByTestId('usage-period').innerText()).to.include('Asia/Tokyo');
    await other.context().close();
  });
});

/** The fixed parts (12 characters or more) of the analytics pages' English messages: none on a Japanese page. */
const ENGLISH_ONLY = Object.entries(en)
  .filter(([key]) => /^(?:analytics\.|progress\.)/.test(key))
  .map(([, text]) => text.split('{')[0]!.trim())
  .filter((text) => text.length >= 12);

function checkLanguage(text: string, lang: 'en' | 'ja', label: string): void {
  if (lang === 'ja')
    for (const english of ENGLISH_ONLY)
      expect(text, 'English message on the Japanese page').to.not.include(english);
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  else expect(text, 'no Japanese text on the English page').to.not.match(JAPANESE);
  expect(text, 'no raw message key').to.not.match(/\b(?:analytics|progress)\.[a-z][A-Za-z0-9]*\b/);
  expect(text, 'no unfilled {placeholder}').to.not.match(/\{[a-z]+\}/i);
}

/** axe-core's serious and critical violations on the page as it is (the bar of accessibility.test.ts). */
async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    interface AxeResult {
      violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
    }
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact ?? ''}): ${v.nodes
            .slice(0, 3)
            .map((n) => n.target.join(' '))
            .join(', ')}`,
      );
  });
}
