import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { checkedFetch } from '../response-check.ts';

const scenario = (id: string, extra: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: ${id}, version: 1.0.0, title: ${id}, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - name: box
    image: cyrop/attacker:1
    networks: [lan]
    console: true${extra}
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/**
 * Through the real server: an engine that grants no extra Linux capability refuses, before anything
 * is created, a scenario that asks for one (422 SCENARIO_INVALID with the field's file:line), and
 * launches one that does not. The engine is the in-memory fake, so no container engine is needed.
 */
describe('engine capabilities through the API (real server, in-memory engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let platform: RunningPlatform;
  let cookie = '';
  const driver = new FakeRuntimeDriver({
    engine: 'kubernetes',
    capabilities: { fixedAddresses: false, grantableCapabilities: [], diskLimits: true, multiNetwork: false },
  });

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await checkedFetch(new URL(url, platform.url), {
      method,
      headers: {
        origin: platform.url.replace(/\/$/, ''),
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set && url === '/api/auth/login') cookie = set.split(';')[0]!;
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-capabilities-'));
    for (const [id, extra] of [
      ['needs-raw', '\n    capabilities: [NET_RAW]'],
      ['plain', ''],
    ] as const) {
      mkdirSync(path.join(dir, 'catalogue', id), { recursive: true });
      writeFileSync(path.join(dir, 'catalogue', id, 'scenario.yaml'), scenario(id, extra));
    }
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    const config = loadConfig(
      { CYROP_ENGINE: 'none' },
      { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }), { driver });
    const login = await call('POST', '/api/auth/login', { email: first.email, password: first.password });
    expect(login.status, login.text).to.equal(200);
    const changed = await call('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    expect(changed.status, changed.text).to.equal(200);
    const again = await call('POST', '/api/auth/login', {
      email: first.email,
      password: 'operator secret password 1',
    });
    expect(again.status, again.text).to.equal(200);
  });
  after(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses what the engine cannot honour with the file:line of each field, creating nothing', async () => {
    const refused = await call('POST', '/api/exercises', { scenario: 'needs-raw', teams: 1 });
    expect(refused.status, refused.text).to.equal(422);
    const error = refused.body.error as { code: string; message: string };
    expect(error.code).to.equal('SCENARIO_INVALID');
    expect(error.message).to.match(
      /scenario\.yaml:10:\d+ {2}\/hosts\/0\/capabilities\/0 {2}host 'box' asks for the capability NET_RAW, which the kubernetes engine does not grant/,
    );
    expect(driver.calls).to.deep.equal([]);
    const list = await call('GET', '/api/exercises');
    expect(list.body.exercises).to.deep.equal([]);
  });

  it('launches what it can honour', async () => {
    const created = await call('POST', '/api/exercises', { scenario: 'plain', teams: 2 });
    expect(created.status, created.text).to.equal(202);
    const id = (created.body as { id: string }).id;
    let teams: { state: string }[] = [];
    for (let i = 0; i < 100 && !(teams.length && teams.every((t) => t.state === 'ready')); i++) {
      await new Promise((r) => setTimeout(r, 50));
      teams = ((await call('GET', `/api/exercises/${id}`)).body as { teams: { state: string }[] }).teams;
    }
    expect(teams.map((t) => t.state)).to.deep.equal(['ready', 'ready']);
    expect(driver.calls.filter((c) => c.startsWith('provision')).length).to.equal(2);
  });
});
