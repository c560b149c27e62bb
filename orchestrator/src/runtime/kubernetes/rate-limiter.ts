/**
 * Token bucket: `qps` requests per second on average, bursts of `burst`. Callers are served in the
 * order they asked (one queue), so a thousand teams asking at once neither starve one another nor
 * wake up together. Pure: the clock and the sleep are injectable (tests run on a virtual clock).
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();
  /** Callers waiting for a token now (a gauge for tests and metrics). */
  waiting = 0;
  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (!(qps > 0) || !(burst >= 1))
      throw new RangeError(`rate limiter: qps must be > 0 and burst ≥ 1 (got ${qps}, ${burst})`);
    this.tokens = burst;
    this.last = clock();
  }

  take(): Promise<void> {
    this.waiting++;
    const next = this.queue.then(async () => {
      for (;;) {
        const now = this.clock();
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
        this.last = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          this.waiting--;
          return;
        }
        await this.sleep(Math.ceil(((1 - this.tokens) / this.qps) * 1000));
      }
    });
    this.queue = next;
    return next;
  }
}
