import { expect } from 'chai';
import { RateLimiter } from './rate-limiter.ts';

/** A virtual clock: sleeping advances it, nothing waits for real. */
function virtualClock() {
  const c = { now: 0, slept: 0 };
  return {
    c,
    clock: () => c.now,
    sleep: (ms: number) => {
      c.now += ms;
      c.slept += ms;
      return Promise.resolve();
    },
  };
}

describe('RateLimiter', () => {
  it('lets a burst through at once, then holds callers to the rate', async () => {
    const { c, clock, sleep } = virtualClock();
    const limiter = new RateLimiter(100, 200, clock, sleep);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 1200 }, () => limiter.take().then(() => times.push(c.now))));
    expect(times.slice(0, 200).every((t) => t === 0)).to.equal(true);
    // the 1000 after the burst need 10 s at 100/s
    expect(times[199]).to.equal(0);
    expect(times[200]).to.be.greaterThan(0);
    expect(c.now).to.be.within(9_990, 10_100);
    // never more than burst + rate × elapsed by any moment
    for (let i = 0; i < times.length; i++)
      expect(i + 1, `request ${i} at ${times[i]} ms`).to.be.at.most(
        200 + ((times[i] as number) / 1000) * 100 + 1,
      );
    expect(limiter.waiting).to.equal(0);
  });

  it('serves callers in the order they asked', async () => {
    const { clock, sleep } = virtualClock();
    const limiter = new RateLimiter(10, 1, clock, sleep);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map((n) => limiter.take().then(() => order.push(n))));
    expect(order).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('refills while idle, up to the burst only', async () => {
    const { c, clock, sleep } = virtualClock();
    const limiter = new RateLimiter(10, 5, clock, sleep);
    for (let i = 0; i < 5; i++) await limiter.take();
    c.now += 60_000; // a minute idle refills 600 tokens, capped at 5
    const start = c.now;
    for (let i = 0; i < 6; i++) await limiter.take();
    expect(c.now - start).to.equal(100); // the 6th waits one interval
  });

  it('refuses a rate or burst that could never let anything through', () => {
    expect(() => new RateLimiter(0, 10)).to.throw(RangeError, /qps must be > 0/);
    expect(() => new RateLimiter(10, 0)).to.throw(RangeError, /burst ≥ 1/);
  });
});
