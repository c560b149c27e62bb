import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { ExerciseService } from '../../orchestrator/src/exercises/exercise-service.ts';
import { DockerRuntimeDriver } from '../../orchestrator/src/runtime/docker/docker-runtime-driver.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { ensureTestImage } from '../contract/test-images.ts';

const MIB = 1024 * 1024;

const scenario = (image: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: disk, version: 1.0.0, title: Disk, category: other, difficulty: beginner }
networks:
  - name: lan
hosts:
  - name: console
    image: ${image}
    networks: [lan]
    console: { user: trainee }
    resources: { cpu: 0.5, memory: 128Mi, pids: 64, disk: 64Mi }
    files:
      - { path: /home/trainee/notes.txt, content: "put there before start\\n", owner: "trainee:trainee" }
objectives:
  - { id: f, kind: flag, title: F, points: 1, flag: "FLAG{disk}" }
`;

/**
 * A trainee may fill the disk of their host, not the machine's: writing past `resources.disk`
 * fails inside the container, while another team's host still writes and the platform's own data
 * directory still takes writes. Runs on the engine DOCKER_HOST names (the local one by default);
 * skipped, saying why, on an engine that cannot cap disk use (infra/engine/ensure-docker.sh sets
 * one up that can).
 */
describe('Docker disk limits (resources.disk)', function () {
  this.timeout(240_000);
  const id = `disk-${process.pid}`;
  let dir: string;
  let database: OpenedDatabase | undefined;
  let driver: DockerRuntimeDriver;
  let exercises: ExerciseService | undefined;
  /** A command on a team's console, as the trainee unless told otherwise. */
  const run = (team: string, script: string, user = 'trainee') =>
    driver.exec({ exercise: id, team, host: 'console' }, ['/bin/bash', '-c', script], {
      timeoutMs: 60_000,
      maxOutputBytes: 64 * 1024,
      user,
      env: { HOME: user === 'trainee' ? '/home/trainee' : '/root' },
    });

  before(async function () {
    driver = await DockerRuntimeDriver.connect();
    if (driver.diskQuota === 'none') {
      console.log(`      skipped: ${driver.diskQuotaProblem ?? 'the engine cannot cap disk use'}`);
      this.skip();
    }
    const image = await ensureTestImage(new Docker(), 'box');
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-disk-'));
    mkdirSync(path.join(dir, 'scenario'));
    writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), scenario(image));
    database = await openDatabase(path.join(dir, 'data'));
    exercises = new ExerciseService({
      db: database.db,
      driver,
      subnetPool: '10.246.0.0/16',
      retryDelaysMs: [200],
    });
    await exercises.create({ scenarioPath: path.join(dir, 'scenario'), teams: 2, id, secret: 'disk-secret' });
    await exercises.launch(id);
  });
  after(async () => {
    await exercises?.teardown(id);
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stops a trainee writing 128 MiB into a host limited to 64 MiB', async () => {
    const fill = await run(
      'team-1',
      'dd if=/dev/zero of=$HOME/fill bs=1M count=128 conv=fsync; echo "exit $?"',
    );
    const out = fill.stdout.toString() + fill.stderr.toString();
    expect(out, JSON.stringify(fill)).to.match(/exit 1/);
    expect(out).to.match(/Disk quota exceeded|No space left on device/);
    const size = Number((await run('team-1', 'stat -c %s $HOME/fill')).stdout.toString());
    expect(size)
      .to.be.above(0)
      .and.below(100 * MIB);
    // root inside the container is held to the same cap (it is the container's, not a user's)
    const asRoot = await run('team-1', 'dd if=/dev/zero of=/tmp/more bs=1M count=64; echo "exit $?"', '0');
    expect(asRoot.stdout.toString()).to.match(/exit 1/);
    // what the engine holds for the container, on the disk it shares with the platform, is bounded
    const [info] = await new Docker().listContainers({
      all: true,
      size: true,
      filters: JSON.stringify({ name: [`cyrop-${id}-team-1-console`] }),
    });
    // (the engine reports SizeRw when asked for sizes; dockerode's types do not declare it)
    expect((info as { SizeRw?: number } | undefined)?.SizeRw)
      .to.be.above(32 * MIB)
      .and.at.most(64 * MIB);
    // the file put in before start is there, and the host still works
    expect((await run('team-1', 'cat $HOME/notes.txt')).stdout.toString()).to.equal(
      'put there before start\n',
    );
  });

  it("leaves another team's host free to write, and the platform's data directory too", async () => {
    const other = await run(
      'team-2',
      'dd if=/dev/zero of=$HOME/some bs=1M count=32 conv=fsync; echo "exit $?"',
    );
    expect(other.stdout.toString(), other.stderr.toString()).to.match(/exit 0/);
    writeFileSync(path.join(dir, 'data', 'still-writable'), Buffer.alloc(8 * MIB));
    expect((await exercises!.list()).map((e) => e.id)).to.include(id);
  });

  it('frees the space when the trainee deletes what they wrote', async () => {
    // (as the trainee: root in the container has no capability to override file permissions)
    await run('team-1', 'rm -f $HOME/fill; sync');
    // the engine accounts freed blocks when the file system commits: retry for a few seconds
    let last = '';
    for (let i = 0; i < 20; i++) {
      const again = await run(
        'team-1',
        'dd if=/dev/zero of=$HOME/again bs=1M count=32 conv=fsync; echo "exit $?"',
      );
      last = again.stdout.toString() + again.stderr.toString();
      if (/exit 0/.test(last)) break;
      await run('team-1', 'rm -f $HOME/again; sync');
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(last).to.match(/exit 0/);
  });
});
