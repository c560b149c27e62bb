/**
 * What the abuse benchmark (`run.ts`) and the abuse engine test (tests/engine/terminal-abuse.test.ts)
 * share: the platform as a child process (its RSS read from /proc/<pid>/status, a full GC on request),
 * an exercise with one console team, trainees joining it, a probe (health latency, RSS) and the attacks,
 * each an entry of `ATTACKS` that drives its clients from this process for a given time and cleans up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { apiClient } from '../../api-client.ts';
import { ensureTestImage } from '../../contract/test-images.ts';
import { TerminalClient } from '../../engine/terminal-client.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

/** One console host; the trainee's shell is /bin/bash. */
const abuseScenario = (image: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: abuse, version: 1.0.0, title: Abuse, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - name: console
    image: ${image}
    networks: [lan]
    console: { user: trainee, shell: /bin/bash, workdir: /home/trainee }
    resources: { cpu: 0.5, memory: 256Mi, pids: 256 }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/** The server's resident set size now (VmRSS of /proc/<pid>/status, bytes). */
export function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

export interface AbusePlatform {
  url: string;
  pid: number;
  exercise: string;
  /** A full GC in the server (it runs with --expose-gc). */
  gc(): Promise<void>;
  /** RSS after a full GC and a short settle (bytes). */
  settledRss(): Promise<number>;
  /** A new trainee of team-1 (its own session): the cookie. `code` reuses a join code. */
  join(displayName: string): Promise<string>;
  /** The instructor's session cookie (the launching staff user), and the address they sign in with. */
  instructor: { cookie: string; email: string };
  /** Connect a terminal client with a trainee's cookie. */
  connect(cookie: string, options?: Parameters<typeof TerminalClient.connect>[2]): Promise<TerminalClient>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  subnetPool: string;
  /** Environment passed to the server (its terminal keys: CYROP_TERMINALS_PER_PRINCIPAL, CYROP_TERMINAL_GRACE_SECONDS…). */
  env?: Record<string, string>;
  log?: (message: string) => void;
}

/** Start the server (child process), create an instructor and a one-team exercise, wait until it runs. */
export async function startAbusePlatform(options: PlatformOptions): Promise<AbusePlatform> {
  const log = options.log ?? (() => undefined);
  const docker = new Docker();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-abuse-'));
  const image = await ensureTestImage(docker, 'box');
  mkdirSync(path.join(dir, 'catalogue', 'abuse'), { recursive: true });
  writeFileSync(path.join(dir, 'catalogue', 'abuse', 'scenario.yaml'), abuseScenario(image));
  const child = startChild(dir, options);
  const clients: TerminalClient[] = [];
  let instructor: ReturnType<typeof httpClient> | undefined;
  const exercise = `abuse-${process.pid}`;
  let created = false;
  const stop = async () => {
    for (const c of clients) c.disconnect();
    try {
      if (created && instructor) await instructor.call('DELETE', `/api/exercises/${exercise}`);
    } finally {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const { url, operatorPassword } = (await child.ready) as { url: string; operatorPassword: string };
    const operator = httpClient(url);
    await operator.call('POST', '/api/auth/login', { email: 'admin@localhost', password: operatorPassword });
    await operator.call('POST', '/api/auth/password', {
      currentPassword: operatorPassword,
      newPassword: 'abuse operator secret 1',
    });
    const org = await operator.call('POST', '/api/organisations', {
      name: 'Abuse',
      kind: 'training-company',
    });
    await operator.call('POST', `/api/organisations/${String(org.id)}/users`, {
      email: 'abuse@example.com',
      name: 'Abuse',
      role: 'instructor',
      password: 'abuse instructor secret',
    });
    instructor = httpClient(url);
    await instructor.call('POST', '/api/auth/login', {
      email: 'abuse@example.com',
      password: 'abuse instructor secret',
    });
    log('launching the exercise');
    await instructor.call('POST', '/api/exercises', { scenario: 'abuse', teams: 1, id: exercise });
    created = true;
    for (let i = 0; ; i++) {
      const status = (await instructor.call('GET', `/api/exercises/${exercise}`)) as {
        state: string;
        teams: { state: string }[];
      };
      if (status.state === 'running' && status.teams.every((t) => t.state === 'ready')) break;
      if (i > 360) throw new Error(`the exercise did not come up: ${JSON.stringify(status)}`);
      await sleep(500);
    }
    const made = await instructor.call('POST', `/api/exercises/${exercise}/teams/team-1/join-codes`, {
      maxUses: 1000,
    });
    const code = made.code as string;
    const pid = child.process.pid!;
    const gc = () => child.call('gc');
    return {
      url,
      pid,
      exercise,
      instructor: { cookie: instructor.cookie(), email: 'abuse@example.com' },
      gc,
      settledRss: async () => {
        await gc();
        await sleep(500);
        await gc();
        return rssOf(pid);
      },
      join: async (displayName) => {
        const c = httpClient(url);
        await c.call('POST', '/api/join', { code, displayName });
        return c.cookie();
      },
      connect: async (cookie, clientOptions = {}) => {
        const c = await TerminalClient.connect(url, cookie, clientOptions);
        if ('error' in c) throw new Error(`refused: ${c.error}`);
        clients.push(c);
        return c;
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

// ── the probe ───────────────────────────────────────────────────────────────────────────────

export interface ProbeResult {
  healthP50Ms: number;
  healthP99Ms: number;
  healthMaxMs: number;
  healthSamples: number;
  healthFailures: number;
  /** Highest RSS sampled (bytes). */
  rssMaxBytes: number;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!) : NaN;
};

/** `/healthz` one request after another (20 ms apart) and RSS every 100 ms, until `signal` aborts. */
export async function probe(platform: Pick<AbusePlatform, 'url' | 'pid'>, signal: AbortSignal) {
  const latencies: number[] = [];
  let failures = 0;
  let rssMax = rssOf(platform.pid);
  const rssTimer = setInterval(() => {
    try {
      rssMax = Math.max(rssMax, rssOf(platform.pid));
    } catch {
      // the server is gone: the health probe says so
    }
  }, 100);
  const health = new URL('/healthz', platform.url);
  try {
    while (!signal.aborted) {
      const started = performance.now();
      try {
        const res = await fetch(health, { signal: AbortSignal.timeout(5000) });
        await res.text();
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - started);
      await sleep(20);
    }
  } finally {
    clearInterval(rssTimer);
  }
  return {
    healthP50Ms: percentile(latencies, 50),
    healthP99Ms: percentile(latencies, 99),
    healthMaxMs: round(Math.max(...latencies)),
    healthSamples: latencies.length,
    healthFailures: failures,
    rssMaxBytes: rssMax,
  } satisfies ProbeResult;
}

/** The probe over `ms` of idleness. */
export async function idle(platform: AbusePlatform, ms: number): Promise<ProbeResult> {
  const stop = new AbortController();
  const probing = probe(platform, stop.signal);
  await sleep(ms);
  stop.abort();
  return probing;
}

// ── the attacks ─────────────────────────────────────────────────────────────────────────────

export interface AttackOutcome {
  /** Health and RSS while the attack ran. */
  during: ProbeResult;
  /** RSS once the attacker's terminal and connection are gone (after a full GC). */
  rssAfterBytes: number;
  /** What the attack saw (its own figures: bytes sent, refusals, whether it was dropped, …). */
  details: Record<string, unknown>;
}

export interface Attack {
  name: string;
  /** The row. */
  row: string;
  describe: string;
  run(platform: AbusePlatform, seconds: number): Promise<AttackOutcome>;
}

const console1 = { host: 'console', cols: 80, rows: 24 };
/** The server runs with a 2 s grace period (`GRACE_SECONDS`): a dropped attacker's shell is gone after this. */
export const GRACE_SECONDS = 2;
const GRACE_WAIT_MS = GRACE_SECONDS * 1000 + 2000;

/** The raw websocket of a socket.io-client socket (engine.io-client's websocket transport). */
const wsOf = (client: TerminalClient) =>
  (
    client.socket.io.engine as unknown as {
      transport: { ws?: { bufferedAmount: number; _socket?: import('node:net').Socket } };
    }
  ).transport.ws;

/** Probe while `attack` runs for `seconds`, then let it clean up and read the settled RSS. */
async function underAttack(
  platform: AbusePlatform,
  seconds: number,
  attack: (until: number) => Promise<void>,
  cleanup: () => Promise<void>,
): Promise<Omit<AttackOutcome, 'details'>> {
  const stop = new AbortController();
  const probing = probe(platform, stop.signal);
  try {
    await attack(Date.now() + seconds * 1000);
  } finally {
    stop.abort();
  }
  const during = await probing;
  await cleanup();
  await sleep(1000);
  return { during, rssAfterBytes: await platform.settledRss() };
}

/** H1: 64 KiB `input` messages as fast as the connection takes them while `sleep` ignores stdin. */
export const inputFlood: Attack = {
  name: 'input-flood',
  row: 'H1',
  describe: '64 KiB input messages as fast as possible while the foreground program (sleep) ignores stdin',
  async run(platform, seconds) {
    const c = await platform.connect(await platform.join('flooder'));
    const id = (await c.openOk(console1)).terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    c.input(id, `sleep ${seconds + 30}\r`);
    await c.waitFor(id, /sleep \d+\r\n/);
    // lines, so that the terminal's line discipline fills and the program's stdin backs up
    const payload = `${'x'.repeat(63)}\n`.repeat(1024);
    let sent = 0;
    const outcome = await underAttack(
      platform,
      seconds,
      async (until) => {
        const ws = wsOf(c);
        for (let n = 1; Date.now() < until && c.socket.connected; n++) {
          // as fast as the server reads: the client keeps at most 4 MiB of its own in flight
          if ((ws?.bufferedAmount ?? 0) > 4 * MiB) await sleep(2);
          else {
            c.input(id, payload);
            sent += payload.length;
            if (n % 16 === 0) await new Promise((r) => setImmediate(r));
          }
        }
      },
      async () => {
        // the attacker leaves abruptly: its shell ends after the grace period
        wsOf(c)?._socket?.destroy();
        c.disconnect();
        await sleep(GRACE_WAIT_MS);
      },
    );
    const errors = c.of(id).errors;
    return {
      ...outcome,
      details: {
        sentBytes: sent,
        backlogNotices: errors.filter((e) => e.code === 'INPUT_BACKLOG').length,
        otherErrors: errors.filter((e) => e.code !== 'INPUT_BACKLOG').map((e) => e.code),
      },
    };
  },
};

/** M1: a client that acknowledges output it never reads (its TCP reads are paused). */
export const lyingAcks: Attack = {
  name: 'lying-acks',
  row: 'M1',
  describe: 'a client that runs `yes`, stops reading and acknowledges 256 KiB every 10 ms',
  async run(platform, seconds) {
    const c = await platform.connect(await platform.join('liar'));
    const id = (await c.openOk(console1)).terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    let disconnected: string | undefined;
    c.socket.on('disconnect', (reason) => (disconnected ??= reason));
    c.input(id, 'yes\r');
    await c.waitFor(id, /y\r\ny\r\n/);
    const raw = wsOf(c)?._socket;
    if (!raw) throw new Error('no raw socket');
    let lied = 0;
    let droppedAfterMs: number | undefined;
    let droppedBy: string | undefined;
    const started = Date.now();
    const outcome = await underAttack(
      platform,
      seconds,
      async (until) => {
        raw.pause(); // reads nothing more; the server's sends back up
        c.autoAck = false;
        while (Date.now() < until) {
          if (c.socket.connected) {
            c.socket.emit('ack', { terminalId: id, bytes: 256 * 1024 });
            lied += 256 * 1024;
          }
          await sleep(10);
        }
      },
      async () => {
        // reading again: a dropped connection ends at once, after what the kernel still held
        raw.resume();
        const deadline = Date.now() + 15_000;
        while (!disconnected && Date.now() < deadline) await sleep(50);
        if (disconnected) droppedAfterMs = Date.now() - started;
        droppedBy = disconnected; // before our own disconnect below
        c.disconnect();
        await sleep(GRACE_WAIT_MS);
      },
    );
    return {
      ...outcome,
      details: {
        liedBytes: lied,
        /** How the server ended the connection, as the client saw it once it read again (none: it did not). */
        dropped: droppedBy ?? null,
        seenDisconnectAfterMs: droppedAfterMs ?? null,
      },
    };
  },
};

/** Requests from `inFlight` loops, each sending the next as soon as the last is answered, until `until`. */
async function hammer(
  inFlight: number,
  until: number,
  send: () => Promise<Response>,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        try {
          const res = await send();
          await res.text();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        } catch {
          statuses.error = (statuses.error ?? 0) + 1;
        }
      }
    }),
  );
  return statuses;
}

const post = (platform: AbusePlatform, url: string, body: unknown, cookie?: string) =>
  fetch(new URL(url, platform.url), {
    method: 'POST',
    headers: {
      origin: new URL(platform.url).origin,
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
    },
    body: JSON.stringify(body),
  });

/** H2: scenario YAML with thousands of anchors and aliases, validated again and again by a staff user. */
export const yamlBomb: Attack = {
  name: 'yaml-bomb',
  row: 'H2',
  describe:
    'a scenario of 2,000 anchors, each aliasing the previous twice, posted to /api/scenarios/validate, 4 in flight',
  async run(platform, seconds) {
    // each entry holds the previous one twice: resolved naively, it doubles 2,000 times
    const entries = Array.from({ length: 2000 }, (_, i) =>
      i === 0 ? 'a0: &a0 x' : `a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`,
    );
    const bomb = `apiVersion: cyrop/v1\n${entries.join('\n')}\n`;
    let statuses: Record<string, number> = {};
    const outcome = await underAttack(
      platform,
      seconds,
      async (until) => {
        statuses = await hammer(4, until, () =>
          post(
            platform,
            '/api/scenarios/validate',
            { files: { 'scenario.yaml': bomb } },
            platform.instructor.cookie,
          ),
        );
      },
      () => Promise.resolve(),
    );
    return { ...outcome, details: { bytes: bomb.length, statuses } };
  },
};

/** M3/M4: wrong passwords for one account, 60 in flight, from one address. */
export const loginFlood: Attack = {
  name: 'login-flood',
  row: 'M3/M4',
  describe: "wrong passwords for the instructor's account, 60 in flight from one address",
  async run(platform, seconds) {
    let statuses: Record<string, number> = {};
    const outcome = await underAttack(
      platform,
      seconds,
      async (until) => {
        statuses = await hammer(60, until, () =>
          post(platform, '/api/auth/login', {
            email: platform.instructor.email,
            password: 'not the password 1',
          }),
        );
      },
      () => Promise.resolve(),
    );
    return { ...outcome, details: { statuses } };
  },
};

/** M6: a trainee submitting wrong answers in a loop (rate-limited after the scenario's allowance). */
export const answerLoop: Attack = {
  name: 'answer-loop',
  row: 'M6',
  describe: 'wrong answers from one trainee, 8 in flight',
  async run(platform, seconds) {
    await post(
      platform,
      `/api/exercises/${platform.exercise}/scoring/status`,
      { action: 'start' },
      platform.instructor.cookie,
    );
    const cookie = await platform.join('guesser');
    let statuses: Record<string, number> = {};
    const outcome = await underAttack(
      platform,
      seconds,
      async (until) => {
        statuses = await hammer(8, until, () =>
          post(platform, '/api/play/submissions', { objective: 'q', answer: 'b' }, cookie),
        );
      },
      () => Promise.resolve(),
    );
    return { ...outcome, details: { statuses } };
  },
};

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** The engine daemon's pid (dockerd), for its CPU use; undefined when it cannot be read. */
function dockerdPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'dockerd') return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * Output flood into the container log: a trainee who is root in a host (here: an exec as root, as
 * after a privilege escalation) writes `yes` into PID 1's stdout from 4 processes. Docker reads every
 * byte of it whatever the log driver; the log file stays capped (json-file 1 MiB × 2), the engine
 * daemon's CPU does not. Reported: the platform's health and the daemon's CPU share during it.
 */
export const logFlood: Attack = {
  name: 'log-flood',
  row: 'H4 (logs)',
  describe: "4 × `yes` into the container's PID 1 stdout by a root process in the team's host",
  async run(platform, seconds) {
    const docker = new Docker();
    const [box] = await docker.listContainers({
      filters: { label: [`cyrop.io/exercise=${platform.exercise}`] },
    });
    if (!box) throw new Error(`no container of exercise ${platform.exercise}`);
    const container = docker.getContainer(box.Id);
    const flood = await container.exec({
      Cmd: ['sh', '-c', `for i in 1 2 3 4; do timeout ${seconds} yes > /proc/1/fd/1 & done; wait`],
      User: 'root',
    });
    const pid = dockerdPid();
    let cpuBefore = 0;
    let cpuDuring = 0;
    const outcome = await underAttack(
      platform,
      seconds,
      async (until) => {
        cpuBefore = pid ? cpuSecondsOf(pid) : 0;
        const started = Date.now();
        await flood.start({ Detach: true });
        await sleep(Math.max(0, until - Date.now()));
        cpuDuring = pid ? (cpuSecondsOf(pid) - cpuBefore) / ((Date.now() - started) / 1000) : 0;
      },
      () => sleep(1000),
    );
    // what the log driver kept on disk (the file and its rotations)
    const logPath = ((await container.inspect()) as { LogPath?: string }).LogPath;
    const logBytes = logPath
      ? [logPath, `${logPath}.1`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0)
      : null;
    return {
      ...outcome,
      details: { dockerdCores: pid ? Math.round(cpuDuring * 100) / 100 : null, logBytes },
    };
  },
};

/** Every attack of the benchmark, in order (add new ones here). */
export const ATTACKS: readonly Attack[] = [inputFlood, lyingAcks, yamlBomb, loginFlood, answerLoop, logFlood];

// ── plumbing ────────────────────────────────────────────────────────────────────────────────

function httpClient(base: string) {
  const client = apiClient(base);
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await client(method, url, body);
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.text.slice(0, 300)}`);
    return res.body;
  };
  return { call, cookie: client.cookie };
}

function startChild(dir: string, options: PlatformOptions) {
  const file = new URL('./platform-child.ts', import.meta.url).pathname;
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', file, dir, options.subnetPool],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CYROP_TERMINAL_GRACE_SECONDS: String(GRACE_SECONDS), ...options.env },
    },
  );
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  let onReady: (value: Record<string, unknown>) => void = () => undefined;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    onReady = resolve;
    proc.once('exit', (code) => reject(new Error(`the platform exited with ${String(code)}`)));
  });
  ready.catch(() => undefined);
  proc.on('message', (message: { id?: number; result?: unknown; ready?: Record<string, unknown> }) => {
    if (message.ready) onReady(message.ready);
    else if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    process: proc,
    ready,
    call: (cmd: string) =>
      new Promise<void>((resolve, reject) => {
        const id = next++;
        waiting.set(id, (result) => {
          waiting.delete(id);
          const error = (result as { error?: string } | undefined)?.error;
          if (error) reject(new Error(`${cmd}: ${error}`));
          else resolve();
        });
        proc.send({ id, cmd });
      }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      if (proc.connected) proc.send({ id: next++, cmd: 'close' });
      if ((await Promise.race([exited.then(() => 'exited'), sleep(20_000)])) !== 'exited') {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}
