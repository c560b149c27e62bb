import { expect } from 'chai';
import { DURATION_PATTERN, parseDuration } from './durations.ts';
import { DURATION, durationSeconds } from '../../../web-console/src/duration-syntax.ts';

describe('the console duration syntax', () => {
  it('is the server’s, so the form refuses exactly what the API would', () => {
    expect(DURATION.source).to.equal(DURATION_PATTERN);
  });

  it('reads what the help text offers, as the server does', () => {
    for (const text of ['90m', '1h30m', '3h', '2d', '45s'])
      expect(durationSeconds(text), text).to.equal(parseDuration(text) / 1000);
    for (const text of ['1.5h', '90', 'h', '1h 30m', '0m', ''])
      expect(durationSeconds(text), text).to.equal(undefined);
  });
});
