/**
 * The benchmark's load client, run as a child process (`node --import tsx load-client.ts`) so that
 * the server under test has its event loop to itself, as in a deployment. Reads one job as JSON on
 * stdin, sends its requests over loopback with keep-alive (`concurrency` in flight, each request
 * once), and prints `{ requests, perSecond, p50Ms, p99Ms, statuses }` as JSON on stdout.
 */
import http from 'node:http';

export interface LoadJob {
  /** Loopback only: http://127.0.0.1:<port> */
  origin: string;
  concurrency: number;
  requests: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }[];
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

const round = (x: number) => Math.round(x * 100) / 100;
const percentile = (sorted: number[], p: number) =>
  sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!) : NaN;

async function run(job: LoadJob): Promise<LoadResult> {
  const origin = new URL(job.origin);
  if (origin.hostname !== '127.0.0.1' && origin.hostname !== 'localhost')
    throw new Error(`the load client only talks to loopback, not ${origin.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const statuses: Record<string, number> = {};
  const send = (r: LoadJob['requests'][number]) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: origin.hostname,
          port: origin.port,
          method: r.method,
          path: r.path,
          headers:
            r.body !== undefined ? { ...r.headers, 'content-length': Buffer.byteLength(r.body) } : r.headers,
        },
        (res) => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          res.on('data', () => undefined);
          res.on('end', resolve);
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(r.body);
    });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.requests.length) {
        const r = job.requests[next++]!;
        const t = performance.now();
        await send(r);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: job.requests.length,
    perSecond: Math.round(job.requests.length / seconds),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statuses,
  };
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const result = await run(JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadJob);
process.stdout.write(JSON.stringify(result));
