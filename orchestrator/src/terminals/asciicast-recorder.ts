import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface AsciicastHeader {
  width: number;
  height: number;
  /** Unix seconds at the start. */
  timestamp: number;
  title: string;
  shell: string;
  term?: string;
}

export interface AsciicastRecorderOptions {
  file: string;
  header: AsciicastHeader;
  /** The file stops growing at this size, with a final `m` "truncated" marker (16 MiB). */
  maxBytes?: number;
  /** Keystrokes are written as `i` events; otherwise input is never recorded. */
  recordInput?: boolean;
  /** Pending lines are appended at least this often (ms) and whenever 64 KiB are pending. */
  flushMs?: number;
  clock?: () => number;
  onError?: (error: unknown) => void;
}

export interface RecordingResult {
  bytes: number;
  truncated: boolean;
}

export const DEFAULT_RECORDING_MAX_BYTES = 16 * 1024 * 1024;
const FLUSH_BYTES = 64 * 1024;
/** Room kept for the final marker line. */
const MARKER_ROOM = 64;

/**
 * Records one terminal session as asciicast v2 (newline-delimited JSON: a header, then
 * `[seconds, code, data]` events). Output bytes are decoded with a streaming UTF-8 decoder (a
 * character split across chunks is kept whole); lines are appended in batches, each one whole, so a
 * file cut short by a crash is still playable. The file is capped: the event that would cross the cap
 * is replaced by an `m` "truncated" marker and nothing more is written.
 */
export class AsciicastRecorder {
  private readonly options: AsciicastRecorderOptions;
  private readonly maxBytes: number;
  private readonly clock: () => number;
  private readonly started: number;
  private readonly decoder = new TextDecoder('utf-8');
  private pending: string[] = [];
  private pendingBytes = 0;
  private bytes = 0;
  private truncated = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private handle: Promise<FileHandle | undefined>;

  constructor(options: AsciicastRecorderOptions) {
    this.options = options;
    this.maxBytes = Math.max(options.maxBytes ?? DEFAULT_RECORDING_MAX_BYTES, 1024);
    this.clock = options.clock ?? Date.now;
    this.started = this.clock();
    mkdirSync(path.dirname(options.file), { recursive: true });
    this.handle = open(options.file, 'a', 0o640).catch((error: unknown) => {
      this.stopped = true;
      options.onError?.(error);
      return undefined;
    });
    const h = options.header;
    this.push(
      JSON.stringify({
        version: 2,
        width: h.width,
        height: h.height,
        timestamp: h.timestamp,
        title: h.title,
        env: { TERM: h.term ?? 'xterm-256color', SHELL: h.shell },
      }),
    );
    this.flush();
  }

  get includesInput(): boolean {
    return this.options.recordInput === true;
  }

  /** Output bytes (any chunking). */
  output(chunk: Uint8Array): void {
    if (this.stopped) return;
    const text = this.decoder.decode(chunk, { stream: true });
    if (text) this.event('o', text);
  }

  /** Keystrokes: written only when the exercise records input. */
  input(text: string): void {
    if (this.options.recordInput) this.event('i', text);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  marker(label: string): void {
    this.event('m', label);
  }

  /** Write what is pending (the rest of a split character too) and close the file. */
  async close(): Promise<RecordingResult> {
    if (!this.stopped) {
      const rest = this.decoder.decode();
      if (rest) this.event('o', rest);
    }
    this.stopped = true;
    this.flush();
    await this.writing;
    const handle = await this.handle;
    await handle?.close().catch(() => undefined);
    this.handle = Promise.resolve(undefined);
    return { bytes: this.bytes, truncated: this.truncated };
  }

  /** Bytes written to the file so far (or queued for it). */
  get size(): number {
    return this.bytes + this.pendingBytes;
  }

  private event(code: 'o' | 'i' | 'r' | 'm', data: string): void {
    if (this.stopped) return;
    const seconds = Math.max(0, (this.clock() - this.started) / 1000);
    const line = `[${seconds.toFixed(6)}, ${JSON.stringify(code)}, ${JSON.stringify(data)}]`;
    if (this.size + Buffer.byteLength(line) + 1 > this.maxBytes - MARKER_ROOM) {
      this.truncated = true;
      this.push(`[${seconds.toFixed(6)}, "m", "truncated"]`);
      this.stopped = true;
      this.flush();
      return;
    }
    this.push(line);
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 250);
  }

  private push(line: string): void {
    const text = `${line}\n`;
    this.pending.push(text);
    this.pendingBytes += Buffer.byteLength(text);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    const size = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.bytes += size;
    this.writing = this.writing.then(async () => {
      const handle = await this.handle;
      if (!handle) return;
      try {
        await handle.write(text);
      } catch (error) {
        this.options.onError?.(error);
      }
    });
  }
}
