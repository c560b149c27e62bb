import { expect } from 'chai';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { ClusterStatus } from '../../orchestrator/src/cli/cluster-command.ts';
import { ensureTestImage } from '../contract/test-images.ts';
import { REPO } from '../integration/helpers.ts';

const run = promisify(execFile);

/** The `cyrop` command, run from a folder outside the repository (as a user would). */
async function cyrop(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = execFile(process.execPath, [path.join(REPO, 'orchestrator/bin/cyrop.js'), ...args], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (input !== undefined) child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: string) => (stdout += d));
    child.stderr?.on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await cyrop(['cluster', 'kubectl', '--', ...args]);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function apply(manifest: object): Promise<void> {
  const r = await cyrop(['cluster', 'kubectl', '--', 'apply', '-f', '-'], JSON.stringify(manifest));
  if (r.code !== 0) throw new Error(`kubectl apply exited ${r.code}: ${r.stderr}`);
}

/** Whether a TCP connection from the client pod to ADDRESS:PORT succeeds (nc -z, 2 s timeout). */
async function connects(namespace: string, pod: string, address: string, port: number): Promise<boolean> {
  const r = await cyrop([
    'cluster',
    'kubectl',
    '--',
    'exec',
    '-n',
    namespace,
    pod,
    '--',
    'nc',
    '-z',
    '-w',
    '2',
    address,
    String(port),
  ]);
  return r.code === 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The local cluster of infra/kubernetes/local-cluster (`npm run cluster` starts it): healthy status,
 * the node Ready through `cyrop cluster kubectl`, an image pushed from the host with `docker push`
 * pulled by the cluster from its registry, and a NetworkPolicy default-deny enforced between two
 * namespaces. Traffic goes only to the pods made here; the namespaces are deleted afterwards.
 */
describe('local Kubernetes cluster', function () {
  this.timeout(300_000);
  const tag = `ktest${process.pid}`;
  const nsClient = `${tag}-a`;
  const nsServer = `${tag}-b`;
  let status: ClusterStatus;

  before(async function () {
    const r = await cyrop(['cluster', 'status', '--format', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    status = JSON.parse(r.stdout) as ClusterStatus;
    if (!status.running) {
      throw new Error(
        `the local cluster is not running (run 'npm run cluster'): ${JSON.stringify(status.components.filter((c) => !c.healthy))}`,
      );
    }
  });

  after(async function () {
    await cyrop([
      'cluster',
      'kubectl',
      '--',
      'delete',
      'namespace',
      nsClient,
      nsServer,
      '--ignore-not-found',
      '--wait=false',
    ]);
  });

  it('reports every daemon healthy, with the addresses others rely on', function () {
    expect(status.kubeconfig).to.equal('/var/lib/cyrop-k8s/admin.kubeconfig');
    expect(status.components.map((c) => c.name)).to.include.members([
      'containerd',
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kubelet',
      'kube-router',
      'coredns',
      'registry-push',
      'registry-pull',
    ]);
    for (const c of status.components) expect(c.healthy, `${c.name}: ${c.detail}`).to.equal(true);
    expect(status.apiServer).to.equal(`https://${status.node.address}:6443`);
    expect(status.registry.push).to.equal(status.registry.pull);
    expect(status.registry.push).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('shows the node Ready through cyrop cluster kubectl', async function () {
    const out = await kubectl('get', 'nodes');
    const line = out.split('\n').find((l) => l.startsWith(`${status.node.name} `));
    expect(line, out).to.match(/\sReady\s/);
  });

  it('runs a pod from an image pushed with docker push, then enforces a default-deny NetworkPolicy', async function () {
    // An image of the host's Docker engine, pushed to the cluster's registry under a name of this run.
    const docker = new Docker();
    const source = await ensureTestImage(docker, 'box');
    const ref = `${status.registry.push}/cyrop-test/box:${tag}`;
    await run('docker', ['tag', source, ref]);
    try {
      await run('docker', ['push', '--quiet', ref], { maxBuffer: 16 * 1024 * 1024 });
      const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]);
      const digests = JSON.parse(stdout) as string[];
      const pushed = digests.find((d) => d.startsWith(`${status.registry.push}/cyrop-test/box@`));
      expect(pushed, stdout).to.be.a('string');
      const image = pushed as string;
      const digest = image.slice(image.indexOf('@') + 1);

      for (const ns of [nsClient, nsServer]) {
        await apply({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ns, labels: { 'cyrop.io/test': tag } },
        });
      }
      const pod = (namespace: string, name: string, command: string[]) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace, labels: { app: name } },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 1,
          containers: [{ name, image, imagePullPolicy: 'IfNotPresent', command }],
        },
      });
      await apply(pod(nsServer, 'server', ['nc', '-lk', '8080']));
      await apply(pod(nsClient, 'client', ['sleep', 'infinity']));
      await kubectl('wait', '-n', nsServer, '--for=condition=Ready', 'pod/server', '--timeout=120s');
      await kubectl('wait', '-n', nsClient, '--for=condition=Ready', 'pod/client', '--timeout=120s');

      // Pulled from the registry by digest: the running container's image is the pushed one.
      const server = JSON.parse(await kubectl('get', 'pod', '-n', nsServer, 'server', '-o', 'json')) as {
        status: { podIP: string; containerStatuses: { imageID: string }[] };
      };
      expect(server.status.containerStatuses[0]?.imageID).to.contain(digest);
      const ip = server.status.podIP;

      // Without a policy, namespace A reaches the server in namespace B.
      let open = false;
      for (let i = 0; i < 20 && !open; i++) {
        open = await connects(nsClient, 'client', ip, 8080);
        if (!open) await sleep(500);
      }
      expect(open, `client in ${nsClient} could not reach ${ip}:8080 before any policy`).to.equal(true);

      // A default-deny ingress policy in B: after kube-router's rules land, the connection is refused.
      await apply({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny', namespace: nsServer },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      });
      let denied = false;
      for (let i = 0; i < 40 && !denied; i++) {
        denied = !(await connects(nsClient, 'client', ip, 8080));
        if (!denied) await sleep(250);
      }
      expect(denied, `client in ${nsClient} still reached ${ip}:8080 with a default-deny policy`).to.equal(
        true,
      );
      // and it stays refused
      for (let i = 0; i < 3; i++) expect(await connects(nsClient, 'client', ip, 8080)).to.equal(false);
    } finally {
      await run('docker', ['rmi', ref]).catch(() => undefined);
    }
  });
});
