import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { EnvironmentPlan, PlannedHost } from '../../compiler/environment-plan.ts';
import { addressUses, bindAddresses, type BoundAddresses } from '../../compiler/plan-addresses.ts';
import { CyropError } from '../../errors.ts';
import { KILL_TREE } from '../shared/in-container.ts';
import { plannedHost, readyStatus } from '../shared/plan-status.ts';
import type {
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
import { execCommand } from './in-pod.ts';
import { KubernetesAdapter, type ExecChannel, type LiveObject } from './kubernetes-adapter.ts';
import { NamespaceIndex } from './namespace-index.ts';
import {
  GRANTABLE_CAPABILITIES,
  hostsFileAliases,
  KUBE_LABEL,
  LATE_FILES_DIR,
  podName,
  toKubernetes,
  type KubeObject,
  type KubernetesManifests,
  type KubernetesSettings,
  type RbacSubject,
} from './to-kubernetes.ts';

/** How the engine factory configures this driver (`CYROP_ENGINE=kubernetes`). */
export interface KubernetesDriverSettings {
  kubeconfig?: string;
  context?: string;
  namespacePrefix: string;
  registry?: string;
  inCluster: boolean;
  /** The cluster DNS address pods use (CYROP_KUBE_DNS; default: the kube-dns Service's endpoints). */
  dnsAddress?: string;
  clusterDomain?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  digests?: Readonly<Record<string, string>>;
  /**
   * A ClusterRole holding the driver's rights in team namespaces (CYROP_KUBE_TEAM_ROLE; the chart's
   * `<name>-team`): bound, in each team namespace, to whoever these credentials are.
   */
  teamRole?: string;
  /** Client-side rate limit towards the API server (CYROP_KUBE_QPS, CYROP_KUBE_BURST; default 100/s, bursts of 200). */
  qps?: number;
  burst?: number;
}

const MANAGED = `${KUBE_LABEL.managedBy}=cyrop`;
const CONTAINER = 'host';
const DEFAULT_READY_MS = 60_000;
const KILL_TIMEOUT_MS = 10_000;
/** Waiting reasons after which a pod will not start by itself. */
const FATAL_WAITING = new Set([
  'ErrImageNeverPull',
  'InvalidImageName',
  'ImagePullBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/**
 * The Kubernetes engine: one namespace per team and generation, default-deny NetworkPolicies plus
 * one policy per scenario network over pod labels, one bare Pod per host (see README.md).
 */
export class KubernetesRuntimeDriver implements RuntimeDriver {
  readonly engine = 'kubernetes' as const;
  readonly capabilities: EngineCapabilities = {
    fixedAddresses: false,
    grantableCapabilities: GRANTABLE_CAPABILITIES,
    diskLimits: true,
    multiNetwork: true,
  };

  /** The team namespaces, from one watch (see namespace-index.ts). */
  private readonly index: NamespaceIndex;

  private constructor(
    private readonly api: KubernetesAdapter,
    readonly settings: KubernetesSettings,
    /** The API server's version, e.g. v1.34.4. */
    readonly version: string,
  ) {
    this.index = new NamespaceIndex(api, MANAGED);
  }

  /** Close the namespace watch (it never keeps the process alive; this is for tidiness). */
  close(): Promise<void> {
    this.index.close();
    return Promise.resolve();
  }

  static async connect(settings: KubernetesDriverSettings): Promise<KubernetesRuntimeDriver> {
    // `cyrop-` and `cyrop` name the same namespaces (`cyrop-<exercise>-<team>-<generation>`)
    const namespacePrefix = settings.namespacePrefix.replace(/-+$/, '');
    if (!/^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$/.test(namespacePrefix))
      throw new CyropError(
        'CONFIG_INVALID',
        `namespace prefix '${settings.namespacePrefix}' must be a DNS label of at most 16 characters starting with a letter`,
      );
    const { adapter, version } = await KubernetesAdapter.connect(settings);
    const dnsAddress = settings.dnsAddress ?? (await clusterDns(adapter));
    const teamAccess = settings.teamRole
      ? { role: settings.teamRole, subject: subjectOf(await adapter.whoAmI()) }
      : undefined;
    return new KubernetesRuntimeDriver(
      adapter,
      {
        namespacePrefix,
        dnsAddress,
        ...(settings.clusterDomain ? { clusterDomain: settings.clusterDomain } : {}),
        ...(settings.registry ? { registry: settings.registry } : {}),
        ...(settings.digests ? { digests: settings.digests } : {}),
        ...(settings.imagePullPolicy ? { imagePullPolicy: settings.imagePullPolicy } : {}),
        ...(teamAccess ? { teamAccess } : {}),
      },
      version,
    );
  }

  async provision(plan: EnvironmentPlan, options: ProvisionOptions = {}): Promise<EnvironmentStatus> {
    const ref = refOf(plan);
    options.signal?.throwIfAborted();
    refuseAddresses(plan);
    const found = await this.activeNamespace(ref);
    const generation = found?.metadata?.labels?.[KUBE_LABEL.generation] ?? newGeneration();
    const m = toKubernetes(plan, this.settings, generation);
    // The namespace, then at once its policies (default-deny before any pod), account, quota, limits
    // and services: pods come only after all of them.
    const [namespace, ...inside] = m.setup;
    if (namespace) this.index.noteApplied(await this.api.apply(namespace));
    if (m.grant) await this.api.apply(m.grant);
    await Promise.all(
      inside.map((object) =>
        object.kind === 'ResourceQuota'
          ? this.applyGranted(object, Boolean(m.grant))
          : this.applyCounted(m, object, Boolean(m.grant)),
      ),
    );
    for (const n of plan.networks)
      options.onProgress?.({ kind: 'network', network: n.name, state: found ? 'adopted' : 'created' });
    if (found) await this.removeOrphans(m);

    const pods = await this.api.list('v1', 'Pod', MANAGED, m.namespace);
    for (const pod of pods) {
      const host = pod.metadata?.labels?.[KUBE_LABEL.host];
      if (!m.pods.some((p) => p.host === host)) await this.deletePod(m.namespace, pod.metadata?.name ?? '');
    }
    const created = new Set<string>();
    await Promise.all(
      m.pods.map(async (p) => {
        options.signal?.throwIfAborted();
        const live = pods.find((x) => x.metadata?.labels?.[KUBE_LABEL.host] === p.host);
        const healthy =
          live &&
          !live.metadata?.deletionTimestamp &&
          live.metadata?.labels?.[KUBE_LABEL.hostHash] === p.hash &&
          live.status?.phase !== 'Failed' &&
          live.status?.phase !== 'Succeeded';
        if (healthy) {
          options.onProgress?.({ kind: 'host', host: p.host, state: 'adopted' });
          return;
        }
        if (live) await this.deletePod(m.namespace, live.metadata?.name ?? p.host, true);
        if (p.secret) await this.applyCounted(m, p.secret);
        await this.applyCounted(m, p.pod);
        created.add(p.host);
        options.onProgress?.({ kind: 'host', host: p.host, state: live ? 'recreated' : 'created' });
      }),
    );
    await this.bindLateFiles(plan, m, created, options);
    // Nothing created: the pods just listed say whether a watch is needed at all.
    const ips = await this.waitPods(
      plan,
      m.namespace,
      plan.hosts,
      options,
      'ready',
      created.size ? [] : pods,
    );
    await this.writeHostsFiles(plan, ips);
    return { ...readyStatus(plan), addresses: boundOf(plan, ips) };
  }

  async resetHost(
    plan: EnvironmentPlan,
    hostName: string,
    options: ProvisionOptions = {},
  ): Promise<EnvironmentStatus> {
    const host = plannedHost(plan, hostName);
    refuseAddresses(plan);
    const ref = refOf(plan);
    const found = await this.activeNamespace(ref);
    if (!found) return this.provision(plan, options);
    const m = toKubernetes(plan, this.settings, found.metadata?.labels?.[KUBE_LABEL.generation] ?? '');
    const p = m.pods.find((x) => x.host === hostName);
    if (!p) throw new CyropError('INTERNAL', `no pod for host '${hostName}' in the manifests`);
    await this.deletePod(m.namespace, podName(hostName), true);
    if (p.secret) await this.applyCounted(m, p.secret);
    await this.applyCounted(m, p.pod);
    options.onProgress?.({ kind: 'host', host: hostName, state: 'recreated' });
    // Its address changed: hosts whose files name it are recreated with the new one.
    const created = await this.bindLateFiles(plan, m, new Set([host.name]), options);
    await this.waitPods(
      plan,
      m.namespace,
      plan.hosts.filter((h) => created.has(h.name)),
      options,
      'ready',
    );
    // …and every pod's /etc/hosts aliases are written again.
    const ips = await this.podAddresses(m.namespace);
    await this.writeHostsFiles(plan, ips);
    return { ...(await this.status(ref)), addresses: boundOf(plan, ips) };
  }

  async status(ref: EnvironmentRef): Promise<EnvironmentStatus> {
    const ns = await this.activeNamespace(ref);
    if (!ns) return { ref, networks: [], hosts: [], ready: false };
    const name = ns.metadata?.name ?? '';
    const [pods, policies] = await Promise.all([
      this.api.list('v1', 'Pod', MANAGED, name),
      this.api.list('networking.k8s.io/v1', 'NetworkPolicy', `${MANAGED},${KUBE_LABEL.network}`, name),
    ]);
    const hosts = pods
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => {
        const state = podState(p);
        const detail = podDetail(p);
        return {
          name: p.metadata?.labels?.[KUBE_LABEL.host] ?? p.metadata?.name ?? '',
          state,
          ...(detail ? { detail } : {}),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const planHash = ns.metadata?.annotations?.[KUBE_LABEL.planHash];
    return {
      ref,
      ...(planHash ? { planHash } : {}),
      networks: policies
        .map((p) => ({ name: p.metadata?.labels?.[KUBE_LABEL.network] ?? '', exists: true }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      hosts,
      ready: hosts.length > 0 && hosts.every((h) => h.state === 'running'),
    };
  }

  /**
   * Through the API server's port-forward (pods/portforward): the kubelet connects inside the pod's
   * own network namespace, so team NetworkPolicies neither need nor get an exception, and nothing in
   * the team namespace can open a connection back.
   */
  async openTcp(ref: HostRef, port: number, options: { timeoutMs: number }): Promise<Duplex> {
    const ns = await this.namespaceOf(ref);
    const where = `${ref.exercise}/${ref.team}/${ref.host}:${port}`;
    let timer: NodeJS.Timeout | undefined;
    const opening = this.api.portForward(ns, podName(ref.host), port);
    try {
      return await Promise.race([
        opening,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            void opening.then(
              (late) => late.destroy(),
              () => undefined,
            );
            reject(
              new CyropError(
                'ENGINE_TIMEOUT',
                `the port-forward to ${where} did not open within ${options.timeoutMs} ms`,
              ),
            );
          }, options.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async exec(ref: HostRef, cmd: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    const ns = await this.namespaceOf(ref);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let pid: number | undefined;
    let pending = Buffer.alloc(0);
    const keep = (into: Buffer[], chunk: Buffer) => {
      const room = options.maxOutputBytes - size;
      if (room <= 0) {
        truncated ||= chunk.length > 0;
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      truncated ||= part.length < chunk.length;
      size += part.length;
      into.push(part);
    };
    const result: { exitCode: number | null; failure?: string } = { exitCode: null };
    let closed!: () => void;
    const ended = new Promise<void>((resolve) => (closed = resolve));
    const channel = await this.api.exec(
      ns,
      podName(ref.host),
      CONTAINER,
      execCommand(cmd, options),
      { stdin: options.stdin !== undefined, tty: false },
      {
        onStdout: (chunk) => {
          if (pid !== undefined) {
            keep(out, chunk);
            return;
          }
          pending = Buffer.concat([pending, chunk]);
          const nl = pending.indexOf(10);
          if (nl === -1) return;
          pid = Number(pending.subarray(0, nl).toString('latin1'));
          if (nl + 1 < pending.length) keep(out, pending.subarray(nl + 1));
        },
        onStderr: (chunk) => keep(err, chunk),
        onStatus: (s) => {
          result.exitCode = s.exitCode;
          if (s.exitCode === null && s.status !== 'Success')
            result.failure = s.message ?? s.reason ?? 'failed';
        },
        onClose: () => closed(),
      },
    );
    if (options.stdin !== undefined) {
      channel.sendStdin(Buffer.from(options.stdin));
      channel.closeStdin();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    const timedOut = (await Promise.race([ended, timeout])) === 'timeout';
    clearTimeout(timer);
    if (timedOut) {
      if (pid !== undefined) await this.killTree(ns, ref.host, pid, options.user);
      channel.close();
    } else if (result.exitCode === null && result.failure !== undefined) {
      // The command never ran (no such executable, no such user…): the engine's own error.
      throw new CyropError(
        'ENGINE_ERROR',
        `exec in ${ref.exercise}/${ref.team}/${ref.host}: ${result.failure}`,
      );
    }
    return {
      exitCode: timedOut ? null : result.exitCode,
      stdout: Buffer.concat(out),
      stderr: Buffer.concat(err),
      timedOut,
      truncated,
      durationMs: Date.now() - started,
    };
  }

  async openShell(ref: HostRef, options: ShellOptions): Promise<ShellStream> {
    const ns = await this.namespaceOf(ref);
    const shell = options.shell ?? '/bin/bash';
    const stream = new ShellDuplex();
    let exitCode: number | null = null;
    let killed = false;
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    let pidLine = Buffer.alloc(0);
    let pid: number | undefined;
    let gotPid!: (pid: number) => void;
    let noPid!: (e: Error) => void;
    const pidKnown = new Promise<number>((resolve, reject) => {
      gotPid = resolve;
      noPid = reject;
    });
    const channel = await this.api.exec(
      ns,
      podName(ref.host),
      CONTAINER,
      execCommand([shell, '-l'], {
        ...(options.user ? { user: options.user } : {}),
        ...(options.workdir ? { workdir: options.workdir } : {}),
        env: { TERM: 'xterm-256color', LANG: 'C.UTF-8', ...options.env },
      }),
      { stdin: true, tty: true },
      {
        onStdout: (chunk) => {
          if (pid === undefined) {
            pidLine = Buffer.concat([pidLine, chunk]);
            const nl = pidLine.indexOf(10);
            if (nl === -1) return;
            pid = Number(pidLine.subarray(0, nl).toString('latin1').trim());
            gotPid(pid);
            chunk = pidLine.subarray(nl + 1);
            if (!chunk.length) return;
          }
          stream.deliver(chunk);
        },
        onStderr: (chunk) => stream.deliver(chunk),
        onStatus: (s) => {
          exitCode = s.exitCode;
        },
        onClose: () => {
          noPid(
            new CyropError(
              'ENGINE_ERROR',
              `the shell in ${ref.exercise}/${ref.team}/${ref.host} ended before it started`,
            ),
          );
          stream.finish();
          onClosed();
        },
      },
    );
    stream.attach(channel);
    channel.resize(options.cols, options.rows);
    const startedPid = await withTimeout(pidKnown, 20_000, 'the shell did not start within 20000 ms').catch(
      (error: unknown) => {
        channel.close();
        throw error;
      },
    );
    const exited = closed.then(() => (killed ? null : exitCode));
    const kill = async () => {
      if (killed) return;
      killed = true;
      await this.killTree(ns, ref.host, startedPid, options.user);
      channel.close();
      await closed;
    };
    // Closing (destroying) the stream kills the shell in the pod too, not only the connection.
    stream.onDestroy = () => void kill();
    return {
      stream,
      resize: (cols, rows) => {
        channel.resize(cols, rows);
        return Promise.resolve();
      },
      kill,
      exited,
    };
  }

  async destroy(ref: EnvironmentRef): Promise<void> {
    const namespaces = await this.index.find(labelsOf(ref));
    await Promise.all(namespaces.map((ns) => this.deleteNamespace(ns.metadata?.name ?? '')));
  }

  async list(selector: Readonly<Record<string, string>> = {}): Promise<EnvironmentRef[]> {
    const namespaces = await this.index.find(selector);
    const refs = new Map<string, EnvironmentRef>();
    for (const ns of namespaces) {
      if (terminating(ns)) continue;
      const exercise = ns.metadata?.labels?.[KUBE_LABEL.exercise];
      const team = ns.metadata?.labels?.[KUBE_LABEL.team];
      if (exercise && team) refs.set(`${exercise}/${team}`, { exercise, team });
    }
    return [...refs.values()].sort(
      (a, b) => a.exercise.localeCompare(b.exercise) || a.team.localeCompare(b.team),
    );
  }

  // --- internals

  /** The team's live namespace (the newest generation that is not being deleted). */
  private async activeNamespace(ref: EnvironmentRef): Promise<LiveObject | undefined> {
    const all = await this.index.find(labelsOf(ref));
    const live = all.filter((ns) => !terminating(ns));
    if (live.length > 1) {
      // Two generations alive (a crash between creating one and deleting the other): keep one.
      live.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
      for (const extra of live.slice(1)) await this.deleteNamespace(extra.metadata?.name ?? '');
    }
    return live[0];
  }

  private async deleteNamespace(name: string): Promise<void> {
    await this.api.delete('v1', 'Namespace', name);
    this.index.noteDeleted(name);
  }

  /** Quota renewals in flight, by namespace (see `applyCounted`). */
  private readonly renewingQuota = new Map<string, Promise<void>>();

  private async namespaceOf(ref: EnvironmentRef): Promise<string> {
    const ns = (await this.activeNamespace(ref))?.metadata?.name;
    if (!ns)
      throw new CyropError('ENGINE_NOT_FOUND', `no environment ${ref.exercise}/${ref.team} on the cluster`);
    return ns;
  }

  /** Objects of an adopted namespace that the plan no longer has (a network or an alias gone). */
  private async removeOrphans(m: KubernetesManifests): Promise<void> {
    const wanted = new Set([...m.setup, ...m.pods.flatMap((p) => (p.secret ? [p.secret] : []))].map(keyOf));
    for (const [apiVersion, kind] of [
      ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['v1', 'Service'],
      ['v1', 'Secret'],
    ] as const) {
      for (const o of await this.api.list(apiVersion, kind, MANAGED, m.namespace)) {
        if (!wanted.has(`${kind}/${o.metadata?.name ?? ''}`))
          await this.api.delete(apiVersion, kind, o.metadata?.name ?? '', m.namespace);
      }
    }
  }

  /**
   * Apply into a namespace whose RoleBinding was just made: the API server's authorizer learns of a
   * new binding from its watch cache, so the first requests may still be refused for a moment.
   */
  private async applyGranted(object: KubeObject, granted: boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        await this.api.apply(object);
        return;
      } catch (error) {
        const forbidden =
          error instanceof CyropError && (error.details as { forbidden?: boolean } | undefined)?.forbidden;
        if (!granted || !forbidden || Date.now() > deadline) throw error;
        await sleep(delay);
      }
    }
  }

  /**
   * Apply an object the namespace's quota counts (a pod, service, secret, the config map); when the
   * quota still refuses it after the adapter's retries ("exceeded quota"), its usage counts an object
   * that does not exist: a create the API server admitted (and charged) but never stored, e.g. that of
   * a platform killed mid-request. The quota controller recomputes usage only on its periodic resync
   * (5 min by default), so the quota is deleted and applied again (its new status is computed from the
   * objects that exist; creates are retried meanwhile) and the object applied once more. The quota is
   * exactly what the plan needs, so nothing else is let in. Concurrent refusals in one namespace
   * share one renewal.
   */
  private async applyCounted(m: KubernetesManifests, object: KubeObject, granted = false): Promise<void> {
    try {
      await this.applyGranted(object, granted);
    } catch (error) {
      const quota = m.setup.find((o) => o.kind === 'ResourceQuota');
      if (!(error instanceof CyropError) || !/exceeded quota/.test(error.message) || !quota) throw error;
      let renewal = this.renewingQuota.get(m.namespace);
      if (!renewal) {
        renewal = (async () => {
          await this.api.delete('v1', 'ResourceQuota', quota.metadata.name, m.namespace);
          await this.api.apply(quota);
        })().finally(() => this.renewingQuota.delete(m.namespace));
        this.renewingQuota.set(m.namespace, renewal);
      }
      await renewal;
      await this.applyGranted(object, granted);
    }
  }

  /** Delete a pod now; with `wait`, until it is gone (the name is reused, the quota counts it until then), by a watch. */
  private async deletePod(ns: string, name: string, wait = false): Promise<void> {
    await this.api.delete('v1', 'Pod', name, ns, 0);
    if (wait) await this.api.waitPodGone(ns, name, 60_000);
  }

  /**
   * Wait, by watching the namespace's pods (the watch is restarted when it ends), until each host is
   * Ready (`running`: its container runs and the pod has its address); fail fast when one cannot
   * start. Resolves with every pod's address. `known`: the pods as just listed (none created since):
   * when they are all there already, no watch is opened (a reconcile of a converged team).
   */
  private waitPods(
    plan: EnvironmentPlan,
    ns: string,
    hosts: readonly PlannedHost[],
    options: ProvisionOptions,
    until: 'ready' | 'running',
    known: readonly LiveObject[] = [],
  ): Promise<Map<string, string>> {
    const ref = refOf(plan);
    const timeoutMs = Math.max(...hosts.map((h) => h.ready?.timeoutMs ?? DEFAULT_READY_MS), 1);
    const pending = new Set(hosts.map((h) => h.name));
    const ips = new Map<string, string>();
    return new Promise((resolve, reject) => {
      let stop: (() => void) | undefined;
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        stop?.();
        if (error) reject(error);
        else resolve(ips);
      };
      const timer = setTimeout(() => {
        for (const h of pending)
          options.onProgress?.({ kind: 'host', host: h, state: 'failed', detail: 'not ready in time' });
        finish(
          new CyropError(
            'ENGINE_TIMEOUT',
            `host${pending.size > 1 ? 's' : ''} ${[...pending].map((h) => `'${h}'`).join(', ')} of ${ref.exercise}/${ref.team} not ready within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onAbort = () =>
        finish(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort);
      const onEvent = (type: string, pod: LiveObject) => {
        const host = pod.metadata?.labels?.[KUBE_LABEL.host];
        if (!host || type === 'BOOKMARK') return;
        if (pod.status?.podIP) ips.set(host, pod.status.podIP);
        if (!pending.has(host) || type === 'DELETED' || pod.metadata?.deletionTimestamp) return;
        const problem = startProblem(pod);
        if (problem) {
          options.onProgress?.({ kind: 'host', host, state: 'failed', detail: problem.detail });
          finish(
            new CyropError(problem.code, `host '${host}' of ${ref.exercise}/${ref.team}: ${problem.detail}`),
          );
          return;
        }
        const reached =
          until === 'ready'
            ? isReady(pod)
            : Boolean(pod.status?.podIP) && Boolean(pod.status?.containerStatuses?.[0]?.state?.running);
        if (reached) {
          pending.delete(host);
          if (until === 'ready') options.onProgress?.({ kind: 'host', host, state: 'ready' });
          if (pending.size === 0) finish();
        }
      };
      const start = () => {
        if (done) return;
        // Without a resourceVersion the watch begins with every pod as it is now (ADDED events).
        this.api
          .watchPods(ns, undefined, onEvent, () => {
            if (!done) setTimeout(start, 100);
          })
          .then(
            (s) => {
              stop = s;
              if (done) s();
            },
            () => {
              if (!done) setTimeout(start, 500);
            },
          );
      };
      for (const pod of known) onEvent('ADDED', pod);
      start(); // returns at once when the known pods settled it
    });
  }

  private async podAddresses(ns: string): Promise<Map<string, string>> {
    const ips = new Map<string, string>();
    for (const pod of await this.api.list('v1', 'Pod', MANAGED, ns)) {
      const host = pod.metadata?.labels?.[KUBE_LABEL.host];
      if (host && pod.status?.podIP && !pod.metadata?.deletionTimestamp) ips.set(host, pod.status.podIP);
    }
    return ips;
  }

  /**
   * Late-bound addresses: the files that spell host addresses (`late` in the manifests) get the
   * addresses the pods got. Waits until every pod of the team runs (a host with such files waits in
   * its first process), recreates adopted pods whose files name an address that has changed since
   * (in rounds: their own addresses change too), then writes the files of every pod created here.
   * Resolves with the hosts created (or recreated).
   */
  private async bindLateFiles(
    plan: EnvironmentPlan,
    m: KubernetesManifests,
    created: Set<string>,
    options: ProvisionOptions,
  ): Promise<Set<string>> {
    const late = m.pods.filter((p) => p.late.length > 0);
    if (!late.length) return created;
    const uses = addressUses(plan).filter((u) => u.kind === 'file');
    // What a host's files were written with: `host/network=address` for each address they name.
    const stampOf = (host: string, bound: BoundAddresses) =>
      [
        ...new Set(
          uses
            .filter((u) => u.in?.host === host)
            .map((u) => `${u.host}/${u.network}=${bound[u.host]?.[u.network] ?? ''}`),
        ),
      ]
        .sort()
        .join(' ');
    for (;;) {
      const ips = await this.waitPods(plan, m.namespace, plan.hosts, options, 'running');
      const bound = boundOf(plan, ips);
      const stale: typeof late = [];
      await Promise.all(
        late
          .filter((p) => !created.has(p.host))
          .map(async (p) => {
            const r = await this.exec(
              { ...refOf(plan), host: p.host },
              ['cat', `${LATE_FILES_DIR}/addresses`],
              {
                timeoutMs: 10_000,
                maxOutputBytes: 65_536,
              },
            );
            if (r.exitCode !== 0 || r.stdout.toString('utf8') !== stampOf(p.host, bound)) stale.push(p);
          }),
      );
      if (!stale.length) {
        const boundPlan = bindAddresses(plan, bound);
        await Promise.all(
          late
            .filter((p) => created.has(p.host))
            .map((p) => this.writeLateFiles(boundPlan, p.host, p.late, stampOf(p.host, bound))),
        );
        return created;
      }
      for (const p of stale) {
        await this.deletePod(m.namespace, podName(p.host), true);
        if (p.secret) await this.applyCounted(m, p.secret);
        await this.applyCounted(m, p.pod);
        created.add(p.host);
        options.onProgress?.({
          kind: 'host',
          host: p.host,
          state: 'recreated',
          detail: 'its files name an address that changed',
        });
      }
    }
  }

  /** Into LATE_FILES_DIR of a host waiting for them: its files `late` (bound), then `addresses` and `ready`. */
  private async writeLateFiles(
    bound: EnvironmentPlan,
    hostName: string,
    late: readonly number[],
    stamp: string,
  ): Promise<void> {
    const host = plannedHost(bound, hostName);
    const ref = { ...refOf(bound), host: hostName };
    const run = (what: string, args: string[], stdin?: Buffer) =>
      this.mustRun(ref, what, args, 30_000, stdin);
    for (const i of late) {
      const f = host.files[i];
      if (!f) throw new CyropError('INTERNAL', `host '${hostName}' has no file #${i}`);
      await run(
        `writing file ${f.path} with the pods' addresses`,
        [
          'umask 077; mkdir -p "$1" && chmod 755 "$1" && cat > "$1/$2.tmp" && chmod "$3" "$1/$2.tmp" && mv "$1/$2.tmp" "$1/$2"',
          'cyrop-late',
          LATE_FILES_DIR,
          `f${i}`,
          (0o400 | (f.mode & 0o777)).toString(8),
        ],
        Buffer.from(f.content, f.encoding === 'base64' ? 'base64' : 'utf8'),
      );
    }
    await run('marking its files written', [
      'printf %s "$2" > "$1/addresses" && : > "$1/ready"',
      'cyrop-late',
      LATE_FILES_DIR,
      stamp,
    ]);
  }

  /** Late-bound names: dotted aliases (`db.internal`) into every pod's /etc/hosts, once addresses are known. */
  private async writeHostsFiles(plan: EnvironmentPlan, ips: Map<string, string>): Promise<void> {
    const aliases = hostsFileAliases(plan);
    if (!aliases.length) return;
    const lines = aliases
      .filter((a) => ips.has(a.host))
      .map((a) => `${ips.get(a.host) ?? ''}\t${a.alias}\t# cyrop`)
      .join('\n');
    const script = `grep -v '# cyrop$' /etc/hosts > /tmp/.cyrop-hosts; printf '%s\\n' "$1" >> /tmp/.cyrop-hosts; cat /tmp/.cyrop-hosts > /etc/hosts; rm -f /tmp/.cyrop-hosts`;
    await Promise.all(
      plan.hosts.map(async (h) => {
        await this.mustRun(
          { ...refOf(plan), host: h.name },
          'writing the aliases into /etc/hosts',
          [script, 'cyrop-hosts', lines],
          10_000,
        );
      }),
    );
  }

  /** Run an engine's own shell script (`sh -c ARGS…`) in a host as root; a non-zero exit is an ENGINE_ERROR naming `what`. */
  private async mustRun(
    ref: HostRef,
    what: string,
    args: string[],
    timeoutMs: number,
    stdin?: Buffer,
  ): Promise<void> {
    const r = await this.exec(ref, ['/bin/sh', '-c', ...args], {
      timeoutMs,
      maxOutputBytes: 4096,
      ...(stdin ? { stdin } : {}),
    });
    if (r.exitCode !== 0)
      throw new CyropError(
        'ENGINE_ERROR',
        `${what} of host '${ref.host}' failed (exit ${String(r.exitCode)}): ${r.stderr.toString('utf8').trim()}`,
      );
  }

  /**
   * Kill a process tree in the pod: as the process's own user first (a scenario's root usually lacks
   * CAP_KILL, so it cannot signal another user's processes), then as the container's user.
   */
  private async killTree(ns: string, host: string, pid: number, user: string | undefined): Promise<void> {
    for (const as of user ? [user, undefined] : [undefined]) {
      let closed!: () => void;
      const ended = new Promise<void>((resolve) => (closed = resolve));
      try {
        const channel = await this.api.exec(
          ns,
          podName(host),
          CONTAINER,
          execCommand(
            ['/bin/sh', '-c', KILL_TREE, 'cyrop-kill', String(pid)],
            as ? { user: as } : {},
            'cyrop-kill',
          ),
          { stdin: false, tty: false },
          {
            onStdout: () => undefined,
            onStderr: () => undefined,
            onStatus: () => undefined,
            onClose: () => closed(),
          },
        );
        await withTimeout(ended, KILL_TIMEOUT_MS, 'kill').catch(() => channel.close());
      } catch {
        // the pod is gone: nothing left to kill
        return;
      }
    }
  }
}

/**
 * The terminal stream: reads what the pod writes, writes keystrokes to the pod. When its reader
 * stops reading (the buffer is full, or it was paused), the websocket is paused: the TCP window
 * closes and the shell in the pod blocks on its terminal — back-pressure reaches the pod.
 */
class ShellDuplex extends Duplex {
  private paused = false;
  private channel!: ExecChannel;
  /** Times the pod's output was paused for a slow reader (for tests and metrics). */
  pauses = 0;
  constructor() {
    super({ highWaterMark: 64 * 1024 });
  }
  attach(channel: ExecChannel): void {
    this.channel = channel;
  }
  deliver(chunk: Buffer): void {
    if (!this.push(chunk) && !this.paused) {
      this.paused = true;
      this.pauses++;
      this.channel.socket.pause();
    }
  }
  finish(): void {
    this.push(null);
  }
  override _read(): void {
    if (this.paused) {
      this.paused = false;
      this.channel.socket.resume();
    }
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.channel.sendStdin(chunk);
    // Wait for the websocket to hand the bytes to TCP when it is backed up.
    if (this.channel.socket.bufferedAmount > 256 * 1024) setTimeout(() => callback(), 20);
    else callback();
  }
  override _final(callback: (error?: Error | null) => void): void {
    this.channel.closeStdin();
    callback();
  }
  /** Set by openShell: kill the shell in the pod (then close the exec). */
  onDestroy: (() => void) | undefined;
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.onDestroy) this.onDestroy();
    else this.channel.close();
    callback(error);
  }
}

/** The engine factory's entry point. */
export async function createKubernetesDriver(settings: KubernetesDriverSettings): Promise<RuntimeDriver> {
  return KubernetesRuntimeDriver.connect(settings);
}

function refOf(plan: EnvironmentPlan): EnvironmentRef {
  return { exercise: plan.exercise.id, team: plan.team.id };
}

function labelsOf(ref: EnvironmentRef): Record<string, string> {
  return { [KUBE_LABEL.exercise]: ref.exercise, [KUBE_LABEL.team]: ref.team };
}

function keyOf(o: KubeObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

function newGeneration(): string {
  return randomBytes(3).toString('hex');
}

/** An object on its way out (namespaces stay `Terminating` until everything in them is gone). */
export function terminating(ns: LiveObject): boolean {
  return Boolean(ns.metadata?.deletionTimestamp) || ns.status?.phase === 'Terminating';
}

/**
 * Pod addresses are the cluster's, known once pods start: files and objectives are bound to them
 * then, but a pod's environment and command are fixed before. A plan that spells addresses there
 * cannot run here: say where.
 */
function refuseAddresses(plan: EnvironmentPlan): void {
  const uses = addressUses(plan).filter((u) => u.kind === 'env' || u.kind === 'command');
  if (!uses.length) return;
  throw new CyropError(
    'SCENARIO_INVALID',
    `scenario ${plan.scenario.id} uses host addresses where Kubernetes cannot fill in the ones pods get (it can in files and objectives): ${uses
      .map((u) => `${u.address} (host ${u.host} on ${u.network}) in ${u.where}`)
      .join('; ')}; refer to hosts by name, or run it on Docker`,
    { details: { uses } },
  );
}

/** A pod has one address, whichever scenario networks its host is on. */
function boundOf(plan: EnvironmentPlan, ips: ReadonlyMap<string, string>): BoundAddresses {
  const bound: BoundAddresses = {};
  for (const h of plan.hosts) {
    const ip = ips.get(h.name);
    if (ip) bound[h.name] = Object.fromEntries(h.networks.map((n) => [n.name, ip]));
  }
  return bound;
}

function isReady(pod: LiveObject): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function startProblem(
  pod: LiveObject,
): { code: 'ENGINE_ERROR' | 'ENGINE_IMAGE_MISSING'; detail: string } | undefined {
  const phase = pod.status?.phase;
  const c = pod.status?.containerStatuses?.[0];
  const terminated = c?.state?.terminated;
  if (terminated || phase === 'Failed' || phase === 'Succeeded')
    return {
      code: 'ENGINE_ERROR',
      detail: `exited with code ${String(terminated?.exitCode ?? '?')} instead of running${terminated?.message ? `: ${terminated.message.trim().slice(-500)}` : ''}`,
    };
  const waiting = c?.state?.waiting;
  if (waiting?.reason && FATAL_WAITING.has(waiting.reason))
    return {
      code: /Image/.test(waiting.reason) ? 'ENGINE_IMAGE_MISSING' : 'ENGINE_ERROR',
      detail: `${waiting.reason}: ${waiting.message ?? ''}${/Image/.test(waiting.reason) ? ' (push images with: npx cyrop images push --registry …)' : ''}`,
    };
  return undefined;
}

function podState(pod: LiveObject): HostState {
  switch (pod.status?.phase) {
    case 'Running':
      return 'running';
    case 'Pending':
      return 'created';
    default:
      return 'exited';
  }
}

function podDetail(pod: LiveObject): string | undefined {
  const c = pod.status?.containerStatuses?.[0];
  if (c?.state?.waiting?.reason) return c.state.waiting.reason;
  if (c?.state?.terminated) return `exited with code ${c.state.terminated.exitCode}`;
  return undefined;
}

/** The cluster DNS address: the endpoints of kube-system/kube-dns (what the kubelet's clusterDNS points at). */
async function clusterDns(api: KubernetesAdapter): Promise<string> {
  const slices = await api
    .list('discovery.k8s.io/v1', 'EndpointSlice', 'kubernetes.io/service-name=kube-dns', 'kube-system')
    .catch(() => []);
  for (const s of slices) {
    const address = (s as { endpoints?: { addresses?: string[] }[] }).endpoints?.[0]?.addresses?.[0];
    if (address) return address;
  }
  throw new CyropError(
    'CONFIG_INVALID',
    'cannot tell the cluster DNS address (no endpoints of kube-system/kube-dns): set CYROP_KUBE_DNS to the address pods resolve names with',
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CyropError('ENGINE_TIMEOUT', message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The RoleBinding subject for a user name: a ServiceAccount's is `system:serviceaccount:<namespace>:<name>`. */
export function subjectOf(username: string): RbacSubject {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return sa
    ? { kind: 'ServiceAccount', namespace: sa[1] ?? '', name: sa[2] ?? '' }
    : { kind: 'User', name: username };
}
