/**
 * Scale benchmark on simulated nodes: `--teams` teams × 3 hosts launched, reconciled after a restart
 * and torn down through the real platform (the `cyrop` CLI as a child process, SQLite store, the
 * Kubernetes driver) against a throw-away control plane with KWOK nodes
 * (infra/kubernetes/kwok-cluster/, started here and stopped afterwards). Reference, same run: the same
 * objects (toKubernetes of the same plans) applied by `kubectl apply --server-side` in parallel
 * batches, waited for by listing the pods every 2 s, re-applied, deleted with `kubectl delete namespace`.
 * Figures from the API server's own /metrics (requests by code, API Priority and Fairness per flow
 * schema, request latency histogram) and the platform process's RSS from /proc. JSON on stdout,
 * progress on stderr; asserts nothing about time. See README.md in this folder.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compileScenario } from '../../../orchestrator/src/compiler/compile-scenario.ts';
import { planExercise } from '../../../orchestrator/src/compiler/plan-exercise.ts';
import { toKubernetes } from '../../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import {
  kwokUnavailable,
  metricsDelta,
  rssSummary,
  sampleRss,
  scrapeMetrics,
  startKwokCluster,
  type KwokCluster,
} from '../../kubernetes/kwok-cluster.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CYROP = path.join(REPO, 'orchestrator/bin/cyrop.js');
const run = promisify(execFile);
const flag = (name: string, fallback: number): number => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = Number(raw ?? fallback);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name}=${raw}: expected a positive whole number`);
  return value;
};
const TEAMS = flag('teams', 1000);
const CONCURRENCY = flag('concurrency', 100);
const QPS = flag('qps', 200);
const BURST = flag('burst', 2 * QPS);
const NODES = flag('nodes', Math.max(1, Math.ceil((TEAMS * 3) / 400)));
const PODS_PER_NODE = flag('pods-per-node', 500);
const BATCH = flag('batch', 50);
const PARALLEL = flag('parallel', 8);
/** `--cpu-prof=DIR`: the platform's processes write V8 CPU profiles there (open in Chrome's DevTools). */
const CPU_PROF = process.argv.find((a) => a.startsWith('--cpu-prof='))?.split('=')[1];
const SKIP = new Set(
  (process.argv.find((a) => a.startsWith('--skip='))?.split('=')[1] ?? '').split(',').filter(Boolean),
);
const OURS = 'kwb';
const REF = 'kwr';
const DNS = '10.97.0.10';

const log = (line: string) => process.stderr.write(`[bench:kwok] ${line}\n`);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: kwok-scale, version: 1.0.0, title: KWOK scale, category: other, difficulty: beginner }
networks: [{ name: front }, { name: back }]
hosts:
  - { name: console, image: cyrop-test/box:kwok, networks: [front], console: { user: trainee, shell: /bin/bash }, resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
  - { name: web, image: cyrop-test/box:kwok, networks: [front, back], resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
  - { name: db, image: cyrop-test/box:kwok, networks: [back], resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/** The platform's environment: the Kubernetes engine on the KWOK control plane, as the platform's service account identity. */
export function platformEnv(cluster: KwokCluster, dataDir: string, prefix: string, teams: number) {
  return {
    ...process.env,
    CYROP_DATA_DIR: dataDir,
    CYROP_LOG_LEVEL: 'warn',
    CYROP_ENGINE: 'kubernetes',
    CYROP_KUBECONFIG: cluster.platformKubeconfig,
    CYROP_KUBE_NAMESPACE_PREFIX: prefix,
    CYROP_KUBE_DNS: DNS,
    CYROP_KUBE_QPS: String(QPS),
    CYROP_KUBE_BURST: String(BURST),
    CYROP_LAUNCH_CONCURRENCY: String(CONCURRENCY),
    // two /24s per team (the plan's subnets; unused by this engine, but planned): a /12 holds 2048 teams
    CYROP_SUBNET_POOL: '10.64.0.0/12',
    CYROP_QUOTA_TEAMS: String(Math.max(100, teams)),
    CYROP_QUOTA_HOSTS: String(Math.max(400, 3 * teams)),
    CYROP_QUOTA_CPU: String(Math.max(64, teams)),
    CYROP_QUOTA_MEMORY: `${Math.max(256, teams)}Gi`,
    CYROP_QUOTA_DISK: `${Math.max(1024, 4 * teams)}Gi`,
  };
}

/** Run the CLI as a child (the platform process), sampling its RSS; the API server's metrics around it. */
async function platform(cluster: KwokCluster, env: NodeJS.ProcessEnv, args: string[]) {
  const before = await scrapeMetrics(cluster);
  const t0 = process.hrtime.bigint();
  const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, CYROP, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const rss = sampleRss(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const s = seconds(t0);
  const samples = rss.stop();
  const after = await scrapeMetrics(cluster);
  if (code !== 0) throw new Error(`cyrop ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  return { seconds: s, stdout, rss: rssSummary(samples), api: metricsDelta(before, after) };
}

async function kubectl(cluster: KwokCluster, args: string[], timeoutMs = 1_800_000) {
  const { stdout } = await run(cluster.kubectl, ['--kubeconfig', cluster.platformKubeconfig, ...args], {
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** Pod uid by namespace/name of every pod of an exercise. */
async function podUids(cluster: KwokCluster, exercise: string): Promise<Map<string, string>> {
  const out = await kubectl(cluster, [
    'get',
    'pods',
    '-A',
    '-l',
    `cyrop.io/exercise=${exercise}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
  ]);
  const uids = new Map<string, string>();
  let notReady = 0;
  for (const line of out.split('\n').filter(Boolean)) {
    const [name, uid, ready] = line.split(' ');
    uids.set(name!, uid!);
    if (ready !== 'True') notReady++;
  }
  if (notReady) throw new Error(`${notReady} pod(s) of ${exercise} not Ready`);
  return uids;
}

/**
 * Until `count` pods of the exercise are Ready, by listing them every 2 s (`kubectl wait` over 3,000
 * pods goes through them one at a time, minutes after they are all Ready: it would time kubectl, not
 * the cluster).
 */
async function allReady(cluster: KwokCluster, exercise: string, count: number): Promise<void> {
  for (;;) {
    const out = await kubectl(cluster, [
      'get',
      'pods',
      '-A',
      '-l',
      `cyrop.io/exercise=${exercise}`,
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    if (out.split('\n').filter((l) => l === 'True').length >= count) return;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

function unchanged(before: Map<string, string>, after: Map<string, string>) {
  let recreated = 0;
  for (const [name, uid] of before) if (after.get(name) !== uid) recreated++;
  return { pods: after.size, recreated, added: [...after.keys()].filter((k) => !before.has(k)).length };
}

/** Time until no namespace of the exercise is left (the namespace controller deletes their contents). */
async function untilGone(cluster: KwokCluster, exercise: string, t0: bigint): Promise<number> {
  for (;;) {
    const left = (
      await kubectl(cluster, ['get', 'namespaces', '-l', `cyrop.io/exercise=${exercise}`, '-o', 'name'])
    )
      .split('\n')
      .filter(Boolean).length;
    if (!left) return seconds(t0);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

async function ours(cluster: KwokCluster, dir: string) {
  const scenarioDir = path.join(dir, 'scenario');
  const env = platformEnv(cluster, path.join(dir, 'data'), OURS, TEAMS);
  log(
    `ours: cyrop exercise launch, ${TEAMS} teams × 3 hosts, ${CONCURRENCY} at once, ${QPS} requests/s (bursts ${BURST})`,
  );
  const launch = await platform(cluster, env, [
    'exercise',
    'launch',
    scenarioDir,
    '--teams',
    String(TEAMS),
    '--id',
    OURS,
    '--secret',
    'kwok-bench',
    '--format',
    'json',
  ]);
  const states = (JSON.parse(launch.stdout) as { teams: { state: string }[] }).teams.map((t) => t.state);
  const ready = states.filter((s) => s === 'ready').length;
  log(
    `ours: ${ready}/${TEAMS} teams ready in ${round(launch.seconds)} s; RSS peak ${launch.rss.peakMiB} MiB`,
  );
  const uids = await podUids(cluster, OURS);

  log('ours: cyrop exercise reconcile (a restarted platform: every team converged already)');
  const reconcile = await platform(cluster, env, ['exercise', 'reconcile', '--format', 'json']);
  const report = JSON.parse(reconcile.stdout) as { converged: unknown[]; failed: unknown[] };
  const afterReconcile = unchanged(uids, await podUids(cluster, OURS));
  log(`ours: reconcile in ${round(reconcile.seconds)} s, ${afterReconcile.recreated} pod(s) recreated`);

  log('ours: cyrop exercise teardown, then until every namespace is gone');
  const t0 = process.hrtime.bigint();
  const teardown = await platform(cluster, env, ['exercise', 'teardown', OURS, '--format', 'json']);
  const before = await scrapeMetrics(cluster);
  const gone = await untilGone(cluster, OURS, t0);
  const drain = metricsDelta(before, await scrapeMetrics(cluster));
  log(`ours: teardown returned in ${round(teardown.seconds)} s, namespaces gone after ${round(gone)} s`);
  return {
    launch: { ...launch, stdout: undefined, teamsReady: ready },
    reconcile: {
      ...reconcile,
      stdout: undefined,
      converged: report.converged.length,
      failed: report.failed.length,
      pods: afterReconcile,
    },
    teardown: {
      ...teardown,
      stdout: undefined,
      namespacesGoneSeconds: gone,
      namespaceControllerAfter: drain,
    },
  };
}

async function reference(cluster: KwokCluster, dir: string) {
  const { compiled, diagnostics } = compileScenario(SCENARIO, { file: 'kwok-scale.yaml' });
  if (!compiled) throw new Error(`the bench scenario does not compile: ${JSON.stringify(diagnostics)}`);
  const plans = planExercise(compiled, {
    exerciseId: REF,
    teams: TEAMS,
    secret: 'kwok-bench',
    subnetPool: '10.64.0.0/12',
  });
  const files: string[] = [];
  for (let b = 0; b * BATCH < plans.length; b++) {
    const items = plans.slice(b * BATCH, (b + 1) * BATCH).flatMap((plan, i) => {
      const m = toKubernetes(
        plan,
        { namespacePrefix: REF, dnsAddress: DNS },
        `r${String(b * BATCH + i).padStart(5, '0')}`,
      );
      return [...m.setup, ...m.pods.flatMap((p) => (p.secret ? [p.secret, p.pod] : [p.pod]))];
    });
    const file = path.join(dir, `batch-${b}.json`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    files.push(file);
  }
  const applyAll = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, files.length) }, async () => {
        while (next < files.length)
          await kubectl(cluster, [
            'apply',
            '--server-side',
            '--field-manager=kwok-bench',
            '-f',
            files[next++]!,
          ]);
      }),
    );
  };
  const measured = async (what: () => Promise<void>) => {
    const before = await scrapeMetrics(cluster);
    const t0 = process.hrtime.bigint();
    await what();
    const s = seconds(t0);
    return { seconds: s, api: metricsDelta(before, await scrapeMetrics(cluster)) };
  };

  log(
    `reference: kubectl apply --server-side, ${files.length} batches of ${BATCH} teams, ${PARALLEL} at once, then every 2 s a list until all pods are Ready`,
  );
  const launch = await measured(async () => {
    await applyAll();
    await allReady(cluster, REF, 3 * TEAMS);
  });
  const uids = await podUids(cluster, REF);
  log(`reference: ${uids.size} pods Ready in ${round(launch.seconds)} s`);
  log('reference: the same files applied again (a reconcile that changes nothing)');
  const reconcile = await measured(applyAll);
  const afterReconcile = unchanged(uids, await podUids(cluster, REF));
  log('reference: kubectl delete namespace -l …, then until every namespace is gone');
  const t0 = process.hrtime.bigint();
  const teardown = await measured(async () => {
    await kubectl(cluster, ['delete', 'namespace', '-l', `cyrop.io/exercise=${REF}`, '--wait=false']);
  });
  const gone = await untilGone(cluster, REF, t0);
  log(`reference: namespaces gone after ${round(gone)} s`);
  return {
    launch,
    reconcile: { ...reconcile, pods: afterReconcile },
    teardown: { ...teardown, namespacesGoneSeconds: gone },
  };
}

async function main(): Promise<void> {
  const why = kwokUnavailable();
  if (why) throw new Error(`bench:kwok ${why}`);
  log(`starting the KWOK control plane: ${NODES} nodes × ${PODS_PER_NODE} pods`);
  const cluster = await startKwokCluster(NODES, PODS_PER_NODE);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-kwok-bench-'));
  try {
    mkdirSync(path.join(dir, 'scenario'));
    writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), SCENARIO);
    const load = os.loadavg().map((l) => round(l));
    const o = await ours(cluster, dir);
    const r = SKIP.has('reference') ? undefined : await reference(cluster, dir);
    const perTeam = (n: number) => round(n / TEAMS, 1);
    const launchOk = o.launch.teamsReady === TEAMS;
    const result = {
      benchmark: 'kwok',
      teams: TEAMS,
      hostsPerTeam: 3,
      nodes: { count: NODES, podsEach: PODS_PER_NODE, cpuEach: 64, memoryEach: '256Gi' },
      platform: {
        concurrency: CONCURRENCY,
        qps: QPS,
        burst: BURST,
        identity:
          'system:serviceaccount:cyrop:platform (flow schema service-accounts, priority level workload-low)',
      },
      reference: { batchTeams: BATCH, parallel: PARALLEL },
      cores: os.cpus().length,
      loadAverageAtStart: load,
      loadAverageAtEnd: os.loadavg().map((l) => round(l)),
      launch: {
        ours: {
          secondsToAllReady: round(o.launch.seconds),
          teamsReady: o.launch.teamsReady,
          platformRequestsPerTeam: perTeam(o.launch.api.platformRequests),
          http429: o.launch.api.http429,
          apiserverRequests: o.launch.api.requests,
          apiserverLatency: o.launch.api.latencyNonWatchSeconds,
          rss: o.launch.rss,
          byCode: o.launch.api.byCode,
          byFlowSchema: o.launch.api.dispatchedByFlowSchema,
        },
        ...(r
          ? {
              kubectl: {
                secondsToAllReady: round(r.launch.seconds),
                platformRequestsPerTeam: perTeam(r.launch.api.platformRequests),
                http429: r.launch.api.http429,
                apiserverLatency: r.launch.api.latencyNonWatchSeconds,
              },
              ratio: { oursOverKubectl: round(o.launch.seconds / r.launch.seconds) },
            }
          : {}),
        bar: {
          allReadyWithinSeconds: 300,
          met: launchOk && o.launch.seconds <= 300,
          no429Storm: {
            at_most_percent_of_requests: 1,
            met: o.launch.api.http429 <= 0.01 * o.launch.api.requests,
          },
          flatMemory: {
            rule: 'last quarter mean RSS ≤ 1.25 × second quarter mean',
            met: (o.launch.rss.quarterMeansMiB[3] ?? 0) <= 1.25 * (o.launch.rss.quarterMeansMiB[1] ?? 0),
          },
        },
      },
      reconcileAfterRestart: {
        ours: {
          seconds: round(o.reconcile.seconds),
          converged: o.reconcile.converged,
          failed: o.reconcile.failed,
          podsRecreated: o.reconcile.pods.recreated,
          podsAdded: o.reconcile.pods.added,
          platformRequestsPerTeam: perTeam(o.reconcile.api.platformRequests),
          http429: o.reconcile.api.http429,
          apiserverLatency: o.reconcile.api.latencyNonWatchSeconds,
          rss: o.reconcile.rss,
        },
        ...(r
          ? {
              kubectlApplyAgain: {
                seconds: round(r.reconcile.seconds),
                podsRecreated: r.reconcile.pods.recreated,
                platformRequestsPerTeam: perTeam(r.reconcile.api.platformRequests),
              },
              ratio: { oursOverKubectl: round(o.reconcile.seconds / r.reconcile.seconds) },
            }
          : {}),
      },
      teardown: {
        ours: {
          secondsCommand: round(o.teardown.seconds),
          secondsUntilNamespacesGone: round(o.teardown.namespacesGoneSeconds),
          platformRequestsPerTeam: perTeam(o.teardown.api.platformRequests),
          http429: o.teardown.api.http429,
          apiserverLatency: o.teardown.api.latencyNonWatchSeconds,
          rss: o.teardown.rss,
          namespaceControllerRequests: o.teardown.namespaceControllerAfter.requests,
        },
        ...(r
          ? {
              kubectl: {
                secondsCommand: round(r.teardown.seconds),
                secondsUntilNamespacesGone: round(r.teardown.namespacesGoneSeconds),
              },
              ratio: {
                untilGoneOursOverKubectl: round(
                  o.teardown.namespacesGoneSeconds / r.teardown.namespacesGoneSeconds,
                ),
              },
            }
          : {}),
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
