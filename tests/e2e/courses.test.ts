import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { launchBrowser, screenshot, selectLanguage, type TestBrowser } from './browser.ts';

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: course-part, version: 1.0.0, title: Part, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
  - { id: q1, kind: question, title: Q1, points: 1, question: { answers: ["a"] } }
  - { id: q2, kind: question, title: Q2, points: 1, question: { answers: ["b"] } }
`;

/**
 * A trainee's courses on the console's home page (headless Chromium; the platform with the
 * in-memory engine): a training company's course run for the trainee's organisation, its first part
 * launched and one objective solved; the trainee signs in and sees the course, its dates and the
 * progress of each part, in English and in Japanese.
 */
describe('my courses in the console (headless Chromium, in-memory engine)', function () {
  this.timeout(120_000);
  let dir: string;
  let platform: RunningPlatform;
  let browser: TestBrowser;
  let page: Page;
  let runId = '';

  const ok = async (c: ReturnType<typeof apiClient>, method: string, url: string, body?: unknown) => {
    const res = await c(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-e2e-courses-'));
    mkdirSync(path.join(dir, 'catalogue', 'course-part'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'course-part', 'scenario.yaml'), SCENARIO);
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none' },
        { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
      ),
      pino({ level: 'silent' }),
      { driver: new FakeRuntimeDriver() },
    );
    const operator = apiClient(platform.url);
    await ok(operator, 'POST', '/api/auth/login', { email: first.email, password: first.password });
    await ok(operator, 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    const company = (await ok(operator, 'POST', '/api/organisations', {
      name: 'Acme',
      kind: 'training-company',
    })) as {
      id: string;
    };
    const customer = (await ok(operator, 'POST', '/api/organisations', {
      name: 'Cust',
      kind: 'customer',
    })) as {
      id: string;
    };
    await ok(operator, 'POST', `/api/organisations/${customer.id}/users`, {
      email: 'hanako@cust.example',
      name: 'Hanako',
      role: 'trainee',
      password: 'hanako secret password 1',
    });
    const course = (await ok(operator, 'POST', '/api/courses', {
      orgId: company.id,
      title: { ja: 'インシデント対応入門', en: 'Incident response basics' },
      scenarios: [
        { id: 'course-part', version: '1.0.0' },
        { id: 'course-part', version: '1.0.0' },
      ],
      pricePerSeat: 50_000,
      capacity: 10,
      schedule: { days: 2, hoursPerDay: 6 },
    })) as { id: string };
    runId = (
      (await ok(operator, 'POST', `/api/courses/${course.id}/runs`, {
        customerOrgId: customer.id,
        startsAt: '2026-12-01',
        endsAt: '2026-12-03',
      })) as { id: string }
    ).id;
    await ok(operator, 'POST', `/api/course-runs/${runId}/enrolments`, { emails: ['hanako@cust.example'] });
    const launched = (await ok(operator, 'POST', `/api/course-runs/${runId}/launch`, { position: 1 })) as {
      exercises: { exerciseId: string }[];
    };
    const exerciseId = launched.exercises[0]!.exerciseId;
    for (let i = 0; i < 200; i++) {
      const e = (await ok(operator, 'GET', `/api/exercises/${exerciseId}`)) as { state: string };
      if (e.state === 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await ok(operator, 'POST', `/api/exercises/${exerciseId}/scoring/status`, { action: 'start' });
    const player = apiClient(platform.url);
    await ok(player, 'POST', '/api/auth/login', {
      email: 'hanako@cust.example',
      password: 'hanako secret password 1',
    });
    await ok(player, 'POST', `/api/me/exercises/${exerciseId}/enter`);
    await ok(player, 'POST', '/api/play/submissions', { objective: 'q2', answer: 'b' });
    browser = await launchBrowser();
    page = (await browser.newPage()).page;
  });

  after(async () => {
    await browser.close();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the trainee their course with the progress of each part, in English and Japanese', async () => {
    await page.goto(`${platform.url}#/login`);
    await page.getByTestId('login-email').fill('hanako@cust.example');
    await page.getByTestId('login-password').fill('hanako secret password 1');
    await page.getByTestId('login-submit').click();
    await page.goto(`${platform.url}#/`);
    await selectLanguage(page, 'en');
    const course = page.getByTestId('my-course');
    await course.waitFor();
    expect(await course.getAttribute('data-run-id')).to.equal(runId);
    const text = await course.innerText();
    expect(text).to.contain('Incident response basics');
    expect(text).to.contain('1 of 2 objectives solved');
    const parts = await page.getByTestId('my-course-part').allInnerTexts();
    expect(parts).to.deep.equal([
      'Part 1: course-part · 1 of 2 objectives solved',
      'Part 2: course-part · not started yet',
    ]);
    await screenshot(page, 'en', 'my-courses');
    await selectLanguage(page, 'ja');
    const ja = await page.getByTestId('my-course').innerText();
    expect(ja).to.contain('インシデント対応入門');
    expect(ja).to.contain('2 問中 1 問クリア');
    expect(await page.getByTestId('my-course-part').allInnerTexts()).to.deep.equal([
      '第 1 部：course-part · 2 問中 1 問クリア',
      '第 2 部：course-part · まだ始まっていません',
    ]);
    await screenshot(page, 'ja', 'my-courses');
    expect(browser.cspViolations).to.deep.equal([]);
  });
});
