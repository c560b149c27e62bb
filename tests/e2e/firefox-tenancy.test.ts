import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import type { RunningPlatform } from '../../orchestrator/src/main.ts';
import { en } from '../../web-console/src/i18n/en.ts';
import { ja } from '../../web-console/src/i18n/ja.ts';
import type { apiClient } from '../api-client.ts';
import { FirefoxBrowser, testid, type FirefoxPage } from './firefox.ts';
import { skipAfterFirstFailure } from './browser.ts';
import {
  OPERATOR_PASSWORD,
  ROSTER,
  ROSTER_MEMBERS,
  TENANCY_AUDIT_ACTIONS,
  scenarioZip,
  startFreshPlatform,
} from './tenancy-fixtures.ts';

type MessageKey = Exclude<keyof typeof en, `${string}#${string}`>;
const KEYS = Object.keys(en);
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/**
 * The fixed parts (between `{placeholders}`) of one catalogue's messages that can only be that
 * language's: at least `min` characters long and found in no message of the other catalogue.
 */
function ownFragments(own: Record<string, string>, other: Record<string, string>, min: number): string[] {
  const otherText = Object.values(other).join('\n');
  return [
    ...new Set(
      Object.values(own).flatMap((m) =>
        m
          .split(/\{\w+\}/)
          .map((f) => f.trim())
          .filter((f) => f.length >= min && !otherText.includes(f)),
      ),
    ),
  ];
}
const ENGLISH_ONLY = ownFragments(en, ja, 8);
const JAPANESE_ONLY = ownFragments(ja, en, 4).filter((f) => JAPANESE.test(f));
/** Data that reads like a message: the operator's own organisation is named 'Platform operator'. */
const DATA = ['Platform operator'];
const ORG = 'Acme Training';
const ADMIN = { email: 'admin@acme.example', name: 'Acme admin', password: 'acme admin secret 1' };

/**
 * The tenancy journey of tenancy.test.ts (Chromium), in Firefox (Debian's ESR, headless, over
 * WebDriver BiDi), every step through the console's pages: the operator creates an organisation
 * and its org-admin on `#/admin`; the org-admin signs in with the one-time password, chooses a
 * password and invites an instructor by link; the instructor accepts on the invitation page,
 * uploads the scenario, launches it with a Japanese CSV roster (UTF-8 BOM) and a member cap, sees
 * the roster in the people panel and prints the join sheet (one page per team, QR code); the
 * trainee accepts their invitation, enters from "Your exercises" and answers; the org-admin's audit
 * log page shows each step. Each page is captured in English and Japanese
 * (tests/e2e/screenshots/firefox/<en|ja>/), and no page may report a CSP violation.
 *
 * The scenario goes up as a zip, not as a folder: this Firefox's `input.setFiles` refuses a
 * directory ("unsupported operation … NS_ERROR_FILE_IS_DIRECTORY"), so the console's folder
 * picker cannot be filled over BiDi; the zip input is the console's other way to upload the same
 * folder (read in the browser into the same files), and it is what runs here.
 */
describe('tenancy in the console, in Firefox: admin, invitations, uploads, rosters, join sheets (Docker)', function () {
  this.timeout(120_000);
  let dir = '';
  let platform: RunningPlatform | undefined;
  let origin = '';
  let operatorApi: ReturnType<typeof apiClient>;
  let browser: FirefoxBrowser | undefined;
  let operator: FirefoxPage;
  let orgAdmin: FirefoxPage;
  let instructor: FirefoxPage;
  let trainee: FirefoxPage;
  let orgId = '';
  let oneTimePassword = '';
  let instructorLink = '';
  let exerciseId = '';
  let traineeLink = '';
  const shots: string[] = [];

  /** Capture the page in English and Japanese, checking each is in its language; back to English. */
  const shootBoth = async (page: FirefoxPage, name: string, label: MessageKey) => {
    for (const lang of ['en', 'ja'] as const) {
      await page.selectLanguage(lang);
      await assertLanguage(page, lang, (lang === 'en' ? en : ja)[label]);
      shots.push(await page.screenshot(`${lang}/${name}`));
    }
    await page.selectLanguage('en');
  };
  const signIn = async (page: FirefoxPage, email: string, password: string) => {
    await page.goto(`${origin}/#/login`);
    await page.fill(testid('login-email'), email);
    await page.fill(testid('login-password'), password);
    await page.click(testid('login-submit'));
  };
  const openTab = async (page: FirefoxPage, tab: string) => {
    await page.click(testid('admin-tab', { 'data-tab': tab }));
    await page.waitFor(`location.hash === '#/admin/${tab}'`);
  };

  before(async function () {
    this.timeout(300_000);
    ({ dir, platform, origin, operatorApi } = await startFreshPlatform(
      'cyrop-firefox-tenancy-',
      '10.246.0.0/16',
    ));
    browser = await FirefoxBrowser.launch();
  });

  after(async function () {
    this.timeout(180_000);
    try {
      if (exerciseId) await operatorApi('DELETE', `/api/exercises/${exerciseId}`);
    } finally {
      await browser?.close();
      await platform?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  skipAfterFirstFailure();

  it('the operator creates an organisation on the administration page', async () => {
    operator = await browser!.newPage();
    await signIn(operator, 'admin@localhost', OPERATOR_PASSWORD);
    await operator.waitFor(`location.hash === '#/admin'`);
    await operator.fill(testid('org-name'), ORG);
    await operator.select(testid('org-kind'), 'training-company');
    await operator.click(testid('org-submit'));
    const row = testid('org-row', { 'data-org-name': ORG });
    await operator.waitForSelector(row);
    orgId = (await operator.evaluate(
      `document.querySelector(${JSON.stringify(row)}).dataset.orgId`,
    )) as string;
    expect(orgId).to.be.a('string').and.not.equal('');
    await shootBoth(operator, 'admin-organisations', 'admin.tab.organisations');
  });

  it('the operator creates its org-admin, who gets a one-time password', async () => {
    await openTab(operator, 'users');
    await operator.select(testid('user-org'), orgId);
    await operator.fill(testid('user-email'), ADMIN.email);
    await operator.fill(testid('user-name'), ADMIN.name);
    await operator.select(testid('user-role'), 'org-admin');
    await operator.click(testid('user-submit'));
    oneTimePassword = (await operator.text(testid('user-otp'))).trim();
    expect(oneTimePassword).to.have.length.greaterThan(15);
    await operator.waitForSelector(
      testid('user-row', { 'data-email': ADMIN.email, 'data-role': 'org-admin' }),
    );
    await shootBoth(operator, 'admin-users', 'admin.tab.users');
  });

  it('the org-admin signs in with it, chooses a password and invites an instructor by link', async () => {
    orgAdmin = await browser!.newPage();
    await signIn(orgAdmin, ADMIN.email, oneTimePassword);
    await orgAdmin.fill(testid('password-current'), oneTimePassword);
    await orgAdmin.fill(testid('password-new'), ADMIN.password);
    await orgAdmin.click(testid('password-submit'));
    await orgAdmin.waitFor(`location.hash === '#/admin'`);
    await orgAdmin.fill(testid('invitation-email'), 'coach@acme.example');
    await orgAdmin.fill(testid('invitation-name'), 'Coach');
    await orgAdmin.select(testid('invitation-role'), 'instructor');
    await orgAdmin.click(testid('invitation-submit'));
    instructorLink = (await orgAdmin.text(testid('invitation-link'))).trim();
    expect(instructorLink).to.match(new RegExp(`^${origin.replace(/[.]/g, '\\.')}/#/invite/[A-Za-z0-9_-]+$`));
    await orgAdmin.waitForSelector(
      testid('invitation-row', { 'data-email': 'coach@acme.example', 'data-state': 'pending' }),
    );
    await shootBoth(orgAdmin, 'admin-invite', 'inviteForm.title');
  });

  it('the invited instructor chooses a password on the invitation page and is signed in', async () => {
    instructor = await browser!.newPage();
    await instructor.goto(instructorLink);
    await instructor.waitForSelector(testid('invite-name'));
    expect(await instructor.evaluate(`document.querySelector('[data-testid="invite-name"]').value`)).to.equal(
      'Coach',
    );
    await shootBoth(instructor, 'invite', 'invite.title');
    await instructor.fill(testid('invite-password'), 'coach secret 123');
    await instructor.click(testid('invite-submit'));
    await instructor.waitFor(`location.hash === '#/instructor'`);
  });

  it('uploads the scenario (a zip of its folder) after validating it; a file that is no zip is refused by reason', async () => {
    const notZip = path.join(dir, 'notes.zip');
    writeFileSync(notZip, 'not an archive');
    await instructor.setFiles(testid('validate-zip'), [notZip]);
    await instructor.waitFor(
      `document.querySelector('[data-testid="validate-result"]').innerText.includes(${JSON.stringify(en['validate.zip.unreadable'])})`,
    );
    for (const version of ['1.0.0', '1.0.1']) {
      const archive = path.join(dir, `acme-quiz-${version}.zip`);
      writeFileSync(archive, scenarioZip(version));
      await instructor.setFiles(testid('validate-zip'), [archive]);
      await instructor.click(testid('upload-submit'));
      await instructor.waitFor(
        `document.querySelector('[data-testid="upload-result"]')?.innerText.includes('acme-quiz version ${version}') === true`,
      );
    }
    const availability = `${testid('scenario-row', { 'data-scenario-id': 'acme-quiz' })} ${testid('scenario-availability')}`;
    await instructor.waitForSelector(availability);
    expect(
      await instructor.evaluate(
        `document.querySelector(${JSON.stringify(availability)}).dataset.publication`,
      ),
    ).to.equal('private');
    await shootBoth(instructor, 'instructor-upload', 'validate.title');
  });

  it('launches it with the teams of a Japanese CSV roster and a member cap; the people panel lists the roster', async () => {
    await instructor.select(testid('create-scenario'), 'acme-quiz');
    await instructor.waitForSelector(`${testid('create-version')} option[value="1.0.0"]`);
    // the newest version is offered first; the older one is pinned on purpose
    expect(
      await instructor.evaluate(`document.querySelector('[data-testid="create-version"]').value`),
    ).to.equal('1.0.1');
    await instructor.select(testid('create-version'), '1.0.0');
    const roster = path.join(dir, 'roster.csv');
    writeFileSync(roster, ROSTER);
    await instructor.setFiles(testid('create-roster'), [roster]);
    await instructor.fill(testid('create-max-members'), '3');
    await shootBoth(instructor, 'instructor-launch-form', 'instructor.create');
    await instructor.click(testid('create-submit'));
    await instructor.waitFor(`location.hash.startsWith('#/instructor/exercises/')`);
    exerciseId = decodeURIComponent(
      ((await instructor.evaluate('location.hash')) as string).split('/').pop()!,
    );
    await instructor.waitFor(`document.querySelectorAll('[data-testid="member-row"]').length === 3`);
    const members = (await instructor.evaluate(
      `[...document.querySelectorAll('[data-testid="member-row"]')].map((r) => [...r.cells].slice(0, 2).map((c) => c.innerText.trim()).join('|'))`,
    )) as string[];
    expect(members).to.deep.equal(ROSTER_MEMBERS);
    traineeLink =
      /https?:\/\/\S+\/#\/invite\/[A-Za-z0-9_-]+/.exec(
        await instructor.text(testid('roster-invitations')),
      )?.[0] ?? '';
    expect(traineeLink).to.contain('/#/invite/');
    expect(await instructor.text(testid('exercise-scenario-version'))).to.match(
      /^acme-quiz@1\.0\.0 [0-9a-f]{12}$/,
    );
    for (const team of ['team-1', 'team-2'])
      await instructor.waitForSelector(
        testid('team-row', { 'data-team-id': team, 'data-state': 'ready' }),
        240_000,
      );
    await instructor.click(testid('scoring-start'));
    await instructor.waitForSelector(testid('scoring-status', { 'data-status': 'running' }));
    await shootBoth(instructor, 'exercise-people', 'people.title');
  });

  it('prints a join sheet: one page per team with a QR image, its code and its roster names', async () => {
    await instructor.click(testid('join-sheet-link'));
    await instructor.waitFor(`document.querySelectorAll('[data-testid="sheet-page"]').length === 2`);
    const pages =
      (await instructor.evaluate(`[...document.querySelectorAll('[data-testid="sheet-page"]')].map((p) => {
      const svg = p.querySelector('.qr svg');
      const box = svg?.getBoundingClientRect();
      return {
        team: p.querySelector('h2').innerText,
        text: p.innerText,
        code: p.querySelector('[data-testid="sheet-code"]').innerText,
        qrPaths: p.querySelectorAll('.qr svg path').length,
        qrSize: box ? Math.min(box.width, box.height) : 0,
      };
    })`)) as { team: string; text: string; code: string; qrPaths: number; qrSize: number }[];
    expect(pages.map((p) => p.team)).to.deep.equal(['赤チーム', 'Blue']);
    expect(pages[0]!.text).to.contain('山田 太郎').and.contain('佐藤 花子');
    expect(pages[1]!.text).to.contain('Bob');
    for (const page of pages) {
      expect(page.code).to.match(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
      expect(page.qrPaths, 'the QR code is drawn').to.be.greaterThan(0);
      expect(page.qrSize, 'the QR code is laid out at a scannable size').to.be.greaterThan(80);
    }
    await shootBoth(instructor, 'join-sheet', 'sheet.title');
    // printed, each team's page is a sheet of paper of its own
    expect(pdfPages(await instructor.print()), 'pages printed').to.equal(2);
  });

  it("the sheet's link joins the first team up to its member cap (3: two from the roster, one more)", async () => {
    const link = await instructor.text(`${testid('sheet-page', { 'data-team-id': 'team-1' })} .sheet-link`);
    const joiner = await browser!.newPage();
    await joiner.goto(link.trim());
    await joiner.fill(testid('join-name'), 'Kenji');
    await joiner.click(testid('join-submit'));
    await joiner.waitFor(`location.hash === '#/play'`);
    const code = /#\/join\/([0-9A-Z-]+)$/.exec(link.trim())?.[1];
    const full = await fetch(`${origin}/api/join`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ code, displayName: 'One too many' }),
    });
    expect(full.status).to.equal(409);
    expect(((await full.json()) as { error: { message: string } }).error.message).to.equal(
      'this team is full: it takes at most 3 members',
    );
  });

  it('the trainee accepts their invitation, enters their team from "Your exercises" and answers', async () => {
    trainee = await browser!.newPage();
    await trainee.goto(traineeLink);
    await trainee.waitForSelector(testid('invite-name'));
    expect(await trainee.evaluate(`document.querySelector('[data-testid="invite-name"]').value`)).to.equal(
      '山田 太郎',
    );
    await trainee.fill(testid('invite-password'), 'yamada secret 123');
    await trainee.click(testid('invite-submit'));
    const mine = testid('my-exercise', { 'data-exercise-id': exerciseId });
    await trainee.waitForSelector(mine);
    await shootBoth(trainee, 'home-my-exercises', 'home.mine');
    await trainee.click(`${mine} ${testid('my-exercise-enter')}`);
    await trainee.waitFor(`location.hash === '#/play'`);
    const card = testid('objective', { 'data-objective-id': 'answer' });
    await trainee.fill(`${card} ${testid('answer-input')}`, '42');
    await trainee.click(`${card} ${testid('answer-submit')}`);
    await trainee.waitForSelector(
      testid('objective', { 'data-objective-id': 'answer', 'data-solved': 'true' }),
    );
    const me = (await trainee.evaluate(`fetch('/api/auth/me').then((r) => r.json())`)) as {
      principal: { kind: string; teamId: string; userId?: string };
    };
    expect(me.principal).to.include({ kind: 'participant', teamId: 'team-1' });
    expect(me.principal.userId).to.be.a('string');
    await shootBoth(trainee, 'play', 'play.objectives');
  });

  it("the organisation's audit log page shows each step", async () => {
    await openTab(orgAdmin, 'audit');
    await orgAdmin.waitForSelector(testid('audit-list'));
    const actions = (await orgAdmin.evaluate(
      `[...document.querySelectorAll('[data-testid="audit-row"]')].map((r) => r.dataset.action)`,
    )) as string[];
    expect(actions).to.include.members([...TENANCY_AUDIT_ACTIONS, 'auth.password-changed']);
    await shootBoth(orgAdmin, 'admin-audit', 'admin.tab.audit');
  });

  it('no page reported a Content-Security-Policy violation', () => {
    expect(shots.length, 'pages were looked at').to.be.greaterThan(10);
    expect(browser!.cspViolations).to.deep.equal([]);
  });

  it('the violation watch itself works: an inline script put into a page is reported', async () => {
    const before = browser!.cspViolations.length;
    await trainee.evaluate(
      `(() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); })()`,
    );
    await trainee.waitFor('true');
    const deadline = Date.now() + 10_000;
    while (browser!.cspViolations.length === before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(browser!.cspViolations.slice(before).join('\n')).to.match(/#\/play: script-src.* blocked inline/);
  });
});

/**
 * The number of pages of a PDF: its `/Type /Page` objects, looked for in the file and in every
 * Flate-compressed stream (Firefox puts the page objects into compressed object streams).
 */
function pdfPages(pdf: Buffer): number {
  expect(pdf.subarray(0, 5).toString('latin1'), 'a PDF').to.equal('%PDF-');
  const raw = pdf.toString('latin1');
  const texts = [raw];
  for (const match of raw.matchAll(/stream\r?\n/g)) {
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    try {
      texts.push(inflateSync(pdf.subarray(start, end)).toString('latin1'));
    } catch {
      // not a Flate stream (or not one at all): its page objects, if any, are in the raw text
    }
  }
  return texts.reduce((n, text) => n + (text.match(/\/Type\s*\/Page\b(?!s)/g)?.length ?? 0), 0);
}

/**
 * The page is in `lang`: `<html lang>`, the page's own label shown, Japanese text on the Japanese
 * page, no message of the other language (a message rendered once and not re-rendered at the
 * switch), and no message key or `{placeholder}` left raw in the text.
 */
async function assertLanguage(page: FirefoxPage, lang: 'en' | 'ja', label: string): Promise<void> {
  expect(await page.evaluate('document.documentElement.lang')).to.equal(lang);
  const text = (await page.evaluate(`(() => {
    const body = document.body.cloneNode(true);
    for (const el of body.querySelectorAll('select, script, style, code, .mono')) el.remove();
    return body.innerText || body.textContent || '';
  })()`)) as string;
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  const raw = KEYS.filter((key) =>
    new RegExp(`(^|[^\\w.-])${key.replace(/[.]/g, '\\.')}($|[^\\w.-])`).test(text),
  );
  expect(raw, 'message keys shown raw').to.deep.equal([]);
  const shown = DATA.reduce((rest, data) => rest.replaceAll(data, ''), text);
  const foreign = (lang === 'ja' ? ENGLISH_ONLY : JAPANESE_ONLY).filter((f) => shown.includes(f));
  expect(foreign, `messages of the other language on the ${lang} page`).to.deep.equal([]);
  expect(text, 'no unfilled placeholder').to.not.match(/\{[a-zA-Z]+\}/);
}
