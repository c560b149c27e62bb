import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import type { io as socketIo } from 'socket.io-client';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { DEFAULT_FONT_SIZE, TERMINAL_FONT_SIZES } from '../../web-console/src/terminal/terminal-style.ts';
import {
  launchBrowser,
  screenshot,
  selectLanguage,
  skipAfterFirstFailure,
  terminal,
  terminalText,
  type TestBrowser,
  typeLine,
  underscoreCoverage,
  waitForTerminalText,
} from './browser.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOCKET_IO_CLIENT = path.join(REPO, 'node_modules/socket.io-client/dist/socket.io.min.js');

/** The shipped scenario whose solution is shortest to type: one host, a bash history and an ext2 image. */
const SCENARIO = 'usb-leak-forensics';
const CONSOLE_HOST = 'workstation';
const INSTRUCTOR = { email: 'teacher@example.com', password: 'teacher secret 123', name: 'Teacher' };

/** Hiragana, katakana or CJK ideographs. */
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** A label the console shows on a page, in each language (web-console/src/i18n/). */
interface Label {
  en: string;
  ja: string;
}
const STAFF_LABEL: Label = { en: 'Instructor', ja: '講師' };

/** What differs between the engines the journey runs on. */
export interface ConsoleEngine {
  /** The engine's name in the suite's title, e.g. `Docker engine`. */
  name: string;
  /** CYROP_ENGINE: what the platform must report it runs on (`/readyz`). */
  engine: 'docker' | 'kubernetes';
  /** The teams of `exercise` whose environment the engine holds, running (not going away). */
  teamsOnEngine(exercise: string): Promise<string[]>;
  /**
   * In `before`: the platform's environment for this engine (CYROP_ENGINE and its settings), the
   * scenario's images made available to it. May skip the suite, saying why.
   */
  prepare(ctx: Mocha.Context): Promise<NodeJS.ProcessEnv>;
  /**
   * Save the screenshots under tests/e2e/screenshots/ (the committed set); otherwise into the run's
   * temporary folder, removed afterwards (the pages are the same whatever the engine).
   */
  keepScreenshots: boolean;
}

/**
 * The web console in headless Chromium against a real platform on `engine`, with the
 * shipped catalogue: an instructor signs in and launches a scenario for two teams; a trainee of
 * team 1 joins by link, solves two objectives by typing into the browser terminal and scores; the
 * instructor sees the points and shadows the terminal; a trainee of team 2 is refused team 1's
 * terminal; a reload resumes the same shell with its screen. Screenshots of every page in English
 * and Japanese, each checked to show its language.
 *
 * The steps share state and run in order: when one fails, the later ones are skipped.
 */
export function consoleJourney(engine: ConsoleEngine): void {
  describe(`web console end to end (headless Chromium, ${engine.name})`, function () {
    this.timeout(120_000);
    let dir = '';
    let platform: RunningPlatform;
    /** What `before` got to (it may have skipped or failed): `after` undoes only that. */
    const started = { platform: false, browser: false };
    let origin: string;
    let browser: TestBrowser;
    let instructor: Page;
    let trainee: Page;
    let exerciseId = '';
    let terminalId = '';
    let flag = '';
    let pidBefore = '';

    let staffApi: ReturnType<typeof apiClient>;
    const newApiClient = () => apiClient(platform.url);

    /**
     * Screenshot the page in both languages and check that each really shows that language, with a
     * label known to be on the page in each.
     */
    const shootBoth = async (page: Page, name: string, label: Label) => {
      for (const lang of ['en', 'ja'] as const) {
        await selectLanguage(page, lang);
        await assertLanguage(page, lang, label[lang]);
        await screenshot(
          page,
          lang,
          name,
          engine.keepScreenshots ? undefined : path.join(dir, 'screenshots'),
        );
      }
      await selectLanguage(page, 'en');
    };

    before(async function () {
      this.timeout(600_000);
      const env = await engine.prepare(this);
      if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
        throw new Error('the web console is not built: run `npm run build:web` first');
      dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-e2e-'));
      const dataDir = path.join(dir, 'data');
      const database = await openDatabase(dataDir);
      const operatorPassword = (await new AccountService({ db: database.db }).ensureFirstOperator())!
        .password;
      await database.close();
      const config = loadConfig(env, { port: 0, dataDir, scenariosDir: path.join(REPO, 'scenarios') });
      platform = await startPlatform(config, pino({ level: 'silent' }));
      started.platform = true;
      origin = platform.url.replace(/\/$/, '');
      const ready = (await newApiClient()('GET', '/readyz')).body as { engine?: string };
      expect(ready.engine, 'the engine the platform runs on').to.equal(engine.engine);

      // The operator makes an organisation and a real instructor account through the API.
      const operator = newApiClient();
      const login = await operator('POST', '/api/auth/login', {
        email: 'admin@localhost',
        password: operatorPassword,
      });
      expect(login.status).to.equal(200);
      const changed = await operator('POST', '/api/auth/password', {
        currentPassword: operatorPassword,
        newPassword: 'a much longer secret 1',
      });
      expect(changed.status).to.equal(200);
      const org = await operator('POST', '/api/organisations', {
        name: 'Training Co',
        kind: 'training-company',
      });
      expect(org.status).to.equal(201);
      const made = await operator('POST', `/api/organisations/${org.body.id as string}/users`, {
        email: INSTRUCTOR.email,
        name: INSTRUCTOR.name,
        role: 'instructor',
        password: INSTRUCTOR.password,
      });
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      // The same instructor over the API, for the teardown only.
      staffApi = newApiClient();
      expect(
        (
          await staffApi('POST', '/api/auth/login', {
            email: INSTRUCTOR.email,
            password: INSTRUCTOR.password,
          })
        ).status,
      ).to.equal(200);

      browser = await launchBrowser();
      started.browser = true;
    });

    after(async function () {
      this.timeout(180_000);
      if (!started.platform || !started.browser) {
        // skipped, or failed before the journey could start
        if (started.platform) await platform.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
        return;
      }
      try {
        // Tear down whatever this run left running (the data dir is ours alone, so every exercise is).
        const listed = (await staffApi('GET', '/api/exercises')).body as {
          exercises?: { id: string; state: string }[];
        };
        for (const { id } of (listed.exercises ?? []).filter((e) => e.state !== 'ended')) {
          const deleted = await staffApi('DELETE', `/api/exercises/${id}`);
          expect(deleted.status, `teardown of ${id}: ${JSON.stringify(deleted.body)}`).to.equal(200);
        }
      } finally {
        await browser.close();
        await platform.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    skipAfterFirstFailure();

    it('the instructor signs in on the login page', async () => {
      ({ page: instructor } = await browser.newPage());
      await instructor.goto(`${origin}/#/login`);
      await instructor.getByTestId('login-email').waitFor();
      await shootBoth(instructor, 'login', { en: 'Sign in', ja: 'サインイン' });

      await instructor.getByTestId('login-email').fill(INSTRUCTOR.email);
      await instructor.getByTestId('login-password').fill('not the password');
      await instructor.getByTestId('login-submit').click();
      await instructor.getByTestId('login-error').waitFor();

      await instructor.getByTestId('login-password').fill(INSTRUCTOR.password);
      await instructor.getByTestId('login-submit').click();
      await instructor.waitForURL(/#\/instructor$/);
    });

    it('the catalogue shows the shipped scenarios, validated', async () => {
      const row = instructor.locator(`[data-testid="scenario-row"][data-scenario-id="${SCENARIO}"]`);
      await row.waitFor();
      expect(await instructor.getByTestId('scenario-row').count()).to.be.at.least(6);
      await row.getByTestId('scenario-valid').waitFor();
      // Categories and durations in words of the page's language, not the scenario's slugs.
      expect(await row.innerText())
        .to.include('· Forensics · 1 h 30 min')
        .and.not.include('· forensics');
      await selectLanguage(instructor, 'ja');
      expect(await row.innerText()).to.include('フォレンジック');
      await selectLanguage(instructor, 'en');
      await shootBoth(instructor, 'instructor-catalogue', STAFF_LABEL);
    });

    it('the instructor launches the scenario for two teams and the teams get ready', async function () {
      this.timeout(300_000);
      await instructor.getByTestId('create-scenario').selectOption(SCENARIO);
      await instructor.getByTestId('create-teams').fill('2');
      // A duration the API would refuse is explained in words before anything is sent…
      await instructor.getByTestId('create-ttl').fill('1h30');
      await instructor.getByTestId('create-submit').click();
      await instructor.getByText('The duration “1h30” is not one', { exact: false }).waitFor();
      // …and the one the help text offers is taken.
      await instructor.getByTestId('create-ttl').fill('1h30m');
      await instructor.getByTestId('create-submit').click();
      await instructor.waitForURL(/#\/instructor\/exercises\/[^/]+$/);
      exerciseId = decodeURIComponent(/#\/instructor\/exercises\/([^/]+)$/.exec(instructor.url())![1]!);

      for (const team of ['team-1', 'team-2'])
        await instructor
          .locator(`[data-testid="team-row"][data-team-id="${team}"][data-state="ready"]`)
          .waitFor({ timeout: 240_000 });
      await instructor.locator('[data-testid="exercise-status"][data-status="running"]').waitFor();
      const teams = instructor.getByTestId('team-row');
      expect(
        await teams.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-team-id'))),
      ).to.deep.equal(['team-1', 'team-2']);

      // on the engine itself, not only in the store
      expect(await engine.teamsOnEngine(exerciseId)).to.have.members(['team-1', 'team-2']);

      // Scoring opens when the instructor says so.
      await instructor.getByTestId('scoring-start').click();
      await instructor.locator('[data-testid="scoring-status"][data-status="running"]').waitFor();
    });

    it('a trainee of team 1 joins by the join link and gets a terminal', async () => {
      const team1 = instructor.locator('[data-testid="team-row"][data-team-id="team-1"]');
      await team1.getByTestId('join-code-button').click();
      const link = await team1.getByTestId('join-link').getAttribute('href');
      expect(link).to.match(new RegExp(`^${origin}/#/join/[A-Za-z0-9-]+$`));

      ({ page: trainee } = await browser.newPage());
      await trainee.goto(link!);
      await trainee.getByTestId('join-name').fill('Alice');
      await trainee.getByTestId('join-submit').click();
      await trainee.waitForURL(/#\/play$/);
      await trainee.getByTestId('mission').waitFor();

      const hostTab = trainee.locator(`[data-testid="host-tab"][data-host="${CONSOLE_HOST}"]`);
      if ((await hostTab.count()) > 0) await hostTab.click();
      const term = terminal(trainee, { host: CONSOLE_HOST });
      await trainee
        .locator(`[data-testid="terminal"][data-host="${CONSOLE_HOST}"][data-connected="true"]`)
        .waitFor({ timeout: 60_000 });
      terminalId = (await term.getAttribute('data-terminal-id')) ?? '';
      expect(terminalId).to.not.equal('');
      await typeLine(trainee, term, 'echo READY-$((6*7)) && id -un');
      await waitForTerminalText(term, /^READY-42$/m);
      await waitForTerminalText(term, /^trainee$/m);
    });

    it('the terminal draws every underscore at each text size, and stays beside the objectives on a 1366×768 laptop', async function () {
      this.timeout(120_000);
      const term = terminal(trainee, { host: CONSOLE_HOST });
      await trainee.setViewportSize({ width: 1366, height: 768 });
      try {
        await typeLine(trainee, term, "printf '%s\\n' ________");
        await waitForTerminalText(term, /^_{8}$/m);
        const size = async () => Number(await term.getAttribute('data-font-size'));
        const step = async (button: 'terminal-smaller' | 'terminal-larger') => {
          const before = await size();
          await term.getByTestId(button).click();
          for (let i = 0; i < 100 && (await size()) === before; i++) await trainee.waitForTimeout(20);
        };
        while (await term.getByTestId('terminal-smaller').isEnabled()) await step('terminal-smaller');
        const seen: number[] = [];
        for (;;) {
          const coverage = await underscoreCoverage(term);
          // Each underscore spans most of its cell (glyph side bearings leave a pixel or two).
          expect(
            Math.min(...coverage),
            `underscores at ${await size()} px: ${coverage.join(' ')}`,
          ).to.be.at.least(0.6);
          seen.push(await size());
          if (!(await term.getByTestId('terminal-larger').isEnabled())) break;
          await step('terminal-larger');
        }
        expect(seen).to.deep.equal([...TERMINAL_FONT_SIZES]);
        while ((await size()) > DEFAULT_FONT_SIZE) await step('terminal-smaller');

        // Beside the objectives, in view, whichever objective the trainee scrolled to.
        const last = trainee.getByTestId('objective').last();
        await last.getByRole('button').first().scrollIntoViewIfNeeded();
        await screenshot(
          trainee,
          'en',
          'play-laptop-1366x768',
          engine.keepScreenshots ? undefined : path.join(dir, 'screenshots'),
          false,
        );
        const [box, card] = await Promise.all([term.boundingBox(), last.boundingBox()]);
        expect(box && card, 'terminal and last objective on the page').to.not.equal(null);
        expect(box!.x, 'the terminal is right of the objectives').to.be.at.least(card!.x + card!.width);
        expect(box!.y, 'the terminal top is in the window').to.be.at.least(0);
        expect(box!.y + box!.height, 'the terminal bottom is in the window').to.be.at.most(768);
        expect(box!.height, 'the terminal takes most of the window height').to.be.above(768 / 2);
        // The grip makes it taller with the keyboard too.
        const grip = term.getByTestId('terminal-grip');
        const screenBefore = (await term.locator('.terminal-screen').boundingBox())!.height;
        await grip.focus();
        await trainee.keyboard.press('ArrowDown');
        const screenAfter = (await term.locator('.terminal-screen').boundingBox())!.height;
        expect(screenAfter).to.be.above(screenBefore);
      } finally {
        await trainee.setViewportSize({ width: 1440, height: 900 });
      }
    });

    it('Japanese typed through an input method (IME composition) reaches the shell once', async () => {
      const term = terminal(trainee, { host: CONSOLE_HOST });
      await term.locator('.xterm-screen').click();
      await trainee.keyboard.type('echo IME-');
      // What an IME does: a pre-edit string that changes while the person converts it, then a commit.
      const cdp = await trainee.context().newCDPSession(trainee);
      await cdp.send('Input.imeSetComposition', { text: 'にほんご', selectionStart: 4, selectionEnd: 4 });
      await cdp.send('Input.imeSetComposition', { text: '日本語', selectionStart: 3, selectionEnd: 3 });
      await cdp.send('Input.insertText', { text: '日本語' });
      await cdp.detach();
      await trainee.keyboard.press('Enter');
      // only the committed text, once: no pre-edit text leaked into the shell
      await waitForTerminalText(term, /^IME-日本語$/m);
    });

    it('the trainee solves two objectives by typing into the terminal and scores', async function () {
      this.timeout(180_000);
      const term = terminal(trainee, { host: CONSOLE_HOST });

      // drop-host: the scp destination in the suspect's bash history.
      await typeLine(trainee, term, "grep -h '^scp ' /srv/case/home-*/.bash_history");
      const scp = await waitForTerminalText(term, /^scp .* [^@ \n]+@([^: \n]+):/m);
      await answer(trainee, 'drop-host', scp[1]!, 'correct');

      // deleted-archive: the deleted name's inode in the ext2 image, its content through icat and tar.
      await typeLine(trainee, term, 'fls -r -d /srv/case/usb.img | grep q3-designs');
      const deleted = await waitForTerminalText(term, /\* (\d+)[^\n]*:\s*q3-designs\.tar\.gz/);
      await typeLine(
        trainee,
        term,
        `icat /srv/case/usb.img ${deleted[1]!} | tar -xzO | grep 'Transfer reference'`,
      );
      flag = (await waitForTerminalText(term, /Transfer reference: *(CYROP\{[0-9a-f]+\})/))[1]!;
      await answer(trainee, 'deleted-archive', 'CYROP{0000}', 'wrong');
      await answer(trainee, 'deleted-archive', flag, 'correct');

      // 100 + 200 points, on the trainee's board and on the instructor's board and grid.
      await trainee.locator('[data-testid="board-row"][data-team-id="team-1"][data-points="300"]').waitFor();
      await instructor
        .locator('[data-testid="board-row"][data-team-id="team-1"][data-points="300"]')
        .waitFor();
      for (const objective of ['drop-host', 'deleted-archive']) {
        await instructor
          .locator(
            `[data-testid="grid-cell"][data-team-id="team-1"][data-objective-id="${objective}"][data-solved="true"]`,
          )
          .waitFor();
        expect(
          await instructor
            .locator(`[data-testid="grid-cell"][data-team-id="team-2"][data-objective-id="${objective}"]`)
            .getAttribute('data-solved'),
        ).to.equal('false');
      }
      expect(
        await instructor
          .locator('[data-testid="board-row"][data-team-id="team-2"]')
          .getAttribute('data-points'),
      ).to.equal('0');
      await shootBoth(trainee, 'trainee', { en: 'Mission', ja: 'ミッション' });
      await shootBoth(instructor, 'exercise', { en: 'Scoreboard', ja: 'スコアボード' });
    });

    it('the instructor shadows the trainee terminal and sees the same text', async () => {
      const row = instructor.locator(`[data-testid="terminal-row"][data-terminal-id="${terminalId}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-team-id')).to.equal('team-1');
      expect(await row.getAttribute('data-host')).to.equal(CONSOLE_HOST);
      await row.getByTestId('shadow-button').click();
      const shadow = terminal(instructor, { testId: 'shadow-terminal' });
      await waitForTerminalText(shadow, `Transfer reference: ${flag}`);

      const term = terminal(trainee, { host: CONSOLE_HOST });
      await typeLine(trainee, term, 'echo SHADOW-$((5*5))');
      await waitForTerminalText(term, /^SHADOW-25$/m);
      await waitForTerminalText(shadow, /^SHADOW-25$/m);
      const lastLines = (text: string) =>
        text
          .split('\n')
          .filter((l) => l.trim() !== '')
          .slice(-4);
      // the owner's screen and the viewer's end the same way (the prompt after the echo included)
      await waitForCondition(
        async () =>
          JSON.stringify(lastLines(await terminalText(shadow))) ===
          JSON.stringify(lastLines(await terminalText(term))),
        'the shadow view shows the same last lines as the trainee',
      );
      await shootBoth(instructor, 'shadow', { en: 'Live terminals', ja: '使用中のターミナル' });
    });

    it('a trainee of team 2 is refused team 1 terminal', async () => {
      const team2 = instructor.locator('[data-testid="team-row"][data-team-id="team-2"]');
      await team2.getByTestId('join-code-button').click();
      const link = (await team2.getByTestId('join-link').getAttribute('href'))!;
      // bypassCSP: the test injects the socket.io client bundle into this page below
      const { page: other } = await browser.newPage({ bypassCSP: true });
      await other.goto(link);
      await other.getByTestId('join-name').fill('Mallory');
      await other.getByTestId('join-submit').click();
      await other.waitForURL(/#\/play$/);
      await other.getByTestId('mission').waitFor();

      // The console offers no way to ask for another team's terminal, so ask on the wire, with the
      // page's own session cookie: the socket.io client bundle, loaded into that page.
      await other.addScriptTag({ path: SOCKET_IO_CLIENT });
      // tsx (esbuild keepNames) wraps the functions below in `__name(...)`, which the page lacks
      await other.evaluate('globalThis.__name ??= (f) => f');
      const replies = await other.evaluate(
        async ({ terminalId, exerciseId, host }) => {
          type Reply = { ok: true; terminal?: { teamId: string } } | { ok: false; error: { code: string } };
          const io = (window as unknown as { io: typeof socketIo }).io;
          const socket = io(`${location.origin}/terminal`, { transports: ['websocket'], forceNew: true });
          await new Promise<void>((resolve, reject) => {
            socket.on('connect', () => {
              resolve();
            });
            socket.on('connect_error', reject);
          });
          const errors: string[] = [];
          socket.on('terminal:error', (_id: string, error: { code: string }) => errors.push(error.code));
          const call = (event: string, request: object) =>
            new Promise<Reply>((resolve) => {
              socket.emit(event, request, resolve);
            });
          const watch = await call('watch', { terminalId });
          const resume = await call('open', { terminalId, host, cols: 80, rows: 24 });
          const openTeam1 = await call('open', { exerciseId, teamId: 'team-1', host, cols: 80, rows: 24 });
          socket.emit('input', { terminalId, data: 'echo INTRUDER-$((6*7))\r' });
          // a reply on the same socket after the input: the server has handled the input by then
          const list = await call('list', { exerciseId });
          socket.disconnect();
          return { watch, resume, openTeam1, list, errors };
        },
        { terminalId, exerciseId, host: CONSOLE_HOST },
      );
      const { errors, ...calls } = replies;
      for (const [name, reply] of Object.entries(calls)) {
        expect(reply, `${name}: ${JSON.stringify(reply)}`).to.have.property('ok', false);
        // refused as forbidden, or answered like a terminal/exercise that does not exist
        expect((reply as { error: { code: string } }).error.code, name).to.be.oneOf([
          'FORBIDDEN',
          'NOT_FOUND',
        ]);
      }
      // the keystrokes were refused on the wire (the reply to `list` came after them)
      expect(errors, 'terminal:error for the input').to.have.length(1);
      // the keystrokes sent to team 1's terminal ran nowhere
      const term = terminal(trainee, { host: CONSOLE_HOST });
      await typeLine(trainee, term, 'echo CHECK-$((7*7))');
      await waitForTerminalText(term, /^CHECK-49$/m);
      expect(await terminalText(term)).to.not.match(/^INTRUDER-42$/m);
      await other.context().close();
    });

    it('a reload of the trainee page resumes the same shell with its screen', async () => {
      let term = terminal(trainee, { host: CONSOLE_HOST });
      await typeLine(trainee, term, 'echo PID-BEFORE=$$');
      pidBefore = (await waitForTerminalText(term, /^PID-BEFORE=(\d+)$/m))[1]!;
      await typeLine(trainee, term, 'echo TYPED-BEFORE-RELOAD');
      await waitForTerminalText(term, /^TYPED-BEFORE-RELOAD$/m);

      await trainee.reload();
      term = terminal(trainee, { host: CONSOLE_HOST });
      await trainee
        .locator(
          `[data-testid="terminal"][data-host="${CONSOLE_HOST}"][data-connected="true"][data-terminal-id="${terminalId}"]`,
        )
        .waitFor({ timeout: 30_000 });
      // the restored screen (a snapshot written on attach) shows what was typed before the reload
      await waitForTerminalText(term, /^TYPED-BEFORE-RELOAD$/m, 5_000);
      await typeLine(trainee, term, 'echo PID-AFTER=$$');
      const pidAfter = (await waitForTerminalText(term, /^PID-AFTER=(\d+)$/m))[1]!;
      expect(pidAfter).to.equal(pidBefore);
    });

    it('the instructor sees the recordings', async () => {
      // The page refreshes its lists by itself; the button asks for it at once.
      await instructor.getByTestId('recordings-refresh').click();
      const list = instructor.getByTestId('recordings');
      await list.waitFor();
      const row = list.locator(
        `[data-testid="recording-row"][data-terminal-id="${terminalId}"][data-team-id="team-1"][data-host="${CONSOLE_HOST}"]`,
      );
      await row.waitFor({ timeout: 30_000 });
      // the list is redrawn when it changes: scroll by selector, not by a handle that may be replaced
      await instructor.evaluate(() => document.querySelector('[data-testid="recordings"]')?.scrollIntoView());
      await shootBoth(instructor, 'recordings', { en: 'Recordings', ja: '録画' });
    });

    it('every page ran under the strict Content-Security-Policy without a single violation', async () => {
      const csp = await instructor.evaluate(async () =>
        (await fetch('/', { cache: 'no-store' })).headers.get('content-security-policy'),
      );
      expect(csp).to.contain("default-src 'self'");
      expect(csp).to.contain("script-src 'self'");
      expect(browser.cspViolations).to.deep.equal([]);
    });

    it('a message to one team reaches that team only', async function () {
      this.timeout(60_000);
      const send = async (to: string, message: string) => {
        await instructor.getByTestId('broadcast-to').selectOption(to);
        await instructor.getByTestId('broadcast-input').fill(message);
        await instructor.getByTestId('broadcast-submit').click();
        await instructor.getByText(`: ${message}`, { exact: false }).first().waitFor();
      };
      await send('team-2', 'Team 2 only: restart your web server');
      await send('team-1', 'Team 1: look at the bash history again');
      const live = trainee.getByTestId('broadcast');
      await live.filter({ hasText: 'look at the bash history again' }).waitFor();
      expect(await live.innerText()).to.include('Message from your instructor to your team');
      // Team 2's message never reached team 1's page, not even among the older ones.
      expect(await trainee.locator('body').innerText()).to.not.include('Team 2 only');
      await trainee.reload();
      await trainee.getByTestId('mission').waitFor();
      await live.filter({ hasText: 'look at the bash history again' }).waitFor();
      expect(await trainee.locator('body').innerText()).to.not.include('Team 2 only');
    });

    it('resets and the end of scoring wait for a confirmation naming what they act on; ended scoring reopens', async function () {
      this.timeout(180_000);
      const team2 = instructor.locator('[data-testid="team-row"][data-team-id="team-2"]');
      await team2.getByTestId('reset-host-select').selectOption(CONSOLE_HOST);
      await team2.getByTestId('reset-host-button').click();
      const confirmation = team2.getByTestId('reset-confirmation');
      expect(await confirmation.innerText())
        .to.include(CONSOLE_HOST)
        .and.include('Team 2');
      await team2.getByTestId('reset-cancel').click();
      expect(await confirmation.count(), 'Cancel leaves nothing to confirm').to.equal(0);
      expect(await team2.locator('[role="status"]').count(), 'Cancel reset nothing').to.equal(0);
      await team2.getByTestId('reset-host-button').click();
      await shootBoth(instructor, 'reset-confirm', {
        en: `Reset ${CONSOLE_HOST} of Team 2?`,
        ja: `Team 2 の ${CONSOLE_HOST} をリセットしますか？`,
      });
      // The instructor's own shell on that host ends with it, and says why in words.
      await team2.locator(`[data-testid="staff-terminal-button"][data-host="${CONSOLE_HOST}"]`).click();
      const ownShell = instructor.getByTestId('staff-terminal');
      await instructor
        .locator('[data-testid="staff-terminal"][data-connected="true"]')
        .waitFor({ timeout: 60_000 });
      await team2.getByTestId('reset-host-button').click();
      await team2.getByTestId('reset-confirm').click();
      await team2
        .locator('[role="status"].good', { hasText: `${CONSOLE_HOST} was reset.` })
        .waitFor({ timeout: 150_000 });
      await instructor
        .locator('[data-testid="staff-terminal"][data-ended="host-reset"]')
        .waitFor({ timeout: 30_000 });
      expect(await ownShell.locator('.terminal-overlay').innerText()).to.include(
        'The shell has ended: an instructor reset this host.',
      );

      await instructor.getByTestId('scoring-end').click();
      expect(
        await instructor.locator('.confirm', { hasText: 'End scoring for every team now?' }).count(),
      ).to.equal(1);
      await instructor.getByTestId('scoring-end-confirm').click();
      await instructor.locator('[data-testid="scoring-status"][data-status="ended"]').waitFor();
      const reopen = instructor.getByTestId('scoring-start');
      expect(await reopen.innerText()).to.equal('Reopen scoring');
      await reopen.click();
      await instructor.locator('[data-testid="scoring-status"][data-status="running"]').waitFor();
    });

    it('the instructor tears the exercise down', async function () {
      this.timeout(180_000);
      await instructor.getByTestId('teardown-button').click();
      await instructor.getByTestId('teardown-confirm').click();
      await instructor
        .locator('[data-testid="exercise-status"][data-status="ended"]')
        .waitFor({ timeout: 170_000 });
      // the trainee's page follows at once: the end screen, and its terminals give way to a notice
      // that no shell can be opened (live-exercise.test.ts covers the flows in detail)
      await trainee
        .locator('[data-testid="end-screen"][data-reason="exercise"]')
        .waitFor({ timeout: 30_000 });
      await trainee.getByTestId('no-shells').waitFor();
      expect(await trainee.getByTestId('terminal').count(), 'no terminal after the end').to.equal(0);
      expect(await engine.teamsOnEngine(exerciseId), 'environments left on the engine').to.deep.equal([]);
      // The page agrees with itself: scoring is over, nothing is offered that cannot act any more.
      expect(await instructor.getByTestId('scoring-status').innerText()).to.equal(
        'Over (the exercise has ended)',
      );
      for (const id of ['scoring-start', 'scoring-end', 'scoring-freeze', 'scoring-unfreeze'])
        expect(await instructor.getByTestId(id).count(), id).to.equal(0);
      for (const id of ['extend-button', 'broadcast-submit', 'teardown-button'])
        expect(await instructor.getByTestId(id).isDisabled(), id).to.equal(true);
      for (const button of await instructor
        .locator('[data-testid="reset-host-button"], [data-testid="reset-team-button"]')
        .all())
        expect(await button.isDisabled()).to.equal(true);
    });
  });
}

/** Type an answer into an objective, submit it, and wait for the outcome. */
async function answer(page: Page, objectiveId: string, value: string, outcome: string): Promise<void> {
  const objective = page.locator(`[data-testid="objective"][data-objective-id="${objectiveId}"]`);
  await objective.getByTestId('answer-input').fill(value);
  await objective.getByTestId('answer-submit').click();
  await objective.locator(`[data-testid="answer-feedback"][data-outcome="${outcome}"]`).waitFor();
}

/**
 * The page's `<html lang>` and visible text are in `lang` (the language menu and terminals aside),
 * and `label` is among that text.
 */
async function assertLanguage(page: Page, lang: 'en' | 'ja', label: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.lang)).to.equal(lang);
  const text = await page.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement;
    for (const el of body.querySelectorAll('select, .xterm, script, style')) el.remove();
    return body.innerText || body.textContent || '';
  });
  expect(text, `the ${lang} page shows '${label}'`).to.include(label);
  if (lang === 'ja') expect(text, 'Japanese text on the Japanese page').to.match(JAPANESE);
  else expect(text, 'no Japanese text on the English page').to.not.match(JAPANESE);
}

async function waitForCondition(
  test: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
