import { isIPv4, isIPv6 } from 'node:net';

/** How one kind of key is throttled: a free allowance, then delays that double with every failure. */
export interface ThrottlePolicy {
  /** Failures allowed before delays begin (and attempts allowed to run at once while under it). */
  free: number;
  /** The first delay (ms); each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** One counted failure is forgotten per this much time without a new one (a leaky bucket). */
  leakMs: number;
}

/** Why an attempt may not run now: how long to wait, and whether this refusal starts a new delay. */
export interface ThrottleRefusal {
  retryAfterMs: number;
  /** The first refusal of this delay (worth one audit entry; the repeats are not). */
  first: boolean;
}

interface Entry {
  failures: number;
  /** When `failures` was last brought up to date (leak accounted up to here). */
  at: number;
  /** Attempts reserved and not yet settled. */
  pending: number;
  /** No new attempt before this (the running delay). */
  notBefore: number;
  /** The delay whose first refusal was already reported. */
  reportedFor: number;
}

export type AttemptOutcome = 'failure' | 'success' | 'neutral';

/**
 * Failed attempts counted per key, in memory (one server process; a restart forgives). While a key
 * is within its free allowance, attempts run (at most `free - failures` at once: a burst of
 * parallel guesses does not slip through before the first failure is counted); past it, one attempt
 * at a time, each only after a delay that doubles with every failure (`baseDelayMs` … `maxDelayMs`).
 * Failures leak away, one per `leakMs`. There is no lockout: the delay always ends.
 *
 * Memory is bounded: at most `maxKeys` keys; beyond that the least recently used idle keys go.
 */
export class AttemptThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: () => number,
    readonly policy: ThrottlePolicy,
    private readonly maxKeys = 50_000,
  ) {}

  /**
   * Reserve an attempt for `key`: undefined when it may run now (then `settle` it exactly once),
   * else the refusal saying how long to wait.
   */
  reserve(key: string): ThrottleRefusal | undefined {
    const now = this.clock();
    const entry = this.current(key, now);
    if (now < entry.notBefore) return this.refuse(entry, entry.notBefore - now);
    const underAllowance = entry.failures + entry.pending < this.policy.free;
    // Past the allowance, one attempt at a time: the next waits for this one's outcome.
    if (!underAllowance && entry.pending > 0) return { retryAfterMs: 1000, first: false };
    entry.pending++;
    this.touch(key, entry);
    return undefined;
  }

  /** The outcome of a reserved attempt: a failure counts (and may start a delay), a success forgives. */
  settle(key: string, outcome: AttemptOutcome): void {
    const now = this.clock();
    const entry = this.current(key, now);
    entry.pending = Math.max(0, entry.pending - 1);
    if (outcome === 'success') {
      entry.failures = 0;
      entry.notBefore = 0;
    } else if (outcome === 'failure') {
      entry.failures++;
      const over = entry.failures - this.policy.free;
      if (over >= 0)
        entry.notBefore =
          now + Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(over, 30));
    }
    this.touch(key, entry);
  }

  /** How many keys are remembered (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private refuse(entry: Entry, waitMs: number): ThrottleRefusal {
    const first = entry.reportedFor !== entry.notBefore;
    entry.reportedFor = entry.notBefore;
    return { retryAfterMs: waitMs, first };
  }

  /** The entry with its leak applied up to now (a new one when the key is unknown). */
  private current(key: string, now: number): Entry {
    const entry = this.entries.get(key);
    if (!entry) return { failures: 0, at: now, pending: 0, notBefore: 0, reportedFor: 0 };
    const leaked = Math.floor((now - entry.at) / this.policy.leakMs);
    if (leaked > 0) {
      entry.failures = Math.max(0, entry.failures - leaked);
      entry.at += leaked * this.policy.leakMs;
    }
    return entry;
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (entry.failures === 0 && entry.pending === 0 && entry.notBefore <= this.clock()) return;
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) this.evict();
  }

  /**
   * Forget the least recently used keys not in use (insertion order is recency: `touch` re-inserts),
   * even with a running delay: memory stays bounded whatever an attacker sends.
   */
  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys * 0.9) break;
      if (entry.pending === 0) this.entries.delete(key);
    }
  }
}

/**
 * The throttling key of a client address: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4),
 * IPv6 by its /64 (one subscriber usually holds a whole /64). Unknown addresses share one key.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return mapped;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return 'unknown';
  const [head = '', tail = ''] = (ip.split('%')[0] ?? '').split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** "12 seconds", "3 minutes": how long to wait, for people. */
export function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
