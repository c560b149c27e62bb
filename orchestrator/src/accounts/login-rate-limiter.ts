import { CyropError } from '../errors.ts';
import {
  addressKey,
  AttemptThrottle,
  describeWait,
  type AttemptOutcome,
  type ThrottlePolicy,
  type ThrottleRefusal,
} from './attempt-throttle.ts';

export interface LoginRateLimits {
  /** Per (account, address): a few free failures, then delays up to 15 minutes. */
  perAccountAddress: ThrottlePolicy;
  /** Per address, looser (a classroom shares one NAT address): delays up to a minute. */
  perAddress: ThrottlePolicy;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const DEFAULT_LOGIN_RATE_LIMITS: LoginRateLimits = {
  perAccountAddress: { free: 3, baseDelayMs: SECOND, maxDelayMs: 15 * MINUTE, leakMs: 10 * MINUTE },
  perAddress: { free: 30, baseDelayMs: SECOND, maxDelayMs: MINUTE, leakMs: MINUTE },
};

export interface JoinRateLimits {
  /** Failed joins (unknown, expired, used-up code) per address. */
  perAddress: ThrottlePolicy;
  /** Successful joins with one code (a leaked code cannot mint sessions in bulk). */
  perCode: ThrottlePolicy;
}

export const DEFAULT_JOIN_RATE_LIMITS: JoinRateLimits = {
  perAddress: { free: 10, baseDelayMs: SECOND, maxDelayMs: MINUTE, leakMs: MINUTE },
  perCode: { free: 30, baseDelayMs: SECOND, maxDelayMs: MINUTE, leakMs: 10 * SECOND },
};

/** A reserved attempt: settle it once with its outcome. */
export interface AttemptTicket {
  settle(outcome: AttemptOutcome): void;
}

const announced = new WeakSet<object>();

/**
 * True for the first refusal of a running delay (worth an audit entry); the repeats while the
 * delay runs are not, so a client hammering a throttled key cannot flood the audit log.
 */
export function isFirstRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && announced.has(error);
}

/**
 * Sign-in throttling without lockout: failures are counted per (account, address) and, more
 * loosely, per address; each key gets a few free failures, then growing delays (RATE_LIMITED with
 * details.retryAfterSeconds). An attacker elsewhere never delays the right password from another
 * address, and a successful sign-in forgives its (account, address) key.
 */
export class LoginRateLimiter {
  private readonly pairs: AttemptThrottle;
  private readonly addresses: AttemptThrottle;

  constructor(clock: () => number, limits: LoginRateLimits = DEFAULT_LOGIN_RATE_LIMITS) {
    this.pairs = new AttemptThrottle(clock, limits.perAccountAddress);
    this.addresses = new AttemptThrottle(clock, limits.perAddress);
  }

  /** Reserve a sign-in attempt, or throw RATE_LIMITED. `ip` undefined: a signed-in user's own check. */
  reserve(email: string, ip: string | undefined): AttemptTicket {
    const address = ip === undefined ? 'session' : addressKey(ip);
    return reserveAll([
      [
        this.pairs,
        `${address} ${email}`,
        'success',
        (wait) => `too many failed sign-ins for this account from your address; try again in ${wait}`,
      ],
      ...(ip === undefined
        ? []
        : ([
            [
              this.addresses,
              address,
              'neutral',
              (wait: string) => `too many failed sign-ins from your address; try again in ${wait}`,
            ],
          ] as const)),
    ]);
  }
}

/**
 * Join-by-code throttling: failed joins per address and every join per code, each with a free
 * allowance and then growing delays (RATE_LIMITED with details.retryAfterSeconds).
 */
export class JoinRateLimiter {
  private readonly addresses: AttemptThrottle;
  private readonly codes: AttemptThrottle;

  constructor(clock: () => number, limits: JoinRateLimits = DEFAULT_JOIN_RATE_LIMITS) {
    this.addresses = new AttemptThrottle(clock, limits.perAddress);
    this.codes = new AttemptThrottle(clock, limits.perCode);
  }

  /**
   * `codeHash` identifies the code without holding it. Settle with the join's outcome: a failure
   * counts against the address, a success against the code.
   */
  reserve(codeHash: string, ip: string | undefined): AttemptTicket {
    const address = addressKey(ip);
    const byAddress = reserveAll([
      [
        this.addresses,
        address,
        'neutral',
        (wait) => `too many failed join attempts from your address; try again in ${wait}`,
      ],
    ]);
    let byCode: AttemptTicket;
    try {
      byCode = reserveAll([
        [
          this.codes,
          codeHash,
          'failure',
          (wait) => `this join code is being used too often; try again in ${wait}`,
        ],
      ]);
    } catch (error) {
      byAddress.settle('neutral');
      throw error;
    }
    return {
      settle: (outcome) => {
        byAddress.settle(outcome === 'success' ? 'neutral' : outcome);
        byCode.settle(outcome === 'success' ? 'failure' : 'neutral');
      },
    };
  }
}

type Slot = readonly [
  throttle: AttemptThrottle,
  key: string,
  /** What a success does to this key ('success' forgives it, 'neutral' only releases it). */
  onSuccess: AttemptOutcome,
  message: (wait: string) => string,
];

/** Reserve on every throttle or on none: the longest refusal wins (first if any of them is). */
function reserveAll(slots: readonly Slot[]): AttemptTicket {
  const taken: Slot[] = [];
  let refusal: { slot: Slot; refusal: ThrottleRefusal; first: boolean } | undefined;
  for (const slot of slots) {
    const refused = slot[0].reserve(slot[1]);
    if (!refused) taken.push(slot);
    else if (!refusal || refused.retryAfterMs > refusal.refusal.retryAfterMs)
      refusal = { slot, refusal: refused, first: refused.first || (refusal?.first ?? false) };
    else refusal.first ||= refused.first;
  }
  if (refusal) {
    for (const [throttle, key] of taken) throttle.settle(key, 'neutral');
    const retryAfterSeconds = Math.max(1, Math.ceil(refusal.refusal.retryAfterMs / 1000));
    const error = new CyropError(
      'RATE_LIMITED',
      refusal.slot[3](describeWait(refusal.refusal.retryAfterMs)),
      {
        details: { retryAfterSeconds },
      },
    );
    if (refusal.first) announced.add(error);
    throw error;
  }
  let settled = false;
  return {
    settle: (outcome) => {
      if (settled) return;
      settled = true;
      for (const [throttle, key, onSuccess] of taken)
        throttle.settle(key, outcome === 'success' ? onSuccess : outcome);
    },
  };
}
