import { Duplex } from 'node:stream';
import type { EnvironmentPlan, PlannedHost } from '../../compiler/environment-plan.ts';
import { sha256Hex } from '../../compiler/environment-plan.ts';
import { CyropError } from '../../errors.ts';
import {
  ALL_CAPABILITIES,
  type EngineCapabilities,
  type EngineName,
  type EnvironmentRef,
  type EnvironmentStatus,
  type ExecOptions,
  type ExecResult,
  type HostRef,
  type ProvisionOptions,
  type RuntimeDriver,
  type ShellOptions,
  type ShellStream,
} from '../runtime-driver.ts';

export interface FakeDriverOptions {
  /** The engine it pretends to be (default `docker`). */
  engine?: EngineName;
  /** What it declares it honours (default: everything). */
  capabilities?: EngineCapabilities;
}

interface FakeFile {
  content: Buffer;
  mode: number;
  owner: string;
  group: string;
}

interface FakeHost {
  spec: PlannedHost;
  files: Map<string, FakeFile>;
  /** Changes each time the host is (re)created: a fresh file system. */
  boot: number;
}

interface FakeEnvironment {
  plan: EnvironmentPlan;
  networks: Map<string, string>; // name → network hash
  hosts: Map<string, FakeHost>;
}

/**
 * An in-memory engine: environments are records, hosts are file maps, and commands are read by a
 * tiny POSIX-shell look-alike (`echo`, `cat`, `stat -c`, `id -un`, `hostname -I`, `getent hosts`,
 * `head -c N /dev/zero`, `yes`, `sleep`, `nc -z`, `stty size`, `pwd`, `exit`, `;`, `&&`, `&`, `>`, `>&2`, and
 * `#!/bin/sh` files). It keeps the RuntimeDriver contract where it can be kept without processes
 * (tests/contract/fake.test.ts), and lets code above the port be unit-tested. `calls` records every
 * engine-changing call. Not for production: nothing is isolated, nothing runs.
 */
export class FakeRuntimeDriver implements RuntimeDriver {
  readonly engine: EngineName;
  readonly capabilities: EngineCapabilities;
  /** `provision a/b`, `reset a/b/h`, `destroy a/b`, in order. */
  readonly calls: string[] = [];
  private readonly environments = new Map<string, FakeEnvironment>();
  private boots = 0;
  private pids = 100;

  constructor(options: FakeDriverOptions = {}) {
    this.engine = options.engine ?? 'docker';
    this.capabilities = options.capabilities ?? ALL_CAPABILITIES;
  }

  async provision(plan: EnvironmentPlan, options: ProvisionOptions = {}): Promise<EnvironmentStatus> {
    options.signal?.throwIfAborted();
    const ref = { exercise: plan.exercise.id, team: plan.team.id };
    this.calls.push(`provision ${ref.exercise}/${ref.team}`);
    const key = keyOf(ref);
    const env: FakeEnvironment = this.environments.get(key) ?? {
      plan,
      networks: new Map(),
      hosts: new Map(),
    };
    this.environments.set(key, env);
    env.plan = plan;
    for (const name of [...env.networks.keys()])
      if (!plan.networks.some((n) => n.name === name)) env.networks.delete(name);
    for (const n of plan.networks) {
      const hash = sha256Hex(JSON.stringify(n));
      const state = env.networks.get(n.name) === hash ? 'adopted' : 'created';
      env.networks.set(n.name, hash);
      options.onProgress?.({ kind: 'network', network: n.name, state });
    }
    for (const name of [...env.hosts.keys()])
      if (!plan.hosts.some((h) => h.name === name)) env.hosts.delete(name);
    for (const h of plan.hosts) {
      const found = env.hosts.get(h.name);
      if (found?.spec.hash === h.hash) {
        options.onProgress?.({ kind: 'host', host: h.name, state: 'adopted' });
        continue;
      }
      env.hosts.set(h.name, this.freshHost(h));
      options.onProgress?.({ kind: 'host', host: h.name, state: found ? 'recreated' : 'created' });
      options.onProgress?.({ kind: 'host', host: h.name, state: 'started' });
      options.onProgress?.({ kind: 'host', host: h.name, state: 'ready' });
    }
    await Promise.resolve();
    const status = await this.status(ref);
    return { ...status, hosts: status.hosts.map((h) => ({ ...h, state: 'ready' as const })) };
  }

  status(ref: EnvironmentRef): Promise<EnvironmentStatus> {
    const env = this.environments.get(keyOf(ref));
    const hosts = env
      ? [...env.hosts.keys()].sort().map((name) => ({ name, state: 'running' as const }))
      : [];
    return Promise.resolve({
      ref,
      ...(env ? { planHash: env.plan.hash } : {}),
      networks: env ? [...env.networks.keys()].map((name) => ({ name, exists: true })) : [],
      hosts,
      ready: hosts.length > 0,
    });
  }

  async resetHost(
    plan: EnvironmentPlan,
    host: string,
    options: ProvisionOptions = {},
  ): Promise<EnvironmentStatus> {
    const spec = plan.hosts.find((h) => h.name === host);
    if (!spec)
      throw new CyropError(
        'NOT_FOUND',
        `no host '${host}' in the plan of ${plan.exercise.id}/${plan.team.id}`,
      );
    const ref = { exercise: plan.exercise.id, team: plan.team.id };
    this.calls.push(`reset ${ref.exercise}/${ref.team}/${host}`);
    const env = this.environments.get(keyOf(ref));
    if (!env) return this.provision(plan, options);
    env.hosts.set(host, this.freshHost(spec));
    options.onProgress?.({ kind: 'host', host, state: 'recreated' });
    options.onProgress?.({ kind: 'host', host, state: 'ready' });
    return this.status(ref);
  }

  destroy(ref: EnvironmentRef): Promise<void> {
    this.calls.push(`destroy ${ref.exercise}/${ref.team}`);
    this.environments.delete(keyOf(ref));
    return Promise.resolve();
  }

  list(selector: Readonly<Record<string, string>> = {}): Promise<EnvironmentRef[]> {
    return Promise.resolve(
      [...this.environments.values()]
        .filter((e) => Object.entries(selector).every(([k, v]) => e.plan.labels[k] === v))
        .map((e) => ({ exercise: e.plan.exercise.id, team: e.plan.team.id }))
        .sort((a, b) => a.exercise.localeCompare(b.exercise) || a.team.localeCompare(b.team)),
    );
  }

  async exec(ref: HostRef, cmd: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    const session = this.session(ref, options.user ?? this.hostOf(ref).spec.user ?? 'root', options.env);
    const out = new CappedOutput(options.maxOutputBytes);
    const run = session.run(argvScript(cmd), out);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    const result = await Promise.race([run, timeout]);
    clearTimeout(timer);
    session.stop();
    return {
      exitCode: result === 'timeout' ? null : result,
      stdout: out.stdout(),
      stderr: out.stderr(),
      timedOut: result === 'timeout',
      truncated: out.truncated,
      durationMs: Date.now() - started,
    };
  }

  openShell(ref: HostRef, options: ShellOptions): Promise<ShellStream> {
    const session = this.session(ref, options.user ?? 'root', options.env);
    session.cwd = options.workdir ?? '/';
    session.interactive = true;
    session.size = { cols: options.cols, rows: options.rows };
    let resolveExit: (code: number | null) => void = () => undefined;
    const exited = new Promise<number | null>((resolve) => {
      resolveExit = resolve;
    });
    const shell = new FakeShell(session, (code) => resolveExit(code));
    return Promise.resolve({
      stream: shell,
      resize: (cols: number, rows: number) => {
        session.size = { cols, rows };
        return Promise.resolve();
      },
      kill: () => {
        shell.end2(null);
        return Promise.resolve();
      },
      exited,
    });
  }

  // --- internals

  private freshHost(spec: PlannedHost): FakeHost {
    const files = new Map<string, FakeFile>();
    for (const f of spec.files) {
      const [owner = 'root', group = owner] = (f.owner ?? 'root:root').split(':');
      files.set(f.path, { content: Buffer.from(f.content, f.encoding), mode: f.mode, owner, group });
    }
    return { spec, files, boot: ++this.boots };
  }

  private hostOf(ref: HostRef): FakeHost {
    const host = this.environments.get(keyOf(ref))?.hosts.get(ref.host);
    if (!host)
      throw new CyropError(
        'ENGINE_NOT_FOUND',
        `no host ${ref.exercise}/${ref.team}/${ref.host} on the fake engine`,
      );
    return host;
  }

  private session(ref: HostRef, user: string, env: Readonly<Record<string, string>> | undefined): Session {
    const host = this.hostOf(ref);
    const plan = (this.environments.get(keyOf(ref)) as FakeEnvironment).plan;
    return new Session(
      host,
      plan,
      user === '0' ? 'root' : user,
      { ...host.spec.env, ...env },
      () => ++this.pids,
    );
  }
}

function keyOf(ref: EnvironmentRef): string {
  return `${ref.exercise}/${ref.team}`;
}

/** `['/bin/sh', '-c', script]` → script; any other argv → its words joined (quoted). */
function argvScript(cmd: readonly string[]): string {
  if ((cmd[0] === '/bin/sh' || cmd[0] === 'sh') && cmd[1] === '-c') return cmd[2] ?? '';
  return cmd.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** Output as an exec sees it: both streams share one cap. */
class CappedOutput {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  write(stream: 1 | 2, data: Buffer): boolean {
    const room = this.max - this.size;
    const part = data.length > room ? data.subarray(0, Math.max(0, room)) : data;
    if (part.length < data.length) this.truncated = true;
    this.size += part.length;
    if (part.length) (stream === 1 ? this.out : this.err).push(part);
    return this.size < this.max;
  }
  stdout(): Buffer {
    return Buffer.concat(this.out);
  }
  stderr(): Buffer {
    return Buffer.concat(this.err);
  }
}

interface Sink {
  /** false: stop producing (the reader is full or gone). */
  write(stream: 1 | 2, data: Buffer): boolean;
  /** Resolves when the reader wants more (a shell's back-pressure); absent: never blocks. */
  drain?(): Promise<void>;
}

/** One shell's state and its tiny interpreter. */
class Session {
  cwd = '/';
  size = { cols: 80, rows: 24 };
  /** A terminal shell reports background jobs (`[1] 123`); `sh -c` does not. */
  interactive = false;
  private stopped = false;
  private jobs = 0;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly host: FakeHost,
    private readonly plan: EnvironmentPlan,
    readonly user: string,
    private readonly env: Record<string, string>,
    private readonly nextPid: () => number,
  ) {}

  stop(): void {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
  }

  /** A sleep that stop() cuts short (a killed command leaves no timer behind). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Run a script; resolves with its exit status. */
  async run(script: string, sink: Sink): Promise<number> {
    let status = 0;
    for (const line of script.split('\n')) {
      for (const { text, and, background } of splitCommands(line)) {
        if (this.stopped) return status;
        if (and && status !== 0) continue;
        if (background) {
          this.jobs++;
          if (this.interactive) sink.write(2, Buffer.from(`[${this.jobs}] ${this.nextPid()}\n`));
          status = 0;
          continue;
        }
        const result = await this.command(words(text, this.env), sink);
        if (result === 'exit') return status;
        if (typeof result === 'object') return result.exit;
        status = result;
      }
    }
    return status;
  }

  private async command(argv: string[], sink: Sink): Promise<number | 'exit' | { exit: number }> {
    // redirections: `>&2`, `> file`
    let stream: 1 | 2 = 1;
    let into: string | undefined;
    const args: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const w = argv[i] as string;
      if (w === '>&2') stream = 2;
      else if (w === '>') into = argv[++i];
      else if (w.startsWith('>') && w.length > 1) into = w.slice(1);
      else args.push(w);
    }
    const collected: Buffer[] = [];
    const target: Sink = into
      ? { write: (_s, d) => (collected.push(d), true) }
      : {
          write: (s, d) => sink.write(stream === 2 ? 2 : s, d),
          ...(sink.drain ? { drain: sink.drain.bind(sink) } : {}),
        };
    const status = await this.program(args, target);
    if (into !== undefined && typeof status === 'number') {
      const problem = this.writeFile(into, Buffer.concat(collected));
      if (problem) {
        sink.write(2, Buffer.from(`sh: 1: cannot create ${into}: ${problem}\n`));
        return 2;
      }
    }
    return status;
  }

  private async program(args: string[], out: Sink): Promise<number | 'exit' | { exit: number }> {
    const [name, ...rest] = args;
    const say = (text: string, stream: 1 | 2 = 1) => out.write(stream, Buffer.from(text));
    switch (name) {
      case undefined:
        return 0;
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'exit':
        return { exit: Number(rest[0] ?? 0) };
      case 'echo':
        say(`${rest.join(' ')}\n`);
        return 0;
      case 'pwd':
        say(`${this.cwd}\n`);
        return 0;
      case 'id':
        if (rest[0] === '-un') say(`${this.user}\n`);
        else say(`uid=${this.user === 'root' ? 0 : 1000}(${this.user})\n`);
        return 0;
      case 'stty':
        say(`${this.size.rows} ${this.size.cols}\n`);
        return 0;
      case 'hostname':
        say(
          rest[0] === '-I'
            ? `${this.host.spec.networks.map((n) => n.address).join(' ')} \n`
            : `${this.host.spec.hostname}\n`,
        );
        return 0;
      case 'getent': {
        const wanted = rest[1] ?? '';
        const mine = new Set(this.host.spec.networks.map((n) => n.name));
        for (const h of this.plan.hosts)
          for (const n of h.networks)
            if (
              mine.has(n.name) &&
              (h.name === wanted || h.hostname === wanted || n.aliases.includes(wanted))
            ) {
              say(`${n.address}    ${wanted}\n`);
              return 0;
            }
        return 2;
      }
      case 'nc': {
        // `nc -z [-w N] ADDRESS PORT`: open when a host on a network shared with this one has the
        // address there and listens on the port (its readiness port or a port its command names)
        const operands = rest.filter((w, i) => !w.startsWith('-') && rest[i - 1] !== '-w');
        const [address = '', port = ''] = operands;
        const mine = new Set(this.host.spec.networks.map((n) => n.name));
        const open = this.plan.hosts.some(
          (h) =>
            h.networks.some((n) => mine.has(n.name) && n.address === address) &&
            (String(h.ready?.tcp) === port || (h.command ?? []).includes(port)),
        );
        return open ? 0 : 1;
      }
      case 'cat': {
        let status = 0;
        for (const path of rest) {
          const read = this.readFile(path);
          if (typeof read === 'string') {
            say(`cat: ${path}: ${read}\n`, 2);
            status = 1;
          } else out.write(1, read);
        }
        return status;
      }
      case 'stat': {
        const path = rest[rest.length - 1] ?? '';
        const f = this.host.files.get(path);
        if (!f) {
          say(`stat: cannot statx '${path}': No such file or directory\n`, 2);
          return 1;
        }
        say(`${f.mode.toString(8)} ${f.owner}:${f.group}\n`);
        return 0;
      }
      case 'head': {
        const n = Number(rest[1] ?? 0);
        if (rest[0] !== '-c' || rest[2] !== '/dev/zero') return this.notFound(args, out);
        out.write(1, Buffer.alloc(n));
        return 0;
      }
      case 'sleep':
        await this.sleep(Number(rest[0] ?? 0) * 1000);
        return 0;
      case 'yes': {
        const line = Buffer.from(`${rest.length ? rest.join(' ') : 'y'}\n`.repeat(512));
        // Produces only while the reader takes it: pausing the stream blocks `yes`, as a pty would.
        while (!this.stopped) {
          if (!out.write(1, line)) {
            if (!out.drain) return 0;
            await out.drain();
          }
          await new Promise((r) => setImmediate(r));
        }
        return 0;
      }
      default: {
        const file = name.startsWith('/') ? this.host.files.get(name) : undefined;
        if (file && (file.mode & 0o111) !== 0) {
          const text = file.content.toString('utf8');
          if (text.startsWith('#!/bin/sh')) return this.run(text.slice(text.indexOf('\n') + 1), out);
        }
        return this.notFound(args, out);
      }
    }
  }

  private notFound(args: string[], out: Sink): number {
    out.write(
      2,
      Buffer.from(`sh: 1: ${args.join(' ')}: not found (the fake engine's shell knows few commands)\n`),
    );
    return 127;
  }

  /** Owner, group or other bits, as the kernel checks them (root has no DAC override in a scenario host). */
  private allowed(f: FakeFile, bit: 4 | 2): boolean {
    const shift = f.owner === this.user ? 6 : f.group === this.user ? 3 : 0;
    return ((f.mode >> shift) & bit) !== 0;
  }

  private readFile(path: string): Buffer | string {
    const f = this.host.files.get(path);
    if (!f) return 'No such file or directory';
    return this.allowed(f, 4) ? f.content : 'Permission denied';
  }

  private writeFile(path: string, content: Buffer): string | undefined {
    const f = this.host.files.get(path);
    if (f && !this.allowed(f, 2)) return 'Permission denied';
    this.host.files.set(
      path,
      f ? { ...f, content } : { content, mode: 0o644, owner: this.user, group: this.user },
    );
    return undefined;
  }
}

/** A line split at `;`, `&&` and `&` (outside quotes). */
function splitCommands(line: string): { text: string; and: boolean; background: boolean }[] {
  const parts: { text: string; and: boolean; background: boolean }[] = [];
  let quote: string | undefined;
  let current = '';
  let and = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (c === ';' || (c === '&' && line[i + 1] === '&') || (c === '&' && line[i - 1] !== '>')) {
      const background = c === '&' && line[i + 1] !== '&';
      if (current.trim()) parts.push({ text: current.trim(), and, background });
      and = c === '&' && line[i + 1] === '&';
      if (and) i++;
      current = '';
    } else current += c;
  }
  if (current.trim()) parts.push({ text: current.trim(), and, background: false });
  return parts;
}

/** Words of a simple command: quotes removed, `$NAME` expanded (not in single quotes). */
function words(text: string, env: Record<string, string>): string[] {
  const result: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '$' && quote === '"') {
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0] ?? '';
        word = (word ?? '') + (name ? (env[name] ?? '') : '$');
        i += name.length;
      } else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) result.push(word);
      word = undefined;
    } else if (c === '$') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0] ?? '';
      word = (word ?? '') + (name ? (env[name] ?? '') : '$');
      i += name.length;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) result.push(word);
  return result;
}

/**
 * A shell as a stream: keystrokes in, output out, echoing nothing (like a shell with `stty -echo`).
 * Output is produced only when read: a paused stream stops the running command.
 */
class FakeShell extends Duplex {
  private line = '';
  private waiting: (() => void) | undefined;
  private busy: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly session: Session,
    private readonly onExit: (code: number | null) => void,
  ) {
    super({ highWaterMark: 64 * 1024 });
    this.pause();
  }

  override _read(): void {
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.line += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.line.indexOf('\n')) !== -1) {
      const command = this.line.slice(0, nl);
      this.line = this.line.slice(nl + 1);
      this.busy = this.busy.then(() => this.runLine(command));
    }
    callback();
  }

  private async runLine(command: string): Promise<void> {
    if (this.ended) return;
    const sink: Sink = {
      write: (_stream, data) => !this.ended && this.push(data),
      drain: () =>
        new Promise<void>((resolve) => {
          this.waiting = resolve;
        }),
    };
    const status = await this.session.run(command, sink);
    if (/^\s*exit\b/.test(command)) this.end2(status);
  }

  /** End the shell: `code` null when killed. */
  end2(code: number | null): void {
    if (this.ended) return;
    this.ended = true;
    this.session.stop();
    this.waiting?.();
    this.push(null);
    this.destroy();
    this.onExit(code);
  }
}
