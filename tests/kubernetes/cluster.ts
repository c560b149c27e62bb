import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { ensureTestImage } from '../contract/test-images.ts';

/**
 * The local test cluster (infra/kubernetes/local-cluster/): where its
 * kubeconfig is, where images are pushed to and pulled from. Override with the environment.
 */
export const CLUSTER = {
  kubeconfig: process.env['CYROP_KUBECONFIG'] ?? '/var/lib/cyrop-k8s/admin.kubeconfig',
  /** `docker push` goes here (as seen from this machine). */
  pushRegistry: process.env['CYROP_K8S_REGISTRY_PUSH'] ?? '127.0.0.1:5100',
  /** Pods pull from here (as seen from the node); the local cluster uses the same name. */
  pullRegistry:
    process.env['CYROP_K8S_REGISTRY_PULL'] ?? process.env['CYROP_K8S_REGISTRY_PUSH'] ?? '127.0.0.1:5100',
};

/**
 * The cluster DNS address: CYROP_KUBE_DNS, else the API server's host (the local cluster runs
 * CoreDNS as a process on its node, whose address the apiserver also listens on).
 */
export function clusterDnsAddress(): string {
  const fromEnv = process.env['CYROP_KUBE_DNS'];
  if (fromEnv) return fromEnv;
  const server = /server:\s*"?([^"\s]+)/.exec(readFileSync(CLUSTER.kubeconfig, 'utf8'))?.[1];
  if (!server) throw new Error(`${CLUSTER.kubeconfig}: no server`);
  return new URL(server).hostname;
}

/**
 * Held (a pid in it) while tests/kubernetes/cluster-check.test.ts has the local cluster's NetworkPolicy
 * controller (kube-router) stopped: other Kubernetes tests, which rely on isolation, wait for it.
 */
export const NETWORK_POLICY_OFF_LOCK = '/run/cyrop-k8s/network-policy-off.lock';

/** The live process holding NETWORK_POLICY_OFF_LOCK, if any. */
export function networkPolicyLockHolder(): number | undefined {
  let holder: number;
  try {
    holder = Number(readFileSync(NETWORK_POLICY_OFF_LOCK, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(holder) || holder <= 0) return undefined;
  try {
    process.kill(holder, 0);
    return holder;
  } catch {
    return undefined;
  }
}

/** Mocha `before` hook body: skip the suite, saying why, when the cluster is not there. */
export function requireCluster(ctx: Mocha.Context): void {
  if (!existsSync(CLUSTER.kubeconfig)) {
    console.log(`      (skipped: ${CLUSTER.kubeconfig} does not exist — the local cluster is not set up)`);
    ctx.skip();
  }
  // Another process has NetworkPolicy enforcement off for a moment: wait (5 minutes at most).
  const holder = networkPolicyLockHolder();
  if (holder !== undefined && holder !== process.pid) {
    console.log(`      (waiting: process ${holder} has the NetworkPolicy controller stopped)`);
    ctx.timeout(ctx.timeout() + 300_000);
    const deadline = Date.now() + 300_000;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (networkPolicyLockHolder() !== undefined && Date.now() < deadline) Atomics.wait(pause, 0, 0, 1000);
  }
}

export function connectDriver(prefix = 'cyt'): Promise<KubernetesRuntimeDriver> {
  return KubernetesRuntimeDriver.connect({
    kubeconfig: CLUSTER.kubeconfig,
    namespacePrefix: prefix,
    inCluster: false,
    registry: CLUSTER.pullRegistry,
    dnsAddress: clusterDnsAddress(),
  });
}

/** Build a test image (tests/contract/<name>/) and push it to the cluster's registry; returns the plan's image name. */
export async function pushedTestImage(name: string): Promise<string> {
  const tag = await ensureTestImage(new Docker(), name);
  const remote = `${CLUSTER.pushRegistry}/${tag}`;
  execFileSync('docker', ['tag', tag, remote]);
  execFileSync('docker', ['push', '--quiet', remote], { stdio: ['ignore', 'ignore', 'inherit'] });
  return tag;
}
