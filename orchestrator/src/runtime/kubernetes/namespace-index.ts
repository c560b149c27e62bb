import type { KubernetesAdapter, LiveObject } from './kubernetes-adapter.ts';

const RESTART_MAX_MS = 5_000;

/**
 * The team namespaces as the API server last said, for the driver's "which namespace is this team's?"
 * One LIST of the namespaces the selector picks, then one watch kept open (restarted from the last
 * version it saw when it ends; listed again when that version is too old). Launching or reconciling
 * 1,000 teams then asks the server once, instead of one cluster-wide label-selected LIST per team
 * (API Priority and Fairness charges such a LIST by the number of namespaces it may return).
 *
 * Answers come from memory only while the watch is open; otherwise (before it opens, while it is
 * restarted, or when the server refuses `watch` on namespaces) each question is a LIST, as before.
 * The driver notes its own changes at once (a namespace it applied, one it deleted), so that a watch
 * event still on its way never hides what it did a moment ago.
 */
export class NamespaceIndex {
  private readonly byName = new Map<string, LiveObject>();
  /** Namespaces the driver deleted: an event still showing them alive is an old one. */
  private readonly deleted = new Set<string>();
  private watching = false;
  private starting: Promise<void> | undefined;
  private stop: (() => void) | undefined;
  private version: string | undefined;
  private refused = false;
  private closed = false;
  private failures = 0;

  constructor(
    private readonly api: KubernetesAdapter,
    /** Which namespaces (a label selector), e.g. `app.kubernetes.io/managed-by=cyrop`. */
    private readonly selector: string,
  ) {}

  /** The namespaces with every label of `labels` (within the selector), terminating ones included. */
  async find(labels: Readonly<Record<string, string>>): Promise<LiveObject[]> {
    if (!this.watching && !this.refused && !this.closed) {
      this.starting ??= this.start().finally(() => (this.starting = undefined));
      await this.starting;
    }
    const wanted = Object.entries(labels);
    if (!this.watching)
      return this.api.list(
        'v1',
        'Namespace',
        [this.selector, ...wanted.map(([k, v]) => `${k}=${v}`)].join(','),
      );
    return [...this.byName.values()].filter((ns) => wanted.every(([k, v]) => ns.metadata?.labels?.[k] === v));
  }

  /** A namespace the driver has just applied (the object the server returned). */
  noteApplied(ns: LiveObject): void {
    const name = ns.metadata?.name;
    if (name && !this.deleted.has(name)) this.put(ns);
  }

  /** A namespace the driver has just asked to delete: terminating from now on. */
  noteDeleted(name: string): void {
    this.deleted.add(name);
    const ns = this.byName.get(name);
    if (ns && !ns.metadata?.deletionTimestamp)
      this.byName.set(name, {
        ...ns,
        metadata: { ...ns.metadata, deletionTimestamp: new Date().toISOString() },
      });
  }

  /** Close the watch; later questions are LISTs. */
  close(): void {
    this.closed = true;
    this.watching = false;
    this.stop?.();
  }

  private async start(): Promise<void> {
    try {
      const { items, resourceVersion } = await this.api.listVersioned('v1', 'Namespace', this.selector);
      this.byName.clear();
      for (const ns of items) this.put(ns);
      this.version = resourceVersion;
      await this.watch();
    } catch {
      // the question is answered by a LIST; the next one tries again
    }
  }

  /** Open the watch from `this.version`; resolves once the server answered. */
  private async watch(): Promise<void> {
    // `open` and `abort` change in callbacks, also while the request is being made
    const state: { open: boolean; abort?: () => void } = { open: true };
    const finish = (error: unknown) => {
      if (!state.open) return;
      state.open = false;
      this.watching = false;
      state.abort?.();
      this.ended(error);
    };
    state.abort = await this.api.watchNamespaces(
      this.selector,
      this.version,
      (type, object) => {
        if (type !== 'ERROR') {
          this.event(type, object);
          return;
        }
        // 410 Gone: the version is too old to watch from; list again
        this.version = undefined;
        finish(null);
      },
      finish,
    );
    if (!state.open) {
      state.abort();
      return;
    }
    this.stop = () => {
      state.open = false;
      state.abort?.();
    };
    if (this.closed) this.stop();
    else this.watching = true;
  }

  private event(type: string, object: LiveObject): void {
    this.failures = 0;
    if (object.metadata?.resourceVersion) this.version = object.metadata.resourceVersion;
    const name = object.metadata?.name;
    if (type === 'BOOKMARK' || !name) return;
    if (type === 'DELETED') {
      this.byName.delete(name);
      this.deleted.delete(name);
      return;
    }
    if (this.deleted.has(name) && !object.metadata?.deletionTimestamp) return;
    this.put(object);
  }

  private ended(error: unknown): void {
    if (this.closed) return;
    if ((error as { statusCode?: number } | null)?.statusCode === 403) {
      this.refused = true;
      return;
    }
    // Restart from the last version seen (list again when there is none), backing off while it
    // keeps ending without an event; questions meanwhile are LISTs.
    const delay = Math.min(100 * 2 ** this.failures++, RESTART_MAX_MS);
    setTimeout(() => {
      if (this.closed || this.watching || this.starting) return;
      this.starting = (this.version ? this.watch() : this.start())
        .catch((e: unknown) => this.ended(e))
        .finally(() => (this.starting = undefined));
    }, delay).unref();
  }

  /** Keep the newer of two copies of a namespace (resource versions compare as numbers on etcd). */
  private put(ns: LiveObject): void {
    const name = ns.metadata?.name ?? '';
    const known = Number(this.byName.get(name)?.metadata?.resourceVersion);
    const seen = Number(ns.metadata?.resourceVersion);
    if (Number.isFinite(known) && Number.isFinite(seen) && seen < known) return;
    this.byName.set(name, ns);
  }
}
