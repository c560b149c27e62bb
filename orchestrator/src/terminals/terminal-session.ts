import serializePackage from '@xterm/addon-serialize';
import unicode11Package from '@xterm/addon-unicode11';
import headlessPackage from '@xterm/headless';
import type { ShellStream } from '../runtime/runtime-driver.ts';
import type { AsciicastRecorder } from './asciicast-recorder.ts';
import {
  TERMINAL_LIMITS,
  type TerminalInfo,
  type TerminalServerToClient,
} from '../../../contract/terminal-events.ts';

const { Terminal } = headlessPackage;
const { SerializeAddon } = serializePackage;
const { Unicode11Addon } = unicode11Package;

/** One end a session talks to: a socket attached as the owner or as a viewer. */
export interface TerminalPeer {
  readonly id: string;
  emit<E extends keyof TerminalServerToClient>(
    event: E,
    ...args: Parameters<TerminalServerToClient[E]>
  ): void;
  /**
   * Bytes sent to this peer that its transport has not handed to the network yet (socket.io's write
   * buffer and the websocket's buffered amount): what the peer really drained, whatever it acknowledges.
   */
  backlog?(): number;
}

/** Flow-control and batching numbers (bytes, ms). */
export interface FlowLimits {
  /** Pause the engine stream above this many bytes not acknowledged by the owner (or not yet parsed by the mirror). */
  highWatermark: number;
  /** Resume below this. */
  lowWatermark: number;
  /** Flush a batch at this size… */
  batchBytes: number;
  /** …or this long after its first chunk. */
  batchMs: number;
  /** A viewer with more unacknowledged bytes than this is sent nothing until it catches up, then a snapshot. */
  viewerMaxUnacked: number;
  /**
   * Above this many bytes in a peer's transport backlog (acknowledged or not), the owner's output pauses
   * the engine stream and a viewer is sent nothing (then a snapshot once it drained)…
   */
  transportHigh: number;
  /** …until the backlog is below this. */
  transportLow: number;
  /** Input queued for the shell (not yet taken by the engine) beyond which more input is refused. */
  maxQueuedInput: number;
}

export const DEFAULT_FLOW: FlowLimits = {
  highWatermark: 512 * 1024,
  lowWatermark: 128 * 1024,
  batchBytes: 64 * 1024,
  batchMs: 4,
  viewerMaxUnacked: 1024 * 1024,
  transportHigh: 1024 * 1024,
  transportLow: 256 * 1024,
  maxQueuedInput: TERMINAL_LIMITS.maxQueuedInputBytes,
};

/** How often a session looks again at a backlog it waits on (ms). */
const BACKLOG_POLL_MS = 100;

export const MIRROR_SCROLLBACK = 1000;

export interface TerminalSessionOptions {
  terminalId: string;
  exerciseId: string;
  teamId: string;
  host: string;
  openedBy: string;
  /** Who may resume it (same principal). */
  ownerKey: string;
  /** The session (cookie) it was opened by: it ends with that session. */
  sessionId: string;
  shell: ShellStream;
  cols: number;
  rows: number;
  recorder?: AsciicastRecorder;
  recordsInput: boolean;
  /** How long the shell outlives its owner's socket. */
  graceMs: number;
  flow?: Partial<FlowLimits>;
  /** Called once, when the shell has ended (the exit was sent to every peer). */
  onEnded?: (session: TerminalSession, exit: { code: number | null; reason: string }) => void;
  clock?: () => number;
}

interface Attachment {
  peer: TerminalPeer;
  /** live: gets output; syncing: waits for its snapshot (output kept in `pending`); stalled: a viewer too far behind. */
  mode: 'live' | 'syncing' | 'stalled';
  pending: Uint8Array[];
  /** Viewers only (the owner's count is the session's). */
  unacked: number;
}

/** INPUT_BACKLOG: refused, tell the owner; INPUT_DROPPED: refused again in the same episode, say nothing. */
export type InputRefusal = 'NOT_OWNER' | 'PASTE_TOO_LARGE' | 'ENDED' | 'INPUT_BACKLOG' | 'INPUT_DROPPED';

/**
 * One live shell: its engine stream, the owner's socket (at most one; none during the grace period),
 * read-only viewers, a headless xterm mirror for snapshots, and the recorder. Output stays bytes:
 * chunks are batched (`batchMs` / `batchBytes`, at once after input), counted against the owner's
 * acknowledgements and the mirror's parsing, and the engine stream is paused above the high
 * watermark and resumed below the low one. Viewers have their own bounded window and never pause the shell.
 */
export class TerminalSession {
  readonly terminalId: string;
  readonly exerciseId: string;
  readonly teamId: string;
  readonly host: string;
  readonly openedBy: string;
  readonly ownerKey: string;
  readonly sessionId: string;
  readonly recordsInput: boolean;
  readonly startedAt: Date;
  cols: number;
  rows: number;

  private readonly options: TerminalSessionOptions;
  private readonly flow: FlowLimits;
  private readonly shell: ShellStream;
  private readonly mirror: InstanceType<typeof Terminal>;
  private readonly serializer: InstanceType<typeof SerializeAddon>;
  private owner: Attachment | undefined;
  private readonly viewers = new Map<string, Attachment>();
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private flushNext = false;
  private resizeChain: Promise<void> = Promise.resolve();
  private resizesInFlight = 0;
  private inputAfterResize: string[] = [];
  private inputAfterResizeBytes = 0;
  /** Input is being refused (the shell does not take it): the owner was told once. */
  private refusingInput = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private ownerUnacked = 0;
  private mirrorPending = 0;
  private paused = true;
  private started = false;
  private endReason: string | undefined;
  private ended = false;
  private readonly endedPromise: Promise<void>;
  private resolveEnded: () => void = () => undefined;

  constructor(options: TerminalSessionOptions) {
    this.options = options;
    this.terminalId = options.terminalId;
    this.exerciseId = options.exerciseId;
    this.teamId = options.teamId;
    this.host = options.host;
    this.openedBy = options.openedBy;
    this.ownerKey = options.ownerKey;
    this.sessionId = options.sessionId;
    this.recordsInput = options.recordsInput;
    this.cols = options.cols;
    this.rows = options.rows;
    this.startedAt = new Date((options.clock ?? Date.now)());
    this.flow = { ...DEFAULT_FLOW, ...options.flow };
    this.shell = options.shell;
    this.mirror = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: MIRROR_SCROLLBACK,
      allowProposedApi: true,
    });
    this.mirror.loadAddon(new Unicode11Addon());
    this.mirror.unicode.activeVersion = '11';
    this.serializer = new SerializeAddon();
    this.mirror.loadAddon(this.serializer);
    this.endedPromise = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get info(): TerminalInfo {
    return {
      terminalId: this.terminalId,
      exerciseId: this.exerciseId,
      teamId: this.teamId,
      host: this.host,
      openedBy: this.openedBy,
      startedAt: this.startedAt.toISOString(),
      attached: this.owner !== undefined,
      cols: this.cols,
      rows: this.rows,
    };
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Resolves once the shell has ended and every peer was told. */
  get done(): Promise<void> {
    return this.endedPromise;
  }

  isOwner(peerId: string): boolean {
    return this.owner?.peer.id === peerId;
  }

  isViewer(peerId: string): boolean {
    return this.viewers.has(peerId);
  }

  /** Start reading the shell (call once, after attaching the first owner so that nothing is missed). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const stream = this.shell.stream;
    stream.on('data', this.onData);
    stream.on('error', () => undefined); // the end is reported by `exited`
    this.shell.exited.then(
      (code) => this.finish(code),
      () => this.finish(null),
    );
    this.updateFlow(); // paused since the hand-over: resumes now (nothing is unacknowledged yet)
  }

  /**
   * Attach a socket as the owner (a new shell, or a resume: the previous owner socket, if any, is
   * detached), optionally at a new size. `ready` gets the screen snapshot and runs before any further
   * output reaches the socket, so the reply carrying it arrives first.
   */
  attachOwner(
    peer: TerminalPeer,
    size: { cols: number; rows: number },
    ready: (snapshot: string) => void,
  ): void {
    if (this.ended) return;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const previous = this.owner;
    if (previous && previous.peer.id !== peer.id)
      previous.peer.emit('terminal:error', this.terminalId, {
        code: 'DETACHED',
        message: 'this terminal was opened elsewhere',
      });
    this.viewers.delete(peer.id);
    if (size.cols !== this.cols || size.rows !== this.rows) this.applyResize(size.cols, size.rows);
    this.flush();
    const attachment: Attachment = { peer, mode: 'syncing', pending: [], unacked: 0 };
    this.owner = attachment;
    this.ownerUnacked = 0;
    this.updateFlow();
    this.snapshot((snapshot) => {
      if (this.owner !== attachment) return;
      ready(snapshot);
      this.goLive(attachment);
    });
  }

  /** The owner's socket went away: the shell lives on for the grace period, then is killed. */
  detachOwner(peerId: string): void {
    if (this.owner?.peer.id !== peerId) return;
    this.owner = undefined;
    if (this.ended) return;
    this.graceTimer = setTimeout(() => void this.kill('grace-expired'), this.options.graceMs);
    this.graceTimer.unref();
  }

  /** A read-only viewer; `ready` gets its snapshot before its first output. */
  addViewer(peer: TerminalPeer, ready: (snapshot: string) => void): void {
    if (this.ended) return;
    this.flush();
    const attachment: Attachment = { peer, mode: 'syncing', pending: [], unacked: 0 };
    this.viewers.set(peer.id, attachment);
    this.snapshot((snapshot) => {
      if (this.viewers.get(peer.id) !== attachment) return;
      ready(snapshot);
      this.goLive(attachment);
    });
  }

  removeViewer(peerId: string): boolean {
    return this.viewers.delete(peerId);
  }

  ack(peerId: string, bytes: number): void {
    if (!Number.isFinite(bytes) || bytes <= 0) return;
    if (this.owner?.peer.id === peerId) {
      this.ownerUnacked = Math.max(0, this.ownerUnacked - bytes);
      this.updateFlow();
      return;
    }
    const viewer = this.viewers.get(peerId);
    if (!viewer) return;
    viewer.unacked = Math.max(0, viewer.unacked - bytes);
    this.maybeResync(viewer);
  }

  /** Keystrokes or a paste from the owner's socket (anything else is refused). */
  input(peerId: string, data: string): InputRefusal | undefined {
    if (this.ended) return 'ENDED';
    if (this.owner?.peer.id !== peerId) return 'NOT_OWNER';
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes > TERMINAL_LIMITS.maxInputBytes) return 'PASTE_TOO_LARGE';
    if (data.length === 0) return undefined;
    if (!this.shell.stream.writable) return 'ENDED';
    // Input honours the shell's back-pressure: what the engine has not taken yet is bounded.
    if (this.queuedInput + bytes > this.flow.maxQueuedInput) {
      if (this.refusingInput) return 'INPUT_DROPPED';
      this.refusingInput = true;
      return 'INPUT_BACKLOG';
    }
    this.refusingInput = false;
    // Keystrokes typed after a resize reach the shell after it (a program started by them sees the new size).
    if (this.resizesInFlight > 0) {
      this.inputAfterResize.push(data);
      this.inputAfterResizeBytes += bytes;
    } else this.write(data);
    return undefined;
  }

  /** Input bytes accepted and not yet taken by the engine (the stream's write buffer, and input waiting on a resize). */
  get queuedInput(): number {
    return this.shell.stream.writableLength + this.inputAfterResizeBytes;
  }

  /** A new size from the owner (bounds checked by the caller); viewers follow. */
  resize(peerId: string, cols: number, rows: number): boolean {
    if (this.ended || this.owner?.peer.id !== peerId) return false;
    if (cols === this.cols && rows === this.rows) return true;
    this.applyResize(cols, rows);
    return true;
  }

  /** End the shell: killed in the container; every peer gets `exit` with this reason. */
  async kill(reason: string): Promise<void> {
    if (this.ended) return;
    this.endReason ??= reason;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    // the stream closes once the shell is killed; never wait for ever on an engine that does not answer
    const fallback = setTimeout(() => this.finish(null), 10_000);
    await Promise.race([
      this.shell.kill().catch(() => undefined), // a failure: the container is gone, and so is the shell
      this.endedPromise,
    ]);
    if (!this.started) this.finish(null);
    await this.endedPromise;
    clearTimeout(fallback);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private readonly onData = (chunk: Buffer): void => {
    if (this.ended) return;
    const length = chunk.length;
    this.ownerUnacked += length;
    this.mirrorPending += length;
    this.mirror.write(chunk, () => {
      this.mirrorPending -= length;
      if (this.paused) this.updateFlow();
    });
    this.options.recorder?.output(chunk);
    this.batch.push(chunk);
    this.batchBytes += length;
    if (this.flushNext || this.batchBytes >= this.flow.batchBytes) {
      this.flushNext = false;
      this.flush();
    } else this.batchTimer ??= setTimeout(this.flush, this.flow.batchMs);
    this.updateFlow();
  };

  private updateFlow(): void {
    if (!this.started || this.ended) return;
    const { highWatermark, lowWatermark, transportHigh, transportLow } = this.flow;
    const backlog = this.owner ? backlogOf(this.owner.peer) : 0;
    if (
      !this.paused &&
      (this.ownerUnacked > highWatermark || this.mirrorPending > highWatermark || backlog > transportHigh)
    ) {
      this.paused = true;
      this.shell.stream.pause();
    } else if (
      this.paused &&
      this.ownerUnacked < lowWatermark &&
      this.mirrorPending < lowWatermark &&
      backlog < transportLow
    ) {
      this.paused = false;
      this.shell.stream.resume();
    }
    // a transport drains without telling us: look again while the owner's backlog holds the shell
    if (this.paused && backlog >= transportLow) this.poll();
  }

  /** Look again soon at the backlogs this session waits on (the owner's, stalled viewers'). */
  private poll(): void {
    this.pollTimer ??= setTimeout(() => {
      this.pollTimer = undefined;
      if (this.ended) return;
      this.updateFlow();
      for (const viewer of this.viewers.values()) this.maybeResync(viewer);
    }, BACKLOG_POLL_MS);
  }

  /** A stalled viewer that acknowledged everything and whose transport drained gets a fresh snapshot. */
  private maybeResync(viewer: Attachment): void {
    if (viewer.mode !== 'stalled') return;
    if (viewer.unacked === 0 && backlogOf(viewer.peer) < this.flow.transportLow) this.resync(viewer);
    else if (viewer.unacked === 0) this.poll();
  }

  private readonly flush = (): void => {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batchBytes === 0) return;
    const data = this.batch.length === 1 ? (this.batch[0] as Uint8Array) : Buffer.concat(this.batch);
    this.batch = [];
    this.batchBytes = 0;
    if (this.owner) this.deliver(this.owner, data, true);
    for (const viewer of this.viewers.values()) this.deliver(viewer, data, false);
  };

  private deliver(to: Attachment, data: Uint8Array, owner: boolean): void {
    if (to.mode === 'syncing') {
      to.pending.push(data);
      return;
    }
    if (to.mode === 'stalled') return;
    if (!owner) {
      if (
        to.unacked + data.length > this.flow.viewerMaxUnacked ||
        backlogOf(to.peer) > this.flow.transportHigh
      ) {
        // sent nothing more until it has acknowledged everything and its transport drained, then a snapshot
        to.mode = 'stalled';
        this.maybeResync(to);
        return;
      }
      to.unacked += data.length;
    }
    to.peer.emit('output', this.terminalId, data);
  }

  private goLive(to: Attachment): void {
    to.mode = 'live';
    const pending = to.pending;
    to.pending = [];
    for (const data of pending) this.deliver(to, data, to === this.owner);
  }

  private resync(viewer: Attachment): void {
    this.flush();
    viewer.mode = 'syncing';
    viewer.pending = [];
    this.snapshot((snapshot) => {
      if (this.viewers.get(viewer.peer.id) !== viewer) return;
      viewer.peer.emit('snapshot', this.terminalId, snapshot);
      this.goLive(viewer);
    });
  }

  /** The mirror's screen once every byte received so far is parsed (later bytes are not in it). */
  private snapshot(then: (snapshot: string) => void): void {
    this.mirror.write('', () => {
      if (this.ended) return;
      then(this.serializer.serialize({ scrollback: MIRROR_SCROLLBACK }));
    });
  }

  private write(data: string): void {
    const stream = this.shell.stream;
    if (this.ended || !stream.writable) return;
    stream.write(data, 'utf8');
    this.options.recorder?.input(data);
    // the echo (and whatever is batched) goes out at once
    this.flushNext = true;
    this.flush();
  }

  private applyResize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.mirror.resize(cols, rows);
    this.options.recorder?.resize(cols, rows);
    // Resizes reach the engine one after another, in order; input waits for them.
    this.resizesInFlight++;
    this.resizeChain = this.resizeChain
      .then(() => this.shell.resize(cols, rows))
      .catch(() => undefined)
      .then(() => {
        if (--this.resizesInFlight > 0) return;
        const queued = this.inputAfterResize;
        this.inputAfterResize = [];
        this.inputAfterResizeBytes = 0;
        for (const data of queued) this.write(data);
      });
    for (const viewer of this.viewers.values()) viewer.peer.emit('resized', this.terminalId, cols, rows);
  }

  private finish(code: number | null): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.inputAfterResize = [];
    this.inputAfterResizeBytes = 0;
    this.shell.stream.off('data', this.onData);
    const exit = { code, reason: this.endReason ?? 'exit' };
    this.owner?.peer.emit('exit', this.terminalId, exit);
    for (const viewer of this.viewers.values()) viewer.peer.emit('exit', this.terminalId, exit);
    this.owner = undefined;
    this.viewers.clear();
    this.mirror.dispose();
    this.options.onEnded?.(this, exit);
    this.resolveEnded();
  }
}

function backlogOf(peer: TerminalPeer): number {
  return peer.backlog?.() ?? 0;
}
