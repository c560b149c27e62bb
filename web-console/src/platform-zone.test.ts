import { expect } from 'chai';
import { addDays, calendarDay, formatDay, recentMonths } from './platform-zone.ts';

describe('platform time zone dates', () => {
  // 2026-03-31 15:30 UTC is already 1 April in Tokyo, still 31 March in Los Angeles and London
  const tokyoMidnight = Date.UTC(2026, 2, 31, 15, 30);

  it('gives the calendar day of the zone asked, not the machine’s', () => {
    expect(calendarDay(tokyoMidnight, 'Asia/Tokyo')).to.equal('2026-04-01');
    expect(calendarDay(tokyoMidnight, 'America/Los_Angeles')).to.equal('2026-03-31');
    expect(calendarDay(tokyoMidnight, 'UTC')).to.equal('2026-03-31');
  });

  it('writes the zone’s day in the reader’s language', () => {
    expect(formatDay(tokyoMidnight, 'Asia/Tokyo', 'en')).to.equal('Apr 1, 2026');
    expect(formatDay(tokyoMidnight, 'Asia/Tokyo', 'ja')).to.equal('2026/04/01');
    expect(formatDay(tokyoMidnight, 'America/Los_Angeles', 'en')).to.equal('Mar 31, 2026');
  });

  it('counts calendar days across month and year ends', () => {
    expect(addDays('2026-03-01', 1)).to.equal('2026-02-28');
    expect(addDays('2026-01-01', 89)).to.equal('2025-10-04');
    expect(addDays('2024-03-01', 1)).to.equal('2024-02-29');
  });

  it('lists the zone’s last months, the current one included', () => {
    // in Tokyo it is April already: November … April
    expect(recentMonths(tokyoMidnight, 'Asia/Tokyo', 6).map((m) => m.month)).to.deep.equal([
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
    ]);
    expect(recentMonths(tokyoMidnight, 'America/Los_Angeles', 2)).to.deep.equal([
      { month: '2026-02', from: '2026-02-01', to: '2026-02-28' },
      { month: '2026-03', from: '2026-03-01', to: '2026-03-31' },
    ]);
  });
});
