import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import Docker from 'dockerode';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import type { RecordingInfo } from '../../contract/terminal-events.ts';
import { contractScenario } from '../contract/runtime-driver-contract.ts';
import { ensureTestImage } from '../contract/test-images.ts';
import { sleep, TerminalClient } from './terminal-client.ts';

/**
 * The terminal gateway of the composed platform on the real engine, driven through socket.io like a
 * browser: flow control, Ctrl-C under a flood, resize, split UTF-8, no shell left behind, reconnect
 * and resume, authorisation, instructor shadowing, recordings, and shells killed by close and sign-out.
 */
describe('terminal gateway (Docker engine)', function () {
  this.timeout(240_000);
  const GRACE_MS = 1500;
  const RECORDING_CAP = 65_536;
  let dir: string;
  let platform: RunningPlatform;
  let origin: string;
  const docker = new Docker();
  const X = `tgx-${process.pid}`;
  const Z = `tgz-${process.pid}`;
  const cookies: Record<string, string> = {};
  const clients: TerminalClient[] = [];

  const call = async (who: string | undefined, method: string, url: string, body?: unknown) => {
    const cookie = who ? cookies[who] : undefined;
    const res = await fetch(new URL(url, platform.url), {
      method,
      headers: {
        origin,
        ...(cookie ? { cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = res.headers.get('set-cookie');
    if (set && who && /cyrop_session=[^;]/.test(set)) cookies[who] = set.split(';')[0]!;
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json: json as Record<string, unknown>, headers: res.headers };
  };
  const ok = async (who: string | undefined, method: string, url: string, body?: unknown) => {
    const r = await call(who, method, url, body);
    expect(r.status, `${method} ${url}: ${r.text}`).to.be.within(200, 299);
    return r;
  };

  const connect = async (
    who: string | undefined,
    options: Parameters<typeof TerminalClient.connect>[2] = {},
  ) => {
    const c = await TerminalClient.connect(platform.url, who ? cookies[who] : undefined, options);
    if ('error' in c) throw new Error(`${who ?? 'anon'} refused: ${c.error}`);
    clients.push(c);
    return c;
  };

  /** A shell command run as root in a team's console container. */
  const inConsole = async (exercise: string, team: string, script: string): Promise<string> => {
    const exec = await docker.getContainer(`cyrop-${exercise}-${team}-console`).exec({
      Cmd: ['/bin/sh', '-c', script],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out: Buffer[] = [];
    const stdout = { write: (b: Buffer) => out.push(b) } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, stdout, stdout);
    await new Promise((resolve) => stream.on('end', resolve));
    return Buffer.concat(out).toString('utf8').trim();
  };
  const traineeProcesses = async (exercise: string, team: string) =>
    Number(
      await inConsole(
        exercise,
        team,
        'n=0; for p in /proc/[0-9]*; do [ "$(stat -c %u "$p" 2>/dev/null)" = 1000 ] && n=$((n+1)); done; echo $n',
      ),
    );
  const alive = async (exercise: string, team: string, pid: string) =>
    (await inConsole(exercise, team, `test -d /proc/${pid} && echo yes || echo no`)) === 'yes';
  const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await sleep(50);
    }
  };
  const console1 = { host: 'console', cols: 80, rows: 24 };
  let pidSeq = 0;
  /** The shell's PID, from a command whose output line cannot be mistaken for its echo. */
  const shellPid = async (c: TerminalClient, id: string) => {
    const n = ++pidSeq + 100;
    return (await c.run(id, `echo PID$((${n}*2))-$$`, new RegExp(`PID${n * 2}-(\\d+)`)))[1]!;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-terminals-'));
    const image = await ensureTestImage(docker, 'box');
    mkdirSync(path.join(dir, 'catalogue', 'contract'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'contract', 'scenario.yaml'), contractScenario(image));
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    const config = loadConfig(
      { CYROP_SUBNET_POOL: '10.243.0.0/16' },
      {
        port: 0,
        dataDir: path.join(dir, 'data'),
        scenariosDir: path.join(dir, 'catalogue'),
        terminalGraceMs: GRACE_MS,
        recordingMaxBytes: RECORDING_CAP,
      },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
    origin = platform.url.replace(/\/$/, '');

    await ok('operator', 'POST', '/api/auth/login', { email: first.email, password: first.password });
    await ok('operator', 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret 123',
    });
    const orgA = (await ok('operator', 'POST', '/api/organisations', { name: 'A', kind: 'training-company' }))
      .json.id as string;
    const orgB = (await ok('operator', 'POST', '/api/organisations', { name: 'B', kind: 'training-company' }))
      .json.id as string;
    for (const [who, org] of [
      ['instrA', orgA],
      ['instrB', orgB],
    ] as const) {
      await ok('operator', 'POST', `/api/organisations/${org}/users`, {
        email: `${who.toLowerCase()}@example.com`,
        name: who,
        role: 'instructor',
        password: `${who} secret 123`,
      });
      await ok(who, 'POST', '/api/auth/login', {
        email: `${who.toLowerCase()}@example.com`,
        password: `${who} secret 123`,
      });
    }
    await ok('instrA', 'POST', '/api/exercises', { scenario: 'contract', teams: 2, id: X });
    await ok('instrA', 'POST', '/api/exercises', {
      scenario: 'contract',
      teams: 1,
      id: Z,
      recordInput: true,
    });
    for (const id of [X, Z])
      await until(
        `${id} ready`,
        async () => {
          const s = (await call('instrA', 'GET', `/api/exercises/${id}`)).json as {
            state: string;
            teams: { state: string }[];
          };
          if (s.teams.some((t) => t.state === 'failed')) throw new Error(`${id} failed`);
          return s.state === 'running' && s.teams.every((t) => t.state === 'ready');
        },
        180_000,
      );
    const join = async (who: string, exercise: string, team: string) => {
      const code = (await ok('instrA', 'POST', `/api/exercises/${exercise}/teams/${team}/join-codes`, {}))
        .json.code as string;
      await ok(who, 'POST', '/api/join', { code, displayName: who });
    };
    await join('p1', X, 'team-1');
    await join('p2', X, 'team-2');
    await join('p3', Z, 'team-1');
    await join('p4', X, 'team-1');
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    try {
      for (const id of [X, Z]) await call('instrA', 'DELETE', `/api/exercises/${id}`);
    } finally {
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pauses the shell while output is unacknowledged, keeping memory bounded; Ctrl-C still works', async () => {
    const c = await connect('p1', { autoAck: false });
    const { terminal } = await c.openOk(console1);
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    c.ackAll(id);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    c.input(id, 'yes\r');
    // no acknowledgement at all: output stops within the window (512 KiB) plus a batch in flight
    await until('output flows', () => c.of(id).received > 256 * 1024);
    let last = -1;
    await until('output stops', async () => {
      const now = c.of(id).received;
      const stable = now === last;
      last = now;
      if (!stable) await sleep(500);
      return stable;
    });
    await sleep(1500);
    const stalled = c.of(id).received;
    expect(stalled, 'nothing more while nothing is acknowledged').to.equal(last);
    expect(stalled - c.of(id).acked).to.be.at.most(512 * 1024 + 2 * 64 * 1024);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(heapGrowth, 'heap growth while `yes` is stuck').to.be.below(48 * 1024 * 1024);
    expect(rssGrowth, 'rss growth while `yes` is stuck').to.be.below(96 * 1024 * 1024);
    // and the back-pressure reaches the container: `yes` is blocked in write(), using no CPU
    const cpuOfYes = () =>
      inConsole(
        X,
        'team-1',
        'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = yes ] && cut -d" " -f14,15 $p/stat; done',
      );
    const cpu1 = await cpuOfYes();
    await sleep(1000);
    const cpu2 = await cpuOfYes();
    expect(cpu1, 'yes is running').to.match(/^\d+ \d+$/);
    expect(cpu2, 'yes used no CPU for a second: it is blocked').to.equal(cpu1);

    // a slow reader: 64 KiB acknowledged every 50 ms; what is unacknowledged never exceeds the window
    let worst = 0;
    for (let i = 0; i < 40; i++) {
      const s = c.of(id);
      worst = Math.max(worst, s.received - s.acked);
      c.ack(id, Math.min(64 * 1024, s.received - s.acked));
      await sleep(50);
    }
    expect(c.of(id).received, 'slow acknowledgements let output through').to.be.above(stalled + 512 * 1024);
    expect(worst).to.be.at.most(512 * 1024 + 2 * 64 * 1024);

    // Ctrl-C in the flood (the client now keeps up) returns the prompt
    c.autoAck = true;
    c.ackAll(id);
    c.input(id, '\x03');
    await sleep(300);
    await c.run(id, 'echo BACK-$((40+2))', /BACK-42\r\n[^\r\n]*\$ $/, 20_000);
    expect((await c.close(id)).ok).to.equal(true);
  });

  it('returns the prompt on Ctrl-C during `cat /dev/urandom | base64` with a client that keeps up', async () => {
    const c = await connect('p1');
    const { terminal } = await c.openOk(console1);
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    c.input(id, 'cat /dev/urandom | base64\r');
    await until('a flood', () => c.of(id).received > 2 * 1024 * 1024);
    c.input(id, '\x03');
    await sleep(300);
    await c.run(id, 'echo STOPPED-$((3*3))', /STOPPED-9\r\n[^\r\n]*\$ $/, 20_000);
    expect((await c.close(id)).ok).to.equal(true);
  });

  it('resizes the shell: `stty size` prints the new rows and columns', async () => {
    const c = await connect('p1');
    const { terminal } = await c.openOk({ host: 'console', cols: 100, rows: 30 });
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    await c.run(id, 'stty size; echo A$((1+1))', /30 100\r\nA2/);
    // typed right after the resize, it runs after it
    c.resize(id, 91, 37);
    await c.run(id, 'stty size; echo B$((1+1))', /37 91\r\nB2/);
    // out of bounds is refused, and the size stays
    c.resize(id, 9999, 37);
    await until('BAD_SIZE', () => c.of(id).errors.some((e) => e.code === 'BAD_SIZE'));
    await c.run(id, 'stty size; echo C$((1+1))', /37 91\r\nC2/);
    // a paste over the limit is refused, not typed
    c.input(id, `echo ${'x'.repeat(64 * 1024)}\r`);
    await until('PASTE_TOO_LARGE', () => c.of(id).errors.some((e) => e.code === 'PASTE_TOO_LARGE'));
    expect((await c.close(id)).ok).to.equal(true);
  });

  it('delivers multi-byte UTF-8 split across chunks intact', async () => {
    const c = await connect('p1', { keepChunks: true });
    const { terminal } = await c.openOk(console1);
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    // one byte at a time (C locale: ${s:i:1} is a byte), with pauses so they leave in separate batches
    c.input(
      id,
      `(export LC_ALL=C; s='こんにちは世界'; printf 'B%s' '<'; for ((i=0;i<\${#s};i++)); do printf '%s' "\${s:i:1}"; sleep 0.02; done; printf '>E\\n')\r`,
    );
    await c.waitFor(id, />E\r\n/);
    const bytes = Buffer.concat(c.of(id).chunks);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    expect(text).to.include('B<こんにちは世界>E');
    expect(text).not.to.include('\uFFFD');
    // the bytes really were split: some chunk ends inside a character
    const splitInside = c.of(id).chunks.some((chunk) => {
      const lastByte = chunk[chunk.length - 1]!;
      return lastByte >= 0x80 && new TextDecoder().decode(chunk).endsWith('\uFFFD');
    });
    expect(splitInside, 'a character was split between output messages').to.equal(true);
    expect((await c.close(id)).ok).to.equal(true);
  });

  it('leaves no shell behind after 1,000 open/close cycles, nor after a dropped socket and the grace period', async function () {
    // About 170 s on an idle 2-core machine with the engine on btrfs (each cycle is two engine execs).
    this.timeout(600_000);
    const workers = 4;
    const cycles = 1000;
    let done = 0;
    const sockets = await Promise.all(Array.from({ length: workers }, () => connect('instrA')));
    await Promise.all(
      sockets.map(async (c) => {
        while (done < cycles) {
          done++;
          const { terminal } = await c.openOk({ ...console1, exerciseId: X, teamId: 'team-2' });
          const closed = await c.close(terminal.terminalId);
          expect(closed.ok).to.equal(true);
          c.seen.delete(terminal.terminalId);
        }
      }),
    );
    expect(done).to.be.at.least(cycles);
    expect(await traineeProcesses(X, 'team-2'), 'trainee processes after 1,000 cycles').to.equal(0);

    const c = await connect('instrA');
    const { terminal } = await c.openOk({ ...console1, exerciseId: X, teamId: 'team-2' });
    await c.run(terminal.terminalId, 'sleep 600 & echo BG$((5+5))', /BG10/);
    expect(await traineeProcesses(X, 'team-2')).to.be.at.least(2);
    c.disconnect();
    await sleep(GRACE_MS / 2);
    expect(await traineeProcesses(X, 'team-2'), 'still alive during the grace period').to.be.at.least(2);
    await until(
      'the grace period ends the shell and its jobs',
      async () => (await traineeProcesses(X, 'team-2')) === 0,
    );
  });

  it('resumes the same shell after a reconnect, with its screen, and drops keystrokes typed while offline', async () => {
    const c = await connect('p1');
    const { terminal } = await c.openOk(console1);
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    const pid = await shellPid(c, id);
    await c.run(id, 'echo SCREEN-$((600+66))', /SCREEN-666/);
    c.socket.disconnect();
    c.input(id, 'touch /tmp/offline-marker\r'); // buffered by socket.io, sent on reconnect
    await sleep(300);
    c.socket.connect();
    await until('reconnected', () => c.socket.connected);
    const resumed = await c.openOk({ ...console1, terminalId: id });
    expect(resumed.resumed).to.equal(true);
    expect(resumed.role).to.equal('owner');
    expect(resumed.terminal.terminalId).to.equal(id);
    expect(resumed.snapshot).to.include('SCREEN-666');
    await until('the buffered keystrokes were refused', () =>
      c.of(id).errors.some((e) => e.code === 'NOT_OWNER'),
    );
    expect(await shellPid(c, id)).to.equal(pid);
    await c.run(
      id,
      'test -e /tmp/offline-marker && echo MARK-EXISTS || echo MARK-$((0+0))BSENT',
      /MARK-(EXISTS|0BSENT)\r\n/,
    );
    expect(c.text(id)).to.match(/MARK-0BSENT/);
    expect(await inConsole(X, 'team-1', 'ls /tmp/offline-marker 2>&1 || true')).to.include('No such file');

    // another socket of the same principal takes the shell over; the old one is told
    const other = await connect('p1');
    expect((await other.open({ ...console1, terminalId: id })).ok).to.equal(true);
    await until('DETACHED', () => c.of(id).errors.some((e) => e.code === 'DETACHED'));
    expect(await shellPid(other, id)).to.equal(pid);
    expect((await other.close(id)).ok).to.equal(true);
  });

  it('refuses what a caller may not do', async () => {
    // handshake: no cookie, a foreign Origin
    expect(await TerminalClient.connect(platform.url, undefined)).to.deep.equal({ error: 'UNAUTHENTICATED' });
    expect(
      await TerminalClient.connect(platform.url, cookies.p1, { origin: 'http://evil.example' }),
    ).to.deep.equal({ error: 'UNAUTHENTICATED' });

    const owner = await connect('p1');
    const { terminal } = await owner.openOk(console1);
    const id = terminal.terminalId;
    await owner.waitFor(id, /\$ $/);

    const p2 = await connect('p2');
    const watched = await p2.watch(id);
    expect(watched.ok).to.equal(false);
    const resumed = await p2.open({ ...console1, terminalId: id });
    expect(resumed.ok).to.equal(false);
    p2.input(id, 'touch /tmp/p2-was-here\r');
    await until('p2 input refused', () => p2.of(id).errors.some((e) => e.code === 'NOT_OWNER'));
    const foreign = await p2.open({ ...console1, exerciseId: X, teamId: 'team-1' });
    expect(!foreign.ok && foreign.error.code).to.equal('FORBIDDEN');
    const noConsole = await p2.open({ host: 'server', cols: 80, rows: 24 });
    expect(!noConsole.ok && noConsole.error.code).to.equal('FORBIDDEN');
    const listed = await p2.list(X);
    expect(!listed.ok && listed.error.code).to.equal('FORBIDDEN');

    // an instructor of another organisation
    const b = await connect('instrB');
    const bOpen = await b.open({ ...console1, exerciseId: X, teamId: 'team-1' });
    expect(!bOpen.ok && bOpen.error.code).to.equal('NOT_FOUND');
    const bWatch = await b.watch(id);
    expect(!bWatch.ok && bWatch.error.code).to.equal('NOT_FOUND');
    const bList = await b.list(X);
    expect(!bList.ok && bList.error.code).to.equal('NOT_FOUND');

    // the instructor of the exercise lists and watches, read-only
    const a = await connect('instrA');
    const aList = await a.list(X);
    expect(aList.ok && aList.terminals.map((t) => t.terminalId)).to.include(id);
    const view = await a.watch(id);
    expect(view.ok && view.role).to.equal('viewer');
    a.input(id, 'touch /tmp/viewer-was-here\r');
    a.resize(id, 120, 50);
    await until(
      'viewer input and resize refused',
      () => a.of(id).errors.filter((e) => e.code === 'NOT_OWNER').length >= 2,
    );
    await owner.run(id, 'stty size; echo SZ$((2+2))', /24 80\r\nSZ4/);
    expect(
      await inConsole(X, 'team-1', 'ls /tmp/p2-was-here /tmp/viewer-was-here 2>&1 | grep -c "No such file"'),
    ).to.equal('2');
    expect((await a.close(id)).ok, 'a viewer stops viewing').to.equal(true);
    expect((await owner.close(id)).ok).to.equal(true);
  });

  it('lets an instructor shadow a terminal; a viewer that never acknowledges does not slow the owner', async () => {
    const owner = await connect('p1');
    const { terminal } = await owner.openOk(console1);
    const id = terminal.terminalId;
    await owner.waitFor(id, /\$ $/);
    await owner.run(id, 'echo BEFORE-$((1+6))', /BEFORE-7/);
    const viewer = await connect('instrA');
    const stuck = await connect('instrA', { autoAck: false });
    const v = await viewer.watch(id);
    expect(v.ok && v.snapshot).to.include('BEFORE-7');
    expect((await stuck.watch(id)).ok).to.equal(true);

    await owner.run(id, 'echo SHADOW-$((1+1))', /SHADOW-2/);
    await viewer.waitFor(id, /SHADOW-2/);
    // about 1.5 MB of output: the owner gets all of it although one viewer acknowledges nothing
    await owner.run(id, 'seq 1 200000; echo END-$((2+3))', /199999\r\n200000\r\nEND-5/, 60_000);
    await viewer.waitFor(id, /END-5/, 30_000);
    expect(owner.of(id).received).to.be.above(1_400_000);
    expect(stuck.of(id).received, 'the stuck viewer is cut off at its window').to.be.at.most(
      1024 * 1024 + 128 * 1024,
    );
    expect(stuck.of(id).snapshots).to.deep.equal([]);
    // once it has acknowledged everything, it gets a fresh screen instead of what it missed
    stuck.ackAll(id);
    await until('a fresh snapshot', () => stuck.of(id).snapshots.length === 1);
    expect(stuck.of(id).snapshots[0]).to.include('END-5');
    // viewers follow the owner's size
    owner.resize(id, 90, 30);
    await until('resized', () => viewer.of(id).resized.some(([c, r]) => c === 90 && r === 30));
    expect((await owner.close(id)).ok).to.equal(true);
    await until('viewers are told the shell ended', () => viewer.of(id).exit?.reason === 'closed');
  });

  it('records every session as asciicast v2, listed and downloadable by staff only, capped', async () => {
    const c = await connect('p1');
    const { terminal, recordsInput } = await c.openOk({ host: 'console', cols: 100, rows: 30 });
    expect(recordsInput).to.equal(false);
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    c.input(
      id,
      `(export LC_ALL=C; s='日本語テキスト'; printf 'R%s' '<'; for ((i=0;i<\${#s};i++)); do printf '%s' "\${s:i:1}"; sleep 0.01; done; printf '>E\\n')\r`,
    );
    await c.waitFor(id, />E\r\n/);
    c.resize(id, 91, 37);
    await c.run(id, 'stty size; echo R$((1+1))', /37 91\r\nR2/);
    expect((await c.close(id)).ok).to.equal(true);

    const recordingOf = async (exercise: string, terminalId: string) => {
      let found: RecordingInfo | undefined;
      await until('the recording is finished', async () => {
        const list = (await ok('instrA', 'GET', `/api/exercises/${exercise}/recordings`))
          .json as unknown as RecordingInfo[];
        found = list.find((r) => r.terminalId === terminalId);
        return found?.endedAt !== null && found !== undefined;
      });
      return found!;
    };
    const download = async (exercise: string, recording: RecordingInfo) => {
      const res = await ok('instrA', 'GET', `/api/exercises/${exercise}/recordings/${recording.recordingId}`);
      expect(res.headers.get('content-type')).to.equal('application/x-asciicast');
      // Named for a person: exercise, team, host, start time, then the id's first characters.
      const stamp = recording.startedAt.slice(0, 19).replace(/-/g, '').replace('T', '-').replace(/:/g, '');
      expect(res.headers.get('content-disposition')).to.equal(
        `attachment; filename="${exercise}-${recording.teamId}-${recording.host}-${stamp}-${recording.recordingId.slice(0, 8)}.cast"`,
      );
      const lines = res.text.trimEnd().split('\n');
      const header = JSON.parse(lines[0]!) as Record<string, unknown>;
      const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
      return { header, events, size: Buffer.byteLength(res.text) };
    };

    const rec = await recordingOf(X, id);
    expect(rec).to.include({
      exerciseId: X,
      teamId: 'team-1',
      host: 'console',
      openedBy: 'p1',
      includesInput: false,
      truncated: false,
    });
    const { header, events, size } = await download(X, rec);
    expect(size).to.equal(rec.bytes);
    expect(header).to.include({ version: 2, width: 100, height: 30 });
    expect(header.env).to.deep.equal({ TERM: 'xterm-256color', SHELL: '/bin/bash' });
    expect(header.timestamp).to.be.a('number');
    let previous = 0;
    for (const [t, code, data] of events) {
      expect(t).to.be.at.least(previous);
      previous = t;
      expect(['o', 'r', 'm']).to.include(code);
      expect(data).to.be.a('string');
    }
    const output = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(output).to.include('R<日本語テキスト>E');
    expect(output).not.to.include('\uFFFD');
    expect(events.filter((e) => e[1] === 'r').map((e) => e[2])).to.deep.equal(['91x37']);
    expect(events.some((e) => e[1] === 'i')).to.equal(false);

    // another organisation's instructor and participants cannot see them
    expect((await call('instrB', 'GET', `/api/exercises/${X}/recordings`)).status).to.equal(404);
    expect(
      (await call('instrB', 'GET', `/api/exercises/${X}/recordings/${rec.recordingId}`)).status,
    ).to.equal(404);
    expect((await call('p1', 'GET', `/api/exercises/${X}/recordings`)).status).to.equal(403);
    expect(
      (await call('instrA', 'GET', `/api/exercises/${X}/recordings/00000000-0000-4000-8000-000000000000`))
        .status,
    ).to.equal(404);

    // an exercise that records input says so, and records keystrokes
    const z = await connect('p3');
    const zOpen = await z.openOk(console1);
    expect(zOpen.recordsInput).to.equal(true);
    await z.waitFor(zOpen.terminal.terminalId, /\$ $/);
    await z.run(zOpen.terminal.terminalId, 'echo typed-$((4+4))', /typed-8/);
    expect((await z.close(zOpen.terminal.terminalId)).ok).to.equal(true);
    const zRec = await recordingOf(Z, zOpen.terminal.terminalId);
    expect(zRec.includesInput).to.equal(true);
    const typed = (await download(Z, zRec)).events
      .filter((e) => e[1] === 'i')
      .map((e) => e[2])
      .join('');
    expect(typed).to.equal('echo typed-$((4+4))\r');

    // the cap: a large output stops the recording at the configured size with a marker
    const big = await c.openOk(console1);
    await c.waitFor(big.terminal.terminalId, /\$ $/);
    await c.run(big.terminal.terminalId, 'seq 1 30000; echo BIG-$((1+2))', /BIG-3/, 30_000);
    expect((await c.close(big.terminal.terminalId)).ok).to.equal(true);
    const bigRec = await recordingOf(X, big.terminal.terminalId);
    expect(bigRec.truncated).to.equal(true);
    expect(bigRec.bytes).to.be.at.most(RECORDING_CAP);
    const capped = await download(X, bigRec);
    expect(capped.size).to.be.at.most(RECORDING_CAP);
    expect(capped.events.at(-1)?.slice(1)).to.deep.equal(['m', 'truncated']);
    const file = path.join(dir, 'data', 'recordings', X, `${bigRec.recordingId}.cast`);
    expect(readFileSync(file).length).to.equal(capped.size);
  });

  it('kills the shell in the container on close and on sign-out', async () => {
    const c = await connect('p1');
    const first = await c.openOk(console1);
    await c.waitFor(first.terminal.terminalId, /\$ $/);
    const pid1 = await shellPid(c, first.terminal.terminalId);
    expect(await alive(X, 'team-1', pid1)).to.equal(true);
    expect((await c.close(first.terminal.terminalId)).ok).to.equal(true);
    expect(await alive(X, 'team-1', pid1), 'closed: the shell is gone').to.equal(false);

    const p4 = await connect('p4');
    const second = await p4.openOk(console1);
    const id = second.terminal.terminalId;
    await p4.waitFor(id, /\$ $/);
    const pid2 = await shellPid(p4, id);
    await p4.run(id, 'sleep 900 & echo JOB$((3+4))', /JOB7/);
    expect(await alive(X, 'team-1', pid2)).to.equal(true);
    await ok('p4', 'POST', '/api/auth/logout');
    await until('the shell ends on sign-out', () => p4.of(id).exit?.reason === 'logout');
    expect(await alive(X, 'team-1', pid2), 'signed out: the shell is gone').to.equal(false);
    expect(
      await inConsole(
        X,
        'team-1',
        'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done | grep -c "^sleep 900" || true',
      ),
    ).to.equal('0');
    // the signed-out session cannot connect again
    expect(await TerminalClient.connect(platform.url, cookies.p4)).to.deep.equal({
      error: 'UNAUTHENTICATED',
    });
  });

  it('kills the shells of a session that has expired, and refuses it from then on', async () => {
    const code = (await ok('instrA', 'POST', `/api/exercises/${X}/teams/team-1/join-codes`, {})).json
      .code as string;
    await ok('p5', 'POST', '/api/join', { code, displayName: 'p5' });
    const c = await connect('p5');
    const { terminal } = await c.openOk(console1);
    const id = terminal.terminalId;
    await c.waitFor(id, /\$ $/);
    const pid = await shellPid(c, id);
    // The session runs out (as it would after its idle or absolute limit): its next request is refused.
    const store = new SQLite(path.join(dir, 'data', 'cyrop.db'));
    try {
      const expired = store
        .prepare("update sessions set expires_at = 0 where kind = 'participant' and display_name = 'p5'")
        .run();
      expect(expired.changes).to.equal(1);
    } finally {
      store.close();
    }
    const refused = await c.open(console1);
    expect(refused.ok).to.equal(false);
    if (!refused.ok) expect(refused.error.code).to.equal('UNAUTHENTICATED');
    await until('the shell ends with its session', () => c.of(id).exit?.reason === 'session-expired');
    expect(await alive(X, 'team-1', pid), 'expired: the shell is gone').to.equal(false);
  });

  it('ends the shells of a host when it is reset', async () => {
    const c = await connect('p2');
    const { terminal } = await c.openOk(console1);
    await c.waitFor(terminal.terminalId, /\$ $/);
    await ok('instrA', 'POST', `/api/exercises/${X}/teams/team-2/reset`, { host: 'console' });
    await until('the shell ends on reset', () => c.of(terminal.terminalId).exit?.reason === 'host-reset');
  });
});
