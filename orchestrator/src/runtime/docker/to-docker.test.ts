import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planExercise } from '../../compiler/plan-exercise.ts';
import { compileScenarioFile } from '../../scenarios/scenario-folder.ts';
import { diskQuotaOf } from './docker-runtime-driver.ts';
import {
  bridgeName,
  SCENARIO_CPU_SHARES,
  storageSize,
  toDockerContainers,
  toDockerNetworks,
  type DiskQuota,
} from './to-docker.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MIB = 1024 ** 2;
const GOLDEN = path.join(REPO, 'tests/fixtures/golden/format-example.docker.json');

describe('to-docker (plan → Docker objects)', () => {
  const compiled = compileScenarioFile(
    path.join(REPO, 'tests/fixtures/valid/format-example/scenario.yaml'),
  ).compiled!;
  const [plan] = planExercise(compiled, { exerciseId: 'golden', teams: 1, secret: 'golden-secret-1' });

  /** An engine on btrfs, every image 100 MiB. */
  const btrfs: DiskQuota = { mode: 'btrfs', imageBytes: () => 100 * MIB };

  it('matches the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
    const objects =
      JSON.stringify(
        { networks: toDockerNetworks(plan!), containers: toDockerContainers(plan!, btrfs) },
        null,
        2,
      ) + '\n';
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, objects);
    expect(objects).to.equal(readFileSync(GOLDEN, 'utf8'));
  });

  it("caps each host's writable storage the way the engine can, and weighs its CPU below the platform", () => {
    const host = plan!.hosts[0]!;
    expect(host.resources.diskBytes).to.equal(1024 * MIB);
    // btrfs counts the image's bytes in the container's quota group: the allowance comes on top
    expect(storageSize(host, btrfs)).to.equal(1124 * MIB);
    // an XFS project quota counts the upper directory only
    expect(storageSize(host, { mode: 'overlay2-xfs' })).to.equal(1024 * MIB);
    expect(storageSize(host, { mode: 'none' })).to.equal(undefined);
    const stored = { ...host, resources: { cpu: 1, memoryBytes: 1, pids: 16 } } as unknown as typeof host;
    expect(storageSize(stored, btrfs), 'a plan stored before disk sizes: the default').to.equal(1124 * MIB);
    expect(toDockerContainers(plan!, { mode: 'none' })[0]?.options.HostConfig).not.to.have.property(
      'StorageOpt',
    );
    for (const c of toDockerContainers(plan!, btrfs)) {
      expect(c.options.HostConfig?.StorageOpt?.size).to.match(/^\d+$/);
      expect(c.options.HostConfig?.CpuShares).to.equal(SCENARIO_CPU_SHARES).and.be.below(1024);
    }
  });

  it("tells from the engine's storage driver whether it can cap disk use", () => {
    expect(diskQuotaOf({ Driver: 'btrfs', DriverStatus: [['Build Version', 'Btrfs v6.2']] })).to.deep.equal({
      mode: 'btrfs',
    });
    expect(diskQuotaOf({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'xfs']] }).mode).to.equal(
      'overlay2-xfs',
    );
    const ext4 = diskQuotaOf({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] });
    expect(ext4.mode).to.equal('none');
    expect(ext4.problem).to.include('overlay2 on extfs').and.include('ensure-docker.sh');
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
