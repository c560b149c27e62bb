import { expect } from 'chai';
import { RateBudget } from './connection-limits.ts';

describe('RateBudget', () => {
  const limits = { messagesPerSecond: 10, messageBurst: 20, bytesPerSecond: 1000, byteBurst: 4000 };

  it('lets a burst through, then asks the sender to wait for what it overdrew', () => {
    let now = 0;
    const budget = new RateBudget(limits, () => now);
    for (let i = 0; i < 4; i++) expect(budget.charge(1000)).to.equal(0);
    expect(budget.charge(500)).to.equal(500); // 500 bytes over at 1000 bytes/s
    now += 500;
    expect(budget.charge(0)).to.equal(0); // refilled: within budget again
  });

  it('counts messages as well as bytes, and refills up to the burst only', () => {
    let now = 0;
    const budget = new RateBudget(limits, () => now);
    for (let i = 0; i < 20; i++) expect(budget.charge(1)).to.equal(0);
    expect(budget.charge(1)).to.equal(100);
    now += 60_000;
    for (let i = 0; i < 19; i++) expect(budget.charge(0)).to.equal(0);
    expect(budget.charge(0)).to.equal(0);
    expect(budget.charge(0)).to.equal(100);
  });
});
