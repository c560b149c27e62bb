import { spawn } from 'node:child_process';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { lookupKubeconfig } from '../config/kubeconfig-lookup.ts';
import { REPO_ROOT, loadConfig } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import { DEFAULT_TEAM_ROLE } from '../runtime/kubernetes/access.ts';
import type { CheckName, ClusterCheckReport } from '../runtime/kubernetes/cluster-check.ts';
import { EXIT, type Io } from './main.ts';

/** The scripts that build, start, stop and inspect the local cluster (bash; they need root). */
export const CLUSTER_SCRIPTS_DIR = path.join(REPO_ROOT, 'infra/kubernetes/local-cluster');

/** What `infra/kubernetes/local-cluster/status.sh` prints (the fields others may rely on). */
export interface ClusterStatus {
  running: boolean;
  kubeconfig: string;
  apiServer: string;
  node: { name: string; address: string; ready: boolean };
  dns: { address: string; port: number; clusterDomain: string };
  registry: { push: string; pull: string };
  network: {
    namespace: string;
    link: string;
    hostAddress: string;
    podCidr: string;
    nodePodCidr: string;
    serviceCidr: string;
  };
  versions: Record<string, string>;
  kubectl: string;
  state: string;
  logs: string;
  components: { name: string; healthy: boolean; detail: string }[];
}

/**
 * `cyrop cluster up|down|status|kubectl`: the local single-node Kubernetes cluster of
 * infra/kubernetes/local-cluster/ (built from source once, cached, run in its own network namespace).
 */
export function clusterCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const cluster = program
    .command('cluster')
    .description(
      'a local single-node Kubernetes cluster for tests and for users without one ' +
        '(kubeconfig: /var/lib/cyrop-k8s/admin.kubeconfig; needs root)',
    );

  cluster
    .command('up')
    .description('build the cluster binaries (once; progress on stderr) and start the cluster; idempotent')
    .action(async () => {
      setExit(await runScript('up.sh', [], io));
    });

  cluster
    .command('down')
    .description('stop every cluster daemon and delete its network namespace; idempotent')
    .option('--purge', "also delete the cluster's state (etcd, certificates, registry contents)")
    .action(async (opts: { purge?: boolean }) => {
      setExit(await runScript('down.sh', opts.purge ? ['--purge'] : [], io));
    });

  cluster
    .command('status')
    .description('whether the cluster runs, its addresses and the health of each daemon')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { format: 'text' | 'json' }) => {
      const status = await readClusterStatus();
      io.out(opts.format === 'json' ? JSON.stringify(status, null, 2) + '\n' : statusAsText(status));
      setExit(EXIT.ok);
    });

  cluster
    .command('check')
    .description(
      'verify for real that a cluster (any, not only the local one) gives what the Kubernetes engine relies on: ' +
        'NetworkPolicy enforced, Pod Security admission, cluster DNS, a pids limit, the platform RBAC; ' +
        'probe pods in throw-away namespaces, deleted at the end (progress on stderr; exit 1 when a check fails)',
    )
    .option(
      '--kubeconfig <file>',
      'the cluster (default: CYROP_KUBECONFIG, else $KUBECONFIG, else the in-cluster ServiceAccount)',
    )
    .option('--context <name>', 'a context of the kubeconfig (default: its current context)')
    .option(
      '--image <ref>',
      "the probe pods' image (default: the platform image, cyrop/platform:1 under CYROP_IMAGE_REGISTRY)",
    )
    .option('--cluster-domain <domain>', 'the cluster DNS domain', 'cluster.local')
    .option(
      '--service-account <namespace/name>',
      "the platform's ServiceAccount whose RBAC is checked (without it the RBAC check is skipped)",
    )
    .option(
      '--team-role <name>',
      'the ClusterRole the driver binds in each team namespace',
      DEFAULT_TEAM_ROLE,
    )
    .option('--no-dns-lookup', 'do not require list endpointslices in kube-system (CYROP_KUBE_DNS is set)')
    .option('--only <checks>', `comma-separated subset of: ${CHECK_LIST.join(', ')}`)
    .option('--pod-timeout <seconds>', 'how long a probe pod may take to become ready', '120')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: CheckOptions) => {
      setExit(await checkCommand(opts, io));
    });

  cluster
    .command('kubectl')
    .description("run the cluster's kubectl with its admin kubeconfig: cyrop cluster kubectl -- get nodes")
    .argument('[args...]', 'kubectl arguments (after --)')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      setExit(await runScript('kubectl.sh', args, io, 'inherit'));
    });
}

const CHECK_LIST: readonly CheckName[] = ['network-policy', 'pod-security', 'dns', 'pids', 'rbac'];

interface CheckOptions {
  kubeconfig?: string;
  context?: string;
  image?: string;
  clusterDomain: string;
  serviceAccount?: string;
  teamRole: string;
  dnsLookup: boolean;
  only?: string;
  podTimeout: string;
  format: 'text' | 'json';
}

/** `cyrop cluster check`: connect, run the checks (Ctrl-C stops them and still cleans up), print. */
async function checkCommand(opts: CheckOptions, io: Io): Promise<number> {
  const only = opts.only
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const unknown = only?.filter((c) => !(CHECK_LIST as readonly string[]).includes(c)) ?? [];
  if (unknown.length)
    throw new CyropError(
      'BAD_REQUEST',
      `--only: unknown check ${unknown.join(', ')}; the checks are ${CHECK_LIST.join(', ')}`,
    );
  let serviceAccount: { namespace: string; name: string } | undefined;
  if (opts.serviceAccount !== undefined) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(opts.serviceAccount);
    if (!m)
      throw new CyropError('BAD_REQUEST', `--service-account ${opts.serviceAccount}: must be NAMESPACE/NAME`);
    serviceAccount = { namespace: m[1] ?? '', name: m[3] ?? '' };
  }
  const podTimeout = Number(opts.podTimeout);
  if (!Number.isInteger(podTimeout) || podTimeout < 5 || podTimeout > 3600)
    throw new CyropError(
      'BAD_REQUEST',
      `--pod-timeout ${opts.podTimeout}: must be whole seconds from 5 to 3600`,
    );

  const config = loadConfig();
  const found = opts.kubeconfig
    ? { kubeconfig: path.resolve(opts.kubeconfig), source: '--kubeconfig' }
    : lookupKubeconfig(config);
  if (!found)
    throw new CyropError(
      'CONFIG_INVALID',
      'no cluster named: pass --kubeconfig FILE, or set CYROP_KUBECONFIG or KUBECONFIG (the local cluster: /var/lib/cyrop-k8s/admin.kubeconfig)',
    );
  const image = opts.image ?? `${config.imageRegistry ? `${config.imageRegistry}/` : ''}cyrop/platform:1`;
  const { KubernetesAdapter } = await import('../runtime/kubernetes/kubernetes-adapter.ts');
  const { checkCluster } = await import('../runtime/kubernetes/cluster-check.ts');
  const { adapter, version } = await KubernetesAdapter.connect({
    ...('kubeconfig' in found ? { kubeconfig: found.kubeconfig } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    inCluster: 'inCluster' in found,
  });
  io.err(
    `cyrop cluster check: ${adapter.server} (Kubernetes ${version}, from ${found.source}), probe image ${image}\n`,
  );

  const controller = new AbortController();
  const interrupt = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    io.err(
      `cyrop cluster check: ${signal}: stopping and deleting the probe namespaces (again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let report: ClusterCheckReport;
  try {
    report = await checkCluster(adapter, {
      image,
      clusterDomain: opts.clusterDomain,
      ...(serviceAccount ? { serviceAccount } : {}),
      teamRole: opts.teamRole,
      dnsLookup: opts.dnsLookup,
      ...(only ? { only: only as CheckName[] } : {}),
      podTimeoutMs: podTimeout * 1000,
      signal: controller.signal,
      progress: (line) => io.err(`cyrop cluster check: ${line}\n`),
    });
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  io.out(opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : checkAsText(report));
  return report.ok ? EXIT.ok : EXIT.invalid;
}

function checkAsText(r: ClusterCheckReport): string {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of r.checks) {
    const mark = c.status === 'pass' ? '\u2713' : c.status === 'fail' ? '\u2717' : '-';
    lines.push(`${mark} ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.missing) lines.push(`  ${' '.repeat(width)}  missing: ${c.missing}`);
    if (c.fix) lines.push(`  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  lines.push(
    r.cleanedUp
      ? `cleaned up: ${r.namespaces.length ? r.namespaces.join(', ') + ' deleted' : 'nothing was created'}`
      : `\u2717 cleanup: namespaces labelled cyrop.io/cluster-check=${r.run} are still there (${r.namespaces.join(', ')}); delete them with kubectl delete namespace -l cyrop.io/cluster-check=${r.run}`,
  );
  return lines.join('\n') + '\n';
}

/** Run status.sh and parse its JSON. */
export async function readClusterStatus(): Promise<ClusterStatus> {
  const script = path.join(CLUSTER_SCRIPTS_DIR, 'status.sh');
  const { code, stdout, stderr } = await capture('bash', [script]);
  if (code !== 0) {
    throw new CyropError(
      'IO_ERROR',
      `${script} exited with status ${code}: ${stderr.trim() || '(no message)'}`,
    );
  }
  try {
    return JSON.parse(stdout) as ClusterStatus;
  } catch (error) {
    throw new CyropError(
      'IO_ERROR',
      `${script} printed something that is not JSON: ${stdout.slice(0, 200)}`,
      {
        cause: error,
      },
    );
  }
}

function statusAsText(s: ClusterStatus): string {
  const lines = [
    `cluster:    ${s.running ? 'running' : 'not running'}`,
    `kubeconfig: ${s.kubeconfig}`,
    `apiserver:  ${s.apiServer}`,
    `node:       ${s.node.name} ${s.node.address} ${s.node.ready ? 'Ready' : 'not Ready'}`,
    `dns:        ${s.dns.address}:${s.dns.port} (${s.dns.clusterDomain})`,
    `registry:   push ${s.registry.push}, pull ${s.registry.pull}`,
    `pods:       ${s.network.podCidr}, services ${s.network.serviceCidr}`,
    '',
  ];
  const width = Math.max(...s.components.map((c) => c.name.length));
  for (const c of s.components) {
    lines.push(`${c.name.padEnd(width)}  ${c.healthy ? 'healthy  ' : 'UNHEALTHY'}  ${c.detail}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Run one of the cluster scripts. Progress (the script's stdout and stderr) goes to stderr, so
 * stdout stays clean for the caller, unless stdio is 'inherit' (kubectl: its output is the result).
 */
function runScript(
  name: string,
  args: string[],
  io: Io,
  stdio: 'progress' | 'inherit' = 'progress',
): Promise<number> {
  const script = path.join(CLUSTER_SCRIPTS_DIR, name);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => io.err(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => io.err(chunk.toString()));
    child.on('error', (error) => {
      reject(new CyropError('IO_ERROR', `cannot run ${script}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (signal) io.err(`cyrop: ${script} ended by ${signal}\n`);
      resolve(code === 0 ? EXIT.ok : EXIT.failed);
    });
  });
}

function capture(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      reject(new CyropError('IO_ERROR', `cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
