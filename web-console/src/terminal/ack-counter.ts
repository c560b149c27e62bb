/**
 * Counts output bytes xterm has parsed (its write callbacks) and decides when to acknowledge them:
 * at once when `everyBytes` are pending, otherwise once output has been quiet for `idleMs` (so the
 * server never waits on a remainder). `send` gets the bytes to acknowledge.
 */
export class AckCounter {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly everyBytes: number,
    private readonly send: (bytes: number) => void,
    private readonly idleMs = 25,
    private readonly timers: {
      set: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;
      clear: (timer: ReturnType<typeof setTimeout>) => void;
    } = { set: (fn, ms) => setTimeout(fn, ms), clear: (t) => clearTimeout(t) },
  ) {}

  /** `bytes` of output were written (called from xterm's write callback). */
  written(bytes: number): void {
    this.pending += bytes;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    if (this.pending >= this.everyBytes) this.flush();
    else if (this.pending > 0) this.timer = this.timers.set(() => this.flush(), this.idleMs);
  }

  /** Acknowledges whatever is pending now. */
  flush(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    const bytes = this.pending;
    this.pending = 0;
    this.send(bytes);
  }

  /** Forgets pending bytes (the terminal was re-attached: the server's count starts again). */
  reset(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.pending = 0;
  }
}
