import { readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { PassThrough, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import type { EnvironmentPlan, PlannedHost } from '../../compiler/environment-plan.ts';
import { CyropError } from '../../errors.ts';
import type {
  AddressBlockInUse,
  EngineCapabilities,
  EnvironmentRef,
  EnvironmentStatus,
  ExecOptions,
  ExecResult,
  HostRef,
  HostState,
  ProvisionOptions,
  RuntimeDriver,
  ShellOptions,
  ShellStream,
} from '../runtime-driver.ts';
import { bridgeInterfaceOf, engineBlocks } from './addresses-in-use.ts';
import { conflictWith, foreignTo, interfaceBlocks, routeBlocks } from '../shared/host-addresses.ts';
import { plannedHost, readyStatus } from '../shared/plan-status.ts';
import { ensureHostFirewall, removeHostFirewall } from './host-firewall.ts';
import { ExecOutput } from '../shared/exec-output.ts';
import { readPidLine, withTimeout } from '../shared/pid-line.ts';
import {
  isListening,
  KILL_TREE,
  LISTENING_SOCKETS,
  resolveOwner,
  withPidLine,
} from '../shared/in-container.ts';
import {
  DOCKER_LABEL,
  containerName,
  toDockerContainer,
  toDockerNetworks,
  type DiskQuota,
  type DiskQuotaMode,
  type DockerContainerSpec,
  type DockerNetworkSpec,
} from './to-docker.ts';
import { isStatus, translateDockerError } from './translate-error.ts';

/** The oldest Engine API this driver speaks (Docker 20.10); it pins the client to what the engine has, at most the newest it knows. */
export const MIN_API_VERSION = '1.41';
const MAX_API_VERSION = '1.45';
const READY_POLL_MS = 250;

export interface DockerDriverOptions {
  /** dockerode options (socketPath, host…); defaults to the local socket. */
  docker?: Docker.DockerOptions;
  /** Install the host firewall rules that keep team bridges away from the host (default true). */
  firewall?: boolean;
  /**
   * The engine runs on this machine, so its bridges share this host's routes and addresses, which
   * `addressesInUse()` then reports too (default true; false for a remote engine).
   */
  localHost?: boolean;
  /**
   * What to do when the engine cannot cap a container's writable storage (`resources.disk`):
   * `enforce` (the default) refuses to provision, `off` provisions without the cap.
   */
  diskLimits?: 'enforce' | 'off';
}

const MANAGED = `${DOCKER_LABEL.managedBy}=cyrop`;

/**
 * The single-host engine. One internal bridge per scenario network per team, one hardened
 * container per host; everything labelled so that list() sees what really exists.
 */
export class DockerRuntimeDriver implements RuntimeDriver {
  readonly engine = 'docker' as const;
  /**
   * Fixed subnets and addresses (IPAM), any capability (`CapAdd`), one internal bridge per network;
   * disk caps only where the storage driver can (btrfs, overlay2 on XFS: see `diskQuotaOf`).
   */
  readonly capabilities: EngineCapabilities;

  private constructor(
    readonly docker: Docker,
    readonly apiVersion: string,
    private readonly localHost: boolean,
    /** How this engine caps a container's writable storage (`none`: it cannot). */
    readonly diskQuota: DiskQuotaMode,
    /** Why it cannot, when it cannot; what to do about it. */
    readonly diskQuotaProblem: string | undefined,
    private readonly diskLimits: 'enforce' | 'off',
  ) {
    this.capabilities = {
      fixedAddresses: true,
      grantableCapabilities: 'any',
      diskLimits: diskQuota !== 'none',
      multiNetwork: true,
    };
  }

  async removeHostSetup(): Promise<void> {
    await removeHostFirewall();
  }

  /** Connect and check the engine's API version (clear error when it is too old or absent). */
  static async connect(options: DockerDriverOptions = {}): Promise<DockerRuntimeDriver> {
    const probe = new Docker(options.docker);
    let version: Docker.DockerVersion;
    try {
      version = await probe.version();
    } catch (error) {
      throw translateDockerError(error, 'connecting to the Docker engine');
    }
    if (compareVersions(version.ApiVersion, MIN_API_VERSION) < 0) {
      throw new CyropError(
        'ENGINE_VERSION',
        `Docker Engine API ${version.ApiVersion} (Docker ${version.Version}) is older than the ${MIN_API_VERSION} CYROP needs (Docker 20.10 or later)`,
      );
    }
    const pinned =
      compareVersions(version.ApiVersion, MAX_API_VERSION) > 0 ? MAX_API_VERSION : version.ApiVersion;
    let info: { Driver?: string; DriverStatus?: [string, string][] };
    try {
      info = (await probe.info()) as typeof info;
    } catch (error) {
      throw translateDockerError(error, 'asking the Docker engine what it runs on');
    }
    const quota = diskQuotaOf(info);
    if (options.firewall !== false) await ensureHostFirewall();
    return new DockerRuntimeDriver(
      new Docker({ ...options.docker, version: `v${pinned}` }),
      pinned,
      options.localHost ?? true,
      quota.mode,
      quota.problem,
      options.diskLimits ?? 'enforce',
    );
  }

  async provision(plan: EnvironmentPlan, options: ProvisionOptions = {}): Promise<EnvironmentStatus> {
    const ref = { exercise: plan.exercise.id, team: plan.team.id };
    const what = `provisioning ${ref.exercise}/${ref.team}`;
    options.signal?.throwIfAborted();
    await this.checkImages(plan, what);
    const existing = await this.inventory(ref);

    // Networks: adopt matching, replace drifted, create missing.
    const wanted = toDockerNetworks(plan);
    for (const net of existing.networks) {
      const spec = wanted.find((w) => w.name === net.Name);
      if (!spec || net.Labels?.[DOCKER_LABEL.networkHash] !== spec.hash) {
        // Containers on a drifted or orphan network go first.
        for (const c of existing.containers.filter((c) =>
          Object.values(c.NetworkSettings.Networks).some((n) => n.NetworkID === net.Id),
        )) {
          await this.removeContainer(c.Id);
          existing.containers = existing.containers.filter((x) => x.Id !== c.Id);
        }
        await this.removeNetwork(net.Id);
      }
    }
    const present = new Set(
      existing.networks
        .filter((n) =>
          wanted.some((w) => w.name === n.Name && n.Labels?.[DOCKER_LABEL.networkHash] === w.hash),
        )
        .map((n) => n.Name),
    );
    const toCreate = wanted.filter((spec) => !present.has(spec.name));
    if (toCreate.length) await this.checkSubnetsFree(plan, toCreate, what);
    await Promise.all(
      wanted.map(async (spec) => {
        if (present.has(spec.name)) {
          options.onProgress?.({ kind: 'network', network: spec.network, state: 'adopted' });
          return;
        }
        try {
          await this.docker.createNetwork(spec.options);
        } catch (error) {
          // 403 "Pool overlaps": another network took the block since we looked (another installation).
          if (isStatus(error, 403) && /overlap/i.test((error as Error).message))
            throw await this.subnetConflict(plan, spec, what, error);
          // 409: another run created it since we looked; adopt it if it is the one we want.
          if (!isStatus(error, 409))
            throw translateDockerError(error, `${what}: creating network ${spec.name}`);
          const net: Docker.NetworkInspectInfo = await this.docker
            .getNetwork(spec.name)
            .inspect()
            .catch((e: unknown) => {
              throw translateDockerError(e, `${what}: inspecting network ${spec.name}`);
            });
          if (net.Labels?.[DOCKER_LABEL.networkHash] !== spec.hash)
            throw translateDockerError(
              error,
              `${what}: network ${spec.name} exists with another configuration`,
            );
        }
        options.onProgress?.({ kind: 'network', network: spec.network, state: 'created' });
      }),
    );

    // Containers: orphans removed, drifted recreated, missing created, all started.
    const hosts = new Set(plan.hosts.map((h) => h.name));
    for (const c of existing.containers) {
      if (!hosts.has(c.Labels[DOCKER_LABEL.host] ?? '')) await this.removeContainer(c.Id);
    }
    await Promise.all(
      plan.hosts.map(async (host) => {
        options.signal?.throwIfAborted();
        const found = existing.containers.find((c) => c.Labels[DOCKER_LABEL.host] === host.name);
        await this.ensureHost(plan, host, found, options);
      }),
    );
    await Promise.all(plan.hosts.map((host) => this.waitReady(ref, host, options)));
    // Everything was just checked one by one: no need to list it all again.
    return readyStatus(plan);
  }

  async resetHost(
    plan: EnvironmentPlan,
    hostName: string,
    options: ProvisionOptions = {},
  ): Promise<EnvironmentStatus> {
    const host = plannedHost(plan, hostName);
    const ref = { exercise: plan.exercise.id, team: plan.team.id };
    await this.checkImages({ ...plan, hosts: [host] }, `resetting ${ref.exercise}/${ref.team}/${hostName}`);
    const existing = await this.inventory(ref);
    const found = existing.containers.find((c) => c.Labels[DOCKER_LABEL.host] === hostName);
    if (found) await this.removeContainer(found.Id);
    await this.ensureHost(plan, host, undefined, options);
    await this.waitReady(ref, host, options);
    return this.status(ref);
  }

  async status(ref: EnvironmentRef): Promise<EnvironmentStatus> {
    const { networks, containers } = await this.inventory(ref);
    const hosts = containers.map((c) => ({
      name: c.Labels[DOCKER_LABEL.host] ?? c.Names[0] ?? c.Id,
      state: hostState(c.State),
      ...(c.State === 'running' ? {} : { detail: c.Status }),
    }));
    const planHash =
      containers[0]?.Labels[DOCKER_LABEL.planHash] ?? networks[0]?.Labels?.[DOCKER_LABEL.planHash];
    return {
      ref,
      ...(planHash ? { planHash } : {}),
      networks: networks.map((n) => ({ name: n.Labels?.[DOCKER_LABEL.network] ?? n.Name, exists: true })),
      hosts: hosts.sort((a, b) => a.name.localeCompare(b.name)),
      ready: hosts.length > 0 && hosts.every((h) => h.state === 'running'),
    };
  }

  async exec(ref: HostRef, cmd: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    const container = this.docker.getContainer(containerName(ref.exercise, ref.team, ref.host));
    let exec: Docker.Exec;
    try {
      exec = await container.exec({
        Cmd: withPidLine(cmd),
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: options.stdin !== undefined,
        Tty: false,
        ...(options.user ? { User: options.user } : {}),
        ...(options.workdir ? { WorkingDir: options.workdir } : {}),
        ...(options.env ? { Env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`) } : {}),
      });
    } catch (error) {
      throw translateDockerError(error, `exec in ${ref.exercise}/${ref.team}/${ref.host}`);
    }
    const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
    const output = new ExecOutput(options.maxOutputBytes, true);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => output.stdout(chunk));
    stderr.on('data', (chunk: Buffer) => output.stderr(chunk));
    this.docker.modem.demuxStream(stream, stdout, stderr);
    if (options.stdin !== undefined) stream.end(options.stdin);

    let timedOut = false;
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    const timer = new Promise<'timeout'>((resolve) => {
      const t = setTimeout(() => resolve('timeout'), options.timeoutMs);
      void ended.then(() => clearTimeout(t));
    });
    if ((await Promise.race([ended, timer])) === 'timeout') {
      timedOut = true;
      if (output.pid !== undefined) await this.killTree(ref, output.pid, options.user);
      stream.destroy();
    }
    const exitCode = timedOut ? null : await this.exitCodeOf(exec);
    return {
      exitCode,
      ...output.result(),
      timedOut,
      durationMs: Date.now() - started,
    };
  }

  /**
   * Straight to the container's address on one of its team bridges: the host has an address on each
   * bridge, and the host firewall admits the replies of connections the host opened (REPLY_RULE in
   * host-firewall.ts) while still dropping anything a container opens towards the host.
   */
  async openTcp(ref: HostRef, port: number, options: { timeoutMs: number }): Promise<Duplex> {
    const where = `${ref.exercise}/${ref.team}/${ref.host}:${port}`;
    const info = await this.docker
      .getContainer(containerName(ref.exercise, ref.team, ref.host))
      .inspect()
      .catch((error: unknown) => {
        throw translateDockerError(error, `connecting to ${where}`);
      });
    if (!info.State.Running)
      throw new CyropError('ENGINE_ERROR', `host ${where} is not running (${info.State.Status})`);
    const address = Object.values(info.NetworkSettings.Networks)
      .map((n) => n.IPAddress)
      .find((a) => a);
    if (!address) throw new CyropError('ENGINE_ERROR', `host ${where} has no address on a team network`);
    return connectTcp(address, port, options.timeoutMs, where);
  }

  async openShell(ref: HostRef, options: ShellOptions): Promise<ShellStream> {
    // Now and then (about once in a few thousand execs here, under load) dockerd starts an exec
    // whose stream never delivers a byte: give up on it soon, clean it up, and try once more.
    try {
      return await this.startShell(ref, options, SHELL_START_TIMEOUT_MS / 2);
    } catch (error) {
      if (!(error instanceof CyropError && error.code === 'ENGINE_TIMEOUT')) throw error;
      return this.startShell(ref, options, SHELL_START_TIMEOUT_MS);
    }
  }

  private async startShell(ref: HostRef, options: ShellOptions, timeoutMs: number): Promise<ShellStream> {
    const container = this.docker.getContainer(containerName(ref.exercise, ref.team, ref.host));
    const shell = options.shell ?? '/bin/bash';
    let exec: Docker.Exec;
    try {
      exec = await container.exec({
        Cmd: withPidLine([shell, '-l']),
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
        Env: [
          'TERM=xterm-256color',
          'LANG=C.UTF-8',
          ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ],
        ...(options.user ? { User: options.user } : {}),
        ...(options.workdir ? { WorkingDir: options.workdir } : {}),
      });
    } catch (error) {
      throw translateDockerError(error, `opening a shell in ${ref.exercise}/${ref.team}/${ref.host}`);
    }
    const startedAt = Date.now();
    const starting = exec.start({ hijack: true, stdin: true, Tty: true });
    const socket = await withTimeout(
      starting,
      timeoutMs,
      `the shell did not start within ${timeoutMs} ms`,
    ).catch(async (error: unknown) => {
      void starting.then(
        (late) => late.destroy(),
        () => undefined,
      ); // should it come after all
      await this.reapStuckShell(ref, exec, options.user);
      throw error;
    });
    const pid = await readPidLine(socket, Math.max(1, timeoutMs - (Date.now() - startedAt))).catch(
      async (error: unknown) => {
        socket.destroy();
        await this.reapStuckShell(ref, exec, options.user);
        throw error;
      },
    );
    await exec.resize({ h: options.rows, w: options.cols }).catch(() => undefined);
    let killed = false;
    const exited = new Promise<number | null>((resolve) => {
      socket.once('close', () => {
        if (killed) resolve(null);
        else void this.exitCodeOf(exec).then(resolve, () => resolve(null));
      });
    });
    return {
      stream: socket,
      resize: async (cols, rows) => {
        await exec.resize({ h: rows, w: cols }).catch((error: unknown) => {
          if (!isStatus(error, 404) && !isStatus(error, 409))
            throw translateDockerError(error, 'resizing a terminal');
        });
      },
      kill: async () => {
        if (killed) return;
        killed = true;
        // A stream nobody reads (paused, or never resumed) first: while it holds the engine's output
        // of this shell, the kill's own exec did not end before its 20 s timeout, twice (measured:
        // 40 s per kill). A flowing one last: ending it first makes each kill slower (~0.32 s
        // against ~0.13 s measured, 30 cycles).
        if (socket.readableFlowing !== true) socket.destroy();
        await this.killTree(ref, pid, options.user);
        socket.destroy();
      },
      exited,
    };
  }

  async destroy(ref: EnvironmentRef): Promise<void> {
    const { networks, containers } = await this.inventory(ref);
    await Promise.all(containers.map((c) => this.removeContainer(c.Id)));
    await Promise.all(networks.map((n) => this.removeNetwork(n.Id)));
  }

  async list(selector: Readonly<Record<string, string>> = {}): Promise<EnvironmentRef[]> {
    const filters = { label: [MANAGED, ...Object.entries(selector).map(([k, v]) => `${k}=${v}`)] };
    const [containers, networks] = await Promise.all([
      this.docker.listContainers({ all: true, filters: JSON.stringify(filters) }),
      this.docker.listNetworks({ filters: JSON.stringify(filters) }),
    ]).catch((error: unknown) => {
      throw translateDockerError(error, 'listing environments');
    });
    const refs = new Map<string, EnvironmentRef>();
    for (const labels of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels ?? {})]) {
      const exercise = labels[DOCKER_LABEL.exercise];
      const team = labels[DOCKER_LABEL.team];
      if (exercise && team) refs.set(`${exercise}/${team}`, { exercise, team });
    }
    return [...refs.values()].sort(
      (a, b) => a.exercise.localeCompare(b.exercise) || a.team.localeCompare(b.team),
    );
  }

  async addressesInUse(): Promise<AddressBlockInUse[]> {
    const networks = await this.docker.listNetworks().catch((error: unknown) => {
      throw translateDockerError(error, 'listing the networks on the engine');
    });
    const blocks = engineBlocks(networks);
    if (!this.localHost) return blocks;
    const bridges = new Set(networks.map(bridgeInterfaceOf).filter((b): b is string => b !== undefined));
    const routes = await readFile('/proc/net/route', 'utf8').catch(() => '');
    return [...blocks, ...routeBlocks(routes, bridges), ...interfaceBlocks(os.networkInterfaces(), bridges)];
  }

  // --- internals

  /** Refuse, before creating anything, planned subnets that the engine or the host already use. */
  private async checkSubnetsFree(
    plan: EnvironmentPlan,
    specs: readonly DockerNetworkSpec[],
    what: string,
  ): Promise<void> {
    const inUse = foreignToPlan(plan, await this.addressesInUse());
    for (const spec of specs) {
      const conflict = conflictOf(spec, inUse);
      if (conflict) throw subnetConflictError(plan, spec, what, conflict);
    }
  }

  private async subnetConflict(
    plan: EnvironmentPlan,
    spec: DockerNetworkSpec,
    what: string,
    cause: unknown,
  ): Promise<CyropError> {
    const inUse = await this.addressesInUse().catch(() => []);
    return subnetConflictError(plan, spec, what, conflictOf(spec, foreignToPlan(plan, inUse)), cause);
  }

  private async inventory(
    ref: EnvironmentRef,
  ): Promise<{ networks: Docker.NetworkInspectInfo[]; containers: Docker.ContainerInfo[] }> {
    const filters = JSON.stringify({
      label: [MANAGED, `${DOCKER_LABEL.exercise}=${ref.exercise}`, `${DOCKER_LABEL.team}=${ref.team}`],
    });
    try {
      const [networks, containers] = await Promise.all([
        this.docker.listNetworks({ filters }),
        this.docker.listContainers({ all: true, filters }),
      ]);
      return { networks, containers };
    } catch (error) {
      throw translateDockerError(error, `listing ${ref.exercise}/${ref.team}`);
    }
  }

  /** Images seen on the engine, with their size (removing an image under running exercises is not a case to optimise for). */
  private readonly knownImages = new Map<string, number>();

  private get quota(): DiskQuota {
    return { mode: this.diskQuota, imageBytes: (image) => this.knownImages.get(image) };
  }

  /** The engine can run the plan as planned: its disk caps, its images (whose sizes the caps need). */
  private async checkImages(plan: EnvironmentPlan, what: string): Promise<void> {
    if (this.diskQuota === 'none' && this.diskLimits === 'enforce') {
      throw new CyropError(
        'ENGINE_ERROR',
        `${what}: ${this.diskQuotaProblem ?? 'the Docker engine cannot cap container disk use'}`,
      );
    }
    const missing: string[] = [];
    for (const image of new Set(plan.hosts.map((h) => h.image))) {
      if (this.knownImages.has(image)) continue;
      try {
        const info = await this.docker.getImage(image).inspect();
        this.knownImages.set(image, info.Size);
      } catch (error) {
        if (isStatus(error, 404)) missing.push(image);
        else throw translateDockerError(error, `inspecting image ${image}`);
      }
    }
    if (missing.length) {
      throw new CyropError(
        'ENGINE_IMAGE_MISSING',
        `image${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not built on this engine (build with: npx cyrop images build)`,
      );
    }
  }

  private async ensureHost(
    plan: EnvironmentPlan,
    host: PlannedHost,
    found: Docker.ContainerInfo | undefined,
    options: ProvisionOptions,
  ): Promise<void> {
    const spec = toDockerContainer(plan, host, this.quota);
    const emit = (state: 'created' | 'adopted' | 'recreated' | 'started') =>
      options.onProgress?.({ kind: 'host', host: host.name, state });
    // A container the engine is removing (or failed to remove: 'dead'), e.g. for a run killed while it
    // replaced the host, cannot be started: wait until it is gone and create the host afresh.
    const leaving = found?.State === 'removing' || found?.State === 'dead';
    if (found && !leaving && found.Labels[DOCKER_LABEL.hostHash] === spec.hash) {
      if (found.State !== 'running') {
        if (found.State === 'created') {
          // A crash between create and start may have left it without its files or networks: rebuild.
          await this.removeContainer(found.Id);
          await this.createHost(spec, host);
          emit('recreated');
        }
        await this.startContainer(found.State === 'created' ? spec.name : found.Id);
        emit('started');
      } else emit('adopted');
      return;
    }
    if (found) await this.removeContainer(found.Id);
    await this.createHost(spec, host);
    emit(found ? 'recreated' : 'created');
    await this.startContainer(spec.name);
    emit('started');
  }

  private async createHost(spec: DockerContainerSpec, host: PlannedHost): Promise<void> {
    let container: Docker.Container | undefined;
    for (let attempt = 1; !container; attempt++) {
      try {
        container = await this.docker.createContainer(spec.options);
      } catch (error) {
        if (!isStatus(error, 409) || attempt >= NAME_CONFLICT_ATTEMPTS)
          throw translateDockerError(error, `creating container ${spec.name}`);
        // Created by an earlier, interrupted run: start over from a clean container. Or still being
        // created for a run that was killed meanwhile: the engine holds the name before the container
        // can be found or removed (404), so remove and try again until it is there to remove.
        await this.removeContainer(spec.name);
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** (attempt - 1))));
      }
    }
    for (const { network, config } of spec.connect) {
      await this.docker
        .getNetwork(network)
        .connect({ Container: container.id, EndpointConfig: config })
        .catch((error: unknown) => {
          throw translateDockerError(error, `connecting ${spec.name} to ${network}`);
        });
    }
    if (host.files.length > 0) await this.putFiles(container, host);
  }

  private async putFiles(container: Docker.Container, host: PlannedHost): Promise<void> {
    const needsOwners = host.files.some((f) => f.owner);
    const passwd = needsOwners ? await readFileFrom(container, '/etc/passwd') : '';
    const group = needsOwners ? await readFileFrom(container, '/etc/group') : '';
    const archive = pack();
    for (const f of host.files) {
      const content = Buffer.from(f.content, f.encoding);
      const owner = f.owner ? resolveOwner(f.owner, passwd, group) : { uid: 0, gid: 0 };
      if (!owner)
        throw new CyropError(
          'SCENARIO_INVALID',
          `host '${host.name}': file ${f.path} has owner '${f.owner ?? ''}', which image ${host.image} does not know`,
        );
      archive.entry(
        {
          name: f.path.replace(/^\/+/, ''),
          mode: f.mode,
          uid: owner.uid,
          gid: owner.gid,
          size: content.length,
          mtime: new Date(0),
        },
        content,
      );
    }
    archive.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    await container.putArchive(Buffer.concat(chunks), { path: '/' }).catch((error: unknown) => {
      throw translateDockerError(error, `copying files into ${host.name}`);
    });
  }

  private async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if (!isStatus(error, 304)) throw translateDockerError(error, `starting container ${id}`);
    }
  }

  private async waitReady(ref: EnvironmentRef, host: PlannedHost, options: ProvisionOptions): Promise<void> {
    const ready = host.ready;
    const deadline = Date.now() + (ready?.timeoutMs ?? 30_000);
    const hostRef = { ...ref, host: host.name };
    for (;;) {
      options.signal?.throwIfAborted();
      const info = await this.docker
        .getContainer(containerName(ref.exercise, ref.team, host.name))
        .inspect()
        .catch((error: unknown) => {
          throw translateDockerError(error, `inspecting ${host.name}`);
        });
      if (!info.State.Running) {
        options.onProgress?.({
          kind: 'host',
          host: host.name,
          state: 'failed',
          detail: `exited with code ${info.State.ExitCode}`,
        });
        throw new CyropError(
          'ENGINE_ERROR',
          `host '${host.name}' of ${ref.exercise}/${ref.team} exited with code ${info.State.ExitCode} instead of running`,
        );
      }
      if (!ready) break;
      const probe =
        ready.tcp !== undefined
          ? await this.exec(hostRef, LISTENING_SOCKETS, {
              timeoutMs: 5_000,
              maxOutputBytes: 1 << 20,
              user: '0',
            })
          : await this.exec(hostRef, ready.exec ?? ['true'], { timeoutMs: 5_000, maxOutputBytes: 64 * 1024 });
      const ok =
        ready.tcp !== undefined
          ? isListening(probe.stdout.toString('latin1'), ready.tcp)
          : probe.exitCode === 0;
      if (ok) break;
      if (Date.now() > deadline) {
        options.onProgress?.({ kind: 'host', host: host.name, state: 'failed', detail: 'not ready in time' });
        throw new CyropError(
          'ENGINE_TIMEOUT',
          `host '${host.name}' of ${ref.exercise}/${ref.team} was not ready within ${ready.timeoutMs} ms (${ready.tcp !== undefined ? `nothing listens on tcp/${ready.tcp}` : `ready command exited ${String(probe.exitCode)}`})`,
        );
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
    options.onProgress?.({ kind: 'host', host: host.name, state: 'ready' });
  }

  /** Kill a process tree inside the container: as the process's own user (no CAP_KILL needed), then as root. */
  private async killTree(ref: HostRef, pid: number, user: string | undefined): Promise<void> {
    const container = this.docker.getContainer(containerName(ref.exercise, ref.team, ref.host));
    for (const as of [user, '0']) {
      try {
        const exec = await container.exec({
          Cmd: ['/bin/sh', '-c', KILL_TREE, 'cyrop-kill', String(pid)],
          AttachStdout: true,
          AttachStderr: true,
          ...(as ? { User: as } : {}),
        });
        const stream = await exec.start({ hijack: true, stdin: false });
        stream.resume();
        await new Promise<void>((resolve) => {
          // A kill that the engine never finishes must not hang whoever closes the shell.
          const timer = setTimeout(() => {
            stream.destroy();
            resolve();
          }, SHELL_START_TIMEOUT_MS);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          stream.once('end', done);
          stream.once('close', done);
          stream.once('error', done);
        });
      } catch {
        // the container is gone or stopped: nothing left to kill
        return;
      }
    }
  }

  /**
   * A shell given up on may still have started: find its process id inside the container from the
   * host process id the engine reports (when this process can read the engine host's /proc, as with
   * a local engine) and kill it; otherwise it is left for the container's end.
   */
  private async reapStuckShell(ref: HostRef, exec: Docker.Exec, user: string | undefined): Promise<void> {
    try {
      const info = await exec.inspect();
      if (!info.Running || !info.Pid) return;
      const status = await readFile(`/proc/${String(info.Pid)}/status`, 'utf8');
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).pop();
      if (nspid && /^\d+$/.test(nspid)) await this.killTree(ref, Number(nspid), user);
    } catch {
      // nothing more can be done from here
    }
  }

  private async exitCodeOf(exec: Docker.Exec): Promise<number | null> {
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode ?? null;
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  }

  /**
   * Removes a container and returns once it is gone. A removal already in progress (asked by a run
   * that was killed meanwhile; slow on a loaded engine) is waited for, and asked again if the engine
   * gave up on it, so that the name is free for the next create.
   */
  private async removeContainer(id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    const deadline = Date.now() + REMOVAL_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await container.remove({ force: true, v: true });
        return;
      } catch (error) {
        if (isStatus(error, 404)) return;
        if (
          !/removal of container .* is already in progress|marked for removal/i.test((error as Error).message)
        )
          throw translateDockerError(error, `removing container ${id}`);
      }
      const gone = await container.inspect().then(
        () => false,
        (error: unknown) => isStatus(error, 404),
      );
      if (gone) return;
      if (Date.now() > deadline)
        throw new CyropError(
          'ENGINE_TIMEOUT',
          `container ${id} was still being removed by the engine after ${REMOVAL_WAIT_MS / 1000} s`,
        );
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }

  private async removeNetwork(id: string): Promise<void> {
    try {
      await this.docker.getNetwork(id).remove();
    } catch (error) {
      if (!isStatus(error, 404)) throw translateDockerError(error, `removing network ${id}`);
    }
  }
}

/** Attempts at creating a container whose name is taken (about 30 s in all, see createHost). */
const NAME_CONFLICT_ATTEMPTS = 20;
/** How long a removal the engine already has in progress is waited for. */
const REMOVAL_WAIT_MS = 120_000;

/** A shell that has not reported its process id by then is given up (the engine is stuck or gone). */
const SHELL_START_TIMEOUT_MS = 20_000;

/** A TCP connection, resolved once connected; refused and silent ports as errors naming `where`. */
function connectTcp(address: string, port: number, timeoutMs: number, where: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CyropError('ENGINE_TIMEOUT', `nothing answered on ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new CyropError(
          'ENGINE_ERROR',
          `cannot connect to ${where}: ${error.code === 'ECONNREFUSED' ? 'nothing listens there' : error.message}`,
          { cause: error },
        ),
      );
    });
  });
}

async function readFileFrom(container: Docker.Container, path: string): Promise<string> {
  const { extract } = await import('tar-stream');
  const stream = await container.getArchive({ path }).catch(() => undefined);
  if (!stream) return '';
  const ex = extract();
  let text = '';
  ex.on('entry', (_header, entry, next) => {
    const parts: Buffer[] = [];
    entry.on('data', (c: unknown) => parts.push(c as Buffer));
    entry.on('end', () => {
      text += Buffer.concat(parts).toString('utf8');
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.pipe(ex);
  });
  return text;
}

/** What is in use, but this environment's own networks (adopted or about to be replaced). */
function foreignToPlan(plan: EnvironmentPlan, inUse: readonly AddressBlockInUse[]): AddressBlockInUse[] {
  return foreignTo(
    { exercise: plan.exercise.id, team: plan.team.id, installation: plan.labels[DOCKER_LABEL.installation] },
    inUse,
  );
}

function conflictOf(
  spec: DockerNetworkSpec,
  inUse: readonly AddressBlockInUse[],
): AddressBlockInUse | undefined {
  return conflictWith(subnetOf(spec), inUse);
}

function subnetConflictError(
  plan: EnvironmentPlan,
  spec: DockerNetworkSpec,
  what: string,
  conflict: AddressBlockInUse | undefined,
  cause?: unknown,
): CyropError {
  return new CyropError(
    'SUBNET_CONFLICT',
    `${what}: subnet ${subnetOf(spec)} of network '${spec.network}' overlaps ${
      conflict
        ? `${conflict.block}, in use by ${conflict.owner}`
        : `a network the engine holds but does not list yet (being created; Docker: ${
            (cause as { json?: { message?: string } } | undefined)?.json?.message?.trim() ?? 'pool overlaps'
          })`
    }`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: {
        exercise: plan.exercise.id,
        team: plan.team.id,
        network: spec.network,
        subnet: subnetOf(spec),
        ...(conflict ? { conflict } : {}),
      },
    },
  );
}

function subnetOf(spec: DockerNetworkSpec): string {
  return spec.options.IPAM?.Config?.[0]?.Subnet ?? '';
}

/**
 * How an engine caps a container's writable storage, from `docker info`: btrfs quota groups, or
 * XFS project quotas under overlay2 (which also need the `pquota` mount option: creating a
 * container then fails with the engine's own message when it is missing).
 */
export function diskQuotaOf(info: { Driver?: string; DriverStatus?: [string, string][] }): {
  mode: DiskQuotaMode;
  problem?: string;
} {
  const backing = info.DriverStatus?.find(([k]) => k === 'Backing Filesystem')?.[1];
  if (info.Driver === 'btrfs') return { mode: 'btrfs' };
  if (info.Driver === 'overlay2' && backing === 'xfs') return { mode: 'overlay2-xfs' };
  return {
    mode: 'none',
    problem:
      `the Docker engine stores containers with ${info.Driver ?? 'an unknown driver'}` +
      `${backing ? ` on ${backing}` : ''}, which cannot cap a host's disk use (resources.disk); ` +
      'run infra/engine/ensure-docker.sh --switch to move it onto a btrfs data root, ' +
      'or set CYROP_DISK_LIMITS=off to run without the cap',
  };
}

function hostState(state: string): HostState {
  return state === 'running' ? 'running' : state === 'created' ? 'created' : 'exited';
}

function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}
