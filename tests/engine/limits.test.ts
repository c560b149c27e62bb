import { expect } from 'chai';
import { engineFixture, type EngineFixture } from './helpers.ts';

/** A trainee with a root shell may fork-bomb or eat memory: their container pays, nobody else. */
describe('Docker limits', function () {
  this.timeout(180_000);
  let f: EngineFixture;
  const id = `lim-${process.pid}`;
  const run = (team: string, script: string, timeoutMs = 20_000) =>
    f.driver.exec({ exercise: id, team, host: 'console' }, ['/bin/bash', '-c', script], {
      timeoutMs,
      maxOutputBytes: 64 * 1024,
    });

  before(async () => {
    f = await engineFixture();
    await f.exercises.create({ scenarioPath: f.scenarioDir, teams: 2, id, secret: 'limits-secret' });
    await f.exercises.launch(id);
  });
  after(async () => {
    await f.exercises.teardown(id);
    await f.close();
  });

  // Before the fork bomb: a bomb that outlives its test fills the pids limit of team-1's console.
  it('kills a memory hog at the memory limit, without swap, and the host stays up', async () => {
    const hog = await run('team-1', 'head -c 600m /dev/zero | tail > /dev/null; echo "exit $?"');
    // tail was OOM-killed
    expect(hog.stdout.toString(), hog.stderr.toString()).to.match(/exit (137|1)/);
    const info = await f.docker.getContainer(`cyrop-${id}-team-1-console`).inspect();
    expect(info.HostConfig.Memory).to.equal(128 * 1024 * 1024);
    expect(info.HostConfig.MemorySwap).to.equal(128 * 1024 * 1024);
    expect((await run('team-2', 'echo alive')).stdout.toString()).to.equal('alive\n');
  });

  it('contains a fork bomb within the pids limit, and the other team still answers', async () => {
    const bomb = run('team-1', 'bomb() { bomb | bomb & }; bomb; sleep 5', 8_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const other = await run('team-2', 'echo alive');
    expect(other.stdout.toString()).to.equal('alive\n');
    await bomb;
    const stats = await f.docker.getContainer(`cyrop-${id}-team-1-console`).stats({ stream: false });
    const pids = stats.pids_stats?.current ?? 0;
    expect(pids).to.be.at.most(64);
  });

  it('runs every container without capabilities beyond the scenario, and with no-new-privileges', async () => {
    const r = await run('team-2', 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status');
    expect(r.stdout.toString()).to.match(/CapEff:\s+0000000000000000/);
    expect(r.stdout.toString()).to.match(/NoNewPrivs:\s+1/);
  });
});
