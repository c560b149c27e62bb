import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import {
  launchBrowser,
  screenshot,
  selectLanguage,
  skipAfterFirstFailure,
  type TestBrowser,
} from './browser.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
const OPERATOR_PASSWORD = 'operator secret password 1';
const ADMIN = { email: 'admin@northwind.example', name: 'Nora Admin', password: 'org admin password 1' };
const ORG = 'Northwind Training';

interface Label {
  en: string;
  ja: string;
}

const tinyScenario = (id: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: ${id}, version: 1.0.0, title: { en: Tiny drill, ja: 小さな演習 }, category: other, difficulty: beginner }
hosts:
  - name: box
    image: cyrop/attacker:1
    networks: [lan]
    console: true
networks: [{ name: lan }]
objectives:
  - { id: one, kind: question, title: One, points: 10, question: { answers: ["42"] } }
`;

/**
 * The administration console in headless Chromium against a real platform (Docker engine): the
 * operator creates an organisation (a wrong invoice number is refused, naming the field) and its
 * org-admin; the org-admin signs in with the one-time password, chooses a password, adds users,
 * changes a role and disables a user; the audit log (both sides) shows each step and downloads as
 * CSV; the org-admin asks to publish a scenario and the operator approves it; "my account" lists the
 * sessions and signs out elsewhere, and the preferred language is applied at the next sign-in.
 * Screenshots of every admin page in English and Japanese land in tests/e2e/screenshots/.
 */
describe('administration console end to end (headless Chromium)', function () {
  this.timeout(120_000);
  let dir: string;
  let platform: RunningPlatform;
  let origin: string;
  let browser: TestBrowser;
  let operator: Page;
  let orgAdmin: Page;
  let orgId = '';
  let adminOneTimePassword = '';

  const shootBoth = async (page: Page, name: string, label: Label) => {
    for (const lang of ['en', 'ja'] as const) {
      await selectLanguage(page, lang);
      await assertLanguage(page, lang, label[lang]);
      await screenshot(page, lang, name);
    }
    await selectLanguage(page, 'en');
  };
  const openTab = async (page: Page, tab: string) => {
    await page.locator(`[data-testid="admin-tab"][data-tab="${tab}"]`).click();
    await page.waitForURL(new RegExp(`#/admin/${tab}$`));
  };
  const signIn = async (page: Page, email: string, password: string) => {
    await page.goto(`${origin}/#/login`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
  };

  before(async function () {
    this.timeout(120_000);
    if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-e2e-admin-'));
    const dataDir = path.join(dir, 'data');
    const database = await openDatabase(dataDir);
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    const config = loadConfig(
      { CYROP_SUBNET_POOL: '10.247.0.0/16' },
      { port: 0, dataDir, scenariosDir: path.join(REPO, 'scenarios') },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
    origin = platform.url.replace(/\/$/, '');
    const api = apiClient(platform.url);
    expect(
      (await api('POST', '/api/auth/login', { email: first.email, password: first.password })).status,
    ).to.equal(200);
    const changed = await api('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: OPERATOR_PASSWORD,
    });
    expect(changed.status).to.equal(200);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser.close();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  skipAfterFirstFailure();

  it('the operator signs in and lands on the organisations; a wrong invoice number is refused by name', async () => {
    ({ page: operator } = await browser.newPage());
    await signIn(operator, 'admin@localhost', OPERATOR_PASSWORD);
    await operator.waitForURL(/#\/admin$/);
    await operator.getByTestId('org-list').waitFor();
    expect(await operator.getByTestId('nav-admin').count()).to.equal(1);
    expect(await operator.getByTestId('nav-account').count()).to.equal(1);

    await operator.getByTestId('org-name').fill(ORG);
    await operator.getByTestId('org-kind').selectOption('training-company');
    await operator.getByTestId('org-category').selectOption('sme');
    await operator.getByTestId('org-contact-name').fill('Hanako Yamada');
    await operator.getByTestId('org-contact-email').fill('billing@northwind.example');
    await operator.getByTestId('org-contact-phone').fill('+81 3-1234-5678');
    await operator.getByTestId('org-postal-address').fill('1-1 Chiyoda, Chiyoda-ku, Tokyo 100-0001');
    await operator.getByTestId('org-invoice-number').fill('T12345');
    // the browser's own pattern check would stop the form: let the server say it
    await operator.evaluate(() =>
      document.querySelector('[data-testid="org-form"]')?.setAttribute('novalidate', ''),
    );
    await operator.getByTestId('org-submit').click();
    const error = operator.getByTestId('org-error');
    await error.waitFor();
    expect(await error.innerText()).to.contain('invoiceRegistrationNumber');

    await operator.getByTestId('org-invoice-number').fill('T9234567890123');
    await operator.getByTestId('org-submit').click();
    const row = operator.locator(`[data-testid="org-row"][data-org-name="${ORG}"]`);
    await row.waitFor();
    orgId = (await row.getAttribute('data-org-id'))!;
    expect(await row.innerText()).to.contain('T9234567890123');
    await shootBoth(operator, 'admin-organisations', { en: 'Organisations', ja: '組織' });
  });

  it('the operator edits the organisation and creates its org-admin with a one-time password', async () => {
    const row = operator.locator(`[data-testid="org-row"][data-org-id="${orgId}"]`);
    await row.getByTestId('org-edit').click();
    await operator.getByTestId('org-contact-name').fill('Taro Suzuki');
    await operator.getByTestId('org-submit').click();
    await operator.waitForFunction(
      (id) =>
        document
          .querySelector(`[data-testid="org-row"][data-org-id="${id}"]`)
          ?.textContent.includes('Taro Suzuki'),
      orgId,
    );

    await openTab(operator, 'users');
    await operator.getByTestId('user-list').waitFor();
    await operator.getByTestId('user-org').selectOption(orgId);
    await operator.getByTestId('user-email').fill(ADMIN.email);
    await operator.getByTestId('user-name').fill(ADMIN.name);
    await operator.getByTestId('user-role').selectOption('org-admin');
    await operator.getByTestId('user-submit').click();
    const otp = operator.getByTestId('user-otp');
    await otp.waitFor();
    adminOneTimePassword = (await otp.innerText()).trim();
    expect(adminOneTimePassword).to.have.length.greaterThan(15);
    await operator
      .locator(`[data-testid="user-row"][data-email="${ADMIN.email}"][data-role="org-admin"]`)
      .waitFor();
    await shootBoth(operator, 'admin-users-operator', { en: 'Users', ja: 'ユーザー' });
  });

  it('the org-admin signs in with it, chooses a password, adds two users, changes a role and disables one', async () => {
    ({ page: orgAdmin } = await browser.newPage());
    await signIn(orgAdmin, ADMIN.email, adminOneTimePassword);
    await orgAdmin.getByTestId('password-current').fill(adminOneTimePassword);
    await orgAdmin.getByTestId('password-new').fill(ADMIN.password);
    await orgAdmin.getByTestId('password-submit').click();
    await orgAdmin.waitForURL(/#\/admin$/);
    await orgAdmin.getByTestId('user-list').waitFor();
    expect(
      await orgAdmin
        .locator('[data-testid="admin-tab"]')
        .evaluateAll((a) => a.map((e) => e.getAttribute('data-tab'))),
    ).to.deep.equal(['users', 'scenarios', 'exercises', 'audit']);

    for (const [email, name, role] of [
      ['ivan@northwind.example', 'Ivan Instructor', 'instructor'],
      ['tara@northwind.example', 'Tara Trainee', 'trainee'],
    ] as const) {
      await orgAdmin.getByTestId('user-email').fill(email);
      await orgAdmin.getByTestId('user-name').fill(name);
      await orgAdmin.getByTestId('user-role').selectOption(role);
      await orgAdmin.getByTestId('user-submit').click();
      await orgAdmin
        .locator(`[data-testid="user-row"][data-email="${email}"][data-role="${role}"]`)
        .waitFor();
    }
    // the operator role is not offered to a training company's users
    const roles = await orgAdmin
      .locator(
        '[data-testid="user-row"][data-email="tara@northwind.example"] [data-testid="user-role-select"] option',
      )
      .evaluateAll((o) => o.map((e) => (e as HTMLOptionElement).value));
    expect(roles).to.deep.equal(['org-admin', 'instructor', 'trainee']);

    await orgAdmin
      .locator(
        '[data-testid="user-row"][data-email="tara@northwind.example"] [data-testid="user-role-select"]',
      )
      .selectOption('instructor');
    await orgAdmin
      .locator('[data-testid="user-row"][data-email="tara@northwind.example"][data-role="instructor"]')
      .waitFor();
    await orgAdmin
      .locator('[data-testid="user-row"][data-email="ivan@northwind.example"] [data-testid="user-toggle"]')
      .click();
    await orgAdmin
      .locator('[data-testid="user-row"][data-email="ivan@northwind.example"][data-disabled="true"]')
      .waitFor();
    // their own row cannot be changed
    expect(
      await orgAdmin
        .locator(`[data-testid="user-row"][data-email="${ADMIN.email}"] [data-testid="user-role-select"]`)
        .isDisabled(),
    ).to.equal(true);

    // a disabled user cannot sign in
    const ivan = apiClient(platform.url);
    const refused = await ivan('POST', '/api/auth/login', {
      email: 'ivan@northwind.example',
      password: 'x'.repeat(12),
    });
    expect(refused.status).to.equal(401);

    // a password reset shows a one-time password once
    await orgAdmin
      .locator('[data-testid="user-row"][data-email="tara@northwind.example"] [data-testid="user-reset"]')
      .click();
    await orgAdmin.getByTestId('user-reset-confirm').click();
    await orgAdmin.getByTestId('user-otp').waitFor();
    await shootBoth(orgAdmin, 'admin-users-org', { en: 'Users', ja: 'ユーザー' });
  });

  it('the org-admin invites a person by link; the link makes their account, and the invitation is listed until then', async () => {
    await orgAdmin.getByTestId('invitation-email').fill('ines@northwind.example');
    await orgAdmin.getByTestId('invitation-name').fill('Ines Invited');
    await orgAdmin.getByTestId('invitation-role').selectOption('instructor');
    await orgAdmin.getByTestId('invitation-submit').click();
    const link = (await orgAdmin.getByTestId('invitation-link').innerText()).trim();
    expect(link).to.match(new RegExp(`^${origin.replace(/[.]/g, '\\.')}/#/invite/[A-Za-z0-9_-]+$`));
    await orgAdmin
      .locator('[data-testid="invitation-row"][data-email="ines@northwind.example"][data-state="pending"]')
      .waitFor();
    await shootBoth(orgAdmin, 'admin-invite-org', { en: 'Invite by link', ja: 'リンクで招待' });

    // the invited person opens the link in their own browser and chooses a password
    const { page: ines, context } = await browser.newPage();
    try {
      await ines.goto(link);
      expect(await ines.getByTestId('invite-name').inputValue()).to.equal('Ines Invited');
      await ines.getByTestId('invite-password').fill('ines password 12');
      await ines.getByTestId('invite-submit').click();
      await ines.waitForURL(/#\/instructor$/);
    } finally {
      await context.close();
    }
    await openTab(orgAdmin, 'users');
    await orgAdmin
      .locator('[data-testid="user-row"][data-email="ines@northwind.example"][data-role="instructor"]')
      .waitFor();
    expect(
      await orgAdmin.locator('[data-testid="invitation-row"][data-email="ines@northwind.example"]').count(),
    ).to.equal(0);
  });

  it('the audit log shows those steps to the org-admin and the operator, with filters and a CSV download', async () => {
    await openTab(orgAdmin, 'audit');
    await orgAdmin.getByTestId('audit-list').waitFor();
    const actions = async (page: Page) =>
      page
        .locator('[data-testid="audit-row"]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(await actions(orgAdmin)).to.include.members([
      'user.created',
      'user.role-changed',
      'user.disabled',
      'user.password-reset',
      'auth.password-changed',
      'invitation.created',
      'invitation.accepted',
    ]);
    await orgAdmin.getByTestId('audit-filter-action').fill('user.role');
    await orgAdmin.getByTestId('audit-apply').click();
    await orgAdmin.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="audit-row"]')].every(
        (r) => r.getAttribute('data-action') === 'user.role-changed',
      ),
    );
    expect(await actions(orgAdmin)).to.deep.equal(['user.role-changed']);
    const href = await orgAdmin.getByTestId('audit-export').getAttribute('href');
    expect(href).to.equal('/api/audit/export?action=user.role');
    const csv = await orgAdmin.context().request.get(`${origin}${href}`);
    expect(csv.status()).to.equal(200);
    const bytes = await csv.body();
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).to.contain('user.role-changed');
    await orgAdmin.getByTestId('audit-clear').click();
    await orgAdmin.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length > 2);
    await shootBoth(orgAdmin, 'admin-audit-org', { en: 'Audit log', ja: '監査ログ' });

    await openTab(operator, 'audit');
    await operator.getByTestId('audit-list').waitFor();
    expect(await actions(operator)).to.include.members([
      'organisation.created',
      'organisation.updated',
      'user.created',
      'user.role-changed',
      'user.disabled',
    ]);
    await shootBoth(operator, 'admin-audit', { en: 'Audit log', ja: '監査ログ' });
  });

  it("the org-admin asks to publish the organisation's scenario; the operator approves it", async () => {
    const api = apiClient(platform.url);
    expect(
      (await api('POST', '/api/auth/login', { email: ADMIN.email, password: ADMIN.password })).status,
    ).to.equal(200);
    const up = await api('POST', '/api/scenarios', {
      files: { 'scenario.yaml': tinyScenario('northwind-drill') },
    });
    expect(up.status, up.text).to.equal(201);
    await openTab(orgAdmin, 'scenarios');
    const row = orgAdmin.locator('[data-testid="org-scenario-row"][data-scenario-id="northwind-drill"]');
    await row.getByTestId('org-scenario-publish').click();
    await orgAdmin.locator('[data-testid="org-scenario-row"][data-publication="requested"]').waitFor();
    await shootBoth(orgAdmin, 'admin-scenarios-org', { en: 'Scenarios', ja: 'シナリオ' });
    await openTab(orgAdmin, 'exercises');
    await orgAdmin.getByRole('heading', { name: 'Exercises of your organisation' }).waitFor();
    await shootBoth(orgAdmin, 'admin-exercises-org', { en: 'Exercises', ja: '演習' });

    await openTab(operator, 'publications');
    const request = operator.locator('[data-testid="publication-row"][data-scenario-id="northwind-drill"]');
    await request.waitFor();
    await shootBoth(operator, 'admin-publications', { en: 'Publication requests', ja: '公開申請' });
    await request.getByTestId('publication-approve').click();
    await operator.getByTestId('publication-none').waitFor();
    const published = await api('GET', '/api/scenarios/northwind-drill');
    expect(published.body.publication).to.equal('published');
  });

  it('the operator sees the platform health', async () => {
    await openTab(operator, 'health');
    await operator.locator('[data-testid="health-engine"][data-ok="true"]').waitFor();
    await operator.locator('[data-testid="health-database"][data-ok="true"]').waitFor();
    expect(
      await operator
        .locator('[data-testid="health-count"][data-name="organisations"]')
        .getAttribute('data-value'),
    ).to.equal('2');
    expect(await operator.getByTestId('health-version').innerText()).to.match(/^\d+\.\d+\.\d+/);
    await shootBoth(operator, 'admin-health', { en: 'Platform health', ja: '稼働状況' });
  });

  it('"my account" lists the sessions and signs out elsewhere; the chosen language comes back at sign-in', async () => {
    const elsewhere = apiClient(platform.url);
    expect(
      (await elsewhere('POST', '/api/auth/login', { email: ADMIN.email, password: ADMIN.password })).status,
    ).to.equal(200);
    await orgAdmin.getByTestId('nav-account').click();
    await orgAdmin.waitForURL(/#\/account$/);
    await orgAdmin.getByTestId('session-list').waitFor();
    const rows = orgAdmin.getByTestId('session-row');
    await orgAdmin.waitForFunction(
      () => document.querySelectorAll('[data-testid="session-row"]').length >= 2,
    );
    expect(await orgAdmin.locator('[data-testid="session-row"][data-current="true"]').count()).to.equal(1);
    const before = await rows.count();
    await shootBoth(orgAdmin, 'account', { en: 'My account', ja: 'アカウント' });

    await orgAdmin.getByTestId('sessions-end-others').click();
    await orgAdmin.waitForFunction(
      () => document.querySelectorAll('[data-testid="session-row"]').length === 1,
    );
    expect(before).to.be.at.least(2);
    expect((await elsewhere('GET', '/api/auth/me')).status, 'the other session ended').to.equal(401);
    expect(await orgAdmin.locator('[data-testid="session-row"][data-current="true"]').count()).to.equal(1);

    // Japanese as the preferred language: a new browser signs in and gets it
    await orgAdmin.getByTestId('account-language').selectOption('ja');
    await orgAdmin.waitForFunction(() => document.documentElement.lang === 'ja');
    const { page: fresh, context } = await browser.newPage({ locale: 'en-US' });
    try {
      await signIn(fresh, ADMIN.email, ADMIN.password);
      await fresh.waitForURL(/#\/admin$/);
      await fresh.waitForFunction(() => document.documentElement.lang === 'ja');
      await fresh.getByTestId('user-list').waitFor();
      expect(await fresh.locator('h1').innerText()).to.equal(`${ORG} の管理`);
    } finally {
      await context.close();
    }
  });

  it('the operator disables the organisation: its org-admin is signed out', async () => {
    await operator.goto(`${origin}/#/admin/organisations`);
    const row = operator.locator(`[data-testid="org-row"][data-org-id="${orgId}"]`);
    await row.getByTestId('org-toggle').click();
    await operator.getByTestId('org-disable-confirm').click();
    await operator.locator(`[data-testid="org-row"][data-org-id="${orgId}"][data-disabled="true"]`).waitFor();
    await orgAdmin.reload();
    await orgAdmin.waitForURL(/#\/login/);
  });

  it('no page of the administration console broke the Content-Security-Policy', () => {
    expect(browser.cspViolations).to.deep.equal([]);
  });
});

async function assertLanguage(page: Page, lang: 'en' | 'ja', label: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.lang)).to.equal(lang);
  const text = await page.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement;
    for (const el of body.querySelectorAll('select, script, style, code, .mono')) el.remove();
    return body.innerText || body.textContent || '';
  });
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  else expect(text, 'no Japanese text on the English page').to.not.match(JAPANESE);
}
