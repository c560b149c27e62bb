import { CyropError } from '../errors.ts';

export interface LoginRateLimits {
  /** Failures allowed per email within the window (5). */
  perEmail: number;
  /** Failures allowed per client address within the window (30: a classroom shares one NAT address). */
  perIp: number;
  /** The sliding window (15 minutes). */
  windowMs: number;
}

export const DEFAULT_LOGIN_RATE_LIMITS: LoginRateLimits = {
  perEmail: 5,
  perIp: 30,
  windowMs: 15 * 60 * 1000,
};

/**
 * Failed sign-ins counted per email and per client address in a sliding window, in memory (one
 * server process; a restart forgives). Once a key is over its limit every attempt is refused with
 * RATE_LIMITED — even one with the right password — until the oldest failure leaves the window.
 */
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: () => number,
    private readonly limits: LoginRateLimits = DEFAULT_LOGIN_RATE_LIMITS,
  ) {}

  /** Throws RATE_LIMITED (details.retryAfterSeconds) when the email or the address is locked out. */
  check(email: string, ip: string | undefined): void {
    const now = this.clock();
    let retryAt = 0;
    for (const [key, limit] of this.keys(email, ip)) {
      const recent = this.recent(key, now);
      const oldest = recent[recent.length - limit];
      if (oldest !== undefined) retryAt = Math.max(retryAt, oldest + this.limits.windowMs);
    }
    if (retryAt > now) {
      const retryAfterSeconds = Math.ceil((retryAt - now) / 1000);
      throw new CyropError('RATE_LIMITED', `too many failed sign-ins; try again in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
  }

  fail(email: string, ip: string | undefined): void {
    const now = this.clock();
    for (const [key] of this.keys(email, ip)) this.failures.set(key, [...this.recent(key, now), now]);
    if (this.failures.size > 10_000) this.prune(now);
  }

  /** A successful sign-in forgives the email's failures (not the address's). */
  succeed(email: string): void {
    this.failures.delete(`email:${email}`);
  }

  private keys(email: string, ip: string | undefined): [string, number][] {
    return [
      [`email:${email}`, this.limits.perEmail],
      ...(ip ? ([[`ip:${ip}`, this.limits.perIp]] as [string, number][]) : []),
    ];
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.limits.windowMs);
  }

  private prune(now: number): void {
    for (const key of [...this.failures.keys()]) {
      const recent = this.recent(key, now);
      if (recent.length) this.failures.set(key, recent);
      else this.failures.delete(key);
    }
  }
}
