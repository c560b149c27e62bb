import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { FirefoxBrowser, type FirefoxPage } from './firefox.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TERMINAL = `document.querySelector('[data-testid="terminal"][data-host="workstation"]')`;

/**
 * The trainee's side of the console in Firefox (Debian's ESR, headless): join by link, the mission,
 * a terminal that takes keyboard input including Japanese, an answer with its feedback, and the
 * page in Japanese. The full journey runs in Chromium (console.test.ts); this one shows that
 * nothing of it depends on Chromium.
 */
describe('web console in Firefox (headless, Docker engine)', function () {
  this.timeout(120_000);
  let dir: string;
  let platform: RunningPlatform;
  let browser: FirefoxBrowser;
  let firefox: FirefoxPage;
  let exerciseId = '';
  let joinLink = '';
  let client: ReturnType<typeof apiClient>;
  /** The operator's API calls: each must succeed. */
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await client(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  before(async function () {
    this.timeout(300_000);
    if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-firefox-e2e-'));
    const dataDir = path.join(dir, 'data');
    const database = await openDatabase(dataDir);
    const password = (await new AccountService({ db: database.db }).ensureFirstOperator())!.password;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_SUBNET_POOL: '10.248.0.0/16' },
        { port: 0, dataDir, scenariosDir: path.join(REPO, 'scenarios') },
      ),
      pino({ level: 'silent' }),
    );
    client = apiClient(platform.url);
    // The instructor's part is the Chromium test's: here the operator sets the exercise up by API.
    await api('POST', '/api/auth/login', { email: 'admin@localhost', password });
    await api('POST', '/api/auth/password', {
      currentPassword: password,
      newPassword: 'firefox e2e secret 1',
    });
    exerciseId = (await api('POST', '/api/exercises', { scenario: 'usb-leak-forensics', teams: 1 }))
      .id as string;
    for (let i = 0; ; i++) {
      const status = await api('GET', `/api/exercises/${exerciseId}`);
      const teams = status.teams as { state: string }[];
      if (status.state === 'running' && teams.every((t) => t.state === 'ready')) break;
      if (i > 240) throw new Error(`the exercise did not get ready: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await api('POST', `/api/exercises/${exerciseId}/scoring/status`, { action: 'start' });
    const code = (await api('POST', `/api/exercises/${exerciseId}/teams/team-1/join-codes`, {}))
      .code as string;
    joinLink = `${platform.url}#/join/${code}`;
    browser = await FirefoxBrowser.launch();
    firefox = await browser.newPage();
  });

  after(async function () {
    this.timeout(180_000);
    try {
      if (exerciseId) await api('DELETE', `/api/exercises/${exerciseId}`);
    } finally {
      await browser.close();
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a trainee joins by the link and types into a terminal, Japanese included', async () => {
    await firefox.goto(joinLink);
    await firefox.waitFor(`!!document.querySelector('[data-testid="join-name"]')`);
    await firefox.evaluate(`document.querySelector('[data-testid="join-name"]').focus()`);
    await firefox.typeLine('Fox'); // Enter submits the form
    await firefox.waitFor(`location.hash === '#/play'`);
    await firefox.waitFor(`${TERMINAL}?.dataset.connected === 'true'`, 60_000);
    await firefox.waitFor(
      `/\\$ $/m.test(${TERMINAL}.querySelector('.xterm-rows').innerText.trimEnd() + ' ')`,
    );
    await firefox.evaluate(`${TERMINAL}.querySelector('textarea').focus()`);
    await firefox.typeLine('echo FIREFOX-$((6*7)) 日本語; id -un');
    await firefox.waitFor(
      `/^FIREFOX-42 日本語\\s*$/m.test(${TERMINAL}.querySelector('.xterm-rows').innerText) && /^trainee\\s*$/m.test(${TERMINAL}.querySelector('.xterm-rows').innerText)`,
    );
    await firefox.screenshot('trainee');
  });

  it('the trainee submits an answer and gets its outcome', async () => {
    const objective = `document.querySelector('[data-testid="objective"][data-objective-id="drop-host"]')`;
    await firefox.evaluate(`${objective}.querySelector('[data-testid="answer-input"]').focus()`);
    await firefox.typeLine('nowhere.example'); // Enter submits
    await firefox.waitFor(
      `${objective}.querySelector('[data-testid="answer-feedback"]')?.dataset.outcome === 'wrong'`,
    );
  });

  it('the page switches to Japanese', async () => {
    await firefox.evaluate(
      `(() => { const s = document.querySelector('[data-testid="lang-select"]'); s.value = 'ja'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`,
    );
    await firefox.waitFor(
      `document.documentElement.lang === 'ja' && document.body.innerText.includes('ミッション')`,
    );
    expect(await firefox.evaluate(`document.body.innerText.includes('Mission')`)).to.equal(false);
    await firefox.screenshot('trainee-ja');
  });

  it('no page broke the Content-Security-Policy', () => {
    expect(browser.cspViolations).to.deep.equal([]);
  });
});
