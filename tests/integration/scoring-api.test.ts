import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { Principal } from '../../orchestrator/src/api/api-registry.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import type {
  BoardDeltaMessage,
  BoardSnapshotMessage,
  InstructorUpdateMessage,
  ScoringClientToServer,
  ScoringServerToClient,
  SubscribeReply,
  TeamUpdateMessage,
} from '../../contract/scoring-events.ts';
import { startScoringTestServer, type ScoringTestServer } from './fixtures/scoring-app.ts';
import { answerOf, scoringTestPlans } from './fixtures/scoring-scenario.ts';
import { checkedFetch } from '../response-check.ts';

type ScoringClient = Socket<ScoringServerToClient, ScoringClientToServer>;

const EX = 'ex-scoring';
const team = (teamId: string): Principal => ({ kind: 'participant', exerciseId: EX, teamId, name: teamId });
const instructor: Principal = {
  kind: 'user',
  userId: 'u-1',
  orgId: 'org-1',
  role: 'instructor',
  name: 'Ines',
};
const outsider: Principal = { kind: 'user', userId: 'u-9', orgId: 'org-2', role: 'instructor', name: 'Otto' };

describe('scoring API and live push (HTTP + socket.io + SQLite)', function () {
  this.timeout(30_000);
  let dir: string;
  let plans: EnvironmentPlan[];
  let app: ScoringTestServer;
  const sockets: ScoringClient[] = [];

  const call = async (principal: Principal, method: string, url: string, body?: unknown) => {
    const res = await checkedFetch(app.url + url, {
      method,
      headers: {
        'x-test-principal': JSON.stringify(principal),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // CSV
    }
    return {
      status: res.status,
      headers: res.headers,
      body: json as Record<string, unknown> & { error?: { code: string } },
    };
  };
  const submit = (teamId: string, objective: string, answer: string) =>
    call(team(teamId), 'POST', '/api/play/submissions', { objective, answer });

  /** A connected socket with every message it received. */
  const open = async (principal: Principal) => {
    const socket: ScoringClient = connect(`${app.url}/scoring`, {
      transports: ['websocket'],
      auth: { principal },
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    const got = {
      snapshots: [] as BoardSnapshotMessage[],
      deltas: [] as BoardDeltaMessage[],
      team: [] as TeamUpdateMessage[],
      instructor: [] as InstructorUpdateMessage[],
      all: [] as unknown[],
    };
    socket.on('board:snapshot', (m) => got.snapshots.push(m));
    socket.on('board:delta', (m) => got.deltas.push(m));
    socket.on('team:update', (m) => got.team.push(m));
    socket.on('instructor:update', (m) => got.instructor.push(m));
    socket.onAny((_name, m: unknown) => got.all.push(m));
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', resolve);
      socket.on('connect_error', reject);
    });
    return { socket, got };
  };
  const subscribe = (socket: ScoringClient, exerciseId: string) =>
    new Promise<SubscribeReply>((resolve) => socket.emit('subscribe', { exerciseId }, resolve));
  const until = async (predicate: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-scoring-api-'));
    plans = scoringTestPlans({ exerciseId: EX, teams: 3, wrongPerMinute: 5 });
    app = await startScoringTestServer({
      dataDir: dir,
      plans: (id) => Promise.resolve(id === EX ? plans : []),
    });
    const started = await call(instructor, 'POST', `/api/exercises/${EX}/scoring/status`, {
      action: 'start',
    });
    expect(started.status).to.equal(200);
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the visible objectives with localized texts and no answers', async () => {
    const res = await call(team('team-1'), 'GET', '/api/play/objectives?lang=ja');
    expect(res.status).to.equal(200);
    const objectives = res.body['objectives'] as { id: string; title: string }[];
    expect(objectives.map((o) => o.id)).to.deep.equal(['recon', 'flag1', 'flag2', 'patch']); // sqli is locked
    expect(objectives[0]!.title).to.equal('ショップは何番ポートですか？');
    // the locked one by title only, with what opens it, in the language asked for
    const locked = res.body['locked'] as { id: string; kind: string; title: unknown; requires: unknown }[];
    expect(locked.map((o) => [o.id, o.kind, typeof o.title])).to.deep.equal([['sqli', 'flag', 'string']]);
    expect(locked[0]!.requires).to.deep.equal([{ id: 'recon', title: 'ショップは何番ポートですか？' }]);
    const text = JSON.stringify(res.body);
    expect(text).to.not.contain('8080');
    expect(text).to.not.contain('CYROP{');
  });

  it('refuses unknown fields, over-long answers, anonymous callers and instructors of other organisations', async () => {
    expect(
      (
        await call(team('team-1'), 'POST', '/api/play/submissions', {
          objective: 'recon',
          answer: 'x',
          extra: 1,
        })
      ).status,
    ).to.equal(400);
    expect((await submit('team-1', 'recon', 'x'.repeat(1025))).status).to.equal(400);
    expect((await submit('team-1', 'recon', 'é'.repeat(600))).status).to.equal(400); // 1,200 bytes
    expect((await checkedFetch(`${app.url}/api/play/scoreboard`)).status).to.equal(401);
    expect((await call(outsider, 'GET', `/api/exercises/${EX}/scoreboard`)).status).to.equal(404);
    expect((await call(team('team-1'), 'GET', `/api/exercises/${EX}/scoreboard`)).status).to.equal(403);
  });

  it('scores a correct flag, pushes board:delta to other teams and the instructor, team detail only to the team', async () => {
    const t1 = await open(team('team-1'));
    const t2 = await open(team('team-2'));
    const boss = await open(instructor);
    expect((await subscribe(boss.socket, EX)).ok).to.equal(true);
    const intruder = await open(outsider);
    expect((await subscribe(intruder.socket, EX)).ok).to.equal(false);
    await until(() => t1.got.snapshots.length > 0 && t2.got.snapshots.length > 0);
    expect(t2.got.snapshots[0]!.team!.teamId).to.equal('team-2');
    expect(t2.got.snapshots[0]!.instructor).to.equal(undefined);

    const res = await submit('team-1', 'flag1', answerOf(plans, 'team-1', 'flag1'));
    expect(res.body).to.deep.equal({ outcome: 'correct', points: 11 }); // 10 + 10 % first blood

    await until(() => t2.got.deltas.length > 0 && boss.got.deltas.length > 0 && t1.got.team.length >= 2);
    const row = t2.got.deltas.flatMap((d) => d.rows).find((r) => r.teamId === 'team-1');
    expect(row?.points).to.equal(11);
    expect(boss.got.instructor.map((u) => u.event.type)).to.deep.equal(['submission', 'solve']);
    expect(t2.got.team).to.have.length(0); // another team's detail never reaches team-2
    expect(JSON.stringify(t2.got.all)).to.not.contain(answerOf(plans, 'team-1', 'flag1'));
    expect(intruder.got.deltas).to.have.length(0);

    const board = await call(team('team-3'), 'GET', '/api/play/scoreboard');
    expect((board.body['board'] as { teamId: string; points: number }[])[0]).to.deep.include({
      teamId: 'team-1',
      points: 11,
    });
  });

  it('answers a scoreboard unchanged since its ETag with 304 and no body, a changed one in full', async () => {
    const get = (principal: Principal, url: string, etag?: string) =>
      checkedFetch(app.url + url, {
        headers: {
          'x-test-principal': JSON.stringify(principal),
          ...(etag !== undefined ? { 'if-none-match': etag } : {}),
        },
      });
    for (const [principal, url] of [
      [team('team-2'), '/api/play/scoreboard'],
      [instructor, `/api/exercises/${EX}/scoreboard`],
    ] as const) {
      const first = await get(principal, url);
      expect(first.status).to.equal(200);
      const etag = first.headers.get('etag');
      expect(etag, url).to.be.a('string');
      const again = await get(principal, url, etag!);
      expect(again.status, url).to.equal(304);
      expect(await again.text()).to.equal('');
      expect((await get(principal, url, '"stale"')).status).to.equal(200);
    }
  });

  it("answers another team's flag with wrong, and reports sharing to the instructor", async () => {
    const boss = await open(instructor);
    await subscribe(boss.socket, EX);
    const t3 = await open(team('team-3'));
    await until(() => t3.got.snapshots.length > 0);
    const res = await submit('team-3', 'flag2', answerOf(plans, 'team-1', 'flag2'));
    expect(res.body).to.deep.equal({ outcome: 'wrong' });
    await until(() => boss.got.instructor.some((u) => u.sharing !== null) && t3.got.team.length > 0);
    const teamEvent = t3.got.team[0]!.event;
    expect(teamEvent.type === 'submission' && teamEvent.outcome).to.equal('wrong');
    expect(JSON.stringify(t3.got.all)).to.not.contain('other-team');
    const sharing = await call(instructor, 'GET', `/api/exercises/${EX}/sharing`);
    const reports = sharing.body['reports'] as {
      teamId: string;
      objectiveId: string;
      ownerTeamIds: string[];
    }[];
    expect(reports.map((r) => [r.teamId, r.objectiveId, r.ownerTeamIds])).to.deep.equal([
      ['team-3', 'flag2', ['team-1']],
    ]);
    // staff see the submission as what it was; the team sees a plain wrong answer
    const staffTimeline = await call(instructor, 'GET', `/api/exercises/${EX}/timeline?team=team-3`);
    expect(staffTimeline.status).to.equal(200);
    const staffEvents = staffTimeline.body['events'] as { type: string; teamId?: string; outcome?: string }[];
    expect(staffEvents.some((e) => e.type === 'submission' && e.outcome === 'other-team')).to.equal(true);
    expect(staffEvents.every((e) => e.teamId === undefined || e.teamId === 'team-3')).to.equal(true);
    const teamTimeline = await call(team('team-3'), 'GET', '/api/play/timeline');
    expect(JSON.stringify(teamTimeline.body['events'])).to.not.contain('other-team');
    expect((await call(outsider, 'GET', `/api/exercises/${EX}/timeline`)).status).to.equal(404);
    expect((await call(team('team-3'), 'GET', `/api/exercises/${EX}/timeline`)).status).to.equal(403);
  });

  it('accepts a full-width answer to a question, and gives it back as accepted to that team only', async () => {
    const res = await submit('team-2', 'recon', '８０８０');
    expect(res.body).to.deep.equal({ outcome: 'correct', points: 55 });
    const accepted = async (teamId: string) =>
      (
        (await call(team(teamId), 'GET', '/api/play/objectives')).body['objectives'] as {
          id: string;
          accepted?: string;
        }[]
      ).find((o) => o.id === 'recon')?.accepted;
    expect(await accepted('team-2'), 'as the team typed it').to.equal('８０８０');
    expect(await accepted('team-3'), 'nothing for a team that did not solve it').to.equal(undefined);
  });

  it('counts one solve for 20 concurrent identical correct submissions', async () => {
    const flag = answerOf(plans, 'team-2', 'flag1');
    const results = await Promise.all(Array.from({ length: 20 }, () => submit('team-2', 'flag1', flag)));
    const outcomes = results.map((r) => r.body['outcome']);
    expect(outcomes.filter((o) => o === 'correct')).to.have.length(1);
    expect(outcomes.filter((o) => o === 'already-solved')).to.have.length(19);
    const count = app.database.sqlite
      .prepare("select count(*) as n from solves where team_id = 'team-2' and objective_id = 'flag1'")
      .get() as { n: number };
    expect(count.n).to.equal(1);
  });

  it('rate-limits wrong answers with 429 and Retry-After', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => submit('team-3', 'flag1', `bad-${i}`)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).to.have.length(5);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).to.have.length(3);
    expect(Number(limited[0]!.headers.get('retry-after'))).to.be.within(1, 60);
    expect(limited[0]!.body.error!.code).to.equal('RATE_LIMITED');
  });

  it('unlocks hints, gives awards, and exports results', async () => {
    await submit('team-1', 'recon', '8080');
    const hint = await call(team('team-1'), 'POST', '/api/play/hints', { objective: 'sqli', hint: 'h1' });
    expect(hint.body).to.deep.equal({
      outcome: 'unlocked',
      cost: 20,
      text: { en: 'Try a single quote.', ja: 'シングルクォートを試してください。' },
    });
    const award = await call(instructor, 'POST', `/api/exercises/${EX}/awards`, {
      team: 'team-3',
      points: 7,
      reason: 'write-up',
    });
    expect(award.status).to.equal(201);
    const csv = await call(instructor, 'GET', `/api/exercises/${EX}/results?format=csv`);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.body).to.contain('write-up');
    const attempts = await call(instructor, 'GET', `/api/exercises/${EX}/attempts`);
    expect((attempts.body['teams'] as unknown[]).length).to.equal(3);
    const timeline = await call(team('team-1'), 'GET', '/api/play/timeline');
    const events = timeline.body['events'] as { teamId?: string }[];
    expect(events.every((e) => e.teamId === undefined || e.teamId === 'team-1')).to.equal(true);
  });

  it('rebuilds from the database exactly the live projection after a burst', async () => {
    const burst = [];
    for (let i = 0; i < 150; i++) {
      const t = `team-${(i % 3) + 1}`;
      const objective = ['recon', 'flag1', 'flag2', 'sqli'][i % 4]!;
      const answer = i % 5 === 0 ? 'nope' : answerOf(plans, t, objective);
      burst.push(submit(t, objective, answer));
    }
    const results = await Promise.all(burst);
    expect(results.every((r) => r.status === 200 || r.status === 429)).to.equal(true);
    const live = (await app.service.load(EX)).snapshot();
    const rebuilt = (await app.service.rebuildFromLog(EX)).snapshot();
    expect(rebuilt).to.deep.equal(live);
  });
});
