import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { RunningPlatform } from '../../orchestrator/src/main.ts';
import { apiClient } from '../api-client.ts';
import {
  launchBrowser,
  selectLanguage,
  terminal,
  typeLine,
  waitForTerminalText,
  type TestBrowser,
} from './browser.ts';
import { startClassPlatform } from './class-platform.ts';

/** axe-core's browser build, injected into each page by the test (never bundled into the console). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Elements axe is not run on, each for a reason:
 * - `.xterm-helper-textarea`: xterm's own hidden input (1×1, transparent, off-screen by design; it
 *   receives keystrokes, and xterm labels it itself). The terminal pane around it carries our label,
 *   and its rows (`.xterm-rows`) are audited like any other text.
 * - `.xterm-accessibility`: xterm's screen-reader mirror of the buffer, off-screen by design.
 */
const EXCLUDE = ['.xterm-helper-textarea', '.xterm-accessibility'];

/** One host and three questions (the third locked until the first is solved), a hint and a check. */
const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata:
  id: a11y-drill
  version: 1.0.0
  title: { en: The accessibility drill, ja: アクセシビリティ演習 }
  summary: { en: A small exercise every page of the console is audited on., ja: コンソールの全ページを監査するための小さな演習。 }
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
    # shown as a web service button on the trainee page (nothing needs to answer for the audit)
    web:
      - port: 8080
        title: { en: Notes, ja: メモ }
        path: /
objectives:
  - id: answer
    kind: question
    title: { en: What is six times seven?, ja: 6 かける 7 は？ }
    points: 10
    question: { answers: ["42"] }
    hints:
      - id: count
        cost: 2
        text: { en: Count six groups of seven., ja: 7 を 6 回数えます。 }
  - id: marker
    kind: check
    title: { en: Create /tmp/marker, ja: /tmp/marker を作る }
    points: 20
    check:
      host: desk
      run: [test, -e, /tmp/marker]
      expect: { exitCode: 0 }
  - id: secret-room
    kind: question
    title: { en: The secret room's number, ja: 秘密の部屋の番号 }
    points: 30
    requires: [answer]
    question: { answers: ["7"] }
`;
const INSTRUCTOR = {
  email: 'a11y-teacher@example.com',
  password: 'a11y teacher secret 1',
  name: 'Ally Teacher',
};
const OPERATOR_PASSWORD = 'a11y-drill e2e operator secret 1';

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}
interface AuditRow {
  page: string;
  /** How many rules found nothing wrong (axe ran), and which could not decide (e.g. text on an image). */
  passed: number;
  incomplete: string[];
  lang: 'en' | 'ja';
  serious: Violation[];
  /** Moderate and minor violations: rule id → nodes, printed at the end, not asserted. */
  lesser: Record<string, number>;
  /** Where they are (the first few nodes of each). */
  lesserAt: string[];
}

/** Run axe-core on the page as it is now (injecting it once per document). */
async function runAxe(
  page: Page,
): Promise<{ violations: Violation[]; passed: number; incomplete: string[] }> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (exclude) => {
    interface AxeResult {
      passes: unknown[];
      incomplete: { id: string; nodes: { target: string[] }[] }[];
      violations: {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: string[]; failureSummary?: string }[];
      }[];
    }
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResult> } }).axe;
    const result = await axe.run(
      { include: [document], exclude: exclude.map((s) => [s]) },
      { resultTypes: ['violations'] },
    );
    return {
      passed: result.passes.length,
      incomplete: result.incomplete.map(
        (r) =>
          `${r.id}: ${r.nodes
            .slice(0, 3)
            .map((n) => n.target.join(' '))
            .join(', ')}${r.nodes.length > 3 ? ` (+${r.nodes.length - 3})` : ''}`,
      ),
      violations: result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
      })),
    };
  }, EXCLUDE);
}

/**
 * What the focused element is, and whether a person can see that it is focused: a visible outline
 * (or box shadow) of at least 2 px on it — or, for xterm's hidden input, on the terminal pane
 * around it — inside the window.
 */
async function focusState(page: Page): Promise<{ shown: boolean; what: string; testid: string }> {
  // tsx names the function below with a `__name` helper that does not exist in the page
  await page.evaluate('globalThis.__name ??= (f) => f');
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { shown: false, what: 'nothing (body)', testid: '' };
    // xterm's input is hidden by design: the ring must be on the terminal around it
    let holder: Element | null = el;
    let style = getComputedStyle(el);
    const ringed = (s: CSSStyleDeclaration) =>
      (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ||
      (s.boxShadow !== 'none' && s.boxShadow !== '');
    if (el.classList.contains('xterm-helper-textarea')) {
      const pane = el.closest('[data-testid="terminal"]');
      // (the textarea's own outline does not count: it is 0×0 and off-screen)
      for (holder = el.parentElement; holder && !ringed(getComputedStyle(holder)) && holder !== pane;)
        holder = holder.parentElement;
      if (!holder) return { shown: false, what: 'xterm outside a terminal pane', testid: '' };
      style = getComputedStyle(holder);
    }
    const box = holder.getBoundingClientRect();
    const inWindow =
      box.width > 0 &&
      box.height > 0 &&
      box.bottom > 0 &&
      box.right > 0 &&
      box.top < innerHeight &&
      box.left < innerWidth;
    const testid = el.closest('[data-testid]')?.getAttribute('data-testid') ?? '';
    const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${testid ? ` in [data-testid=${testid}]` : ''} (outline ${style.outlineStyle} ${style.outlineWidth}, shadow ${style.boxShadow}, box ${Math.round(box.top)},${Math.round(box.left)} ${Math.round(box.width)}×${Math.round(box.height)})`;
    return { shown: ringed(style) && inWindow, what, testid };
  });
}

/**
 * The accessibility audit (issue 12) in headless Chromium on the Docker engine: axe-core runs on
 * every page of the console in English and in Japanese, in the states a person sees (the trainee
 * page with a terminal open, a hint asked and an answer's feedback shown, the help form open; the
 * instructor's page of a live exercise with a shell open; the projector board after a solve; the
 * administration tabs …). No `serious` or `critical` violation is allowed; the moderate and minor
 * ones are counted and printed as JSON. Then a keyboard-only walk: join code → name → the play page →
 * the terminal (a command typed and its output read) → out of it with Esc, Tab → an objective's
 * answer → accepted, with the focused element visibly ringed at each step.
 */
describe('accessibility: axe-core on every console page and a keyboard-only walk (Chromium, Docker engine)', function () {
  this.timeout(120_000);
  let dir = '';
  let platform: RunningPlatform;
  let origin = '';
  let browser: TestBrowser;
  let exercise = '';
  let staffApi: ReturnType<typeof apiClient>;
  let operatorApi: ReturnType<typeof apiClient>;
  let staffPage: Page;
  let operatorPage: Page;
  const report: AuditRow[] = [];
  const started = { platform: false, browser: false };

  const ok = async (
    res: Promise<{ status: number; text: string; body: Record<string, unknown> }>,
    what: string,
  ) => {
    const r = await res;
    expect(r.status, `${what}: ${r.text}`).to.be.below(300);
    return r.body;
  };
  const joinCode = async (team: string) =>
    (
      (await ok(
        staffApi('POST', `/api/exercises/${exercise}/teams/${team}/join-codes`, {}),
        'join code',
      )) as {
        code: string;
      }
    ).code;

  /**
   * Audit `page` in both languages: `ready(lang)` waits until what a person sees is there. The
   * language is switched with the top bar's `lang-select` (or `choose`), and `<html lang>` checked.
   */
  const audit = async (
    page: Page,
    name: string,
    ready: (lang: 'en' | 'ja') => Promise<unknown>,
    choose: (lang: 'en' | 'ja') => Promise<void> = (lang) => selectLanguage(page, lang),
  ) => {
    const serious: string[] = [];
    for (const lang of ['en', 'ja'] as const) {
      await choose(lang);
      await ready(lang);
      expect(await page.evaluate(() => document.documentElement.lang), `<html lang> on ${name}`).to.equal(
        lang,
      );
      const { violations, passed, incomplete } = await runAxe(page);
      const row: AuditRow = { page: name, lang, passed, incomplete, serious: [], lesser: {}, lesserAt: [] };
      for (const v of violations) {
        if (v.impact === 'serious' || v.impact === 'critical') row.serious.push(v);
        else {
          row.lesser[`${v.id} (${v.impact ?? 'unknown'})`] = v.nodes.length;
          row.lesserAt.push(...v.nodes.slice(0, 3).map((n) => `${v.id}: ${n.target}`));
        }
      }
      report.push(row);
      for (const v of row.serious)
        serious.push(
          `${name} (${lang}): ${v.impact} ${v.id} — ${v.help}\n${v.nodes
            .slice(0, 5)
            .map((n) => `    ${n.target}: ${n.summary.replace(/\n/g, ' ')}`)
            .join('\n')}`,
        );
    }
    await choose('en');
    expect(serious, `serious or critical violations:\n${serious.join('\n')}`).to.deep.equal([]);
  };

  const text = (page: Page, needle: { en: string; ja: string }) => (lang: 'en' | 'ja') =>
    page.waitForFunction((s) => document.body.innerText.includes(s), needle[lang]);

  const signIn = async (page: Page, email: string, password: string) => {
    await page.goto(`${origin}/#/login`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('logout').waitFor();
  };

  before(async function () {
    this.timeout(300_000);
    ({ dir, platform, origin, staffApi } = await startClassPlatform({
      scenario: { id: 'a11y-drill', yaml: SCENARIO },
      env: { CYROP_SUBNET_POOL: '10.227.0.0/16' },
      organisation: 'Ally Training',
      instructor: INSTRUCTOR,
    }));
    started.platform = true;
    // the story and the solution the scenario page shows come from the folder's README
    writeFileSync(
      path.join(dir, 'scenarios', 'a11y-drill', 'README.md'),
      '# The accessibility drill\n\n## Story\n\nYou sit at **desk**. Answer the questions; the terminal helps.\n\n## How it is solved\n\nMultiply six by seven, and `touch /tmp/marker` on desk.\n',
    );
    operatorApi = apiClient(platform.url);
    await ok(
      operatorApi('POST', '/api/auth/login', { email: 'admin@localhost', password: OPERATOR_PASSWORD }),
      'operator sign-in',
    );
    const created = await ok(
      staffApi('POST', '/api/exercises', { scenario: 'a11y-drill', teams: 2, ttl: '1h', startScoring: true }),
      'launch',
    );
    exercise = created.id as string;
    for (let i = 0; ; i++) {
      const status = await ok(staffApi('GET', `/api/exercises/${exercise}`), 'exercise');
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
    // the moderate and minor findings: counted, not asserted
    const lesser: Record<string, Record<string, number>> = {};
    const review: Record<string, string[]> = {};
    const where: Record<string, string[]> = {};
    for (const row of report) {
      lesser[`${row.page} (${row.lang})`] = row.lesser;
      if (row.lesserAt.length > 0) where[`${row.page} (${row.lang})`] = row.lesserAt;
      if (row.incomplete.length > 0) review[`${row.page} (${row.lang})`] = row.incomplete;
    }
    console.log(
      JSON.stringify({
        audited: report.length,
        serious: report.reduce((n, r) => n + r.serious.length, 0),
        moderateOrMinor: lesser,
        moderateOrMinorAt: where,
        rulesPassedPerPage: Object.fromEntries(report.map((r) => [`${r.page} (${r.lang})`, r.passed])),
        needsReview: review,
      }),
    );
    try {
      if (started.platform && exercise) await staffApi('DELETE', `/api/exercises/${exercise}`);
    } finally {
      if (started.browser) await browser.close();
      if (started.platform) await platform.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('pages without an account', () => {
    let page: Page;
    before(async () => {
      ({ page } = await browser.newPage());
    });

    it('home', async () => {
      await page.goto(`${origin}/#/`);
      await page.getByTestId('home-code').waitFor();
      await audit(page, 'home', text(page, { en: 'The accessibility drill', ja: 'アクセシビリティ演習' }));
    });

    it('the audit finds what it must: a nameless button, a field without a label, grey text on grey', async () => {
      // the same run as on every page, on the home page with three faults put into it
      await page.evaluate(() => {
        const probe = document.createElement('div');
        probe.id = 'axe-probe';
        const button = document.createElement('button');
        const input = document.createElement('input');
        const faint = document.createElement('p');
        faint.textContent = 'Faint words';
        faint.style.color = '#aaaaaa';
        faint.style.background = '#bbbbbb';
        probe.append(button, input, faint);
        document.querySelector('main')?.append(probe);
      });
      const { violations } = await runAxe(page);
      const found = (id: string) =>
        violations.find((v) => v.id === id && v.nodes.some((n) => n.target.includes('axe-probe')));
      expect(found('button-name')?.impact, 'a nameless button').to.equal('critical');
      expect(found('label')?.impact, 'a field without a label').to.equal('critical');
      expect(found('color-contrast')?.impact, 'grey text on grey').to.equal('serious');
      await page.evaluate(() => document.getElementById('axe-probe')?.remove());
      expect(
        (await runAxe(page)).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
      ).to.deep.equal([]);
    });

    it('sign-in, and its error', async () => {
      await page.goto(`${origin}/#/login`);
      await page.getByTestId('login-email').fill('nobody@example.com');
      await page.getByTestId('login-password').fill('not the password');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').waitFor();
      await audit(page, 'login', async () => page.getByTestId('login-error').waitFor());
    });

    it('join (a code, a name to choose)', async () => {
      await page.goto(`${origin}/#/join/${await joinCode('team-1')}`);
      await audit(page, 'join', async () => page.getByTestId('join-name').waitFor());
    });

    it('invitation', async () => {
      const orgs = (await ok(operatorApi('GET', '/api/organisations'), 'organisations')).organisations as {
        id: string;
        name: string;
      }[];
      const org = orgs.find((o) => o.name === 'Ally Training');
      expect(org, 'the training company').to.not.equal(undefined);
      const invitation = await ok(
        operatorApi('POST', `/api/organisations/${org!.id}/invitations`, {
          email: 'invited@example.com',
          role: 'instructor',
          name: 'Invited Person',
        }),
        'invitation',
      );
      await page.goto(`${origin}${invitation.link as string}`);
      await audit(page, 'invite', async () => page.getByTestId('invite-name').waitFor());
    });

    it('a message page (the play page without joining)', async () => {
      await page.goto(`${origin}/#/play`);
      await audit(page, 'message', text(page, { en: 'Join', ja: '参加' }));
    });

    it('the forced change of a one-time password', async () => {
      const orgs = (await ok(operatorApi('GET', '/api/organisations'), 'organisations')).organisations as {
        id: string;
        name: string;
      }[];
      const org = orgs.find((o) => o.name === 'Ally Training')!;
      const made = await ok(
        operatorApi('POST', `/api/organisations/${org.id}/users`, {
          email: 'new-coach@example.com',
          name: 'New Coach',
          role: 'instructor',
        }),
        'a user with a one-time password',
      );
      await page.goto(`${origin}/#/login`);
      await page.getByTestId('login-email').fill('new-coach@example.com');
      await page.getByTestId('login-password').fill(made.oneTimePassword as string);
      await page.getByTestId('login-submit').click();
      await audit(page, 'login-change-password', async () => page.getByTestId('password-new').waitFor());
    });
  });

  let trainee: Page;
  describe('the trainee', () => {
    let page: Page;
    before(async () => {
      ({ page } = await browser.newPage());
      await page.goto(`${origin}/#/join/${await joinCode('team-1')}`);
      await page.getByTestId('join-name').fill('Audit Trainee');
      await page.getByTestId('join-submit').click();
      await page.waitForURL(/#\/play$/);
      trainee = page;
    });

    it('play: a terminal open with output, a hint shown, an answer refused with its feedback, a check run', async () => {
      const term = terminal(page, { host: 'desk' });
      await page.locator('[data-testid="terminal"][data-connected="true"]').waitFor();
      await typeLine(page, term, 'echo audit-$((6*7))');
      await waitForTerminalText(term, 'audit-42');
      const card = page.locator('[data-testid="objective"][data-objective-id="answer"]');
      await card.getByTestId('hint-button').click();
      await audit(page, 'play-hint-confirm', async () => card.getByTestId('hint-confirm').waitFor());
      await card.getByTestId('hint-confirm').click();
      await card.getByTestId('answer-input').fill('41');
      await card.getByTestId('answer-submit').click();
      await card.locator('[data-testid="answer-feedback"][data-outcome="wrong"]').waitFor();
      const check = page.locator('[data-testid="objective"][data-objective-id="marker"]');
      await check.getByTestId('check-button').click();
      await check.locator('[data-testid="check-feedback"][data-passed="false"]').waitFor();
      await page.locator('[data-testid="objective-locked"][data-objective-id="secret-room"]').waitFor();
      await page.locator('[data-testid="web-service"][data-host="desk"][data-port="8080"]').waitFor();
      await audit(page, 'play', async () =>
        page.locator('[data-testid="terminal"][data-connected="true"]').waitFor(),
      );
    });

    it('play: the help form open, then the request sent', async () => {
      await page.getByTestId('help-ask').click();
      await page.getByTestId('help-form').waitFor();
      await audit(page, 'play-help-form', async () => page.getByTestId('help-message').waitFor());
      await page.getByTestId('help-message').fill('the terminal is slow');
      await page.getByTestId('help-submit').click();
      await page.locator('[data-testid="help-status"][data-state="open"]').waitFor();
      await audit(page, 'play-help-sent', async () => page.getByTestId('help-status').waitFor());
    });
  });

  describe('a keyboard-only walk: join → terminal → answer (no mouse)', () => {
    let page: Page;
    before(async () => {
      ({ page } = await browser.newPage({ viewport: { width: 1366, height: 768 } }));
    });

    /** Press Tab until `selector` holds the focus (at most `max` times); the focus is shown at each stop. */
    const tabTo = async (selector: string, max = 80, key: 'Tab' | 'Shift+Tab' = 'Tab') => {
      const seen: string[] = [];
      for (let i = 0; i <= max; i++) {
        if (
          await page.evaluate(
            (s) => document.activeElement?.closest(s) !== null && document.activeElement !== document.body,
            selector,
          )
        )
          return;
        await page.keyboard.press(key);
        const focus = await focusState(page);
        seen.push(focus.what);
        expect(focus.shown, `the focus is not visible on ${focus.what}`).to.equal(true);
      }
      throw new Error(
        `${max} presses of ${key} never reached ${selector}; the focus went through:\n${seen.join('\n')}`,
      );
    };
    const expectFocusShown = async (where: string) => {
      const focus = await focusState(page);
      expect(focus.shown, `${where}: the focus is not visible on ${focus.what}`).to.equal(true);
      return focus;
    };

    it('types the join code on the home page and a name on the join page, reaching the play page', async () => {
      const code = await joinCode('team-2');
      await page.goto(`${origin}/#/`);
      await page.getByTestId('home-code').waitFor();
      await tabTo('[data-testid="home-code"]');
      await page.keyboard.type(code);
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/join\//);
      await page.getByTestId('join-name').waitFor();
      await tabTo('[data-testid="join-name"]');
      await page.keyboard.type('Keyboard Trainee');
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/play$/);
    });

    it('tabs into the terminal and runs a command there', async () => {
      await page.locator('[data-testid="terminal"][data-connected="true"]').waitFor();
      // the way out is said next to the terminal, in words
      expect(await page.locator('main').innerText()).to.contain('Esc, then Tab');
      await tabTo('[data-testid="terminal"] .xterm-helper-textarea');
      const focus = await expectFocusShown('in the terminal');
      expect(focus.testid).to.equal('terminal');
      await page.keyboard.type('echo keyboard-$((6*7))');
      await page.keyboard.press('Enter');
      await waitForTerminalText(terminal(page, { host: 'desk' }), 'keyboard-42');
      // Tab alone stays in the terminal (it completes in the shell)
      await page.keyboard.press('Tab');
      expect((await focusState(page)).testid, 'Tab alone keeps the focus in the terminal').to.equal(
        'terminal',
      );
    });

    it('leaves the terminal with Esc then Tab (or Shift+Tab), reaches the answer field and submits: accepted', async () => {
      // forwards: Esc, Tab reaches the terminal's own controls below it
      await page.keyboard.press('Escape');
      await page.keyboard.press('Tab');
      const after = await expectFocusShown('after Esc, Tab');
      expect(after.testid, `the focus left the terminal (${after.what})`).to.not.equal('terminal');
      expect(
        await page.evaluate(() => document.activeElement?.closest('[data-testid="terminal"]') !== null),
        'Esc, Tab lands on the controls under the screen',
      ).to.equal(true);
      // Shift+Tab from there goes back into the terminal
      await page.keyboard.press('Shift+Tab');
      expect((await expectFocusShown('back in the terminal')).testid).to.equal('terminal');
      // backwards: Esc, Shift+Tab leaves towards the objectives, which come before the terminal
      await page.keyboard.press('Escape');
      await page.keyboard.press('Shift+Tab');
      const before = await expectFocusShown('after Esc, Shift+Tab');
      expect(
        await page.evaluate(() => document.activeElement?.closest('[data-testid="terminal"]') === null),
        `Esc, Shift+Tab leaves the terminal (${before.what})`,
      ).to.equal(true);
      await tabTo(
        '[data-testid="objective"][data-objective-id="answer"] [data-testid="answer-input"]',
        80,
        'Shift+Tab',
      );
      await page.keyboard.type('42');
      await page.keyboard.press('Enter');
      const card = page.locator('[data-testid="objective"][data-objective-id="answer"]');
      await card.locator('[data-testid="answer-feedback"][data-outcome="correct"]').waitFor();
      await expectFocusShown('after the answer was accepted');
    });
  });

  describe('the instructor', () => {
    before(async () => {
      ({ page: staffPage } = await browser.newPage());
      await signIn(staffPage, INSTRUCTOR.email, INSTRUCTOR.password);
    });

    it('instructor: the launch form, the exercises and the catalogue', async () => {
      await staffPage.goto(`${origin}/#/instructor`);
      await audit(staffPage, 'instructor', async () =>
        staffPage.locator(`[data-testid="exercise-row"][data-exercise-id="${exercise}"]`).waitFor(),
      );
    });

    it('exercise: a live exercise with the instructor’s own shell open', async () => {
      await staffPage.goto(`${origin}/#/instructor/exercises/${exercise}`);
      await staffPage.locator('[data-testid="exercise-status"][data-status="running"]').waitFor();
      await staffPage.locator('[data-testid="help-row"][data-team-id="team-1"]').waitFor();
      const button = staffPage.locator(
        '[data-testid="team-row"][data-team-id="team-1"] [data-testid="staff-terminal-button"][data-host="desk"]',
      );
      await button.click();
      await staffPage.locator('[data-testid="staff-terminal"][data-connected="true"]').waitFor();
      // the trainee's terminal shadowed, read-only
      await staffPage.getByTestId('terminals-refresh').click();
      await staffPage
        .locator('[data-testid="terminal-row"][data-team-id="team-1"]')
        .first()
        .getByTestId('shadow-button')
        .click();
      await waitForTerminalText(terminal(staffPage, { testId: 'shadow-terminal' }), 'audit-42');
      await audit(staffPage, 'exercise', async () =>
        staffPage
          .locator(
            '[data-testid="grid-cell"][data-team-id="team-2"][data-objective-id="answer"][data-solved="true"]',
          )
          .waitFor(),
      );
    });

    it('exercise: a recording replayed', async () => {
      await staffPage.getByTestId('recordings-refresh').click();
      const row = staffPage.locator('[data-testid="recording-row"][data-team-id="team-1"]').first();
      await row.waitFor();
      await row.getByTestId('replay-button').click();
      await audit(staffPage, 'exercise-replay', async () => staffPage.getByTestId('replay').waitFor());
    });

    it('scenario page: story, objectives, topology, the solution opened', async () => {
      await staffPage.goto(`${origin}/#/instructor/scenarios/a11y-drill`);
      await staffPage.getByTestId('scenario-solution').waitFor();
      await staffPage.locator('[data-testid="scenario-solution"] summary').click();
      await audit(staffPage, 'scenario', async () => staffPage.getByTestId('topology').waitFor());
    });

    it('the exercise’s scenario page with the answers shown', async () => {
      await staffPage.goto(`${origin}/#/instructor/exercises/${exercise}/scenario`);
      await staffPage.getByTestId('answer-key-toggle').click();
      await audit(staffPage, 'exercise-scenario', async () =>
        staffPage.locator('[data-testid="answer-row"]').first().waitFor(),
      );
    });

    it('join sheet', async () => {
      await staffPage.goto(`${origin}/#/instructor/exercises/${exercise}/sheet`);
      await audit(staffPage, 'sheet', async () => staffPage.getByTestId('sheet-page').first().waitFor());
    });

    it('projector board after a solve', async () => {
      await staffPage.goto(`${origin}/#/instructor/exercises/${exercise}/board`);
      await audit(
        staffPage,
        'board',
        async () =>
          staffPage
            .locator('[data-testid="projector-row"][data-team-id="team-2"][data-solves="1"]')
            .waitFor(),
        async (lang) => {
          await staffPage.getByTestId('projector-lang').selectOption(lang);
          await staffPage.waitForFunction((l) => document.documentElement.lang === l, lang);
        },
      );
    });

    it('my account', async () => {
      await staffPage.goto(`${origin}/#/account`);
      await audit(staffPage, 'account', async () =>
        staffPage.locator('[data-testid="session-row"]').first().waitFor(),
      );
    });
  });

  describe('the operator’s administration', () => {
    before(async () => {
      ({ page: operatorPage } = await browser.newPage());
      await signIn(operatorPage, 'admin@localhost', OPERATOR_PASSWORD);
    });

    const tabs: [string, string][] = [
      ['organisations', 'org-list'],
      ['users', 'user-list'],
      ['publications', 'publication-none'],
      ['audit', 'audit-list'],
      ['health', 'health'],
    ];
    for (const [tab, ready] of tabs)
      it(`admin: ${tab}`, async () => {
        await operatorPage.goto(`${origin}/#/admin/${tab}`);
        await audit(operatorPage, `admin-${tab}`, async () =>
          operatorPage.getByTestId(ready).first().waitFor(),
        );
      });
  });

  describe('an org-admin’s administration', () => {
    let page: Page;
    before(async () => {
      const orgs = (await ok(operatorApi('GET', '/api/organisations'), 'organisations')).organisations as {
        id: string;
        name: string;
      }[];
      const org = orgs.find((o) => o.name === 'Ally Training')!;
      await ok(
        operatorApi('POST', `/api/organisations/${org.id}/users`, {
          email: 'ally-admin@example.com',
          name: 'Ally Admin',
          role: 'org-admin',
          password: 'ally admin secret 1',
        }),
        'org-admin',
      );
      ({ page } = await browser.newPage());
      await signIn(page, 'ally-admin@example.com', 'ally admin secret 1');
    });

    const tabs: [string, string][] = [
      ['users', 'invitation-form'],
      ['scenarios', 'admin-tab'],
      ['exercises', 'org-exercise-list'],
    ];
    for (const [tab, ready] of tabs)
      it(`org-admin: ${tab}`, async () => {
        await page.goto(`${origin}/#/admin/${tab}`);
        await audit(page, `org-admin-${tab}`, async () => page.getByTestId(ready).first().waitFor());
      });
  });

  describe('the end', () => {
    it('play: the end screen with the team’s result once scoring has ended', async () => {
      await ok(
        staffApi('POST', `/api/exercises/${exercise}/scoring/status`, { action: 'end' }),
        'end scoring',
      );
      await trainee.getByTestId('end-screen').waitFor();
      await audit(trainee, 'play-end', async () => trainee.getByTestId('final-result').waitFor());
    });
  });
});
