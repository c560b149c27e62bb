import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { hasHostFirewall } from '../../orchestrator/src/runtime/docker/host-firewall.ts';
import { engineFixture, type EngineFixture } from './helpers.ts';

/**
 * A cyber range hosts attacks on purpose: a team's root shell must not reach another team, the host,
 * or networks its host is not on. Traffic goes only to the container networks this test creates.
 */
describe('Docker isolation (3 teams)', function () {
  this.timeout(180_000);
  let f: EngineFixture;
  const id = `iso-${process.pid}`;
  let plans: EnvironmentPlan[];
  const listeners: Server[] = [];

  const tryConnect = async (team: string, host: string, address: string, port: number) => {
    const r = await f.driver.exec(
      { exercise: id, team, host },
      ['nc', '-z', '-w', '1', address, String(port)],
      { timeoutMs: 10_000, maxOutputBytes: 4096 },
    );
    return r.exitCode === 0;
  };
  const addressOf = (plan: EnvironmentPlan, host: string, network: string) =>
    plan.hosts.find((h) => h.name === host)!.networks.find((n) => n.name === network)!.address;

  before(async () => {
    f = await engineFixture();
    await f.exercises.create({ scenarioPath: f.scenarioDir, teams: 3, id, secret: 'isolation-secret' });
    const launched = await f.exercises.launch(id);
    expect(launched.teams.map((t) => t.state)).to.deep.equal(['ready', 'ready', 'ready']);
    plans = await Promise.all(['team-1', 'team-2', 'team-3'].map((t) => f.exercises.plan(id, t)));
  });
  after(async () => {
    for (const l of listeners) l.close();
    await f.exercises.teardown(id);
    await f.close();
  });

  it('lets a team reach its own hosts on the networks they share', async () => {
    expect(await tryConnect('team-1', 'console', addressOf(plans[0]!, 'server', 'front'), 8080)).to.equal(
      true,
    );
    expect(await tryConnect('team-1', 'console', 'server', 8080)).to.equal(true); // by name too
  });

  it('gives no route to a network the host is not on', async () => {
    expect(await tryConnect('team-1', 'console', addressOf(plans[0]!, 'server', 'back'), 8080)).to.equal(
      false,
    );
  });

  it('blocks every cross-team connection', async () => {
    for (const [from, plan] of [
      ['team-1', plans[1]!],
      ['team-1', plans[2]!],
      ['team-2', plans[0]!],
      ['team-3', plans[0]!],
    ] as const) {
      for (const network of ['front', 'back']) {
        expect(
          await tryConnect(from, 'console', addressOf(plan, 'server', network), 8080),
          `${from} → ${plan.team.id} ${network}`,
        ).to.equal(false);
        expect(
          await tryConnect(from, 'server', addressOf(plan, 'server', network), 8080),
          `${from} server → ${plan.team.id} ${network}`,
        ).to.equal(false);
      }
    }
  });

  it('keeps team containers away from listeners on the host (bridge gateway address)', async () => {
    expect(await hasHostFirewall()).to.equal(true);
    const gateway = plans[0]!.networks.find((n) => n.name === 'front')!.gateway;
    const server = createServer((socket) => socket.end('host service\n'));
    listeners.push(server);
    await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
    const { port } = server.address() as AddressInfo;
    expect(await tryConnect('team-1', 'console', gateway, port)).to.equal(false);
  });

  it('has no way out of the team networks', async () => {
    const r = await f.driver.exec(
      { exercise: id, team: 'team-1', host: 'console' },
      ['/bin/sh', '-c', 'ip route 2>/dev/null || cat /proc/net/route'],
      { timeoutMs: 5_000, maxOutputBytes: 4096 },
    );
    expect(r.exitCode).to.equal(0);
    // internal bridges: nothing is forwarded or masqueraded to the outside (no NAT rule for the subnet)
    const subnets = plans.flatMap((p) => p.networks.map((n) => n.subnet));
    const { execFileSync } = await import('node:child_process');
    const nat = execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
    for (const s of subnets) expect(nat).to.not.contain(s);
  });
});
