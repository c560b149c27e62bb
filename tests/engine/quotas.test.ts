import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { contractScenario } from '../contract/runtime-driver-contract.ts';
import { ensureTestImage } from '../contract/test-images.ts';

/**
 * Quotas and lifetimes on a real server and the Docker engine (issue 10, M2): one organisation at
 * its quota is refused with 409 QUOTA_EXCEEDED, naming the quota, while another still launches; a
 * launch without a ttl gets the configured default; a ttl or an extension past the maximum is refused.
 */
describe('quotas and lifetimes (real server, Docker engine)', function () {
  this.timeout(180_000);
  let dir: string;
  let platform: RunningPlatform | undefined;
  let origin = '';
  const cookies: Record<string, string> = {};
  const created: string[] = [];
  let orgA = '';
  let orgB = '';

  interface Res {
    status: number;
    body: Record<string, unknown>;
    text: string;
  }
  const call = async (who: string, method: string, url: string, body?: unknown): Promise<Res> => {
    const res = await fetch(new URL(url, platform!.url), {
      method,
      headers: {
        origin,
        ...(cookies[who] ? { cookie: cookies[who] } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set && url === '/api/auth/login') cookies[who] = set.split(';')[0]!;
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
  };
  const err = (r: Res) => (r.body.error ?? {}) as { code?: string; message?: string };
  const login = async (who: string, email: string, password: string) => {
    const r = await call(who, 'POST', '/api/auth/login', { email, password });
    expect(r.status, r.text).to.equal(200);
  };
  const launch = (who: string, body: Record<string, unknown>) =>
    call(who, 'POST', '/api/exercises', { scenario: 'contract', ...body });
  const waitSettled = async (id: string) => {
    for (let i = 0; i < 240; i++) {
      const s = (await call('operator', 'GET', `/api/exercises/${id}`)).body as {
        teams?: { state: string }[];
      };
      if (s.teams?.every((t) => t.state === 'ready' || t.state === 'failed')) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-quotas-'));
    const image = await ensureTestImage(new Docker(), 'box');
    mkdirSync(path.join(dir, 'catalogue', 'contract'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'contract', 'scenario.yaml'), contractScenario(image));
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    const config = loadConfig(
      { CYROP_SUBNET_POOL: '10.245.0.0/16', CYROP_EXERCISE_TTL: '2h', CYROP_QUOTA_TEAMS: '20' },
      { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
    origin = platform.url.replace(/\/$/, '');
    await login('operator', first.email, first.password);
    const changed = await call('operator', 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    expect(changed.status, changed.text).to.equal(200);
    await login('operator', first.email, 'operator secret password 1');
    const org = async (name: string) => {
      const r = await call('operator', 'POST', '/api/organisations', { name, kind: 'customer' });
      expect(r.status, r.text).to.equal(201);
      return r.body.id as string;
    };
    orgA = await org('Quota A');
    orgB = await org('Quota B');
    for (const [who, orgId, role] of [
      ['adminA', orgA, 'org-admin'],
      ['instrA', orgA, 'instructor'],
      ['instrB', orgB, 'instructor'],
    ] as const) {
      const email = `${who.toLowerCase()}@example.com`;
      const password = `${who} secret password 1`;
      const r = await call('operator', 'POST', `/api/organisations/${orgId}/users`, {
        email,
        name: who,
        role,
        password,
      });
      expect(r.status, r.text).to.equal(201);
      await login(who, email, password);
    }
  });

  after(async () => {
    try {
      for (const id of created) {
        await waitSettled(id);
        await call('operator', 'DELETE', `/api/exercises/${id}`);
      }
    } finally {
      await platform?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets the operator set an organisation quota, its admin read it, and nobody else see it', async () => {
    const set = await call('operator', 'PUT', `/api/organisations/${orgA}/quotas`, {
      exercises: 1,
      maxTtl: '1d',
    });
    expect(set.status, set.text).to.equal(200);
    expect(set.body.limits).to.include({
      exercises: 1,
      teams: 20,
      maxTtlMs: 86_400_000,
      defaultTtlMs: 7_200_000,
    });
    expect(set.body.overrides).to.include({ exercises: 1, teams: null, maxTtlMs: 86_400_000 });
    expect(
      (await call('adminA', 'PUT', `/api/organisations/${orgA}/quotas`, { exercises: 9 })).status,
    ).to.equal(403);
    const own = await call('adminA', 'GET', `/api/organisations/${orgA}/quotas`);
    expect(own.status, own.text).to.equal(200);
    expect(own.body.limits).to.include({ exercises: 1 });
    expect((await call('adminA', 'GET', `/api/organisations/${orgB}/quotas`)).status).to.equal(404);
    const bad = await call('operator', 'PUT', `/api/organisations/${orgA}/quotas`, {
      defaultTtl: '2d',
      maxTtl: '1d',
    });
    expect(bad.status, bad.text).to.equal(400);
    expect(err(bad).message).to.contain('defaultTtl 2d is longer than maxTtl 1d');
  });

  it('refuses a launch past the teams quota (the M2 253-team exercise) with 409 before creating anything', async () => {
    const r = await launch('instrA', { teams: 253 });
    expect(r.status, r.text).to.equal(409);
    expect(err(r).code).to.equal('QUOTA_EXCEEDED');
    expect(err(r).message).to.contain('teams: the limit is 20, 0 in use, this needs 253 more');
    expect(((await call('instrA', 'GET', '/api/exercises')).body.exercises as unknown[]).length).to.equal(0);
  });

  it('gives a launch without a ttl the default; at its quota one organisation gets 409 while another launches', async () => {
    const first = await launch('instrA', { teams: 1, id: 'quota-a1' });
    expect(first.status, first.text).to.equal(202);
    created.push('quota-a1');
    expect((first.body.expiresAt as number) - (first.body.createdAt as number)).to.equal(2 * 3_600_000);
    const [refused, other] = await Promise.all([
      launch('instrA', { teams: 1, id: 'quota-a2' }),
      launch('instrB', { teams: 1, id: 'quota-b1' }),
    ]);
    if (other.status === 202) created.push('quota-b1');
    expect(refused.status, refused.text).to.equal(409);
    expect(err(refused).code).to.equal('QUOTA_EXCEEDED');
    expect(err(refused).message).to.contain('live exercises: the limit is 1, 1 in use, this needs 1 more');
    expect(other.status, other.text).to.equal(202);
    const usage = await call('adminA', 'GET', `/api/organisations/${orgA}/quotas`);
    expect(usage.body.usage).to.include({ exercises: 1, teams: 1 });
  });

  it('refuses a ttl or an extension past the maximum, naming it', async () => {
    const long = await launch('instrB', { teams: 1, ttl: '8d' });
    expect(long.status, long.text).to.equal(409);
    expect(err(long).message).to.contain('longer than the maximum lifetime of an exercise, 7d');
    const past = await call('instrA', 'POST', '/api/exercises/quota-a1/extend', { by: '2d' });
    expect(past.status, past.text).to.equal(409);
    expect(err(past).code).to.equal('QUOTA_EXCEEDED');
    expect(err(past).message).to.contain('at most 1d from its creation');
    const ok = await call('instrA', 'POST', '/api/exercises/quota-a1/extend', { by: '1h' });
    expect(ok.status, ok.text).to.equal(200);
    expect((ok.body.expiresAt as number) - (ok.body.createdAt as number)).to.equal(3 * 3_600_000);
  });
});
