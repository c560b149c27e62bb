import { spawn } from 'node:child_process';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { REPO_ROOT } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
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
    .command('kubectl')
    .description("run the cluster's kubectl with its admin kubeconfig: cyrop cluster kubectl -- get nodes")
    .argument('[args...]', 'kubectl arguments (after --)')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      setExit(await runScript('kubectl.sh', args, io, 'inherit'));
    });
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
