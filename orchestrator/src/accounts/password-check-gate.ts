import { CyropError } from '../errors.ts';

export interface PasswordCheckLimits {
  /** Password checks (scrypt) running at once (4: libuv's thread pool, ~32 MiB each). */
  concurrent: number;
  /** Checks waiting for a turn; beyond that a check is refused at once. */
  queued: number;
}

export const DEFAULT_PASSWORD_CHECK_LIMITS: PasswordCheckLimits = { concurrent: 4, queued: 32 };

export interface PasswordCheckStats {
  /** Checks that ran (each one scrypt). */
  ran: number;
  /** Checks refused because the queue was full. */
  refused: number;
  /** The most that ever ran at once. */
  peak: number;
  running: number;
  queued: number;
}

/**
 * A small semaphore with a bounded queue in front of every password check: scrypt is slow and
 * memory-hungry on purpose, so however many sign-ins arrive at once, at most `concurrent` run and
 * `queued` wait; the rest are refused at once with RATE_LIMITED (retry after a second).
 */
export class PasswordCheckGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly counts = { ran: 0, refused: 0, peak: 0 };

  constructor(private readonly limits: PasswordCheckLimits = DEFAULT_PASSWORD_CHECK_LIMITS) {}

  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.concurrent) {
      if (this.waiting.length >= this.limits.queued) {
        this.counts.refused++;
        throw new CyropError(
          'RATE_LIMITED',
          'the server is busy checking other sign-ins; try again in a second',
          { details: { retryAfterSeconds: 1 } },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    this.counts.ran++;
    this.counts.peak = Math.max(this.counts.peak, this.running);
    try {
      return await check();
    } finally {
      const next = this.waiting.shift();
      // the turn passes straight to the next in line (running stays the same)
      if (next) next();
      else this.running--;
    }
  }

  stats(): PasswordCheckStats {
    return { ...this.counts, running: this.running, queued: this.waiting.length };
  }
}
