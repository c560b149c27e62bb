import { expect } from 'chai';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { RunningPlatform } from '../../orchestrator/src/main.ts';
import { startClassPlatform } from './class-platform.ts';
import { en } from '../../web-console/src/i18n/en.ts';
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

/** One host and three questions; the third is shown only after the first is solved. */
const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata:
  id: class-drill
  version: 1.0.0
  title: { en: The classroom drill, ja: 教室ドリル }
  summary: { en: Questions for a class with a projector., ja: プロジェクターのある教室向けの問題。 }
  category: other
  difficulty: beginner
networks:
  - name: lab
hosts:
  - name: desk
    image: cyrop/forensics-workstation:1
    networks: [lab]
    console: { user: trainee, shell: /bin/bash, workdir: /home/trainee }
    resources: { cpu: 0.5, memory: 128Mi, pids: 64, disk: 256Mi }
    command: [sleep, infinity]
objectives:
  - id: answer
    kind: question
    title: { en: What is six times seven?, ja: 6 かける 7 は？ }
    points: 10
    question: { answers: ["42"] }
  - id: colour
    kind: question
    title: { en: What colour is the sky?, ja: 空の色は？ }
    points: 20
    question: { answers: ["blue"] }
  - id: secret-room
    kind: question
    title: { en: The secret room's number, ja: 秘密の部屋の番号 }
    points: 30
    requires: [answer]
    question: { answers: ["7"] }
`;
const INSTRUCTOR = {
  email: 'class-teacher@example.com',
  password: 'class teacher secret 1',
  name: 'Class Teacher',
};
const TRAINEE = 'Bea Trainee';
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/**
 * Help requests and the projector scoreboard (issue 12) in headless Chromium on the Docker engine:
 * a trainee asks for help about an objective and a host; the instructor's exercise page shows it
 * live (no reload), acknowledges it (the trainee sees "seen"), replies to that team only, resolves
 * it (the trainee sees "resolved", and asking again at once is refused in words). The projector
 * page, opened from the exercise page's link, follows solves live without a single HTTP request
 * after it loaded (socket only), shows the frozen board while the board is frozen for trainees, and
 * fits a 1920×1080 and a 1366×768 screen in large type. Every page is captured in both languages.
 *
 * Steps share state and run in order: after a failure the later ones are skipped.
 */
describe('help requests and the projector scoreboard (Chromium, Docker engine)', function () {
  this.timeout(120_000);
  let dir = '';
  let platform: RunningPlatform;
  let origin = '';
  let browser: TestBrowser;
  let instructor: Page;
  let trainee: Page;
  let projector: Page;
  let exercise = '';
  let staffApi: ReturnType<typeof apiClient>;
  /** HTTP requests the projector page made after its first render. */
  const projectorRequests: string[] = [];
  let countRequests = false;
  const started = { platform: false, browser: false };

  const staff = async (method: string, url: string, body?: unknown) => {
    const res = await staffApi(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  /** Screenshot a page in both languages, each checked for its language and for text leaving its box. */
  const shootBoth = async (
    page: Page,
    name: string,
    label: { en: string; ja: string },
    /** Where text must stay in its box (the whole page by default). */
    scope = 'main',
  ) => {
    // the projector hides the console's top bar and has its own language choice
    const choose = async (lang: 'en' | 'ja') => {
      if (page !== projector) return selectLanguage(page, lang);
      await page.getByTestId('projector-lang').selectOption(lang);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    };
    for (const lang of ['en', 'ja'] as const) {
      await choose(lang);
      await page.waitForFunction((text) => document.body.innerText.includes(text), label[lang]);
      await page.evaluate(NAME_SHIM);
      checkLanguage(await page.evaluate(visibleText), lang, label[lang]);
      expect(
        await page.evaluate(findOverflow, scope),
        `text leaving its box on ${name} (${lang})`,
      ).to.deep.equal([]);
      await screenshot(page, lang, name, SHOTS);
    }
    await choose('en');
  };

  const signIn = async (page: Page, next = '') => {
    await page.goto(`${origin}/#/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    await page.getByTestId('login-email').fill(INSTRUCTOR.email);
    await page.getByTestId('login-password').fill(INSTRUCTOR.password);
    await page.getByTestId('login-submit').click();
  };

  const helpRow = () => instructor.locator('[data-testid="help-row"][data-team-id="team-1"]');
  const helpStatus = (state: string) => trainee.locator(`[data-testid="help-status"][data-state="${state}"]`);
  const projectorRow = (team: string) =>
    projector.locator(`[data-testid="projector-row"][data-team-id="${team}"]`);

  before(async function () {
    this.timeout(300_000);
    ({ dir, platform, origin, staffApi } = await startClassPlatform({
      scenario: { id: 'class-drill', yaml: SCENARIO },
      env: { CYROP_SUBNET_POOL: '10.234.0.0/16' },
      organisation: 'Class Co',
      instructor: INSTRUCTOR,
    }));
    started.platform = true;
    const created = await staff('POST', '/api/exercises', {
      scenario: 'class-drill',
      teams: 2,
      ttl: '1h',
      startScoring: true,
    });
    exercise = created.id as string;
    for (let i = 0; ; i++) {
      const status = await staff('GET', `/api/exercises/${exercise}`);
      const teams = status.teams as { state: string }[];
      if (status.state === 'running' && teams.every((t) => t.state === 'ready')) break;
      if (i > 240) throw new Error(`exercise ${exercise} did not get ready: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    browser = await launchBrowser();
    started.browser = true;
  });

  after(async function () {
    this.timeout(180_000);
    try {
      if (started.platform && exercise) await staffApi('DELETE', `/api/exercises/${exercise}`);
    } finally {
      if (started.browser) await browser.close();
      if (started.platform) await platform.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  skipAfterFirstFailure();

  it('the trainee asks for help about an objective and a host; the instructor sees it live, with team, who, when and text', async () => {
    ({ page: instructor } = await browser.newPage());
    await signIn(instructor);
    await instructor.waitForURL(/#\/instructor$/);
    await instructor.goto(`${origin}/#/instructor/exercises/${exercise}`);
    await instructor.getByTestId('help-queue').waitFor();
    await instructor.locator('[data-testid="exercise-status"][data-status="running"]').waitFor();
    // the page is not reloaded from here on: a marker on its window would be lost
    await instructor.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

    ({ page: trainee } = await browser.newPage());
    const { code } = (await staff('POST', `/api/exercises/${exercise}/teams/team-1/join-codes`, {})) as {
      code: string;
    };
    await trainee.goto(`${origin}/#/join/${code}`);
    await trainee.getByTestId('join-name').fill(TRAINEE);
    await trainee.getByTestId('join-submit').click();
    await trainee.waitForURL(/#\/play$/);
    await trainee.locator('[data-testid="objective"][data-objective-id="answer"]').waitFor();
    await trainee.getByTestId('help-ask').click();
    await trainee.getByTestId('help-message').fill('nmap shows no open port on desk');
    await trainee.getByTestId('help-objective').selectOption('answer');
    await trainee.getByTestId('help-host').selectOption('desk');
    await shootBoth(trainee, 'help-form', { en: 'What do you need?', ja: '困っていること' });
    await trainee.getByTestId('help-submit').click();
    await helpStatus('open').waitFor();
    expect(await helpStatus('open').innerText()).to.include(TRAINEE);
    await shootBoth(trainee, 'help-sent', {
      en: 'waiting for an instructor',
      ja: '講師の対応を待っています',
    });

    await helpRow().locator('[data-testid="help-text"]', { hasText: 'nmap shows no open port' }).waitFor();
    const row = await helpRow().innerText();
    expect(row).to.include('Team 1');
    expect(row).to.include(TRAINEE);
    expect(row).to.include('What is six times seven?');
    expect(row).to.include('desk');
    expect(await helpRow().getAttribute('data-state')).to.equal('open');
    expect(await instructor.evaluate(() => (window as unknown as { marker?: number }).marker)).to.equal(1);
    // the page's own grid is not this feature's: the queue is what is checked for overflow
    await shootBoth(
      instructor,
      'help-queue',
      { en: 'Help requests (1 open)', ja: 'ヘルプ依頼（未解決 1 件）' },
      '[data-testid="help-queue"]',
    );
  });

  it('acknowledged, the trainee sees "seen"; a reply reaches that team; resolved, the trainee sees "resolved" and cannot ask again at once', async () => {
    await helpRow().getByTestId('help-acknowledge').click();
    await helpStatus('acknowledged').waitFor();
    await helpRow().and(instructor.locator('[data-state="acknowledged"]')).waitFor();

    await helpRow().getByTestId('help-reply').click();
    await instructor.getByTestId('help-reply-input').fill('Coming to your desk now');
    await instructor.getByTestId('help-reply-send').click();
    await trainee.locator('[data-testid="broadcast"]', { hasText: 'Coming to your desk now' }).waitFor();

    await helpRow().getByTestId('help-resolve').click();
    await helpStatus('resolved').waitFor();
    // the open list is empty again; the resolved one is folded below
    await instructor.locator('[data-testid="help-list"]').waitFor({ state: 'detached' });
    expect(await instructor.evaluate(() => (window as unknown as { marker?: number }).marker)).to.equal(1);

    await trainee.getByTestId('help-ask').click();
    await trainee.getByTestId('help-submit').click();
    const error = trainee.getByTestId('help-error');
    await error.waitFor();
    expect(await error.innerText()).to.match(/You can ask again in \d+ s\./);
    await shootBoth(trainee, 'help-resolved', { en: 'is resolved', ja: '解決済みです' });
  });

  it("another team's trainee withdraws its request; the instructor sees it withdrawn by the team", async () => {
    const { page: other } = await browser.newPage();
    const { code } = (await staff('POST', `/api/exercises/${exercise}/teams/team-2/join-codes`, {})) as {
      code: string;
    };
    await other.goto(`${origin}/#/join/${code}`);
    await other.getByTestId('join-name').fill('Kenji');
    await other.getByTestId('join-submit').click();
    await other.waitForURL(/#\/play$/);
    await other.getByTestId('help-ask').click();
    await other.getByTestId('help-submit').click();
    await other.locator('[data-testid="help-status"][data-state="open"]').waitFor();
    const row = instructor.locator('[data-testid="help-row"][data-team-id="team-2"]');
    await row.waitFor();
    await shootBoth(other, 'help-open-withdraw', { en: 'Withdraw request', ja: '依頼を取り下げる' });
    await other.getByTestId('help-withdraw').click();
    const withdrawn = other.locator('[data-testid="help-status"][data-state="resolved"]');
    await withdrawn.waitFor();
    expect(await withdrawn.innerText()).to.include('Your team withdrew its request');
    expect(await other.getByTestId('help-withdraw').count()).to.equal(0);
    // gone from the instructor's open list, folded below as withdrawn by the team (not by an instructor)
    const folded = instructor.locator('.help-resolved [data-testid="help-row"][data-team-id="team-2"]');
    await folded.and(instructor.locator('[data-state="resolved"]')).waitFor({ state: 'attached' });
    expect(await row.and(instructor.locator('[data-state="open"]')).count()).to.equal(0);
    expect(await folded.textContent()).to.include('withdrawn by the team');
    await other.close();
  });

  it('the projector board opens from the exercise page, and follows a solve live over the socket (no HTTP request)', async () => {
    const href = await instructor.getByTestId('projector-link').getAttribute('href');
    expect(href).to.match(new RegExp(`#/instructor/exercises/${exercise}/board$`));
    projector = await instructor.context().newPage();
    await projector.setViewportSize({ width: 1920, height: 1080 });
    await projector.goto(new URL(href!, origin).toString());
    await projectorRow('team-1').waitFor();
    await projector.locator('[data-testid="projector-status"]').waitFor();
    await projector.waitForFunction(() => document.body.innerText.includes('What colour is the sky?'));
    expect(await projectorRow('team-1').getAttribute('data-points')).to.equal('0');
    // an objective shown only after another is solved is numbered, not named
    const locked = projector.locator('[data-testid="projector-objective"][data-objective-id="secret-room"]');
    expect(await locked.innerText()).to.include('Objective 3');
    expect(await projector.locator('.topbar').isVisible()).to.equal(false);
    projector.on('request', (request) => {
      if (countRequests && !request.url().startsWith('data:')) projectorRequests.push(request.url());
    });
    countRequests = true;

    const answer = trainee.locator('[data-testid="objective"][data-objective-id="answer"]');
    await answer.getByTestId('answer-input').fill('42');
    await answer.getByTestId('answer-submit').click();
    await answer.locator('[data-testid="answer-feedback"][data-outcome="correct"]').waitFor();
    await projector
      .locator('[data-testid="projector-row"][data-team-id="team-1"][data-points="10"]')
      .waitFor();
    expect(await projectorRow('team-1').getAttribute('data-rank')).to.equal('1');
    await projector
      .locator('[data-testid="projector-objective"][data-objective-id="answer"][data-solves="1"]')
      .waitFor();
    expect(projectorRequests, 'the projector polled').to.deep.equal([]);
  });

  it('while the board is frozen for trainees the projector shows the frozen board; unfrozen, it catches up live', async () => {
    await staff('POST', `/api/exercises/${exercise}/scoring/status`, { action: 'freeze' });
    await projector.getByTestId('projector-frozen').waitFor();
    const colour = trainee.locator('[data-testid="objective"][data-objective-id="colour"]');
    await colour.getByTestId('answer-input').fill('blue');
    await colour.getByTestId('answer-submit').click();
    await colour.locator('[data-testid="answer-feedback"][data-outcome="correct"]').waitFor();
    // the instructor's live board has it; the trainees' and the projector's do not
    const live = await staff('GET', `/api/exercises/${exercise}/scoreboard?view=live`);
    expect(
      (live.board as { teamId: string; points: number }[]).find((r) => r.teamId === 'team-1')?.points,
    ).to.be.above(10);
    const shown = await staff('GET', `/api/exercises/${exercise}/scoreboard?view=public`);
    const publicPoints = (shown.board as { teamId: string; points: number }[]).find(
      (r) => r.teamId === 'team-1',
    )?.points;
    expect(publicPoints).to.equal(10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await projectorRow('team-1').getAttribute('data-points')).to.equal('10');

    for (const [width, height] of [
      [1920, 1080],
      [1366, 768],
    ] as const) {
      await projector.setViewportSize({ width, height });
      const fit = await projector.evaluate(() => ({
        fits: document.documentElement.scrollHeight <= window.innerHeight + 1,
        rowPx: parseFloat(
          getComputedStyle(document.querySelector('[data-testid="projector-row"] th')!).fontSize,
        ),
      }));
      expect(fit.fits, `the projector board fits ${width}×${height} without scrolling`).to.equal(true);
      // readable from the back of a room: team names at least 36 px on the large screen, 24 px on the small
      expect(fit.rowPx, `row type at ${width}×${height}`).to.be.at.least(width === 1920 ? 36 : 24);
      await shootBoth(projector, `projector-frozen-${width}x${height}`, {
        en: 'Scoreboard frozen',
        ja: 'スコアボード凍結中',
      });
      const text = await projector.evaluate(() => document.body.innerText);
      expect(text, 'no trainee names on the projector').to.not.include(TRAINEE);
      expect(text).to.not.match(/CYROP\{|answers/);
    }

    await staff('POST', `/api/exercises/${exercise}/scoring/status`, { action: 'unfreeze' });
    await projector
      .locator('[data-testid="projector-row"][data-team-id="team-1"][data-points="30"]')
      .waitFor();
    await projector.getByTestId('projector-frozen').waitFor({ state: 'detached' });
    await projector.setViewportSize({ width: 1920, height: 1080 });
    await shootBoth(projector, 'projector-live-1920x1080', { en: 'Live', ja: 'ライブ' });
    // a language switch re-renders from what the page holds: still no request
    expect(projectorRequests, 'the projector made HTTP requests after it loaded').to.deep.equal([]);
  });

  it('no page broke the Content-Security-Policy', () => {
    expect(browser.cspViolations).to.deep.equal([]);
  });
});

/** The fixed parts (12 characters or more) of this feature's English messages: none on a Japanese page. */
const ENGLISH_ONLY = Object.entries(en)
  .filter(([key]) => /^(?:help\.|helpQueue\.|projector\.)/.test(key))
  .map(([, text]) => text.split('{')[0]!.trim())
  .filter((text) => text.length >= 12);

function checkLanguage(text: string, lang: 'en' | 'ja', label: string): void {
  if (lang === 'ja')
    for (const english of ENGLISH_ONLY)
      expect(text, 'English message on the Japanese page').to.not.include(english);
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  else expect(text, 'no Japanese text on the English page').to.not.match(JAPANESE);
  expect(text, 'no raw message key').to.not.match(/\b(?:help|helpQueue|projector)\.[a-z][A-Za-z0-9]*\b/);
  expect(text, 'no unfilled {placeholder}').to.not.match(/\{[a-z]+\}/i);
}
