/**
 * The contract every RuntimeDriver must keep, run against a real engine. A driver's test file calls
 * `runtimeDriverContract(name, connect, image)`; the same assertions hold for Docker and Kubernetes.
 */
import { expect } from 'chai';
import { compileScenario } from '../../orchestrator/src/compiler/compile-scenario.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import type { HostRef, RuntimeDriver, ShellStream } from '../../orchestrator/src/runtime/runtime-driver.ts';

export function contractScenario(image: string, extraEnv = 'one'): string {
  return `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: contract, version: 1.0.0, title: Contract, category: other, difficulty: beginner }
parameters:
  secret: { kind: flag }
networks:
  - name: front
  - name: back
hosts:
  - name: console
    image: ${image}
    networks: [front]
    console: { user: trainee, shell: /bin/bash, workdir: /home/trainee }
    resources: { cpu: 0.5, memory: 128Mi, pids: 64 }
    env: { MARK: "${extraEnv}" }
  - name: server
    image: ${image}
    networks: [front, { name: back, aliases: [db.internal] }]
    resources: { cpu: 0.5, memory: 128Mi, pids: 64 }
    command: [nc, -lk, -p, "8080", -s, 0.0.0.0]
    files:
      - { path: /srv/flag.txt, content: "{{params.secret}}\\n", mode: "0640", owner: "trainee:trainee" }
      - { path: /opt/deep/dir/run.sh, content: "#!/bin/sh\\necho ran\\n", mode: "0755" }
    ready: { tcp: 8080, timeout: 30s }
objectives:
  - { id: flag, kind: flag, title: Flag, points: 10, flag: "{{params.secret}}" }
`;
}

export function contractPlan(
  image: string,
  exerciseId: string,
  teams = 1,
  extraEnv = 'one',
): EnvironmentPlan[] {
  const compiled = compileScenario(contractScenario(image, extraEnv), { file: 'contract.yaml' }).compiled;
  if (!compiled) throw new Error('the contract scenario does not compile');
  return planExercise(compiled, {
    exerciseId,
    teams,
    secret: 'contract-secret',
    subnetPool: '10.231.0.0/16',
  });
}

async function readUntil(shell: ShellStream, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      shell.stream.off('data', onData);
      reject(new Error(`timed out waiting for ${String(pattern)}; saw ${JSON.stringify(seen.slice(-500))}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) {
        clearTimeout(timer);
        shell.stream.off('data', onData);
        resolve(seen);
      }
    };
    shell.stream.on('data', onData);
    shell.stream.resume();
  });
}

export function runtimeDriverContract(
  name: string,
  connect: () => Promise<RuntimeDriver>,
  image: () => Promise<string>,
): void {
  describe(`RuntimeDriver contract: ${name}`, function () {
    this.timeout(120_000);
    const exercise = `contract-${process.pid}`;
    let driver: RuntimeDriver;
    let plan: EnvironmentPlan;
    let ref: { exercise: string; team: string };
    const host = (h: string): HostRef => ({ ...ref, host: h });
    const sh = async (h: string, script: string, user?: string) => {
      const r = await driver.exec(host(h), ['/bin/sh', '-c', script], {
        timeoutMs: 10_000,
        maxOutputBytes: 1 << 20,
        ...(user ? { user } : {}),
      });
      return { ...r, out: r.stdout.toString('utf8') };
    };

    before(async () => {
      driver = await connect();
      plan = contractPlan(await image(), exercise)[0]!;
      ref = { exercise: plan.exercise.id, team: plan.team.id };
      await driver.destroy(ref);
    });
    after(async () => {
      await driver.destroy(ref);
    });

    it('provisions every network and host of the plan, ready', async () => {
      const events: string[] = [];
      const status = await driver.provision(plan, {
        onProgress: (e) => events.push(`${e.kind}:${'host' in e ? e.host : e.network}:${e.state}`),
      });
      expect(status.ready).to.equal(true);
      expect(status.planHash).to.equal(plan.hash);
      expect(status.hosts.map((h) => `${h.name}:${h.state}`)).to.deep.equal([
        'console:ready',
        'server:ready',
      ]);
      const seen = await driver.status(ref);
      expect(seen.hosts.map((h) => `${h.name}:${h.state}`)).to.deep.equal([
        'console:running',
        'server:running',
      ]);
      expect(seen.ready).to.equal(true);
      expect(status.networks.map((n) => n.name).sort()).to.deep.equal(['back', 'front']);
      expect(events).to.include.members([
        'network:front:created',
        'network:back:created',
        'host:server:created',
        'host:server:ready',
      ]);
      expect(await driver.list({ 'cyrop.io/exercise': exercise })).to.deep.equal([ref]);
    });

    it('gives hosts their planned addresses, aliases, env and files (mode and owner)', async () => {
      const server = plan.hosts.find((h) => h.name === 'server')!;
      const addresses = await sh('server', 'hostname -I');
      for (const n of server.networks) expect(addresses.out).to.contain(n.address);
      const alias = await sh('console', 'getent hosts server');
      expect(alias.out).to.contain(server.networks.find((n) => n.name === 'front')!.address);
      expect((await sh('console', 'echo "$MARK"')).out).to.equal('one\n');
      // root has no CAP_DAC_OVERRIDE in a scenario container: only the owner reads a 0640 file
      const flag = await sh('server', 'stat -c "%a %U:%G" /srv/flag.txt && cat /srv/flag.txt', 'trainee');
      expect((await sh('server', 'cat /srv/flag.txt')).exitCode).to.not.equal(0);
      expect(flag.out).to.equal(`640 trainee:trainee\n${server.files[0]!.content}`);
      expect((await sh('server', '/opt/deep/dir/run.sh')).out).to.equal('ran\n');
    });

    it('is idempotent: provisioning the same plan again creates nothing new', async () => {
      const before = await sh('server', 'cat /proc/1/stat | cut -d" " -f22');
      const events: string[] = [];
      const status = await driver.provision(plan, { onProgress: (e) => events.push(e.state) });
      expect(status.ready).to.equal(true);
      expect(events.filter((e) => e === 'created' || e === 'recreated')).to.deep.equal([]);
      expect((await sh('server', 'cat /proc/1/stat | cut -d" " -f22')).out).to.equal(before.out); // same container, same boot
    });

    it('runs commands with separate stdout and stderr, exit codes and users; failure is data', async () => {
      const r = await sh('console', 'echo out; echo err >&2; exit 3');
      expect(r).to.include({ exitCode: 3, timedOut: false, truncated: false });
      expect(r.out).to.equal('out\n');
      expect(r.stderr.toString()).to.equal('err\n');
      expect((await sh('console', 'id -un', 'trainee')).out).to.equal('trainee\n');
    });

    it('kills a command at its timeout, leaving no process behind', async () => {
      const r = await driver.exec(host('console'), ['/bin/sh', '-c', 'sleep 1000 & sleep 999'], {
        timeoutMs: 1_000,
        maxOutputBytes: 1024,
      });
      expect(r).to.include({ exitCode: null, timedOut: true });
      const left = await sh(
        'console',
        'for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null | tr "\\0" " "; echo; done | grep -c "^sleep 99" || true',
      );
      expect(left.out.trim()).to.equal('0');
    });

    it('caps output', async () => {
      const r = await driver.exec(host('console'), ['/bin/sh', '-c', 'head -c 100000 /dev/zero'], {
        timeoutMs: 10_000,
        maxOutputBytes: 1000,
      });
      expect(r.stdout.length).to.equal(1000);
      expect(r.truncated).to.equal(true);
      expect(r.exitCode).to.equal(0);
    });

    it('opens a TTY shell as the console user, resizes it, and kills it in the container on close', async () => {
      const shell = await driver.openShell(host('console'), {
        user: 'trainee',
        shell: '/bin/bash',
        workdir: '/home/trainee',
        cols: 100,
        rows: 30,
      });
      shell.stream.write('stty size; id -un; pwd\n');
      const first = await readUntil(shell, /30 100[\s\S]*trainee[\s\S]*\/home\/trainee/);
      expect(first).to.match(/30 100/);
      await shell.resize(132, 43);
      shell.stream.write('stty size\n');
      await readUntil(shell, /43 132/);
      shell.stream.write('sleep 777 &\n');
      await readUntil(shell, /\[1\] \d+/);
      await shell.kill();
      expect(await shell.exited).to.equal(null);
      const left = await sh(
        'console',
        'for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null | tr "\\0" " "; echo; done | grep -cE "^(sleep 777|/bin/bash -l)" || true',
      );
      expect(left.out.trim()).to.equal('0');
    });

    it('recreates a drifted host, and only that host', async () => {
      const [changed] = contractPlan(await image(), exercise, 1, 'two');
      const events: string[] = [];
      await driver.provision(changed!, {
        onProgress: (e) => events.push(`${e.kind}:${'host' in e ? e.host : e.network}:${e.state}`),
      });
      expect(events).to.include('host:console:recreated');
      expect(events).to.include('host:server:adopted');
      expect((await sh('console', 'echo "$MARK"')).out).to.equal('two\n');
      plan = changed!;
    });

    it('resets one host to a fresh filesystem', async () => {
      expect((await sh('server', 'echo tampered > /srv/flag.txt', 'trainee')).exitCode).to.equal(0);
      await driver.resetHost(plan, 'server');
      expect((await sh('server', 'cat /srv/flag.txt', 'trainee')).out).to.equal(
        plan.hosts.find((h) => h.name === 'server')!.files[0]!.content,
      );
    });

    it('destroys everything, idempotently', async () => {
      await driver.destroy(ref);
      await driver.destroy(ref);
      expect(await driver.list({ 'cyrop.io/exercise': exercise })).to.deep.equal([]);
      const status = await driver.status(ref);
      expect(status.hosts).to.deep.equal([]);
      expect(status.ready).to.equal(false);
    });
  });
}
