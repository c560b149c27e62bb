import { NiceCatalogueStore } from '../../orchestrator/src/nice/nice-catalogue-store.ts';
import { niceTestData } from '../../orchestrator/src/nice/nice-test-data.ts';
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { io as ioClient, type Socket } from 'socket.io-client';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { contractScenario } from '../contract/runtime-driver-contract.ts';
import { ensureTestImage } from '../contract/test-images.ts';
import { checkResponse, ResponseMismatch } from '../response-check.ts';

/**
 * The role matrix of the composed platform on the real engine: every operation of the OpenAPI
 * document × every kind of caller, with the exact status each must get; the scoring socket's
 * rooms; and hostile bodies on state-changing routes of every module (4xx with a clear code, never 5xx).
 */

const CALLERS = ['anon', 'operator', 'adminA', 'instrA', 'instrB', 'traineeA', 'x1', 'x2', 'y1'] as const;
type Caller = (typeof CALLERS)[number];
type Row = readonly [number, number, number, number, number, number, number, number, number];

interface Res {
  status: number;
  body: Record<string, unknown>;
  text: string;
  /** How the answer differs from what the OpenAPI document declares, if it does. */
  mismatch?: string;
}

interface Case {
  /** `METHOD /openapi/path` */
  op: string;
  /** what the case targets, for the report */
  note: string;
  /** expected status per caller, in CALLERS order */
  expect: Row;
  /** path, body; `keep` stores a new session cookie (otherwise the caller's session is left as it is) */
  request: (c: Caller) => { path: string; body?: unknown; keep?: boolean };
  /** further checks on a 2xx answer */
  verify?: (c: Caller, res: Res) => void;
  /** run in the final phase (teardown, sign-out) */
  last?: boolean;
}

const PW = (who: string) => `${who} secret password 1`;

/** The scenario: the contract scenario plus a check objective with a hint (play/hints, play/checks). */
const scenarioText = (image: string) =>
  contractScenario(image).replace(
    '    ready: { tcp: 8080, timeout: 30s }\n',
    '    ready: { tcp: 8080, timeout: 30s }\n    web: [{ port: 8080, title: Service }]\n',
  ) +
  `  - id: probe
    kind: check
    title: Probe
    points: 5
    hints:
      - { id: tip, cost: 1, text: "look in /tmp" }
    check: { host: server, run: [/bin/sh, -c, "test -f /tmp/solved"], expect: { exitCode: 0 }, timeout: 5s }
`;

describe('role matrix: every operation × every caller (Docker engine)', function () {
  this.timeout(240_000);
  let dir: string;
  let platform: RunningPlatform | undefined;
  const base = () => {
    if (!platform) throw new Error('the platform did not start');
    return platform.url;
  };
  let origin: string;
  const X = `rmx-${process.pid}`;
  const Y = `rmy-${process.pid}`;
  const PRIVATE = 'rm-private';
  const cookies: Partial<Record<Caller, string>> = {};
  const emails: Partial<Record<Caller, string>> = {};
  const passwords: Partial<Record<Caller, string>> = {};
  let orgA = '';
  let orgB = '';
  let orgC = '';
  const userIds: Record<string, string> = {};
  let sharedCode = '';
  let spareCodeId = '';
  /** Each participant's help request (made by the POST /api/play/help row). */
  const helpIds: Partial<Record<Caller, string>> = {};
  let invitationId = '';
  let invitationToken = '';
  /** Org A's course, its runs (enrolled, to cancel, empty) and org B's course (courses). */
  const course = { a: '', b: '', run: '', cancel: '', empty: '', customer: '' };
  let seq = 0;
  const unique = () => `${process.pid}-${++seq}`;

  /** One request as a caller; `keep` stores a session cookie the server sets. */
  const call = async (
    who: Caller | undefined,
    method: string,
    url: string,
    opts: { body?: unknown; raw?: string; contentType?: string; keep?: boolean } = {},
  ): Promise<Res> => {
    const hasBody = opts.body !== undefined || opts.raw !== undefined;
    const cookie = who ? cookies[who] : undefined;
    const res = await fetch(new URL(url, base()), {
      method,
      headers: {
        origin,
        ...(cookie ? { cookie } : {}),
        ...(hasBody ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
      },
      ...(hasBody ? { body: opts.raw ?? JSON.stringify(opts.body) } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set && opts.keep && who) cookies[who] = set.split(';')[0]!;
    const text = await res.text();
    // every answer, to every caller, must be one the OpenAPI document describes
    let mismatch: string | undefined;
    try {
      checkResponse({
        method,
        url: res.url,
        status: res.status,
        contentType: res.headers.get('content-type'),
        text,
      });
    } catch (error) {
      if (!(error instanceof ResponseMismatch)) throw error;
      mismatch = error.message;
    }
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    return { status: res.status, body, text, ...(mismatch ? { mismatch } : {}) };
  };

  const login = async (who: Caller) => {
    const r = await call(who, 'POST', '/api/auth/login', {
      body: { email: emails[who], password: passwords[who] },
      keep: true,
    });
    expect(r.status, `${who} signs in: ${r.text}`).to.equal(200);
  };

  const waitReady = async (who: Caller, id: string, teams: number) => {
    for (let i = 0; i < 240; i++) {
      const s = (await call(who, 'GET', `/api/exercises/${id}`)).body as {
        state?: string;
        teams?: { state: string }[];
      };
      if (s.state === 'running' && s.teams?.length === teams && s.teams.every((t) => t.state === 'ready'))
        return;
      if (s.teams?.some((t) => t.state === 'failed')) throw new Error(`${id} failed: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${id} never became ready`);
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-role-matrix-'));
    const image = await ensureTestImage(new Docker(), 'box');
    mkdirSync(path.join(dir, 'catalogue', 'contract'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'contract', 'scenario.yaml'), scenarioText(image));
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    const config = loadConfig(
      { CYROP_SUBNET_POOL: '10.242.0.0/16' },
      { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
    );
    await new NiceCatalogueStore(path.join(dir, 'data')).import(niceTestData.path('v210'));
    platform = await startPlatform(config, pino({ level: 'silent' }));
    origin = platform.url.replace(/\/$/, '');

    emails.operator = first.email;
    passwords.operator = first.password;
    await login('operator');
    const changed = await call('operator', 'POST', '/api/auth/password', {
      body: { currentPassword: first.password, newPassword: PW('operator') },
      keep: true,
    });
    expect(changed.status).to.equal(200);
    passwords.operator = PW('operator');

    const org = async (name: string) => {
      const r = await call('operator', 'POST', '/api/organisations', {
        body: { name, kind: 'training-company' },
      });
      expect(r.status, r.text).to.equal(201);
      return r.body.id as string;
    };
    orgA = await org('Org A');
    orgB = await org('Org B');
    orgC = await org('Org C');
    const user = async (who: Caller | 'spare' | 'spareB', orgId: string, role: string) => {
      const email = `${who.toLowerCase()}@example.com`;
      const r = await call('operator', 'POST', `/api/organisations/${orgId}/users`, {
        body: { email, name: who, role, password: PW(who) },
      });
      expect(r.status, r.text).to.equal(201);
      userIds[who] = (r.body.user as { id: string }).id;
      if (who !== 'spare' && who !== 'spareB') {
        emails[who] = email;
        passwords[who] = PW(who);
        await login(who);
      }
    };
    await user('adminA', orgA, 'org-admin');
    await user('instrA', orgA, 'instructor');
    await user('traineeA', orgA, 'trainee');
    await user('instrB', orgB, 'instructor');
    await user('spare', orgA, 'trainee');
    await user('spareB', orgB, 'trainee');

    // Org A's private scenario, two versions (the contract scenario under another id).
    for (const version of ['1.0.0', '1.1.0']) {
      const up = await call('instrA', 'POST', '/api/scenarios', {
        body: {
          files: {
            'scenario.yaml': scenarioText(image).replace(
              'id: contract, version: 1.0.0',
              `id: ${PRIVATE}, version: ${version}`,
            ),
          },
        },
      });
      expect(up.status, up.text).to.equal(201);
    }
    const cx = await call('instrA', 'POST', '/api/exercises', {
      body: { scenario: 'contract', teams: 2, id: X },
    });
    expect(cx.status, cx.text).to.equal(202);
    const cy = await call('instrB', 'POST', '/api/exercises', {
      body: { scenario: 'contract', teams: 1, id: Y },
    });
    expect(cy.status, cy.text).to.equal(202);
    await Promise.all([waitReady('instrA', X, 2), waitReady('instrB', Y, 1)]);
    for (const [who, id] of [
      ['instrA', X],
      ['instrB', Y],
    ] as const) {
      const s = await call(who, 'POST', `/api/exercises/${id}/scoring/status`, { body: { action: 'start' } });
      expect(s.status, s.text).to.equal(200);
    }
    const join = async (who: Caller, by: Caller, id: string, team: string) => {
      const code = await call(by, 'POST', `/api/exercises/${id}/teams/${team}/join-codes`, { body: {} });
      expect(code.status, code.text).to.equal(201);
      const j = await call(who, 'POST', '/api/join', {
        body: { code: code.body.code, displayName: who },
        keep: true,
      });
      expect(j.status, j.text).to.equal(200);
    };
    await join('x1', 'instrA', X, 'team-1');
    await join('x2', 'instrA', X, 'team-2');
    await join('y1', 'instrB', Y, 'team-1');
    const shared = await call('instrA', 'POST', `/api/exercises/${X}/teams/team-2/join-codes`, {
      body: { maxUses: 50 },
    });
    expect(shared.status).to.equal(201);
    sharedCode = shared.body.code as string;
    const spare = await call('instrA', 'POST', `/api/exercises/${X}/teams/team-1/join-codes`, { body: {} });
    spareCodeId = spare.body.id as string;
    // trainee A is on X's roster (team-1) with their account's e-mail
    const roster = await call('instrA', 'POST', `/api/exercises/${X}/roster`, {
      body: { csv: `team,display name,email\nteam-1,Trainee A,${emails.traineeA}\n` },
    });
    expect(roster.status, roster.text).to.equal(201);
    const invitation = await call('adminA', 'POST', `/api/organisations/${orgA}/invitations`, {
      body: { email: 'invited@example.com', role: 'instructor' },
    });
    expect(invitation.status, invitation.text).to.equal(201);
    invitationId = invitation.body.id as string;
    invitationToken = (invitation.body.link as string).split('/').pop()!;

    // courses: org A's course with three runs for a customer, whose trainees (one per staff caller of
    // A, for the withdrawal row) are enrolled in the first; org B's course
    const customer = await call('operator', 'POST', '/api/organisations', {
      body: { name: 'Customer', kind: 'customer' },
    });
    expect(customer.status, customer.text).to.equal(201);
    const customerId = customer.body.id as string;
    course.customer = customerId;
    for (const c of ['operator', 'adminA', 'instrA'] as const) {
      const r = await call('operator', 'POST', `/api/organisations/${customerId}/users`, {
        body: {
          email: `cust-${c.toLowerCase()}@example.com`,
          name: `cust ${c}`,
          role: 'trainee',
          password: PW(c),
        },
      });
      expect(r.status, r.text).to.equal(201);
      userIds[`cust-${c}`] = (r.body.user as { id: string }).id;
    }
    const courseBody = {
      title: { ja: 'コース', en: 'Course' },
      scenarios: [{ id: 'contract', version: '1.0.0' }],
      pricePerSeat: 10_000,
      capacity: 5,
      schedule: { days: 1, hoursPerDay: 6 },
    };
    const made = async (who: Caller, url: string, body: unknown) => {
      const r = await call(who, 'POST', url, { body });
      expect(r.status, r.text).to.equal(201);
      return r.body.id as string;
    };
    course.a = await made('adminA', '/api/courses', courseBody);
    course.b = await made('instrB', '/api/courses', courseBody);
    const runBody = { customerOrgId: customerId, startsAt: '2026-12-01', endsAt: '2026-12-02' };
    course.run = await made('instrA', `/api/courses/${course.a}/runs`, runBody);
    course.cancel = await made('instrA', `/api/courses/${course.a}/runs`, runBody);
    course.empty = await made('instrA', `/api/courses/${course.a}/runs`, runBody);
    const enrolled = await call('adminA', 'POST', `/api/course-runs/${course.run}/enrolments`, {
      body: { userIds: ['operator', 'adminA', 'instrA'].map((c) => userIds[`cust-${c}`]) },
    });
    expect(enrolled.status, enrolled.text).to.equal(200);
  });

  after(async () => {
    // A safety net only (the last test tears down and asserts): end both exercises whatever happened.
    try {
      if (platform) {
        await login('operator').catch(() => undefined);
        for (const id of [X, Y]) await call('operator', 'DELETE', `/api/exercises/${id}`);
      }
    } finally {
      await platform?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // ── the matrix ─────────────────────────────────────────────────────────────────────────────
  //                                   anon  op   admA instA instB trnA  x1   x2   y1
  const PUBLIC: Row = /*            */ [200, 200, 200, 200, 200, 200, 200, 200, 200];
  const SIGNED_IN: Row = /*         */ [401, 200, 200, 200, 200, 200, 200, 200, 200];
  const OPERATOR_ONLY = (ok: number): Row => [401, ok, 403, 403, 403, 403, 403, 403, 403];
  const ORG_A_ADMIN = (ok: number): Row => [401, ok, ok, 403, 403, 403, 403, 403, 403];
  /** staff on exercise X (org A's): operator and org A's staff; org B's instructor is told "no such exercise" */
  const STAFF_X = (ok: number): Row => [401, ok, ok, ok, 404, 403, 403, 403, 403];
  /** staff on exercise Y (org B's) */
  const STAFF_Y = (ok: number): Row => [401, ok, 404, 404, ok, 403, 403, 403, 403];
  const STAFF_ALL = (ok: number): Row => [401, ok, ok, ok, ok, 403, 403, 403, 403];
  const PARTICIPANTS: Row = /*      */ [401, 403, 403, 403, 403, 403, 200, 200, 200];
  const USERS_ONLY: Row = /*        */ [401, 200, 200, 200, 200, 200, 403, 403, 403];

  const own = (c: Caller) =>
    c === 'x1'
      ? { exerciseId: X, teamId: 'team-1', other: 'team-2' }
      : c === 'x2'
        ? { exerciseId: X, teamId: 'team-2', other: 'team-1' }
        : { exerciseId: Y, teamId: 'team-1', other: X };

  const cases: Case[] = [
    { op: 'GET /api/scenarios', note: '', expect: PUBLIC, request: () => ({ path: '/api/scenarios' }) },
    {
      op: 'GET /api/scenarios/{id}',
      note: 'contract',
      expect: PUBLIC,
      request: () => ({ path: '/api/scenarios/contract' }),
      verify: (_c, r) => expect(r.text).not.to.match(/CYROP\{|\/tmp\/solved/),
    },
    {
      op: 'GET /api/scenarios/{id}/versions',
      note: 'contract',
      expect: PUBLIC,
      request: () => ({ path: '/api/scenarios/contract/versions' }),
    },
    // Org A's private scenario: org B and everyone else are told it does not exist
    {
      op: 'GET /api/scenarios/{id}',
      note: "org A's private scenario",
      expect: [404, 200, 200, 200, 404, 404, 404, 404, 404],
      request: () => ({ path: `/api/scenarios/${PRIVATE}` }),
    },
    {
      op: 'GET /api/scenarios/{id}/versions',
      note: "org A's private scenario",
      expect: [404, 200, 200, 200, 404, 404, 404, 404, 404],
      request: () => ({ path: `/api/scenarios/${PRIVATE}/versions` }),
    },
    {
      op: 'GET /api/scenarios',
      note: "org A's private scenario is listed for org A's staff and the operator only",
      expect: PUBLIC,
      request: () => ({ path: '/api/scenarios' }),
      verify: (c, r) => {
        const listed = (r.body.scenarios as { id: string }[]).some((e) => e.id === PRIVATE);
        expect(listed, c).to.equal(['operator', 'adminA', 'instrA'].includes(c));
      },
    },
    // the instructor's scenario page: staff who may see the version
    {
      op: 'GET /api/scenarios/{id}/versions/{version}/guide',
      note: 'contract',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/scenarios/contract/versions/1.0.0/guide' }),
      verify: (_c, r) => expect(r.text).not.to.match(/CYROP\{/),
    },
    {
      op: 'GET /api/scenarios/{id}/versions/{version}/guide',
      note: "org A's private scenario",
      expect: [401, 200, 200, 200, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/scenarios/${PRIVATE}/versions/1.0.0/guide` }),
    },
    {
      op: 'POST /api/scenarios/{id}/versions/{version}/archive',
      note: "org A's private 1.0.0",
      expect: [401, 200, 200, 200, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/scenarios/${PRIVATE}/versions/1.0.0/archive` }),
    },
    {
      op: 'POST /api/exercises',
      note: "org A's private scenario at its archived version (nothing launched)",
      expect: [401, 409, 409, 409, 404, 403, 403, 403, 403],
      request: () => ({ path: '/api/exercises', body: { scenario: PRIVATE, version: '1.0.0', teams: 1 } }),
    },
    {
      op: 'POST /api/exercises',
      note: "org A's private scenario by id (org B: no such scenario; nothing launched for it)",
      expect: [401, 404, 404, 404, 404, 403, 403, 403, 403],
      request: () => ({ path: '/api/exercises', body: { scenario: PRIVATE, version: '9.9.9', teams: 1 } }),
    },
    {
      op: 'POST /api/scenarios/{id}/versions/{version}/restore',
      note: "org A's private 1.0.0",
      expect: [401, 200, 200, 200, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/scenarios/${PRIVATE}/versions/1.0.0/restore` }),
    },
    {
      op: 'POST /api/scenarios/{id}/versions/{version}/publication',
      note: "org A's private 1.1.0: its org-admin (and the operator) ask; asking twice changes nothing",
      expect: [401, 200, 200, 403, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/scenarios/${PRIVATE}/versions/1.1.0/publication`, body: {} }),
      verify: (_c, r) => expect(r.body.publication).to.equal('requested'),
    },
    {
      op: 'GET /api/scenario-publications',
      note: 'the request is waiting',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/scenario-publications' }),
      verify: (_c, r) => expect((r.body.requests as { id: string }[]).map((q) => q.id)).to.include(PRIVATE),
    },
    {
      op: 'POST /api/scenarios/{id}/versions/{version}/publication/decision',
      note: "approve org A's 1.1.0",
      expect: OPERATOR_ONLY(200),
      request: () => ({
        path: `/api/scenarios/${PRIVATE}/versions/1.1.0/publication/decision`,
        body: { approve: true },
      }),
      verify: (_c, r) => expect(r.body.publication).to.equal('published'),
    },
    {
      op: 'GET /api/scenarios/{id}',
      note: "org A's 1.1.0 once published: everyone's (a card for callers who are not staff)",
      expect: PUBLIC,
      request: () => ({ path: `/api/scenarios/${PRIVATE}?version=1.1.0` }),
      verify: (c, r) =>
        expect('hosts' in r.body, c).to.equal(['operator', 'adminA', 'instrA', 'instrB'].includes(c)),
    },
    {
      op: 'POST /api/scenarios/validate',
      note: 'a scenario with an error (the verdict is 200 with its diagnostics)',
      expect: STAFF_ALL(200),
      request: () => ({
        path: '/api/scenarios/validate',
        body: { files: { 'scenario.yaml': 'apiVersion: cyrop/v1\n' } },
      }),
    },
    {
      op: 'POST /api/scenarios',
      note: 'an invalid scenario (422: nothing stored)',
      expect: STAFF_ALL(422),
      request: () => ({
        path: '/api/scenarios',
        body: { files: { 'scenario.yaml': 'apiVersion: cyrop/v1\n' } },
      }),
    },
    {
      op: 'POST /api/auth/login',
      note: "a spare user's right password (session not kept)",
      expect: PUBLIC,
      request: () => ({
        path: '/api/auth/login',
        body: { email: 'spare@example.com', password: PW('spare') },
      }),
    },
    { op: 'GET /api/auth/me', note: '', expect: SIGNED_IN, request: () => ({ path: '/api/auth/me' }) },
    {
      op: 'POST /api/join',
      note: "a valid code of X team-2 (session not kept); trainee A's roster puts them in team-1",
      expect: [200, 200, 200, 200, 200, 409, 200, 200, 200],
      request: (c) => ({ path: '/api/join', body: { code: sharedCode, displayName: `joiner ${c}` } }),
    },
    {
      op: 'GET /api/organisations',
      note: '',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/organisations' }),
    },
    {
      op: 'POST /api/organisations',
      note: '',
      expect: OPERATOR_ONLY(201),
      request: () => ({ path: '/api/organisations', body: { name: `Org ${unique()}`, kind: 'customer' } }),
    },
    {
      op: 'GET /api/organisations/{id}/users',
      note: 'org A',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/organisations/${orgA}/users` }),
    },
    {
      op: 'GET /api/organisations/{id}/users',
      note: 'org B (org-admin A: 403, same as for an unknown id)',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: `/api/organisations/${orgB}/users` }),
    },
    {
      op: 'GET /api/organisations/{id}/users',
      note: 'unknown organisation',
      expect: [401, 404, 403, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: '/api/organisations/no-such-org/users' }),
    },
    {
      op: 'POST /api/organisations/{id}/users',
      note: 'org A, a trainee',
      expect: ORG_A_ADMIN(201),
      request: () => ({
        path: `/api/organisations/${orgA}/users`,
        body: { email: `u${unique()}@example.com`, name: 'New', role: 'trainee' },
      }),
    },
    {
      op: 'POST /api/organisations/{id}/users',
      note: 'org B, a trainee',
      expect: OPERATOR_ONLY(201),
      request: () => ({
        path: `/api/organisations/${orgB}/users`,
        body: { email: `u${unique()}@example.com`, name: 'New', role: 'trainee' },
      }),
    },
    {
      op: 'POST /api/organisations/{id}/users',
      note: 'org A, an operator (only operators make operators; a training company has none: 400)',
      expect: [401, 400, 403, 403, 403, 403, 403, 403, 403],
      request: () => ({
        path: `/api/organisations/${orgA}/users`,
        body: { email: `u${unique()}@example.com`, name: 'New', role: 'operator' },
      }),
    },
    // administration (orgC is the operator's to edit and disable; spare users are the ones changed)
    {
      op: 'GET /api/organisations/{id}',
      note: 'org A',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/organisations/${orgA}` }),
    },
    {
      op: 'GET /api/organisations/{id}',
      note: 'org B (org-admin A: 403, same as for an unknown id)',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: `/api/organisations/${orgB}` }),
    },
    {
      op: 'PATCH /api/organisations/{id}',
      note: 'org C: contact and invoicing details',
      expect: OPERATOR_ONLY(200),
      request: () => ({
        path: `/api/organisations/${orgC}`,
        body: { category: 'npo', contactName: '担当 太郎', invoiceRegistrationNumber: 'T9234567890123' },
      }),
    },
    {
      op: 'PATCH /api/organisations/{id}',
      note: 'org C: disabled (again: no change)',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: `/api/organisations/${orgC}`, body: { disabled: true } }),
      verify: (_c, r) => expect(r.body.disabled).to.equal(true),
    },
    {
      op: 'GET /api/users',
      note: 'every organisation',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/users' }),
    },
    {
      op: 'PATCH /api/users/{id}',
      note: "org A's spare trainee, same role (no change)",
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/users/${userIds.spare}`, body: { role: 'trainee' } }),
    },
    {
      op: 'PATCH /api/users/{id}',
      note: "org B's spare trainee: org-admin A is told there is no such user",
      expect: [401, 200, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: `/api/users/${userIds.spareB}`, body: { disabled: false } }),
    },
    {
      op: 'POST /api/users/{id}/password-reset',
      note: "org A's spare trainee",
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/users/${userIds.spare}/password-reset` }),
      verify: (_c, r) => expect(r.body.oneTimePassword).to.be.a('string'),
    },
    {
      op: 'POST /api/users/{id}/password-reset',
      note: "org B's spare trainee: org-admin A is told there is no such user",
      expect: [401, 200, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: `/api/users/${userIds.spareB}/password-reset` }),
    },
    {
      op: 'GET /api/audit/export',
      note: 'CSV with BOM',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: '/api/audit/export?action=user.' }),
      verify: (c, r) => {
        expect(r.text.startsWith('id,at,actor,'), c).to.equal(true);
        if (c === 'adminA') expect(r.text, 'org B stays out').not.to.contain(userIds.spareB);
      },
    },
    {
      op: 'GET /api/admin/health',
      note: '',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/admin/health' }),
      verify: (_c, r) => {
        expect(r.body.engine).to.deep.include({ name: 'docker', ok: true });
        expect((r.body.counts as { exercisesRunning: number }).exercisesRunning).to.be.at.least(2);
      },
    },
    {
      op: 'GET /api/organisations/{id}/scenarios',
      note: "org A's versions, archived ones too",
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/organisations/${orgA}/scenarios` }),
      verify: (_c, r) =>
        expect((r.body.versions as { id: string }[]).filter((v) => v.id === PRIVATE)).to.have.length(2),
    },
    {
      op: 'GET /api/organisations/{id}/scenarios',
      note: 'org B (org-admin A: 403, same as for an unknown id)',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: `/api/organisations/${orgB}/scenarios` }),
    },
    { op: 'GET /api/account', note: '', expect: USERS_ONLY, request: () => ({ path: '/api/account' }) },
    {
      op: 'PATCH /api/account',
      note: 'Japanese',
      expect: USERS_ONLY,
      request: () => ({ path: '/api/account', body: { preferredLanguage: 'ja' } }),
    },
    {
      op: 'GET /api/account/sessions',
      note: 'this one marked',
      expect: USERS_ONLY,
      request: () => ({ path: '/api/account/sessions' }),
      verify: (c, r) =>
        expect(
          (r.body.sessions as { current: boolean }[]).filter((x) => x.current),
          c,
        ).to.have.length(1),
    },
    {
      op: 'POST /api/account/sessions/sign-out-others',
      note: 'the caller stays signed in',
      expect: USERS_ONLY,
      request: () => ({ path: '/api/account/sessions/sign-out-others' }),
    },
    {
      op: 'DELETE /api/account/sessions/{id}',
      note: 'a session that is not theirs',
      expect: [401, 404, 404, 404, 404, 404, 403, 403, 403],
      request: () => ({ path: `/api/account/sessions/${'0'.repeat(32)}` }),
    },
    {
      op: 'GET /api/organisations/{id}/quotas',
      note: 'org A (its admin reads its own)',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/organisations/${orgA}/quotas` }),
      verify: (_c, res) => {
        expect(res.body.usage).to.include({ exercises: 1, teams: 2 });
      },
    },
    {
      op: 'GET /api/organisations/{id}/quotas',
      note: "org B (org-admin A: 404, another organisation's quotas do not exist for them)",
      expect: [401, 200, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: `/api/organisations/${orgB}/quotas` }),
    },
    {
      op: 'GET /api/organisations/{id}/quotas',
      note: 'unknown organisation',
      expect: [401, 404, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: '/api/organisations/no-such-org/quotas' }),
    },
    {
      op: 'PUT /api/organisations/{id}/quotas',
      note: 'org A, more hosts (operator only)',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: `/api/organisations/${orgA}/quotas`, body: { hosts: 1000 } }),
      verify: (_c, res) => {
        expect(res.body.limits).to.include({ hosts: 1000 });
      },
    },
    {
      op: 'PUT /api/organisations/{id}/quotas',
      note: 'unknown organisation',
      expect: [401, 404, 403, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: '/api/organisations/no-such-org/quotas', body: { hosts: 1000 } }),
    },
    // courses (org A's course and runs: org B's instructor is told they do not exist)
    {
      op: 'GET /api/courses',
      note: 'each company lists its own',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/courses' }),
      verify: (c, r) => {
        const listed = (r.body.courses as { id: string }[]).map((x) => x.id);
        expect(listed.includes(course.a), c).to.equal(c !== 'instrB');
        expect(listed.includes(course.b), c).to.equal(c === 'instrB' || c === 'operator');
      },
    },
    {
      op: 'POST /api/courses',
      note: "a course of the caller's company (the operator names org A)",
      expect: STAFF_ALL(201),
      request: (c) => ({
        path: '/api/courses',
        body: {
          ...(c === 'operator' ? { orgId: orgA } : {}),
          title: { ja: 'コース', en: 'Course' },
          scenarios: [{ id: 'contract', version: '1.0.0' }],
          pricePerSeat: 0,
          capacity: 1,
          schedule: { days: 1, hoursPerDay: 1 },
        },
      }),
    },
    {
      op: 'GET /api/courses/{id}',
      note: "org A's course",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/courses/${course.a}` }),
    },
    {
      op: 'PATCH /api/courses/{id}',
      note: "org A's course, a new price",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/courses/${course.a}`, body: { pricePerSeat: 12_000 } }),
    },
    {
      op: 'GET /api/courses/{id}/runs',
      note: "org A's course",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/courses/${course.a}/runs` }),
    },
    {
      op: 'POST /api/courses/{id}/runs',
      note: "org A's course",
      expect: STAFF_X(201),
      request: () => ({
        path: `/api/courses/${course.a}/runs`,
        body: { customerOrgId: course.customer, startsAt: '2026-12-01', endsAt: '2026-12-02' },
      }),
    },
    {
      op: 'GET /api/course-runs',
      note: 'each company its own runs',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/course-runs' }),
      verify: (c, r) => {
        const listed = (r.body.runs as { id: string }[]).map((x) => x.id);
        expect(listed.includes(course.run), c).to.equal(c !== 'instrB');
      },
    },
    {
      op: 'GET /api/course-runs/{id}',
      note: "org A's run",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/course-runs/${course.run}` }),
    },
    {
      op: 'POST /api/course-runs/{id}/cancel',
      note: "org A's run",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/course-runs/${course.cancel}/cancel` }),
    },
    {
      op: 'POST /api/course-runs/{id}/enrolments',
      note: "org A's run, a trainee enrolled already",
      expect: STAFF_X(200),
      request: () => ({
        path: `/api/course-runs/${course.run}/enrolments`,
        body: { userIds: [userIds['cust-operator']] },
      }),
    },
    {
      op: 'DELETE /api/course-runs/{id}/enrolments/{userId}',
      note: "org A's run, each caller withdraws their own trainee",
      expect: STAFF_X(200),
      request: (c) => ({
        path: `/api/course-runs/${course.run}/enrolments/${userIds[`cust-${c}`] ?? userIds['cust-operator']}`,
      }),
    },
    {
      op: 'POST /api/course-runs/{id}/launch',
      note: "org A's run with nobody enrolled: refused",
      expect: STAFF_X(409),
      request: () => ({ path: `/api/course-runs/${course.empty}/launch`, body: {} }),
    },
    {
      op: 'GET /api/me/courses',
      note: 'users only',
      expect: USERS_ONLY,
      request: () => ({ path: '/api/me/courses' }),
    },
    {
      op: 'GET /api/metering/organisations/{id}',
      note: 'org A (its admin reads its own)',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/metering/organisations/${orgA}?from=2026-01-01&to=2027-01-01` }),
    },
    {
      op: 'GET /api/metering/organisations/{id}',
      note: 'org B (org-admin A: 404)',
      expect: [401, 200, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: `/api/metering/organisations/${orgB}?from=2026-01-01&to=2027-01-01` }),
    },
    // ── billing (issue 13): an organisation's books are its admin's and the operator's ──
    {
      op: 'POST /api/billing/organisations/{org}/sales',
      note: 'org A, a January 2025 sale',
      expect: ORG_A_ADMIN(201),
      request: () => ({
        path: `/api/billing/organisations/${orgA}/sales`,
        body: { date: '2025-01-15', customer: 'Customer', amountYen: 123_456 },
      }),
    },
    {
      op: 'POST /api/billing/organisations/{org}/sales',
      note: "org B (org-admin A: 404, another organisation's books do not exist for them)",
      expect: [401, 201, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({
        path: `/api/billing/organisations/${orgB}/sales`,
        body: { date: '2025-01-15', customer: 'Customer', amountYen: 1000 },
      }),
    },
    {
      op: 'POST /api/billing/organisations/{org}/sales/import',
      note: 'org A, two rows',
      expect: ORG_A_ADMIN(200),
      request: () => ({
        path: `/api/billing/organisations/${orgA}/sales/import`,
        body: { csv: '日付,顧客,金額\n2025/1/20,B社,78901\n2025/1/21,C社,1000\n' },
      }),
    },
    {
      op: 'POST /api/billing/organisations/{org}/sales/{entry}/reversal',
      note: 'org A, an entry that does not exist',
      expect: [401, 404, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({
        path: `/api/billing/organisations/${orgA}/sales/no-such-entry/reversal`,
        body: { reason: 'test' },
      }),
    },
    {
      op: 'GET /api/billing/journal',
      note: "one's own organisation (operator: everyone's)",
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: '/api/billing/journal?counterparty=customer' }),
    },
    {
      op: 'GET /api/billing/organisations/{org}/statements/{period}',
      note: 'org A, January 2025 (a draft)',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/billing/organisations/${orgA}/statements/2025-01` }),
    },
    {
      op: 'GET /api/billing/organisations/{org}/statements/{period}',
      note: 'org B (org-admin A: 404)',
      expect: [401, 200, 404, 403, 403, 403, 403, 403, 403],
      request: () => ({ path: `/api/billing/organisations/${orgB}/statements/2025-01` }),
    },
    {
      op: 'POST /api/billing/organisations/{org}/statements/{period}/issue',
      note: 'org A, January 2025: refused, the operator organisation has no registration number',
      expect: OPERATOR_ONLY(409),
      request: () => ({ path: `/api/billing/organisations/${orgA}/statements/2025-01/issue` }),
    },
    {
      op: 'GET /api/billing/receivables',
      note: "one's own organisation (operator: everyone's)",
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: '/api/billing/receivables' }),
    },
    {
      op: 'GET /api/billing/usage-fees',
      note: 'every company, 2025-01 to 2025-03',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/billing/usage-fees?from=2025-01&to=2025-03' }),
    },
    {
      op: 'POST /api/billing/payments',
      note: 'an invoice that does not exist',
      expect: OPERATOR_ONLY(404),
      request: () => ({
        path: '/api/billing/payments',
        body: { invoiceNumber: 'UF-0000-00-NONE', on: '2025-02-01', amountYen: 1 },
      }),
    },
    {
      op: 'PUT /api/billing/organisations/{org}/co-nexus',
      note: 'org A joins Co-Nexus C',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: `/api/billing/organisations/${orgA}/co-nexus`, body: { names: ['C'] } }),
    },
    {
      op: 'GET /api/billing/organisations/{org}/co-nexus',
      note: 'org A',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/billing/organisations/${orgA}/co-nexus` }),
    },
    {
      op: 'GET /api/billing/fees/{year}',
      note: 'fiscal year 2025',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/billing/fees/2025' }),
    },
    {
      op: 'POST /api/billing/fees/{year}/issue',
      note: 'fiscal year 2025',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/billing/fees/2025/issue' }),
    },
    {
      op: 'GET /api/billing/fee-schedules',
      note: 'none stored: the built-in default applies',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/billing/fee-schedules' }),
    },
    {
      op: 'POST /api/billing/fee-schedules',
      note: 'a schedule missing its fields',
      expect: OPERATOR_ONLY(400),
      request: () => ({ path: '/api/billing/fee-schedules', body: { version: 'x' } }),
    },
    {
      op: 'GET /api/billing/verify',
      note: 'the journal is intact',
      expect: OPERATOR_ONLY(200),
      request: () => ({ path: '/api/billing/verify' }),
      verify: (_c, res) => {
        expect(res.body.ok).to.equal(true);
      },
    },
    {
      op: 'POST /api/exercises/{id}/teams/{team}/join-codes',
      note: 'X team-1',
      expect: STAFF_X(201),
      request: () => ({ path: `/api/exercises/${X}/teams/team-1/join-codes`, body: {} }),
    },
    {
      op: 'POST /api/exercises/{id}/teams/{team}/join-codes',
      note: 'Y team-1',
      expect: STAFF_Y(201),
      request: () => ({ path: `/api/exercises/${Y}/teams/team-1/join-codes`, body: {} }),
    },
    {
      op: 'GET /api/audit',
      note: '',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: '/api/audit' }),
      verify: (c, r) => {
        if (c !== 'adminA') return;
        const entries = r.body.entries as { orgId: string | null }[];
        expect(
          entries.every((e) => e.orgId === orgA),
          'org admin sees only their org',
        ).to.equal(true);
      },
    },
    {
      op: 'GET /api/exercises',
      note: '',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/exercises' }),
      verify: (c, r) => {
        const ids = (r.body.exercises as { id: string }[]).map((e) => e.id);
        const sees = { operator: [X, Y], adminA: [X], instrA: [X], instrB: [Y] }[c as 'operator'];
        expect(ids.filter((i) => i === X || i === Y).sort(), c).to.deep.equal([...sees].sort());
      },
    },
    {
      op: 'POST /api/exercises',
      note: 'an unknown scenario (202 for a real one: instructors A and B in the set-up)',
      expect: STAFF_ALL(404),
      request: () => ({ path: '/api/exercises', body: { scenario: 'no-such-scenario', teams: 1 } }),
    },
    {
      op: 'GET /api/exercises/{id}',
      note: 'X',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}` }),
    },
    {
      op: 'GET /api/exercises/{id}',
      note: 'Y',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}` }),
    },
    // the scenario page of an exercise and its per-team answer key: the exercise's staff only
    ...[X, Y].flatMap((ex) => [
      {
        op: 'GET /api/exercises/{id}/scenario-guide',
        note: ex === X ? 'X' : 'Y',
        expect: ex === X ? STAFF_X(200) : STAFF_Y(200),
        request: () => ({ path: `/api/exercises/${ex}/scenario-guide` }),
      },
      {
        op: 'GET /api/exercises/{id}/answer-key',
        note: ex === X ? 'X' : 'Y',
        expect: ex === X ? STAFF_X(200) : STAFF_Y(200),
        request: () => ({ path: `/api/exercises/${ex}/answer-key` }),
        verify: (_c: Caller, r: Res) =>
          expect((r.body.teams as { teamId: string }[]).length).to.be.greaterThan(0),
      },
    ]),
    // competency analytics (a v2.1.0 catalogue is imported into the data directory before start)
    {
      op: 'GET /api/analytics/config',
      note: 'framework versions',
      expect: SIGNED_IN,
      request: () => ({ path: '/api/analytics/config' }),
      verify: (_c: Caller, r: Res) => expect(r.body.defaultFramework).to.equal('nice-2.1.0'),
    },
    {
      op: 'GET /api/analytics/coverage',
      note: 'shipped',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/analytics/coverage?framework=nice-2.1.0' }),
      verify: (_c: Caller, r: Res) => expect(r.body.overall).to.deep.include({ total: 2148 }),
    },
    {
      op: 'GET /api/analytics/gaps',
      note: 'PD-WRL-001',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/analytics/gaps?role=PD-WRL-001' }),
    },
    {
      // trainee A: themselves, the operator, and org A's staff (trainee A is a member of X, org A's
      // exercise, by now); org B's instructor (no exercise of theirs with trainee A) and participants
      // without an account never
      op: 'GET /api/analytics/trainees/{userId}/evidence',
      note: 'trainee A',
      expect: [401, 200, 200, 200, 404, 200, 404, 404, 404],
      request: () => ({ path: `/api/analytics/trainees/${userIds.traineeA}/evidence` }),
    },
    {
      op: 'GET /api/analytics/trainees/{userId}/transcript',
      note: 'trainee A',
      expect: [401, 200, 200, 200, 404, 200, 404, 404, 404],
      request: () => ({ path: `/api/analytics/trainees/${userIds.traineeA}/transcript` }),
    },
    {
      op: 'GET /api/analytics/exercises/{id}/teams/{teamId}/evidence',
      note: 'X team-1',
      expect: [401, 200, 200, 200, 404, 404, 200, 404, 404],
      request: () => ({ path: `/api/analytics/exercises/${X}/teams/team-1/evidence` }),
    },
    {
      // whoever watches X; only the operator and org A's admin are offered org A's instructors
      op: 'GET /api/exercises/{id}/instructors',
      note: 'X (launched by instructor A)',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/instructors` }),
      verify: (c: Caller, r: Res) => {
        const staff = r.body.instructors as { userId: string; launcher: boolean }[];
        expect(staff.find((s) => s.launcher)?.userId).to.equal(userIds.instrA);
        const mayAssign = c === 'operator' || c === 'adminA';
        expect(r.body.mayAssign).to.equal(mayAssign);
        const candidates = (r.body.candidates as { userId: string }[]).map((x) => x.userId);
        if (mayAssign) expect(candidates).to.include(userIds.instrA).and.not.include(userIds.instrB);
        else expect(candidates).to.deep.equal([]);
      },
    },
    ...(['PUT', 'DELETE'] as const).map((method) => ({
      // org A's admin (X is org A's) and the operator; org B's admin would get 404; instructors 403
      op: `${method} /api/exercises/{id}/instructors/{userId}`,
      note: 'X, instructor A (already its launcher)',
      expect: [401, 200, 200, 403, 403, 403, 403, 403, 403] as Row,
      request: () => ({ path: `/api/exercises/${X}/instructors/${userIds.instrA}` }),
    })),
    {
      op: 'GET /api/analytics/exercises/{id}/class',
      note: 'X',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/analytics/exercises/${X}/class` }),
    },
    {
      op: 'GET /api/analytics/usage',
      note: 'own organisation / platform',
      expect: STAFF_ALL(200),
      request: () => ({ path: '/api/analytics/usage?from=2020-01-01&to=2099-12-31' }),
    },
    {
      op: 'POST /api/exercises/{id}/teams/{team}/reset',
      note: 'X team-2, host console',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/teams/team-2/reset`, body: { host: 'console' } }),
    },
    {
      op: 'POST /api/exercises/{id}/teams/{team}/reset',
      note: 'Y team-1, host console',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/teams/team-1/reset`, body: { host: 'console' } }),
    },
    {
      op: 'POST /api/exercises/{id}/extend',
      note: 'X',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/extend`, body: { by: '1m' } }),
    },
    {
      op: 'POST /api/exercises/{id}/extend',
      note: 'Y',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/extend`, body: { by: '1m' } }),
    },
    {
      op: 'POST /api/exercises/{id}/broadcast',
      note: 'X',
      expect: STAFF_X(204),
      request: () => ({ path: `/api/exercises/${X}/broadcast`, body: { message: 'ten minutes left' } }),
    },
    {
      op: 'POST /api/exercises/{id}/broadcast',
      note: 'Y',
      expect: STAFF_Y(204),
      request: () => ({ path: `/api/exercises/${Y}/broadcast`, body: { message: 'ten minutes left' } }),
    },
    // web service tabs: a team's own host, the exercise's staff; another team of the same exercise is
    // refused (403), anyone else is told there is no such exercise (404)
    {
      op: 'POST /api/exercises/{id}/teams/{team}/web',
      note: 'X team-1 server:8080',
      expect: [401, 201, 201, 201, 404, 404, 201, 403, 404],
      request: () => ({ path: `/api/exercises/${X}/teams/team-1/web`, body: { host: 'server', port: 8080 } }),
      verify: (_c, r) => {
        expect(r.body.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\.cyrop\/enter\?ticket=[A-Za-z0-9_-]{43}$/);
        expect(r.body.url).not.to.include(new URL(base()).origin);
      },
    },
    {
      op: 'POST /api/exercises/{id}/teams/{team}/web',
      note: 'X team-1 undeclared port 22',
      expect: [401, 404, 404, 404, 404, 404, 404, 403, 404],
      request: () => ({ path: `/api/exercises/${X}/teams/team-1/web`, body: { host: 'server', port: 22 } }),
    },
    // participants: their own team of their own exercise, from the session only
    {
      op: 'GET /api/play/objectives',
      note: 'own team',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/objectives' }),
      verify: (c, r) => {
        const o = own(c);
        expect(r.body.exerciseId).to.equal(o.exerciseId);
        expect(r.body.teamId).to.equal(o.teamId);
        expect(r.text).not.to.include('CYROP{');
        expect(r.text).not.to.include('/tmp/solved');
        expect(r.text).not.to.include(o.other);
      },
    },
    {
      op: 'GET /api/play/exercise',
      note: 'own team',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/exercise?lang=ja' }),
      verify: (c, r) => {
        const o = own(c);
        expect(r.body.exerciseId).to.equal(o.exerciseId);
        expect(r.body.teamId).to.equal(o.teamId);
        expect(r.body.hosts).to.deep.include({ name: 'console', console: true, web: [] });
        expect(r.body.hosts).to.deep.include({
          name: 'server',
          console: false,
          web: [{ port: 8080, title: 'Service', path: '/' }],
        });
        expect((r.body.broadcasts as { message: string }[]).map((b) => b.message)).to.include(
          'ten minutes left',
        );
        expect(r.text).not.to.include('CYROP{');
        expect(r.text).not.to.include(o.other);
      },
    },
    {
      op: 'POST /api/play/submissions',
      note: 'a wrong flag',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/submissions', body: { objective: 'flag', answer: 'CYROP{nope}' } }),
      verify: (_c, r) => expect(r.body.outcome).to.equal('wrong'),
    },
    {
      op: 'POST /api/play/hints',
      note: 'probe/tip',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/hints', body: { objective: 'probe', hint: 'tip' } }),
      verify: (_c, r) => expect(r.body.outcome).to.equal('unlocked'),
    },
    {
      op: 'POST /api/play/checks',
      note: 'probe',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/checks', body: { objective: 'probe' } }),
      verify: (_c, r) => {
        expect(r.body.passed).to.equal(false);
        // of the check's output only its first line comes back, as the reason (this check prints none)
        expect(Object.keys(r.body)).to.have.members([
          'passed',
          'solved',
          'exitCode',
          'timedOut',
          'durationMs',
          'reason',
        ]);
        expect(r.body.reason).to.equal('');
      },
    },
    {
      op: 'GET /api/play/scoreboard',
      note: 'public board, own live row',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/scoreboard' }),
      verify: (c, r) => {
        expect(r.body.exerciseId).to.equal(own(c).exerciseId);
        expect((r.body.team as { teamId: string }).teamId).to.equal(own(c).teamId);
      },
    },
    {
      op: 'GET /api/play/timeline',
      note: 'own events and attempts',
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/timeline' }),
      verify: (c, r) => {
        const o = own(c);
        expect(r.body.teamId).to.equal(o.teamId);
        for (const e of r.body.events as { teamId?: string }[])
          if (e.teamId !== undefined) expect(e.teamId, JSON.stringify(e)).to.equal(o.teamId);
        expect(JSON.stringify(r.body.attempts)).not.to.include(o.other);
      },
    },
    // help requests: a participant asks for its own team; the exercise's staff list, acknowledge, resolve
    {
      op: 'POST /api/play/help',
      note: 'own team',
      expect: [401, 403, 403, 403, 403, 403, 201, 201, 201],
      request: () => ({ path: '/api/play/help', body: { message: 'stuck', host: 'console' } }),
      verify: (c, r) => {
        const o = own(c);
        expect(r.body.exerciseId).to.equal(o.exerciseId);
        expect(r.body.teamId).to.equal(o.teamId);
        expect(r.body.requestedBy).to.equal(c);
        helpIds[c] = r.body.id as string;
      },
    },
    {
      op: 'GET /api/play/help',
      note: "own team's request",
      expect: PARTICIPANTS,
      request: () => ({ path: '/api/play/help' }),
      verify: (c, r) => {
        expect((r.body.request as { id: string; teamId: string }).id).to.equal(helpIds[c]);
        expect((r.body.request as { teamId: string }).teamId).to.equal(own(c).teamId);
      },
    },
    {
      op: 'GET /api/exercises/{id}/help-requests',
      note: 'X',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/help-requests` }),
      verify: (_c, r) => {
        const ids = (r.body.requests as { id: string; exerciseId: string }[]).map((q) => q.id);
        expect(ids).to.have.members([helpIds.x1, helpIds.x2]);
      },
    },
    {
      op: 'GET /api/exercises/{id}/help-requests',
      note: 'Y',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/help-requests` }),
      verify: (_c, r) =>
        expect((r.body.requests as { id: string }[]).map((q) => q.id)).to.deep.equal([helpIds.y1]),
    },
    {
      op: 'POST /api/exercises/{id}/help-requests/{request}/acknowledge',
      note: "X team-1's request",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/help-requests/${helpIds.x1}/acknowledge` }),
    },
    {
      op: 'POST /api/exercises/{id}/help-requests/{request}/acknowledge',
      note: "Y's request asked of X: another exercise's request does not exist there",
      expect: [401, 404, 404, 404, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/exercises/${X}/help-requests/${helpIds.y1}/acknowledge` }),
    },
    {
      op: 'POST /api/exercises/{id}/help-requests/{request}/resolve',
      note: "X team-2's request",
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/help-requests/${helpIds.x2}/resolve` }),
    },
    {
      op: 'POST /api/exercises/{id}/help-requests/{request}/resolve',
      note: "Y's request",
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/help-requests/${helpIds.y1}/resolve` }),
    },
    {
      // x1's request is acknowledged, still unresolved; x2's and y1's are resolved by now
      op: 'DELETE /api/play/help',
      note: "own team's open request",
      expect: [401, 403, 403, 403, 403, 403, 200, 404, 404],
      request: () => ({ path: '/api/play/help' }),
      verify: (c, r) => expect(r.body).to.include({ id: helpIds[c], withdrawn: true, state: 'resolved' }),
    },
    // instructors' scoring views
    ...(['scoreboard', 'attempts', 'sharing', 'results'] as const).flatMap((view): Case[] => [
      {
        op: `GET /api/exercises/{id}/${view}`,
        note: 'X',
        expect: STAFF_X(200),
        request: () => ({ path: `/api/exercises/${X}/${view}` }),
      },
      {
        op: `GET /api/exercises/{id}/${view}`,
        note: 'Y',
        expect: STAFF_Y(200),
        request: () => ({ path: `/api/exercises/${Y}/${view}` }),
      },
    ]),
    {
      op: 'GET /api/exercises/{id}/timeline',
      note: 'X, every team',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/timeline` }),
      verify: (_c, r) => {
        expect(r.body.teamId).to.equal(null);
        const seqs = (r.body.events as { seq: number }[]).map((e) => e.seq);
        expect(seqs).to.deep.equal([...new Set(seqs)].sort((a, b) => a - b));
      },
    },
    {
      op: 'GET /api/exercises/{id}/timeline',
      note: 'X team-1',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/timeline?team=team-1` }),
      verify: (_c, r) => {
        expect(r.body.teamId).to.equal('team-1');
        for (const e of r.body.events as { teamId?: string }[])
          if (e.teamId !== undefined) expect(e.teamId, JSON.stringify(e)).to.equal('team-1');
      },
    },
    {
      op: 'GET /api/exercises/{id}/timeline',
      note: 'Y team-1',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/timeline?team=team-1` }),
    },
    {
      op: 'GET /api/exercises/{id}/timeline',
      note: 'X, a team that does not exist (404 for staff too)',
      expect: [401, 404, 404, 404, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/exercises/${X}/timeline?team=no-such-team` }),
    },
    // terminal recordings (staff of the exercise's organisation)
    {
      op: 'GET /api/exercises/{id}/recordings',
      note: 'X',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/recordings` }),
      verify: (_c, r) => expect(JSON.parse(r.text)).to.be.an('array'),
    },
    {
      op: 'GET /api/exercises/{id}/recordings',
      note: 'Y',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/recordings` }),
    },
    {
      op: 'GET /api/exercises/{id}/recordings/{recordingId}',
      note: 'X, a recording that does not exist (404 for staff too)',
      expect: [401, 404, 404, 404, 404, 403, 403, 403, 403],
      request: () => ({ path: `/api/exercises/${X}/recordings/00000000-0000-4000-8000-000000000000` }),
    },
    {
      op: 'POST /api/exercises/{id}/awards',
      note: 'X team-1, +1',
      expect: STAFF_X(201),
      request: () => ({
        path: `/api/exercises/${X}/awards`,
        body: { team: 'team-1', points: 1, reason: 'r' },
      }),
    },
    {
      op: 'POST /api/exercises/{id}/awards',
      note: 'Y team-1, +1',
      expect: STAFF_Y(201),
      request: () => ({
        path: `/api/exercises/${Y}/awards`,
        body: { team: 'team-1', points: 1, reason: 'r' },
      }),
    },
    {
      op: 'POST /api/exercises/{id}/scoring/status',
      note: 'X start (a no-op: running)',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/scoring/status`, body: { action: 'start' } }),
    },
    {
      op: 'POST /api/exercises/{id}/scoring/status',
      note: 'Y start (a no-op: running)',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/scoring/status`, body: { action: 'start' } }),
    },
    // teams and their people
    {
      op: 'GET /api/exercises/{id}/members',
      note: 'X',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/members` }),
      verify: (_c, r) =>
        expect((r.body.members as { displayName: string }[]).map((m) => m.displayName)).to.include(
          'Trainee A',
        ),
    },
    {
      op: 'GET /api/exercises/{id}/members',
      note: 'Y',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}/members` }),
    },
    {
      op: 'POST /api/exercises/{id}/roster',
      note: 'X, one trainee without e-mail',
      expect: STAFF_X(201),
      request: (c) => ({
        path: `/api/exercises/${X}/roster`,
        body: { csv: `team,name\nteam-2,roster ${c}\n` },
      }),
    },
    {
      op: 'GET /api/exercises/{id}/join-codes',
      note: 'X (ids, never the codes)',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/join-codes` }),
      verify: (_c, r) => expect(r.text).not.to.include(sharedCode),
    },
    {
      op: 'POST /api/exercises/{id}/join-codes/{codeId}/revoke',
      note: 'X, a spare code (revoking twice changes nothing)',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}/join-codes/${spareCodeId}/revoke` }),
    },
    {
      op: 'POST /api/exercises/{id}/join-sheet',
      note: 'X',
      expect: STAFF_X(201),
      request: () => ({ path: `/api/exercises/${X}/join-sheet`, body: {} }),
    },
    {
      op: 'GET /api/me/exercises',
      note: 'every user is on X: trainee A by the roster, the others by joining with the code above',
      expect: USERS_ONLY,
      request: () => ({ path: '/api/me/exercises' }),
      verify: (c, r) =>
        expect(
          (r.body.exercises as { exerciseId: string }[]).map((e) => e.exerciseId),
          c,
        ).to.deep.equal([X]),
    },
    {
      op: 'POST /api/me/exercises/{id}/enter',
      note: 'X, members with an account (session not kept)',
      expect: USERS_ONLY,
      request: () => ({ path: `/api/me/exercises/${X}/enter` }),
      verify: (c, r) =>
        expect((r.body.principal as { teamId: string }).teamId, c).to.equal(
          c === 'traineeA' ? 'team-1' : 'team-2',
        ),
    },
    {
      op: 'POST /api/me/exercises/{id}/enter',
      note: 'Y: nobody of these is on it',
      expect: [401, 404, 404, 404, 404, 404, 403, 403, 403],
      request: () => ({ path: `/api/me/exercises/${Y}/enter` }),
    },
    {
      op: 'POST /api/organisations/{id}/invitations',
      note: 'org A, an instructor',
      expect: ORG_A_ADMIN(201),
      request: (c) => ({
        path: `/api/organisations/${orgA}/invitations`,
        body: { email: `inv-${c.toLowerCase()}@example.com`, role: 'instructor' },
      }),
    },
    {
      op: 'GET /api/organisations/{id}/invitations',
      note: 'org A',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/organisations/${orgA}/invitations` }),
      verify: (_c, r) => expect(r.text).not.to.include(invitationToken),
    },
    {
      op: 'DELETE /api/organisations/{id}/invitations/{invitationId}',
      note: 'org A (revoking twice changes nothing)',
      expect: ORG_A_ADMIN(200),
      request: () => ({ path: `/api/organisations/${orgA}/invitations/${invitationId}` }),
    },
    {
      op: 'GET /api/invitations/{token}',
      note: 'a revoked invitation opens nothing',
      expect: [404, 404, 404, 404, 404, 404, 404, 404, 404],
      request: () => ({ path: `/api/invitations/${invitationToken}` }),
    },
    {
      op: 'POST /api/invitations/accept',
      note: 'a revoked invitation opens nothing',
      expect: [404, 404, 404, 404, 404, 404, 404, 404, 404],
      request: () => ({
        path: '/api/invitations/accept',
        body: { token: invitationToken, name: 'Nobody', password: 'nobody password 1' },
      }),
    },
    {
      op: 'POST /api/auth/password',
      note: 'the right current password (new session kept)',
      expect: USERS_ONLY,
      request: (c) => ({
        path: '/api/auth/password',
        body: { currentPassword: passwords[c] ?? 'x', newPassword: `${passwords[c] ?? 'x'}!` },
        keep: true,
      }),
      verify: (c) => {
        passwords[c] = `${passwords[c]}!`;
      },
    },
    // the last phase: refused callers first, then teardown by the owners, then again (idempotent)
    {
      op: 'DELETE /api/exercises/{id}',
      note: 'X (instructor A first, then operator and org-admin A again)',
      expect: STAFF_X(200),
      request: () => ({ path: `/api/exercises/${X}` }),
      last: true,
    },
    {
      op: 'DELETE /api/exercises/{id}',
      note: 'Y (instructor B first, then operator again)',
      expect: STAFF_Y(200),
      request: () => ({ path: `/api/exercises/${Y}` }),
      last: true,
    },
    {
      op: 'POST /api/exercises/{id}/teams/{team}/reset',
      note: 'X after its end: refused, nothing comes back',
      expect: STAFF_X(409),
      request: () => ({ path: `/api/exercises/${X}/teams/team-1/reset`, body: {} }),
      last: true,
    },
    {
      op: 'POST /api/exercises/{id}/extend',
      note: 'X after its end: refused',
      expect: STAFF_X(409),
      request: () => ({ path: `/api/exercises/${X}/extend`, body: { by: '30m' } }),
      last: true,
    },
    {
      op: 'POST /api/auth/logout',
      note: 'every session ends',
      expect: [204, 204, 204, 204, 204, 204, 204, 204, 204],
      request: () => ({ path: '/api/auth/logout', keep: true }),
      last: true,
    },
  ];

  /** Runs one case for every caller; returns the mismatches. */
  const runCase = async (c: Case, order: readonly Caller[] = CALLERS): Promise<string[]> => {
    const problems: string[] = [];
    const [method] = c.op.split(' ') as [string, string];
    for (const who of order) {
      const want = c.expect[CALLERS.indexOf(who)]!;
      const req = c.request(who);
      const res = await call(who === 'anon' ? undefined : who, method, req.path, {
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(req.keep ? { keep: true } : {}),
      });
      if (res.mismatch) problems.push(`${c.op} [${c.note}] as ${who}: ${res.mismatch}`);
      if (res.status !== want)
        problems.push(
          `${c.op} [${c.note}] as ${who}: expected ${want}, got ${res.status} ${res.text.slice(0, 200)}`,
        );
      else if (res.status < 300 && c.verify) {
        try {
          c.verify(who, res);
        } catch (error) {
          problems.push(`${c.op} [${c.note}] as ${who}: ${(error as Error).message}`);
        }
      }
    }
    return problems;
  };

  it('covers every operation of the OpenAPI document', async () => {
    const doc = (await call(undefined, 'GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const listed = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const covered = new Set(cases.map((c) => c.op));
    expect(
      listed.filter((op) => !covered.has(op)),
      'operations the matrix does not cover',
    ).to.deep.equal([]);
    expect(
      [...covered].filter((op) => !listed.includes(op)),
      'matrix rows for no operation',
    ).to.deep.equal([]);
  });

  it('answers every caller of every operation with the expected status', async () => {
    const problems: string[] = [];
    for (const c of cases.filter((k) => !k.last)) problems.push(...(await runCase(c)));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('pushes each socket only what its caller may see', async () => {
    const url = new URL('/scoring', base()).toString();
    const sockets: Socket[] = [];
    const open = (who: Caller | undefined, from = origin) =>
      new Promise<
        { socket: Socket; log: { ev: string; msg: Record<string, unknown> }[] } | { error: string }
      >((resolve) => {
        const cookie = who ? cookies[who] : undefined;
        const socket = ioClient(url, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          extraHeaders: { origin: from, ...(cookie ? { cookie } : {}) },
        });
        sockets.push(socket);
        const log: { ev: string; msg: Record<string, unknown> }[] = [];
        socket.onAny((ev: string, msg: Record<string, unknown>) => log.push({ ev, msg }));
        socket.on('connect', () => resolve({ socket, log }));
        socket.on('connect_error', (e) => resolve({ error: e.message }));
      });
    const until = async (what: string, done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(done(), what).to.equal(true);
    };
    try {
      expect(await open(undefined)).to.deep.equal({ error: 'UNAUTHENTICATED' });
      expect(await open('instrA', 'http://evil.example')).to.deep.equal({ error: 'UNAUTHENTICATED' });

      const s = {} as Record<
        'x1' | 'x2' | 'y1' | 'instrA' | 'instrB' | 'traineeA',
        Awaited<ReturnType<typeof open>>
      >;
      for (const who of ['x1', 'x2', 'y1', 'instrA', 'instrB', 'traineeA'] as const) s[who] = await open(who);
      const conn = (who: keyof typeof s) => {
        const c = s[who];
        if ('error' in c) throw new Error(`${who} was refused: ${c.error}`);
        return c;
      };
      const sub = async (who: keyof typeof s, exerciseId: string) =>
        (await conn(who).socket.emitWithAck('subscribe', { exerciseId })) as {
          ok: boolean;
          error?: { code: string };
        };

      // participants are subscribed to their own team on connection
      for (const who of ['x1', 'x2', 'y1'] as const)
        await until(`${who} gets its snapshot`, () => conn(who).log.some((l) => l.ev === 'board:snapshot'));
      for (const who of ['x1', 'x2', 'y1'] as const) {
        const snap = conn(who).log.find((l) => l.ev === 'board:snapshot')!.msg;
        expect(snap.instructor, who).to.equal(undefined);
        expect((snap.team as { teamId: string }).teamId).to.equal(own(who).teamId);
      }
      expect((await sub('instrA', X)).ok).to.equal(true);
      expect((await sub('instrA', Y)).error?.code).to.equal('NOT_FOUND');
      expect((await sub('instrB', Y)).ok).to.equal(true);
      expect((await sub('instrB', X)).error?.code).to.equal('NOT_FOUND');
      expect((await sub('traineeA', X)).error?.code).to.equal('FORBIDDEN');
      expect((await sub('x1', Y)).error?.code).to.equal('NOT_FOUND');
      expect((await sub('y1', X)).error?.code).to.equal('NOT_FOUND');
      expect((await sub('x1', X)).ok).to.equal(true); // its own: the team room only

      const teamUpdates = (who: keyof typeof s) =>
        conn(who)
          .log.filter((l) => l.ev === 'team:update')
          .map((l) => l.msg);
      const instructorUpdates = (who: keyof typeof s) =>
        conn(who)
          .log.filter((l) => l.ev === 'instructor:update')
          .map((l) => l.msg);

      // an event for X team-1, one for X team-2, one for Y team-1
      const a = await call('instrA', 'POST', `/api/exercises/${X}/awards`, {
        body: { team: 'team-1', points: 2, reason: 'socket' },
      });
      expect(a.status).to.equal(201);
      await until('x1 gets its update', () => teamUpdates('x1').length > 0);
      const w = await call('x2', 'POST', '/api/play/submissions', {
        body: { objective: 'flag', answer: 'CYROP{x2}' },
      });
      expect(w.status).to.equal(200);
      await until('x2 gets its update', () => teamUpdates('x2').length > 0);
      const b = await call('instrB', 'POST', `/api/exercises/${Y}/awards`, {
        body: { team: 'team-1', points: 2, reason: 'socket' },
      });
      expect(b.status).to.equal(201);
      await until('y1 gets its update', () => teamUpdates('y1').length > 0);
      await until('instructor A sees both X events', () => instructorUpdates('instrA').length >= 2);
      await until('instructor B sees the Y event', () => instructorUpdates('instrB').length >= 1);
      await new Promise((r) => setTimeout(r, 300)); // let anything misrouted arrive

      for (const who of ['x1', 'x2', 'y1'] as const)
        expect(
          teamUpdates(who).map((m) => `${String(m.exerciseId)}/${String(m.teamId)}`),
          `${who} gets only its own team's updates`,
        ).to.satisfy((seen: string[]) =>
          seen.every((t) => t === `${own(who).exerciseId}/${own(who).teamId}`),
        );
      for (const who of ['x1', 'x2', 'y1', 'traineeA'] as const)
        expect(instructorUpdates(who), `${who} gets no instructor update`).to.deep.equal([]);
      for (const who of ['x1', 'x2'] as const)
        expect(
          conn(who).log.filter((l) => (l.msg as { exerciseId?: unknown } | undefined)?.exerciseId === Y),
          `${who} hears nothing of Y`,
        ).to.deep.equal([]);
      expect(
        conn('y1').log.filter((l) => (l.msg as { exerciseId?: unknown } | undefined)?.exerciseId === X),
        'y1 hears nothing of X',
      ).to.deep.equal([]);
      expect(conn('traineeA').log, 'a trainee user hears nothing').to.deep.equal([]);
      expect(new Set(instructorUpdates('instrA').map((m) => m.exerciseId))).to.deep.equal(new Set([X]));
      expect(new Set(instructorUpdates('instrB').map((m) => m.exerciseId))).to.deep.equal(new Set([Y]));
      expect(
        conn('instrA').log.filter((l) => (l.msg as { exerciseId?: unknown } | undefined)?.exerciseId === Y),
        'instructor A hears nothing of Y',
      ).to.deep.equal([]);
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
  });

  it('answers hostile bodies with 4xx and a clear code, never 5xx', async () => {
    const MiB = 'a'.repeat(1 << 20);
    const routes: {
      who: Caller | undefined;
      method?: 'PATCH';
      path: () => string;
      valid: Record<string, unknown>;
      wrong: Record<string, unknown>;
    }[] = [
      // accounts
      {
        who: undefined,
        path: () => '/api/auth/login',
        valid: { email: 'a@b.c', password: 'x' },
        wrong: { email: 5, password: [] },
      },
      {
        who: undefined,
        path: () => '/api/join',
        valid: { code: 'x'.repeat(20), displayName: 'n' },
        wrong: { code: 1, displayName: {} },
      },
      {
        who: 'operator',
        path: () => '/api/organisations',
        valid: { name: 'n', kind: 'customer' },
        wrong: { name: 5, kind: 'customer' },
      },
      {
        who: 'adminA',
        path: () => `/api/organisations/${orgA}/users`,
        valid: { email: 'z@example.com', name: 'z', role: 'trainee' },
        wrong: { email: 'z@example.com', name: 'z', role: 'king' },
      },
      {
        who: 'instrA',
        path: () => `/api/exercises/${X}/teams/team-1/join-codes`,
        valid: {},
        wrong: { maxUses: 'many' },
      },
      // courses
      {
        who: 'adminA',
        path: () => '/api/courses',
        valid: {
          title: { ja: 'コース', en: 'Course' },
          scenarios: [{ id: 'contract', version: '1.0.0' }],
          pricePerSeat: 1,
          capacity: 1,
          schedule: { days: 1, hoursPerDay: 1 },
        },
        wrong: { title: 'Course', scenarios: 'contract', pricePerSeat: 'free', capacity: 1, schedule: {} },
      },
      {
        who: 'adminA',
        path: () => `/api/course-runs/${course.run}/enrolments`,
        valid: { userIds: [] },
        wrong: { userIds: 'everyone' },
      },
      // administration
      {
        who: 'operator',
        method: 'PATCH',
        path: () => `/api/organisations/${orgC}`,
        valid: { contactName: 'n' },
        wrong: { invoiceRegistrationNumber: 7 },
      },
      {
        who: 'adminA',
        method: 'PATCH',
        path: () => `/api/users/${userIds.spare}`,
        valid: { disabled: false },
        wrong: { role: 'king' },
      },
      {
        who: 'instrA',
        method: 'PATCH',
        path: () => '/api/account',
        valid: { preferredLanguage: 'en' },
        wrong: { preferredLanguage: 'fr' },
      },
      // exercises
      {
        who: 'instrA',
        path: () => '/api/exercises',
        valid: { scenario: 'contract', teams: 1 },
        wrong: { scenario: 'contract', teams: '2' },
      },
      { who: 'instrA', path: () => `/api/exercises/${X}/extend`, valid: { by: '1m' }, wrong: { by: 60 } },
      { who: 'instrA', path: () => `/api/exercises/${X}/teams/team-1/reset`, valid: {}, wrong: { host: 7 } },
      // scoring
      {
        who: 'x1',
        path: () => '/api/play/submissions',
        valid: { objective: 'flag', answer: 'a' },
        wrong: { objective: 'flag', answer: 1 },
      },
      {
        who: 'x1',
        path: () => '/api/play/hints',
        valid: { objective: 'probe', hint: 'tip' },
        wrong: { objective: ['probe'], hint: 'tip' },
      },
      {
        who: 'instrA',
        path: () => `/api/exercises/${X}/awards`,
        valid: { team: 'team-1', points: 1, reason: 'r' },
        wrong: { team: 'team-1', points: 1.5, reason: 'r' },
      },
      {
        who: 'instrA',
        path: () => `/api/exercises/${X}/scoring/status`,
        valid: { action: 'start' },
        wrong: { action: 'explode' },
      },
    ];
    const problems: string[] = [];
    for (const r of routes) {
      const variants: [string, { raw: string; contentType?: string }, number, string][] = [
        ['malformed JSON', { raw: '{"a":' }, 400, 'BAD_JSON'],
        ['a JSON string, not an object', { raw: '"text"' }, 400, 'BAD_JSON'],
        ['wrong types', { raw: JSON.stringify(r.wrong) }, 400, 'BAD_REQUEST'],
        ['an unknown field', { raw: JSON.stringify({ ...r.valid, isAdmin: true }) }, 400, 'BAD_REQUEST'],
        ['a 1 MiB body', { raw: JSON.stringify({ ...r.valid, pad: MiB }) }, 413, 'PAYLOAD_TOO_LARGE'],
        [
          'text/plain',
          { raw: JSON.stringify(r.valid), contentType: 'text/plain' },
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
      ];
      for (const [what, opts, status, code] of variants) {
        const res = await call(r.who, r.method ?? 'POST', r.path(), opts);
        const got = (res.body.error as { code?: string } | undefined)?.code;
        if (res.status !== status || got !== code)
          problems.push(
            `${r.method ?? 'POST'} ${r.path()} as ${r.who ?? 'anon'} with ${what}: expected ${status} ${code}, got ${res.status} ${got} ${res.text.slice(0, 160)}`,
          );
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('tears both exercises down (refused callers first), then signs every caller out', async () => {
    const problems: string[] = [];
    for (const c of cases.filter((k) => k.last)) {
      // the refused first, then the owner, then the other allowed callers (teardown is idempotent)
      const owner: Caller = c.op.startsWith('DELETE')
        ? c.note.startsWith('X')
          ? 'instrA'
          : 'instrB'
        : 'anon';
      const order = [...CALLERS].sort((p, q) => {
        const rank = (w: Caller) => (c.expect[CALLERS.indexOf(w)]! >= 300 ? 0 : w === owner ? 1 : 2);
        return rank(p) - rank(q);
      });
      problems.push(...(await runCase(c, order)));
    }
    for (const who of CALLERS) {
      const me = await call(who === 'anon' ? undefined : who, 'GET', '/api/auth/me');
      if (me.status !== 401)
        problems.push(`GET /api/auth/me as ${who} after sign-out: expected 401, got ${me.status}`);
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
