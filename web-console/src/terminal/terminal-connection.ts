import { io, type Socket } from 'socket.io-client';
import type {
  TerminalClientToServer,
  TerminalError,
  TerminalServerToClient,
} from '../../../contract/terminal-events.ts';
import { TERMINAL_NAMESPACE } from './terminal-limits.ts';

export type TerminalSocket = Socket<TerminalServerToClient, TerminalClientToServer>;

/** What a terminal pane gets from the shared socket. */
export interface TerminalListener {
  output(data: Uint8Array): void;
  snapshot(snapshot: string): void;
  resized(cols: number, rows: number): void;
  exit(reason: { code: number | null; reason: string }): void;
  error(error: TerminalError): void;
}

/**
 * One socket.io connection to `/terminal` (websocket only, the session cookie) shared by every
 * terminal of the page: routes server messages to the pane of each terminalId, and tells panes
 * when the connection drops and comes back (they re-open their terminal then).
 */
export class TerminalConnection {
  readonly socket: TerminalSocket;
  private readonly panes = new Map<string, TerminalListener>();
  /** Output for a terminal whose pane is not registered yet (between the server's reply and the pane). */
  private readonly early = new Map<string, Uint8Array[]>();
  private readonly stateListeners = new Set<(connected: boolean) => void>();
  private readonly errorListeners = new Set<(message: string) => void>();

  constructor() {
    this.socket = io(TERMINAL_NAMESPACE, { transports: ['websocket'], withCredentials: true });
    this.socket.on('output', (id, data) => {
      const bytes = toBytes(data);
      const pane = this.panes.get(id);
      if (pane) pane.output(bytes);
      else {
        const list = this.early.get(id) ?? [];
        if (list.length < 256) list.push(bytes);
        this.early.set(id, list);
      }
    });
    this.socket.on('snapshot', (id, snapshot) => this.panes.get(id)?.snapshot(snapshot));
    this.socket.on('resized', (id, cols, rows) => this.panes.get(id)?.resized(cols, rows));
    this.socket.on('exit', (id, reason) => this.panes.get(id)?.exit(reason));
    this.socket.on('terminal:error', (id, error) => this.panes.get(id)?.error(error));
    this.socket.on('connect', () => {
      for (const listener of this.stateListeners) listener(true);
    });
    this.socket.on('connect_error', (error) => {
      for (const listener of this.errorListeners) listener(error.message);
    });
    this.socket.on('disconnect', () => {
      this.early.clear();
      for (const listener of this.stateListeners) listener(false);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Routes a terminal's messages to `listener`, with any output that arrived before. */
  register(terminalId: string, listener: TerminalListener): void {
    this.panes.set(terminalId, listener);
    const early = this.early.get(terminalId);
    this.early.delete(terminalId);
    for (const bytes of early ?? []) listener.output(bytes);
  }

  unregister(terminalId: string, listener: TerminalListener): void {
    if (this.panes.get(terminalId) === listener) this.panes.delete(terminalId);
    this.early.delete(terminalId);
  }

  onState(listener: (connected: boolean) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** The connection was refused or failed (socket.io retries transport failures by itself). */
  onError(listener: (message: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  close(): void {
    this.stateListeners.clear();
    this.errorListeners.clear();
    this.panes.clear();
    this.socket.disconnect();
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return new Uint8Array(0);
}
