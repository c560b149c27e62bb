import type { Duplex } from 'node:stream';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import type { BoundAddresses } from '../compiler/plan-addresses.ts';

/**
 * The one port through which CYROP talks to an engine (Docker, Kubernetes). Everything above it —
 * exercises, scoring, terminals — uses only this interface; adapters implement it and are chosen in
 * runtime/select-driver.ts from the configuration. Expected failures (a command exiting non-zero, timing out) are data, not exceptions;
 * engine errors are translated into CyropError (code ENGINE_*) with the original as `cause`.
 */
export interface RuntimeDriver {
  readonly engine: EngineName;
  /** What of a scenario this engine honours; launch refuses, before creating anything, what it cannot. */
  readonly capabilities: EngineCapabilities;
  /**
   * Create what the plan describes and is missing; adopt what matches; recreate what drifted. Idempotent.
   * A planned subnet that the engine or the host already uses is refused with SUBNET_CONFLICT
   * (`details: { network, subnet, conflict? }`) before anything is attached to it: the caller re-plans.
   */
  provision(plan: EnvironmentPlan, options?: ProvisionOptions): Promise<EnvironmentStatus>;
  status(env: EnvironmentRef): Promise<EnvironmentStatus>;
  /** Run a command in a host; non-zero exits, timeouts and truncation are reported in the result. */
  exec(host: HostRef, cmd: readonly string[], options: ExecOptions): Promise<ExecResult>;
  /** An interactive TTY shell; closing the stream kills the shell inside the container. */
  openShell(host: HostRef, options: ShellOptions): Promise<ShellStream>;
  /**
   * A TCP connection from the platform to `port` of a host, as a client on the team's own network
   * would make it (the web proxy of web service tabs). The host's side sees the platform, never a
   * trainee; nothing on the host can open a connection back. Fails with ENGINE_* when the host is
   * gone or the port refuses (ENGINE_ERROR), ENGINE_TIMEOUT when nothing answers within `timeoutMs`. Absent: this
   * engine offers no web services.
   */
  openTcp?(host: HostRef, port: number, options: { timeoutMs: number }): Promise<Duplex>;
  /** Recreate one host from its plan (fresh filesystem), keeping its addresses. */
  resetHost(plan: EnvironmentPlan, host: string, options?: ProvisionOptions): Promise<EnvironmentStatus>;
  /** Remove everything of the environment. Idempotent: destroying what is gone is fine. */
  destroy(env: EnvironmentRef): Promise<void>;
  /** What really exists for the selector (labels), for reconcile and garbage collection. */
  list(selector?: Readonly<Record<string, string>>): Promise<EnvironmentRef[]>;
  /**
   * The IPv4 blocks already in use where this engine puts team networks: every network on the engine
   * (CYROP's of any installation and everyone else's) and, for an engine that shares the host's
   * network stack, the host's routes and addresses. The subnet allocator avoids them all. An engine
   * whose team networks live in an address space of their own may leave it out.
   */
  addressesInUse?(): Promise<AddressBlockInUse[]>;
  /**
   * Remove what the engine set up on the machine once for every environment (Docker: the host
   * firewall rules), for `cyrop gc --firewall` when no environment is left. Absent: nothing to remove.
   */
  removeHostSetup?(): Promise<void>;
  /** Release what the driver keeps open between calls (Kubernetes: its namespace watch). */
  close?(): Promise<void>;
}

/** The engines CYROP has drivers for (`CYROP_ENGINE`). */
export type EngineName = 'docker' | 'kubernetes';

/** What of a scenario an engine honours (see `engineCannotHonour` in exercises/ for the check). */
export interface EngineCapabilities {
  /** Scenario-fixed subnets (`fixed: true` networks) and host addresses are honoured. */
  fixedAddresses: boolean;
  /** Linux capabilities a host may be granted on top of the default set (`'any'`: all). */
  grantableCapabilities: readonly string[] | 'any';
  /** Per-host writable-storage limits (`resources.disk`) are enforced. */
  diskLimits: boolean;
  /** A host may sit on several scenario networks, and networks are isolated from each other. */
  multiNetwork: boolean;
}

/** An engine that honours every scenario field (fakes, tests). */
export const ALL_CAPABILITIES: EngineCapabilities = Object.freeze({
  fixedAddresses: true,
  grantableCapabilities: 'any',
  diskLimits: true,
  multiNetwork: true,
});

export interface AddressBlockInUse {
  /** An IPv4 CIDR block, e.g. `10.200.3.0/24`. */
  block: string;
  /** Who uses it, for messages: "Docker network 'web' (compose project shop)", "host route … dev eth0". */
  owner: string;
  /** Set for the networks of a CYROP environment, so that a team's own networks are not held against it. */
  environment?: EnvironmentRef & { installation?: string };
}

export interface EnvironmentRef {
  exercise: string;
  team: string;
}

export interface HostRef extends EnvironmentRef {
  host: string;
}

export interface ProvisionOptions {
  signal?: AbortSignal;
  /** Called as hosts and networks come up, for progress bars and live views. */
  onProgress?: (event: ProvisionEvent) => void;
}

export type ProvisionEvent =
  | { kind: 'network'; network: string; state: 'created' | 'adopted' }
  | {
      kind: 'host';
      host: string;
      state: 'created' | 'adopted' | 'recreated' | 'started' | 'ready' | 'failed';
      detail?: string;
    };

export type HostState = 'missing' | 'created' | 'running' | 'ready' | 'exited' | 'drifted';

export interface EnvironmentStatus {
  ref: EnvironmentRef;
  /** The plan hash the environment was built from (from the engine's labels); undefined when nothing exists. */
  planHash?: string;
  networks: { name: string; exists: boolean }[];
  hosts: { name: string; state: HostState; detail?: string }[];
  /** Every host ready and every network present. */
  ready: boolean;
  /**
   * From an engine that gives hosts their addresses itself (no `fixedAddresses`): the addresses they
   * got, by host and network, after provision and resetHost. The plan as trainees see and are judged
   * against is `bindAddresses(plan, addresses)`; the engine has written them into the hosts' files.
   */
  addresses?: BoundAddresses;
}

export interface ExecOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  user?: string;
  env?: Readonly<Record<string, string>>;
  workdir?: string;
  stdin?: string | Buffer;
}

export interface ExecResult {
  /** null when the command was killed for running past its timeout. */
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  /** Output beyond maxOutputBytes was dropped. */
  truncated: boolean;
  durationMs: number;
}

export interface ShellOptions {
  user?: string;
  shell?: string;
  workdir?: string;
  cols: number;
  rows: number;
  env?: Readonly<Record<string, string>>;
}

/** A TTY shell: raw bytes both ways (no multiplexing), resizable, killable. */
export interface ShellStream {
  /**
   * Raw terminal bytes: write keystrokes, read output. It is handed over paused, so that no output is
   * lost before a reader attaches: resume() or pipe() it. Pausing it applies back-pressure to the engine.
   */
  readonly stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Kill the shell process (and its process group) inside the container, then end the stream. */
  kill(): Promise<void>;
  /** Resolves with the shell's exit code (null if killed or unknown) when it ends. */
  readonly exited: Promise<number | null>;
}
