import { expect } from 'chai';
import { addMonths, currentPeriod, fiscalMonths, fiscalYearOf, formatYen, lastDay } from './business-api.ts';

describe('business pages: months and yen', () => {
  it('takes the month in the platform’s time zone, not in the browser’s', () => {
    // 31 March 2026 15:00 UTC is already 1 April in Tokyo: a new month and a new fiscal year
    expect(currentPeriod('Asia/Tokyo', Date.UTC(2026, 2, 31, 14, 59))).to.equal('2026-03');
    expect(currentPeriod('Asia/Tokyo', Date.UTC(2026, 2, 31, 15, 0))).to.equal('2026-04');
    // a platform reporting in UTC is still in March then, until midnight UTC
    expect(currentPeriod('UTC', Date.UTC(2026, 2, 31, 15, 0))).to.equal('2026-03');
    expect(currentPeriod('UTC', Date.UTC(2026, 3, 1, 0, 0))).to.equal('2026-04');
  });

  it('steps months across year ends and knows each month’s last day', () => {
    expect(addMonths('2026-12', 1)).to.equal('2027-01');
    expect(addMonths('2026-01', -1)).to.equal('2025-12');
    expect(addMonths('2026-05', -17)).to.equal('2024-12');
    expect(lastDay('2028-02')).to.equal('2028-02-29');
    expect(lastDay('2026-02')).to.equal('2026-02-28');
    expect(lastDay('2026-04')).to.equal('2026-04-30');
  });

  it('puts January to March in the fiscal year that began the April before', () => {
    expect(fiscalYearOf('2027-03')).to.equal(2026);
    expect(fiscalYearOf('2026-04')).to.equal(2026);
    expect(fiscalMonths(2026)).to.deep.equal([
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
      '2026-12',
      '2027-01',
      '2027-02',
      '2027-03',
    ]);
  });

  it('writes integer yen as ¥1,234 in English and 1,234円 in Japanese, negatives with a minus', () => {
    expect(formatYen(1234567, 'en')).to.equal('¥1,234,567');
    expect(formatYen(1234567, 'ja')).to.equal('1,234,567円');
    expect(formatYen(-30000, 'en')).to.equal('-¥30,000');
    expect(formatYen(-30000, 'ja')).to.equal('-30,000円');
    expect(formatYen(0, 'en')).to.equal('¥0');
  });
});
