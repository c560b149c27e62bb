import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KubernetesAdapter,
  type LiveObject,
} from '../../orchestrator/src/runtime/kubernetes/kubernetes-adapter.ts';
import { terminating } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { KUBE_LABEL } from '../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import { kwokUnavailable, startKwokCluster, type KwokCluster } from './kwok-cluster.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CYROP = path.join(REPO, 'orchestrator/bin/cyrop.js');
/**
 * The thousand by default (on a quiet 2-core machine: 334 s in all, reconcile of 1,000 teams
 * 74 s, since API requests share one keep-alive agent); `CYROP_KWOK_TEAMS=N` runs fewer while working
 * on the driver.
 */
const TEAMS = Number(process.env['CYROP_KWOK_TEAMS'] ?? 1000);
const PREFIX = 'kws';
const EXERCISE = 'kwok-scale';

/** Three hosts on two networks; no dotted alias and no late-bound file (both need exec, which KWOK pods lack). */
const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: kwok-scale, version: 1.0.0, title: KWOK scale, category: other, difficulty: beginner }
networks: [{ name: front }, { name: back }]
hosts:
  - { name: console, image: cyrop-test/box:kwok, networks: [front], console: { user: trainee, shell: /bin/bash }, resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
  - { name: web, image: cyrop-test/box:kwok, networks: [front, { name: back, aliases: [api] }], resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
  - { name: db, image: cyrop-test/box:kwok, networks: [back], resources: { cpu: 0.2, memory: 128Mi, pids: 64 } }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

const ready = (p: LiveObject) =>
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const uidOf = (o: LiveObject) => (o.metadata as { uid?: string } | undefined)?.uid ?? '';
const podKey = (p: LiveObject) => `${p.metadata?.namespace}/${p.metadata?.name}`;

/**
 * 1,000 teams × 3 hosts through the real platform (the `cyrop` CLI as a child process: SQLite store,
 * exercise service, Kubernetes driver) on a throw-away control plane with KWOK nodes
 * (infra/kubernetes/kwok-cluster/): the launch is killed (-9) once half the pods exist, `cyrop exercise reconcile`
 * converges every team without re-creating a pod that was there, a second reconcile (the platform
 * restarted again) changes nothing at all, and a teardown leaves no namespace.
 */
describe(`KWOK: ${TEAMS} teams × 3 hosts, kill -9 mid-launch, reconcile, teardown`, function () {
  this.timeout(60 * 60_000);
  let cluster: KwokCluster | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let admin: KubernetesAdapter;

  before(async function () {
    const why = kwokUnavailable();
    if (why) {
      console.log(`      (skipped: ${why})`);
      this.skip();
    }
    this.timeout(35 * 60_000); // a first run builds kwok
    // 400 pods a node (room for 500): 3,000 pods on 8 nodes
    cluster = await startKwokCluster(Math.max(1, Math.ceil((TEAMS * 3) / 400)), 500);
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-kwok-scale-'));
    mkdirSync(path.join(dir, 'scenario'));
    writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), SCENARIO);
    env = {
      ...process.env,
      CYROP_DATA_DIR: path.join(dir, 'data'),
      CYROP_LOG_LEVEL: 'silent',
      CYROP_ENGINE: 'kubernetes',
      CYROP_KUBECONFIG: cluster.platformKubeconfig,
      CYROP_KUBE_NAMESPACE_PREFIX: PREFIX,
      CYROP_KUBE_DNS: '10.97.0.10',
      CYROP_KUBE_QPS: '200',
      // a tenth of the teams at once: the pods appear in waves, so the kill below lands mid-launch
      CYROP_LAUNCH_CONCURRENCY: String(Math.max(10, Math.ceil(TEAMS / 10))),
      CYROP_SUBNET_POOL: '10.64.0.0/12',
      CYROP_QUOTA_TEAMS: String(Math.max(100, TEAMS)),
      CYROP_QUOTA_HOSTS: String(Math.max(400, 3 * TEAMS)),
      CYROP_QUOTA_CPU: String(Math.max(64, TEAMS)),
      CYROP_QUOTA_MEMORY: `${Math.max(256, TEAMS)}Gi`,
      CYROP_QUOTA_DISK: `${Math.max(1024, 4 * TEAMS)}Gi`,
    };
    ({ adapter: admin } = await KubernetesAdapter.connect({
      kubeconfig: cluster.adminKubeconfig,
      inCluster: false,
      qps: 200,
    }));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CYROP, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const of = `${KUBE_LABEL.exercise}=${EXERCISE}`;
  const namespaces = () => admin.list('v1', 'Namespace', of);
  const pods = () => admin.list('v1', 'Pod', of);

  it(`${TEAMS} teams launch; killed half-way, reconcile converges re-creating nothing; teardown leaves nothing`, async () => {
    // 1. launch, killed -9 once half of the pods exist (so that the reconcile has pods to keep)
    const started = Date.now();
    const launch = spawn(
      process.execPath,
      [
        CYROP,
        'exercise',
        'launch',
        path.join(dir, 'scenario'),
        '--teams',
        String(TEAMS),
        '--id',
        EXERCISE,
        '--format',
        'json',
      ],
      { env, stdio: 'ignore' },
    );
    const exited = new Promise((r) => launch.once('exit', r));
    let seen = 0;
    let podsSeen = 0;
    while (launch.exitCode === null && podsSeen < (3 * TEAMS) / 2) {
      await new Promise((r) => setTimeout(r, 1_000));
      [seen, podsSeen] = [(await namespaces()).length, (await pods()).length];
    }
    expect(launch.exitCode, 'the launch was still running when killed').to.equal(null);
    launch.kill('SIGKILL');
    await exited;
    const atKill = (await pods()).filter((p) => !terminating(p));
    const uidsAtKill = new Map(atKill.map((p) => [podKey(p), uidOf(p)]));
    console.log(
      `      killed after ${Date.now() - started} ms: ${seen} namespaces, ${atKill.length} pods (${atKill.filter(ready).length} Ready)`,
    );
    expect(atKill.length, 'pods there at the kill').to.be.greaterThan(0);
    // In the middle: some pod not yet created, or not yet Ready (the reconcile has work either way).
    expect(
      Math.min(atKill.length, atKill.filter(ready).length),
      'killed in the middle, not at the end',
    ).to.be.lessThan(3 * TEAMS);

    // 2. the platform restarts: reconcile converges every team
    const r0 = Date.now();
    const reconcile = await cli(['exercise', 'reconcile', '--format', 'json']);
    expect(reconcile.code, reconcile.stderr + reconcile.stdout.slice(-2000)).to.equal(0);
    const report = JSON.parse(reconcile.stdout) as { converged: unknown[]; failed: unknown[] };
    expect(report.failed).to.deep.equal([]);
    expect(report.converged).to.have.length(TEAMS);
    console.log(`      reconcile converged ${TEAMS} teams in ${Date.now() - r0} ms`);

    const live = (await namespaces()).filter((n) => !terminating(n));
    const teamOf = (o: LiveObject) => o.metadata?.labels?.[KUBE_LABEL.team] ?? '';
    expect(live.map(teamOf).sort(), 'one live namespace per team').to.deep.equal(
      Array.from({ length: TEAMS }, (_, i) => `team-${i + 1}`).sort(),
    );
    const liveNames = new Set(live.map((n) => n.metadata?.name));
    const converged = (await pods()).filter((p) => liveNames.has(p.metadata?.namespace));
    expect(converged, 'three pods a team').to.have.length(3 * TEAMS);
    const notReady = converged.filter((p) => !ready(p)).map(podKey);
    expect(notReady, 'pods not Running and Ready').to.deep.equal([]);
    const byKey = new Map(converged.map((p) => [podKey(p), uidOf(p)]));
    const recreated = [...uidsAtKill].filter(([key, uid]) => byKey.has(key) && byKey.get(key) !== uid);
    expect(recreated, 'pods there before the reconcile that it re-created').to.deep.equal([]);
    const list = await cli(['exercise', 'list', '--format', 'json']);
    const stored = (
      JSON.parse(list.stdout) as { id: string; state: string; teams: { state: string }[] }[]
    ).find((e) => e.id === EXERCISE);
    expect(stored?.state).to.equal('running');
    expect(new Set(stored?.teams.map((t) => t.state))).to.deep.equal(new Set(['ready']));

    // 3. restarted once more: a reconcile of converged teams changes nothing
    const again = await cli(['exercise', 'reconcile', '--format', 'json']);
    expect(again.code, again.stderr).to.equal(0);
    const after = (await pods()).filter((p) => !terminating(p));
    expect(new Map(after.map((p) => [podKey(p), uidOf(p)])), 'every pod as it was').to.deep.equal(byKey);
    expect(
      (await namespaces())
        .filter((n) => !terminating(n))
        .map((n) => n.metadata?.name)
        .sort(),
    ).to.deep.equal([...liveNames].sort());

    // 4. teardown: every namespace goes (the namespace controller empties them)
    const teardown = await cli(['exercise', 'teardown', EXERCISE]);
    expect(teardown.code, teardown.stderr).to.equal(0);
    expect(
      (await namespaces()).filter((n) => !terminating(n)),
      'live namespaces after teardown',
    ).to.deep.equal([]);
    const deadline = Date.now() + 15 * 60_000;
    let left = (await namespaces()).length;
    while (left && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2_000));
      left = (await namespaces()).length;
    }
    expect(left, 'namespaces still there 15 min after teardown').to.equal(0);
    console.log(`      all of it in ${Math.round((Date.now() - started) / 1000)} s`);
  });
});
