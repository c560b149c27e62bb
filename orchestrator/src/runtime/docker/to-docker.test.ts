import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planExercise } from '../../compiler/plan-exercise.ts';
import { compileScenarioFile } from '../../scenarios/scenario-folder.ts';
import { bridgeName, toDockerContainers, toDockerNetworks } from './to-docker.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const GOLDEN = path.join(REPO, 'tests/fixtures/golden/format-example.docker.json');

describe('to-docker (plan → Docker objects)', () => {
  const compiled = compileScenarioFile(
    path.join(REPO, 'tests/fixtures/valid/format-example/scenario.yaml'),
  ).compiled!;
  const [plan] = planExercise(compiled, { exerciseId: 'golden', teams: 1, secret: 'golden-secret-1' });

  it('matches the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
    const objects =
      JSON.stringify({ networks: toDockerNetworks(plan!), containers: toDockerContainers(plan!) }, null, 2) +
      '\n';
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, objects);
    expect(objects).to.equal(readFileSync(GOLDEN, 'utf8'));
  });

  it('hardens every container and keeps bridge names within the 15 characters Linux allows', () => {
    for (const c of toDockerContainers(plan!)) {
      expect(c.options.HostConfig).to.include({ Privileged: false, Init: true, PublishAllPorts: false });
      expect(c.options.HostConfig?.CapDrop).to.deep.equal(['ALL']);
      expect(c.options.HostConfig?.SecurityOpt).to.deep.equal(['no-new-privileges']);
      expect(c.options.HostConfig?.MemorySwap).to.equal(c.options.HostConfig?.Memory);
    }
    for (const n of toDockerNetworks(plan!)) {
      expect(n.options.Internal).to.equal(true);
      expect(n.options.Options?.['com.docker.network.bridge.name']).to.match(/^cyr[0-9a-f]{12}$/);
    }
    expect(
      bridgeName('an-exercise-id-of-32-characters-', 'team-500', 'network-name-24-chars-x'),
    ).to.have.length(15);
  });
});
