import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeRuntimeDriver } from '../runtime/fake/fake-runtime-driver.ts';
import { CyropError } from '../errors.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import type { Diagnostic } from '../compiler/diagnostic.ts';
import { ExerciseService } from './exercise-service.ts';

const DEMANDING = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: demanding, version: 1.0.0, title: Demanding, category: other, difficulty: beginner }
networks:
  - name: lan
    subnet: 10.77.0.0/24
  - name: dmz
hosts:
  - name: attacker
    image: cyrop/attacker:1
    networks: [{ name: lan, address: 10.77.0.50 }, dmz]
    capabilities: [NET_RAW, NET_ADMIN]
    console: true
    resources: { disk: 2Gi }
  - name: target
    image: cyrop/attacker:1
    networks: [dmz]
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

const PLAIN = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: plain, version: 1.0.0, title: Plain, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true, capabilities: [NET_RAW] }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

describe('launch against engine capabilities (a fake engine that declares fewer)', () => {
  let dir: string;
  let database: OpenedDatabase;

  const scenario = (name: string, text: string) => {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'scenario.yaml'), text);
    return path.join(dir, name);
  };
  const service = (driver: FakeRuntimeDriver, diskLimits?: 'enforce' | 'off') =>
    new ExerciseService({
      db: database.db,
      driver,
      subnetPool: '10.240.0.0/16',
      fixedSubnetPools: ['10.77.0.0/16'],
      retryDelaysMs: [1],
      ...(diskLimits ? { diskLimits } : {}),
    });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-fit-'));
    database = await openDatabase(path.join(dir, 'data'));
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses before anything is created, listing every offending field at its file:line', async () => {
    const driver = new FakeRuntimeDriver({
      engine: 'kubernetes',
      capabilities: {
        fixedAddresses: false,
        grantableCapabilities: ['NET_RAW'],
        diskLimits: false,
        multiNetwork: false,
      },
    });
    const folder = scenario('demanding', DEMANDING);
    const error = await service(driver)
      .create({ scenarioPath: folder, teams: 1, id: 'ex-fit' })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CyropError).with.property('code', 'SCENARIO_INVALID');
    const file = path.join(folder, 'scenario.yaml');
    const problems = (error as CyropError).details as Diagnostic[];
    expect(problems.map((d) => `${d.line} ${d.pointer} ${d.rule}`)).to.deep.equal([
      '6 /networks/0/subnet engine.fixed-addresses',
      '11 /hosts/0/networks/0/address engine.fixed-addresses',
      '11 /hosts/0/networks/1 engine.multi-network',
      '12 /hosts/0/capabilities/1 engine.capability',
      '14 /hosts/0/resources/disk engine.disk-limits',
      '15 /hosts/1 engine.disk-limits',
    ]);
    expect(problems.every((d) => d.file === file)).to.equal(true);
    const message = (error as Error).message;
    expect(message).to.contain('the kubernetes engine cannot run');
    expect(message).to.contain(`${file}:12:`);
    expect(message).to.contain('NET_ADMIN, which the kubernetes engine does not grant (it grants NET_RAW)');
    // nothing stored, nothing asked of the engine
    expect(await database.db.selectFrom('exercises').select('id').execute()).to.deep.equal([]);
    expect(driver.calls).to.deep.equal([]);
  });

  it('accepts what the engine can honour, and CYROP_DISK_LIMITS=off waives disk limits', async () => {
    const driver = new FakeRuntimeDriver({
      capabilities: {
        fixedAddresses: false,
        grantableCapabilities: ['NET_RAW'],
        diskLimits: false,
        multiNetwork: false,
      },
    });
    const folder = scenario('plain', PLAIN);
    const refused = await service(driver)
      .create({ scenarioPath: folder, teams: 1, id: 'ex-a' })
      .catch((e: unknown) => e);
    expect((refused as CyropError).details).to.have.length(1); // the default disk limit of box
    const svc = service(driver, 'off');
    await svc.create({ scenarioPath: folder, teams: 2, id: 'ex-b' });
    const launched = await svc.launch('ex-b');
    expect(launched.teams.map((t) => t.state)).to.deep.equal(['ready', 'ready']);
  });

  it('refuses to launch an exercise stored for a more capable engine, before provisioning', async () => {
    const folder = scenario('demanding', DEMANDING);
    await service(new FakeRuntimeDriver()).create({ scenarioPath: folder, teams: 1, id: 'ex-old' });
    const lesser = new FakeRuntimeDriver({
      capabilities: { fixedAddresses: true, grantableCapabilities: [], diskLimits: true, multiNetwork: true },
    });
    const error = await service(lesser)
      .launch('ex-old')
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CyropError).with.property('code', 'SCENARIO_INVALID');
    expect((error as CyropError).details).to.deep.equal([
      "host 'attacker': capability NET_ADMIN (it grants none)",
      "host 'attacker': capability NET_RAW (it grants none)",
    ]);
    expect(lesser.calls).to.deep.equal([]);
  });
});
