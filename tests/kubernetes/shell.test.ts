import { expect } from 'chai';
import { contractPlan } from '../contract/runtime-driver-contract.ts';
import type { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import type { EnvironmentRef } from '../../orchestrator/src/runtime/runtime-driver.ts';
import { connectDriver, pushedTestImage, requireCluster } from './cluster.ts';

/**
 * Terminal back-pressure on the real cluster: while the reader of a shell stream is paused, the
 * websocket is paused and the program writing to the terminal in the pod stops (its counter stops
 * growing); on resume it goes on. Prints the figures it measured.
 */
describe('Kubernetes shells: back-pressure reaches the pod (real cluster)', function () {
  this.timeout(180_000);
  let driver: KubernetesRuntimeDriver;
  let ref: EnvironmentRef | undefined;

  before(async function () {
    requireCluster(this);
    driver = await connectDriver('cys');
    const [plan] = contractPlan(await pushedTestImage('box'), `bp-${process.pid}`);
    ref = { exercise: plan!.exercise.id, team: plan!.team.id };
    await driver.provision(plan!);
  });
  after(async () => {
    if (ref) await driver.destroy(ref);
  });

  it('stops the writer in the pod while the stream is paused, and resumes it', async () => {
    const host = { ...ref!, host: 'console' };
    const shell = await driver.openShell(host, { user: 'trainee', cols: 120, rows: 40 });
    const count = async () => {
      const r = await driver.exec(host, ['/bin/sh', '-c', 'cat /tmp/count 2>/dev/null || echo 0'], {
        timeoutMs: 10_000,
        maxOutputBytes: 100,
        user: 'trainee',
      });
      return Number(r.stdout.toString().trim() || 0);
    };
    // Never read: the stream stays paused as handed over.
    // The count is renamed into place: `>` alone truncates first, and a read then sees nothing.
    shell.stream.write(
      'i=0; while :; do i=$((i+1)); printf "%01000d\\n" $i; [ $((i % 64)) -eq 0 ] && echo $i > /tmp/count.new && mv /tmp/count.new /tmp/count; done\n',
    );
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 1500));
      samples.push(await count());
    }
    const [, , , a = 0, b = 0, c = 0] = samples;
    let received = 0;
    shell.stream.on('data', (chunk: Buffer) => (received += chunk.length));
    shell.stream.resume();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await count();
    console.log(
      JSON.stringify({
        pausedSamplesLines: samples,
        afterResumeLines: after,
        receivedAfterResumeBytes: received,
      }),
    );
    expect(a).to.be.greaterThan(0);
    // Paused: the writer is blocked (the last samples are equal), not merely slow.
    expect(c).to.equal(b);
    expect(b).to.equal(a);
    // Resumed: it writes again.
    expect(after).to.be.greaterThan(c);
    await shell.kill();
  });
});
