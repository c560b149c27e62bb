import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import type { AnswerKey } from '../../orchestrator/src/exercises/answer-key.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import type { ScenarioGuide } from '../../orchestrator/src/scenarios/scenario-guide.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { REPO } from '../integration/helpers.ts';
import { launchBrowser, screenshot, selectLanguage, type TestBrowser } from './browser.ts';

/**
 * The instructor's scenario page in headless Chromium at 1366×768, on the shipped catalogue and the
 * in-memory engine (no container is needed to read a page): from the catalogue, the page of
 * `web-sqli-pivot` in English and Japanese (objectives in order with their locks and hints, the
 * topology as an SVG with one node per host); from an exercise, the answer key hidden until "Show
 * answers", then team 1's answers exactly as the server computes them, and hidden again.
 * Screenshots `scenario-*.png` in both languages.
 */
describe('instructor scenario page and answer key (headless Chromium, in-memory engine)', function () {
  this.timeout(120_000);
  let dir = '';
  let platform: RunningPlatform | undefined;
  let origin = '';
  let browser: TestBrowser | undefined;
  let page: Page;
  let errors: string[] = [];
  let instructorApi: ReturnType<typeof apiClient>;
  let exerciseId = '';
  let guide: ScenarioGuide;
  let key: AnswerKey;
  const email = 'ines@acme.example';
  const password = 'ines long secret 1';

  /** No raw message key, no unfilled placeholder, and the page's language where it must show. */
  const expectLocalized = async (lang: 'en' | 'ja') => {
    expect(await page.evaluate(() => document.documentElement.lang)).to.equal(lang);
    const text = await page.locator('main').innerText();
    expect(text).not.to.match(/\b(?:guide|answers|title)\.[a-zA-Z]+/);
    expect(text).not.to.match(/\{[a-z]+\}/i);
    if (lang === 'ja') expect(text).to.match(/課題/);
    else expect(text).to.match(/Objectives/);
  };

  before(async function () {
    this.timeout(180_000);
    if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
      throw new Error('the web console is not built: run `npm run build:web` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-e2e-scenario-page-'));
    const dataDir = path.join(dir, 'data');
    const database = await openDatabase(dataDir);
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none', CYROP_SUBNET_POOL: '10.252.0.0/16' },
        { port: 0, dataDir, scenariosDir: path.join(REPO, 'scenarios') },
      ),
      pino({ level: 'silent' }),
      { driver: new FakeRuntimeDriver() },
    );
    origin = platform.url.replace(/\/$/, '');
    const operator = apiClient(platform.url);
    await operator('POST', '/api/auth/login', { email: first.email, password: first.password });
    await operator('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    const org = await operator('POST', '/api/organisations', { name: 'Acme', kind: 'training-company' });
    const made = await operator('POST', `/api/organisations/${org.body.id as string}/users`, {
      email,
      name: 'Ines',
      role: 'instructor',
      password,
    });
    expect(made.status, made.text).to.equal(201);
    instructorApi = apiClient(platform.url);
    expect((await instructorApi('POST', '/api/auth/login', { email, password })).status).to.equal(200);
    const created = await instructorApi('POST', '/api/exercises', {
      scenario: 'web-sqli-pivot',
      teams: 2,
      teamNames: ['赤チーム', 'Blue'],
    });
    expect(created.status, created.text).to.equal(202);
    exerciseId = created.body.id as string;
    guide = (await instructorApi('GET', '/api/scenarios/web-sqli-pivot/versions/1.1.0/guide'))
      .body as unknown as ScenarioGuide;

    browser = await launchBrowser();
    ({ page, errors } = await browser.newPage({ viewport: { width: 1366, height: 768 } }));
    await page.goto(`${origin}/#/login`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/#\/instructor$/);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await platform?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a scenario page from the catalogue: objectives in order, locks, hints with costs, NICE ids, solution folded', async () => {
    await selectLanguage(page, 'en');
    await page
      .locator('[data-testid="scenario-row"][data-scenario-id="web-sqli-pivot"]')
      .getByTestId('scenario-guide-link')
      .click();
    await page.waitForURL(/#\/instructor\/scenarios\/web-sqli-pivot\/1\.1\.0$/);
    await page.getByTestId('scenario-objectives').waitFor();
    const title = guide.title as Record<string, string>;
    expect(await page.getByTestId('scenario-title').innerText()).to.equal(title.en);
    const objectives = page.getByTestId('scenario-objective');
    expect(await objectives.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset))).to.deep.equal(
      guide.objectives.map((o) => ({
        testid: 'scenario-objective',
        objectiveId: o.id,
        kind: o.kind,
        points: String(o.points),
        requires: o.requires.join(' '),
      })),
    );
    // a locked objective names what locks it, by its number and title
    const pivot = page.locator('[data-testid="scenario-objective"][data-objective-id="pivot"]');
    const lockedBy = guide.objectives.findIndex((o) => o.id === 'dump-token');
    expect(await pivot.getByTestId('scenario-objective-requires').innerText()).to.include(
      `${lockedBy + 1}. ${(guide.objectives[lockedBy]?.title as Record<string, string>).en}`,
    );
    for (const o of guide.objectives) {
      const hints = page
        .locator(`[data-testid="scenario-objective"][data-objective-id="${o.id}"]`)
        .getByTestId('scenario-hint');
      expect(
        await hints.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['cost'])),
      ).to.deep.equal(o.hints.map((x) => String(x.cost)));
    }
    expect(await page.getByTestId('scenario-work-roles').innerText()).to.match(/PD-WRL-007[\s\S]*DD-WRL-005/);
    expect(await page.getByTestId('scenario-story').innerText()).to.match(/Kitahama Tea Shop/);
    // a per-team value in an objective's text is said to be one, not shown as a template
    const patchText = await page
      .locator('[data-testid="scenario-objective"][data-objective-id="patch"]')
      .innerText();
    expect(patchText).to.include('‹per team: params.dev_password›');
    expect(patchText).not.to.include('{{');
    // the solution is folded until asked for
    const solution = page.getByTestId('scenario-solution');
    expect(await solution.evaluate((d) => (d as HTMLDetailsElement).open)).to.equal(false);
    await solution.locator('summary').click();
    expect(await solution.innerText()).to.match(/nmap/);
    await solution.locator('summary').click();
    await expectLocalized('en');
    await screenshot(page, 'en', 'scenario-page');
    await selectLanguage(page, 'ja');
    expect(await page.getByTestId('scenario-title').innerText()).to.equal(title.ja);
    await expectLocalized('ja');
    await screenshot(page, 'ja', 'scenario-page');
  });

  it('draws the topology as an SVG with one node per host, each joined to its networks, inside the window at 1366×768', async () => {
    const svg = page.locator('svg[data-testid="topology"]');
    const hosts = svg.getByTestId('topology-host');
    expect(
      await hosts.evaluateAll((els) => els.map((e) => e.getAttribute('data-host')).sort()),
    ).to.deep.equal(guide.hosts.map((h) => h.name).sort());
    expect(
      await svg
        .getByTestId('topology-network')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-network'))),
    ).to.deep.equal(['dmz', 'internal']);
    const links = await svg
      .getByTestId('topology-link')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-host')}@${e.getAttribute('data-network')}`).sort(),
      );
    expect(links).to.deep.equal(
      guide.hosts.flatMap((h) => h.networks.map((n) => `${h.name}@${n.name}`)).sort(),
    );
    // readable: fully inside the window's width, host boxes apart, names not shrunk below 12 px
    const box = await svg.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 1366, JSON.stringify(box)).to.equal(true);
    const rects = await hosts.evaluateAll((els) =>
      els.map((e) => {
        const r = e.querySelector('rect')!.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      }),
    );
    for (const [i, a] of rects.entries())
      for (const b of rects.slice(i + 1))
        expect(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top).to.equal(
          true,
        );
    const nameSize = await hosts
      .first()
      .locator('text')
      .first()
      .evaluate((el) => (el as SVGTextElement).getBoundingClientRect().height);
    expect(nameSize).to.be.at.least(12);
    await svg.scrollIntoViewIfNeeded();
    await screenshot(page, 'ja', 'scenario-topology', undefined, false);
    await selectLanguage(page, 'en');
    await svg.scrollIntoViewIfNeeded();
    await screenshot(page, 'en', 'scenario-topology', undefined, false);
  });

  it('draws every shipped scenario with one node per host, apart and inside the window', async () => {
    const list = (await instructorApi('GET', '/api/scenarios')).body.scenarios as {
      id: string;
      version: string;
    }[];
    expect(list.length).to.be.at.least(6);
    for (const entry of list) {
      const g = (await instructorApi('GET', `/api/scenarios/${entry.id}/versions/${entry.version}/guide`))
        .body as unknown as ScenarioGuide;
      await page.goto(`${origin}/#/instructor/scenarios/${entry.id}/${entry.version}`);
      // the page of this scenario, not the one before it (a hash change keeps the old view a moment)
      await page
        .getByTestId('scenario-meta')
        .filter({ hasText: `${entry.id} ·` })
        .waitFor();
      const svg = page.locator('svg[data-testid="topology"]');
      const hosts = svg.getByTestId('topology-host');
      expect(await hosts.count(), entry.id).to.equal(g.hosts.length);
      expect(await svg.getByTestId('topology-link').count(), entry.id).to.equal(
        g.hosts.reduce((n, h) => n + h.networks.length, 0),
      );
      const rects = await hosts.evaluateAll((els) =>
        els.map((e) => e.querySelector('rect')!.getBoundingClientRect().toJSON() as DOMRect),
      );
      for (const [i, a] of rects.entries())
        for (const b of rects.slice(i + 1))
          expect(
            a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top,
            entry.id,
          ).to.equal(true);
      const box = await svg.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 1366, entry.id).to.equal(true);
      expect(await page.getByTestId('scenario-objective').count(), entry.id).to.equal(g.objectives.length);
      if (entry.id === 'compromised-server-ir') {
        await svg.scrollIntoViewIfNeeded();
        await screenshot(page, 'en', 'scenario-topology-ir', undefined, false);
      }
    }
  });

  it("opens from the exercise page, hides the answer key until 'Show answers', then shows team 1's answers as the server computes them", async () => {
    await page.goto(`${origin}/#/instructor/exercises/${exerciseId}`);
    await page.getByTestId('exercise-scenario-link').click();
    await page.waitForURL(new RegExp(`#/instructor/exercises/${exerciseId}/scenario$`));
    await page.getByTestId('scenario-objectives').waitFor();
    key = (await instructorApi('GET', `/api/exercises/${exerciseId}/answer-key`))
      .body as unknown as AnswerKey;
    const team1 = key.teams[0]!;
    expect(team1.teamName).to.equal('赤チーム');
    const flags = team1.objectives.flatMap((o) => (o.expected.match === 'exact' ? [o.expected.value] : []));
    expect(flags.length).to.be.greaterThan(0);
    // hidden: not on screen, not in the page at all
    const toggle = page.getByTestId('answer-key-toggle');
    expect(await toggle.getAttribute('aria-expanded')).to.equal('false');
    expect(await page.getByTestId('answer-row').count()).to.equal(0);
    const html = await page.content();
    for (const flag of flags) expect(html).not.to.include(flag);
    await expectLocalized('en');
    await screenshot(page, 'en', 'scenario-answers-hidden', undefined, false);

    await toggle.click();
    await page.getByTestId('answer-row').first().waitFor();
    expect(await toggle.getAttribute('aria-expanded')).to.equal('true');
    const rows = page.getByTestId('answer-row');
    const shown = await rows.evaluateAll((els) =>
      els.map((e) => ({
        team: e.getAttribute('data-team-id'),
        objective: e.getAttribute('data-objective-id'),
        match: e.getAttribute('data-match'),
        value: e.querySelector('[data-testid="answer-value"]')?.textContent ?? '',
      })),
    );
    expect(shown).to.deep.equal(
      team1.objectives.map((o) => ({
        team: 'team-1',
        objective: o.objectiveId,
        match: o.expected.match,
        value:
          o.expected.match === 'exact'
            ? o.expected.value
            : o.expected.match === 'any-of'
              ? o.expected.values[0]
              : o.expected.match === 'regex'
                ? o.expected.pattern
                : o.expected.run.join(' '),
      })),
    );
    // an objective whose text holds per-team values shows the team's own text (dev password filled in)
    const patch = page.locator('[data-testid="answer-row"][data-objective-id="patch"]');
    const ownText = await patch.getByTestId('answer-team-text').innerText();
    expect(ownText).not.to.include('{{');
    const team1Patch = team1.objectives.find((o) => o.objectiveId === 'patch')!;
    const password = /password `([^`]+)`/.exec(
      (team1Patch.description as Record<string, string>).en ?? '',
    )?.[1];
    expect(password, JSON.stringify(team1Patch.description)).to.be.a('string');
    expect(ownText).to.include(password);
    expect(await page.getByTestId('answer-team-text').count()).to.equal(1);
    await page.getByTestId('answer-key').scrollIntoViewIfNeeded();
    await screenshot(page, 'en', 'scenario-answers-shown', undefined, false);
    await selectLanguage(page, 'ja');
    expect(await toggle.innerText()).to.equal('解答を隠す');
    expect(await page.getByTestId('answer-row').count()).to.equal(team1.objectives.length);
    await expectLocalized('ja');
    await page.getByTestId('answer-key').scrollIntoViewIfNeeded();
    await screenshot(page, 'ja', 'scenario-answers-shown', undefined, false);

    // another team's answers differ (per-team flags)
    await page.getByTestId('answer-key-team').selectOption('team-2');
    await page.locator('[data-testid="answer-key-table"][data-team-id="team-2"]').waitFor();
    const team2Flags = await page
      .locator('[data-testid="answer-row"][data-match="exact"] [data-testid="answer-value"]')
      .allInnerTexts();
    expect(team2Flags).to.deep.equal(
      key.teams[1]!.objectives.flatMap((o) => (o.expected.match === 'exact' ? [o.expected.value] : [])),
    );
    expect(team2Flags).not.to.deep.equal(flags);

    // hidden again: gone from the page
    await toggle.click();
    expect(await page.getByTestId('answer-row').count()).to.equal(0);
    const after = await page.content();
    for (const flag of flags) expect(after).not.to.include(flag);
    await selectLanguage(page, 'en');
  });

  it('downloads the answer key as CSV with a BOM from the page', async () => {
    const href = await page.getByTestId('answer-key-csv').getAttribute('href');
    expect(href).to.equal(`/api/exercises/${exerciseId}/answer-key?format=csv&lang=en`);
    const res = await page.request.get(`${origin}${href}`);
    expect(res.status()).to.equal(200);
    const body = await res.body();
    expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const text = body.subarray(3).toString('utf8');
    const first = key.teams[0]!.objectives.find((o) => o.expected.match === 'exact')!;
    expect(text).to.include(`team-1,赤チーム,${first.objectiveId},`);
    expect(text).to.include(first.expected.match === 'exact' ? first.expected.value : 'never');
    expect(text.trimEnd().split('\r\n').length).to.equal(1 + key.teams.length * guide.objectives.length);
  });

  it('reported no script error and no Content-Security-Policy violation', () => {
    expect(errors).to.deep.equal([]);
    expect(browser?.cspViolations).to.deep.equal([]);
  });
});
