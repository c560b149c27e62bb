import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_CAPABILITIES, type RuntimeDriver } from '../runtime/runtime-driver.ts';
import { ScenarioCompiler } from '../scenarios/scenario-compiler.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { ExerciseService } from './exercise-service.ts';

// A shipped scenario: no fixed subnets, so two teams plan side by side.
const EXAMPLE = fileURLToPath(new URL('../../../scenarios/web-sqli-pivot', import.meta.url));
const INVALID = fileURLToPath(
  new URL('../../../tests/fixtures/invalid/flag-regex-lookahead.yaml', import.meta.url),
);

/** Creating an exercise does not touch the engine: a driver that only names itself is enough. */
const driver = { engine: 'docker', capabilities: ALL_CAPABILITIES } as RuntimeDriver;

describe('ExerciseService with a bounded compiler (scenarios compiled and planned in a worker)', function () {
  this.timeout(30_000);
  let dir: string;
  const databases: OpenedDatabase[] = [];
  const compiler = new ScenarioCompiler();
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-exsvc-bounded-'));
  });
  after(async () => {
    for (const d of databases) await d.close();
    await compiler.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const service = async (name: string, withCompiler: boolean) => {
    const database = await openDatabase(path.join(dir, name));
    databases.push(database);
    return new ExerciseService({
      db: database.db,
      driver,
      subnetPool: '10.251.0.0/16',
      clock: () => 1_000,
      ...(withCompiler ? { compiler } : {}),
    });
  };

  it('stores the same plans as the synchronous path, and refuses an invalid scenario with its problems', async () => {
    const bounded = await service('bounded', true);
    const direct = await service('direct', false);
    const request = { scenarioPath: EXAMPLE, teams: 2, id: 'ex-a', secret: 'secret-aaaa' };
    const a = await bounded.create(request);
    const b = await direct.create(request);
    expect(a.teams.map((t) => t.id)).to.deep.equal(b.teams.map((t) => t.id));
    // Each store is an installation of its own (its label differs); what was planned is the same.
    const planned = async (svc: ExerciseService, team: string) => {
      const { networks, hosts, objectives } = await svc.plan('ex-a', team);
      return { networks, hosts, objectives };
    };
    for (const team of ['team-1', 'team-2'])
      expect(await planned(bounded, team)).to.deep.equal(await planned(direct, team));
    try {
      await bounded.create({ ...request, scenarioPath: INVALID, id: 'ex-b' });
      expect.fail('an invalid scenario was accepted');
    } catch (error) {
      expect(error).to.have.property('code', 'SCENARIO_INVALID');
      expect((error as Error).message).to.contain('lookahead');
    }
  });
});
