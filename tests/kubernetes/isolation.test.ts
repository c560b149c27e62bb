import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { compileScenario } from '../../orchestrator/src/compiler/compile-scenario.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import type { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { CLUSTER, connectDriver, pushedTestImage, requireCluster } from './cluster.ts';

/**
 * Isolation on the real cluster: two teams of a three-host, two-network scenario. Within a team
 * exactly the scenario's networks connect; team ↔ team, team → node (kubelet), API server, CoreDNS's
 * address except DNS, and a listener outside the pod network are refused. kube-router needs a moment for a brand-new pod, so a forbidden connection is polled until
 * it is refused and must then stay refused; an allowed one is polled until it connects.
 */
const scenario = (image: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: isolation, version: 1.0.0, title: Isolation, category: other, difficulty: beginner }
networks:
  - name: dmz
  - name: internal
hosts:
  - name: front
    image: ${image}
    networks: [dmz]
    command: [nc, -lk, -p, "8080", -s, 0.0.0.0]
    resources: { cpu: 0.2, memory: 64Mi, pids: 64 }
    ready: { tcp: 8080, timeout: 60s }
  - name: middle
    image: ${image}
    networks: [dmz, internal]
    command: [nc, -lk, -p, "8080", -s, 0.0.0.0]
    resources: { cpu: 0.2, memory: 64Mi, pids: 64 }
    ready: { tcp: 8080, timeout: 60s }
  - name: back
    image: ${image}
    networks: [internal]
    command: [nc, -lk, -p, "8080", -s, 0.0.0.0]
    resources: { cpu: 0.2, memory: 64Mi, pids: 64 }
    ready: { tcp: 8080, timeout: 60s }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["x"] } }
`;

/** The local cluster's network namespace (infra/kubernetes/local-cluster/env.sh), where the node's processes run. */
const NODE_NETNS = '/run/netns/cyrop-k8s';

describe('Kubernetes isolation (real cluster)', function () {
  this.timeout(300_000);
  let driver: KubernetesRuntimeDriver;
  let plans: EnvironmentPlan[] = [];
  const exercise = `iso-${process.pid}`;
  const ips = new Map<string, string>(); // team/host → pod IP

  before(async function () {
    requireCluster(this);
    driver = await connectDriver('cyi');
    const compiled = compileScenario(scenario(await pushedTestImage('box')), {
      file: 'isolation.yaml',
    }).compiled;
    if (!compiled) throw new Error('the isolation scenario does not compile');
    plans = planExercise(compiled, { exerciseId: exercise, teams: 2, secret: 'isolation-secret' });
    for (const plan of plans) {
      await driver.destroy({ exercise, team: plan.team.id });
      await driver.provision(plan);
      for (const h of plan.hosts) {
        const r = await driver.exec({ exercise, team: plan.team.id, host: h.name }, ['hostname', '-i'], {
          timeoutMs: 10_000,
          maxOutputBytes: 1024,
        });
        ips.set(`${plan.team.id}/${h.name}`, r.stdout.toString().trim().split(/\s+/)[0] ?? '');
      }
    }
  });
  after(async () => {
    for (const plan of plans) await driver.destroy({ exercise, team: plan.team.id });
  });

  /** Exit 0 when a TCP connection to target:port opens within 2 s. */
  const connects = async (team: string, from: string, target: string, port: number) => {
    const r = await driver.exec(
      { exercise, team, host: from },
      ['nc', '-z', '-w', '2', target, String(port)],
      {
        timeoutMs: 10_000,
        maxOutputBytes: 4096,
      },
    );
    return r.exitCode === 0;
  };
  const eventually = async (team: string, from: string, target: string, port: number) => {
    for (let i = 0; i < 20; i++) {
      if (await connects(team, from, target, port)) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  };
  /** Refused (polled past the enforcement gap), then refused three times more. */
  const refused = async (team: string, from: string, target: string, port: number) => {
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = !(await connects(team, from, target, port));
      if (!ok) await new Promise((r) => setTimeout(r, 250));
    }
    if (!ok) return false;
    for (let i = 0; i < 3; i++) if (await connects(team, from, target, port)) return false;
    return true;
  };

  it('within a team, exactly the shared networks connect', async () => {
    const ip = (team: string, host: string) => ips.get(`${team}/${host}`) ?? '';
    for (const team of ['team-1', 'team-2']) {
      expect(await eventually(team, 'front', ip(team, 'middle'), 8080), `${team} front→middle`).to.equal(
        true,
      );
      expect(await eventually(team, 'back', ip(team, 'middle'), 8080), `${team} back→middle`).to.equal(true);
      expect(await eventually(team, 'middle', ip(team, 'front'), 8080), `${team} middle→front`).to.equal(
        true,
      );
      expect(await eventually(team, 'middle', ip(team, 'back'), 8080), `${team} middle→back`).to.equal(true);
      expect(await refused(team, 'front', ip(team, 'back'), 8080), `${team} front→back`).to.equal(true);
      expect(await refused(team, 'back', ip(team, 'front'), 8080), `${team} back→front`).to.equal(true);
    }
  });

  it('refuses team ↔ team in both directions', async () => {
    for (const host of ['front', 'middle', 'back']) {
      expect(
        await refused('team-1', 'middle', ips.get(`team-2/${host}`)!, 8080),
        `team-1 → team-2/${host}`,
      ).to.equal(true);
      expect(
        await refused('team-2', 'middle', ips.get(`team-1/${host}`)!, 8080),
        `team-2 → team-1/${host}`,
      ).to.equal(true);
    }
  });

  it('refuses the node (kubelet, API server: the address CoreDNS answers on, whose DNS alone is allowed) and the API server service', async () => {
    const server = new URL(
      /server:\s*(\S+)/.exec(readFileSync(CLUSTER.kubeconfig, 'utf8'))?.[1] ?? 'https://127.0.0.1:6443',
    );
    const dns = driver.settings.dnsAddress;
    for (const [target, port] of [
      [dns, 10250],
      [dns, 6443],
      [server.hostname, Number(server.port || 443)],
    ] as const) {
      expect(await refused('team-1', 'middle', target, port), `team-1 → ${target}:${port}`).to.equal(true);
    }
    // The API server through its ClusterIP Service (kubernetes.default), by name.
    expect(await refused('team-1', 'middle', 'kubernetes.default.svc.cluster.local', 443)).to.equal(true);
  });

  it('refuses a listener the test opens on the node, outside the pod network', async function () {
    // A TCP listener on the node's address, in the local cluster's network namespace (where the
    // kubelet runs): a pod of a namespace without policies reaches it, so only the team's policies
    // stand between the team and it.
    if (!existsSync(NODE_NETNS)) {
      console.log(`      (skipped: ${NODE_NETNS} does not exist — not the local cluster)`);
      this.skip();
    }
    const node = driver.settings.dnsAddress;
    const listener = spawn(
      'nsenter',
      [
        `--net=${NODE_NETNS}`,
        '--',
        process.execPath,
        '-e',
        `const s = require('node:net').createServer((c) => { c.on('error', () => {}); c.end('hello'); });
         s.listen(0, process.argv[1], () => console.log(s.address().port));`,
        node,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = Number(
        await new Promise<string>((resolve, reject) => {
          listener.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
          listener.once('exit', (code) => reject(new Error(`the listener exited (${String(code)})`)));
        }),
      );
      // It is there: the test itself connects, from the node's namespace.
      const probe = spawnSync(
        'nsenter',
        [
          `--net=${NODE_NETNS}`,
          '--',
          process.execPath,
          '-e',
          `const c = require('node:net').connect(Number(process.argv[2]), process.argv[1], () => process.exit(0));
           c.on('error', () => process.exit(1));`,
          node,
          String(port),
        ],
        { timeout: 10_000 },
      );
      expect(probe.status, 'the listener answers on the node').to.equal(0);
      for (const team of ['team-1', 'team-2'])
        expect(await refused(team, 'middle', node, port), `${team} → ${node}:${port}`).to.equal(true);
    } finally {
      listener.kill();
    }
  });

  it('resolves host names through the cluster DNS (allowed by the dns policy)', async () => {
    const r = await driver.exec({ exercise, team: 'team-1', host: 'front' }, ['getent', 'hosts', 'middle'], {
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
    });
    expect(r.stdout.toString()).to.contain(ips.get('team-1/middle'));
    // and a connection by name, within the network
    expect(await eventually('team-1', 'front', 'middle', 8080)).to.equal(true);
  });
});
