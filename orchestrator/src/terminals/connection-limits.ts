import type { Socket } from 'socket.io';

/** Per-connection limits of the `/terminal` namespace (see README.md). */
export interface ConnectionLimits {
  /** Messages a participant may send per second, over all its sockets (any namespace of them)… */
  messagesPerSecond: number;
  /** …with a burst of this many. */
  messageBurst: number;
  /** Bytes a participant may send per second (the messages' payloads)… */
  bytesPerSecond: number;
  /** …with a burst of this many. */
  byteBurst: number;
  /**
   * A socket whose transport backlog stays at or above `FlowLimits.transportLow` without shrinking for
   * this long is dropped (its shells enter the grace period): a client that does not read, whatever it
   * acknowledges.
   */
  drainTimeoutMs: number;
}

/** Messages and bytes per second, with bursts: what one budget allows. */
export type RateLimits = Pick<
  ConnectionLimits,
  'messagesPerSecond' | 'messageBurst' | 'bytesPerSecond' | 'byteBurst'
>;

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  messagesPerSecond: 500,
  messageBurst: 1000,
  bytesPerSecond: 512 * 1024,
  byteBurst: 2 * 1024 * 1024,
  drainTimeoutMs: 10_000,
};

/** What all the participants of one exercise may send together: 16 participants at their full rate. */
export const DEFAULT_EXERCISE_LIMITS: RateLimits = {
  messagesPerSecond: 8_000,
  messageBurst: 16_000,
  bytesPerSecond: 8 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
};

/**
 * Two token buckets (messages, bytes) shared by every socket of one participant. `charge` takes what
 * a message costs and answers how long (ms) the sender must wait until the buckets are back above zero:
 * 0 while the participant is within its budget.
 */
export class RateBudget {
  private messages: number;
  private bytes: number;
  private at: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.messages = limits.messageBurst;
    this.bytes = limits.byteBurst;
    this.at = clock();
  }

  charge(bytes: number): number {
    const now = this.clock();
    const seconds = Math.max(0, now - this.at) / 1000;
    this.at = now;
    const { messagesPerSecond, messageBurst, bytesPerSecond, byteBurst } = this.limits;
    this.messages = Math.min(messageBurst, this.messages + seconds * messagesPerSecond) - 1;
    this.bytes = Math.min(byteBurst, this.bytes + seconds * bytesPerSecond) - bytes;
    const wait = Math.max(
      this.messages < 0 ? (-this.messages / messagesPerSecond) * 1000 : 0,
      this.bytes < 0 ? (-this.bytes / bytesPerSecond) * 1000 : 0,
    );
    return Math.ceil(wait);
  }
}

/** The engine.io connection of a socket, as far as the limits need it (untyped internals of engine.io and ws). */
interface EngineConnection {
  writeBuffer?: { data?: unknown }[];
  transport?: { name?: string; socket?: RawWebSocket };
  on(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): void;
  off(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): void;
}
interface RawWebSocket {
  bufferedAmount?: number;
  pause?: () => void;
  resume?: () => void;
  terminate?: () => void;
}

export const engineOf = (socket: Pick<Socket, 'conn'>): EngineConnection =>
  socket.conn as unknown as EngineConnection;

const sizeOf = (data: unknown): number =>
  typeof data === 'string'
    ? data.length
    : data instanceof ArrayBuffer || ArrayBuffer.isView(data)
      ? data.byteLength
      : 0;

/**
 * Bytes emitted to a socket that its transport has not handed to the network: packets waiting in
 * engine.io's write buffer (it holds them while the websocket has a send in flight) plus the
 * websocket's own buffered amount (what the kernel did not take). A client that does not read makes
 * this grow, whatever it acknowledges.
 */
export function transportBacklog(socket: Pick<Socket, 'conn'>): number {
  const conn = engineOf(socket);
  let bytes = 0;
  for (const packet of conn.writeBuffer ?? []) bytes += sizeOf(packet.data);
  return bytes + (conn.transport?.socket?.bufferedAmount ?? 0);
}

/** Stop reading a socket's connection for `ms` (the client's sends back up on its side). */
export function pauseReading(socket: Pick<Socket, 'conn'>, ms: number): NodeJS.Timeout | undefined {
  const ws = engineOf(socket).transport?.socket;
  if (!ws?.pause || !ws.resume) return undefined;
  ws.pause();
  const timer = setTimeout(() => ws.resume?.(), ms);
  timer.unref();
  return timer;
}

/** Drop a socket's connection now, without waiting for its buffers to drain (a close would wait). */
export function dropConnection(socket: Pick<Socket, 'conn' | 'disconnect'>): void {
  engineOf(socket).transport?.socket?.terminate?.();
  socket.disconnect(true);
}

export const packetSize = sizeOf;

/** `base` with another byte rate (and a burst of four seconds of it), for configured limits. */
export const withByteRate = (bytesPerSecond: number, base: RateLimits): RateLimits => ({
  ...base,
  bytesPerSecond,
  byteBurst: 4 * bytesPerSecond,
});
