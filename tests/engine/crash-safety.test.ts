import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineFixture, type EngineFixture } from './helpers.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CYROP = path.join(REPO, 'orchestrator/bin/cyrop.js');
const TRIALS = 10;
const TEAMS = 10;

/** A small seeded generator, so that a failing trial can be replayed with the same kill delays. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * kill -9 the orchestrator at random points of a 10-team launch; a restart (reconcile) must converge:
 * every container and network of every team exactly once, running, and nothing else.
 */
describe('crash safety: kill -9 during a 10-team launch, then reconcile', function () {
  this.timeout(30 * 60_000);
  let f: EngineFixture;
  const seed = Number(process.env.CYROP_CRASH_SEED ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  let env: NodeJS.ProcessEnv;

  before(async () => {
    f = await engineFixture();
    env = {
      ...process.env,
      CYROP_DATA_DIR: path.join(f.dir, 'data'),
      CYROP_SUBNET_POOL: '10.233.0.0/16',
      CYROP_LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    await f.close();
  });

  const objects = async (exercise: string) => {
    const filters = JSON.stringify({ label: [`cyrop.io/exercise=${exercise}`] });
    const containers = await f.docker.listContainers({ all: true, filters });
    const networks = await f.docker.listNetworks({ filters });
    return {
      containers: containers.map((c) => ({ name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State })),
      networks: networks.map((n) => n.Name),
    };
  };

  for (let trial = 1; trial <= TRIALS; trial++) {
    it(`trial ${trial}: converges with no duplicate and nothing missing`, async () => {
      const id = `crash-${process.pid}-${trial}`;
      const delay = Math.round(150 + random() * 3_000);
      const child = spawn(
        process.execPath,
        [
          CYROP,
          'exercise',
          'launch',
          f.scenarioDir,
          '--teams',
          String(TEAMS),
          '--id',
          id,
          '--secret',
          'crash-secret',
          '--format',
          'json',
        ],
        { env, stdio: 'ignore' },
      );
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      const reconcile = spawnSync(process.execPath, [CYROP, 'exercise', 'reconcile', '--format', 'json'], {
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(reconcile.status, `seed ${seed}, kill after ${delay} ms: ${reconcile.stderr}`).to.equal(0);

      const status = spawnSync(process.execPath, [CYROP, 'exercise', 'status', id, '--format', 'json'], {
        env,
        encoding: 'utf8',
      });
      const found = await objects(id);
      if (status.status !== 0) {
        // killed before the exercise was stored: then the engine was never touched either
        expect(status.stderr).to.contain(`no exercise '${id}'`);
        expect(found, `seed ${seed}, kill after ${delay} ms`).to.deep.equal({ containers: [], networks: [] });
        return;
      }
      const wantContainers = Array.from({ length: TEAMS }, (_, i) => [
        `cyrop-${id}-team-${i + 1}-console`,
        `cyrop-${id}-team-${i + 1}-server`,
      ])
        .flat()
        .sort();
      const wantNetworks = Array.from({ length: TEAMS }, (_, i) => [
        `cyrop-${id}-team-${i + 1}-back`,
        `cyrop-${id}-team-${i + 1}-front`,
      ])
        .flat()
        .sort();
      const context = `seed ${seed}, kill after ${delay} ms`;
      expect(found.containers.map((c) => c.name).sort(), context).to.deep.equal(wantContainers);
      expect(
        found.containers.every((c) => c.state === 'running'),
        context,
      ).to.equal(true);
      expect(found.networks.sort(), context).to.deep.equal(wantNetworks);
      const parsed = JSON.parse(status.stdout) as {
        teams: { state: string }[];
        environments: { ready: boolean }[];
      };
      expect(parsed.teams.map((t) => t.state)).to.deep.equal(Array(TEAMS).fill('ready'));
      expect(parsed.environments.every((e) => e.ready)).to.equal(true);

      const teardown = spawnSync(process.execPath, [CYROP, 'exercise', 'teardown', id], {
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(teardown.status, teardown.stderr).to.equal(0);
      expect(await objects(id)).to.deep.equal({ containers: [], networks: [] });
    });
  }
});
