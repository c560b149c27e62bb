import { expect } from 'chai';
import {
  admitSubmission,
  EMPTY_RATE_LIMITER_STATE,
  rateLimitPolicy,
  recordWrongSubmission,
  type RateLimiterState,
} from './rate-limiter.ts';

const policy = rateLimitPolicy(3); // 3 wrong per sliding minute

function wrongAt(times: number[]): RateLimiterState {
  return times.reduce((state, t) => recordWrongSubmission(state, t, policy), EMPTY_RATE_LIMITER_STATE);
}

describe('rate-limiter', () => {
  it('allows N wrong submissions, refuses within the window, allows again once the oldest slides out', () => {
    let state = EMPTY_RATE_LIMITER_STATE;
    for (const t of [0, 10_000, 20_000]) {
      const step = admitSubmission(state, t, policy);
      expect(step.decision, `at ${t}`).to.deep.equal({ allowed: true });
      state = recordWrongSubmission(step.state, t, policy);
    }
    expect(admitSubmission(state, 30_000, policy).decision).to.deep.equal({
      allowed: false,
      retryAfterMs: 30_000,
    });
    expect(admitSubmission(state, 59_999, policy).decision).to.deep.equal({
      allowed: false,
      retryAfterMs: 1,
    });
    const reopened = admitSubmission(state, 60_000, policy);
    expect(reopened.decision).to.deep.equal({ allowed: true });
    expect(reopened.state.wrongAt).to.deep.equal([10_000, 20_000]);
    state = recordWrongSubmission(reopened.state, 60_000, policy);
    expect(admitSubmission(state, 65_000, policy).decision).to.deep.equal({
      allowed: false,
      retryAfterMs: 5_000,
    });
    expect(admitSubmission(state, 70_000, policy).decision).to.deep.equal({ allowed: true });
  });

  it('does not let refusals extend the window', () => {
    const state = wrongAt([0, 1, 2]);
    // refused attempts are not recorded: asking again and again changes nothing
    for (let t = 3; t < 60_000; t += 7_000)
      expect(admitSubmission(state, t, policy).decision.allowed).to.equal(false);
    expect(admitSubmission(state, 60_000, policy).decision.allowed).to.equal(true);
  });

  it('is pure: inputs are never modified and the same inputs give the same outputs', () => {
    const state = wrongAt([1_000, 2_000]);
    const frozen = JSON.stringify(state);
    const a = admitSubmission(state, 70_000, policy);
    const b = admitSubmission(state, 70_000, policy);
    recordWrongSubmission(state, 3_000, policy);
    expect(JSON.stringify(state)).to.equal(frozen);
    expect(a).to.deep.equal(b);
    expect(a.state.wrongAt).to.deep.equal([]);
  });

  it('keeps at most N times, ascending, even if the clock steps back', () => {
    expect(wrongAt([5_000, 1_000, 3_000, 4_000]).wrongAt).to.deep.equal([3_000, 4_000, 5_000]);
    expect(rateLimitPolicy(0).maxWrong).to.equal(1);
    // a time exactly one window old has slid out
    expect(wrongAt([0, 30_000, 60_000]).wrongAt).to.deep.equal([30_000, 60_000]);
  });
});
