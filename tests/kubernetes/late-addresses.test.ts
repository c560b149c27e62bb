import { expect } from 'chai';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { compileScenario } from '../../orchestrator/src/compiler/compile-scenario.ts';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import type { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { connectDriver, pushedTestImage, requireCluster } from './cluster.ts';

/**
 * Late-bound addresses on the real cluster: a file that spells another host's address holds that
 * pod's real address before the host's command starts; when the named host is reset (a new pod, a new
 * address) the host whose file names it is recreated with the new one; a host spelling an address
 * in its environment is refused, naming where.
 */
describe('Kubernetes late-bound addresses (real cluster)', function () {
  this.timeout(240_000);
  let driver: KubernetesRuntimeDriver;
  let image: string;
  const ref = { exercise: `late-${process.pid}`, team: 'team-1' };
  let plan: EnvironmentPlan | undefined;

  const scenario = (img: string, envAddress = false) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: late, version: 1.0.0, title: Late, category: other, difficulty: beginner }
networks:
  - name: lan
hosts:
  - name: client
    image: ${img}
    networks: [lan]
    console: true
    resources: { cpu: 0.2, memory: 64Mi, pids: 32 }
    command: [/bin/sh, -c, "cp /etc/peer /tmp/seen-at-start && exec sleep infinity"]
    files:
      - { path: /etc/peer, content: "server={{hosts.server.address.lan}}\\n", mode: "0644" }
    ${envAddress ? 'env: { PEER: "{{hosts.server.address.lan}}" }' : ''}
  - name: server
    image: ${img}
    networks: [lan]
    resources: { cpu: 0.2, memory: 64Mi, pids: 32 }
    command: [sleep, infinity]
objectives:
  - { id: ip, kind: question, title: "Which address?", points: 1, question: { answers: ["{{hosts.server.address.lan}}"] } }
`;
  const planOf = (text: string) => {
    const compiled = compileScenario(text, { file: 'late.yaml' }).compiled;
    if (!compiled) throw new Error('the scenario does not compile');
    return planExercise(compiled, { exerciseId: ref.exercise, teams: 1, secret: 'late-secret' })[0]!;
  };
  const sh = async (host: string, script: string) =>
    (
      await driver.exec({ ...ref, host }, ['/bin/sh', '-c', script], {
        timeoutMs: 10_000,
        maxOutputBytes: 65_536,
      })
    ).stdout.toString('utf8');
  const podIp = async (host: string) => (await sh(host, 'hostname -i')).trim().split(/\s+/)[0]!;

  before(async function () {
    requireCluster(this);
    driver = await connectDriver('cyl');
    image = await pushedTestImage('box');
  });
  after(async () => {
    if (plan) await driver.destroy(ref);
  });

  it('writes the pods’ addresses into files before the command starts, and reports them', async () => {
    plan = planOf(scenario(image));
    const status = await driver.provision(plan);
    const server = await podIp('server');
    expect(server).to.not.equal(plan.hosts[1]!.networks[0]!.address);
    expect(status.addresses).to.deep.equal({
      client: { lan: await podIp('client') },
      server: { lan: server },
    });
    expect(await sh('client', 'cat /etc/peer /tmp/seen-at-start')).to.equal(
      `server=${server}\nserver=${server}\n`,
    );
  });

  it('provisioning again adopts everything as it is', async () => {
    const client = await podIp('client');
    const status = await driver.provision(plan!);
    expect(await podIp('client')).to.equal(client);
    expect(status.addresses?.client?.lan).to.equal(client);
  });

  it('recreates a host whose file names a host that was reset, with the new address', async () => {
    const oldServer = await podIp('server');
    const status = await driver.resetHost(plan!, 'server');
    const server = await podIp('server');
    expect(server).to.not.equal(oldServer);
    expect(status.addresses?.server?.lan).to.equal(server);
    expect(await sh('client', 'cat /tmp/seen-at-start')).to.equal(`server=${server}\n`);
  });

  it('writes the files again when the host itself is reset', async () => {
    const server = await podIp('server');
    await driver.resetHost(plan!, 'client');
    expect(await sh('client', 'cat /etc/peer /tmp/seen-at-start')).to.equal(
      `server=${server}\nserver=${server}\n`,
    );
    expect(await podIp('server')).to.equal(server);
  });

  it('refuses an address in a host’s environment, naming where', async () => {
    const other = { ...planOf(scenario(image, true)) };
    const error = await driver.provision({ ...other, exercise: { id: `${ref.exercise}-env` } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.match(
      /uses host addresses where Kubernetes cannot fill in the ones pods get .*\(host server on lan\) in environment variable PEER of host client/,
    );
  });
});
