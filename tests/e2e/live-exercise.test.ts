import { expect } from 'chai';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { RunningPlatform } from '../../orchestrator/src/main.ts';
import { startClassPlatform } from './class-platform.ts';
import { apiClient } from '../api-client.ts';
import { en } from '../../web-console/src/i18n/en.ts';
import { TerminalClient } from '../engine/terminal-client.ts';
import {
  launchBrowser,
  screenshot,
  selectLanguage,
  skipAfterFirstFailure,
  terminal,
  type TestBrowser,
  typeLine,
  waitForTerminalText,
} from './browser.ts';
import { FirefoxBrowser, testid, type FirefoxPage } from './firefox.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A scenario made for this test: one host, a question (42) and a check whose one-line reason says
 * whether the marker file exists. Its check runs on the trainee's host (a validation warning only).
 */
const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata:
  id: live-drill
  version: 1.0.0
  title: { en: The live drill, ja: ライブ演習ドリル }
  summary: { en: A question and a check against the clock., ja: 時間内に解く問題とチェック。 }
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
  - id: marker
    kind: check
    title: { en: Leave the marker, ja: 目印を置く }
    points: 20
    description: { en: Create the file /tmp/drill-done on desk., ja: desk に /tmp/drill-done というファイルを作ってください。 }
    check:
      host: desk
      run: [/bin/sh, -c, "if [ -f /tmp/drill-done ]; then echo 'the marker /tmp/drill-done is in place'; else echo 'the marker /tmp/drill-done is missing'; exit 1; fi"]
      expect: { exitCode: 0 }
      timeout: 10s
`;
const HOST = 'desk';
const INSTRUCTOR = { email: 'live-teacher@example.com', password: 'live teacher secret 1' };
/** Hiragana, katakana or CJK ideographs. */
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
const SHOTS = path.join(REPO, 'tests', 'e2e', 'screenshots');

/**
 * The trainee's page follows the live exercise (issue 12), in headless Chromium with the trainee
 * path also in Firefox, on the Docker engine. Exercise B is launched with "Start scoring at launch"
 * and a 2-minute lifetime: answers count at once, the 2-minute warning shows, and at its expiry the
 * page says time is up, no new shell is given, and the janitor's teardown brings the end screen.
 * Exercise A is launched without it and 8 minutes: "not started" (banner and answer feedback) and
 * the 10-minute warning, until the instructor starts scoring; a check's reason; an extension; the
 * end of scoring and the teardown, each reflected at once (pushed, no reload). Every state is
 * captured in English and Japanese and checked for its language and for text leaving its box.
 *
 * Steps share state and run in order: after a failure the later ones are skipped.
 */
describe('trainee page follows the live exercise (Chromium + Firefox, Docker engine)', function () {
  this.timeout(120_000);
  let dir = '';
  let platform: RunningPlatform;
  let origin = '';
  let browser: TestBrowser;
  let firefoxBrowser: FirefoxBrowser | undefined;
  let instructor: Page;
  let traineeB: Page;
  let traineeA: Page;
  let fox: FirefoxPage;
  let exerciseA = '';
  let exerciseB = '';
  let staffApi: ReturnType<typeof apiClient>;
  const started = { platform: false, browser: false };

  /** A staff API call that must succeed. */
  const staff = async (method: string, url: string, body?: unknown) => {
    const res = await staffApi(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  /** Screenshot a Chromium page in both languages, each checked for its language and overflow. */
  const shootBoth = async (page: Page, name: string, label: { en: string; ja: string }) => {
    for (const lang of ['en', 'ja'] as const) {
      await selectLanguage(page, lang);
      await assertLanguage(page, lang, label[lang]);
      expect(await overflowing(page), `text leaving its box on ${name} (${lang})`).to.deep.equal([]);
      await screenshot(page, lang, name, SHOTS);
    }
    await selectLanguage(page, 'en');
  };

  /** The same in Firefox (screenshots/firefox/<lang>/<name>.png). */
  const shootBothFirefox = async (name: string, label: { en: string; ja: string }) => {
    for (const lang of ['en', 'ja'] as const) {
      await fox.selectLanguage(lang);
      await fox.waitFor(`document.body.innerText.includes(${JSON.stringify(label[lang])})`);
      const text = (await fox.evaluate(`(${NAME_SHIM}, (${visibleText.toString()})())`)) as string;
      checkLanguageText(text, lang, label[lang]);
      const over = (await fox.evaluate(`(${NAME_SHIM}, (${findOverflow.toString()})())`)) as string[];
      expect(over, `text leaving its box on ${name} in Firefox (${lang})`).to.deep.equal([]);
      await fox.screenshot(`${lang}/${name}`);
    }
    await fox.selectLanguage('en');
  };

  const joinCode = async (exercise: string) =>
    (await staff('POST', `/api/exercises/${exercise}/teams/team-1/join-codes`, {})).code as string;

  const join = async (page: Page, code: string, name: string) => {
    await page.goto(`${origin}/#/join/${code}`);
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-submit').click();
    await page.waitForURL(/#\/play$/);
    await page.getByTestId('mission').waitFor();
  };

  const waitReady = async (exercise: string) => {
    for (let i = 0; ; i++) {
      const status = await staff('GET', `/api/exercises/${exercise}`);
      const teams = status.teams as { state: string }[];
      if (status.state === 'running' && teams.every((t) => t.state === 'ready')) return;
      if (i > 240) throw new Error(`exercise ${exercise} did not get ready: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  /** Launch from the instructor's form; returns the new exercise's id. */
  const launchFromForm = async (ttl: string, startScoring: boolean) => {
    await instructor.goto(`${origin}/#/instructor`);
    await instructor.locator('[data-testid="create-scenario"] option[value="live-drill"]').waitFor({
      state: 'attached',
    });
    await instructor.getByTestId('create-scenario').selectOption('live-drill');
    await instructor.getByTestId('create-teams').fill('1');
    await instructor.getByTestId('create-ttl').fill(ttl);
    await instructor.getByTestId('create-start-scoring').setChecked(startScoring);
    await instructor.getByTestId('create-submit').click();
    await instructor.waitForURL(/#\/instructor\/exercises\/[^/]+$/);
    return decodeURIComponent(/#\/instructor\/exercises\/([^/]+)$/.exec(instructor.url())![1]!);
  };

  /** The trainee's session cookie, for a terminal socket opened outside the page. */
  const cookieOf = async (page: Page) =>
    (await page.context().cookies(origin)).map((c) => `${c.name}=${c.value}`).join('; ');

  /** Ask the terminal socket for a new shell as the page's trainee: the error code, or 'opened'. */
  const openShellAs = async (page: Page) => {
    const client = await TerminalClient.connect(platform.url, await cookieOf(page));
    if ('error' in client) return `connect: ${client.error}`;
    try {
      const reply = await client.open({ host: HOST, cols: 80, rows: 24 });
      return reply.ok ? 'opened' : `${reply.error.code}: ${reply.error.message}`;
    } finally {
      client.socket.close();
    }
  };

  before(async function () {
    this.timeout(300_000);
    // The janitor tears expired exercises down every 20 s (the default is minutes).
    ({ dir, platform, origin, staffApi } = await startClassPlatform({
      scenario: { id: 'live-drill', yaml: SCENARIO },
      env: { CYROP_SUBNET_POOL: '10.236.0.0/16', CYROP_RECONCILE_SECONDS: '20' },
      organisation: 'Live Co',
      instructor: { ...INSTRUCTOR, name: 'Live Teacher' },
    }));
    started.platform = true;
    browser = await launchBrowser();
    started.browser = true;
  });

  after(async function () {
    this.timeout(180_000);
    try {
      if (started.platform) {
        const listed = (await staffApi('GET', '/api/exercises')).body as {
          exercises?: { id: string; state: string }[];
        };
        for (const { id } of (listed.exercises ?? []).filter((e) => e.state !== 'ended'))
          await staffApi('DELETE', `/api/exercises/${id}`);
      }
    } finally {
      if (firefoxBrowser) await firefoxBrowser.close();
      if (started.browser) await browser.close();
      if (started.platform) await platform.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  skipAfterFirstFailure();

  it('the launch form offers "Start scoring at launch" (off by default); on, scoring is open before any team is ready', async function () {
    ({ page: instructor } = await browser.newPage());
    await instructor.goto(`${origin}/#/login`);
    await instructor.getByTestId('login-email').fill(INSTRUCTOR.email);
    await instructor.getByTestId('login-password').fill(INSTRUCTOR.password);
    await instructor.getByTestId('login-submit').click();
    await instructor.waitForURL(/#\/instructor$/);
    const box = instructor.getByTestId('create-start-scoring');
    await box.waitFor();
    expect(await box.isChecked(), 'the option is off by default').to.equal(false);
    await instructor.locator('[data-testid="create-scenario"] option[value="live-drill"]').waitFor({
      state: 'attached',
    });
    await shootBoth(instructor, 'live-launch-form', {
      en: 'Start scoring at launch',
      ja: '起動と同時に採点を開始する',
    });

    exerciseB = await launchFromForm('2m', true);
    const board = await staff('GET', `/api/exercises/${exerciseB}/scoreboard`);
    expect(board.status, 'scoring opened with the launch').to.equal('running');
  });

  it('B: the trainee sees the 2-minute warning, no "not started", and an answer counts at once', async function () {
    this.timeout(240_000);
    await waitReady(exerciseB);
    ({ page: traineeB } = await browser.newPage());
    await join(traineeB, await joinCode(exerciseB), 'Bea');
    await traineeB.locator('[data-testid="live-banner"][data-kind="warning"][data-level="2"]').waitFor();
    await traineeB.locator('[data-testid="countdown"][data-level="2"]').waitFor();
    expect(await traineeB.locator('[data-testid="live-banner"][data-kind="not-started"]').count()).to.equal(
      0,
    );
    const objective = traineeB.locator('[data-testid="objective"][data-objective-id="answer"]');
    await objective.getByTestId('answer-input').fill('42');
    await objective.getByTestId('answer-submit').click();
    await objective.locator('[data-testid="answer-feedback"][data-outcome="correct"]').waitFor();
    await shootBoth(traineeB, 'live-warning-2min', {
      en: 'Less than 2 minutes left',
      ja: '残り 2 分を切りました',
    });
  });

  it('B: at its expiry the page says time is up, no new shell is given, and the teardown brings the end screen', async function () {
    this.timeout(300_000);
    await traineeB.locator('[data-testid="live-banner"][data-kind="time-up"]').waitFor({ timeout: 150_000 });
    // past the end: the server refuses a new shell whether or not the janitor has come yet
    expect(await openShellAs(traineeB)).to.match(/^CONFLICT: /);
    const end = traineeB.locator('[data-testid="end-screen"][data-reason="exercise"]');
    await end.waitFor({ timeout: 120_000 });
    const result = end.getByTestId('final-result');
    await traineeB.locator('[data-testid="final-result"][data-points="10"][data-rank="1"]').waitFor();
    expect(await result.innerText()).to.contain('10 points');
    await traineeB.getByTestId('no-shells').waitFor();
    expect(await traineeB.getByTestId('terminal').count(), 'no terminal after the end').to.equal(0);
    expect(await traineeB.getByTestId('countdown').count(), 'no countdown after the end').to.equal(0);
    await shootBoth(traineeB, 'live-expired', { en: 'The exercise has ended', ja: '演習は終了しました' });
  });

  it('A: launched without the option, trainees (Chromium and Firefox) are told scoring has not started, with the 10-minute warning', async function () {
    this.timeout(240_000);
    exerciseA = await launchFromForm('8m', false);
    expect((await staff('GET', `/api/exercises/${exerciseA}/scoreboard`)).status).to.equal('pending');
    await waitReady(exerciseA);
    const code = await joinCode(exerciseA);
    ({ page: traineeA } = await browser.newPage());
    await join(traineeA, code, 'Alice');
    await traineeA.locator('[data-testid="live-banner"][data-kind="not-started"]').waitFor();
    await traineeA.locator('[data-testid="live-banner"][data-kind="warning"][data-level="10"]').waitFor();
    const objective = traineeA.locator('[data-testid="objective"][data-objective-id="answer"]');
    await objective.getByTestId('answer-input').fill('42');
    await objective.getByTestId('answer-submit').click();
    const feedback = objective.locator('[data-testid="answer-feedback"][data-outcome="not-started"]');
    await feedback.waitFor();
    expect(await feedback.innerText()).to.contain('Scoring has not started yet');
    expect(await feedback.innerText()).to.not.contain('closed');
    await traineeA
      .locator(`[data-testid="terminal"][data-host="${HOST}"][data-connected="true"]`)
      .waitFor({ timeout: 60_000 });
    await shootBoth(traineeA, 'live-not-started', {
      en: 'Scoring has not started yet',
      ja: '採点はまだ始まっていません',
    });

    firefoxBrowser = await FirefoxBrowser.launch();
    fox = await firefoxBrowser.newPage();
    await fox.goto(`${origin}/#/join/${code}`);
    await fox.waitForSelector(testid('join-name'));
    await fox.fill(testid('join-name'), 'Fox');
    await fox.click(testid('join-submit'));
    await fox.waitFor(`location.hash === '#/play'`);
    await fox.waitForSelector(testid('live-banner', { 'data-kind': 'not-started' }));
    await fox.waitForSelector(testid('live-banner', { 'data-kind': 'warning', 'data-level': '10' }));
    await fox.waitForSelector(testid('countdown', { 'data-level': '10' }));
    await fox.waitFor(
      `document.querySelector('[data-testid="terminal"][data-host="${HOST}"]')?.dataset.connected === 'true'`,
      60_000,
    );
    await shootBothFirefox('live-not-started', {
      en: 'Scoring has not started yet',
      ja: '採点はまだ始まっていません',
    });
  });

  it('A: the instructor starts scoring and both pages drop the banner at once; the answer counts', async () => {
    await staff('POST', `/api/exercises/${exerciseA}/scoring/status`, { action: 'start' });
    await traineeA
      .locator('[data-testid="live-banner"][data-kind="not-started"]')
      .waitFor({ state: 'detached' });
    await fox.waitFor(`!document.querySelector('[data-testid="live-banner"][data-kind="not-started"]')`);
    const objective = traineeA.locator('[data-testid="objective"][data-objective-id="answer"]');
    await objective.getByTestId('answer-submit').click();
    await objective.locator('[data-testid="answer-feedback"][data-outcome="correct"]').waitFor();
    // the team's timeline tells the early answer apart from one sent after the end
    const timeline = traineeA.getByTestId('timeline');
    await timeline.locator('li', { hasText: 'refused: scoring had not started' }).waitFor();
    expect(await timeline.innerText()).to.not.contain('refused: closed');
  });

  it('A: a check shows its one-line reason, not an exit code, failing and then passing', async () => {
    const card = traineeA.locator('[data-testid="objective"][data-objective-id="marker"]');
    await card.getByTestId('check-button').click();
    const failedCheck = card.locator('[data-testid="check-feedback"][data-passed="false"]');
    await failedCheck.waitFor();
    const failedText = await failedCheck.innerText();
    expect(failedText).to.contain('the marker /tmp/drill-done is missing');
    expect(failedText).to.not.match(/exit code/i);
    await shootBoth(traineeA, 'live-check-reason', { en: 'Not passed yet', ja: 'まだ合格していません' });

    const term = terminal(traineeA, { host: HOST });
    await typeLine(traineeA, term, 'touch /tmp/drill-done && echo MARKED-$((6*7))');
    await waitForTerminalText(term, /^MARKED-42$/m);
    // the check's cooldown (10 s) refuses a run too soon: wait until the button is enabled again
    await card.locator('[data-testid="check-button"]:not([disabled])').waitFor({ timeout: 30_000 });
    for (let attempt = 0; ; attempt++) {
      await card.getByTestId('check-button').click();
      await card.locator('[data-testid="check-feedback"][data-passed]').waitFor();
      if ((await card.getByTestId('check-feedback').getAttribute('data-passed')) === 'true') break;
      const text = await card.getByTestId('check-feedback').innerText();
      // only the cooldown may refuse it
      expect(text, 'the check was refused for its cooldown only').to.match(/Try again in/);
      if (attempt > 5) throw new Error(`the check never passed: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    expect(await card.getByTestId('check-feedback').innerText()).to.contain(
      'the marker /tmp/drill-done is in place',
    );
    await traineeA
      .locator('[data-testid="objective"][data-objective-id="marker"][data-solved="true"]')
      .waitFor();
  });

  it('A: an extension reaches both pages at once: new end time, warning gone, a notice', async () => {
    const extended = (await staff('POST', `/api/exercises/${exerciseA}/extend`, { by: '30m' })) as {
      expiresAt: number;
    };
    const endsAt = new Date(extended.expiresAt).toISOString();
    await traineeA
      .locator(`[data-testid="countdown"][data-ends-at="${endsAt}"][data-level="none"]`)
      .waitFor();
    await traineeA.locator('[data-testid="live-banner"][data-kind="extended"]').waitFor();
    expect(await traineeA.locator('[data-testid="live-banner"][data-kind="warning"]').count()).to.equal(0);
    await fox.waitForSelector(testid('countdown', { 'data-ends-at': endsAt, 'data-level': 'none' }));
    await fox.waitForSelector(testid('live-banner', { 'data-kind': 'extended' }));
    expect(
      await fox.evaluate(
        `document.querySelectorAll('[data-testid="live-banner"][data-kind="warning"]').length`,
      ),
    ).to.equal(0);
    await shootBoth(traineeA, 'live-extended', {
      en: 'The instructor extended the exercise',
      ja: '講師が演習を延長しました',
    });
    await shootBothFirefox('live-extended', {
      en: 'The instructor extended the exercise',
      ja: '講師が演習を延長しました',
    });
  });

  it("A: the end of scoring shows the team's final result and closes the answers; the shell stays", async () => {
    await staff('POST', `/api/exercises/${exerciseA}/scoring/status`, { action: 'end' });
    for (const page of [traineeA]) {
      await page.locator('[data-testid="end-screen"][data-reason="scoring"]').waitFor();
      await page
        .locator('[data-testid="final-result"][data-points="30"][data-rank="1"][data-solves="2"]')
        .waitFor();
      await page.locator('[data-testid="live-banner"][data-kind="scoring-ended"]').waitFor();
      expect(await page.getByTestId('final-result').innerText()).to.contain('30 points');
      const answer = page.locator('[data-testid="objective"][data-objective-id="marker"]');
      expect(await answer.getByTestId('check-button').isDisabled(), 'no check after the end').to.equal(true);
      expect(await page.getByTestId('terminal').count(), 'the hosts are still there').to.be.above(0);
    }
    await fox.waitForSelector(testid('end-screen', { 'data-reason': 'scoring' }));
    await fox.waitForSelector(testid('final-result', { 'data-points': '30', 'data-rank': '1' }));
    await shootBoth(traineeA, 'live-scoring-ended', { en: 'Scoring has ended', ja: '採点は終了しました' });
    await shootBothFirefox('live-scoring-ended', { en: 'Scoring has ended', ja: '採点は終了しました' });
  });

  it('A: the teardown ends both pages: end screen, no terminal, no shell offered or given', async function () {
    this.timeout(240_000);
    await staff('DELETE', `/api/exercises/${exerciseA}`);
    await traineeA
      .locator('[data-testid="end-screen"][data-reason="exercise"]')
      .waitFor({ timeout: 120_000 });
    await traineeA.getByTestId('no-shells').waitFor();
    expect(await traineeA.getByTestId('terminal').count()).to.equal(0);
    expect(await traineeA.getByRole('button', { name: /new shell/i }).count()).to.equal(0);
    expect(await openShellAs(traineeA)).to.match(/^CONFLICT: /);
    // a reload shows the same end: nothing is offered from a fresh page either
    await traineeA.reload();
    await traineeA.locator('[data-testid="end-screen"][data-reason="exercise"]').waitFor();
    // the final result survives the reload (the own row comes from the scoreboard, not the socket)
    await traineeA
      .locator('[data-testid="final-result"][data-points="30"][data-rank="1"][data-solves="2"]')
      .waitFor();
    await traineeA.getByTestId('no-shells').waitFor();
    expect(await traineeA.getByTestId('terminal').count()).to.equal(0);
    await fox.waitForSelector(testid('end-screen', { 'data-reason': 'exercise' }), 120_000);
    await fox.waitForSelector(testid('no-shells'));
    expect(await fox.evaluate(`document.querySelectorAll('[data-testid="terminal"]').length`)).to.equal(0);
    await shootBoth(traineeA, 'live-ended', { en: 'The exercise has ended', ja: '演習は終了しました' });
    await shootBothFirefox('live-ended', { en: 'The exercise has ended', ja: '演習は終了しました' });
  });

  it('no page broke the Content-Security-Policy', () => {
    expect(browser.cspViolations).to.deep.equal([]);
    expect(firefoxBrowser?.cspViolations ?? []).to.deep.equal([]);
  });
});

/** The page's visible text without the language menu and terminals (runs in the page). */
function visibleText(): string {
  const body = document.body.cloneNode(true) as HTMLElement;
  for (const el of body.querySelectorAll('select, .xterm, script, style')) el.remove();
  return body.innerText || body.textContent || '';
}

/**
 * Elements whose text leaves its box (runs in the page): a block whose content is wider than it
 * (scrollable regions and terminals aside), or anything reaching past the viewport's width.
 */
function findOverflow(): string[] {
  const bad: string[] = [];
  const width = document.documentElement.clientWidth;
  const describe = (el: Element) =>
    `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${el.textContent.trim().slice(0, 60)}"`;
  for (const el of document.querySelectorAll<HTMLElement>('main *, .page *, body > * *')) {
    if (el.closest('.xterm, select, option, svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const rect = el.getBoundingClientRect();
    // nothing to see: empty, or visually hidden for screen readers only (1 px, clipped)
    if (rect.width <= 2 || rect.height <= 2 || style.getPropertyValue('clip') !== 'auto') continue;
    if (rect.right > width + 1) {
      bad.push(`past the viewport: ${describe(el)}`);
      continue;
    }
    const scrolls =
      ['auto', 'scroll'].includes(style.overflowX) || ['auto', 'scroll'].includes(style.overflowY);
    if (!scrolls && style.display !== 'inline' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      bad.push(`wider than its box: ${describe(el)}`);
  }
  return [...new Set(bad)];
}

/** tsx (esbuild keepNames) wraps inner functions in `__name(...)`, which pages lack. */
const NAME_SHIM = 'globalThis.__name ??= (f) => f';

async function overflowing(page: Page): Promise<string[]> {
  await page.evaluate(NAME_SHIM);
  return page.evaluate(findOverflow);
}

/** `<html lang>`, the label, the script of the text; no raw message key or {placeholder}. */
async function assertLanguage(page: Page, lang: 'en' | 'ja', label: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.lang)).to.equal(lang);
  await page.evaluate(NAME_SHIM);
  checkLanguageText(await page.evaluate(visibleText), lang, label);
}

/**
 * The fixed parts (before any `{placeholder}`, 12 characters or more) of the English messages this
 * feature added: none may appear on a Japanese page.
 */
const ENGLISH_ONLY = Object.entries(en)
  .filter(([key]) =>
    /^(?:live\.|end\.|feedback\.notStarted|check\.\w+Reason|timeline\.submission\.notStarted)/.test(key),
  )
  .map(([, text]) => text.split('{')[0]!.trim())
  .filter((text) => text.length >= 12);

function checkLanguageText(text: string, lang: 'en' | 'ja', label: string): void {
  if (lang === 'ja')
    for (const english of ENGLISH_ONLY)
      expect(text, 'English message on the Japanese page').to.not.include(english);
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  else expect(text, 'no Japanese text on the English page').to.not.match(JAPANESE);
  expect(text, 'no raw message key').to.not.match(
    /\b(?:live|end|check|feedback|instructor|play)\.[a-z][A-Za-z0-9]*\b/,
  );
  expect(text, 'no unfilled {placeholder}').to.not.match(/\{[a-z]+\}/i);
}
