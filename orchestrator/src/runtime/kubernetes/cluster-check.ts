import { randomBytes } from 'node:crypto';
import { CyropError } from '../../errors.ts';
import {
  DRIVER_ACCESS,
  clusterWideAccess,
  describeAccess,
  type Access,
  type ForbiddenAccess,
} from './access.ts';
import type { KubernetesAdapter, LiveObject } from './kubernetes-adapter.ts';
import type { KubeObject } from './to-kubernetes.ts';

/**
 * `cyrop cluster check`: verifies for real that a cluster gives what the Kubernetes driver relies on,
 * with probe pods in throw-away namespaces (deleted at the end, also on failure or interruption):
 * NetworkPolicy enforced (not merely accepted), Pod Security admission on, cluster DNS, a pids limit,
 * and the platform ServiceAccount's RBAC (access.ts: enough and no more).
 */

export const CHECK_NAMES = ['network-policy', 'pod-security', 'dns', 'pids', 'rbac'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  status: 'pass' | 'fail' | 'skipped';
  /** What was done and seen. */
  detail: string;
  /** What is missing (failures). */
  missing?: string;
  /** How to fix it (failures). */
  fix?: string;
}

export interface ClusterCheckOptions {
  /** The probe pods' image (it needs sh, and node, python3 or nc to listen; bash, nc or node to connect). */
  image: string;
  /** The cluster's DNS domain (`cluster.local`). */
  clusterDomain: string;
  /** The platform's ServiceAccount; absent: the RBAC check is skipped. */
  serviceAccount?: { namespace: string; name: string };
  /** The ClusterRole the driver binds in each team namespace. */
  teamRole: string;
  /** Also require `list endpointslices` in kube-system (the driver's DNS lookup when CYROP_KUBE_DNS is unset). */
  dnsLookup: boolean;
  /** Only these checks (default: all). */
  only?: readonly CheckName[];
  /** How long a probe pod may take to become ready (ms). */
  podTimeoutMs?: number;
  /** Aborting stops the checks; the namespaces are still deleted. */
  signal?: AbortSignal;
  /** Progress lines (the CLI prints them on stderr). */
  progress?: (line: string) => void;
}

export interface ClusterCheckReport {
  server: string;
  /** The run's label value (`cyrop.io/cluster-check`) and the namespaces it made. */
  run: string;
  namespaces: string[];
  checks: CheckResult[];
  /** Every namespace of the run is gone (not merely terminating). */
  cleanedUp: boolean;
  ok: boolean;
}

/** Labels of everything a check run creates (the namespaces; what is inside goes with them). */
export const CHECK_LABEL = 'cyrop.io/cluster-check';
export const CHECK_MANAGED_BY = 'cyrop-cluster-check';
const PORT = 8080;
const CONTAINER = 'probe';

/** Listen on PORT with whatever the image has (node, python3, nc). */
const SERVER_SCRIPT = `
if command -v node >/dev/null 2>&1; then
  exec node -e 'require("net").createServer((s) => s.end("cyrop-check\\n")).listen(${PORT})'
elif command -v python3 >/dev/null 2>&1; then
  exec python3 -c 'import socketserver as s
class H(s.BaseRequestHandler):
    def handle(self): self.request.sendall(b"cyrop-check\\n")
s.ThreadingTCPServer(("", ${PORT}), H).serve_forever()'
elif command -v nc >/dev/null 2>&1; then
  exec nc -lk -p ${PORT}
fi
echo "the probe image has neither node, python3 nor nc to listen with" >&2
exit 3`;

/** A pod with nothing to do but be exec'd into. */
const IDLE_SCRIPT = 'trap "exit 0" TERM; while true; do sleep 5 & wait $!; done';

/** Exit 0 when a TCP connection to $1:$2 opens within 3 s; 3 when the image has no tool for it. */
const CONNECT_SCRIPT = `
if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
  exec timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2"
elif command -v nc >/dev/null 2>&1; then
  exec nc -z -w 3 "$1" "$2"
elif command -v node >/dev/null 2>&1; then
  exec node -e 'const s = require("net").connect(+process.argv[2], process.argv[1], () => process.exit(0));
s.setTimeout(3000, () => process.exit(1)); s.on("error", () => process.exit(1))' "$1" "$2"
fi
echo "the probe image has neither bash and timeout, nc nor node to connect with" >&2
exit 3`;

/** Print the addresses a name resolves to (getent, else nslookup, else node). */
const RESOLVE_SCRIPT = `
if command -v getent >/dev/null 2>&1; then exec getent hosts "$1"
elif command -v nslookup >/dev/null 2>&1; then exec nslookup "$1"
elif command -v node >/dev/null 2>&1; then
  exec node -e 'require("dns").lookup(process.argv[1], { all: true }, (e, a) => { if (e) { console.error(e.message); process.exit(2) } for (const x of a) console.log(x.address) })' "$1"
fi
echo "the probe image has neither getent, nslookup nor node to resolve with" >&2
exit 3`;

/** The container's own pids.max (cgroup v2, then v1). */
const PIDS_SCRIPT =
  'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo unknown';

export async function checkCluster(
  api: KubernetesAdapter,
  options: ClusterCheckOptions,
): Promise<ClusterCheckReport> {
  const run = randomBytes(3).toString('hex');
  const progress = options.progress ?? (() => undefined);
  const wanted = new Set<CheckName>(options.only?.length ? options.only : CHECK_NAMES);
  const ns = {
    a: `cyrop-check-${run}-a`,
    b: `cyrop-check-${run}-b`,
    team: `cyrop-check-${run}-team`,
  };
  const made: string[] = [];
  const results = new Map<CheckName, CheckResult>();
  const put = (r: CheckResult) => results.set(r.name, r);
  const abortable = () => {
    if (options.signal?.aborted) throw new CyropError('ENGINE_ERROR', 'the cluster check was interrupted');
  };

  let cleanedUp: boolean;
  try {
    const needPods = ['network-policy', 'dns', 'pids'].some((c) => wanted.has(c as CheckName));
    if (needPods || wanted.has('pod-security')) {
      progress(`creating namespaces ${ns.a} and ${ns.b} (Pod Security: restricted)`);
      for (const name of [ns.a, ns.b]) {
        made.push(name);
        await api.apply(namespace(name, run));
      }
    }

    let server: ReadyPod | undefined;
    let client: ReadyPod | undefined;
    let podProblem: string | undefined;
    if (needPods) {
      progress(`starting probe pods (image ${options.image}): a TCP server in ${ns.a}, a client in ${ns.b}`);
      try {
        await api.apply(probePod(ns.a, 'server', options.image, SERVER_SCRIPT, true));
        await api.apply(probePod(ns.b, 'client', options.image, IDLE_SCRIPT, false));
        const timeout = options.podTimeoutMs ?? 120_000;
        [server, client] = await Promise.all([
          waitReady(api, ns.a, 'server', timeout, options.signal),
          waitReady(api, ns.b, 'client', timeout, options.signal),
        ]);
      } catch (error) {
        abortable();
        podProblem = error instanceof Error ? error.message : String(error);
      }
    }
    const noPods = (name: CheckName): CheckResult => ({
      name,
      status: 'fail',
      detail: `the probe pods could not run: ${podProblem ?? 'unknown'}`,
      missing: 'probe pods',
      fix: `pass --image an image this cluster can pull that runs as a non-root user under Pod Security "restricted" (it needs sh, and node, python3 or nc)`,
    });

    if (wanted.has('pod-security')) {
      abortable();
      progress(
        'pod-security: asking for a privileged pod in a namespace labelled enforce=restricted (dry run)',
      );
      put(await checkPodSecurity(api, ns.b, options.image));
    }
    if (wanted.has('dns')) {
      abortable();
      progress(`dns: resolving kubernetes.default.svc.${options.clusterDomain} in a pod`);
      put(client ? await checkDns(api, client, options.clusterDomain) : noPods('dns'));
    }
    if (wanted.has('pids')) {
      abortable();
      progress('pids: reading pids.max in a pod and the kubelets\u2019 podPidsLimit');
      put(client ? await checkPids(api, client) : noPods('pids'));
    }
    // Last of the pod checks: its default-deny egress policy would cut the client pod off DNS.
    if (wanted.has('network-policy')) {
      abortable();
      progress(
        'network-policy: connecting without a policy, after a default-deny ingress policy, after a default-deny egress policy',
      );
      put(
        server && client
          ? await checkNetworkPolicy(api, ns, server, client, options.signal)
          : noPods('network-policy'),
      );
    }
    if (wanted.has('rbac')) {
      abortable();
      if (!options.serviceAccount) {
        put({
          name: 'rbac',
          status: 'skipped',
          detail:
            'skipped: no --service-account NAMESPACE/NAME (the platform\u2019s ServiceAccount) was given',
        });
      } else {
        progress(
          `rbac: asking what system:serviceaccount:${options.serviceAccount.namespace}:${options.serviceAccount.name} may do (SubjectAccessReview), with ${options.teamRole} bound in ${ns.team}`,
        );
        made.push(ns.team);
        put(await checkRbac(api, ns.team, run, options.serviceAccount, options));
      }
    }
  } finally {
    // Cleanup runs whatever happened above, and is not itself interrupted.
    cleanedUp = await cleanup(api, made, progress);
  }
  const checks = CHECK_NAMES.filter((c) => wanted.has(c)).map(
    (c) => results.get(c) ?? { name: c, status: 'fail' as const, detail: 'not run' },
  );
  return {
    server: api.server,
    run,
    namespaces: made,
    checks,
    cleanedUp,
    ok: cleanedUp && checks.every((c) => c.status !== 'fail'),
  };
}

interface ReadyPod {
  namespace: string;
  name: string;
  ip: string;
  node: string;
}

function namespace(name: string, run: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/managed-by': CHECK_MANAGED_BY,
        [CHECK_LABEL]: run,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
}

/** A pod that passes Pod Security "restricted": non-root, no capabilities, RuntimeDefault seccomp. */
function probePod(ns: string, name: string, image: string, script: string, listens: boolean): KubeObject {
  const hexPort = PORT.toString(16).toUpperCase().padStart(4, '0');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { [CHECK_LABEL]: name } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: CONTAINER,
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['/bin/sh', '-c', script],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          resources: {
            requests: { cpu: '10m', memory: '32Mi' },
            limits: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
          },
          ...(listens
            ? {
                // A listening socket in /proc/net/tcp{,6}: no traffic from the node is needed.
                readinessProbe: {
                  exec: {
                    command: [
                      '/bin/sh',
                      '-c',
                      `grep -qE '^ *[0-9]+: [0-9A-F]+:${hexPort} [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6`,
                    ],
                  },
                  periodSeconds: 1,
                },
              }
            : {}),
        },
      ],
    },
  };
}

const STUCK =
  /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError|CreateContainerError|RunContainerError/;

async function waitReady(
  api: KubernetesAdapter,
  ns: string,
  name: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<ReadyPod> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not created';
  for (;;) {
    if (signal?.aborted) throw new CyropError('ENGINE_ERROR', 'the cluster check was interrupted');
    const pod = await api.get('v1', 'Pod', name, ns);
    if (pod) {
      const status = pod.status ?? {};
      const waiting = status.containerStatuses?.[0]?.state?.waiting;
      const terminated = status.containerStatuses?.[0]?.state?.terminated;
      const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const node = pod.spec?.['nodeName'];
      if (ready && status.podIP)
        return { namespace: ns, name, ip: status.podIP, node: typeof node === 'string' ? node : '' };
      if (waiting?.reason && STUCK.test(waiting.reason))
        throw new CyropError(
          'ENGINE_IMAGE_MISSING',
          `pod ${ns}/${name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
        );
      if (terminated || status.phase === 'Failed' || status.phase === 'Succeeded')
        throw new CyropError(
          'ENGINE_ERROR',
          `pod ${ns}/${name} exited (${terminated ? `code ${terminated.exitCode}${terminated.reason ? `, ${terminated.reason}` : ''}` : status.phase})${terminated?.message ? `: ${terminated.message.trim().slice(0, 300)}` : ''}`,
        );
      last = describePod(pod);
    }
    if (Date.now() > deadline)
      throw new CyropError(
        'ENGINE_TIMEOUT',
        `pod ${ns}/${name} not ready after ${timeoutMs / 1000} s: ${last}`,
      );
    await sleep(500);
  }
}

function describePod(pod: LiveObject): string {
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
  if (waiting?.reason) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status !== 'True');
  if (unscheduled) return `not scheduled: ${unscheduled.message ?? unscheduled.reason ?? ''}`;
  return `phase ${pod.status?.phase ?? 'unknown'}`;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command in a probe pod to its end (or `timeoutMs`); non-zero exit is data. */
async function run(
  api: KubernetesAdapter,
  pod: ReadyPod,
  command: string[],
  timeoutMs = 15_000,
): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const result: { code: number | null; failure?: string } = { code: null };
  let closed!: () => void;
  const ended = new Promise<void>((resolve) => (closed = resolve));
  const channel = await api.exec(
    pod.namespace,
    pod.name,
    CONTAINER,
    command,
    { stdin: false, tty: false },
    {
      onStdout: (d) => (stdout += d.toString('utf8')),
      onStderr: (d) => (stderr += d.toString('utf8')),
      onStatus: (s) => {
        result.code = s.exitCode;
        if (s.exitCode === null && s.status !== 'Success') result.failure = s.message ?? s.reason ?? 'failed';
      },
      onClose: () => closed(),
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    ended.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    channel.close();
    return { code: null, stdout, stderr: `${stderr}(no answer within ${timeoutMs / 1000} s)` };
  }
  if (result.code === null && result.failure !== undefined)
    throw new CyropError('ENGINE_ERROR', `exec in pod ${pod.namespace}/${pod.name}: ${result.failure}`);
  return { code: result.code, stdout, stderr };
}

async function connects(api: KubernetesAdapter, client: ReadyPod, server: ReadyPod): Promise<Ran> {
  const r = await run(api, client, ['/bin/sh', '-c', CONNECT_SCRIPT, 'connect', server.ip, String(PORT)]);
  if (r.code === 3) throw new CyropError('ENGINE_ERROR', r.stderr.trim());
  return r;
}

/** Up to 10 tries, a second apart, until the client connects; the last try's result. */
async function firstConnect(
  api: KubernetesAdapter,
  client: ReadyPod,
  server: ReadyPod,
  signal: AbortSignal | undefined,
): Promise<Ran> {
  for (let i = 1; ; i++) {
    if (signal?.aborted) throw new CyropError('ENGINE_ERROR', 'the cluster check was interrupted');
    const r = await connects(api, client, server);
    if (r.code === 0 || i === 10) return r;
    await sleep(1000);
  }
}

async function checkNetworkPolicy(
  api: KubernetesAdapter,
  ns: { a: string; b: string },
  server: ReadyPod,
  client: ReadyPod,
  signal: AbortSignal | undefined,
): Promise<CheckResult> {
  const name = 'network-policy';
  const target = `${server.namespace}/${server.name} (${server.ip}:${PORT})`;
  try {
    // 1. Without any policy the client must get through: otherwise the probe proves nothing.
    const baseline = await firstConnect(api, client, server, signal);
    if (baseline.code !== 0)
      return {
        name,
        status: 'fail',
        detail: `inconclusive: with no NetworkPolicy at all, the client in ${ns.b} could not connect to ${target} (exit ${baseline.code ?? 'none'}${baseline.stderr.trim() ? `: ${baseline.stderr.trim()}` : ''})`,
        missing: 'pod-to-pod traffic across namespaces',
        fix: 'check the pod network (CNI) between namespaces; something denies it before any NetworkPolicy exists',
      };
    // Poll until the connection has the wanted outcome (refused: twice in a row), for 20 s at most.
    let attempts = 0;
    const until = async (connected: boolean): Promise<boolean> => {
      const deadline = Date.now() + 20_000;
      let inARow = 0;
      while (Date.now() < deadline) {
        if (signal?.aborted) throw new CyropError('ENGINE_ERROR', 'the cluster check was interrupted');
        const r = await connects(api, client, server);
        attempts++;
        inARow = (r.code === 0) === connected ? inARow + 1 : 0;
        if (inARow >= (connected ? 1 : 2)) return true;
        if (r.code === 0) await sleep(1000);
      }
      return false;
    };
    const policy = (namespace: string, type: 'Ingress' | 'Egress'): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `default-deny-${type.toLowerCase()}`, namespace, labels: {} },
      spec: { podSelector: {}, policyTypes: [type] },
    });
    const controllerMissing = {
      missing: 'a NetworkPolicy controller (no component enforces NetworkPolicy on this cluster)',
      fix: 'run a network plugin that enforces NetworkPolicy on every node (Calico, Cilium, kube-router with --run-firewall, …); without it teams are not isolated from each other',
    };
    // 2. Deny all ingress into A: the same connection must now fail.
    await api.apply(policy(ns.a, 'Ingress'));
    if (!(await until(false)))
      return {
        name,
        status: 'fail',
        detail: `NOT enforced: NetworkPolicy objects are accepted, but 20 s after a default-deny ingress policy in ${ns.a} the client in ${ns.b} still connects to ${target}`,
        ...controllerMissing,
      };
    // 3. Without that policy it connects again (the refusal was the policy's doing).
    await api.delete('networking.k8s.io/v1', 'NetworkPolicy', 'default-deny-ingress', ns.a);
    if (!(await until(true)))
      return {
        name,
        status: 'fail',
        detail: `a default-deny ingress policy in ${ns.a} was enforced, but 20 s after it was deleted the client in ${ns.b} still cannot connect to ${target}`,
        missing: 'NetworkPolicy changes applied in time (a deleted policy still blocks)',
        fix: "check the NetworkPolicy controller's logs and resync interval",
      };
    // 4. Deny all egress from B: the client's connection must fail again (team namespaces deny egress).
    await api.apply(policy(ns.b, 'Egress'));
    if (!(await until(false)))
      return {
        name,
        status: 'fail',
        detail: `ingress policies are enforced, but 20 s after a default-deny egress policy in ${ns.b} its client still connects to ${target}`,
        missing: 'egress NetworkPolicy enforcement',
        fix: 'use a network plugin that enforces egress rules (Calico, Cilium, kube-router, …): CYROP team namespaces deny egress, or a team reaches the node, other teams and the outside',
      };
    return {
      name,
      status: 'pass',
      detail: `enforced, ingress and egress: with no policy the client in ${ns.b} connected to ${target}; refused after a default-deny ingress policy in ${ns.a}, connected again once it was deleted, refused after a default-deny egress policy in ${ns.b} (${attempts} attempts)`,
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return failed(name, error, 'the probe could not run', 'see the error above');
  }
}

async function checkPodSecurity(api: KubernetesAdapter, ns: string, image: string): Promise<CheckResult> {
  const name = 'pod-security';
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'privileged', namespace: ns },
    spec: {
      automountServiceAccountToken: false,
      containers: [
        {
          name: CONTAINER,
          image,
          command: ['/bin/sh', '-c', IDLE_SCRIPT],
          securityContext: { privileged: true },
        },
      ],
    },
  };
  try {
    await api.create(pod, { dryRun: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/PodSecurity/.test(message))
      return {
        name,
        status: 'pass',
        detail: `on: a privileged pod in ${ns} (labelled pod-security.kubernetes.io/enforce=restricted) was refused: ${/violates PodSecurity "[^"]*": [^,(]*(\([^)]*\))?/.exec(message)?.[0] ?? firstLine(message)}`,
      };
    return {
      name,
      status: 'fail',
      detail: `a privileged pod in ${ns} was refused, but not by Pod Security admission: ${firstLine(message)}`,
      missing: 'Pod Security admission (the driver relies on its namespace labels)',
      fix: 'enable the PodSecurity admission plugin (on by default since Kubernetes 1.25; check --disable-admission-plugins and the admission configuration)',
    };
  }
  return {
    name,
    status: 'fail',
    detail: `a privileged pod was admitted (dry run) in ${ns}, a namespace labelled pod-security.kubernetes.io/enforce=restricted`,
    missing: 'Pod Security admission',
    fix: 'enable the PodSecurity admission plugin (on by default since Kubernetes 1.25; check the API server\u2019s --disable-admission-plugins and the exemptions of its admission configuration)',
  };
}

async function checkDns(api: KubernetesAdapter, client: ReadyPod, domain: string): Promise<CheckResult> {
  const name = 'dns';
  const host = `kubernetes.default.svc.${domain}`;
  try {
    let r: Ran | undefined;
    for (let i = 0; i < 5; i++) {
      r = await run(api, client, ['/bin/sh', '-c', RESOLVE_SCRIPT, 'resolve', host]);
      if (r.code === 3) throw new CyropError('ENGINE_ERROR', r.stderr.trim());
      const addresses = [...r.stdout.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:]+)\b/gi)].map(
        (m) => m[1],
      );
      if (r.code === 0 && addresses.length > 0)
        return {
          name,
          status: 'pass',
          detail: `${host} resolves in a pod: ${[...new Set(addresses)].join(', ')}`,
        };
      await sleep(1000);
    }
    return {
      name,
      status: 'fail',
      detail: `${host} does not resolve in a pod (exit ${r?.code ?? 'none'}: ${(r?.stderr || r?.stdout || '').trim().slice(0, 200)})`,
      missing: 'cluster DNS',
      fix: `run the cluster DNS (CoreDNS) and set the kubelet's clusterDNS and clusterDomain; if the domain is not ${domain}, pass --cluster-domain`,
    };
  } catch (error) {
    return failed(name, error, 'cluster DNS could not be probed', 'see the error above');
  }
}

async function checkPids(api: KubernetesAdapter, client: ReadyPod): Promise<CheckResult> {
  const name = 'pids';
  try {
    const r = await run(api, client, ['/bin/sh', '-c', PIDS_SCRIPT]);
    const inPod = r.stdout.trim();
    if (/^\d+$/.test(inPod))
      return { name, status: 'pass', detail: `pids.max in a pod's container cgroup is ${inPod}` };
    // The kubelet's podPidsLimit sits on the pod's cgroup, above the container's (which reads `max`
    // and is all a container sees): ask each node's kubelet for its configuration.
    const nodes = (await api.list('v1', 'Node', '')).map((n) => n.metadata?.name ?? '').filter(Boolean);
    const limits: string[] = [];
    const without: string[] = [];
    for (const node of nodes) {
      const config = await api.kubeletConfig(node);
      const limit = Number(config['podPidsLimit'] ?? -1);
      if (limit > 0) limits.push(`${node} ${limit}`);
      else without.push(`${node} (podPidsLimit ${JSON.stringify(config['podPidsLimit'] ?? 'unset')})`);
    }
    if (without.length === 0 && limits.length > 0)
      return {
        name,
        status: 'pass',
        detail: `pids.max in a pod's container cgroup is ${inPod || 'unknown'}; the pod's cgroup is limited by the kubelet's podPidsLimit: ${limits.join(', ')}`,
      };
    return {
      name,
      status: 'fail',
      detail: `no process limit: pids.max in a pod is ${inPod || 'unknown'} and the kubelets of ${without.join(', ')} set no podPidsLimit`,
      missing: 'a pod pids limit',
      fix: 'set podPidsLimit (e.g. 4096) in the kubelet configuration of every node; without it one fork bomb in a team\u2019s host exhausts the node',
    };
  } catch (error) {
    return failed(
      name,
      error,
      'no pids limit could be read',
      'run the check with credentials that may get nodes/proxy (the kubelet configuration), or set podPidsLimit on every node',
    );
  }
}

async function checkRbac(
  api: KubernetesAdapter,
  teamNs: string,
  run: string,
  sa: { namespace: string; name: string },
  options: ClusterCheckOptions,
): Promise<CheckResult> {
  const name = 'rbac';
  const user = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  try {
    if (!(await api.get('rbac.authorization.k8s.io/v1', 'ClusterRole', options.teamRole)))
      return {
        name,
        status: 'fail',
        detail: `the team ClusterRole ${options.teamRole} does not exist`,
        missing: `ClusterRole ${options.teamRole}`,
        fix: 'install the chart (infra/kubernetes/chart, rbac.create=true), or pass --team-role with the ClusterRole the driver binds in team namespaces',
      };
    // A team namespace, bound as the driver binds its own: a RoleBinding to the team role.
    await api.apply(namespace(teamNs, run));
    await api.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cyrop-platform', namespace: teamNs, labels: { [CHECK_LABEL]: run } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: options.teamRole },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
    });
    const ask = async (a: Access, ns: string | undefined): Promise<boolean> => {
      const review = await api.create({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user,
          groups: [
            'system:serviceaccounts',
            `system:serviceaccounts:${sa.namespace}`,
            'system:authenticated',
          ],
          resourceAttributes: {
            verb: a.verb,
            group: a.group,
            resource: a.resource,
            ...(a.subresource ? { subresource: a.subresource } : {}),
            ...(a.name ? { name: a.name } : {}),
            ...(ns ? { namespace: ns } : {}),
          },
        },
      });
      return (review['status'] as { allowed?: boolean } | undefined)?.allowed === true;
    };
    const needed: { a: Access; ns: string | undefined; where: string }[] = [
      ...DRIVER_ACCESS.teamNamespace.map((a) => ({ a, ns: teamNs, where: 'in a team namespace' })),
      ...clusterWideAccess(options.teamRole).map((a) => ({ a, ns: undefined, where: 'cluster-wide' })),
      ...(options.dnsLookup
        ? DRIVER_ACCESS.kubeSystem.map((a) => ({ a, ns: 'kube-system', where: 'in kube-system' }))
        : []),
    ];
    // A new RoleBinding reaches the authorizer after a moment: ask again for up to 10 s.
    let missing = needed;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answers = await Promise.all(missing.map((n) => ask(n.a, n.ns)));
      missing = missing.filter((_, i) => !answers[i]);
      if (missing.length === 0 || Date.now() > deadline) break;
      await sleep(500);
    }
    const forbidden: ForbiddenAccess[] = DRIVER_ACCESS.forbidden;
    const granted: string[] = [];
    const answers = await Promise.all(
      forbidden.map((f) =>
        ask(f, f.namespace === '*' ? undefined : f.namespace === 'team' ? teamNs : f.namespace),
      ),
    );
    forbidden.forEach((f, i) => {
      if (answers[i])
        granted.push(
          `${describeAccess(f)} ${f.namespace === '*' ? '(all namespaces)' : f.namespace === 'team' ? 'in a team namespace' : `in ${f.namespace}`}: ${f.why}`,
        );
    });
    const total = needed.length + forbidden.length;
    if (missing.length === 0 && granted.length === 0)
      return {
        name,
        status: 'pass',
        detail: `${user}: all ${needed.length} rights the driver needs are allowed (team rules through a RoleBinding to ${options.teamRole} in ${teamNs}), all ${forbidden.length} forbidden ones denied (${total} SubjectAccessReviews)`,
      };
    const problems = [
      ...missing.map((m) => `needs ${describeAccess(m.a)} ${m.where} (${m.a.why}): denied`),
      ...granted.map((g) => `must not have ${g}: allowed`),
    ];
    return {
      name,
      status: 'fail',
      detail: `${user}: ${problems.join('; ')}`,
      missing: [
        missing.length ? `${missing.length} right(s) the driver needs` : '',
        granted.length ? `the denial of ${granted.length} right(s) it must not hold` : '',
      ]
        .filter(Boolean)
        .join(', and '),
      fix: `grant exactly the chart's RBAC (infra/kubernetes/chart/templates/rbac.yaml, rbac.create=true) and remove any other binding of ${user} (kubectl get clusterrolebindings,rolebindings -A -o wide | grep ${sa.name})`,
    };
  } catch (error) {
    return failed(
      name,
      error,
      'the rights could not be asked',
      'run the check with credentials that may create subjectaccessreviews, namespaces and rolebindings (a cluster administrator)',
    );
  }
}

function failed(name: CheckName, error: unknown, missing: string, fix: string): CheckResult {
  return {
    name,
    status: 'fail',
    detail: error instanceof Error ? error.message : String(error),
    missing,
    fix,
  };
}

/** Delete the run's namespaces and wait until they are gone (at most 2 minutes). */
async function cleanup(
  api: KubernetesAdapter,
  namespaces: string[],
  progress: (line: string) => void,
): Promise<boolean> {
  if (namespaces.length === 0) return true;
  progress(`deleting namespaces ${namespaces.join(', ')}`);
  try {
    for (const n of namespaces) await api.delete('v1', 'Namespace', n, undefined, 0);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const left: string[] = [];
      for (const n of namespaces) if (await api.get('v1', 'Namespace', n)) left.push(n);
      if (left.length === 0) return true;
      if (Date.now() > deadline) {
        progress(`still terminating after 120 s: ${left.join(', ')}`);
        return false;
      }
      await sleep(1000);
    }
  } catch (error) {
    progress(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
