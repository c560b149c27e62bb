import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig, REPO_ROOT } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { launchBrowser, screenshot, type TestBrowser } from './browser.ts';

const SHOTS = path.join(REPO_ROOT, 'tests', 'e2e', 'screenshots');

/**
 * Web service tabs in headless Chromium on the Docker engine: a trainee of web-sqli-pivot's team 1
 * clicks the shop's button on the trainee page and gets the shop in a new tab, served from the web
 * listener's own origin, with no handle on the console's window; the shop's live line, a
 * WebSocket, talks to the shop both ways; the trainee logs into the shop there (its own cookie).
 * Team 2's trainee gets its own shop, and another browser without a link gets nothing.
 */
describe('web service tabs in the browser (Chromium, Docker engine, web-sqli-pivot)', function () {
  this.timeout(180_000);
  const X = `webtabs-e2e-${process.pid}`;
  let dir = '';
  let platform: RunningPlatform | undefined;
  let browser: TestBrowser | undefined;
  let origin = '';
  let staff: ReturnType<typeof apiClient>;

  before(async function () {
    this.timeout(300_000);
    if (!existsSync(path.join(REPO_ROOT, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-webtabs-e2e-'));
    const dataDir = path.join(dir, 'data');
    const database = await openDatabase(dataDir);
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_SUBNET_POOL: '10.245.0.0/16' },
        { port: 0, dataDir, scenariosDir: path.join(REPO_ROOT, 'scenarios') },
      ),
      pino({ level: 'silent' }),
    );
    origin = platform.url.replace(/\/$/, '');
    staff = apiClient(origin);
    expect(
      (await staff('POST', '/api/auth/login', { email: first.email, password: first.password })).status,
    ).to.equal(200);
    const changed = await staff('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    expect(changed.status, changed.text).to.equal(200);
    const launched = await staff('POST', '/api/exercises', { scenario: 'web-sqli-pivot', teams: 2, id: X });
    expect(launched.status, launched.text).to.equal(202);
    for (let i = 0; ; i++) {
      const s = (await staff('GET', `/api/exercises/${X}`)).body as {
        state?: string;
        teams?: { state: string }[];
      };
      if (s.state === 'running' && s.teams?.every((t) => t.state === 'ready')) break;
      if (s.teams?.some((t) => t.state === 'failed') || i > 400)
        throw new Error(`the exercise did not get ready: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await launchBrowser();
  });

  after(async () => {
    try {
      await browser?.close();
      if (platform) {
        await staff('DELETE', `/api/exercises/${X}`);
        for (let i = 0; i < 120; i++) {
          const s = await staff('GET', `/api/exercises/${X}`);
          if (s.body.state === 'ended' || s.status === 404) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      await platform?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  const joinAs = async (team: string, name: string) => {
    const code = (await staff('POST', `/api/exercises/${X}/teams/${team}/join-codes`, {})).body
      .code as string;
    const { context, page, errors } = await browser!.newPage();
    await page.goto(`${origin}/#/join/${code}`);
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-submit').click();
    await page.waitForURL(/#\/play$/);
    await page.getByTestId('mission').waitFor();
    return { context, page, errors };
  };

  it("opens team 1's shop in a new tab from the trainee page, on the web listener's origin", async () => {
    const { context, page, errors } = await joinAs('team-1', 'Aiko');
    const button = page.locator('[data-testid="web-service"][data-host="shop"][data-port="8080"]');
    await button.waitFor();
    expect(await button.textContent()).to.equal('Open Tea shop');
    await screenshot(page, 'en', 'web-service-tabs', SHOTS);

    const [shop] = await Promise.all([context.waitForEvent('page'), button.click()]);
    await shop.waitForURL(`${platform!.webOrigin}/`);
    await shop.getByText('Staff login').waitFor();
    expect(await shop.locator('form[action="/search"]').count()).to.equal(1);
    expect(await shop.evaluate(() => window.opener === null), 'no handle on the console window').to.equal(
      true,
    );
    expect(new URL(shop.url()).origin).not.to.equal(origin);

    // the shop's live line is a WebSocket to the shop: it goes through the web listener both ways
    await shop.locator('#live').filter({ hasText: "today's tea is Gyokuro" }).waitFor();
    const echoed = await shop.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/live`);
          ws.onmessage = (e) => {
            if (String(e.data).includes('you said')) resolve(String(e.data));
            else ws.send('ほうじ茶をください');
          };
          ws.onerror = () => reject(new Error('the WebSocket failed'));
        }),
    );
    expect(echoed).to.equal('Tea room: you said ほうじ茶をください');

    // the shop's own login, its cookie and its redirect work in the tab (the scenario's first flag)
    await shop.goto(`${platform!.webOrigin}/login`);
    await shop.locator('input[name="username"]').fill("admin'-- ");
    await shop.locator('input[name="password"]').fill('anything');
    await Promise.all([
      shop.waitForURL(`${platform!.webOrigin}/admin`),
      shop.locator('form[action="/login"] button').click(),
    ]);
    expect(await shop.textContent('body')).to.match(/CYROP\{[^}]+\}/);

    // the console's cookies are still the console's: the shop's page cannot read them, and its
    // own cookie is not the console's
    const shopCookies = await context.cookies(platform!.webOrigin);
    expect(shopCookies.find((c) => c.name === 'cyrop_web')?.httpOnly).to.equal(true);
    expect(await shop.evaluate(() => document.cookie)).not.to.match(/cyrop_/);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it('gives team 2 its own shop, and a browser without a link nothing', async () => {
    const { context, page } = await joinAs('team-2', 'Ben');
    const [shop] = await Promise.all([
      context.waitForEvent('page'),
      page.locator('[data-testid="web-service"][data-host="shop"]').click(),
    ]);
    await shop.getByText('Staff login').waitFor();
    // team 2 asking for team 1's shop, from its own page's session
    const refused = await page.evaluate(async (x) => {
      const res = await fetch(`/api/exercises/${x}/teams/team-1/web`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ host: 'shop', port: 8080 }),
      });
      return res.status;
    }, X);
    expect(refused).to.equal(403);
    await context.close();

    const stranger = await browser!.newPage();
    const res = await stranger.page.goto(`${platform!.webOrigin}/`);
    expect(res?.status()).to.equal(401);
    expect(await stranger.page.textContent('body')).not.to.include('Staff login');
    await stranger.context.close();
  });

  it("opens a team's shop for the instructor from the exercise page", async () => {
    const { context, page, errors } = await browser!.newPage();
    const [name, value] = staff.cookie().split('=') as [string, string];
    await context.addCookies([{ name, value, url: origin }]);
    await page.goto(`${origin}/#/instructor/exercises/${X}`);
    const button = page.locator(
      '[data-team-id="team-2"] [data-testid="staff-web-button"][data-host="shop"][data-port="8080"]',
    );
    await button.waitFor();
    expect(await button.textContent()).to.equal('Open shop:8080');
    const [shop] = await Promise.all([context.waitForEvent('page'), button.click()]);
    await shop.getByText('Staff login').waitFor();
    expect(new URL(shop.url()).origin).to.equal(platform!.webOrigin);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it('reported no Content-Security-Policy violation on the console', () => {
    expect(browser!.cspViolations.filter((v) => v.startsWith(origin))).to.deep.equal([]);
  });
});
