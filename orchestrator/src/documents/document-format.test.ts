import { expect } from 'chai';
import {
  formatLongDate,
  formatPeriod,
  formatShare,
  formatShortDate,
  formatYen,
  groupDigits,
  parseCalendarDate,
} from './document-format.ts';

describe('document formats', () => {
  it('groups digits by three, keeping the sign', () => {
    expect(groupDigits(0)).to.equal('0');
    expect(groupDigits(999)).to.equal('999');
    expect(groupDigits(1000)).to.equal('1,000');
    expect(groupDigits(1234567)).to.equal('1,234,567');
    expect(groupDigits(-12345)).to.equal('-12,345');
    expect(() => groupDigits(1.5)).to.throw(RangeError, '1.5 is not an integer');
  });
  it('writes yen as 1,234円 in Japanese and ¥1,234 in English', () => {
    expect(formatYen(1234, 'ja')).to.equal('1,234円');
    expect(formatYen(1234, 'en')).to.equal('¥1,234');
    expect(formatYen(-1234, 'ja')).to.equal('-1,234円');
    expect(formatYen(-1234, 'en')).to.equal('-¥1,234');
  });
  it('writes dates in each language and checks that they exist', () => {
    expect(formatLongDate('2026-04-30', 'ja')).to.equal('2026年4月30日');
    expect(formatLongDate('2026-04-30', 'en')).to.equal('30 April 2026');
    expect(formatShortDate('2026-04-03', 'ja')).to.equal('2026/04/03');
    expect(formatPeriod({ from: '2026-04-01', to: '2027-03-31' }, 'ja')).to.equal(
      '2026年4月1日〜2027年3月31日',
    );
    expect(parseCalendarDate('2026-02-29')).to.equal(undefined);
    expect(parseCalendarDate('2028-02-29')).to.deep.equal({ year: 2028, month: 2, day: 29 });
    expect(parseCalendarDate('2026-4-1')).to.equal(undefined);
  });
  it('rounds a share half up to a whole percentage', () => {
    expect(formatShare(31, 212)).to.equal('15%'); // 14.62…
    expect(formatShare(1, 8)).to.equal('13%'); // 12.5
    expect(formatShare(0, 5)).to.equal('0%');
    expect(formatShare(0, 0)).to.equal('–');
  });
});
