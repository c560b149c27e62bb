import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { blockOf, formatCidr, overlaps } from '../../orchestrator/src/compiler/ipv4.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { CyropError } from '../../orchestrator/src/errors.ts';
import { ExerciseService, type LaunchEvent } from '../../orchestrator/src/exercises/exercise-service.ts';
import { startPlatform } from '../../orchestrator/src/main.ts';
import { DockerRuntimeDriver } from '../../orchestrator/src/runtime/docker/docker-runtime-driver.ts';
import { hasRule, kernelHasIpv6 } from '../../orchestrator/src/runtime/docker/host-firewall.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { ensureTestImage } from '../contract/test-images.ts';
import { cyrop } from '../integration/helpers.ts';

const scenario = (image: string, subnet?: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: addresses, version: 1.0.0, title: Addresses, category: other, difficulty: beginner }
networks:
  - name: lan${subnet ? `\n    subnet: ${subnet}` : ''}
hosts:
  - name: box
    image: ${image}
    networks: [lan]
    console: true
    resources: { cpu: 0.2, memory: 64Mi, pids: 32 }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

interface Installation {
  dir: string;
  database: OpenedDatabase;
  exercises: ExerciseService;
  scenarioDir: string;
}

/**
 * Team subnets never collide with what the engine and the host already use: foreign Docker networks
 * (a compose project, a second CYROP installation) are avoided when planning and, when one appears
 * after planning, the team is planned again; fixed subnets only inside the operator's pools; an
 * exhausted pool is a 409 with a reason, also on the CLI's stderr. Pools: 10.253.0.0/16 and
 * 10.254.0.0/16 (used by no other suite). Every network and container made here is removed.
 */
describe('addresses on a shared Docker engine', function () {
  this.timeout(240_000);
  const docker = new Docker();
  let image: string;
  let driver: DockerRuntimeDriver;
  const installations: Installation[] = [];
  const foreign: string[] = [];
  const tag = `addr${process.pid}`;

  const install = async (
    options: { pool?: string; fixedSubnetPools?: string[]; subnet?: string; image?: string } = {},
  ): Promise<Installation> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-addresses-'));
    const scenarioDir = path.join(dir, 'scenario');
    mkdirSync(scenarioDir);
    writeFileSync(path.join(scenarioDir, 'scenario.yaml'), scenario(options.image ?? image, options.subnet));
    const database = await openDatabase(path.join(dir, 'data'));
    const exercises = new ExerciseService({
      db: database.db,
      driver,
      subnetPool: options.pool ?? '10.253.0.0/16',
      ...(options.fixedSubnetPools ? { fixedSubnetPools: options.fixedSubnetPools } : {}),
      retryDelaysMs: [200],
    });
    const made = { dir, database, exercises, scenarioDir };
    installations.push(made);
    return made;
  };
  const foreignNetwork = async (name: string, subnet: string) => {
    foreign.push(name);
    await docker.createNetwork({
      Name: name,
      Internal: true,
      IPAM: { Config: [{ Subnet: subnet }] },
      Labels: { 'com.docker.compose.project': tag },
    });
  };
  /** The subnets the engine really has for an exercise, by team. */
  const engineSubnets = async (exercise: string): Promise<Record<string, string>> => {
    const nets = await docker.listNetworks({
      filters: JSON.stringify({ label: [`cyrop.io/exercise=${exercise}`] }),
    });
    return Object.fromEntries(
      nets.map((n) => [n.Labels?.['cyrop.io/team'] ?? '', n.IPAM?.Config?.[0]?.Subnet ?? '']),
    );
  };
  const overlap = (a: string, b: string) => overlaps(blockOf(a)!, blockOf(b)!);

  before(async () => {
    image = await ensureTestImage(docker, 'box');
    driver = await DockerRuntimeDriver.connect();
  });
  after(async () => {
    for (const i of installations) {
      for (const e of await i.exercises.list()) {
        if (e.state !== 'ended') await i.exercises.teardown(e.id).catch(() => undefined);
      }
      await i.exercises.gc().catch(() => undefined);
      await i.database.close();
      rmSync(i.dir, { recursive: true, force: true });
    }
    for (const name of foreign)
      await docker
        .getNetwork(name)
        .remove()
        .catch(() => undefined);
  });

  it('avoids a foreign Docker network inside the pool: every team ready, none overlapping it', async () => {
    await foreignNetwork(`${tag}-compose`, '10.253.1.0/24'); // where team 2 would otherwise go
    const a = await install();
    await a.exercises.create({
      scenarioPath: a.scenarioDir,
      teams: 3,
      id: `${tag}-avoid`,
      secret: 'addr-secret',
    });
    const launched = await a.exercises.launch(`${tag}-avoid`);
    expect(launched.teams.map((t) => t.state)).to.deep.equal(['ready', 'ready', 'ready']);
    const subnets = await engineSubnets(`${tag}-avoid`);
    expect(Object.keys(subnets).sort()).to.deep.equal(['team-1', 'team-2', 'team-3']);
    for (const s of Object.values(subnets)) expect(overlap(s, '10.253.1.0/24'), s).to.equal(false);
    for (const t of ['team-1', 'team-2', 'team-3'])
      expect((await a.exercises.plan(`${tag}-avoid`, t)).networks[0]!.subnet).to.equal(subnets[t]);
    await a.exercises.teardown(`${tag}-avoid`);
  });

  it('plans a team again when a foreign network takes its block after planning, and stores the new plan', async () => {
    const a = await install();
    const id = `${tag}-race`;
    await a.exercises.create({ scenarioPath: a.scenarioDir, teams: 2, id, secret: 'addr-secret' });
    const planned = (await a.exercises.plan(id, 'team-2')).networks[0]!.subnet;
    await foreignNetwork(`${tag}-late`, planned);
    const launched = await a.exercises.launch(id);
    expect(launched.teams.map((t) => t.state)).to.deep.equal(['ready', 'ready']);
    const stored = await a.exercises.plan(id, 'team-2');
    const subnets = await engineSubnets(id);
    expect(stored.networks[0]!.subnet).to.not.equal(planned);
    expect(subnets['team-2']).to.equal(stored.networks[0]!.subnet);
    expect(overlap(subnets['team-2']!, planned)).to.equal(false);
    const box = await docker.getContainer(`cyrop-${id}-team-2-box`).inspect();
    expect(box.Config.Labels['cyrop.io/plan-hash']).to.equal(stored.hash);
    await a.exercises.teardown(id);
  });

  it('refuses a fixed subnet outside the operator pools with file:line, and launches one inside them', async () => {
    const outside = await install({ subnet: '10.253.77.0/24', fixedSubnetPools: ['10.254.0.0/16'] });
    try {
      await outside.exercises.create({ scenarioPath: outside.scenarioDir, teams: 1, secret: 'addr-secret' });
      expect.fail('a fixed subnet outside the pools was accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(CyropError).with.property('code', 'SCENARIO_INVALID');
      expect((error as Error).message).to.contain(
        `${path.join(outside.scenarioDir, 'scenario.yaml')}:6:13  /networks/0/subnet  fixed subnet 10.253.77.0/24 of network 'lan' is outside the fixed-subnet pools this platform allows (10.254.0.0/16)`,
      );
    }
    const inside = await install({ subnet: '10.254.77.0/24', fixedSubnetPools: ['10.254.0.0/16'] });
    const id = `${tag}-fixed`;
    await inside.exercises.create({ scenarioPath: inside.scenarioDir, teams: 1, id, secret: 'addr-secret' });
    expect((await inside.exercises.launch(id)).teams[0]!.state).to.equal('ready');
    expect(await engineSubnets(id)).to.deep.equal({ 'team-1': '10.254.77.0/24' });
    // The block is now in use: a second exercise fixing it is refused, naming the network that holds it.
    try {
      await inside.exercises.create({ scenarioPath: inside.scenarioDir, teams: 1, secret: 'addr-secret' });
      expect.fail('a fixed subnet in use was accepted');
    } catch (error) {
      expect(error).to.have.property('code', 'SUBNET_CONFLICT');
      expect((error as Error).message).to.match(
        /overlaps 10\.254\.77\.0\/24, in use by exercise addr\d+-fixed/,
      );
    }
    await inside.exercises.teardown(id);
  });

  it("refuses a fixed subnet the host already routes, even inside the operator pools, naming the host's route (H5)", async function () {
    // The block of one of this machine's own interfaces (not loopback, not an engine bridge).
    const own = Object.entries(os.networkInterfaces())
      .filter(([name]) => name !== 'lo' && !/^(docker|br-|cyr|veth)/.test(name))
      .flatMap(([name, addresses]) =>
        (addresses ?? []).filter((a) => a.family === 'IPv4' && a.cidr).map((a) => ({ name, cidr: a.cidr! })),
      )[0];
    if (!own) this.skip(); // no IPv4 interface of its own on this machine to collide with
    const block = formatCidr(blockOf(own.cidr)!);
    const i = await install({ subnet: block, fixedSubnetPools: [block] });
    try {
      await i.exercises.create({ scenarioPath: i.scenarioDir, teams: 1, secret: 'addr-secret' });
      expect.fail(`a fixed subnet on the host's own network ${block} was accepted`);
    } catch (error) {
      expect(error).to.have.property('code', 'SUBNET_CONFLICT');
      expect((error as Error).message).to.match(
        new RegExp(
          `scenario\\.yaml:6:13: fixed subnet ${block.replace(/\./g, '\\.')} of network 'lan' overlaps .*, in use by host (route|address) .*${own.name}`,
        ),
      );
    }
    expect(await i.exercises.list()).to.deep.equal([]); // nothing stored, nothing on the engine
  });

  it('launches two installations (different data directories) on one pool at the same moment', async () => {
    const a = await install();
    const b = await install();
    expect(await a.exercises.installation()).to.not.equal(await b.exercises.installation());
    // Both plan before either has created anything, so both plan the same blocks: the engine decides.
    await a.exercises.create({
      scenarioPath: a.scenarioDir,
      teams: 2,
      id: `${tag}-a`,
      secret: 'addr-secret',
    });
    await b.exercises.create({
      scenarioPath: b.scenarioDir,
      teams: 2,
      id: `${tag}-b`,
      secret: 'addr-secret',
    });
    const replans: string[] = [];
    const onEvent = (e: LaunchEvent) => {
      if (e.kind === 'team' && e.state === 'retrying') replans.push(e.detail ?? '');
    };
    const [ra, rb] = await Promise.all([
      a.exercises.launch(`${tag}-a`, { onEvent }),
      b.exercises.launch(`${tag}-b`, { onEvent }),
    ]);
    // Identical plans met on the engine: the loser of each block was planned again (not failed).
    expect(replans.length).to.be.greaterThan(0);
    for (const r of replans) expect(r).to.match(/subnet 10\.253\.\d+\.0\/24 of network 'lan' overlaps/);
    expect([...ra.teams, ...rb.teams].map((t) => t.state)).to.deep.equal([
      'ready',
      'ready',
      'ready',
      'ready',
    ]);
    const all = [
      ...Object.values(await engineSubnets(`${tag}-a`)),
      ...Object.values(await engineSubnets(`${tag}-b`)),
    ];
    expect(all).to.have.length(4);
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++)
        expect(overlap(all[i]!, all[j]!), `${all[i]} ${all[j]}`).to.equal(false);
    for (const [inst, id] of [
      [a, `${tag}-a`],
      [b, `${tag}-b`],
    ] as const) {
      const subnets = await engineSubnets(id);
      for (const t of ['team-1', 'team-2'])
        expect((await inst.exercises.plan(id, t)).networks[0]!.subnet).to.equal(subnets[t]);
    }
    // A later launch of either sees the other's networks and plans around them.
    const c = await install();
    await c.exercises.create({
      scenarioPath: c.scenarioDir,
      teams: 1,
      id: `${tag}-c`,
      secret: 'addr-secret',
    });
    const planned = (await c.exercises.plan(`${tag}-c`, 'team-1')).networks[0]!.subnet;
    for (const s of all) expect(overlap(planned, s), `${planned} ${s}`).to.equal(false);
    await c.exercises.teardown(`${tag}-c`);
    await a.exercises.teardown(`${tag}-a`);
    await b.exercises.teardown(`${tag}-b`);
  });

  it('answers an exhausted pool with 409 POOL_EXHAUSTED through the API, and the CLI says why on stderr', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-addresses-api-'));
    mkdirSync(path.join(dir, 'catalogue', 'addresses'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'addresses', 'scenario.yaml'), scenario(image));
    const dataDir = path.join(dir, 'data');
    const database = await openDatabase(dataDir);
    const password = (await new AccountService({ db: database.db }).ensureFirstOperator())!.password;
    await database.close();
    const pool = '10.253.200.0/23'; // room for two teams
    const platform = await startPlatform(
      loadConfig(
        { CYROP_SUBNET_POOL: pool },
        { port: 0, dataDir, scenariosDir: path.join(dir, 'catalogue') },
      ),
      pino({ level: 'silent' }),
    );
    const operator = apiClient(platform.url);
    let launched: string | undefined; // torn down in `finally` when the test fails before it does
    try {
      expect(
        (await operator('POST', '/api/auth/login', { email: 'admin@localhost', password })).status,
      ).to.equal(200);
      const changed = await operator('POST', '/api/auth/password', {
        currentPassword: password,
        newPassword: 'a much longer secret 1',
      });
      expect(changed.status).to.equal(200);
      const first = await operator('POST', '/api/exercises', { scenario: 'addresses', teams: 2 });
      expect(first.status, JSON.stringify(first.body)).to.equal(202);
      const id = first.body.id as string;
      launched = id;
      const second = await operator('POST', '/api/exercises', { scenario: 'addresses', teams: 1 });
      expect(second.status).to.equal(409);
      const error = second.body.error as { code: string; message: string };
      expect(error.code).to.equal('POOL_EXHAUSTED');
      expect(error.message).to.match(
        new RegExp(
          `subnet pool 10\\.253\\.200\\.0/23 has no free block left for team 1, network 'lan'.*in use by exercise ${id}`,
        ),
      );

      const cli = cyrop(['exercise', 'launch', path.join(dir, 'catalogue', 'addresses'), '--teams', '1'], {
        CYROP_DATA_DIR: dataDir,
        CYROP_SUBNET_POOL: pool,
      });
      expect(cli.status).to.equal(2);
      expect(cli.stderr).to.match(/^cyrop: subnet pool 10\.253\.200\.0\/23 has no free block left/m);

      // Let the first exercise finish launching before it is torn down (nothing left behind).
      for (let i = 0; i < 120; i++) {
        const status = (await operator('GET', `/api/exercises/${id}`)).body as { teams: { state: string }[] };
        if (status.teams.every((t) => t.state === 'ready' || t.state === 'failed')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect((await operator('DELETE', `/api/exercises/${id}`)).status).to.equal(200);
      launched = undefined;
    } finally {
      // A failure must not leave the pool's networks to the next run on this engine.
      if (launched) await operator('DELETE', `/api/exercises/${launched}`).catch(() => undefined);
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints why teams failed on stderr, whatever the output format', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-addresses-cli-'));
    try {
      mkdirSync(path.join(dir, 'scenario'));
      writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), scenario('cyrop-test/never-built:0'));
      const cli = cyrop(
        [
          'exercise',
          'launch',
          path.join(dir, 'scenario'),
          '--teams',
          '1',
          '--id',
          `${tag}-cli`,
          '--format',
          'json',
        ],
        { CYROP_DATA_DIR: path.join(dir, 'data'), CYROP_SUBNET_POOL: '10.253.0.0/16' },
      );
      expect(cli.status).to.equal(1);
      expect(JSON.parse(cli.stdout)).to.have.nested.property('teams[0].state', 'failed');
      expect(cli.stderr).to.contain(
        `cyrop: ${tag}-cli/team-1 is failed: image cyrop-test/never-built:0 not built on this engine`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps team bridges away from the host over IPv6 too (ip6tables twin of the INPUT rule)', function () {
    if (!kernelHasIpv6()) this.skip(); // the kernel runs no IPv6: there is nothing to reach the host with
    try {
      execFileSync('ip6tables', ['-w', '-L', 'INPUT', '-n'], { stdio: 'ignore' });
    } catch {
      this.skip(); // no ip6tables (or no ip6_tables module) on this machine
    }
    return Promise.all([hasRule('iptables'), hasRule('ip6tables')]).then(([v4, v6]) => {
      expect(v4, 'iptables -C INPUT -i cyr+ -j DROP').to.equal(true);
      expect(v6, 'ip6tables -C INPUT -i cyr+ -j DROP').to.equal(true);
    });
  });
});
