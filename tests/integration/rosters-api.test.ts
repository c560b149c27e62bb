import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { InvitationService } from '../../orchestrator/src/accounts/invitation-service.ts';
import { RosterService } from '../../orchestrator/src/accounts/roster-service.ts';
import type { Principal } from '../../orchestrator/src/access/principal.ts';
import { sessionAuthenticator } from '../../orchestrator/src/api/auth/session-authenticator.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { accountRoutes } from '../../orchestrator/src/api/routes/account-routes.ts';
import { invitationRoutes } from '../../orchestrator/src/api/routes/invitation-routes.ts';
import { rosterRoutes } from '../../orchestrator/src/api/routes/roster-routes.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { REPO } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

interface Res {
  status: number;
  body: { error?: { code: string; message: string; details?: { line: number; message: string }[] } } & Record<
    string,
    unknown
  >;
  headers: Headers;
}

/**
 * Known trainees through the API on a real server and store: invitations that create accounts, CSV
 * rosters (BOM, Japanese headers, every bad line reported, nothing imported), member caps, join codes
 * listed by id and revoked, the join sheet, and a trainee with an account entering their team without a code.
 */
describe('rosters, join codes and invitations (real server)', function () {
  this.timeout(30_000);
  let dir: string;
  let database: OpenedDatabase;
  let server: Server;
  let base: string;
  let accounts: AccountService;
  let orgA = '';
  let orgB = '';
  const cookies: Record<string, string> = {};
  let yamadaLink = '';

  const call = async (method: string, url: string, who?: string, body?: unknown): Promise<Res> => {
    const res = await checkedFetch(new URL(url, base), {
      method,
      headers: {
        origin: base,
        ...(who && cookies[who] ? { cookie: cookies[who] } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Res['body']) : {}, headers: res.headers };
  };
  const keep = (who: string, res: Res) => {
    const set = res.headers.getSetCookie().find((c) => c.startsWith('cyrop_session='));
    expect(set, `a session cookie for ${who}`).to.be.a('string');
    cookies[who] = set!.split(';')[0]!;
  };
  const login = async (who: string, email: string, password: string) => {
    const r = await call('POST', '/api/auth/login', undefined, { email, password });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    keep(who, r);
  };
  const exercise = async (id: string, orgId: string, teams: string[], cap: number | null = null) => {
    const now = Date.now();
    await database.db
      .insertInto('exercises')
      .values({
        id,
        scenario_id: 's',
        scenario_version: '1.0.0',
        scenario_hash: 'h',
        scenario_path: 'p',
        secret: 'x',
        state: 'running',
        engine: 'docker',
        created_at: now,
        updated_at: now,
        expires_at: null,
        org_id: orgId,
        max_members_per_team: cap,
      })
      .execute();
    for (const [i, name] of teams.entries())
      await database.db
        .insertInto('exercise_teams')
        .values({
          exercise_id: id,
          team_id: `team-${i + 1}`,
          team_name: name,
          team_index: i + 1,
          plan: '{}',
          plan_hash: 'h',
          state: 'ready',
          last_error: null,
          updated_at: now,
        })
        .execute();
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-rosters-'));
    database = await openDatabase(dir);
    accounts = new AccountService({ db: database.db, passwordCost: 10 });
    const invitations = new InvitationService({ db: database.db, accounts });
    const rosters = new RosterService({ db: database.db, accounts, invitations });
    const canWatch = (p: Principal, e: string) => accounts.canWatchExercise(p, e);
    const app = createApp({
      scenarios: new ScenarioLibrary({
        db: database.db,
        catalogue: new ScenarioCatalogue(path.join(REPO, 'tests/fixtures/valid')).load(),
        uploads: new ScenarioUploads(path.join(dir, 'scenarios')),
      }),
      logger: pino({ level: 'silent' }),
      authenticate: sessionAuthenticator(accounts),
      routes: (api) => {
        accountRoutes(api, { accounts });
        invitationRoutes(api, { accounts, invitations });
        rosterRoutes(api, { rosters, canWatch });
      },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await accounts.ensureFirstOperator();
    orgA = (await accounts.createOrganisation({ name: 'Acme Training', kind: 'training-company' })).id;
    orgB = (await accounts.createOrganisation({ name: 'Beta Training', kind: 'training-company' })).id;
    for (const [who, org, role] of [
      ['adminA', orgA, 'org-admin'],
      ['instA', orgA, 'instructor'],
      ['instB', orgB, 'instructor'],
      ['known', orgA, 'trainee'],
    ] as const) {
      await accounts.createUser({
        orgId: org,
        email: `${who}@example.com`,
        name: who,
        role,
        password: `${who} password 1`,
      });
      await login(who, `${who}@example.com`, `${who} password 1`);
    }
    await exercise('ex-a', orgA, ['赤チーム', 'Blue'], 3);
    await exercise('ex-b', orgB, ['Team 1']);
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a roster with problems, naming every bad line, and imports nothing from it', async () => {
    const csv =
      '\uFEFFチーム,表示名,メールアドレス\n赤チーム,山田 太郎,yamada@example.com\nGreen,佐藤,\n,鈴木,suzuki@\nBlue,高橋,yamada@example.com\n';
    const r = await call('POST', '/api/exercises/ex-a/roster', 'instA', { csv });
    expect(r.status).to.equal(400);
    expect(r.body.error?.details).to.deep.include.members([
      { line: 4, message: 'the team is empty' },
      { line: 4, message: "'suzuki@' is not an e-mail address" },
      { line: 5, message: 'yamada@example.com is listed twice (also on line 2)' },
    ]);
    const unknownTeam = await call('POST', '/api/exercises/ex-a/roster', 'instA', {
      csv: 'team,display name\n赤チーム,A\nGreen,B\n',
    });
    expect(unknownTeam.status).to.equal(400);
    expect(unknownTeam.body.error?.details).to.deep.equal([
      { line: 3, message: "no team 'Green' in this exercise (teams: 赤チーム, Blue)" },
    ]);
    const members = await call('GET', '/api/exercises/ex-a/members', 'instA');
    expect(members.body.members).to.deep.equal([]);
  });

  it('imports a roster (UTF-8 with BOM, Japanese headers): accounts are linked, other e-mails get an invitation link', async () => {
    const csv =
      '\uFEFFチーム,表示名,メールアドレス\r\n赤チーム,山田 太郎,yamada@example.com\r\n赤チーム,"Known, Trainee",known@example.com\r\nBlue,高橋,\r\n';
    const r = await call('POST', '/api/exercises/ex-a/roster', 'instA', { csv });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.added).to.equal(3);
    const invited = r.body.invitations as { email: string; link: string }[];
    expect(invited.map((i) => i.email)).to.deep.equal(['yamada@example.com']);
    expect(invited[0]!.link).to.match(/^\/#\/invite\/[A-Za-z0-9_-]{32}$/);
    yamadaLink = invited[0]!.link;
    const members = (await call('GET', '/api/exercises/ex-a/members', 'instA')).body.members as {
      teamId: string;
      displayName: string;
      hasAccount: boolean;
    }[];
    expect(members.map((m) => [m.teamId, m.displayName, m.hasAccount])).to.deep.equal([
      ['team-1', '山田 太郎', false],
      ['team-1', 'Known, Trainee', true],
      ['team-2', '高橋', false],
    ]);
    // other organisations are told the exercise does not exist
    for (const url of ['/api/exercises/ex-a/members', '/api/exercises/ex-a/join-codes'])
      expect((await call('GET', url, 'instB')).status, url).to.equal(404);
    expect((await call('POST', '/api/exercises/ex-a/roster', 'instB', { csv })).status).to.equal(404);
    expect((await call('POST', '/api/exercises/ex-a/join-sheet', 'instB', {})).status).to.equal(404);
  });

  it('an invitation link creates the account, signs it in, and the roster entry becomes theirs', async () => {
    const listed = await call('GET', `/api/organisations/${orgA}/invitations`, 'adminA');
    const pending = (listed.body.invitations as { email: string; state: string; id: string }[]).find(
      (i) => i.email === 'yamada@example.com',
    )!;
    expect(pending.state).to.equal('pending');
    expect((await call('GET', `/api/organisations/${orgA}/invitations`, 'instB')).status).to.equal(403);
    const created = await call('POST', `/api/organisations/${orgA}/invitations`, 'adminA', {
      email: 'coach@example.com',
      role: 'instructor',
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    // inviting the same address again replaces the first link: only the newest one opens
    const firstToken = (created.body.link as string).split('/').pop()!;
    const reissued = await call('POST', `/api/organisations/${orgA}/invitations`, 'adminA', {
      email: 'Coach@example.com',
      role: 'instructor',
    });
    expect(reissued.status, JSON.stringify(reissued.body)).to.equal(201);
    expect((await call('GET', `/api/invitations/${firstToken}`)).status).to.equal(404);
    const states = (
      (await call('GET', `/api/organisations/${orgA}/invitations`, 'adminA')).body.invitations as {
        email: string;
        state: string;
      }[]
    )
      .filter((i) => i.email === 'coach@example.com')
      .map((i) => i.state)
      .sort();
    expect(states).to.deep.equal(['pending', 'revoked']);
    const token = (reissued.body.link as string).split('/').pop()!;
    expect((await call('GET', `/api/invitations/${token}`)).body).to.include({
      email: 'coach@example.com',
      role: 'instructor',
      organisation: 'Acme Training',
    });
    const accepted = await call('POST', '/api/invitations/accept', undefined, {
      token,
      name: 'Coach',
      password: 'coach password 1',
    });
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
    expect(accepted.body.principal).to.include({ kind: 'user', role: 'instructor', orgId: orgA });
    const again = await call('POST', '/api/invitations/accept', undefined, {
      token,
      name: 'x',
      password: 'another password 1',
    });
    expect(again.status).to.equal(404);
    // a revoked link opens nothing
    const revoked = await call('POST', `/api/organisations/${orgA}/invitations`, 'adminA', {
      email: 'late@example.com',
      role: 'trainee',
    });
    const revokedToken = (revoked.body.link as string).split('/').pop()!;
    expect(
      (await call('DELETE', `/api/organisations/${orgA}/invitations/${revoked.body.id as string}`, 'adminA'))
        .status,
    ).to.equal(200);
    expect((await call('GET', `/api/invitations/${revokedToken}`)).status).to.equal(404);
    // Yamada opens the roster's link: the roster entry waiting for that e-mail is the new account's.
    const yamada = await call('POST', '/api/invitations/accept', undefined, {
      token: yamadaLink.split('/').pop(),
      name: '山田 太郎',
      password: 'yamada password 1',
    });
    expect(yamada.status, JSON.stringify(yamada.body)).to.equal(200);
    expect(yamada.body.principal).to.include({ role: 'trainee', orgId: orgA });
    const members = (await call('GET', '/api/exercises/ex-a/members', 'instA')).body.members as {
      displayName: string;
      hasAccount: boolean;
    }[];
    expect(members.find((m) => m.displayName === '山田 太郎')?.hasAccount).to.equal(true);
    const actions = (await accounts.listAudit({ orgId: orgA })).map((e) => e.action);
    expect(actions).to.include.members([
      'roster.imported',
      'invitation.created',
      'invitation.accepted',
      'invitation.revoked',
    ]);
  });

  it('a trainee with an account sees their exercise and enters their roster team without a code', async () => {
    const mine = await call('GET', '/api/me/exercises', 'known');
    expect(mine.body.exercises).to.deep.equal([
      {
        exerciseId: 'ex-a',
        teamId: 'team-1',
        teamName: '赤チーム',
        scenario: 's',
        state: 'running',
        expiresAt: null,
      },
    ]);
    expect((await call('POST', '/api/me/exercises/ex-b/enter', 'known')).status).to.equal(404);
    const entered = await call('POST', '/api/me/exercises/ex-a/enter', 'known');
    expect(entered.status, JSON.stringify(entered.body)).to.equal(200);
    expect(entered.body.principal).to.deep.include({
      kind: 'participant',
      exerciseId: 'ex-a',
      teamId: 'team-1',
    });
    keep('knownPlaying', entered);
    const me = await call('GET', '/api/auth/me', 'knownPlaying');
    expect(me.body.principal).to.deep.include({ kind: 'participant', teamId: 'team-1' });
  });

  it('join codes are listed by id and revocable; the member cap holds across joins and the roster', async () => {
    const code = await call('POST', '/api/exercises/ex-a/teams/team-2/join-codes', 'instA', {});
    expect(code.status).to.equal(201);
    const list = (await call('GET', '/api/exercises/ex-a/join-codes', 'instA')).body.joinCodes as {
      id: string;
      teamId: string;
      state: string;
    }[];
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ id: code.body.id, teamId: 'team-2', state: 'active' });
    expect(JSON.stringify(list)).not.to.contain(code.body.code);
    // team-2 (Blue) has 1 roster member and a cap of 3: two joins fit, the third is refused
    for (const name of ['Ann', 'Bob']) {
      const j = await call('POST', '/api/join', undefined, { code: code.body.code, displayName: name });
      expect(j.status, JSON.stringify(j.body)).to.equal(200);
    }
    const full = await call('POST', '/api/join', undefined, { code: code.body.code, displayName: 'Cid' });
    expect(full.status).to.equal(409);
    expect(full.body.error?.message).to.equal('this team is full: it takes at most 3 members');
    const over = await call('POST', '/api/exercises/ex-a/roster', 'instA', { csv: 'team,name\nBlue,Dee\n' });
    expect(over.status).to.equal(409);
    // revoke: the code joins nobody from now on
    const revoked = await call(
      'POST',
      `/api/exercises/ex-a/join-codes/${code.body.id as string}/revoke`,
      'instA',
    );
    expect(revoked.status).to.equal(200);
    expect(revoked.body.state).to.equal('revoked');
    const code1 = await call('POST', '/api/exercises/ex-a/teams/team-1/join-codes', 'instA', {});
    await call('POST', `/api/exercises/ex-a/join-codes/${code1.body.id as string}/revoke`, 'instA');
    const refused = await call('POST', '/api/join', undefined, { code: code1.body.code, displayName: 'Eve' });
    expect(refused.status).to.equal(404);
    expect(
      (await call('POST', `/api/exercises/ex-a/join-codes/${code1.body.id as string}/revoke`, 'instB'))
        .status,
    ).to.equal(404);
  });

  it('the join sheet gives a fresh code per team with its roster names, each taking at most the cap', async () => {
    const sheet = await call('POST', '/api/exercises/ex-a/join-sheet', 'instA', {});
    expect(sheet.status, JSON.stringify(sheet.body)).to.equal(201);
    const teams = sheet.body.teams as { teamId: string; teamName: string; code: string; members: string[] }[];
    expect(teams.map((t) => [t.teamId, t.teamName, t.members])).to.deep.equal([
      ['team-1', '赤チーム', ['山田 太郎', 'Known, Trainee']],
      ['team-2', 'Blue', ['高橋', 'Ann', 'Bob']],
    ]);
    const codes = (await call('GET', '/api/exercises/ex-a/join-codes', 'instA')).body.joinCodes as {
      label: string;
      maxUses: number;
    }[];
    expect(codes.filter((c) => c.label === 'join sheet').map((c) => c.maxUses)).to.deep.equal([3, 3]);
    // team-1 has 2 members: one newcomer fits
    const join = await call('POST', '/api/join', undefined, { code: teams[0]!.code, displayName: 'Fay' });
    expect(join.status).to.equal(200);
  });
});
