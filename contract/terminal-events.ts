/**
 * The socket.io messages of the `/terminal` namespace: the contract between the terminal gateway
 * (`terminal-gateway.ts`) and its clients (the web console, protocol tests, the benchmark), which
 * connect with `io(origin + '/terminal', { transports: ['websocket'] })` and the session cookie.
 *
 * One socket carries any number of terminals, each named by a `terminalId` the server chooses.
 * - Output is bytes (`Uint8Array`), batched by the server (a few ms or ~64 KiB; flushed at once
 *   after input). The owner acknowledges output bytes from xterm's write callback (`ack`); the
 *   server pauses the shell's engine stream above a high watermark of unacknowledged bytes and
 *   resumes below a low one. Viewers acknowledge too; a viewer that falls too far behind is sent a
 *   fresh `snapshot` instead of the bytes it missed, and never slows the owner.
 * - A shell outlives a dropped connection for a grace period. `open` with the `terminalId` of a
 *   live shell of the same principal resumes it and returns a snapshot of the screen (serialized
 *   server-side headless xterm). Input is accepted only from the socket currently attached as the
 *   owner, so keystrokes a client buffered while disconnected are dropped, never executed.
 * - `close`, expiry of the exercise or of the session, and logout kill the shell in the container.
 * - Limits (the server's, documented in README.md): input beyond `maxQueuedInputBytes` waiting for the
 *   shell is dropped (INPUT_BACKLOG, once); a participant's messages and bytes per second are bounded
 *   (over budget, the server stops reading its connection for a while: its sends wait, nothing is
 *   dropped); output pauses while the socket's transport holds more than 1 MiB unsent, whatever the
 *   client acknowledges, and a socket whose transport does not drain within 10 s is disconnected (its
 *   shells enter the grace period); shells are capped per person (across re-joins) and per team (TOO_MANY).
 */
export const TERMINAL_NAMESPACE = '/terminal';

/** Limits both ends agree on. */
export const TERMINAL_LIMITS = {
  /** Largest `input` message (UTF-8 bytes); a bigger paste is refused with PASTE_TOO_LARGE. */
  maxInputBytes: 64 * 1024,
  /**
   * Input accepted for a shell and not yet taken by it (its program does not read stdin) is at most
   * this many bytes. Input beyond it is dropped, never buffered: the owner gets one `terminal:error`
   * INPUT_BACKLOG, and nothing more until input is accepted again (then a new refusal tells again).
   */
  maxQueuedInputBytes: 256 * 1024,
  /** The client acknowledges at least every this many bytes (and whenever output stops). */
  ackEveryBytes: 64 * 1024,
  minCols: 2,
  maxCols: 500,
  minRows: 1,
  maxRows: 200,
} as const;

export interface TerminalError {
  code: string;
  message: string;
}

export type Reply<T> = ({ ok: true } & T) | { ok: false; error: TerminalError };

export interface OpenRequest {
  /** Resume this shell (after a reload or a reconnect) instead of starting a new one. */
  terminalId?: string;
  /** Staff only: the exercise and team whose host to open (participants: their own, implied). */
  exerciseId?: string;
  teamId?: string;
  /** A host of the team that has a console in the scenario. */
  host: string;
  cols: number;
  rows: number;
}

export interface TerminalInfo {
  terminalId: string;
  exerciseId: string;
  teamId: string;
  host: string;
  /** Display name of whoever opened the shell. */
  openedBy: string;
  /** ISO 8601. */
  startedAt: string;
  /** Whether the owner is attached now (false during the grace period). */
  attached: boolean;
  cols: number;
  rows: number;
}

export interface Attached {
  terminal: TerminalInfo;
  role: 'owner' | 'viewer';
  /** Screen state to write into a reset xterm before live output (empty for a new shell). */
  snapshot: string;
  /** True when the exercise records keystrokes too: the console must tell the trainee. */
  recordsInput: boolean;
  resumed: boolean;
}

export interface RecordingInfo {
  recordingId: string;
  terminalId: string;
  exerciseId: string;
  teamId: string;
  host: string;
  openedBy: string;
  startedAt: string;
  endedAt: string | null;
  bytes: number;
  truncated: boolean;
  includesInput: boolean;
}

export interface TerminalClientToServer {
  open: (request: OpenRequest, reply: (result: Reply<Attached>) => void) => void;
  /** Staff: read-only view of a live terminal of an exercise they may watch. */
  watch: (request: { terminalId: string }, reply: (result: Reply<Attached>) => void) => void;
  /** Staff: the live terminals of an exercise. */
  list: (
    request: { exerciseId: string },
    reply: (result: Reply<{ terminals: TerminalInfo[] }>) => void,
  ) => void;
  /** Keystrokes or a paste (owner only; at most `maxInputBytes`; dropped with INPUT_BACKLOG beyond `maxQueuedInputBytes`). */
  input: (request: { terminalId: string; data: string }) => void;
  /** New size (owner only; debounced by the client, sent only on change). */
  resize: (request: { terminalId: string; cols: number; rows: number }) => void;
  /** Bytes of output written (xterm write callback) since the previous ack. */
  ack: (request: { terminalId: string; bytes: number }) => void;
  /** Stop viewing (viewer) or end the shell (owner: killed in the container). */
  close: (request: { terminalId: string }, reply?: (result: Reply<object>) => void) => void;
}

export interface TerminalServerToClient {
  /** Output bytes of a terminal, in order. */
  output: (terminalId: string, data: Uint8Array) => void;
  /** Replace the screen (a viewer that fell behind): reset the xterm, then write this. */
  snapshot: (terminalId: string, snapshot: string) => void;
  /** The terminal's size changed (viewers follow the owner's size). */
  resized: (terminalId: string, cols: number, rows: number) => void;
  /** The shell ended (exit, close, expiry, logout, host reset); `reason` says which. */
  exit: (terminalId: string, reason: { code: number | null; reason: string }) => void;
  /** A refused input/resize/ack, e.g. PASTE_TOO_LARGE, INPUT_BACKLOG or NOT_OWNER. */
  'terminal:error': (terminalId: string, error: TerminalError) => void;
}
