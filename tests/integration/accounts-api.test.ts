import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { sessionAuthenticator } from '../../orchestrator/src/api/auth/session-authenticator.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { accountRoutes } from '../../orchestrator/src/api/routes/account-routes.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

const MIN = 60_000;
type Who = 'anonymous' | 'operator' | 'orgAdmin' | 'instructor' | 'trainee' | 'team1' | 'otherExercise';
const EVERYONE: Who[] = [
  'anonymous',
  'operator',
  'orgAdmin',
  'instructor',
  'trainee',
  'team1',
  'otherExercise',
];

interface Call {
  status: number;
  body: { error?: { code: string; message: string; details?: unknown } } & Record<string, unknown>;
  headers: Headers;
}

describe('accounts API (real server)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let server: Server;
  let base: string;
  let now: number;
  let accounts: AccountService;
  let firstPassword: string;
  const cookies = {} as Record<Who, string | undefined>;
  let orgA: string;
  let orgB: string;

  async function call(
    method: string,
    url: string,
    options: {
      who?: Who;
      cookie?: string;
      body?: unknown;
      raw?: string;
      type?: string;
      origin?: string | null;
    } = {},
  ): Promise<Call> {
    const headers: Record<string, string> = {};
    const cookie = options.cookie ?? (options.who ? cookies[options.who] : undefined);
    if (cookie) headers.cookie = cookie;
    if (options.origin !== null && method !== 'GET') headers.origin = options.origin ?? base;
    let payload: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      payload = options.raw ?? JSON.stringify(options.body);
      headers['content-type'] = options.type ?? 'application/json';
    }
    const res = await checkedFetch(new URL(url, base), {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Call['body']) : {}, headers: res.headers };
  }

  function sessionCookieOf(res: Call): string {
    const set = res.headers.getSetCookie().find((c) => c.startsWith('cyrop_session='));
    expect(set, 'a session cookie').to.be.a('string');
    return set!.split(';')[0]!;
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await call('POST', '/api/auth/login', { body: { email, password } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return sessionCookieOf(res);
  }

  async function exercise(id: string, orgId: string | null) {
    await database.db
      .insertInto('exercises')
      .values({
        id,
        scenario_id: 's',
        scenario_version: '1',
        scenario_hash: 'h',
        scenario_path: 'p',
        secret: 'x',
        state: 'running',
        engine: 'docker',
        created_at: now,
        updated_at: now,
        expires_at: null,
        org_id: orgId,
      })
      .execute();
    for (const [i, team] of ['team-1', 'team-2'].entries())
      await database.db
        .insertInto('exercise_teams')
        .values({
          exercise_id: id,
          team_id: team,
          team_name: team,
          team_index: i,
          plan: '{}',
          plan_hash: 'h',
          state: 'ready',
          last_error: null,
          updated_at: now,
        })
        .execute();
  }

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-accounts-api-'));
    database = await openDatabase(dir);
    now = 1_700_000_000_000;
    accounts = new AccountService({ db: database.db, clock: () => now, passwordCost: 10 });
    const app = createApp({
      scenarios: new ScenarioLibrary({
        db: database.db,
        catalogue: new ScenarioCatalogue(path.join(REPO, 'tests/fixtures/valid')).load(),
        uploads: new ScenarioUploads(path.join(dir, 'scenarios')),
      }),
      logger: pino({ level: 'silent' }),
      authenticate: sessionAuthenticator(accounts),
      routes: (api) => accountRoutes(api, { accounts, clock: () => now }),
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const first = await accounts.ensureFirstOperator();
    firstPassword = first!.password;
    orgA = (await accounts.createOrganisation({ name: 'Acme Training', kind: 'training-company' })).id;
    orgB = (await accounts.createOrganisation({ name: 'Beta Corp', kind: 'customer' })).id;
    for (const [email, role] of [
      ['admin@acme.example', 'org-admin'],
      ['inst@acme.example', 'instructor'],
      ['trainee@acme.example', 'trainee'],
    ] as const)
      await accounts.createUser({ orgId: orgA, email, name: email, role, password: 'password of ' + email });
    await exercise('ex-a', orgA);
    await exercise('ex-b', orgB);
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bootstraps the first operator once; its one-time password must be changed before anything else', async () => {
    expect(await accounts.ensureFirstOperator()).to.equal(undefined);
    const cookie = await login('admin@localhost', firstPassword);
    const me = await call('GET', '/api/auth/me', { cookie });
    expect(me.status).to.equal(200);
    expect(me.body).to.deep.include({ mustChangePassword: true });
    const blocked = await call('GET', '/api/organisations', { cookie });
    expect(blocked.status).to.equal(403);
    expect(blocked.body.error?.message).to.contain('one-time password');
    const changed = await call('POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: firstPassword, newPassword: 'operator password 1' },
    });
    expect(changed.status).to.equal(200);
    cookies.operator = sessionCookieOf(changed);
    expect((await call('GET', '/api/auth/me', { cookie })).status).to.equal(401); // the old session ended
    expect((await call('GET', '/api/organisations', { who: 'operator' })).status).to.equal(200);
  });

  it('signs in with a hardened cookie, refuses wrong passwords alike, and signs out', async () => {
    const ok = await call('POST', '/api/auth/login', {
      body: { email: 'Trainee@Acme.example', password: 'password of trainee@acme.example' },
    });
    expect(ok.status).to.equal(200);
    const set = ok.headers.getSetCookie()[0]!;
    expect(set).to.match(/^cyrop_session=[A-Za-z0-9_-]{43}; /);
    for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200'])
      expect(set).to.contain(flag);
    expect(set).to.not.contain('Secure'); // plain http on loopback
    expect(ok.body.principal).to.deep.include({ kind: 'user', role: 'trainee', orgId: orgA });
    cookies.trainee = sessionCookieOf(ok);
    const wrong = await call('POST', '/api/auth/login', {
      body: { email: 'trainee@acme.example', password: 'nope nope nope' },
    });
    const unknown = await call('POST', '/api/auth/login', {
      body: { email: 'ghost@acme.example', password: 'nope nope nope' },
    });
    expect([wrong.status, unknown.status]).to.deep.equal([401, 401]);
    expect(wrong.body).to.deep.equal(unknown.body);
    expect(wrong.body.error?.code).to.equal('UNAUTHENTICATED');

    const extra = await login('trainee@acme.example', 'password of trainee@acme.example');
    const out = await call('POST', '/api/auth/logout', { cookie: extra });
    expect(out.status).to.equal(204);
    expect(out.headers.getSetCookie()[0]).to.match(/^cyrop_session=; .*Max-Age=0/);
    expect((await call('GET', '/api/auth/me', { cookie: extra })).status).to.equal(401);
    expect((await call('GET', '/api/auth/me', { who: 'trainee' })).status).to.equal(200);
  });

  it("a session names its organisation's kind, so the console offers the Business page to sellers only", async () => {
    await accounts.createUser({
      orgId: orgB,
      email: 'admin@beta.example',
      name: 'Beta admin',
      role: 'org-admin',
      password: 'password of admin@beta.example',
    });
    const customer = await call('POST', '/api/auth/login', {
      body: { email: 'admin@beta.example', password: 'password of admin@beta.example' },
    });
    expect(customer.status).to.equal(200);
    expect(customer.body).to.deep.include({ orgKind: 'customer' });
    expect((await call('GET', '/api/auth/me', { cookie: sessionCookieOf(customer) })).body).to.deep.include({
      orgKind: 'customer',
    });
    const seller = await login('admin@acme.example', 'password of admin@acme.example');
    expect((await call('GET', '/api/auth/me', { cookie: seller })).body).to.deep.include({
      orgKind: 'training-company',
    });
    expect((await call('GET', '/api/auth/me', { who: 'operator' })).body).to.deep.include({
      orgKind: 'operator',
    });
  });

  it('ends a session after the idle timeout (injected clock)', async () => {
    const cookie = await login('inst@acme.example', 'password of inst@acme.example');
    now += 90 * MIN;
    expect((await call('GET', '/api/auth/me', { cookie })).status).to.equal(200);
    now += 121 * MIN;
    expect((await call('GET', '/api/auth/me', { cookie })).status).to.equal(401);
  });

  it('throttles wrong passwords with a growing Retry-After instead of locking the account', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (
          await call('POST', '/api/auth/login', {
            body: { email: 'inst@acme.example', password: 'wrong password' },
          })
        ).status,
      ).to.equal(401);
    const limited = await call('POST', '/api/auth/login', {
      body: { email: 'inst@acme.example', password: 'password of inst@acme.example' },
    });
    expect(limited.status).to.equal(429);
    expect(limited.body.error?.code).to.equal('RATE_LIMITED');
    expect(limited.body.error?.message).to.equal(
      'too many failed sign-ins for this account from your address; try again in 1 second',
    );
    expect(limited.headers.get('retry-after')).to.equal('1');
    now += 15 * MIN;
    cookies.instructor = await login('inst@acme.example', 'password of inst@acme.example');
    cookies.orgAdmin = await login('admin@acme.example', 'password of admin@acme.example');
    // the clock moved on: the earlier sessions idled out
    cookies.operator = await login('admin@localhost', 'operator password 1');
    cookies.trainee = await login('trainee@acme.example', 'password of trainee@acme.example');
    const audit = await call('GET', '/api/audit', { who: 'operator' });
    const actions = (audit.body.entries as { action: string }[]).map((e) => e.action);
    expect(actions).to.include('auth.login-throttled');
    expect(actions).to.include('auth.login-failed');
  });

  it('refuses state-changing requests without an Origin (with a session) or from a foreign origin', async () => {
    const body = { name: 'CSRF Inc', kind: 'customer' };
    const missing = await call('POST', '/api/organisations', { who: 'operator', body, origin: null });
    expect(missing.status).to.equal(403);
    expect(missing.body.error?.message).to.contain('Origin');
    const foreign = await call('POST', '/api/organisations', {
      who: 'operator',
      body,
      origin: 'http://evil.example',
    });
    expect(foreign.status).to.equal(403);
    expect(foreign.body.error?.code).to.equal('FORBIDDEN');
    const nullOrigin = await call('POST', '/api/organisations', { who: 'operator', body, origin: 'null' });
    expect(nullOrigin.status).to.equal(403);
    // a script without cookies and without Origin may still sign in
    const script = await call('POST', '/api/auth/login', {
      body: { email: 'x@y.z', password: 'nope nope' },
      origin: null,
    });
    expect(script.status).to.equal(401);
    expect((await call('GET', '/api/organisations', { who: 'operator' })).body.organisations).to.have.length(
      3,
    );
  });

  it('joins a team with a join code: a participant of exactly that team', async () => {
    const made = await call('POST', '/api/exercises/ex-a/teams/team-1/join-codes', {
      who: 'instructor',
      body: { maxUses: 5 },
    });
    expect(made.status).to.equal(201);
    const code = made.body.code as string;
    const joined = await call('POST', '/api/join', {
      body: { code: code.toLowerCase(), displayName: 'Alice' },
    });
    expect(joined.status).to.equal(200);
    cookies.team1 = sessionCookieOf(joined);
    const me = await call('GET', '/api/auth/me', { who: 'team1' });
    expect(me.body, 'a participant belongs to no organisation').to.not.have.property('orgKind');
    expect(me.body.principal).to.deep.equal({
      kind: 'participant',
      exerciseId: 'ex-a',
      teamId: 'team-1',
      name: 'Alice',
    });
    const other = await call('POST', '/api/exercises/ex-b/teams/team-1/join-codes', {
      who: 'operator',
      body: {},
    });
    const joinedOther = await call('POST', '/api/join', {
      body: { code: other.body.code, displayName: 'Oscar' },
    });
    cookies.otherExercise = sessionCookieOf(joinedOther);
    expect(joinedOther.body.principal).to.deep.include({ exerciseId: 'ex-b', teamId: 'team-1' });
  });

  describe('role × endpoint matrix', () => {
    let n = 0;
    const matrix: {
      name: string;
      call: () => [string, string, unknown?];
      expect: Record<Who, number>;
    }[] = [
      {
        name: 'GET /api/auth/me',
        call: () => ['GET', '/api/auth/me'],
        expect: {
          anonymous: 401,
          operator: 200,
          orgAdmin: 200,
          instructor: 200,
          trainee: 200,
          team1: 200,
          otherExercise: 200,
        },
      },
      {
        name: 'POST /api/auth/password (wrong current password)',
        call: () => [
          'POST',
          '/api/auth/password',
          { currentPassword: 'not it at all', newPassword: 'some new password' },
        ],
        expect: {
          anonymous: 401,
          operator: 403,
          orgAdmin: 403,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'POST /api/join (unknown code)',
        call: () => ['POST', '/api/join', { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', displayName: 'X' }],
        expect: {
          anonymous: 404,
          operator: 404,
          orgAdmin: 404,
          instructor: 404,
          trainee: 404,
          team1: 404,
          otherExercise: 404,
        },
      },
      {
        name: 'GET /api/organisations',
        call: () => ['GET', '/api/organisations'],
        expect: {
          anonymous: 401,
          operator: 200,
          orgAdmin: 403,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'POST /api/organisations',
        call: () => ['POST', '/api/organisations', { name: `Org ${++n}`, kind: 'customer' }],
        expect: {
          anonymous: 401,
          operator: 201,
          orgAdmin: 403,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'GET /api/organisations/{own}/users',
        call: () => ['GET', `/api/organisations/${orgA}/users`],
        expect: {
          anonymous: 401,
          operator: 200,
          orgAdmin: 200,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'GET /api/organisations/{other}/users',
        call: () => ['GET', `/api/organisations/${orgB}/users`],
        expect: {
          anonymous: 401,
          operator: 200,
          orgAdmin: 403,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'POST /api/organisations/{own}/users',
        call: () => [
          'POST',
          `/api/organisations/${orgA}/users`,
          { email: `new${++n}@acme.example`, name: 'New', role: 'trainee' },
        ],
        expect: {
          anonymous: 401,
          operator: 201,
          orgAdmin: 201,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'POST /api/organisations/{other}/users',
        call: () => [
          'POST',
          `/api/organisations/${orgB}/users`,
          { email: `b${++n}@beta.example`, name: 'New', role: 'trainee' },
        ],
        expect: {
          anonymous: 401,
          operator: 201,
          orgAdmin: 403,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'POST /api/exercises/{own}/teams/team-1/join-codes',
        call: () => ['POST', '/api/exercises/ex-a/teams/team-1/join-codes', {}],
        expect: {
          anonymous: 401,
          operator: 201,
          orgAdmin: 201,
          instructor: 201,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: "POST /api/exercises/{other org's}/teams/team-1/join-codes",
        call: () => ['POST', '/api/exercises/ex-b/teams/team-1/join-codes', {}],
        expect: {
          anonymous: 401,
          operator: 201,
          orgAdmin: 404,
          instructor: 404,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
      {
        name: 'GET /api/audit',
        call: () => ['GET', '/api/audit'],
        expect: {
          anonymous: 401,
          operator: 200,
          orgAdmin: 200,
          instructor: 403,
          trainee: 403,
          team1: 403,
          otherExercise: 403,
        },
      },
    ];
    for (const row of matrix) {
      it(row.name, async () => {
        const got = {} as Record<Who, number>;
        for (const who of EVERYONE) {
          const [method, url, body] = row.call();
          got[who] = (await call(method, url, { who, ...(body !== undefined ? { body } : {}) })).status;
        }
        expect(got).to.deep.equal(row.expect);
      });
    }

    it('an org admin reads only their organisation in the audit log; the operator reads all', async () => {
      const mine = (await call('GET', '/api/audit?limit=500', { who: 'orgAdmin' })).body.entries as {
        orgId: string | null;
      }[];
      expect(mine.length).to.be.greaterThan(0);
      expect(new Set(mine.map((e) => e.orgId))).to.deep.equal(new Set([orgA]));
      const all = (await call('GET', '/api/audit?limit=500', { who: 'operator' })).body.entries as {
        orgId: string | null;
        action: string;
      }[];
      expect(all.some((e) => e.orgId === orgB)).to.equal(true);
      for (const action of [
        'organisation.created',
        'user.created',
        'join-code.created',
        'exercise.joined',
        'auth.login',
        'auth.password-changed',
        'auth.logout',
      ])
        expect(
          all.map((e) => e.action),
          action,
        ).to.include(action);
    });
  });

  describe('hostile bodies get a 4xx with a clear code, never a 5xx', () => {
    const cases: [string, () => Promise<Call>, number, string][] = [
      [
        'malformed JSON',
        () => call('POST', '/api/auth/login', { raw: '{"email": "a@b.c", ' }),
        400,
        'BAD_JSON',
      ],
      [
        'wrong types',
        () => call('POST', '/api/auth/login', { body: { email: 1, password: ['x'] } }),
        400,
        'BAD_REQUEST',
      ],
      [
        'unknown fields',
        () => call('POST', '/api/auth/login', { body: { email: 'a@b.c', password: 'x', admin: true } }),
        400,
        'BAD_REQUEST',
      ],
      ['a JSON array', () => call('POST', '/api/join', { raw: '[]' }), 400, 'BAD_REQUEST'],
      [
        'text/plain',
        () => call('POST', '/api/auth/login', { raw: 'email=a', type: 'text/plain' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'a 1 MiB body',
        () =>
          call('POST', '/api/auth/login', { body: { email: 'a@b.c', password: 'x'.repeat(1024 * 1024) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'a role that does not exist',
        () =>
          call('POST', `/api/organisations/${orgA}/users`, {
            who: 'operator',
            body: { email: 'r@acme.example', name: 'R', role: 'god' },
          }),
        400,
        'BAD_REQUEST',
      ],
      [
        'an operator in a customer organisation',
        () =>
          call('POST', `/api/organisations/${orgA}/users`, {
            who: 'operator',
            body: { email: 'r@acme.example', name: 'R', role: 'operator' },
          }),
        400,
        'BAD_REQUEST',
      ],
      [
        'an existing email in another case',
        () =>
          call('POST', `/api/organisations/${orgA}/users`, {
            who: 'operator',
            body: { email: 'INST@acme.example', name: 'R', role: 'trainee' },
          }),
        409,
        'CONFLICT',
      ],
      [
        'a second operator organisation',
        () =>
          call('POST', '/api/organisations', { who: 'operator', body: { name: 'Op 2', kind: 'operator' } }),
        400,
        'BAD_REQUEST',
      ],
      [
        'a bad query parameter',
        () => call('GET', '/api/audit?limit=lots', { who: 'operator' }),
        400,
        'BAD_REQUEST',
      ],
      [
        'an unknown query parameter',
        () => call('GET', '/api/audit?evil=1', { who: 'operator' }),
        400,
        'BAD_REQUEST',
      ],
      [
        'a bad path parameter',
        () => call('GET', '/api/organisations/%2e%2e%2f%2e%2e/users', { who: 'operator' }),
        400,
        'BAD_REQUEST',
      ],
      [
        'a team that does not exist',
        () => call('POST', '/api/exercises/ex-a/teams/team-9/join-codes', { who: 'operator', body: {} }),
        404,
        'NOT_FOUND',
      ],
      [
        'a join code in the past',
        () =>
          call('POST', '/api/exercises/ex-a/teams/team-1/join-codes', {
            who: 'operator',
            body: { expiresAt: 1 },
          }),
        400,
        'BAD_REQUEST',
      ],
      [
        'a session cookie that is garbage',
        () => call('GET', '/api/auth/me', { cookie: 'cyrop_session=%E0%A4%A; cyrop_session=x' }),
        401,
        'UNAUTHENTICATED',
      ],
    ];
    for (const [name, run, status, code] of cases) {
      it(name, async () => {
        const res = await run();
        expect(res.status, JSON.stringify(res.body)).to.equal(status);
        expect(res.body.error?.code).to.equal(code);
      });
    }
    it('lists every problem with a pointer', async () => {
      const res = await call('POST', '/api/auth/login', { body: { password: 7, extra: 1 } });
      const pointers = (res.body.error?.details as { pointer: string }[]).map((d) => d.pointer).sort();
      expect(pointers).to.deep.equal(['/email', '/extra', '/password']);
    });
  });
});
