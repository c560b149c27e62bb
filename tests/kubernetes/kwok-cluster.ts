import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The throw-away control plane of infra/kubernetes/kwok-cluster/ (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok on loopback; simulated nodes only), started for a
 * scale test or benchmark and stopped (its directory deleted) afterwards, plus what they measure it
 * with: the API server's own /metrics and a process's resident memory from /proc.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPTS = path.join(REPO, 'infra/kubernetes/kwok-cluster');
const run = promisify(execFile);

export interface KwokCluster {
  dir: string;
  server: string;
  /** system:masters: for setup and checks. */
  adminKubeconfig: string;
  /** A service account's identity (system:serviceaccount:cyrop:platform), bound to cluster-admin, not exempt from API Priority and Fairness. */
  platformKubeconfig: string;
  kubectl: string;
  nodes: number;
  podsPerNode: number;
  stop(): Promise<void>;
}

/** Whether this machine can run it: root (the built binaries' cache) and Go or a warm cache. */
export function kwokUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (the cluster binaries cache under /var/cache/cyrop)';
  const cached = spawnSync('test', ['-f', '/var/cache/cyrop/kubernetes/kwok-v0.8.0/.complete']).status === 0;
  if (!cached && spawnSync('go', ['version']).status !== 0) return 'needs Go to build kwok (not on PATH)';
  return undefined;
}

/** Start a control plane with `nodes` KWOK nodes of `podsPerNode` pods each (builds kwok once if needed). */
export async function startKwokCluster(nodes: number, podsPerNode: number): Promise<KwokCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-kwok-'));
  const stop = async () => {
    await run(path.join(SCRIPTS, 'down.sh'), [dir], { timeout: 60_000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // 30 min: the first run builds kwok (about 2 min) and, on a bare machine, Kubernetes and etcd.
    await run(path.join(SCRIPTS, 'up.sh'), [dir, String(nodes), String(podsPerNode)], {
      timeout: 30 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    await stop();
    throw new Error(`infra/kubernetes/kwok-cluster/up.sh failed: ${e.stderr?.trim() || e.message}`, {
      cause: error,
    });
  }
  const env = JSON.parse(readFileSync(path.join(dir, 'env.json'), 'utf8')) as Omit<
    KwokCluster,
    'dir' | 'stop'
  >;
  return { ...env, dir, stop };
}

/** One scrape of the API server's /metrics (as the admin), the figures a scale run needs. */
export interface ApiMetrics {
  /** apiserver_request_total by code. */
  byCode: Record<string, number>;
  /** Requests API Priority and Fairness dispatched / rejected, by flow schema (the platform's is service-accounts). */
  dispatched: Record<string, number>;
  rejected: Record<string, number>;
  /** apiserver_request_duration_seconds histogram of every verb but WATCH and CONNECT (long-running): le → count. */
  duration: Map<number, number>;
}

export async function scrapeMetrics(cluster: KwokCluster): Promise<ApiMetrics> {
  const pki = path.join(cluster.dir, 'pki');
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.get(
      `${cluster.server}/metrics`,
      {
        ca: readFileSync(path.join(pki, 'ca.crt')),
        cert: readFileSync(path.join(pki, 'admin.crt')),
        key: readFileSync(path.join(pki, 'admin.key')),
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks).toString('utf8'))
            : reject(new Error(`${cluster.server}/metrics: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
  });
  return parseMetrics(text);
}

/** Parse the Prometheus text format for the few series scrapeMetrics keeps. */
export function parseMetrics(text: string): ApiMetrics {
  const m: ApiMetrics = { byCode: {}, dispatched: {}, rejected: {}, duration: new Map() };
  const add = (into: Record<string, number>, key: string, value: number) => {
    into[key] = (into[key] ?? 0) + value;
  };
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} ([0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    if (!match) continue;
    const [, name, labelText, valueText] = match;
    const labels = Object.fromEntries(
      [...(labelText ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    ) as Record<string, string>;
    const value = Number(valueText);
    switch (name) {
      case 'apiserver_request_total':
        add(m.byCode, labels['code'] ?? '?', value);
        break;
      case 'apiserver_flowcontrol_dispatched_requests_total':
        add(m.dispatched, labels['flow_schema'] ?? '?', value);
        break;
      case 'apiserver_flowcontrol_rejected_requests_total':
        add(m.rejected, labels['flow_schema'] ?? '?', value);
        break;
      case 'apiserver_request_duration_seconds_bucket': {
        if (labels['verb'] === 'WATCH' || labels['verb'] === 'CONNECT') break;
        const le = labels['le'] === '+Inf' ? Infinity : Number(labels['le']);
        m.duration.set(le, (m.duration.get(le) ?? 0) + value);
        break;
      }
    }
  }
  return m;
}

/** What happened between two scrapes: requests, 429s, the platform's share, p50/p99 latency. */
export function metricsDelta(before: ApiMetrics, after: ApiMetrics, platformFlow = 'service-accounts') {
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.keys(b)
        .map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)] as const)
        .filter(([, v]) => v > 0),
    );
  const codes = diff(before.byCode, after.byCode);
  const buckets = [...after.duration.keys()]
    .sort((a, b) => a - b)
    .map((le) => ({ le, count: (after.duration.get(le) ?? 0) - (before.duration.get(le) ?? 0) }));
  const total = buckets.at(-1)?.count ?? 0;
  /** The upper bound of the bucket holding quantile q (what the histogram can honestly say). */
  const quantile = (q: number) => {
    if (!total) return 0;
    const bucket = buckets.find((b) => b.count >= q * total);
    return bucket && Number.isFinite(bucket.le) ? bucket.le : (buckets.at(-2)?.le ?? 0);
  };
  const dispatched = diff(before.dispatched, after.dispatched);
  const rejected = diff(before.rejected, after.rejected);
  return {
    requests: sum(codes),
    byCode: codes,
    http429: codes['429'] ?? 0,
    platformRequests: (dispatched[platformFlow] ?? 0) + (rejected[platformFlow] ?? 0),
    platformRejected: rejected[platformFlow] ?? 0,
    dispatchedByFlowSchema: dispatched,
    latencyNonWatchSeconds: { p50AtMost: quantile(0.5), p99AtMost: quantile(0.99), requests: total },
  };
}

/** Sample a process's resident memory (VmRSS, MiB) every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs = 500) {
  const started = Date.now();
  const samples: { atMs: number; mib: number }[] = [];
  const read = () => {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kb) samples.push({ atMs: Date.now() - started, mib: Math.round(Number(kb) / 1024) });
    } catch {
      // the process has exited
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      read();
      return samples;
    },
  };
}

/** RSS samples summarised: the peak, and the mean of each quarter of the run (a flat curve has equal quarters). */
export function rssSummary(samples: { atMs: number; mib: number }[]) {
  const peak = Math.max(0, ...samples.map((s) => s.mib));
  const quarters = [0, 1, 2, 3].map((q) => {
    const part = samples.slice(
      Math.floor((q * samples.length) / 4),
      Math.max(Math.floor(((q + 1) * samples.length) / 4), Math.floor((q * samples.length) / 4) + 1),
    );
    return part.length ? Math.round(part.reduce((a, s) => a + s.mib, 0) / part.length) : 0;
  });
  return { peakMiB: peak, quarterMeansMiB: quarters, samples: samples.length };
}
