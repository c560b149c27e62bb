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
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { ScoringService } from '../../orchestrator/src/scoring-service/scoring-service.ts';
import { ScoringStore } from '../../orchestrator/src/scoring-service/scoring-store.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { en } from '../../web-console/src/i18n/en.ts';
import { ja } from '../../web-console/src/i18n/ja.ts';
import {
  findOverflow,
  launchBrowser,
  NAME_SHIM,
  screenshot,
  selectLanguage,
  skipAfterFirstFailure,
  type TestBrowser,
} from './browser.ts';

/**
 * "Instructors of this exercise" on the exercise page, in Chromium on a real platform: one ended
 * exercise of a training company launched by instructor A, in which trainee Alice solved an
 * objective (written before the platform starts, through the real scoring service). The
 * organisation's admin assigns instructor B from the page; B may then read the class report, and
 * sees the list without any control; taken off again, B is refused once more. No container starts.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(REPO, 'tests', 'e2e', 'screenshots');
/** axe-core's browser build, injected by the test (never bundled into the console). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const EX = 'staff-drill';
const ADMIN = { email: 'admin@staff.test', password: 'staff e2e admin pass 1', name: 'Aiko Admin' };
const INSTR_A = { email: 'a@staff.test', password: 'staff e2e instructor a 1', name: 'Akira Launcher' };
const INSTR_B = { email: 'b@staff.test', password: 'staff e2e instructor b 1', name: 'Beni Second' };
const ALICE = { email: 'alice@staff.test', password: 'staff e2e alice pass 1', name: 'Alice' };

describe('instructors of an exercise (browser)', function () {
  this.timeout(180_000);
  skipAfterFirstFailure();

  let dir: string;
  let platform: RunningPlatform | undefined;
  let origin: string;
  let browser: TestBrowser | undefined;
  let aId: string;
  let bId: string;
  let aliceId: string;

  const started = (): TestBrowser => {
    if (!browser) throw new Error('the browser did not start');
    return browser;
  };

  const signedIn = async (who: { email: string; password: string }): Promise<Page> => {
    const { page } = await started().newPage();
    const next = `#/instructor/exercises/${EX}`;
    await page.goto(`${origin}/#/login?next=${encodeURIComponent(next)}`);
    await page.getByTestId('login-email').fill(who.email);
    await page.getByTestId('login-password').fill(who.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('instructor-list').waitFor();
    return page;
  };

  /** The class report as the page's session reads it. */
  const classReport = (page: Page): Promise<{ status: number; body: { members?: { userId: string }[] } }> =>
    page.evaluate(async (id) => {
      const r = await fetch(`/api/analytics/exercises/${id}/class`, {
        headers: { accept: 'application/json' },
      });
      return { status: r.status, body: (await r.json()) as { members?: { userId: string }[] } };
    }, EX);

  const rows = (page: Page) =>
    page
      .getByTestId('instructor-row')
      .evaluateAll((els) =>
        els.map((e) => ({ id: e.getAttribute('data-user-id'), text: (e as HTMLElement).innerText })),
      );

  before(async function () {
    this.timeout(120_000);
    if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-staff-e2e-'));
    const scenarios = path.join(dir, 'scenarios');
    cpSync(path.join(REPO, 'scenarios'), scenarios, { recursive: true });
    mkdirSync(path.join(scenarios, 'evidence-test'), { recursive: true });
    writeFileSync(path.join(scenarios, 'evidence-test', 'scenario.yaml'), EVIDENCE_SCENARIO);
    const dataDir = path.join(dir, 'data');
    const database = await openDatabase(dataDir);
    try {
      const accounts = new AccountService({ db: database.db });
      await accounts.ensureFirstOperator();
      const org = await accounts.createOrganisation({ name: 'Staff School', kind: 'training-company' });
      await accounts.createUser({ orgId: org.id, role: 'org-admin', ...ADMIN });
      aId = (await accounts.createUser({ orgId: org.id, role: 'instructor', ...INSTR_A })).user.id;
      bId = (await accounts.createUser({ orgId: org.id, role: 'instructor', ...INSTR_B })).user.id;
      aliceId = (await accounts.createUser({ orgId: org.id, role: 'trainee', ...ALICE })).user.id;
      const launched = Date.now() - 3_600_000;
      const plans = evidencePlans(EX, 1);
      await insertExercise(database.db, {
        id: EX,
        orgId: org.id,
        scenarioId: 'evidence-test',
        version: '1.0.0',
        at: launched,
        teams: plans,
        state: 'ended',
        createdBy: aId,
      });
      await claimMembership(database.db, {
        exerciseId: EX,
        teamId: 'team-1',
        displayName: 'Alice',
        userId: aliceId,
        now: launched,
      });
      let now = launched;
      const scoring = new ScoringService({
        store: new ScoringStore(database.sqlite),
        plans: () => Promise.resolve(plans),
        clock: () => (now += 60_000),
      });
      await scoring.start(EX);
      const flag = answer(plans, 'team-1', 'capture');
      expect((await scoring.submit(EX, 'team-1', 'capture', flag, aliceId)).outcome).to.equal('correct');
      await scoring.stopTimers();
    } finally {
      await database.close();
    }
    platform = await startPlatform(
      loadConfig({ CYROP_SUBNET_POOL: '10.239.0.0/16' }, { port: 0, dataDir, scenariosDir: scenarios }),
      pino({ level: 'silent' }),
    );
    origin = platform.url.replace(/\/$/, '');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await platform?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a plain instructor sees the launcher and no controls, and may not read the class report', async () => {
    const b = await signedIn(INSTR_B);
    expect(await rows(b)).to.deep.equal([{ id: aId, text: `${INSTR_A.name} ${en['instructors.launcher']}` }]);
    expect(await b.getByTestId('instructor-assign-form').count()).to.equal(0);
    expect(await b.getByTestId('instructor-remove').count()).to.equal(0);
    expect((await classReport(b)).status).to.equal(404);
    await b.context().close();
  });

  it('the org-admin assigns instructor B from the page; B then reads the class report and sees the list without controls', async () => {
    const admin = await signedIn(ADMIN);
    // the organisation's instructors to choose from: B (A launched it, so is not offered)
    const offered = await admin
      .locator('[data-testid="instructor-pick"] option')
      .evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent })));
    expect(offered).to.deep.equal([{ value: bId, text: INSTR_B.name }]);
    await admin.getByTestId('instructor-pick').selectOption(bId);
    await admin.getByTestId('instructor-assign').click();
    await admin.locator(`[data-testid="instructor-row"][data-user-id="${bId}"]`).waitFor();
    expect(await admin.getByTestId('instructor-feedback').innerText()).to.equal(
      en['instructors.assigned'].replace('{name}', INSTR_B.name),
    );
    expect((await rows(admin)).map((r) => r.id)).to.deep.equal([aId, bId]);
    // B is removable, the launcher is not; nobody is left to choose
    expect(await admin.locator(`[data-user-id="${bId}"] [data-testid="instructor-remove"]`).count()).to.equal(
      1,
    );
    expect(await admin.locator(`[data-user-id="${aId}"] [data-testid="instructor-remove"]`).count()).to.equal(
      0,
    );
    expect(await admin.getByTestId('instructor-assign').isDisabled()).to.equal(true);

    const panel = admin.getByTestId('instructors-panel');
    for (const lang of ['en', 'ja'] as const) {
      await selectLanguage(admin, lang);
      const title = (lang === 'en' ? en : ja)['instructors.title'];
      await admin.waitForFunction(
        (text) => document.querySelector('[data-testid="instructors-panel"] h2')?.textContent === text,
        title,
      );
      await admin.evaluate(NAME_SHIM);
      expect(await admin.evaluate(findOverflow, '[data-testid="instructors-panel"]')).to.deep.equal([]);
      expect(await panelAxeViolations(admin), `axe on the instructors panel (${lang})`).to.deep.equal([]);
      await panel.scrollIntoViewIfNeeded();
      await screenshot(admin, lang, 'exercise-instructors-admin', SHOTS, false);
      await panel.screenshot({ path: path.join(SHOTS, lang, 'exercise-instructors-panel.png') });
    }
    await selectLanguage(admin, 'en');

    const b = await signedIn(INSTR_B);
    expect((await rows(b)).map((r) => r.id)).to.deep.equal([aId, bId]);
    expect(await b.getByTestId('instructor-assign-form').count()).to.equal(0);
    expect(await b.getByTestId('instructor-remove').count()).to.equal(0);
    const report = await classReport(b);
    expect(report.status).to.equal(200);
    expect(report.body.members?.map((m) => m.userId)).to.deep.equal([aliceId]);

    // taken off again from the admin's page: B reads nothing any more
    await admin.locator(`[data-user-id="${bId}"] [data-testid="instructor-remove"]`).click();
    await admin
      .locator(`[data-testid="instructor-row"][data-user-id="${bId}"]`)
      .waitFor({ state: 'detached' });
    expect((await classReport(b)).status).to.equal(404);
    await b.context().close();
    await admin.context().close();
    expect(started().cspViolations).to.deep.equal([]);
  });
});

/** axe-core's serious and critical violations inside the instructors panel. */
async function panelAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    interface AxeResult {
      passes: unknown[];
      violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
    }
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResult> } }).axe;
    const result = await axe.run('[data-testid="instructors-panel"]', {
      resultTypes: ['violations'],
    });
    if (result.passes.length === 0) return ['axe checked nothing'];
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}
