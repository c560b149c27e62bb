import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Principal } from '../../orchestrator/src/api/api-registry.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { ScoringStore } from '../../orchestrator/src/scoring-service/scoring-store.ts';
import { startScoringTestServer, type ScoringTestServer } from './fixtures/scoring-app.ts';
import { answerOf, scoringTestPlans } from './fixtures/scoring-scenario.ts';
import { checkedFetch } from '../response-check.ts';

const EX = 'ex-refusals';
const team = (teamId: string): Principal => ({ kind: 'participant', exerciseId: EX, teamId, name: teamId });
const instructor: Principal = {
  kind: 'user',
  userId: 'u-1',
  orgId: 'org-1',
  role: 'instructor',
  name: 'Ines',
};

describe('scoring refusals cost no durable row; the scoring end time is checked (HTTP + SQLite)', function () {
  this.timeout(60_000);
  let dir: string;
  let plans: EnvironmentPlan[];
  let app: ScoringTestServer;

  const call = async (principal: Principal, method: string, url: string, body?: unknown) => {
    const res = await checkedFetch(app.url + url, {
      method,
      headers: {
        'x-test-principal': JSON.stringify(principal),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        outcome?: string;
        error?: { code: string; details?: { field?: string } };
      },
    };
  };
  const submit = (teamId: string, objective: string, answer: string) =>
    call(team(teamId), 'POST', '/api/play/submissions', { objective, answer });
  const rows = (): number =>
    (
      app.database.sqlite
        .prepare('select count(*) as n from scoring_events where exercise_id = ?')
        .get(EX) as {
        n: number;
      }
    ).n;
  const start = (endsAt?: number) =>
    call(instructor, 'POST', `/api/exercises/${EX}/scoring/status`, {
      action: 'start',
      ...(endsAt !== undefined ? { endsAt } : {}),
    });
  const open = () =>
    startScoringTestServer({ dataDir: dir, plans: (id) => Promise.resolve(id === EX ? plans : []) });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-scoring-refusals-'));
    plans = scoringTestPlans({ exerciseId: EX, teams: 2, wrongPerMinute: 5 });
    app = await open();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a scoring end time in the past or more than a year ahead, naming the field', async () => {
    for (const endsAt of [0, 86_400_000, Date.now() - 60_000, Date.now() + 2 * 366 * 86_400_000]) {
      const res = await start(endsAt);
      expect(res.status, String(endsAt)).to.equal(400);
      expect(res.body.error!.code).to.equal('BAD_REQUEST');
      expect(res.body.error!.details!.field).to.equal('endsAt');
    }
    expect(rows()).to.equal(0); // nothing started
    expect((await start(Date.now() + 3_600_000)).status).to.equal(200);
    expect(rows()).to.equal(1);
  });

  it('adds no row for a loop of rate-limited submissions, and keeps every accepted one across a restart', async () => {
    // the accepted wrong answers: 5 a minute per team and objective, one row each
    for (let i = 0; i < 5; i++)
      expect((await submit('team-1', 'flag1', `bad-${i}`)).body.outcome).to.equal('wrong');
    const before = rows();
    const N = 400;
    let limited = 0;
    for (let round = 0; round < N / 50; round++) {
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => submit('team-1', 'flag1', `loop-${round}-${i}`)),
      );
      limited += replies.filter((r) => r.status === 429).length;
    }
    expect(limited).to.equal(N);
    expect(rows() - before).to.equal(0);
    expect(app.service.rateLimitedCounts(EX).get('team-1')).to.equal(N);

    // correct and accepted wrong submissions of both teams, interleaved with more refusals
    const accepted: string[] = [];
    for (const t of ['team-1', 'team-2']) {
      for (const objective of ['recon', 'flag2']) {
        expect((await submit(t, objective, 'nope')).body.outcome).to.equal('wrong');
        expect((await submit(t, objective, answerOf(plans, t, objective))).body.outcome).to.equal('correct');
        accepted.push(`${t}/${objective}/wrong`, `${t}/${objective}/correct`);
      }
      expect((await submit('team-1', 'flag1', 'again')).status).to.equal(429);
    }
    const live = (await app.service.load(EX)).snapshot();

    await app.close();
    app = await open();
    const logged = [...new ScoringStore(app.database.sqlite).events(EX)].flatMap((e) =>
      e.type === 'submission' ? [`${e.teamId}/${e.objectiveId}/${e.outcome}`] : [],
    );
    expect(logged.filter((s) => s === 'team-1/flag1/wrong')).to.have.length(5);
    expect(logged.filter((s) => s.endsWith('/rate-limited'))).to.deep.equal([]);
    for (const a of accepted) expect(logged, a).to.include(a);
    expect((await app.service.load(EX)).snapshot()).to.deep.equal(live);
    expect((await app.service.rebuildFromLog(EX)).snapshot()).to.deep.equal(live);
  });
});
