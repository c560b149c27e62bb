/**
 * Calendar dates in the platform's reporting time zone (the API's `timeZone`: `CYROP_TIME_ZONE` on the
 * server, Tokyo unless set otherwise), never the browser's: a page shows the same day as the documents the
 * platform issues, wherever the reader sits. Pure functions (Intl only), tested in platform-zone.test.ts.
 */

/**
 * The zone a page uses when the platform's cannot be read (`/api/analytics/config` failed): the
 * platform's own default. The one place the console names a zone; pages ask `platformTimeZone()`.
 */
export const FALLBACK_TIME_ZONE = 'Asia/Tokyo';

/** `YYYY-MM-DD` of an instant in a time zone. */
export function calendarDay(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(ms));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** An instant's date in a time zone, the way the language writes dates (e.g. "Apr 2, 2026", "2026/04/02"). */
export function formatDay(ms: number, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone }).format(new Date(ms));
}

/** The `YYYY-MM-DD` that is `days` calendar days before (negative: after) `day`. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - days)).toISOString().slice(0, 10);
}

/**
 * The last `count` calendar months in a time zone, the current one included, oldest first: each with
 * its `YYYY-MM` and its first and last day.
 */
export function recentMonths(
  nowMs: number,
  timeZone: string,
  count: number,
): { month: string; from: string; to: string }[] {
  const [y, m] = calendarDay(nowMs, timeZone).split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const first = new Date(Date.UTC(y, m - 1 - (count - 1 - i), 1));
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    const from = first.toISOString().slice(0, 10);
    return { month: from.slice(0, 7), from, to: last.toISOString().slice(0, 10) };
  });
}
