import { io as ioClient, type Socket } from 'socket.io-client';
import type {
  Attached,
  OpenRequest,
  Reply,
  TerminalClientToServer,
  TerminalError,
  TerminalInfo,
  TerminalServerToClient,
} from '../../contract/terminal-events.ts';

type TerminalSocket = Socket<TerminalServerToClient, TerminalClientToServer>;

/** What one client saw of one terminal. */
export interface Seen {
  /** Every output byte received. */
  received: number;
  /** The last bytes (up to `tailBytes`), for matching text. */
  tail: Buffer;
  /** Output chunks, kept only when asked (`keepChunks`). */
  chunks: Buffer[];
  acked: number;
  snapshots: string[];
  resized: [number, number][];
  exit?: { code: number | null; reason: string };
  errors: TerminalError[];
}

export interface ClientOptions {
  /** Acknowledge output as it arrives (a fast xterm); false: never (a stuck tab). */
  autoAck?: boolean;
  keepChunks?: boolean;
  origin?: string;
  tailBytes?: number;
}

/**
 * A test client of the `/terminal` namespace: websocket transport, the session cookie and an Origin
 * header in the handshake, like a browser. Records everything it receives per terminal.
 */
export class TerminalClient {
  readonly seen = new Map<string, Seen>();
  autoAck: boolean;

  private constructor(
    readonly socket: TerminalSocket,
    options: ClientOptions,
  ) {
    this.autoAck = options.autoAck ?? true;
    socket.on('output', (id, data) => {
      const s = this.of(id);
      const chunk = Buffer.from(data as unknown as ArrayBuffer);
      s.received += chunk.length;
      if (options.keepChunks) s.chunks.push(chunk);
      const max = options.tailBytes ?? 256 * 1024;
      s.tail =
        s.tail.length + chunk.length > max * 2
          ? Buffer.concat([s.tail, chunk]).subarray(-max)
          : Buffer.concat([s.tail, chunk]);
      if (this.autoAck) this.ack(id, chunk.length);
    });
    socket.on('snapshot', (id, snapshot) => this.of(id).snapshots.push(snapshot));
    socket.on('resized', (id, cols, rows) => this.of(id).resized.push([cols, rows]));
    socket.on('exit', (id, exit) => (this.of(id).exit = exit));
    socket.on('terminal:error', (id, error) => this.of(id).errors.push(error));
  }

  static connect(
    url: string,
    cookie: string | undefined,
    options: ClientOptions = {},
  ): Promise<TerminalClient | { error: string }> {
    const origin = options.origin ?? new URL(url).origin;
    const socket: TerminalSocket = ioClient(new URL('/terminal', url).toString(), {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin, ...(cookie ? { cookie } : {}) },
    });
    return new Promise((resolve) => {
      socket.once('connect', () => resolve(new TerminalClient(socket, options)));
      socket.once('connect_error', (e) => {
        socket.close();
        resolve({ error: e.message });
      });
    });
  }

  of(id: string): Seen {
    let s = this.seen.get(id);
    if (!s) {
      s = {
        received: 0,
        tail: Buffer.alloc(0),
        chunks: [],
        acked: 0,
        snapshots: [],
        resized: [],
        errors: [],
      };
      this.seen.set(id, s);
    }
    return s;
  }

  ack(id: string, bytes: number): void {
    this.of(id).acked += bytes;
    this.socket.emit('ack', { terminalId: id, bytes });
  }

  /** Acknowledge everything received and not yet acknowledged. */
  ackAll(id: string): void {
    const s = this.of(id);
    if (s.received > s.acked) this.ack(id, s.received - s.acked);
  }

  open(request: OpenRequest): Promise<Reply<Attached>> {
    return this.socket.timeout(30_000).emitWithAck('open', request) as Promise<Reply<Attached>>;
  }

  async openOk(request: OpenRequest): Promise<Attached> {
    const reply = await this.open(request);
    if (!reply.ok) throw new Error(`open refused: ${reply.error.code} ${reply.error.message}`);
    return reply;
  }

  watch(terminalId: string): Promise<Reply<Attached>> {
    return this.socket.timeout(30_000).emitWithAck('watch', { terminalId }) as Promise<Reply<Attached>>;
  }

  list(exerciseId: string): Promise<Reply<{ terminals: TerminalInfo[] }>> {
    return this.socket.timeout(30_000).emitWithAck('list', { exerciseId }) as Promise<
      Reply<{ terminals: TerminalInfo[] }>
    >;
  }

  close(terminalId: string): Promise<Reply<object>> {
    return this.socket.timeout(30_000).emitWithAck('close', { terminalId }) as Promise<Reply<object>>;
  }

  input(terminalId: string, data: string): void {
    this.socket.emit('input', { terminalId, data });
  }

  resize(terminalId: string, cols: number, rows: number): void {
    this.socket.emit('resize', { terminalId, cols, rows });
  }

  text(id: string): string {
    return this.of(id).tail.toString('utf8');
  }

  /** Wait until the output's tail matches (the text after `from` received bytes, when given). */
  async waitFor(id: string, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text(id));
      if (match) return match;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${String(pattern)}; saw ${JSON.stringify(this.text(id).slice(-400))}`,
        );
      await sleep(20);
    }
  }

  /** Type a command and wait for a line it prints (`tag` must not appear in the command itself). */
  async run(id: string, command: string, result: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    this.input(id, `${command}\r`);
    return this.waitFor(id, result, timeoutMs);
  }

  disconnect(): void {
    this.socket.disconnect();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
