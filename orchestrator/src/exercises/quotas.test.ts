import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { CyropError } from '../errors.ts';
import {
  ALL_CAPABILITIES,
  type EnvironmentRef,
  type EnvironmentStatus,
  type RuntimeDriver,
} from '../runtime/runtime-driver.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { ExerciseService } from './exercise-service.ts';
import {
  extendedExpiry,
  formatLifetime,
  lifetimeFor,
  quotaProblems,
  QuotaBook,
  usageOfPlans,
  ZERO_USAGE,
  type QuotaLimits,
} from './quotas.ts';

const GI = 1024 ** 3;
const H = 3_600_000;
const D = 24 * H;

const LIMITS: QuotaLimits = {
  exercises: 2,
  teams: 5,
  hosts: 10,
  cpu: 4,
  memoryBytes: 8 * GI,
  diskBytes: 20 * GI,
  defaultTtlMs: 4 * H,
  maxTtlMs: 7 * D,
};

/** Two hosts per team: 1 CPU + 0.5 CPU, 1 GiB + 512 MiB, 2 GiB + 1 GiB of disk. */
const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: quota, version: 1.0.0, title: Quota, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true, resources: { cpu: 1, memory: 1Gi, disk: 2Gi } }
  - { name: web, image: cyrop/attacker:1, networks: [lan], resources: { cpu: 0.5, memory: 512Mi, disk: 1Gi } }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/** Creates nothing: quotas are decided before the engine is touched. */
class NullDriver implements RuntimeDriver {
  readonly engine = 'docker' as const;
  readonly capabilities = ALL_CAPABILITIES;
  destroyed: string[] = [];
  provision(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    return this.status({ exercise: plan.exercise.id, team: plan.team.id });
  }
  status(ref: EnvironmentRef): Promise<EnvironmentStatus> {
    return Promise.resolve({ ref, networks: [], hosts: [], ready: true });
  }
  exec(): never {
    throw new Error('not used');
  }
  openShell(): never {
    throw new Error('not used');
  }
  resetHost(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    return this.provision(plan);
  }
  destroy(ref: EnvironmentRef): Promise<void> {
    this.destroyed.push(ref.exercise);
    return Promise.resolve();
  }
  list(): Promise<EnvironmentRef[]> {
    return Promise.resolve([]);
  }
}

const refusal = async (p: Promise<unknown>): Promise<CyropError> => {
  try {
    await p;
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    return error as CyropError;
  }
  throw new Error('expected a refusal');
};

describe('quotas: the arithmetic', () => {
  it('sums teams, hosts and host resources of plans, counting each exercise once', () => {
    const host = (cpu: number) => ({ resources: { cpu, memoryBytes: GI, pids: 100, diskBytes: 2 * GI } });
    const plan = (exercise: string, cpus: number[]) =>
      ({ exercise: { id: exercise }, hosts: cpus.map(host) }) as unknown as EnvironmentPlan;
    expect(usageOfPlans([plan('a', [1, 0.5]), plan('a', [1, 0.5]), plan('b', [0.25])])).to.deep.equal({
      exercises: 2,
      teams: 3,
      hosts: 5,
      cpu: 3.25,
      memoryBytes: 5 * GI,
      diskBytes: 10 * GI,
    });
  });

  it('names each quota exceeded with its limit, what is in use and what is asked; exactly at the limit fits', () => {
    const inUse = { exercises: 1, teams: 3, hosts: 6, cpu: 3.5, memoryBytes: 6 * GI, diskBytes: 12 * GI };
    expect(quotaProblems(LIMITS, inUse, { exercises: 1, teams: 2, hosts: 4, cpu: 0.5 })).to.deep.equal([]);
    expect(
      quotaProblems(LIMITS, inUse, { exercises: 2, teams: 3, cpu: 0.75, memoryBytes: 3 * GI, diskBytes: GI }),
    ).to.deep.equal([
      'live exercises: the limit is 2, 1 in use, this needs 2 more',
      'teams: the limit is 5, 3 in use, this needs 3 more',
      'CPUs: the limit is 4, 3.5 in use, this needs 0.75 more',
      'memory: the limit is 8Gi, 6Gi in use, this needs 3Gi more',
    ]);
    // 0.1 + 0.2 CPUs is 0.3, not a refusal by a floating-point hair
    expect(quotaProblems({ ...LIMITS, cpu: 0.3 }, { ...ZERO_USAGE, cpu: 0.1 }, { cpu: 0.2 })).to.deep.equal(
      [],
    );
  });

  it('gives a launch without a ttl the default lifetime and refuses one past the maximum, naming it', () => {
    expect(lifetimeFor(LIMITS, undefined)).to.equal(4 * H);
    expect(lifetimeFor(LIMITS, 7 * D)).to.equal(7 * D);
    expect(lifetimeFor({ ...LIMITS, maxTtlMs: 2 * H }, undefined)).to.equal(2 * H);
    expect(() => lifetimeFor(LIMITS, 8 * D))
      .to.throw(CyropError, /ttl 8d is longer than the maximum lifetime of an exercise, 7d/)
      .with.property('code', 'QUOTA_EXCEEDED');
  });

  it('extends from the later of now and the expiry, never past the creation plus the maximum', () => {
    const exercise = { createdAt: 0, expiresAt: 4 * H };
    expect(extendedExpiry(LIMITS, exercise, 2 * H, H)).to.equal(6 * H);
    expect(extendedExpiry(LIMITS, { createdAt: 0, expiresAt: H }, 2 * H, 3 * H)).to.equal(5 * H);
    expect(extendedExpiry(LIMITS, exercise, 7 * D - 4 * H, H)).to.equal(7 * D);
    expect(() => extendedExpiry(LIMITS, exercise, 7 * D, H))
      .to.throw(CyropError, /at most 7d from its creation: it can be extended by at most 6d20h more/)
      .with.property('code', 'QUOTA_EXCEEDED');
  });

  it('writes lifetimes in the API duration syntax', () => {
    expect(formatLifetime(7 * D)).to.equal('7d');
    expect(formatLifetime(4 * H + 30 * 60_000)).to.equal('4h30m');
    expect(formatLifetime(0)).to.equal('0ms');
  });
});

describe('quotas: the exercise service with a quota book (in-memory engine)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let driver: NullDriver;
  let quotas: QuotaBook;
  let service: ExerciseService;
  let now = 1_000_000;
  const scenarioPath = () => path.join(dir, 'scenario');

  beforeEach(async () => {
    now = 1_000_000;
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-quota-'));
    mkdirSync(path.join(dir, 'scenario'));
    writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), SCENARIO);
    database = await openDatabase(path.join(dir, 'data'));
    driver = new NullDriver();
    quotas = new QuotaBook(database.db, LIMITS, () => now);
    service = new ExerciseService({
      db: database.db,
      driver,
      subnetPool: '10.241.0.0/16',
      retryDelaysMs: [1],
      clock: () => now,
      quotas,
    });
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts live exercises of one organisation and refuses the launch past a quota, creating nothing', async () => {
    await service.create({ scenarioPath: scenarioPath(), teams: 2, id: 'a1', orgId: 'org-a' });
    expect(await quotas.usage('org-a')).to.deep.equal({
      exercises: 1,
      teams: 2,
      hosts: 4,
      cpu: 3,
      memoryBytes: 3 * GI,
      diskBytes: 6 * GI,
    });
    // 2 more teams would need 6 CPUs in all: over 4
    const cpu = await refusal(
      service.create({ scenarioPath: scenarioPath(), teams: 2, id: 'a2', orgId: 'org-a' }),
    );
    expect(cpu.code).to.equal('QUOTA_EXCEEDED');
    expect(cpu.message).to.contain("organisation 'org-a' has reached its quota");
    expect(cpu.message).to.contain('CPUs: the limit is 4, 3 in use, this needs 3 more');
    expect((await service.list()).map((e) => e.id)).to.deep.equal(['a1']);
    // the teams quota is refused before compiling
    const teams = await refusal(service.create({ scenarioPath: scenarioPath(), teams: 4, orgId: 'org-a' }));
    expect(teams.message).to.contain('teams: the limit is 5, 2 in use, this needs 4 more');
    // another organisation has its own quota
    await service.create({ scenarioPath: scenarioPath(), teams: 2, id: 'b1', orgId: 'org-b' });
    // an ended exercise no longer counts
    await service.teardown('a1');
    await service.create({ scenarioPath: scenarioPath(), teams: 2, id: 'a3', orgId: 'org-a' });
  });

  it('lets two parallel launches at the edge of the quota pass one at most', async () => {
    await quotas.set('org-a', { exercises: 1 });
    const results = await Promise.allSettled(
      ['p1', 'p2', 'p3'].map((id) =>
        service.create({ scenarioPath: scenarioPath(), teams: 1, id, orgId: 'org-a' }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as CyropError).code).to.equal('QUOTA_EXCEEDED');
    expect((await quotas.usage('org-a')).exercises).to.equal(1);
  });

  it("applies an organisation's own row over the platform defaults, null columns falling back", async () => {
    await quotas.set('org-a', { teams: 50, maxTtlMs: 30 * D });
    expect(await quotas.limitsFor('org-a')).to.deep.equal({ ...LIMITS, teams: 50, maxTtlMs: 30 * D });
    expect(await quotas.limitsFor('org-b')).to.deep.equal(LIMITS);
    await quotas.set('org-a', { teams: null });
    expect(await quotas.limitsFor('org-a')).to.deep.equal(LIMITS);
  });

  it('gives every exercise an expiry, refuses a ttl or an extension past the maximum, and the janitor ends it', async () => {
    const plain = await service.create({ scenarioPath: scenarioPath(), teams: 1, id: 'ttl', orgId: 'org-a' });
    expect(plain.expiresAt).to.equal(now + 4 * H);
    const long = await refusal(
      service.create({ scenarioPath: scenarioPath(), teams: 1, orgId: 'org-a', ttlMs: 8 * D }),
    );
    expect(long.code).to.equal('QUOTA_EXCEEDED');
    expect(long.message).to.contain('maximum lifetime of an exercise, 7d');
    expect((await service.extend('ttl', D)).expiresAt).to.equal(1_000_000 + 4 * H + D);
    const past = await refusal(service.extend('ttl', 7 * D));
    expect(past.message).to.contain('at most 7d from its creation');
    expect((await service.get('ttl')).expiresAt).to.equal(1_000_000 + 4 * H + D);
    now += 4 * H + D;
    const report = await service.reconcile();
    expect(report.expired).to.deep.equal(['ttl']);
    expect((await service.get('ttl')).state).to.equal('ended');
  });

  it('gives a live exercise from before lifetimes (no expiry) the default at the next reconcile', async () => {
    await service.create({ scenarioPath: scenarioPath(), teams: 1, id: 'old', orgId: 'org-a' });
    await database.db.updateTable('exercises').set({ expires_at: null }).where('id', '=', 'old').execute();
    now += H;
    await service.reconcile();
    expect((await service.get('old')).expiresAt).to.equal(now + 4 * H);
  });
});
