import { expect } from 'chai';
import { parseInstant } from './period.ts';
import { calendarDate, startOfDay } from './transcript.ts';

describe('analytics periods and calendar dates (platform time zone)', () => {
  it('reads a day as its midnight in Tokyo, and the last day of a period as included', () => {
    expect(new Date(parseInstant('2026-04-01', false)).toISOString()).to.equal('2026-03-31T15:00:00.000Z');
    expect(new Date(parseInstant('2026-04-30', true)).toISOString()).to.equal('2026-04-30T15:00:00.000Z');
    expect(new Date(parseInstant('2026-12-31', true)).toISOString()).to.equal('2026-12-31T15:00:00.000Z');
    expect(parseInstant('2026-04-01T09:00:00+09:00', false)).to.equal(Date.UTC(2026, 3, 1, 0, 0));
  });

  it('reads days in the zone it is given (CYROP_TIME_ZONE), not always Tokyo', () => {
    expect(new Date(parseInstant('2026-04-01', false, 'UTC')).toISOString()).to.equal(
      '2026-04-01T00:00:00.000Z',
    );
    expect(new Date(parseInstant('2026-04-30', true, 'UTC')).toISOString()).to.equal(
      '2026-05-01T00:00:00.000Z',
    );
    expect(new Date(parseInstant('2026-07-01', false, 'America/New_York')).toISOString()).to.equal(
      '2026-07-01T04:00:00.000Z',
    );
    // an instant with its offset is the same whatever the zone
    expect(parseInstant('2026-04-01T09:00:00+09:00', false, 'UTC')).to.equal(Date.UTC(2026, 3, 1, 0, 0));
  });

  it('refuses impossible dates and date-times without an offset, naming them', () => {
    expect(() => parseInstant('2026-02-30', false)).to.throw("'2026-02-30' is not a calendar date");
    expect(() => parseInstant('2026-04-01T09:00:00', false)).to.throw('neither a date');
  });

  it('works in zones with daylight saving time too', () => {
    // New York: EDT (UTC−4) on 2026-07-01, EST (UTC−5) on 2026-01-15
    expect(new Date(startOfDay('2026-07-01', 'America/New_York')).toISOString()).to.equal(
      '2026-07-01T04:00:00.000Z',
    );
    expect(new Date(startOfDay('2026-01-15', 'America/New_York')).toISOString()).to.equal(
      '2026-01-15T05:00:00.000Z',
    );
    expect(calendarDate(Date.UTC(2026, 3, 1, 14, 59))).to.equal('2026-04-01');
    expect(calendarDate(Date.UTC(2026, 3, 1, 15, 0))).to.equal('2026-04-02');
  });
});
