/**
 * The two rungs of the terminal benchmark behind one small interface, and the procedures run on
 * both (anchors-terminal.md §8.3):
 * - raw: dockerode exec (Tty, hijacked socket, stdin) on the console container, from this process;
 * - ours: the platform's `/terminal` socket.io namespace with a participant's cookie, speaking the
 *   protocol of terminal-events-map.ts and acknowledging every output chunk at once.
 * Both start the shell the platform starts (`bash -l` as the console user) and then type the same
 * init line, which replaces it with `bash --noprofile --norc` with `PS1='$ '`, so echo bytes are predictable.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { io, type Socket } from 'socket.io-client';
import type {
  Attached,
  Reply,
  TerminalClientToServer,
  TerminalServerToClient,
} from '../../../contract/terminal-events.ts';

export interface BenchTerminal {
  readonly rung: 'raw' | 'ours';
  send(data: string): void;
  /** Receives every output chunk with the time (`process.hrtime.bigint()`) it was handed to us. */
  sink: (chunk: Buffer, at: bigint) => void;
  /** Output bytes received so far. */
  readonly bytes: number;
  /** Set when the terminal ended or its connection broke (with the reason). */
  readonly broken: string | undefined;
  close(): Promise<void>;
}

export const COLS = 80;
export const ROWS = 24;

/** The console shell as the platform starts it (driver.openShell): `bash -l` as the console user. */
export async function openRawTerminal(
  docker: Docker,
  container: string,
  user = 'trainee',
  workdir = '/home/trainee',
): Promise<BenchTerminal> {
  const exec = await docker.getContainer(container).exec({
    Cmd: ['/bin/bash', '-l'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: ['TERM=xterm-256color', 'LANG=C.UTF-8'],
    User: user,
    WorkingDir: workdir,
  });
  const socket: Duplex = await exec.start({ hijack: true, stdin: true, Tty: true });
  (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  await exec.resize({ h: ROWS, w: COLS }).catch(() => undefined);
  let bytes = 0;
  let broken: string | undefined;
  const terminal: BenchTerminal = {
    rung: 'raw',
    send: (data) => {
      socket.write(data);
    },
    sink: () => undefined,
    get bytes() {
      return bytes;
    },
    get broken() {
      return broken;
    },
    close: async () => {
      if (broken === undefined && !socket.destroyed) {
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.write('\x15exit\r');
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      }
      socket.destroy();
    },
  };
  socket.on('data', (chunk: Buffer) => {
    const at = process.hrtime.bigint();
    bytes += chunk.length;
    terminal.sink(chunk, at);
  });
  socket.on('close', () => (broken ??= 'closed'));
  socket.on('error', (error: Error) => (broken ??= error.message));
  return terminal;
}

export interface OursOptions {
  /** The platform's base URL (loopback). */
  url: string;
  /** The participant's session cookie (`name=value`). */
  cookie: string;
  host?: string;
}

type TerminalSocket = Socket<TerminalServerToClient, TerminalClientToServer>;

const toBuffer = (data: unknown): Buffer =>
  Buffer.isBuffer(data)
    ? data
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : ArrayBuffer.isView(data)
        ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
        : Buffer.from(String(data));

/** One socket (one browser tab) with one terminal on the participant's console host. */
export async function openOurTerminal(options: OursOptions): Promise<BenchTerminal> {
  const origin = options.url.replace(/\/$/, '');
  const socket: TerminalSocket = io(`${origin}/terminal`, {
    transports: ['websocket'],
    extraHeaders: { cookie: options.cookie, origin },
    forceNew: true,
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error('socket.io connect timed out'));
    }, 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(new Error(`socket.io connect failed: ${error.message}`));
    });
  });
  // assigned once, when `open` is answered; read by the handlers registered before it
  // eslint-disable-next-line prefer-const
  let terminalId: string | undefined;
  const early: [string, Buffer, bigint][] = [];
  let bytes = 0;
  let broken: string | undefined;
  const terminal: BenchTerminal = {
    rung: 'ours',
    send: (data) => {
      if (terminalId) socket.emit('input', { terminalId, data });
    },
    sink: () => undefined,
    get bytes() {
      return bytes;
    },
    get broken() {
      return broken;
    },
    close: async () => {
      if (terminalId && socket.connected) {
        const id = terminalId;
        await Promise.race([
          new Promise<void>((resolve) => {
            socket.emit('close', { terminalId: id }, () => {
              resolve();
            });
          }),
          new Promise((r) => setTimeout(r, 2000)),
        ]);
      }
      socket.disconnect();
    },
  };
  const deliver = (id: string, chunk: Buffer, at: bigint) => {
    if (id !== terminalId) return;
    bytes += chunk.length;
    socket.emit('ack', { terminalId: id, bytes: chunk.length });
    terminal.sink(chunk, at);
  };
  socket.on('output', (id, data) => {
    const at = process.hrtime.bigint();
    const chunk = toBuffer(data);
    if (terminalId === undefined) early.push([id, chunk, at]);
    else deliver(id, chunk, at);
  });
  socket.on('exit', (id, reason) => {
    if (id === terminalId) broken ??= `exit: ${reason.reason}`;
  });
  socket.on('terminal:error', (id, error) => {
    if (id === terminalId) broken ??= `${error.code}: ${error.message}`;
  });
  socket.on('disconnect', (reason) => (broken ??= `disconnected: ${reason}`));
  const reply = await new Promise<Reply<Attached>>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect(); // a shell that opens later is ended by the gateway with its socket
      reject(new Error('open timed out (30 s)'));
    }, 30_000);
    socket.emit('open', { host: options.host ?? 'console', cols: COLS, rows: ROWS }, (result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
  if (!reply.ok) {
    socket.disconnect();
    throw new Error(`open refused: ${reply.error.code}: ${reply.error.message}`);
  }
  terminalId = reply.terminal.terminalId;
  for (const [id, chunk, at] of early.splice(0)) deliver(id, chunk, at);
  return terminal;
}

/** Resolves with the time at which `test` first held for the output seen since the call. */
export function waitFor(
  terminal: BenchTerminal,
  test: (seen: string, chunk: Buffer) => boolean,
  timeoutMs = 10_000,
  what = 'output',
): Promise<bigint> {
  let seen = '';
  return new Promise<bigint>((resolve, reject) => {
    const timer = setTimeout(() => {
      terminal.sink = () => undefined;
      reject(
        new Error(
          `${terminal.rung}: timed out waiting for ${what}${terminal.broken ? ` (${terminal.broken})` : ''}; saw ${JSON.stringify(seen.slice(-300))}`,
        ),
      );
    }, timeoutMs);
    terminal.sink = (chunk, at) => {
      seen += chunk.toString('latin1');
      if (seen.length > 4096) seen = seen.slice(-2048);
      if (test(seen, chunk)) {
        clearTimeout(timer);
        terminal.sink = () => undefined;
        resolve(at);
      }
    };
  });
}

export const nonce = () => randomBytes(4).toString('hex');

/** Types the init line and waits until the predictable shell answers. */
export async function initShell(terminal: BenchTerminal): Promise<void> {
  const tag = nonce();
  const ready = waitFor(terminal, (seen) => seen.includes(`__${tag}_READY__`), 20_000, 'the init line');
  // typed: the echo shows '__%s_READY__' and the tag apart; only the printf output joins them
  terminal.send(
    `exec env PS1='$ ' PS2='> ' HISTFILE=/dev/null TERM=xterm-256color LANG=C.UTF-8 bash --noprofile --norc\r` +
      `bind 'set enable-bracketed-paste off' 2>/dev/null; stty -ixon; printf '__%s_READY__\\n' ${tag}\r`,
  );
  await ready;
  await new Promise((r) => setTimeout(r, 200)); // the prompt after the marker
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Keystroke echo: one random lowercase letter at an idle prompt, clock stopped when that byte comes
 * back; then DEL, waiting for the erase, and a random 10–40 ms gap. Returns milliseconds per sample
 * (collected in `into` as they come, so that they survive a failure).
 */
export async function echoSamples(
  terminal: BenchTerminal,
  options: { samples: number; warmup: number; until?: () => boolean; into?: number[] },
): Promise<number[]> {
  const out: number[] = options.into ?? [];
  for (let i = 0; i < options.samples + options.warmup; i++) {
    if (options.until?.()) break;
    const letter = LETTERS[Math.floor(Math.random() * LETTERS.length)]!;
    const code = letter.charCodeAt(0);
    const echoed = waitFor(
      terminal,
      (_seen, chunk) => chunk.includes(code),
      10_000,
      `the echo of '${letter}'`,
    );
    const start = process.hrtime.bigint();
    terminal.send(letter);
    const at = await echoed;
    if (i >= options.warmup) out.push(Number(at - start) / 1e6);
    const erased = waitFor(terminal, (_seen, chunk) => chunk.includes(8), 10_000, 'the erase');
    terminal.send('\x7f');
    await erased;
    await sleep(10 + Math.random() * 30);
  }
  return out;
}

/** `head -c <n>M /dev/urandom | base64` through a TTY (76-char lines, LF → CRLF): 71,744,676 bytes for 50M. */
export function bulkBytes(megabytes: number): number {
  const chars = 4 * Math.ceil((megabytes * 1024 * 1024) / 3);
  return chars + 2 * Math.ceil(chars / 76);
}

export interface BulkResult {
  seconds: number;
  mbPerSecond: number;
  /** Bytes between the end of the echoed command line and the sentinel. */
  payloadBytes: number;
  /** Every output byte from Enter to the sentinel (echo + payload + sentinel). */
  totalBytes: number;
  exact: boolean;
}

/**
 * Bulk output: times from Enter to the nonce sentinel and counts the bytes in between, to prove none
 * was dropped (expected: `bulkBytes(megabytes)`).
 */
export async function bulk(
  terminal: BenchTerminal,
  megabytes = 50,
  timeoutMs = 300_000,
): Promise<BulkResult> {
  const tag = nonce();
  const sentinel = `__${tag}_END__`;
  let total = 0;
  let payloadStart = -1;
  let tail = '';
  const command = `head -c ${megabytes}M /dev/urandom | base64; printf '__%s_END__\\n' ${tag}`;
  const done = new Promise<{ at: bigint; sentinelAt: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      terminal.sink = () => undefined;
      reject(
        new Error(`${terminal.rung}: bulk timed out after ${total} bytes (${terminal.broken ?? 'open'})`),
      );
    }, timeoutMs);
    terminal.sink = (chunk, at) => {
      const text = chunk.toString('latin1');
      const before = total;
      total += chunk.length;
      const window = tail + text;
      const base = before - tail.length;
      if (payloadStart < 0) {
        const eol = window.indexOf('\r\n');
        if (eol >= 0) payloadStart = base + eol + 2;
      }
      const hit = payloadStart >= 0 ? window.indexOf(sentinel, Math.max(0, payloadStart - base)) : -1;
      if (hit >= 0) {
        clearTimeout(timer);
        terminal.sink = () => undefined;
        resolve({ at, sentinelAt: base + hit });
        return;
      }
      tail = window.slice(-64);
    };
  });
  const start = process.hrtime.bigint();
  terminal.send(`${command}\r`);
  const { at, sentinelAt } = await done;
  const seconds = Number(at - start) / 1e9;
  const payloadBytes = sentinelAt - payloadStart;
  const expected = bulkBytes(megabytes);
  await sleep(300); // the rest of the sentinel line and the prompt
  return {
    seconds: Math.round(seconds * 1000) / 1000,
    mbPerSecond: Math.round((payloadBytes / 1e6 / seconds) * 100) / 100,
    payloadBytes,
    totalBytes: total,
    exact: payloadBytes === expected,
  };
}
