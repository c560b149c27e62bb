import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import {
  ALL_CAPABILITIES,
  type EnvironmentRef,
  type EnvironmentStatus,
  type ProvisionOptions,
  type RuntimeDriver,
} from '../runtime/runtime-driver.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { ExerciseService, runLimited, type ExerciseAuditEntry } from './exercise-service.ts';

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: unit, version: 1.0.0, title: Unit, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/** An in-memory engine for the logic above the port (the real one has its contract suite). */
class FakeDriver implements RuntimeDriver {
  readonly engine = 'docker' as const;
  readonly capabilities = ALL_CAPABILITIES;
  readonly environments = new Map<string, EnvironmentPlan>();
  failures = new Map<string, number>(); // team → failures left before success
  active = 0;
  maxActive = 0;
  calls: string[] = [];

  async provision(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.calls.push(`provision ${plan.team.id}`);
    await new Promise((r) => setTimeout(r, 5));
    this.active--;
    const left = this.failures.get(plan.team.id) ?? 0;
    if (left > 0) {
      this.failures.set(plan.team.id, left - 1);
      throw new Error(`engine hiccup for ${plan.team.id}`);
    }
    this.environments.set(`${plan.exercise.id}/${plan.team.id}`, plan);
    return this.status({ exercise: plan.exercise.id, team: plan.team.id });
  }
  status(ref: EnvironmentRef): Promise<EnvironmentStatus> {
    const plan = this.environments.get(`${ref.exercise}/${ref.team}`);
    return Promise.resolve({
      ref,
      networks: [],
      hosts: plan ? plan.hosts.map((h) => ({ name: h.name, state: 'running' as const })) : [],
      ready: Boolean(plan),
    });
  }
  exec(): never {
    throw new Error('not used');
  }
  openShell(): never {
    throw new Error('not used');
  }
  resetHost(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    this.calls.push(`reset ${plan.team.id}`);
    return this.status({ exercise: plan.exercise.id, team: plan.team.id });
  }
  destroying = 0;
  maxDestroying = 0;
  async destroy(ref: EnvironmentRef): Promise<void> {
    this.calls.push(`destroy ${ref.exercise}/${ref.team}`);
    this.destroying++;
    this.maxDestroying = Math.max(this.maxDestroying, this.destroying);
    await new Promise((r) => setTimeout(r, 2));
    this.destroying--;
    this.environments.delete(`${ref.exercise}/${ref.team}`);
  }
  list(selector: Readonly<Record<string, string>> = {}): Promise<EnvironmentRef[]> {
    return Promise.resolve(
      [...this.environments.values()]
        .filter((p) => Object.entries(selector).every(([k, v]) => p.labels[k] === v))
        .map((p) => ({ exercise: p.exercise.id, team: p.team.id })),
    );
  }
}

describe('ExerciseService (above the port, with an in-memory engine)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let driver: FakeDriver;
  let service: ExerciseService;
  let audited: ExerciseAuditEntry[];
  let now = 1_000_000;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-exsvc-'));
    mkdirSync(path.join(dir, 'scenario'));
    writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), SCENARIO);
    database = await openDatabase(path.join(dir, 'data'));
    driver = new FakeDriver();
    audited = [];
    service = new ExerciseService({
      audit: (entry) => {
        audited.push(entry);
        return Promise.resolve();
      },
      db: database.db,
      driver,
      subnetPool: '10.240.0.0/16',
      retryDelaysMs: [1],
      clock: () => now,
    });
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every team plan before touching the engine, with subnets clear of other live exercises', async () => {
    const a = await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 3,
      id: 'ex-a',
      secret: 'secret-aaaa',
    });
    const b = await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 2,
      id: 'ex-b',
      secret: 'secret-bbbb',
    });
    // created by the platform (no account): nobody's class but the organisation's
    expect(
      (
        await database.db
          .selectFrom('exercises')
          .select('created_by')
          .where('id', '=', 'ex-b')
          .executeTakeFirst()
      )?.created_by,
    ).to.equal(null);
    expect(driver.calls).to.deep.equal([]);
    expect(a.teams.map((t) => t.state)).to.deep.equal(['pending', 'pending', 'pending']);
    const subnets = [
      ...(await Promise.all(['team-1', 'team-2', 'team-3'].map((t) => service.plan('ex-a', t)))),
      ...(await Promise.all(['team-1', 'team-2'].map((t) => service.plan('ex-b', t)))),
    ].map((p) => p.networks[0]!.subnet);
    expect(new Set(subnets).size).to.equal(5);
    expect(b.state).to.equal('created');
  });

  it('launches teams in parallel under the concurrency limit, retrying a failing team without holding back the others', async () => {
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 6,
      id: 'ex',
      secret: 'secret-cccc',
    });
    driver.failures.set('team-2', 2); // fails twice, then works
    driver.failures.set('team-5', 99); // never works
    const events: string[] = [];
    const result = await service.launch('ex', {
      concurrency: 2,
      attempts: 3,
      onEvent: (e) => e.kind === 'team' && events.push(`${e.team}:${e.state}:${e.attempt}`),
    });
    expect(driver.maxActive).to.equal(2);
    expect(result.teams.map((t) => `${t.id}:${t.state}:${t.attempts}`)).to.deep.equal([
      'team-1:ready:1',
      'team-2:ready:3',
      'team-3:ready:1',
      'team-4:ready:1',
      'team-5:failed:3',
      'team-6:ready:1',
    ]);
    expect(result.teams[4]!.lastError).to.equal('engine hiccup for team-5');
    expect(result.state).to.equal('running');
    expect(events).to.include.members([
      'team-2:retrying:1',
      'team-2:retrying:2',
      'team-2:ready:3',
      'team-5:failed:3',
    ]);
  });

  it('holds launch, reconcile and teardown to the configured concurrency when the call names none', async () => {
    const bounded = new ExerciseService({
      db: database.db,
      driver,
      subnetPool: '10.240.0.0/16',
      retryDelaysMs: [1],
      clock: () => now,
      concurrency: 3,
    });
    await bounded.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 10,
      id: 'wide',
      secret: 'secret-wwww',
    });
    const launched = await bounded.launch('wide');
    expect(launched.teams.every((t) => t.state === 'ready')).to.equal(true);
    expect(driver.maxActive, 'launch').to.equal(3);
    driver.maxActive = 0;
    await bounded.reconcile();
    expect(driver.maxActive, 'reconcile').to.equal(3);
    driver.maxActive = 0;
    await bounded.launch('wide', { concurrency: 5 }); // every team ready already: nothing to do
    expect(driver.maxActive, 'a launch of ready teams provisions none').to.equal(0);
    const ended = await bounded.teardown('wide');
    expect(ended.teams.every((t) => t.state === 'destroyed')).to.equal(true);
    expect(driver.maxDestroying, 'teardown').to.equal(3);
    expect(driver.environments.size).to.equal(0);
  });

  it('reconcile provisions an exercise left launching by a crash, and removes orphans of this installation only', async () => {
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 2,
      id: 'crashed',
      secret: 'secret-dddd',
      launching: true,
    });
    const installation = await service.installation();
    // an environment of an exercise this store does not know, from this installation and from another
    driver.environments.set('ghost/team-1', {
      exercise: { id: 'ghost' },
      team: { id: 'team-1' },
      labels: { 'cyrop.io/installation': installation },
    } as unknown as EnvironmentPlan);
    driver.environments.set('other/team-1', {
      exercise: { id: 'other' },
      team: { id: 'team-1' },
      labels: { 'cyrop.io/installation': 'someone-else' },
    } as unknown as EnvironmentPlan);
    const report = await service.reconcile();
    expect(report.converged.map((r) => r.team).sort()).to.deep.equal(['team-1', 'team-2']);
    expect(report.removedOrphans).to.deep.equal([{ exercise: 'ghost', team: 'team-1' }]);
    expect([...driver.environments.keys()].sort()).to.deep.equal([
      'crashed/team-1',
      'crashed/team-2',
      'other/team-1',
    ]);
    expect((await service.get('crashed')).state).to.equal('running');
  });

  it('reconcile reports a team that failed every attempt as failed, not converged', async () => {
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 2,
      id: 'half',
      secret: 'secret-hhhh',
      launching: true,
    });
    driver.failures.set('team-2', 99); // never works
    const report = await service.reconcile();
    expect(report.converged.map((r) => r.team)).to.deep.equal(['team-1']);
    expect(report.failed.map((f) => [f.ref.team, f.error])).to.deep.equal([
      ['team-2', 'engine hiccup for team-2'],
    ]);
  });

  it('tears down expired exercises on reconcile, and extend pushes the expiry back', async () => {
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 1,
      id: 'short',
      secret: 'secret-eeee',
      ttlMs: 60_000,
    });
    await service.launch('short');
    await service.extend('short', 60_000);
    expect((await service.get('short')).expiresAt).to.equal(now + 120_000);
    now += 90_000;
    expect((await service.reconcile()).expired).to.deep.equal([]);
    now += 60_000;
    expect((await service.reconcile()).expired).to.deep.equal(['short']);
    const ended = await service.get('short');
    expect(ended.state).to.equal('ended');
    expect(ended.teams[0]!.state).to.equal('destroyed');
    expect(driver.environments.size).to.equal(0);
    // the service audits what it did, the janitor's teardown as the platform's
    expect(audited.map((e) => [e.action, e.target, e.by.actor])).to.deep.equal([
      ['exercise.create', 'short', 'system'],
      ['exercise.extend', 'short', 'system'],
      ['exercise.expired', 'short', 'system'],
    ]);
  });

  it('tells listeners of each state change and extension (what pages are pushed), once per change', async () => {
    const told: string[] = [];
    const stop = service.onExerciseChanged((id) => {
      // read back as main.ts does: the change is stored before listeners are told
      void service.get(id).then((e) => told.push(`${e.state} ${e.expiresAt ?? 'none'}`));
    });
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 1,
      id: 'told',
      secret: 'secret-tttt',
      ttlMs: 60_000,
    });
    await service.launch('told');
    await service.reconcile(); // sets 'running' again: not a change
    await service.extend('told', 60_000);
    now += 200_000;
    await service.reconcile(); // expired: the janitor tears it down
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop();
    await service.extend('told', 1).catch(() => undefined);
    const start = now - 200_000;
    expect(told).to.deep.equal([
      `launching ${start + 60_000}`,
      `running ${start + 60_000}`,
      `running ${start + 120_000}`,
      `tearing-down ${start + 120_000}`,
      `ended ${start + 120_000}`,
    ]);
  });

  it('counts a team’s hosts ready as the engine reports them, and tells team listeners (what instructors are pushed)', async () => {
    mkdirSync(path.join(dir, 'two'));
    writeFileSync(
      path.join(dir, 'two', 'scenario.yaml'),
      SCENARIO.replace(
        '  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }',
        '  - { name: a, image: cyrop/attacker:1, networks: [lan], console: true }\n' +
          '  - { name: b, image: cyrop/attacker:1, networks: [lan] }',
      ),
    );
    // the engine reports `a` ready (a started container alone is not), then waits before `b`
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached: () => void = () => undefined;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    const provision = driver.provision.bind(driver);
    driver.provision = async (plan: EnvironmentPlan, options?: ProvisionOptions) => {
      options?.onProgress?.({ kind: 'host', host: 'a', state: 'started' });
      options?.onProgress?.({ kind: 'host', host: 'b', state: 'started' });
      options?.onProgress?.({ kind: 'host', host: 'a', state: 'ready' });
      reached();
      await gate;
      options?.onProgress?.({ kind: 'host', host: 'b', state: 'ready' });
      return provision(plan);
    };
    const told: string[] = [];
    const stop = service.onTeamChanged((c) =>
      told.push(`${c.exercise} ${c.team} ${c.state} ${c.readyHosts}`),
    );
    await service.create({ scenarioPath: path.join(dir, 'two'), teams: 1, id: 'two', secret: 'secret-2222' });
    expect((await service.get('two')).teams[0]).to.include({ state: 'pending', readyHosts: 0 });
    const launching = service.launch('two');
    await atGate;
    expect((await service.get('two')).teams[0]).to.include({ state: 'provisioning', readyHosts: 1 });
    release();
    await launching;
    expect((await service.get('two')).teams[0]).to.include({ state: 'ready', readyHosts: 2 });
    // the janitor's reconcile provisions the ready team again: its hosts stay counted
    await service.reconcile();
    await service.teardown('two');
    expect((await service.get('two')).teams[0]).to.include({ state: 'destroyed', readyHosts: 0 });
    stop();
    expect(told).to.deep.equal([
      'two team-1 provisioning 0',
      'two team-1 provisioning 1',
      'two team-1 provisioning 2',
      'two team-1 ready 2',
      'two team-1 provisioning 2',
      'two team-1 ready 2',
      'two team-1 destroyed 0',
    ]);
  });

  it('an ended exercise refuses reset and extend: its hosts never come back with no lifetime', async () => {
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 1,
      id: 'over',
      secret: 'secret-over',
    });
    await service.launch('over');
    await service.teardown('over');
    driver.calls.length = 0;
    for (const attempt of [
      () => service.reset('over', 'team-1'),
      () => service.reset('over', 'team-1', 'web'),
      () => service.extend('over', 60_000),
    ]) {
      try {
        await attempt();
        expect.fail('accepted after the end');
      } catch (error) {
        expect(error).to.have.property('code', 'EXERCISE_ENDED');
        expect((error as Error).message).to.match(/has ended/);
      }
    }
    expect(driver.calls).to.deep.equal([]);
    expect(driver.environments.size).to.equal(0);
    expect((await service.get('over')).expiresAt).to.equal(null);
    // refused actions leave no audit entry
    expect(audited.map((e) => e.action)).to.deep.equal(['exercise.create', 'exercise.teardown']);
  });

  it("audits each change with who asked, from where, in the exercise organisation's trail", async () => {
    const instructor = {
      kind: 'user',
      userId: 'u-1',
      orgId: 'org-a',
      role: 'instructor',
      name: 'I',
    } as const;
    const by = { actor: instructor, ip: '192.0.2.7' };
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 2,
      id: 'audited',
      secret: 'secret-audit',
      orgId: 'org-a',
      by,
    });
    await service.launch('audited');
    await service.reset('audited', 'team-2', 'box', { by });
    await service.extend('audited', 60_000, by);
    await service.teardown('audited', by);
    expect(audited.map((e) => [e.action, e.target, e.details])).to.deep.equal([
      [
        'exercise.create',
        'audited',
        { scenario: 'unit@1.0.0', contentHash: audited[0]!.details.contentHash, teams: 2 },
      ],
      ['exercise.reset', 'audited/team-2', { host: 'box' }],
      ['exercise.extend', 'audited', { byMs: 60_000, expiresAt: new Date(now + 60_000).toISOString() }],
      ['exercise.teardown', 'audited', {}],
    ]);
    expect(audited[0]!.details.contentHash).to.match(/^[0-9a-f]{64}$/);
    for (const entry of audited) {
      expect(entry.by).to.deep.equal(by);
      expect(entry.orgId).to.equal('org-a');
    }
    // the launcher is recorded with the exercise (an instructor's class, for analytics)
    const row = await database.db
      .selectFrom('exercises')
      .select('created_by')
      .where('id', '=', 'audited')
      .executeTakeFirstOrThrow();
    expect(row.created_by).to.equal('u-1');
  });

  it('refuses a second exercise with the same id, and an invalid scenario with its problems', async () => {
    await service.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: 1,
      id: 'dup',
      secret: 'secret-ffff',
    });
    try {
      await service.create({
        scenarioPath: path.join(dir, 'scenario'),
        teams: 1,
        id: 'dup',
        secret: 'secret-ffff',
      });
      expect.fail('created twice');
    } catch (error) {
      expect(error).to.have.property('code', 'CONFLICT');
    }
    writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), SCENARIO.replace('points: 1', 'points: lots'));
    try {
      await service.create({ scenarioPath: path.join(dir, 'scenario'), teams: 1 });
      expect.fail('created from an invalid scenario');
    } catch (error) {
      expect(error).to.have.property('code', 'SCENARIO_INVALID');
      expect((error as Error).message).to.contain('/objectives/0/points  must be an integer');
    }
  });

  it('runLimited never runs more than the limit at once and runs everything', async () => {
    let active = 0;
    let max = 0;
    const done: number[] = [];
    await runLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      active++;
      max = Math.max(max, active);
      await new Promise((r) => setTimeout(r, 2));
      active--;
      done.push(n);
    });
    expect(max).to.equal(3);
    expect(done.sort()).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
  });
});
