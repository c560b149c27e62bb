import { expect } from 'chai';
import path from 'node:path';
import { crashSafetyTrials } from './crash-trials.ts';
import { engineFixture } from './helpers.ts';

const TEAMS = 10;

/**
 * kill -9 the orchestrator at random points of a 10-team launch on Docker; a restart (reconcile) must
 * converge: every container and network of every team exactly once, running, and nothing else
 * (the trial itself: crash-trials.ts, shared with the Kubernetes engine).
 */
crashSafetyTrials({
  title: 'crash safety: kill -9 during a 10-team launch, then reconcile',
  trials: 10,
  teams: TEAMS,
  setup: async () => {
    const f = await engineFixture();
    const objects = async (exercise: string) => {
      const filters = JSON.stringify({ label: [`cyrop.io/exercise=${exercise}`] });
      const containers = await f.docker.listContainers({ all: true, filters });
      const networks = await f.docker.listNetworks({ filters });
      return {
        containers: containers.map((c) => ({ name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State })),
        networks: networks.map((n) => n.Name),
      };
    };
    const expectNothing = async (exercise: string, context: string) => {
      expect(await objects(exercise), context).to.deep.equal({ containers: [], networks: [] });
    };
    return {
      env: {
        ...process.env,
        CYROP_DATA_DIR: path.join(f.dir, 'data'),
        CYROP_SUBNET_POOL: '10.233.0.0/16',
        CYROP_LOG_LEVEL: 'silent',
      },
      scenarioDir: f.scenarioDir,
      expectConverged: async (id, teams, context) => {
        const found = await objects(id);
        const wantContainers = Array.from({ length: teams }, (_, i) => [
          `cyrop-${id}-team-${i + 1}-console`,
          `cyrop-${id}-team-${i + 1}-server`,
        ])
          .flat()
          .sort();
        const wantNetworks = Array.from({ length: teams }, (_, i) => [
          `cyrop-${id}-team-${i + 1}-back`,
          `cyrop-${id}-team-${i + 1}-front`,
        ])
          .flat()
          .sort();
        expect(found.containers.map((c) => c.name).sort(), context).to.deep.equal(wantContainers);
        expect(
          found.containers.every((c) => c.state === 'running'),
          context,
        ).to.equal(true);
        expect(found.networks.sort(), context).to.deep.equal(wantNetworks);
      },
      expectUntouched: expectNothing,
      expectTornDown: expectNothing,
      close: () => f.close(),
    };
  },
});
