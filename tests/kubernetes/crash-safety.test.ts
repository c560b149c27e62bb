import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  KubernetesAdapter,
  type LiveObject,
} from '../../orchestrator/src/runtime/kubernetes/kubernetes-adapter.ts';
import { terminating } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { KUBE_LABEL } from '../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import { crashSafetyTrials } from '../engine/crash-trials.ts';
import { CLUSTER, clusterDnsAddress, pushedTestImage, requireCluster } from './cluster.ts';

const PREFIX = 'cyk';
const TEAMS = 10;

/**
 * The contract suite's two hosts on two networks (a file with an owner, a dotted alias, a TCP
 * readiness check), with small cpu limits: the driver requests 1/8 of them, and 20 pods of this
 * 2-core node's test cluster, shared with other tests, must fit.
 */
const scenario = (image: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: crash, version: 1.0.0, title: Crash, category: other, difficulty: beginner }
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
    resources: { cpu: 0.2, memory: 64Mi, pids: 64 }
  - name: server
    image: ${image}
    networks: [front, { name: back, aliases: [db.internal] }]
    resources: { cpu: 0.2, memory: 64Mi, pids: 64 }
    command: [nc, -lk, -p, "8080", -s, 0.0.0.0]
    files:
      - { path: /srv/flag.txt, content: "{{params.secret}}\\n", mode: "0640", owner: "trainee:trainee" }
    ready: { tcp: 8080, timeout: 60s }
objectives:
  - { id: flag, kind: flag, title: Flag, points: 10, flag: "{{params.secret}}" }
`;

const label = (o: LiveObject, key: string) => o.metadata?.labels?.[key] ?? '';
const sorted = (values: string[]) => [...values].sort();

/**
 * kill -9 the orchestrator at random points of a 10-team launch on the real cluster; a restart
 * (reconcile) must converge: one live namespace per team holding the scenario's pods Running and
 * Ready, no other namespace of the exercise, and teardown leaves none (crash-trials.ts, shared with
 * the Docker engine).
 */
crashSafetyTrials({
  title: 'crash safety on Kubernetes: kill -9 during a 10-team launch, then reconcile (real cluster)',
  trials: 10,
  teams: TEAMS,
  setup: async (ctx) => {
    requireCluster(ctx);
    const image = await pushedTestImage('box');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-k8s-crash-'));
    const scenarioDir = path.join(dir, 'scenario');
    mkdirSync(scenarioDir);
    writeFileSync(path.join(scenarioDir, 'scenario.yaml'), scenario(image));
    const { adapter } = await KubernetesAdapter.connect({ kubeconfig: CLUSTER.kubeconfig, inCluster: false });

    const of = (exercise: string) => `${KUBE_LABEL.exercise}=${exercise}`;
    const namespaces = (exercise: string) => adapter.list('v1', 'Namespace', of(exercise));
    const teamsOf = (n: number) => Array.from({ length: n }, (_, i) => `team-${i + 1}`);

    return {
      env: {
        ...process.env,
        CYROP_DATA_DIR: path.join(dir, 'data'),
        CYROP_LOG_LEVEL: 'silent',
        CYROP_ENGINE: 'kubernetes',
        CYROP_KUBECONFIG: CLUSTER.kubeconfig,
        CYROP_KUBE_NAMESPACE_PREFIX: PREFIX,
        CYROP_KUBE_DNS: clusterDnsAddress(),
        CYROP_IMAGE_REGISTRY: CLUSTER.pullRegistry,
      },
      scenarioDir,

      expectConverged: async (exercise, teams, context) => {
        const all = await namespaces(exercise);
        // A namespace of an older generation may still be terminating: the driver gives a rebuilt
        // team a fresh namespace instead of waiting 5-7 s for the old one to go (README, "What one
        // team gets"), and reconcile rebuilds a team whose pods a kill left stopped or drifted. It
        // is no duplicate as long as it is going away: status and list ignore it, and its pods are
        // being killed. Anything not terminating must be exactly one per team.
        const live = all.filter((ns) => !terminating(ns));
        expect(
          sorted(live.map((ns) => label(ns, KUBE_LABEL.team))),
          `${context}: one live namespace per team`,
        ).to.deep.equal(sorted(teamsOf(teams)));
        for (const ns of live) expect(ns.metadata?.name, context).to.match(new RegExp(`^${PREFIX}-`));
        const liveNames = new Set(live.map((ns) => ns.metadata!.name!));
        const allNames = new Set(all.map((ns) => ns.metadata!.name!));

        const pods = await adapter.list('v1', 'Pod', of(exercise));
        // every pod of the exercise is in a namespace of the exercise: nothing leaked elsewhere
        for (const pod of pods)
          expect(
            allNames.has(pod.metadata?.namespace ?? ''),
            `${context}: pod ${pod.metadata?.name}`,
          ).to.equal(true);
        const livePods = pods.filter((p) => liveNames.has(p.metadata?.namespace ?? ''));
        for (const ns of live) {
          const name = ns.metadata!.name!;
          const inNs = livePods.filter((p) => p.metadata?.namespace === name);
          expect(
            sorted(inNs.map((p) => p.metadata?.name ?? '')),
            `${context}: pods of ${name}`,
          ).to.deep.equal(['console', 'server']);
          for (const pod of inNs) {
            const where = `${context}: ${name}/${pod.metadata?.name}`;
            expect(terminating(pod), where).to.equal(false);
            expect(pod.status?.phase, where).to.equal('Running');
            expect(
              pod.status?.conditions?.find((c) => c.type === 'Ready')?.status,
              `${where} Ready`,
            ).to.equal('True');
          }
        }
        // the scenario's networks are policies: default deny, DNS, one per network, in every live namespace
        const policies = await adapter.list('networking.k8s.io/v1', 'NetworkPolicy', of(exercise));
        for (const name of liveNames)
          expect(
            sorted(policies.filter((p) => p.metadata?.namespace === name).map((p) => p.metadata?.name ?? '')),
            `${context}: policies of ${name}`,
          ).to.deep.equal(['default-deny', 'dns', 'net-back', 'net-front']);
      },

      expectUntouched: async (exercise, context) => {
        expect(
          (await namespaces(exercise)).map((ns) => ns.metadata?.name),
          `${context}: namespaces of an exercise never stored`,
        ).to.deep.equal([]);
      },

      expectTornDown: async (exercise, context) => {
        // teardown deletes every namespace of each team and does not wait; nothing may be left
        // that is not going away, and the cluster finishes the deletion within the minute
        const left = await namespaces(exercise);
        expect(
          left.filter((ns) => !terminating(ns)).map((ns) => ns.metadata?.name),
          `${context}: live namespaces after teardown`,
        ).to.deep.equal([]);
        const deadline = Date.now() + 120_000;
        let names = left.map((ns) => ns.metadata?.name);
        while (names.length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 1_000));
          names = (await namespaces(exercise)).map((ns) => ns.metadata?.name);
        }
        expect(names, `${context}: namespaces still there 2 min after teardown`).to.deep.equal([]);
      },

      close: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  },
});
