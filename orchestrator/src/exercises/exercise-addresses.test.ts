import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { blockOf, overlaps } from '../compiler/ipv4.ts';
import { CyropError } from '../errors.ts';
import {
  ALL_CAPABILITIES,
  type AddressBlockInUse,
  type EnvironmentRef,
  type EnvironmentStatus,
  type RuntimeDriver,
} from '../runtime/runtime-driver.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { ExerciseService } from './exercise-service.ts';

const scenario = (subnet?: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: addr, version: 1.0.0, title: Addresses, category: other, difficulty: beginner }
networks:
  - name: lan${subnet ? `\n    subnet: ${subnet}` : ''}
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true, env: { ME: "{{hosts.box.address.lan}}" } }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/** An engine that reports blocks in use and, once per listed team, loses a block to someone else at provision time. */
class AddressFakeDriver implements RuntimeDriver {
  readonly engine = 'docker' as const;
  readonly capabilities = ALL_CAPABILITIES;
  inUse: AddressBlockInUse[] = [];
  /** Teams whose first provisioning finds its subnet just taken by a foreign network. */
  raceFor = new Set<string>();
  provisioned = new Map<string, EnvironmentPlan>();

  provision(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    for (const n of plan.networks) {
      const mine = blockOf(n.subnet)!;
      if (this.raceFor.delete(plan.team.id))
        this.inUse.push({ block: n.subnet, owner: "Docker network 'racer' (compose project other)" });
      const taken = this.inUse.find((u) => overlaps(blockOf(u.block)!, mine));
      if (taken)
        return Promise.reject(
          new CyropError(
            'SUBNET_CONFLICT',
            `subnet ${n.subnet} overlaps ${taken.block}, in use by ${taken.owner}`,
          ),
        );
    }
    this.provisioned.set(plan.team.id, plan);
    return this.status({ exercise: plan.exercise.id, team: plan.team.id });
  }
  status(ref: EnvironmentRef): Promise<EnvironmentStatus> {
    return Promise.resolve({ ref, networks: [], hosts: [], ready: true });
  }
  addressesInUse(): Promise<AddressBlockInUse[]> {
    return Promise.resolve([...this.inUse]);
  }
  exec(): never {
    throw new Error('not used');
  }
  openShell(): never {
    throw new Error('not used');
  }
  resetHost(_plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    return Promise.reject(new Error('not used'));
  }
  destroy(): Promise<void> {
    return Promise.resolve();
  }
  list(): Promise<EnvironmentRef[]> {
    return Promise.resolve([]);
  }
}

describe('ExerciseService: addresses (allocation around what is in use)', () => {
  let dir: string;
  let database: OpenedDatabase;
  let driver: AddressFakeDriver;
  const service = (extra: { subnetPool?: string; fixedSubnetPools?: string[] } = {}) =>
    new ExerciseService({
      db: database.db,
      driver,
      subnetPool: extra.subnetPool ?? '10.253.0.0/16',
      ...(extra.fixedSubnetPools ? { fixedSubnetPools: extra.fixedSubnetPools } : {}),
      retryDelaysMs: [1],
    });
  const write = (text: string) => writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), text);
  const scenarioPath = () => path.join(dir, 'scenario');

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-addr-'));
    mkdirSync(path.join(dir, 'scenario'));
    write(scenario());
    database = await openDatabase(path.join(dir, 'data'));
    driver = new AddressFakeDriver();
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans around the networks the engine and the host already use', async () => {
    driver.inUse = [
      { block: '10.253.0.0/24', owner: "Docker network 'shop_default'" },
      { block: '10.253.2.0/23', owner: 'host route 10.253.2.0/23 dev eth1' },
    ];
    const s = service();
    await s.create({ scenarioPath: scenarioPath(), teams: 3, id: 'ex', secret: 'secret-addr' });
    const subnets = await Promise.all(
      ['team-1', 'team-2', 'team-3'].map(async (t) => (await s.plan('ex', t)).networks[0]!.subnet),
    );
    expect(subnets).to.deep.equal(['10.253.1.0/24', '10.253.4.0/24', '10.253.5.0/24']);
  });

  it('on a conflict at provisioning, plans the team again, stores the new plan and launches it', async () => {
    const s = service();
    await s.create({ scenarioPath: scenarioPath(), teams: 3, id: 'ex', secret: 'secret-addr' });
    const before = await s.plan('ex', 'team-2');
    driver.raceFor.add('team-2');
    const events: string[] = [];
    const result = await s.launch('ex', {
      onEvent: (e) => e.kind === 'team' && events.push(`${e.team}:${e.state}`),
    });
    expect(result.teams.map((t) => t.state)).to.deep.equal(['ready', 'ready', 'ready']);
    const after = await s.plan('ex', 'team-2');
    expect(after.networks[0]!.subnet).to.not.equal(before.networks[0]!.subnet);
    const others = [before, await s.plan('ex', 'team-1'), await s.plan('ex', 'team-3')];
    for (const o of others)
      // clear of the racer (team 2's old block) and of teams 1 and 3
      expect(overlaps(blockOf(after.networks[0]!.subnet)!, blockOf(o.networks[0]!.subnet)!)).to.equal(false);
    const address = after.hosts[0]!.networks[0]!.address;
    expect(address).to.equal(after.networks[0]!.subnet.replace(/0\/24$/, '10'));
    expect(after.hosts[0]!.env.ME).to.equal(address); // templates rendered again
    expect(after.hash).to.not.equal(before.hash);
    expect(driver.provisioned.get('team-2')).to.deep.equal(after);
    expect(events).to.include('team-2:retrying');
    const row = await database.db
      .selectFrom('exercise_teams')
      .select(['plan_hash'])
      .where('team_id', '=', 'team-2')
      .executeTakeFirstOrThrow();
    expect(row.plan_hash).to.equal(after.hash);
  });

  it('answers an exhausted pool with POOL_EXHAUSTED (409), stores nothing, and the next exercise still fits once room is made', async () => {
    const s = service({ subnetPool: '10.253.0.0/22' });
    await s.create({ scenarioPath: scenarioPath(), teams: 3, id: 'big', secret: 'secret-addr' });
    try {
      await s.create({ scenarioPath: scenarioPath(), teams: 2, id: 'other', secret: 'secret-addr' });
      expect.fail('created');
    } catch (error) {
      expect(error).to.be.instanceOf(CyropError).with.property('code', 'POOL_EXHAUSTED');
      expect((error as Error).message).to.match(
        /subnet pool 10\.253\.0\.0\/22 has no free block left for team 2, network 'lan'.*in use by exercise big/,
      );
    }
    expect((await s.list()).map((e) => e.id)).to.deep.equal(['big']);
    await s.teardown('big');
    await s.create({ scenarioPath: scenarioPath(), teams: 2, id: 'other', secret: 'secret-addr' });
  });

  it('refuses a fixed subnet unless the operator allows its pool, and one that overlaps something in use', async () => {
    write(scenario('192.0.2.0/24'));
    try {
      await service().create({ scenarioPath: scenarioPath(), teams: 1, id: 'fixed', secret: 'secret-addr' });
      expect.fail('created');
    } catch (error) {
      expect(error).to.have.property('code', 'SCENARIO_INVALID');
      expect((error as Error).message).to.match(
        /scenario\.yaml:6:13 {2}\/networks\/0\/subnet {2}fixed subnet 192\.0\.2\.0\/24 of network 'lan' is outside .*none are configured/,
      );
    }
    driver.inUse = [{ block: '192.0.2.0/24', owner: 'host route 192.0.2.0/24 dev eth0' }];
    try {
      await service({ fixedSubnetPools: ['192.0.2.0/24'] }).create({
        scenarioPath: scenarioPath(),
        teams: 1,
        id: 'fixed',
        secret: 'secret-addr',
      });
      expect.fail('created');
    } catch (error) {
      expect(error).to.have.property('code', 'SUBNET_CONFLICT');
      expect((error as Error).message).to.contain('in use by host route 192.0.2.0/24 dev eth0');
    }
    driver.inUse = [];
    const ok = await service({ fixedSubnetPools: ['192.0.2.0/24'] }).create({
      scenarioPath: scenarioPath(),
      teams: 1,
      id: 'fixed',
      secret: 'secret-addr',
    });
    expect(ok.teams).to.have.length(1);
  });
});

/** An engine that gives hosts addresses of its own (as Kubernetes does): a new one on each (re)creation. */
class AssigningFakeDriver extends AddressFakeDriver {
  next = 7;
  given: EnvironmentPlan[] = [];
  override provision(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    this.given.push(plan);
    return this.assigned(plan);
  }
  override resetHost(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    this.given.push(plan);
    return this.assigned(plan);
  }
  private assigned(plan: EnvironmentPlan): Promise<EnvironmentStatus> {
    const address = `10.244.0.${this.next++}`;
    return Promise.resolve({
      ref: { exercise: plan.exercise.id, team: plan.team.id },
      networks: [],
      hosts: [],
      ready: true,
      addresses: { box: { lan: address } },
    });
  }
}

describe('ExerciseService: addresses the engine assigns (late binding)', () => {
  let dir: string;
  let database: OpenedDatabase;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-bound-'));
    mkdirSync(path.join(dir, 'scenario'));
    writeFileSync(
      path.join(dir, 'scenario', 'scenario.yaml'),
      scenario().replace('answers: ["a"]', 'answers: ["{{hosts.box.address.lan}}"]'),
    );
    database = await openDatabase(path.join(dir, 'data'));
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('states the plan with the addresses the hosts got, gives the engine the planned one, and tells listeners', async () => {
    const driver = new AssigningFakeDriver();
    const s = new ExerciseService({
      db: database.db,
      driver,
      subnetPool: '10.253.0.0/16',
      retryDelaysMs: [1],
    });
    const told: string[] = [];
    s.onAddressesBound((exercise, team) => told.push(`${exercise}/${team}`));
    await s.create({ scenarioPath: path.join(dir, 'scenario'), teams: 1, id: 'ex', secret: 'secret-addr' });
    const planned = await s.plan('ex', 'team-1');
    expect(planned.objectives[0]!.question!.answers).to.deep.equal(['10.253.0.10']);

    await s.launch('ex');
    const bound = await s.plan('ex', 'team-1');
    expect(bound.objectives[0]!.question!.answers).to.deep.equal(['10.244.0.7']);
    expect(bound.hosts[0]!.env.ME).to.equal('10.244.0.7');
    expect(bound.hash).to.equal(planned.hash);
    expect(driver.given).to.deep.equal([planned]); // the desired state, never the bound view
    expect(told).to.deep.equal(['ex/team-1']);

    await s.reset('ex', 'team-1', 'box');
    expect((await s.plan('ex', 'team-1')).objectives[0]!.question!.answers).to.deep.equal(['10.244.0.8']);
    expect(driver.given).to.deep.equal([planned, planned]);
    expect(told).to.deep.equal(['ex/team-1', 'ex/team-1']);
  });

  it('keeps the planned addresses on an engine that honours them (no addresses reported)', async () => {
    const s = new ExerciseService({
      db: database.db,
      driver: new AddressFakeDriver(),
      subnetPool: '10.253.0.0/16',
      retryDelaysMs: [1],
    });
    const told: string[] = [];
    s.onAddressesBound((exercise) => told.push(exercise));
    await s.create({ scenarioPath: path.join(dir, 'scenario'), teams: 1, id: 'ex', secret: 'secret-addr' });
    await s.launch('ex');
    expect((await s.plan('ex', 'team-1')).objectives[0]!.question!.answers).to.deep.equal(['10.253.0.10']);
    expect(told).to.deep.equal([]);
  });
});
