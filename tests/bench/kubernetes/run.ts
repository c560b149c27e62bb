/**
 * Kubernetes engine benchmark, on the real local cluster (tests/kubernetes/cluster.ts), two parts,
 * each against a reference measured in the same run. Progress on stderr, JSON on stdout; asserts
 * nothing about time. See README.md in this folder for the flags and the figures of a run.
 *
 *   launch:   `--teams` teams × 3 hosts. Ours: KubernetesRuntimeDriver.provision of every team,
 *             `--concurrency` at once, until every team is ready. Reference: the SAME manifests
 *             (toKubernetes) as one file per team, `kubectl apply --server-side` per team in
 *             parallel, then `kubectl wait --for=condition=Ready pod --all` per team. Plus the time
 *             to first usable terminal (one team: provision → openShell → a command's output).
 *             Hosts ask for cpu 0.2: a pod requests 1/8 of its limit, and 60 pods of cpu 0.5
 *             (62m each) do not fit a 2-core node (the rest stay Pending: "Insufficient cpu").
 *   terminal: in one pod, echo latency (write a command line, wait for its output) and bulk output
 *             (`head -c <n>M /dev/zero | base64`, every byte counted) through driver.openShell vs
 *             raw `kubectl exec -it` (under `script`, which gives kubectl a TTY).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { compileScenario } from '../../../orchestrator/src/compiler/compile-scenario.ts';
import type { EnvironmentPlan } from '../../../orchestrator/src/compiler/environment-plan.ts';
import { LABEL, planExercise } from '../../../orchestrator/src/compiler/plan-exercise.ts';
import type { KubernetesRuntimeDriver } from '../../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { toKubernetes } from '../../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import { CLUSTER, clusterDnsAddress, connectDriver, pushedTestImage } from '../../kubernetes/cluster.ts';

const run = promisify(execFile);
const flag = (name: string, fallback: number): number => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = Number(raw ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}=${raw}: expected a positive number`);
  return value;
};
const TEAMS = flag('teams', 20);
const CONCURRENCY = flag('concurrency', TEAMS);
const SAMPLES = flag('samples', 200);
const BULK_MB = flag('bulk-mb', 50);
const SKIP = new Set(
  (process.argv.find((a) => a.startsWith('--skip='))?.split('=')[1] ?? '').split(',').filter(Boolean),
);
const KUBECTL = process.env['CYROP_KUBECTL'] ?? '/var/cache/cyrop/kubernetes/kubernetes-v1.34.4/bin/kubectl';
/** Every namespace of this bench carries this exercise label (ours and the reference alike). */
const EXERCISE = 'kbench';
const SELECTOR = `${LABEL.exercise}=${EXERCISE}`;
const OURS_PREFIX = 'kbo';
const REF_PREFIX = 'kbr';

const log = (line: string) => process.stderr.write(`[bench:kubernetes] ${line}\n`);
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const millis = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const kubectl = (args: string[], timeoutMs = 600_000) =>
  run(KUBECTL, ['--kubeconfig', CLUSTER.kubeconfig, ...args], {
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });

const scenario = (image: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: kbench, version: 1.0.0, title: Kubernetes bench, category: other, difficulty: beginner }
networks: [{ name: front }, { name: back }]
hosts:
  - { name: console, image: ${image}, networks: [front], console: { user: trainee, shell: /bin/bash }, resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
  - { name: web, image: ${image}, networks: [front, back], resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
  - { name: db, image: ${image}, networks: [back], resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

function plansFor(image: string, teams: number): EnvironmentPlan[] {
  const { compiled, diagnostics } = compileScenario(scenario(image), { file: 'kbench.yaml' });
  if (!compiled) throw new Error(`the bench scenario does not compile: ${JSON.stringify(diagnostics)}`);
  return planExercise(compiled, {
    exerciseId: EXERCISE,
    teams,
    secret: 'kbench-secret',
    subnetPool: '10.236.0.0/16',
  });
}

/** Delete every namespace of this bench and wait until they are gone. */
async function clean(): Promise<void> {
  const t0 = process.hrtime.bigint();
  await kubectl(['delete', 'namespace', '-l', SELECTOR, '--wait=true', '--ignore-not-found']);
  log(`namespaces labelled ${SELECTOR} deleted and gone (${round(seconds(t0), 1)} s)`);
}

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Collects a stream's output; `until(pattern)` resolves once it has appeared since the last mark. */
class Reader {
  private text = '';
  bytes = 0;
  private waiter: { pattern: string; resolve: () => void } | undefined;
  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      // Only the tail matters for matching; keep it short so that bulk output costs nothing here.
      this.text = (this.text + chunk.toString('latin1')).slice(-4096);
      if (this.waiter && this.text.includes(this.waiter.pattern)) {
        const { resolve } = this.waiter;
        this.waiter = undefined;
        this.text = '';
        resolve();
      }
    });
    stream.resume();
  }
  until(pattern: string, timeoutMs = 120_000): Promise<void> {
    if (this.text.includes(pattern)) {
      this.text = '';
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no '${pattern}' within ${timeoutMs} ms; last output ${JSON.stringify(this.text.slice(-300))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiter = {
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }
}

interface Terminal {
  input: Writable;
  reader: Reader;
  close(): Promise<void>;
}

/** A typed command line whose output (not its echo) is `T<n>`: the typed text holds `$((`, never the result. */
async function roundTrip(t: Terminal, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  t.input.write(`echo T$((${n}+1000000))\n`);
  await t.reader.until(`T${n + 1000000}`);
  return millis(start);
}

async function prepare(t: Terminal): Promise<void> {
  // Same plain shell on both sides: no prompt decorations, no bracketed paste.
  t.input.write(
    "exec bash --noprofile --norc\nPS1='$ '; bind 'set enable-bracketed-paste off' 2>/dev/null; stty -echo\n",
  );
  await roundTrip(t, 0);
}

async function echoLatency(t: Terminal): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 1; i <= 20; i++) await roundTrip(t, i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(await roundTrip(t, 100 + i));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return {
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

async function bulk(t: Terminal) {
  const before = t.reader.bytes;
  const start = process.hrtime.bigint();
  t.input.write(`head -c ${BULK_MB}M /dev/zero | base64; echo B$((7+1000000))\n`);
  await t.reader.until('B1000007', 600_000);
  const s = seconds(start);
  const bytes = t.reader.bytes - before;
  // base64 wraps at 76 columns; the terminal turns each \n into \r\n; then `B1000007\r\n`.
  const encoded = Math.ceil((BULK_MB * 1024 * 1024) / 3) * 4;
  const expected = encoded + 2 * Math.ceil(encoded / 76) + 10;
  return { bytes, expectedAtLeast: expected, seconds: round(s, 3), bytesPerSecond: Math.round(bytes / s) };
}

async function oursTerminal(driver: KubernetesRuntimeDriver, plan: EnvironmentPlan): Promise<Terminal> {
  const shell = await driver.openShell(
    { exercise: plan.exercise.id, team: plan.team.id, host: 'console' },
    { user: 'trainee', cols: 200, rows: 50 },
  );
  const stream: Duplex = shell.stream;
  return { input: stream, reader: new Reader(stream), close: () => shell.kill() };
}

function rawTerminal(namespace: string): Terminal {
  const command = [
    KUBECTL,
    '--kubeconfig',
    CLUSTER.kubeconfig,
    'exec',
    '-it',
    '-n',
    namespace,
    'console',
    '--',
  ]
    .concat(['setpriv', '--reuid=trainee', '--regid=trainee', '--init-groups', '/bin/bash'])
    .map((a) => `'${a}'`)
    .join(' ');
  // `script` runs kubectl on a pseudo-terminal (so `-t` holds) and copies its output to our pipe.
  const child = spawn('script', ['-qfc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const t: Terminal = {
    input: child.stdin,
    reader: new Reader(child.stdout),
    close: async () => {
      child.stdin.write('\nexit\n');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return t;
}

async function launchBench(driver: KubernetesRuntimeDriver, image: string) {
  const plans = plansFor(image, TEAMS);

  log(`ours: provision ${TEAMS} teams × 3 hosts, ${CONCURRENCY} at once`);
  const a0 = process.hrtime.bigint();
  let retries = 0;
  let ready = 0;
  await runLimited(plans, CONCURRENCY, async (plan) => {
    // As ExerciseService.provisionTeam: 3 attempts, 1 s then 3 s apart (provision is idempotent:
    // a retry adopts what is there and waits again).
    for (let attempt = 1; ; attempt++) {
      try {
        await driver.provision(plan);
        log(`ours: ${plan.team.id} ready after ${round(seconds(a0), 1)} s (${++ready}/${TEAMS})`);
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        retries++;
        log(`ours: ${plan.team.id} attempt ${attempt} failed (${(error as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, [1_000, 3_000][attempt - 1]));
      }
    }
  });
  const ours = seconds(a0);
  log(`ours: every team ready in ${round(ours)} s`);
  await clean();

  const settings = {
    namespacePrefix: REF_PREFIX,
    dnsAddress: clusterDnsAddress(),
    registry: CLUSTER.pullRegistry,
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-kbench-'));
  try {
    const files = plans.map((plan, i) => {
      const m = toKubernetes(plan, settings, `r${String(i).padStart(5, '0')}`);
      const items = [...m.setup, ...m.pods.flatMap((p) => (p.secret ? [p.secret, p.pod] : [p.pod]))];
      const file = path.join(dir, `${plan.team.id}.json`);
      writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
      return { file, namespace: m.namespace };
    });
    log(`reference: kubectl apply --server-side + kubectl wait, ${TEAMS} teams in parallel`);
    const b0 = process.hrtime.bigint();
    await Promise.all(
      files.map(async ({ file, namespace }) => {
        await kubectl(['apply', '--server-side', '--field-manager=kbench', '-f', file]);
        await kubectl(['wait', '--for=condition=Ready', 'pod', '--all', '-n', namespace, '--timeout=600s']);
      }),
    );
    const reference = seconds(b0);
    log(`reference: every team ready in ${round(reference)} s`);
    await clean();
    return { ours, reference, retries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  log(`building the box test image and pushing it to ${CLUSTER.pushRegistry}`);
  const image = await pushedTestImage('box');
  const driver = await connectDriver(OURS_PREFIX);
  await clean();
  const result: Record<string, unknown> = {
    benchmark: 'kubernetes',
    teams: TEAMS,
    hostsPerTeam: 3,
    concurrency: CONCURRENCY,
    cores: os.cpus().length,
  };
  try {
    if (!SKIP.has('launch')) {
      const { ours, reference, retries } = await launchBench(driver, image);
      result['launch'] = {
        seconds: { ours: round(ours), kubectlApplyWait: round(reference) },
        oursRetries: retries,
        ratio: { oursOverKubectl: round(ours / reference) },
        bar: { oursOverKubectlAtMost: 1.0, met: ours / reference <= 1.0 },
      };
    }

    // One team: time to first usable terminal, then the terminal part in its console pod.
    const [plan] = plansFor(image, 1);
    log('first terminal: provision one team, open a shell, wait for a command to answer');
    const f0 = process.hrtime.bigint();
    await driver.provision(plan!);
    const provisioned = millis(f0);
    const first = await oursTerminal(driver, plan!);
    await roundTrip(first, 1);
    const firstTerminal = millis(f0);
    await first.close();
    result['firstTerminalMs'] = { total: round(firstTerminal, 0), ofWhichProvision: round(provisioned, 0) };

    if (!SKIP.has('terminal')) {
      const { stdout } = await kubectl([
        'get',
        'namespace',
        '-l',
        SELECTOR,
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]);
      const namespace = stdout.trim();
      if (!namespace) throw new Error(`no namespace labelled ${SELECTOR} after provisioning`);
      const measure = async (name: string, open: () => Promise<Terminal>) => {
        log(`terminal (${name}): ${SAMPLES} echo samples, then ${BULK_MB} MiB of base64`);
        const t = await open();
        try {
          await prepare(t);
          const echo = await echoLatency(t);
          const out = await bulk(t);
          return { echo, out };
        } finally {
          await t.close();
        }
      };
      const ours = await measure('ours', () => oursTerminal(driver, plan!));
      const raw = await measure('raw kubectl exec -it', () => Promise.resolve(rawTerminal(namespace)));
      result['terminal'] = {
        namespace,
        echoMs: { ours: ours.echo, rawKubectlExec: raw.echo },
        bulk: { ours: ours.out, rawKubectlExec: raw.out },
        ratios: {
          echoP50OursMinusRawMs: round(ours.echo.p50 - raw.echo.p50),
          echoP99OursMinusRawMs: round(ours.echo.p99 - raw.echo.p99),
          bulkOursOverRaw: round(ours.out.bytesPerSecond / raw.out.bytesPerSecond),
        },
        bars: {
          echoP50AtMostRawPlusMs: 2,
          echoP99AtMostRawPlusMs: 10,
          bulkOursOverRawAtLeast: 0.6,
          met: {
            echoP50: ours.echo.p50 <= raw.echo.p50 + 2,
            echoP99: ours.echo.p99 <= raw.echo.p99 + 10,
            bulk: ours.out.bytesPerSecond >= 0.6 * raw.out.bytesPerSecond,
          },
        },
      };
    }
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await clean().catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
  }
}

await main();
process.exit(0);
