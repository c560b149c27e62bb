import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { addressKey, AttemptThrottle } from './attempt-throttle.ts';
import { PasswordCheckGate } from './password-check-gate.ts';

describe('AttemptThrottle', () => {
  it('gives a free allowance, then delays that double up to the cap, and leaks failures away', () => {
    let now = 0;
    const throttle = new AttemptThrottle(() => now, {
      free: 2,
      baseDelayMs: 1000,
      maxDelayMs: 4000,
      leakMs: 60_000,
    });
    const fail = () => {
      expect(throttle.reserve('k')).to.equal(undefined);
      throttle.settle('k', 'failure');
    };
    fail();
    fail();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const refusal = throttle.reserve('k');
      waits.push(refusal!.retryAfterMs);
      expect(refusal!.first).to.equal(true);
      expect(throttle.reserve('k')!.first).to.equal(false); // the repeat is not news
      now += refusal!.retryAfterMs;
      fail();
    }
    expect(waits).to.deep.equal([1000, 2000, 4000, 4000]);
    now += 10 * 60_000; // every failure leaked away
    fail();
    fail();
    expect(throttle.reserve('k')!.retryAfterMs).to.equal(1000);
  });

  it('reserves parallel attempts: only the allowance runs before the first outcome is known', () => {
    const throttle = new AttemptThrottle(() => 0, {
      free: 3,
      baseDelayMs: 1000,
      maxDelayMs: 4000,
      leakMs: 60_000,
    });
    const granted = Array.from({ length: 10 }, () => throttle.reserve('k')).filter((r) => r === undefined);
    expect(granted).to.have.length(3);
    for (let i = 0; i < 3; i++) throttle.settle('k', 'neutral');
    expect(throttle.size).to.equal(0); // nothing failed: nothing remembered
  });

  it('stays bounded in memory whatever keys arrive', () => {
    const throttle = new AttemptThrottle(
      () => 0,
      { free: 0, baseDelayMs: 1000, maxDelayMs: 4000, leakMs: 60_000 },
      1000,
    );
    for (let i = 0; i < 10_000; i++) {
      throttle.reserve(`k${i}`);
      throttle.settle(`k${i}`, 'failure');
    }
    expect(throttle.size).to.be.at.most(1000);
  });

  it('keys addresses: IPv4, IPv4-mapped as IPv4, IPv6 by /64', () => {
    expect(addressKey('10.1.2.3')).to.equal('10.1.2.3');
    expect(addressKey('::ffff:10.1.2.3')).to.equal('10.1.2.3');
    expect(addressKey('2001:db8:0:1::5')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey(undefined)).to.equal('unknown');
  });
});

describe('PasswordCheckGate', () => {
  it('runs a few checks at once, queues a bounded number, refuses the rest at once', async () => {
    const gate = new PasswordCheckGate({ concurrent: 2, queued: 3 });
    const releases: (() => void)[] = [];
    const results = Array.from({ length: 10 }, () =>
      gate
        .run(() => new Promise<string>((resolve) => releases.push(() => resolve('ran'))))
        .catch((error: unknown) => (error as CyropError).code),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.stats()).to.include({ running: 2, queued: 3, refused: 5 });
    while (releases.length) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.all(results);
    expect(outcomes.filter((o) => o === 'ran')).to.have.length(5);
    expect(outcomes.filter((o) => o === 'RATE_LIMITED')).to.have.length(5);
    expect(gate.stats()).to.include({ ran: 5, peak: 2, running: 0, queued: 0 });
  });
});
