import { expect } from 'chai';
import type { Duplex } from 'node:stream';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import type { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { contractPlan } from '../contract/runtime-driver-contract.ts';
import { connectDriver, pushedTestImage, requireCluster } from './cluster.ts';

/**
 * `openTcp` on the real cluster (web service tabs): the platform's connection to a port of a host
 * through pods/portforward carries bytes both ways, despite the team's default-deny policies; a
 * port nothing listens on ends the stream with an error naming it.
 */
describe('Kubernetes openTcp through port-forward (real cluster)', function () {
  this.timeout(180_000);
  let driver: KubernetesRuntimeDriver;
  let plan: EnvironmentPlan | undefined;
  const ref = { exercise: `webtcp-${process.pid}`, team: 'team-1' };
  const sh = async (script: string) => {
    const r = await driver.exec({ ...ref, host: 'server' }, ['/bin/sh', '-c', script], {
      timeoutMs: 10_000,
      maxOutputBytes: 1 << 20,
    });
    return r.stdout.toString('utf8');
  };
  /** Everything the stream yields until it ends, or its error. */
  const drain = (stream: Duplex) =>
    new Promise<{ text: string; error?: string }>((resolve) => {
      // an error that came before anyone listened is kept on the stream
      if (stream.errored) resolve({ text: '', error: stream.errored.message });
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
      stream.on('end', () => resolve({ text }));
      stream.on('error', (e) => resolve({ text, error: e.message }));
    });

  before(async function () {
    requireCluster(this);
    driver = await connectDriver('cyw');
    plan = contractPlan(await pushedTestImage('box'), ref.exercise)[0];
    await driver.provision(plan!);
  });
  after(async () => {
    if (plan) await driver.destroy(ref);
  });

  it('carries bytes both ways to a port of a host', async () => {
    await sh(
      '(printf "hello from server\\n" | nc -N -l -p 9090 > /tmp/got 2>/dev/null &) </dev/null >/dev/null 2>&1',
    );
    let stream: Duplex | undefined;
    for (let i = 0; i < 20 && !stream; i++) {
      // the listener starts in the background: wait until it is there
      if ((await sh('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -ci ":2382 .* 0A"')).trim() !== '0')
        stream = await driver.openTcp({ ...ref, host: 'server' }, 9090, { timeoutMs: 10_000 });
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(stream, 'the listener came up').to.not.equal(undefined);
    const received = drain(stream!);
    stream!.end('ping from the platform\n');
    const { text, error } = await received;
    expect(error).to.equal(undefined);
    expect(text).to.equal('hello from server\n');
    for (let i = 0; i < 20; i++) {
      if ((await sh('cat /tmp/got')) !== '') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await sh('cat /tmp/got')).to.equal('ping from the platform\n');
  });

  it('ends with an error naming the port when nothing listens there', async () => {
    const stream = await driver.openTcp({ ...ref, host: 'server' }, 9999, { timeoutMs: 10_000 });
    stream.write('anything\n');
    const { error } = await drain(stream);
    expect(error).to.match(/port 9999 of pod .*/);
  });
});
