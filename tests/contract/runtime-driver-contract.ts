/**
 * The contract every RuntimeDriver must keep, run against a real engine (and the in-memory fake). A
 * driver's test file calls `runtimeDriverContract(name, connect, image, options)`; the same
 * assertions hold for Docker and Kubernetes. Each clause has an id; a driver may declare a clause not
 * applicable (`options.notApplicable`, with the reason), and clauses that need an engine capability
 * are skipped, with the reason, on a driver that does not declare it — the skip and its reason are
 * printed, never silent (modelled on Hono's shared router suite, where each router skips cases).
 */
import { expect } from 'chai';
import type { Duplex } from 'node:stream';
import { compileScenario } from '../../orchestrator/src/compiler/compile-scenario.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import type {
  EngineCapabilities,
  HostRef,
  RuntimeDriver,
  ShellStream,
} from '../../orchestrator/src/runtime/runtime-driver.ts';

/** Every clause of the contract, by id. */
export type ContractClause =
  | 'provision'
  | 'host-setup'
  | 'network-isolation'
  | 'idempotent'
  | 'idempotent-same-boot'
  | 'exec'
  | 'exec-timeout'
  | 'exec-timeout-kills'
  | 'exec-cap'
  | 'shell'
  | 'shell-kill-in-host'
  | 'shell-back-pressure'
  | 'shell-back-pressure-blocks-producer'
  | 'drift'
  | 'reset'
  | 'destroy'
  | 'tcp';

export interface ContractOptions {
  /** Clauses this driver cannot be held to, each with the reason printed when it is skipped. */
  notApplicable?: Partial<Record<ContractClause, string>>;
}

/** Clauses that need an engine capability: skipped, with this reason, where the driver lacks it. */
const NEEDS: Partial<Record<ContractClause, (c: EngineCapabilities) => string | undefined>> = {
  'network-isolation': (c) =>
    !c.multiNetwork
      ? 'each host sits on one network only (capabilities.multiNetwork is false)'
      : !c.fixedAddresses
        ? 'a host has one engine-assigned address, not one per network, so networks cannot be told apart by address here (the engine tests them by name)'
        : undefined,
};

export function contractScenario(image: string, extraEnv = 'one', multiNetwork = true): string {
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
    networks: ${multiNetwork ? '[front, { name: back, aliases: [db.internal] }]' : '[{ name: front, aliases: [db.internal] }]'}
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
  multiNetwork = true,
): EnvironmentPlan[] {
  const compiled = compileScenario(contractScenario(image, extraEnv, multiNetwork), {
    file: 'contract.yaml',
  }).compiled;
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

/** Everything a stream yields until it ends, or the error it ends with (also one from before the call). */
function drain(stream: Duplex): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    if (stream.errored) resolve({ text: '', error: stream.errored.message });
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
    stream.on('end', () => resolve({ text }));
    stream.on('error', (e) => resolve({ text, error: e.message }));
  });
}

export function runtimeDriverContract(
  name: string,
  connect: () => Promise<RuntimeDriver>,
  image: () => Promise<string>,
  options: ContractOptions = {},
): void {
  describe(`RuntimeDriver contract: ${name}`, function () {
    this.timeout(120_000);
    const exercise = `contract-${process.pid}`;
    let driver: RuntimeDriver;
    let plan: EnvironmentPlan;
    let ref: { exercise: string; team: string };
    const multiNetwork = () => driver.capabilities.multiNetwork;
    const host = (h: string): HostRef => ({ ...ref, host: h });
    const sh = async (h: string, script: string, user?: string) => {
      const r = await driver.exec(host(h), ['/bin/sh', '-c', script], {
        timeoutMs: 10_000,
        maxOutputBytes: 1 << 20,
        ...(user ? { user } : {}),
      });
      return { ...r, out: r.stdout.toString('utf8') };
    };
    /** Command lines of the host's processes that start with `prefix` (a real engine's /proc). */
    const processesLike = async (h: string, pattern: string) =>
      (
        await sh(
          h,
          `for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null | tr "\\0" " "; echo; done | grep -cE "${pattern}" || true`,
        )
      ).out.trim();
    /** A clause: skipped, with its reason printed, where the driver or its capabilities rule it out. */
    const clause = (id: ContractClause, title: string, fn: () => Promise<void>) => {
      it(`${title} [${id}]`, async function () {
        const reason =
          options.notApplicable?.[id] ??
          NEEDS[id]?.(driver.capabilities) ??
          (id === 'tcp' && !driver.openTcp
            ? 'the driver opens no TCP connections to hosts (no openTcp: no web service tabs on it)'
            : undefined);
        if (reason !== undefined) {
          // mocha prints skipped tests as pending; the reason goes beside it
          console.log(`      - ${name}: [${id}] not applicable: ${reason}`);
          this.skip();
        }
        await fn();
      });
    };

    before(async () => {
      driver = await connect();
      plan = contractPlan(await image(), exercise, 1, 'one', multiNetwork())[0]!;
      ref = { exercise: plan.exercise.id, team: plan.team.id };
      await driver.destroy(ref);
    });
    after(async () => {
      await driver.destroy(ref);
    });

    clause('provision', 'provisions every network and host of the plan, ready', async () => {
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

    clause(
      'host-setup',
      'gives hosts their planned addresses, aliases, env and files (mode and owner)',
      async () => {
        const server = plan.hosts.find((h) => h.name === 'server')!;
        const addresses = await sh('server', 'hostname -I');
        if (driver.capabilities.fixedAddresses) {
          for (const n of server.networks) expect(addresses.out).to.contain(n.address);
          const alias = await sh('console', 'getent hosts server');
          expect(alias.out).to.contain(server.networks.find((n) => n.name === 'front')!.address);
        } else {
          // addresses are the engine's: the names resolve to the address the host really has
          const own = addresses.out.trim().split(/\s+/);
          for (const name of ['server', 'db.internal']) {
            const seen = (await sh('console', `getent hosts ${name}`)).out.split(/\s+/)[0];
            expect(own, `${name} resolves to ${seen}`).to.include(seen);
          }
        }
        expect((await sh('console', 'echo "$MARK"')).out).to.equal('one\n');
        // root has no CAP_DAC_OVERRIDE in a scenario container: only the owner reads a 0640 file
        const flag = await sh('server', 'stat -c "%a %U:%G" /srv/flag.txt && cat /srv/flag.txt', 'trainee');
        expect((await sh('server', 'cat /srv/flag.txt')).exitCode).to.not.equal(0);
        expect(flag.out).to.equal(`640 trainee:trainee\n${server.files[0]!.content}`);
        expect((await sh('server', '/opt/deep/dir/run.sh')).out).to.equal('ran\n');
      },
    );

    clause(
      'network-isolation',
      'reaches a host on a shared network, not on a network it is not on',
      async () => {
        const server = plan.hosts.find((h) => h.name === 'server')!;
        const on = (network: string) => server.networks.find((n) => n.name === network)!.address;
        // console sits on front only; server on front and back
        expect((await sh('console', `nc -z -w 2 ${on('front')} 8080`)).exitCode).to.equal(0);
        expect((await sh('console', `nc -z -w 2 ${on('back')} 8080`)).exitCode).to.not.equal(0);
      },
    );

    clause('idempotent', 'is idempotent: provisioning the same plan again creates nothing new', async () => {
      const events: string[] = [];
      const status = await driver.provision(plan, { onProgress: (e) => events.push(e.state) });
      expect(status.ready).to.equal(true);
      expect(events.filter((e) => e === 'created' || e === 'recreated')).to.deep.equal([]);
      expect(events.filter((e) => e === 'adopted')).to.have.length(4); // two networks, two hosts
    });

    clause(
      'idempotent-same-boot',
      'leaves a running host alone when provisioning again (same boot)',
      async () => {
        const before = await sh('server', 'cat /proc/1/stat | cut -d" " -f22');
        await driver.provision(plan);
        expect((await sh('server', 'cat /proc/1/stat | cut -d" " -f22')).out).to.equal(before.out);
      },
    );

    clause(
      'exec',
      'runs commands with separate stdout and stderr, exit codes and users; failure is data',
      async () => {
        const r = await sh('console', 'echo out; echo err >&2; exit 3');
        expect(r).to.include({ exitCode: 3, timedOut: false, truncated: false });
        expect(r.out).to.equal('out\n');
        expect(r.stderr.toString()).to.equal('err\n');
        expect((await sh('console', 'id -un', 'trainee')).out).to.equal('trainee\n');
      },
    );

    clause('exec-timeout', 'stops a command at its timeout and says so', async () => {
      const r = await driver.exec(host('console'), ['/bin/sh', '-c', 'sleep 1000 & sleep 999'], {
        timeoutMs: 1_000,
        maxOutputBytes: 1024,
      });
      expect(r).to.include({ exitCode: null, timedOut: true });
    });

    clause('exec-timeout-kills', 'leaves no process behind after a timeout', async () => {
      const r = await driver.exec(host('console'), ['/bin/sh', '-c', 'sleep 1000 & sleep 999'], {
        timeoutMs: 1_000,
        maxOutputBytes: 1024,
      });
      expect(r.timedOut).to.equal(true);
      expect(await processesLike('console', '^sleep 99')).to.equal('0');
    });

    clause('exec-cap', 'caps output', async () => {
      const r = await driver.exec(host('console'), ['/bin/sh', '-c', 'head -c 100000 /dev/zero'], {
        timeoutMs: 10_000,
        maxOutputBytes: 1000,
      });
      expect(r.stdout.length).to.equal(1000);
      expect(r.truncated).to.equal(true);
      expect(r.exitCode).to.equal(0);
    });

    const consoleShell = () =>
      driver.openShell(host('console'), {
        user: 'trainee',
        shell: '/bin/bash',
        workdir: '/home/trainee',
        cols: 100,
        rows: 30,
      });

    clause('shell', 'opens a TTY shell as the console user, resizes it, and kills it on close', async () => {
      const shell = await consoleShell();
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
    });

    clause('shell-kill-in-host', 'kills the shell and its children in the host on close', async () => {
      const shell = await consoleShell();
      shell.stream.write('sleep 777 &\n');
      await readUntil(shell, /\[1\] \d+/);
      await shell.kill();
      await shell.exited;
      expect(await processesLike('console', '^(sleep 777|/bin/bash -l)')).to.equal('0');
    });

    /**
     * Back-pressure: a paused shell stream stops its producer. `yes` writes without end; while the
     * stream is paused, the bytes that reach us and the bytes buffered here stay bounded, and after
     * resume the output goes on.
     */
    const BUFFER_BOUND = 8 * 1024 * 1024;
    const pausedYes = async () => {
      const shell = await consoleShell();
      let received = 0;
      const count = (c: Buffer) => {
        received += c.length;
      };
      shell.stream.on('data', count);
      shell.stream.write('yes CYROP-BACK-PRESSURE\n');
      await readUntil(shell, /CYROP-BACK-PRESSURE\r?\nCYROP-BACK-PRESSURE/);
      shell.stream.pause();
      await sleep(1_500); // let every buffer on the way fill up
      const settled = received;
      return {
        shell,
        received: () => received,
        settled,
        buffered: () => shell.stream.readableLength + shell.stream.writableLength,
      };
    };

    clause(
      'shell-back-pressure',
      'stops a paused stream from growing, and goes on after resume',
      async () => {
        const paused = await pausedYes();
        try {
          await sleep(2_000);
          // nothing more arrives while paused, and what waits here is bounded
          expect(paused.received() - paused.settled).to.equal(0);
          expect(paused.buffered()).to.be.below(BUFFER_BOUND);
          const memory = process.memoryUsage().rss;
          await sleep(1_000);
          expect(process.memoryUsage().rss - memory).to.be.below(BUFFER_BOUND);
          const before = paused.received();
          paused.shell.stream.resume();
          await sleep(500);
          expect(paused.received() - before).to.be.above(64 * 1024); // the producer goes on
        } finally {
          await paused.shell.kill();
        }
      },
    );

    clause(
      'shell-back-pressure-blocks-producer',
      'blocks the producing process in the host while the stream is paused',
      async () => {
        const paused = await pausedYes();
        try {
          // CPU ticks (utime + stime) of `yes` over a second: a blocked writer uses none
          const ticks = async () =>
            Number(
              (
                await sh(
                  'console',
                  'for p in /proc/[0-9]*; do if [ "$(cat $p/comm 2>/dev/null)" = yes ]; then set -- $(cat $p/stat); echo $(($14 + $15)); fi; done',
                )
              ).out.trim() || Number.NaN,
            );
          const first = await ticks();
          await sleep(1_000);
          const second = await ticks();
          expect(first, 'the yes process is running in the host').to.not.be.NaN;
          expect(second - first).to.be.below(10); // running free it would use about 100 a second
        } finally {
          await paused.shell.kill();
        }
      },
    );

    clause(
      'tcp',
      "opens the platform's TCP connection to a port of a host, both ways; a closed port fails naming it",
      async () => {
        // a one-connection server on port 9090 (0x2382) of the host, speaking as HTTP does: it reads
        // one line (kept in `file`), thinks for a second, answers `answer`, then closes (perl-base is in every Debian image;
        // netcat quits as soon as the platform half-closes, before answering)
        const listen = async (answer: string, file: string) => {
          const server =
            '$l = IO::Socket::INET->new(LocalPort => 9090, Listen => 1, ReuseAddr => 1) or die; ' +
            `$c = $l->accept; $x = <$c>; open(F, ">${file}"); print F $x; close F; ` +
            `sleep 1; print $c qq(${answer}\\n); close $c`;
          await sh('server', `(perl -MIO::Socket::INET -e '${server}' &) </dev/null >/dev/null 2>&1`);
          for (let i = 0; i < 40; i++) {
            const listening = await sh(
              'server',
              'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -ci ":2382 .* 0A"',
            );
            if (listening.out.trim() !== '0') return;
            await new Promise((r) => setTimeout(r, 250));
          }
        };
        await listen('hello from server', '/tmp/got');
        const stream = await driver.openTcp!(host('server'), 9090, { timeoutMs: 10_000 });
        const received = drain(stream);
        stream.write('ping from the platform\n');
        // a conversation: the platform speaks, the host answers, then the platform ends its side
        await new Promise<void>((resolve) => {
          stream.once('data', () => resolve());
          stream.once('close', () => resolve());
        });
        stream.end();
        expect(await received).to.deep.equal({ text: 'hello from server\n' });
        expect((await sh('server', 'cat /tmp/got')).out).to.equal('ping from the platform\n');

        // a platform side that writes and half-closes at once still gets the host's answer (a
        // browser's request through a web tab may end its side before the host has spoken)
        await listen('second answer', '/tmp/got2');
        const halfClosed = await driver.openTcp!(host('server'), 9090, { timeoutMs: 10_000 });
        const second = drain(halfClosed);
        halfClosed.end('second ping\n');
        expect(await second).to.deep.equal({ text: 'second answer\n' });

        const closed = await driver.openTcp!(host('server'), 9999, { timeoutMs: 10_000 }).then(
          async (s) => {
            s.write('anything\n');
            return (await drain(s)).error ?? 'no error';
          },
          (error: unknown) => (error as Error).message,
        );
        expect(closed).to.match(/9999/);
      },
    );

    clause('drift', 'recreates a drifted host, and only that host', async () => {
      const [changed] = contractPlan(await image(), exercise, 1, 'two', multiNetwork());
      const events: string[] = [];
      await driver.provision(changed!, {
        onProgress: (e) => events.push(`${e.kind}:${'host' in e ? e.host : e.network}:${e.state}`),
      });
      expect(events).to.include('host:console:recreated');
      expect(events).to.include('host:server:adopted');
      expect((await sh('console', 'echo "$MARK"')).out).to.equal('two\n');
      plan = changed!;
    });

    clause('reset', 'resets one host to a fresh filesystem', async () => {
      expect((await sh('server', 'echo tampered > /srv/flag.txt', 'trainee')).exitCode).to.equal(0);
      expect((await sh('server', 'cat /srv/flag.txt', 'trainee')).out).to.equal('tampered\n');
      await driver.resetHost(plan, 'server');
      expect((await sh('server', 'cat /srv/flag.txt', 'trainee')).out).to.equal(
        plan.hosts.find((h) => h.name === 'server')!.files[0]!.content,
      );
    });

    clause('destroy', 'destroys everything, idempotently', async () => {
      await driver.destroy(ref);
      await driver.destroy(ref);
      expect(await driver.list({ 'cyrop.io/exercise': exercise })).to.deep.equal([]);
      const status = await driver.status(ref);
      expect(status.hosts).to.deep.equal([]);
      expect(status.ready).to.equal(false);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
