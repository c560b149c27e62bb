import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small in-process stand-in for the Kubernetes API server, for the driver's logic (what it applies,
 * in which order, adopt/drift/orphans, watches, deletion, retries): objects in memory, server-side
 * apply as "replace with what was sent", label selectors (equality and existence), watches as JSON
 * lines, pods that become Ready a moment after they are applied, namespaces that stay Terminating
 * for a while after deletion. It does not run containers: exec and isolation need the real cluster.
 */

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> };
  status?: Record<string, unknown>;
} & Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query parameters (`watch`, `resourceVersion`, `labelSelector`…). */
  query: URLSearchParams;
  contentType?: string;
  fieldManager?: string;
  force?: string;
  at: number;
  status: number;
}

const CORE: Record<string, { kind: string; namespaced: boolean }> = {
  namespaces: { kind: 'Namespace', namespaced: false },
  pods: { kind: 'Pod', namespaced: true },
  services: { kind: 'Service', namespaced: true },
  secrets: { kind: 'Secret', namespaced: true },
  serviceaccounts: { kind: 'ServiceAccount', namespaced: true },
  resourcequotas: { kind: 'ResourceQuota', namespaced: true },
  limitranges: { kind: 'LimitRange', namespaced: true },
};
const NETWORKING: Record<string, { kind: string; namespaced: boolean }> = {
  networkpolicies: { kind: 'NetworkPolicy', namespaced: true },
};

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly watchers = new Set<{ ns: string; name?: string; res: http.ServerResponse }>();
  /** Watches of namespaces (by label selector). */
  private readonly namespaceWatchers = new Set<{ selector: string | null; res: http.ServerResponse }>();
  /** TCP connections accepted so far. */
  connections = 0;
  /** Refuse watches of namespaces with 403 (an RBAC without `watch` on namespaces). */
  refuseNamespaceWatch = false;
  private server!: http.Server;
  private version = 1;
  /** Answer the next `count` requests whose path matches with 429 and this Retry-After (seconds). */
  throttle: { path: RegExp; count: number; retryAfter: number } | undefined;
  /** Answer the next `count` requests whose path matches with 403, as a ResourceQuota refusing a pod. */
  quotaExceeded: { path: RegExp; count: number } | undefined;
  /**
   * Refuse every request whose path matches with 403 "exceeded quota" until the namespace's quota is
   * deleted: usage charged for creates that were never stored, which only a new quota forgets.
   */
  staleQuota: RegExp | undefined;
  /** Answer the next `count` matching requests with 403 as a quota with no status yet (just created). */
  quotaUnknown: { path: RegExp; count: number } | undefined;
  /** How long a deleted pod stays (terminating, `deletionTimestamp` set) before it is gone; 0: at once. */
  podDeletionMs = 0;
  /** End each pod watch after this many events (the driver must restart it). */
  endWatchesAfter = Infinity;
  /** How long a deleted namespace stays Terminating. */
  terminatingMs = 300;
  /** How long a pod takes to become Ready. */
  readyMs = 50;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.endNamespaceWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  kubeconfig(): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'fake' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
      'current-context': 'fake',
    });
  }

  all(kind?: string): Obj[] {
    return [...this.objects.values()].filter((o) => !kind || o.kind === kind);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.url);
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      ...(url.searchParams.get('fieldManager')
        ? { fieldManager: url.searchParams.get('fieldManager')! }
        : {}),
      ...(url.searchParams.get('force') ? { force: url.searchParams.get('force')! } : {}),
      at: Date.now(),
      status: 200,
    };
    this.requests.push(record);
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (this.throttle && this.throttle.count > 0 && this.throttle.path.test(url.pathname)) {
      this.throttle.count--;
      send(
        429,
        { kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'slow down' },
        {
          'retry-after': String(this.throttle.retryAfter),
        },
      );
      return;
    }
    if (this.quotaExceeded && this.quotaExceeded.count > 0 && this.quotaExceeded.path.test(url.pathname)) {
      this.quotaExceeded.count--;
      send(403, {
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'pods "server" is forbidden: exceeded quota: team, requested: pods=1, used: pods=2, limited: pods=2',
      });
      return;
    }
    if (this.staleQuota && req.method === 'DELETE' && /\/resourcequotas\//.test(url.pathname))
      this.staleQuota = undefined;
    if (this.staleQuota?.test(url.pathname)) {
      send(403, {
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: `${url.pathname} is forbidden: exceeded quota: team, requested: services=1, used: services=2, limited: services=2`,
      });
      return;
    }
    if (this.quotaUnknown && this.quotaUnknown.count > 0 && this.quotaUnknown.path.test(url.pathname)) {
      this.quotaUnknown.count--;
      send(403, {
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'pods "server" is forbidden: status unknown for quota: team, resources: limits.cpu,limits.memory,pods',
      });
      return;
    }
    if (url.pathname === '/version') {
      send(200, { gitVersion: 'v1.34.4-fake', major: '1', minor: '34' });
      return;
    }
    if (url.pathname === '/api/v1') {
      send(200, discovery('v1', CORE));
      return;
    }
    if (url.pathname === '/apis/networking.k8s.io/v1') {
      send(200, discovery('networking.k8s.io/v1', NETWORKING));
      return;
    }

    const m =
      /^\/(api\/v1|apis\/networking\.k8s\.io\/v1)\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
    // /api/v1/namespaces/<name> matches as resource `namespaces`, name <name>.
    const [, group, ns, resource, name] = m ?? [];
    const table = group === 'api/v1' ? CORE : NETWORKING;
    const info = resource ? table[resource] : undefined;
    if (!m || !info) {
      send(404, status(404, `no route ${url.pathname}`));
      return;
    }
    const key = (n: string, namespace = ns) => `${info.kind}/${namespace ?? ''}/${n}`;

    if (req.method === 'GET' && url.searchParams.get('watch') === 'true' && info.kind === 'Pod' && ns) {
      res.writeHead(200, { 'content-type': 'application/json' });
      // fieldSelector metadata.name=<pod> only (what the driver uses to wait for one pod)
      const only = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const watcher = { ns, ...(only ? { name: only } : {}), res, sent: 0 };
      this.watchers.add(watcher);
      for (const pod of this.all('Pod').filter(
        (p) => p.metadata.namespace === ns && (!only || p.metadata.name === only),
      ))
        this.emit(watcher, 'ADDED', pod);
      res.on('close', () => this.watchers.delete(watcher));
      return;
    }
    if (req.method === 'GET' && url.searchParams.get('watch') === 'true' && info.kind === 'Namespace') {
      if (this.refuseNamespaceWatch) {
        send(403, status(403, 'namespaces is forbidden: cannot watch resource "namespaces"'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const watcher = { selector: url.searchParams.get('labelSelector'), res };
      this.namespaceWatchers.add(watcher);
      // from a version: what changed since (the fake keeps no history: every newer namespace)
      const from = Number(url.searchParams.get('resourceVersion') ?? 0);
      for (const o of this.all('Namespace'))
        if (Number(o.metadata['resourceVersion']) > from && matches(o, watcher.selector))
          res.write(JSON.stringify({ type: 'ADDED', object: o }) + '\n');
      res.on('close', () => this.namespaceWatchers.delete(watcher));
      return;
    }
    if (req.method === 'GET' && !name) {
      const items = this.all(info.kind).filter(
        (o) =>
          (!info.namespaced || !ns || o.metadata.namespace === ns) &&
          matches(o, url.searchParams.get('labelSelector')),
      );
      send(200, {
        apiVersion: 'v1',
        kind: `${info.kind}List`,
        metadata: { resourceVersion: String(this.version) },
        items,
      });
      return;
    }
    if (req.method === 'GET' && name) {
      const o = this.objects.get(key(name));
      o ? send(200, o) : send(404, status(404, `${resource} "${name}" not found`));
      return;
    }
    if (req.method === 'PATCH' && name) {
      const sent = JSON.parse(body) as Obj;
      if (info.namespaced && !this.objects.get(`Namespace//${ns ?? ''}`)) {
        send(404, status(404, `namespaces "${ns ?? ''}" not found`));
        return;
      }
      const existing = this.objects.get(key(name));
      if (existing?.metadata['deletionTimestamp'] && info.kind === 'Namespace') {
        send(409, status(409, `namespace ${name} is terminating`));
        return;
      }
      const obj: Obj = {
        ...sent,
        metadata: {
          ...sent.metadata,
          uid: existing?.metadata['uid'] ?? `uid-${this.version}`,
          resourceVersion: String(++this.version),
        },
      };
      if (info.kind === 'Pod') {
        obj.status = existing?.status ?? { phase: 'Pending' };
        if (!existing) this.schedulePod(key(name));
      }
      this.objects.set(key(name), obj);
      if (info.kind === 'Pod') this.notify(existing ? 'MODIFIED' : 'ADDED', obj);
      if (info.kind === 'Namespace') this.notifyNamespace(existing ? 'MODIFIED' : 'ADDED', obj);
      send(existing ? 200 : 201, obj);
      return;
    }
    if (req.method === 'DELETE' && name) {
      const o = this.objects.get(key(name));
      if (!o) {
        send(404, status(404, `${resource} "${name}" not found`));
        return;
      }
      if (info.kind === 'Namespace') {
        this.deleteNamespace(name);
      } else if (info.kind === 'Pod' && this.podDeletionMs > 0) {
        if (!o.metadata['deletionTimestamp']) {
          o.metadata['deletionTimestamp'] = new Date().toISOString();
          o.metadata['resourceVersion'] = String(++this.version);
          this.notify('MODIFIED', o);
          setTimeout(() => {
            if (this.objects.get(key(name)) !== o) return;
            this.objects.delete(key(name));
            this.notify('DELETED', o);
          }, this.podDeletionMs);
        }
      } else {
        this.objects.delete(key(name));
        if (info.kind === 'Pod') this.notify('DELETED', o);
      }
      send(200, status(200, 'deleted'));
      return;
    }
    send(405, status(405, `${req.method ?? ''} not supported by the fake`));
  }

  /** Delete a namespace as the API server would: Terminating, then gone with all it held. */
  deleteNamespace(name: string): void {
    const o = this.objects.get(`Namespace//${name}`);
    if (!o || o.metadata['deletionTimestamp']) return;
    o.metadata['deletionTimestamp'] = new Date().toISOString();
    o.metadata['resourceVersion'] = String(++this.version);
    o.status = { phase: 'Terminating' };
    this.notifyNamespace('MODIFIED', o);
    setTimeout(() => {
      for (const [k, v] of this.objects)
        if (v.metadata.namespace === name || k === `Namespace//${name}`) this.objects.delete(k);
      this.notifyNamespace('DELETED', o);
    }, this.terminatingMs);
  }

  /** End every namespace watch, as an API server does after its timeout (clients restart them). */
  endNamespaceWatches(): void {
    for (const w of this.namespaceWatchers) w.res.end();
    this.namespaceWatchers.clear();
  }

  private notifyNamespace(type: string, ns: Obj): void {
    for (const w of this.namespaceWatchers)
      if (matches(ns, w.selector)) w.res.write(JSON.stringify({ type, object: ns }) + '\n');
  }

  /** Make a pod Pending again (a node restarting it), Ready after `readyMs` as a new one. */
  unready(namespace: string, name: string): void {
    const key = `Pod/${namespace}/${name}`;
    const pod = this.objects.get(key);
    if (!pod) throw new Error(`the fake has no pod ${namespace}/${name}`);
    pod.status = { phase: 'Pending' };
    pod.metadata['resourceVersion'] = String(++this.version);
    this.notify('MODIFIED', pod);
    this.schedulePod(key);
  }

  private schedulePod(key: string): void {
    setTimeout(() => {
      const pod = this.objects.get(key);
      if (!pod) return;
      pod.status = {
        phase: 'Running',
        podIP: `10.244.0.${(this.version % 250) + 2}`,
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ ready: true, state: { running: {} } }],
      };
      pod.metadata['resourceVersion'] = String(++this.version);
      this.notify('MODIFIED', pod);
    }, this.readyMs);
  }

  private notify(type: string, pod: Obj): void {
    for (const w of this.watchers)
      if (w.ns === pod.metadata.namespace && (!w.name || w.name === pod.metadata.name))
        this.emit(w as never, type, pod);
  }

  private emit(w: { ns: string; res: http.ServerResponse; sent: number }, type: string, object: Obj): void {
    w.res.write(JSON.stringify({ type, object }) + '\n');
    if (++w.sent >= this.endWatchesAfter) {
      this.watchers.delete(w);
      w.res.end();
    }
  }
}

function discovery(groupVersion: string, table: Record<string, { kind: string; namespaced: boolean }>) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: Object.entries(table).map(([name, r]) => ({
      name,
      singularName: r.kind.toLowerCase(),
      kind: r.kind,
      namespaced: r.namespaced,
      verbs: ['get', 'list', 'watch', 'patch', 'delete'],
    })),
  };
}

function status(code: number, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: code < 300 ? 'Success' : 'Failure', code, message };
}

function matches(o: Obj, selector: string | null): boolean {
  if (!selector) return true;
  const labels = o.metadata.labels ?? {};
  return selector.split(',').every((term) => {
    const [k = '', v] = term.split('=');
    return v === undefined ? k in labels : labels[k] === v;
  });
}
