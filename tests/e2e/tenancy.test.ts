import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningPlatform } from '../../orchestrator/src/main.ts';
import { apiClient } from '../api-client.ts';
import { launchBrowser, screenshot, selectLanguage, type TestBrowser } from './browser.ts';
import {
  ROSTER,
  ROSTER_MEMBERS,
  SCENARIO,
  TENANCY_AUDIT_ACTIONS,
  scenarioZip,
  startFreshPlatform,
} from './tenancy-fixtures.ts';

/**
 * Tenancy in the browser (headless Chromium, real platform on Docker): an org-admin's invitation
 * becomes an instructor account; the instructor uploads a scenario folder, launches it with the teams
 * of a Japanese CSV roster and a member cap, sees the roster and the invitation link of a trainee,
 * prints the join sheet; the trainee accepts the invitation, enters their team from "Your
 * exercises" without a code and answers; the audit log holds every step. Screenshots in ja and en.
 */
describe('tenancy in the console: invitations, uploads, rosters, join sheets (headless Chromium, Docker)', function () {
  this.timeout(120_000);
  let dir = '';
  let platform: RunningPlatform | undefined;
  let origin: string;
  let browser: TestBrowser | undefined;
  let instructor: Page;
  let trainee: Page;
  let exerciseId = '';
  let traineeLink = '';
  const operator = () => operatorApi;
  let operatorApi: ReturnType<typeof apiClient>;

  const shootBoth = async (page: Page, name: string) => {
    for (const lang of ['en', 'ja'] as const) {
      await selectLanguage(page, lang);
      await screenshot(page, lang, name);
    }
    await selectLanguage(page, 'en');
  };

  before(async function () {
    this.timeout(300_000);
    ({ dir, platform, origin, operatorApi } = await startFreshPlatform(
      'cyrop-e2e-tenancy-',
      '10.244.0.0/16',
    ));
    const org = await operatorApi('POST', '/api/organisations', {
      name: 'Acme Training',
      kind: 'training-company',
    });
    const orgId = org.body.id as string;
    const admin = await operatorApi('POST', `/api/organisations/${orgId}/users`, {
      email: 'admin@acme.example',
      name: 'Acme admin',
      role: 'org-admin',
      password: 'acme admin secret 1',
    });
    expect(admin.status, admin.text).to.equal(201);
    const adminApi = apiClient(platform.url);
    await adminApi('POST', '/api/auth/login', {
      email: 'admin@acme.example',
      password: 'acme admin secret 1',
    });
    const invitation = await adminApi('POST', `/api/organisations/${orgId}/invitations`, {
      email: 'coach@acme.example',
      role: 'instructor',
      name: 'Coach',
    });
    expect(invitation.status, invitation.text).to.equal(201);
    browser = await launchBrowser();
    ({ page: instructor } = await browser.newPage());
    await instructor.goto(`${origin}${invitation.body.link as string}`);
  });

  after(async function () {
    this.timeout(180_000);
    try {
      if (exerciseId) await operator()('DELETE', `/api/exercises/${exerciseId}`);
    } finally {
      await browser?.close();
      await platform?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the invited instructor chooses a name and a password and is signed in', async () => {
    await instructor.getByTestId('invite-name').waitFor();
    expect(await instructor.getByTestId('invite-name').inputValue()).to.equal('Coach');
    await shootBoth(instructor, 'invite');
    await instructor.getByTestId('invite-password').fill('coach secret 123');
    await instructor.getByTestId('invite-submit').click();
    await instructor.waitForURL(/#\/instructor$/);
  });

  it('uploads a scenario folder after validating it; it is private to the organisation', async () => {
    const folder = path.join(dir, 'acme-quiz');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'scenario.yaml'), SCENARIO);
    await instructor.getByTestId('validate-folder').setInputFiles(folder);
    await instructor.getByTestId('upload-submit').click();
    await instructor.getByTestId('upload-result').filter({ hasText: 'acme-quiz' }).waitFor();
    const row = instructor.locator('[data-testid="scenario-row"][data-scenario-id="acme-quiz"]');
    await row.waitFor();
    expect(await row.getByTestId('scenario-availability').getAttribute('data-publication')).to.equal(
      'private',
    );
    const anonymous = (await (await fetch(`${origin}/api/scenarios`)).json()) as {
      scenarios: { id: string }[];
    };
    expect(anonymous.scenarios.map((s) => s.id)).not.to.include('acme-quiz');
  });

  it('uploads a zip of the folder as the next version, and says why a file that is no zip is refused', async () => {
    const notZip = path.join(dir, 'notes.zip');
    writeFileSync(notZip, 'not an archive');
    await instructor.getByTestId('validate-zip').setInputFiles(notZip);
    await instructor
      .getByTestId('validate-result')
      .filter({ hasText: 'This file is not a zip archive that can be read.' })
      .waitFor();
    const archive = path.join(dir, 'acme-quiz.zip');
    writeFileSync(archive, scenarioZip('1.0.1'));
    await instructor.getByTestId('validate-zip').setInputFiles(archive);
    await instructor.getByTestId('upload-submit').click();
    await instructor.getByTestId('upload-result').filter({ hasText: '1.0.1' }).waitFor();
  });

  it('launches it with the teams of a CSV roster and a member cap; the roster and its invitation link show', async () => {
    await instructor.getByTestId('create-scenario').selectOption('acme-quiz');
    await instructor
      .locator('[data-testid="create-version"] option[value="1.0.0"]')
      .waitFor({ state: 'attached' });
    // the newest version (1.0.1, from the zip) is offered first; the older one is pinned on purpose
    expect(await instructor.getByTestId('create-version').inputValue()).to.equal('1.0.1');
    await instructor.getByTestId('create-version').selectOption('1.0.0');
    const roster = path.join(dir, 'roster.csv');
    writeFileSync(roster, ROSTER);
    await instructor.getByTestId('create-roster').setInputFiles(roster);
    await instructor.getByTestId('create-max-members').fill('3');
    await shootBoth(instructor, 'instructor-launch-form');
    await instructor.getByTestId('create-submit').click();
    await instructor.waitForURL(/#\/instructor\/exercises\//);
    exerciseId = decodeURIComponent(instructor.url().split('/').pop()!);
    await instructor.getByTestId('member-row').nth(2).waitFor();
    const members = await instructor.getByTestId('member-row').allInnerTexts();
    expect(members.map((m) => m.split('\t').slice(0, 2).join('|'))).to.deep.equal(ROSTER_MEMBERS);
    const links = await instructor.getByTestId('roster-invitations').innerText();
    traineeLink = /https?:\/\/\S+\/#\/invite\/[A-Za-z0-9_-]+/.exec(links)?.[0] ?? '';
    expect(traineeLink).to.contain('/#/invite/');
    expect(await instructor.getByTestId('exercise-scenario-version').innerText()).to.match(
      /^acme-quiz@1\.0\.0 [0-9a-f]{12}$/,
    );
    for (const team of ['team-1', 'team-2'])
      await instructor
        .locator(`[data-testid="team-row"][data-team-id="${team}"][data-state="ready"]`)
        .waitFor({ timeout: 240_000 });
    await instructor.getByTestId('scoring-start').click();
    await instructor.locator('[data-testid="scoring-status"][data-status="running"]').waitFor();
    await shootBoth(instructor, 'exercise-people');
  });

  it('prints a join sheet: one page per team with a QR code, its code and its roster names', async () => {
    await instructor.getByTestId('join-sheet-link').click();
    await instructor.getByTestId('sheet-page').nth(1).waitFor();
    const pages = instructor.getByTestId('sheet-page');
    expect(await pages.count()).to.equal(2);
    expect(await pages.nth(0).locator('h2').innerText()).to.equal('赤チーム');
    expect(await pages.nth(0).innerText()).to.contain('山田 太郎');
    expect(await pages.nth(0).locator('.qr svg path').count()).to.be.greaterThan(0);
    expect(await pages.nth(1).getByTestId('sheet-code').innerText()).to.match(
      /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/,
    );
    await shootBoth(instructor, 'join-sheet');
  });

  it('the trainee accepts the invitation, enters their team from "Your exercises" and answers', async () => {
    ({ page: trainee } = await browser!.newPage());
    await trainee.goto(traineeLink);
    expect(await trainee.getByTestId('invite-name').inputValue()).to.equal('山田 太郎');
    await trainee.getByTestId('invite-password').fill('yamada secret 123');
    await trainee.getByTestId('invite-submit').click();
    await trainee.locator(`[data-testid="my-exercise"][data-exercise-id="${exerciseId}"]`).waitFor();
    await shootBoth(trainee, 'home-my-exercises');
    await trainee.getByTestId('my-exercise-enter').click();
    await trainee.waitForURL(/#\/play$/);
    const card = trainee.locator('[data-testid="objective"][data-objective-id="answer"]');
    await card.getByTestId('answer-input').fill('42');
    await card.getByTestId('answer-submit').click();
    await trainee
      .locator('[data-testid="objective"][data-objective-id="answer"][data-solved="true"]')
      .waitFor();
    const me = (await trainee.evaluate(() => fetch('/api/auth/me').then((r) => r.json()))) as {
      principal: { kind: string; teamId: string; userId?: string };
    };
    expect(me.principal).to.include({ kind: 'participant', teamId: 'team-1' });
    expect(me.principal.userId).to.be.a('string');
  });

  it('the audit log holds every step, and no page broke the Content-Security-Policy', async () => {
    const audit = await operator()('GET', '/api/audit?limit=200');
    const actions = (audit.body.entries as { action: string }[]).map((e) => e.action);
    expect(actions).to.include.members(TENANCY_AUDIT_ACTIONS);
    expect(browser!.cspViolations).to.deep.equal([]);
  });
});
