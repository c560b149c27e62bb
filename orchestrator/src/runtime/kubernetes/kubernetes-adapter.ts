import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { Duplex, PassThrough } from 'node:stream';
import {
  AuthenticationV1Api,
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  V1ObjectMeta,
  V1SelfSubjectReview,
  VersionApi,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
// Not re-exported by the package's index; the package has no `exports` map, so this path is public.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import type WebSocket from 'isomorphic-ws';
import { CyropError } from '../../errors.ts';
import { RateLimiter } from './rate-limiter.ts';
import { FIELD_MANAGER, type KubeObject } from './to-kubernetes.ts';

/**
 * The only file that imports @kubernetes/client-node. It gives the driver a small, typed surface:
 * server-side apply with one field manager, get/list/delete, a pod watch, and the exec websocket;
 * every request goes through a client-side rate limiter and retries 429/5xx with backoff, honouring
 * Retry-After. Errors become CyropError (ENGINE_*) with the original as `cause`.
 */

export interface ClusterConnection {
  kubeconfig?: string;
  context?: string;
  inCluster: boolean;
  /** Client-side rate limit: requests per second on average (default 100) and bursts (default 2 × qps). */
  qps?: number;
  burst?: number;
}

/** The client-side rate limit when none is configured (`CYROP_KUBE_QPS`, `CYROP_KUBE_BURST`). */
export const DEFAULT_QPS = 100;

/** A Kubernetes object as the API returns it (what the driver reads of it). */
export interface LiveObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: unknown;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      ready: boolean;
      state?: {
        running?: unknown;
        waiting?: { reason?: string; message?: string };
        terminated?: { exitCode: number; reason?: string; message?: string };
      };
    }[];
  };
}

/** One exec stream: channel data in, stdin/resize out, the status (exit) from channel 3. */
export interface ExecChannel {
  /** The websocket itself, for pause()/resume() (back-pressure reaches the pod through TCP). */
  readonly socket: WebSocket.WebSocket;
  sendStdin(data: Buffer): void;
  closeStdin(): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

export interface ExecHandlers {
  onStdout(data: Buffer): void;
  onStderr(data: Buffer): void;
  /** The exec's status: `Success`, or `Failure` with `NonZeroExitCode` and the exit code. */
  onStatus(status: { status?: string; reason?: string; message?: string; exitCode: number | null }): void;
  onClose(): void;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** How long a port-forward whose platform side has ended waits for the host to close its side. */
const PORT_FORWARD_LINGER_MS = 30_000;

/**
 * A 403 from the namespace's ResourceQuota that time resolves. `exceeded quota`: the driver's quota
 * is exactly what the plan's pods need, so when it refuses a planned pod, usage the quota controller
 * has not yet released is in the way (a pod just deleted, a create aborted after admission charged
 * it). `status unknown for quota`: the quota was just created and the controller has not yet written
 * its first status (admission refuses every pod until it has; at a thousand teams the controller
 * lags by seconds). Both are retried like a 429.
 */
const QUOTA_NOT_YET = /exceeded quota|status unknown for quota/;

/** Whether a failed request is worth sending again (after a backoff): overload, a quota catching up, a dropped connection. */
export function isTransient(status: number | undefined, message: string): boolean {
  return (
    (status !== undefined && RETRYABLE.has(status)) ||
    (status === 403 && QUOTA_NOT_YET.test(message)) ||
    (status === undefined && /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/i.test(message))
  );
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * A KubeConfig whose API requests share one keep-alive agent. The client makes a new agent for every
 * request, so each one opened a new TLS connection (a secure context built from the key and
 * certificates, a handshake, the peer's certificate read): profiled at 1,000 teams, that was half
 * the platform's CPU. The shared agent is made again when the credentials change (a rotated
 * certificate). Agents of a proxy are left as the client makes them. Watches and execs open their own
 * long-lived connections and are not affected.
 */
class PooledKubeConfig extends KubeConfig {
  private pooled: { key: string; agent: http.Agent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!made || (made.constructor !== https.Agent && made.constructor !== http.Agent)) return;
    const o = (made as https.Agent).options;
    const key = JSON.stringify(
      [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map((v) =>
        Buffer.isBuffer(v) ? v.toString('base64') : v,
      ),
    );
    if (this.pooled?.key !== key) {
      this.pooled?.agent.destroy();
      const agent =
        made instanceof https.Agent
          ? new https.Agent({ ...o, keepAlive: true })
          : new http.Agent({ keepAlive: true });
      this.pooled = { key, agent };
    }
    context.setAgent(this.pooled.agent);
  }
}

export class KubernetesAdapter {
  /**
   * Every request (watches and execs included) takes a token first. Default 100 requests/s, bursts of
   * 200: 20 teams × 3 hosts (~320 calls) launch in a few seconds; the API server's own priority and
   * fairness guard it beyond.
   */
  private readonly limiter: RateLimiter;
  private constructor(
    private readonly kc: KubeConfig,
    private readonly objects: KubernetesObjectApi,
    /** Where the cluster is, for messages. */
    readonly server: string,
    rate: { qps?: number; burst?: number } = {},
  ) {
    const qps = rate.qps ?? DEFAULT_QPS;
    this.limiter = new RateLimiter(qps, rate.burst ?? 2 * qps);
  }

  /** Load the configuration and ask the cluster its version: a clear error when no cluster answers. */
  static async connect(
    connection: ClusterConnection,
  ): Promise<{ adapter: KubernetesAdapter; version: string }> {
    const kc = new PooledKubeConfig();
    try {
      if (connection.inCluster) kc.loadFromCluster();
      else {
        if (!connection.kubeconfig)
          throw new CyropError(
            'CONFIG_INVALID',
            'the Kubernetes engine needs a kubeconfig file (CYROP_KUBECONFIG) or in-cluster mode; CYROP never falls back to a default cluster',
          );
        if (!existsSync(connection.kubeconfig))
          throw new CyropError(
            'ENGINE_UNAVAILABLE',
            `kubeconfig ${connection.kubeconfig} does not exist (is the cluster set up?)`,
          );
        kc.loadFromFile(connection.kubeconfig);
      }
      if (connection.context) kc.setCurrentContext(connection.context);
    } catch (error) {
      if (error instanceof CyropError) throw error;
      throw new CyropError('CONFIG_INVALID', `cannot load the Kubernetes configuration: ${String(error)}`, {
        cause: error,
      });
    }
    const server = kc.getCurrentCluster()?.server;
    if (!server)
      throw new CyropError(
        'CONFIG_INVALID',
        `the Kubernetes configuration ${connection.kubeconfig ?? '(in-cluster)'} names no cluster${connection.context ? ` for context ${connection.context}` : ''}`,
      );
    let version: string;
    try {
      version = (await kc.makeApiClient(VersionApi).getCode()).gitVersion;
    } catch (error) {
      throw new CyropError(
        'ENGINE_UNAVAILABLE',
        `no Kubernetes API server answers at ${server}: ${describe(error)}`,
        { cause: error },
      );
    }
    return {
      adapter: new KubernetesAdapter(kc, KubernetesObjectApi.makeApiClient(kc), server, {
        ...(connection.qps !== undefined ? { qps: connection.qps } : {}),
        ...(connection.burst !== undefined ? { burst: connection.burst } : {}),
      }),
      version,
    };
  }

  /**
   * Who the API server takes these credentials for (SelfSubjectReview, which every authenticated
   * user may ask): `system:serviceaccount:<namespace>:<name>` for a ServiceAccount.
   */
  async whoAmI(): Promise<string> {
    const body = new V1SelfSubjectReview();
    body.apiVersion = 'authentication.k8s.io/v1';
    body.kind = 'SelfSubjectReview';
    const review = await this.call(
      'asking the API server who these credentials are (SelfSubjectReview)',
      () => this.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body }),
    );
    const name = review.status?.userInfo?.username;
    if (!name)
      throw new CyropError(
        'ENGINE_ERROR',
        `the API server ${this.server} did not say who these credentials are`,
      );
    return name;
  }

  /** Server-side apply with CYROP's field manager, forcing ownership of the fields we set. */
  async apply(object: KubeObject): Promise<LiveObject> {
    return this.call(
      `applying ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`,
      () =>
        this.objects.patch(
          object as unknown as KubernetesObject,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
    );
  }

  /**
   * Create (POST), for what server-side apply cannot make: reviews (SubjectAccessReview answers in the
   * returned object's `status`), and `dryRun` requests (admission runs, nothing is stored).
   */
  async create(
    object: { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } } & Record<
      string,
      unknown
    >,
    options: { dryRun?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    return this.call(
      `creating ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`,
      () =>
        this.objects.create(
          object as unknown as KubernetesObject,
          undefined,
          options.dryRun ? 'All' : undefined,
          FIELD_MANAGER,
        ),
    ) as Promise<unknown> as Promise<Record<string, unknown>>;
  }

  /** A node's kubelet configuration (`/api/v1/nodes/<node>/proxy/configz`: needs `get nodes/proxy`). */
  async kubeletConfig(node: string): Promise<Record<string, unknown>> {
    // Declared as a string, but the client parses a JSON body.
    const body: unknown = await this.call(`reading the kubelet configuration of node ${node}`, () =>
      this.kc.makeApiClient(CoreV1Api).connectGetNodeProxyWithPath({ name: node, path: 'configz' }),
    );
    let parsed: unknown = body;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
    }
    const config = (parsed as { kubeletconfig?: unknown } | undefined)?.kubeletconfig;
    if (config && typeof config === 'object') return config as Record<string, unknown>;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    throw new CyropError(
      'ENGINE_ERROR',
      `node ${node}: /configz answered something that is not a kubelet configuration: ${text.slice(0, 200)}`,
    );
  }

  async get(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<LiveObject | undefined> {
    try {
      return await this.call(`reading ${kind} ${namespace ?? ''}/${name}`, () =>
        this.objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }),
      );
    } catch (error) {
      if (error instanceof CyropError && error.code === 'ENGINE_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    namespace?: string,
  ): Promise<LiveObject[]> {
    return (await this.listVersioned(apiVersion, kind, labelSelector, namespace)).items;
  }

  /** `list`, with the list's resource version (where a watch of the same objects starts). */
  async listVersioned(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    namespace?: string,
  ): Promise<{ items: LiveObject[]; resourceVersion: string | undefined }> {
    const items: LiveObject[] = [];
    let token: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.call(`listing ${kind} ${labelSelector}`, () =>
        this.objects.list(
          apiVersion,
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
          500,
          token,
        ),
      );
      items.push(...(page.items as LiveObject[]));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      token = page.metadata?._continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  /** Delete; gone already is fine. */
  async delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
    graceSeconds?: number,
  ): Promise<void> {
    try {
      await this.call(`deleting ${kind} ${namespace ?? ''}/${name}`, () =>
        this.objects.delete(
          header(apiVersion, kind, name, namespace),
          undefined,
          undefined,
          graceSeconds,
          undefined,
          'Background',
        ),
      );
    } catch (error) {
      if (!(error instanceof CyropError && error.code === 'ENGINE_NOT_FOUND')) throw error;
    }
  }

  /**
   * Watch the pods of a namespace from `resourceVersion`; `onEvent` gets each change, `onEnd` when the
   * server or the network ends the watch (the caller restarts it). Returns a stop function.
   */
  watchPods(
    namespace: string,
    resourceVersion: string | undefined,
    onEvent: (type: string, pod: LiveObject) => void,
    onEnd: (error: unknown) => void,
  ): Promise<() => void> {
    return this.watch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      {},
      resourceVersion,
      onEvent,
      onEnd,
    );
  }

  /**
   * Watch the namespaces that `labelSelector` selects from `resourceVersion` (bookmarks on), in the
   * background: the connection never keeps the process alive (a CLI command exits when its work is
   * done). `onEnd` gets an error (with `statusCode` when the server refused the watch, e.g. 403) or
   * null when the server ended it. Resolves once the server answered; returns a stop function.
   */
  async watchNamespaces(
    labelSelector: string,
    resourceVersion: string | undefined,
    onEvent: (type: string, namespace: LiveObject) => void,
    onEnd: (error: unknown) => void,
  ): Promise<() => void> {
    await this.limiter.take();
    const url = new URL(`${this.server}/api/v1/namespaces`);
    url.searchParams.set('watch', 'true');
    url.searchParams.set('allowWatchBookmarks', 'true');
    url.searchParams.set('labelSelector', labelSelector);
    if (resourceVersion) url.searchParams.set('resourceVersion', resourceVersion);
    const options: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    let ended = false;
    const end = (error: unknown) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    return new Promise((resolve) => {
      const request = (url.protocol === 'https:' ? https : http).get(url, options, (response) => {
        const stop = () => {
          ended = true;
          response.destroy();
        };
        if (response.statusCode !== 200) {
          response.resume();
          end(
            Object.assign(new Error(`watch of namespaces: HTTP ${response.statusCode}`), {
              statusCode: response.statusCode,
            }),
          );
          resolve(stop);
          return;
        }
        // answered: from now on the watch waits in the background (before, the answer was awaited)
        response.socket.unref();
        const lines = createInterface({ input: response });
        lines.on('line', (line) => {
          try {
            const event = JSON.parse(line) as { type: string; object: LiveObject };
            onEvent(event.type, event.object);
          } catch {
            // a torn last line of a dropped connection: the watch restarts from the last version
          }
        });
        response.on('close', () => end(null));
        response.on('error', end);
        resolve(stop);
      });
      request.on('error', (error) => {
        end(error);
        resolve(() => request.destroy());
      });
    });
  }

  private async watch(
    path: string,
    params: Record<string, string>,
    resourceVersion: string | undefined,
    onEvent: (type: string, object: LiveObject) => void,
    onEnd: (error: unknown) => void,
  ): Promise<() => void> {
    await this.limiter.take();
    const controller = await new Watch(this.kc).watch(
      path,
      { ...params, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      (type: string, object: unknown) => onEvent(type, object as LiveObject),
      onEnd,
    );
    return () => controller.abort();
  }

  /**
   * Resolve once the pod `name` of `namespace` no longer exists, by watching it (one GET, then a watch
   * on its name from that version, restarted when it ends) rather than polling; ENGINE_TIMEOUT after
   * `timeoutMs`.
   */
  async waitPodGone(namespace: string, name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pod = await this.get('v1', 'Pod', name, namespace);
      if (!pod) return;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new CyropError(
          'ENGINE_TIMEOUT',
          `pod ${namespace}/${name} was not gone within ${Math.round(timeoutMs / 1000)} s of its deletion`,
        );
      // Watch from the version read: its DELETED event cannot be missed. Ends (gone, the watch
      // closed, or the time up): read again.
      await this.limiter.take();
      await new Promise<void>((resolve) => {
        let settled = false;
        let abort: (() => void) | undefined;
        const done = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          abort?.();
          resolve();
        };
        const timer = setTimeout(done, left);
        new Watch(this.kc)
          .watch(
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
            {
              fieldSelector: `metadata.name=${name}`,
              ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
            },
            (type: string) => {
              if (type === 'DELETED') done();
            },
            () => done(),
          )
          .then(
            (controller) => {
              abort = () => controller.abort();
              if (settled) controller.abort();
            },
            () => setTimeout(done, 200),
          );
      });
    }
  }

  /** Open the exec websocket of a pod's container (stdin and TTY as asked). */
  async exec(
    namespace: string,
    pod: string,
    container: string,
    command: readonly string[],
    options: { stdin: boolean; tty: boolean },
    handlers: ExecHandlers,
  ): Promise<ExecChannel> {
    const query = new URLSearchParams();
    for (const c of command) query.append('command', c);
    query.set('container', container);
    query.set('stdout', 'true');
    query.set('stderr', options.tty ? 'false' : 'true');
    query.set('stdin', options.stdin ? 'true' : 'false');
    query.set('tty', options.tty ? 'true' : 'false');
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query.toString()}`;
    // The handler's own stream handling would end process.stdout on a close frame: give it dummies.
    const dummies = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    const handler = new WebSocketHandler(this.kc, undefined, dummies);
    let socket: WebSocket.WebSocket;
    await this.limiter.take();
    try {
      socket = await handler.connect(path, null, (channel: number, data: Buffer) => {
        if (channel === WebSocketHandler.StdoutStream) handlers.onStdout(data);
        else if (channel === WebSocketHandler.StderrStream) handlers.onStderr(data);
        else if (channel === WebSocketHandler.StatusStream) handlers.onStatus(statusOf(data));
        return true;
      });
    } catch (error) {
      throw new CyropError('ENGINE_ERROR', `exec in pod ${namespace}/${pod}: ${describe(error)}`, {
        cause: error,
      });
    }
    socket.on('close', () => handlers.onClose());
    socket.on('error', () => undefined);
    const send = (data: Buffer) => {
      if (socket.readyState === socket.OPEN) socket.send(data);
    };
    return {
      socket,
      sendStdin: (data) => send(Buffer.concat([Buffer.from([WebSocketHandler.StdinStream]), data])),
      closeStdin: () => {
        if (WebSocketHandler.supportsClose(socket.protocol))
          send(Buffer.from([WebSocketHandler.CloseStream, WebSocketHandler.StdinStream]));
      },
      resize: (cols, rows) =>
        send(
          Buffer.concat([
            Buffer.from([WebSocketHandler.ResizeStream]),
            Buffer.from(JSON.stringify({ Width: cols, Height: rows })),
          ]),
        ),
      close: () => {
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close();
      },
    };
  }

  /**
   * One TCP connection to `port` of a pod, through the API server's port-forward websocket (the
   * kubelet connects inside the pod's network namespace). Channel 0 carries the data, channel 1 the
   * kubelet's errors (e.g. nothing listens); each channel's first frame starts with the port number
   * (2 bytes), which is dropped. Resolves once the websocket is open; a refused port then ends the
   * stream with an error naming it.
   */
  async portForward(namespace: string, pod: string, port: number): Promise<Duplex> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
    const where = `port ${port} of pod ${namespace}/${pod}`;
    const dummies = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    const handler = new WebSocketHandler(this.kc, undefined, dummies);
    const firstFrame = [true, true];
    let socket: WebSocket.WebSocket | undefined;
    let linger: NodeJS.Timeout | undefined;
    const stream = new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        if (!socket || socket.readyState !== socket.OPEN) {
          callback(new Error(`the port-forward to ${where} is closed`));
          return;
        }
        socket.send(Buffer.concat([Buffer.from([0]), chunk]), (error) => callback(error ?? null));
      },
      // The port-forward protocol has no half-close: ending our side must not close the websocket,
      // or the host's answer still on its way is lost. The host closing ends it; if it never does,
      // the websocket is closed after PORT_FORWARD_LINGER_MS.
      final(callback) {
        linger = setTimeout(() => socket?.close(), PORT_FORWARD_LINGER_MS);
        linger.unref();
        callback();
      },
      read() {
        // data is pushed as it arrives
      },
      destroy(error, callback) {
        clearTimeout(linger);
        if (socket?.readyState === socket?.OPEN || socket?.readyState === socket?.CONNECTING) socket?.close();
        callback(error);
      },
    });
    // The kubelet's error may come in the same read as the upgrade, before the caller has the stream
    // to listen on: it is kept (`stream.errored`, and the next read or write fails) instead of thrown.
    stream.on('error', () => undefined);
    await this.limiter.take();
    try {
      socket = await handler.connect(path, null, (channel: number, data: Buffer) => {
        if (channel > 1) return true;
        let payload = data;
        if (firstFrame[channel]) {
          payload = data.subarray(2);
          firstFrame[channel] = false;
        }
        if (channel === 0) {
          if (payload.length) stream.push(payload);
        } else if (payload.length) {
          stream.destroy(new CyropError('ENGINE_ERROR', `${where}: ${payload.toString('utf8').trim()}`));
        }
        return true;
      });
    } catch (error) {
      throw new CyropError('ENGINE_ERROR', `port-forward to ${where}: ${describe(error)}`, { cause: error });
    }
    socket.on('close', () => {
      clearTimeout(linger);
      stream.push(null);
    });
    socket.on('error', () => undefined);
    return stream;
  }

  /** Rate-limited, with retries on 429/5xx and connection errors (honouring Retry-After). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let delay = 200;
    for (let attempt = 0; ; attempt++) {
      await this.limiter.take();
      try {
        return await fn();
      } catch (error) {
        const status = error instanceof ApiException ? error.code : undefined;
        const transient = isTransient(status, status === undefined ? String(error) : describeFully(error));
        if (!transient || attempt >= 5) throw translate(error, what, this.server);
        const after = error instanceof ApiException ? retryAfter(error.headers) : undefined;
        await sleep(after ?? delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }
}

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(30_000, Math.max(0, seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(30_000, Math.max(0, date - Date.now()));
}

function statusOf(data: Buffer): {
  status?: string;
  reason?: string;
  message?: string;
  exitCode: number | null;
} {
  try {
    const s = JSON.parse(data.toString('utf8')) as {
      status?: string;
      reason?: string;
      message?: string;
      details?: { causes?: { reason?: string; message?: string }[] };
    };
    if (s.status === 'Success') return { status: s.status, exitCode: 0 };
    const code = s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    return {
      ...(s.status ? { status: s.status } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.message ? { message: shorten(s.message) } : {}),
      exitCode: code !== undefined && /^\d+$/.test(code) ? Number(code) : null,
    };
  } catch {
    return { exitCode: null };
  }
}

/** The kubelet's exec URLs carry the whole command: keep messages readable. */
function shorten(text: string): string {
  return text.replace(/(https?:\/\/[^\s"?]+)\?[^\s"]*/g, '$1?…');
}

function describe(error: unknown): string {
  return shorten(describeFully(error));
}

function describeFully(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    const message =
      typeof body === 'string'
        ? (() => {
            try {
              return (JSON.parse(body) as { message?: string }).message ?? body;
            } catch {
              return body;
            }
          })()
        : ((body as { message?: string } | undefined)?.message ?? error.message);
    return `HTTP ${error.code}: ${message}`;
  }
  const e = error as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  return [e.code ?? e.cause?.code, e.message ?? e.cause?.message ?? String(error)].filter(Boolean).join(' ');
}

function translate(error: unknown, what: string, server: string): CyropError {
  if (error instanceof CyropError) return error;
  const detail = `${what}: ${describe(error)}`;
  if (error instanceof ApiException) {
    switch (error.code) {
      case 404:
        return new CyropError('ENGINE_NOT_FOUND', detail, { cause: error });
      case 409:
        return new CyropError('ENGINE_CONFLICT', detail, { cause: error });
      case 403:
        // Forbidden is also what a ResourceQuota or Pod Security admission answers: not a matter of rights
        if (!/ cannot [a-z]+ resource /.test(detail))
          return new CyropError('ENGINE_ERROR', detail, { cause: error });
        return new CyropError(
          'ENGINE_ERROR',
          `${detail} (the orchestrator's Kubernetes credentials lack this right)`,
          { cause: error, details: { forbidden: true } },
        );
      case 401:
        return new CyropError(
          'ENGINE_ERROR',
          `${detail} (the orchestrator's Kubernetes credentials lack this right)`,
          {
            cause: error,
          },
        );
      default:
        return new CyropError('ENGINE_ERROR', detail, { cause: error });
    }
  }
  return new CyropError('ENGINE_UNAVAILABLE', `${detail} (Kubernetes API server ${server})`, {
    cause: error,
  });
}

/** An object header (the API's V1ObjectMeta is a class; a plain header is what the calls need). */
function header(apiVersion: string, kind: string, name: string, namespace?: string): KubernetesObject {
  const metadata = new V1ObjectMeta();
  metadata.name = name;
  if (namespace) metadata.namespace = namespace;
  return { apiVersion, kind, metadata };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
