import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import type { HelpRequest } from '../../orchestrator/src/help-requests/help-request-service.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import type { ScoringClientToServer, ScoringServerToClient } from '../../contract/scoring-events.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: helpme, version: 1.0.0, title: Help me, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
  - { name: web, image: cyrop/attacker:1, networks: [lan] }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

type Client = ReturnType<typeof apiClient>;
type ScoringSocket = Socket<ScoringServerToClient, ScoringClientToServer>;

/**
 * Help requests through the real server (SQLite, the in-memory engine): a trainee asks, the
 * exercise's instructors get it over REST and pushed on `/scoring`, acknowledge and resolve it, and
 * the team follows its state. Two organisations: org B's instructor, subscribed to its own exercise,
 * never sees org A's requests (404 over REST, nothing pushed), nor does another team of A's exercise.
 */
describe('help requests API and push (real server, SQLite, in-memory engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let platform: RunningPlatform;
  let operator: Client;
  const people = {} as Record<'instrA' | 'instrB' | 'x1' | 'x2' | 'y1', Client>;
  const sockets: ScoringSocket[] = [];
  const seen = {} as Record<'instrA' | 'instrB' | 'x1' | 'x2' | 'y1', HelpRequest[]>;
  let X = '';
  let Y = '';

  const ok = async (who: Client, method: string, url: string, body?: unknown) => {
    const res = await who(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  const waitRunning = async (who: Client, id: string) => {
    for (let i = 0; i < 400; i++) {
      const e = (await ok(who, 'GET', `/api/exercises/${id}`)) as { state: string };
      if (e.state === 'running') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`exercise ${id} never ran`);
  };

  const open = async (who: keyof typeof people, subscribe?: string) => {
    const origin = platform.url.replace(/\/$/, '');
    const socket: ScoringSocket = connect(`${origin}/scoring`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin, cookie: people[who].cookie() },
    });
    sockets.push(socket);
    seen[who] = [];
    socket.on('help:update', (m) => seen[who].push(m));
    // a participant is subscribed on connection (its snapshot may come right after the connect)
    const snapshot = new Promise<void>((resolve) => socket.once('board:snapshot', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    if (subscribe) {
      const reply = await socket.emitWithAck('subscribe', { exerciseId: subscribe });
      expect(reply.ok, `${who} subscribes to ${subscribe}`).to.equal(true);
    } else await snapshot;
  };

  const until = async (what: string, test: () => boolean) => {
    for (let i = 0; i < 400 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(test(), `${what}: ${JSON.stringify(seen)}`).to.equal(true);
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-help-api-'));
    mkdirSync(path.join(dir, 'catalogue', 'helpme'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'helpme', 'scenario.yaml'), SCENARIO);
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
    operator = apiClient(platform.url, { checkResponses: true });
    await ok(operator, 'POST', '/api/auth/login', { email: first.email, password: first.password });
    await ok(operator, 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    for (const [who, orgName] of [
      ['instrA', 'Org A'],
      ['instrB', 'Org B'],
    ] as const) {
      const org = (await ok(operator, 'POST', '/api/organisations', {
        name: orgName,
        kind: 'training-company',
      })) as { id: string };
      await ok(operator, 'POST', `/api/organisations/${org.id}/users`, {
        email: `${who.toLowerCase()}@example.com`,
        name: `Teacher ${who.slice(-1)}`,
        role: 'instructor',
        password: `${who} secret password 1`,
      });
      people[who] = apiClient(platform.url, { checkResponses: true });
      await ok(people[who], 'POST', '/api/auth/login', {
        email: `${who.toLowerCase()}@example.com`,
        password: `${who} secret password 1`,
      });
    }
    X = (
      (await ok(people.instrA, 'POST', '/api/exercises', { scenario: 'helpme', teams: 2 })) as { id: string }
    ).id;
    Y = (
      (await ok(people.instrB, 'POST', '/api/exercises', { scenario: 'helpme', teams: 1 })) as { id: string }
    ).id;
    await waitRunning(people.instrA, X);
    await waitRunning(people.instrB, Y);
    for (const [who, by, id, team] of [
      ['x1', 'instrA', X, 'team-1'],
      ['x2', 'instrA', X, 'team-2'],
      ['y1', 'instrB', Y, 'team-1'],
    ] as const) {
      const { code } = (await ok(
        people[by],
        'POST',
        `/api/exercises/${id}/teams/${team}/join-codes`,
        {},
      )) as {
        code: string;
      };
      people[who] = apiClient(platform.url, { checkResponses: true });
      await ok(people[who], 'POST', '/api/join', { code, displayName: `Trainee ${who}` });
    }
    await open('instrA', X);
    await open('instrB', Y);
    await open('x1');
    await open('x2');
    await open('y1');
  });
  after(async () => {
    for (const s of sockets) s.close();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let asked: HelpRequest;

  it('a trainee asks; the instructors of the exercise get it over REST and pushed, the team sees it sent', async () => {
    expect(await ok(people.x1, 'GET', '/api/play/help')).to.deep.equal({
      request: null,
      retryAfterMs: 0,
    });
    const res = await people.x1('POST', '/api/play/help', {
      message: 'The web host does not answer',
      objective: 'q',
      host: 'web',
    });
    expect(res.status, res.text).to.equal(201);
    asked = res.body as unknown as HelpRequest;
    expect(asked).to.include({
      exerciseId: X,
      teamId: 'team-1',
      requestedBy: 'Trainee x1',
      message: 'The web host does not answer',
      objectiveId: 'q',
      host: 'web',
      state: 'open',
    });
    await until('instructor A is pushed the request', () => seen.instrA.some((r) => r.id === asked.id));
    await until('the asking team is pushed it', () => seen.x1.some((r) => r.id === asked.id));
    const list = (await ok(people.instrA, 'GET', `/api/exercises/${X}/help-requests`)) as {
      requests: HelpRequest[];
    };
    expect(list.requests.map((r) => [r.id, r.teamId, r.requestedBy, r.state])).to.deep.equal([
      [asked.id, 'team-1', 'Trainee x1', 'open'],
    ]);
    const mine = (await ok(people.x1, 'GET', '/api/play/help')) as { request: HelpRequest };
    expect(mine.request.id).to.equal(asked.id);
  });

  it('one unresolved request per team: a team-mate is refused with 409 naming it; another team may ask', async () => {
    const again = await people.x1('POST', '/api/play/help', { message: 'hello?' });
    expect(again.status, again.text).to.equal(409);
    expect((again.body.error as { code: string; message: string }).message).to.include('Trainee x1');
    const other = await people.x2('POST', '/api/play/help', {});
    expect(other.status, other.text).to.equal(201);
    const refused = await people.x2('POST', '/api/play/help', { objective: 'nope' });
    expect(refused.status).to.equal(400);
    expect(await people.x2('POST', '/api/play/help', { message: 'x'.repeat(501) })).to.have.property(
      'status',
      400,
    );
  });

  it("org B's instructor and other teams never see org A's requests", async () => {
    for (const url of [`/api/exercises/${X}/help-requests`])
      expect((await people.instrB('GET', url)).status).to.equal(404);
    for (const action of ['acknowledge', 'resolve'])
      expect(
        (await people.instrB('POST', `/api/exercises/${X}/help-requests/${asked.id}/${action}`)).status,
      ).to.equal(404);
    // asked of the right exercise id, a request of another exercise does not exist either
    expect(
      (await people.instrB('POST', `/api/exercises/${Y}/help-requests/${asked.id}/acknowledge`)).status,
    ).to.equal(404);
    expect(
      ((await ok(people.instrB, 'GET', `/api/exercises/${Y}/help-requests`)) as { requests: [] }).requests,
    ).to.deep.equal([]);
    expect(((await ok(people.y1, 'GET', '/api/play/help')) as { request: null }).request).to.equal(null);
    // trainees cannot use the instructors' routes; the anonymous are asked to sign in
    expect((await people.x1('GET', `/api/exercises/${X}/help-requests`)).status).to.equal(403);
    expect(
      (await apiClient(platform.url, { checkResponses: true })('POST', '/api/play/help', {})).status,
    ).to.equal(401);
    expect((await people.instrA('POST', '/api/play/help', {})).status).to.equal(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.instrB, "org B's instructor socket").to.deep.equal([]);
    expect(seen.y1, "exercise Y's trainee socket").to.deep.equal([]);
    expect(
      seen.x2.every((r) => r.teamId === 'team-2'),
      'team 2 is pushed only its own request',
    ).to.equal(true);
    expect(seen.x1.every((r) => r.teamId === 'team-1')).to.equal(true);
  });

  it('acknowledge and resolve reach the team (without the instructor’s name); asking again too soon is 429 with Retry-After', async () => {
    const acked = (await ok(
      people.instrA,
      'POST',
      `/api/exercises/${X}/help-requests/${asked.id}/acknowledge`,
    )) as unknown as HelpRequest;
    expect(acked).to.include({ state: 'acknowledged', acknowledgedBy: 'Teacher A' });
    await until('the team sees "seen"', () => seen.x1.some((r) => r.state === 'acknowledged'));
    expect(seen.x1.find((r) => r.state === 'acknowledged')?.acknowledgedBy).to.equal(null);
    expect(seen.instrA.find((r) => r.state === 'acknowledged')?.acknowledgedBy).to.equal('Teacher A');
    await ok(people.instrA, 'POST', `/api/exercises/${X}/help-requests/${asked.id}/resolve`);
    await until('the team sees "resolved"', () => seen.x1.some((r) => r.state === 'resolved'));
    const state = (await ok(people.x1, 'GET', '/api/play/help')) as {
      request: HelpRequest;
      retryAfterMs: number;
    };
    expect(state.request.state).to.equal('resolved');
    expect(state.request.resolvedBy).to.equal(null);
    expect(state.retryAfterMs).to.be.above(0);
    const soon = await people.x1('POST', '/api/play/help', {});
    expect(soon.status, soon.text).to.equal(429);
    expect((soon.body.error as { message: string }).message).to.match(/ask again in \d+ s/);
    expect(
      Number(
        soon.body.error && (soon.body.error as { details: { retryAfterMs: number } }).details.retryAfterMs,
      ),
    ).to.be.above(0);
    const audit = (await ok(operator, 'GET', '/api/audit?action=exercise.help')) as {
      entries: { action: string }[];
    };
    expect(audit.entries.map((e) => e.action)).to.include.members([
      'exercise.help-request',
      'exercise.help-acknowledge',
      'exercise.help-resolve',
    ]);
  });

  it('a team withdraws its own open request: instructors see it withdrawn, pushed and audited', async () => {
    const asked2 = (await ok(people.x2, 'GET', '/api/play/help')) as { request: HelpRequest | null };
    expect(asked2.request?.state, "team 2's request from an earlier step").to.equal('open');
    const withdrawn = (await ok(people.x2, 'DELETE', '/api/play/help')) as unknown as HelpRequest;
    expect(withdrawn).to.include({ id: asked2.request?.id, state: 'resolved', withdrawn: true });
    await until('the instructors see it withdrawn', () =>
      seen.instrA.some((r) => r.id === withdrawn.id && r.withdrawn),
    );
    const list = (await ok(people.instrA, 'GET', `/api/exercises/${X}/help-requests`)) as {
      requests: HelpRequest[];
    };
    expect(list.requests.find((r) => r.id === withdrawn.id)).to.include({
      withdrawn: true,
      resolvedBy: null,
    });
    const again = await people.x2('DELETE', '/api/play/help');
    expect(again.status, again.text).to.equal(404);
    expect((await people.instrA('DELETE', '/api/play/help')).status, 'staff are not a team').to.equal(403);
    const audit = (await ok(operator, 'GET', '/api/audit?action=exercise.help-withdraw')) as {
      entries: { action: string; details: { team: string } }[];
    };
    expect(audit.entries.map((e) => e.details.team)).to.deep.equal(['team-2']);
  });

  it('refuses requests once the exercise has ended', async () => {
    await ok(people.instrB, 'DELETE', `/api/exercises/${Y}`);
    for (let i = 0; i < 200; i++) {
      const e = (await ok(people.instrB, 'GET', `/api/exercises/${Y}`)) as { state: string };
      if (e.state === 'ended') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const late = await people.y1('POST', '/api/play/help', {});
    expect(late.status, late.text).to.equal(409);
    expect((late.body.error as { code: string }).code).to.equal('EXERCISE_ENDED');
  });
});
