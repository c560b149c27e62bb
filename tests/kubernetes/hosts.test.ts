import { expect } from 'chai';
import { contractPlan } from '../contract/runtime-driver-contract.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import type { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { connectDriver, pushedTestImage, requireCluster } from './cluster.ts';

/**
 * What the contract's "addresses, aliases, env and files" case checks, without the planned addresses
 * (dynamic on Kubernetes): names and aliases resolve to the pods' real addresses, env, files with
 * mode and owner, and the engine's extra capabilities gone from the host's own process.
 */
describe('Kubernetes hosts: names, env, files (real cluster)', function () {
  this.timeout(180_000);
  let driver: KubernetesRuntimeDriver;
  let plan: EnvironmentPlan | undefined;
  const ref = { exercise: `hosts-${process.pid}`, team: 'team-1' };
  const sh = async (host: string, script: string, user?: string) => {
    const r = await driver.exec({ ...ref, host }, ['/bin/sh', '-c', script], {
      timeoutMs: 10_000,
      maxOutputBytes: 1 << 20,
      ...(user ? { user } : {}),
    });
    return { ...r, out: r.stdout.toString('utf8') };
  };

  before(async function () {
    requireCluster(this);
    driver = await connectDriver('cyh');
    plan = contractPlan(await pushedTestImage('box'), ref.exercise)[0];
    await driver.provision(plan!);
  });
  after(async () => {
    if (plan) await driver.destroy(ref);
  });

  it('resolves host names and dotted aliases to the pods', async () => {
    const serverIp = (await sh('server', 'hostname -i')).out.trim().split(/\s+/)[0]!;
    expect(serverIp).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await sh('console', 'getent hosts server')).out).to.contain(serverIp);
    expect((await sh('console', 'getent hosts db.internal')).out).to.contain(serverIp);
  });

  it('sets env and installs files with their mode and owner, writable', async () => {
    expect((await sh('console', 'echo "$MARK"')).out).to.equal('one\n');
    const server = plan!.hosts.find((h) => h.name === 'server')!;
    const flag = await sh('server', 'stat -c "%a %U:%G" /srv/flag.txt && cat /srv/flag.txt', 'trainee');
    expect(flag.out).to.equal(`640 trainee:trainee\n${server.files[0]!.content}`);
    // root has no CAP_DAC_OVERRIDE in a scenario pod: only the owner reads a 0640 file
    expect((await sh('server', 'cat /srv/flag.txt')).exitCode).to.not.equal(0);
    expect((await sh('server', '/opt/deep/dir/run.sh')).out).to.equal('ran\n');
  });

  it("leaves the host's own process without the engine's capabilities", async () => {
    // PID of the scenario's command (nc), its bounding set: the scenario gave the server none.
    const r = await sh(
      'server',
      'for p in /proc/[0-9]*; do case "$(cat $p/cmdline 2>/dev/null | tr "\\0" " ")" in "nc "*) grep CapBnd $p/status;; esac; done',
    );
    expect(r.out.trim()).to.equal('CapBnd:\t0000000000000000');
  });
});
