import { CyropError } from '../errors.ts';
import { DEFAULT_TIME_ZONE, startOfDay } from './transcript.ts';

/**
 * `2026-04-01` (midnight in the platform's time zone, `timeZone`; with `endOfDay`, the next midnight)
 * or an ISO date-time with its offset.
 */
export function parseInstant(text: string, endOfDay: boolean, timeZone = DEFAULT_TIME_ZONE): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = startOfDay(text, timeZone);
    if (Number.isNaN(start))
      throw new CyropError('BAD_REQUEST', `'${text}' is not a calendar date (YYYY-MM-DD)`);
    return endOfDay ? startOfDay(nextDay(text), timeZone) : start;
  }
  const ms = /[zZ]|[+-]\d{2}:\d{2}$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new CyropError(
      'BAD_REQUEST',
      `'${text}' is neither a date (YYYY-MM-DD) nor an ISO date-time with offset`,
    );
  return ms;
}

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
