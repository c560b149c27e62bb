import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CyropError } from '../errors.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { forTeam, HelpRequestService, type HelpRequest } from './help-request-service.ts';

describe('HelpRequestService (real SQLite)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let now: number;
  let state: string;
  let service: HelpRequestService;
  let pushed: HelpRequest[];

  const refusal = async (promise: Promise<unknown>): Promise<CyropError> => {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(CyropError);
      return error as CyropError;
    }
    throw new Error('expected a refusal');
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-help-'));
    database = await openDatabase(dir);
    now = 1_700_000_000_000;
    state = 'running';
    for (const id of ['ex-a', 'ex-b'])
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
          org_id: null,
        })
        .execute();
    service = new HelpRequestService({
      db: database.db,
      clock: () => now,
      minIntervalMs: 60_000,
      scope: () => Promise.resolve({ state, hosts: ['desk', 'web'], objectives: ['flag', 'answer'] }),
    });
    pushed = [];
    service.subscribe((r) => pushed.push(r));
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a request with its text, objective and host, and pushes it', async () => {
    const r = await service.ask('ex-a', 'team-1', 'Bea', {
      message: '  nmap finds nothing  ',
      objective: 'flag',
      host: 'web',
    });
    expect(r).to.include({
      exerciseId: 'ex-a',
      teamId: 'team-1',
      requestedBy: 'Bea',
      message: 'nmap finds nothing',
      objectiveId: 'flag',
      host: 'web',
      state: 'open',
      createdAt: now,
    });
    expect(pushed.map((p) => p.id)).to.deep.equal([r.id]);
    expect((await service.ofTeam('ex-a', 'team-1')).request?.id).to.equal(r.id);
    expect((await service.ofTeam('ex-a', 'team-2')).request).to.equal(null);
  });

  it('refuses a second unresolved request of the team (naming the first), then rate-limits after the resolve', async () => {
    const first = await service.ask('ex-a', 'team-1', 'Bea', {});
    const again = await refusal(service.ask('ex-a', 'team-1', 'Cal', { message: 'me too' }));
    expect(again.code).to.equal('CONFLICT');
    expect(again.message).to.include('Bea');
    // another team, and the same team id in another exercise, are not affected
    await service.ask('ex-a', 'team-2', 'Dan', {});
    await service.ask('ex-b', 'team-1', 'Eve', {});
    now += 10_000;
    await service.acknowledge('ex-a', first.id, 'Teacher');
    expect((await refusal(service.ask('ex-a', 'team-1', 'Bea', {}))).code).to.equal('CONFLICT');
    await service.resolve('ex-a', first.id, 'Teacher');
    const limited = await refusal(service.ask('ex-a', 'team-1', 'Bea', {}));
    expect(limited.code).to.equal('RATE_LIMITED');
    expect((limited.details as { retryAfterMs: number }).retryAfterMs).to.equal(50_000);
    expect((await service.ofTeam('ex-a', 'team-1')).retryAfterMs).to.equal(50_000);
    now += 50_000;
    const second = await service.ask('ex-a', 'team-1', 'Bea', { message: 'still stuck' });
    expect(second.id).to.not.equal(first.id);
    expect((await service.ofTeam('ex-a', 'team-1')).request?.message).to.equal('still stuck');
  });

  it('lets the team withdraw its unresolved request (not another team’s); the wait before asking again stays', async () => {
    expect((await refusal(service.withdraw('ex-a', 'team-1'))).code).to.equal('NOT_FOUND');
    const mine = await service.ask('ex-a', 'team-1', 'Bea', {});
    const theirs = await service.ask('ex-a', 'team-2', 'Dan', {});
    await service.acknowledge('ex-a', mine.id, 'Teacher');
    now += 5_000;
    const withdrawn = await service.withdraw('ex-a', 'team-1');
    expect(withdrawn).to.include({ id: mine.id, state: 'resolved', resolvedBy: null, withdrawn: true });
    expect(withdrawn.resolvedAt).to.equal(now);
    expect(pushed.at(-1)).to.deep.equal(withdrawn);
    expect((await service.get('ex-a', theirs.id)).state, "the other team's request").to.equal('open');
    expect((await refusal(service.withdraw('ex-a', 'team-1'))).code).to.equal('NOT_FOUND');
    expect((await service.ofTeam('ex-a', 'team-1')).retryAfterMs).to.equal(55_000);
    expect((await refusal(service.ask('ex-a', 'team-1', 'Bea', {}))).code).to.equal('RATE_LIMITED');
    const byTeacher = await service.resolve('ex-a', theirs.id, 'Teacher');
    expect(byTeacher.withdrawn, 'resolved by an instructor').to.equal(false);
  });

  it('the database refuses a second unresolved request of a team even past the service', async () => {
    await service.ask('ex-a', 'team-1', 'Bea', {});
    let code = '';
    try {
      await database.db
        .insertInto('help_requests')
        .values({
          id: 'sneaky',
          exercise_id: 'ex-a',
          team_id: 'team-1',
          requested_by: 'X',
          message: '',
          objective_id: null,
          host: null,
          state: 'acknowledged',
          created_at: now,
          acknowledged_at: null,
          acknowledged_by: null,
          resolved_at: null,
          resolved_by: null,
        })
        .execute();
    } catch (error) {
      code = (error as { code: string }).code;
    }
    expect(code).to.equal('SQLITE_CONSTRAINT_UNIQUE');
  });

  it('moves open → acknowledged → resolved; a resolved request cannot be acknowledged', async () => {
    const r = await service.ask('ex-a', 'team-1', 'Bea', {});
    now += 1000;
    const seen = await service.acknowledge('ex-a', r.id, 'Teacher');
    expect(seen).to.include({ state: 'acknowledged', acknowledgedBy: 'Teacher', acknowledgedAt: now });
    now += 1000;
    const done = await service.resolve('ex-a', r.id, 'Other');
    expect(done).to.include({
      state: 'resolved',
      resolvedBy: 'Other',
      resolvedAt: now,
      acknowledgedBy: 'Teacher',
    });
    expect((await refusal(service.acknowledge('ex-a', r.id, 'Teacher'))).code).to.equal('CONFLICT');
    expect(pushed.map((p) => p.state)).to.deep.equal(['open', 'acknowledged', 'resolved']);
    // a team member is not told which instructor it was
    expect(forTeam(done)).to.include({ acknowledgedBy: null, resolvedBy: null, state: 'resolved' });
  });

  it("answers another exercise's request as missing", async () => {
    const r = await service.ask('ex-a', 'team-1', 'Bea', {});
    expect((await refusal(service.acknowledge('ex-b', r.id, 'T'))).code).to.equal('NOT_FOUND');
    expect((await refusal(service.resolve('ex-b', r.id, 'T'))).code).to.equal('NOT_FOUND');
    expect(await service.list('ex-b')).to.deep.equal([]);
  });

  it('lists unresolved requests oldest first, then resolved ones', async () => {
    const a = await service.ask('ex-a', 'team-1', 'A', {});
    now += 1;
    const b = await service.ask('ex-a', 'team-2', 'B', {});
    now += 1;
    const c = await service.ask('ex-a', 'team-3', 'C', {});
    await service.resolve('ex-a', b.id, 'T');
    expect((await service.list('ex-a')).map((r) => r.id)).to.deep.equal([a.id, c.id, b.id]);
  });

  it('refuses unknown objectives and hosts, long or control-character texts, and an ended exercise', async () => {
    const objective = await refusal(service.ask('ex-a', 'team-1', 'Bea', { objective: 'nope' }));
    expect(objective.code).to.equal('BAD_REQUEST');
    expect(objective.details).to.deep.equal({ field: 'objective' });
    expect((await refusal(service.ask('ex-a', 'team-1', 'Bea', { host: 'db' }))).details).to.deep.equal({
      field: 'host',
    });
    expect(
      (await refusal(service.ask('ex-a', 'team-1', 'Bea', { message: 'x'.repeat(501) }))).details,
    ).to.deep.equal({ field: 'message' });
    expect(
      (await refusal(service.ask('ex-a', 'team-1', 'Bea', { message: 'bell\u0007' }))).details,
    ).to.deep.equal({ field: 'message' });
    // 500 Japanese characters are fine; so is a line break
    await service.ask('ex-a', 'team-1', 'Bea', { message: `${'助'.repeat(498)}\nけ` });
    state = 'ended';
    expect((await refusal(service.ask('ex-a', 'team-2', 'Dan', {}))).code).to.equal('EXERCISE_ENDED');
    expect(pushed).to.have.length(1);
  });
});
