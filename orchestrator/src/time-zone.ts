/**
 * The platform's reporting time zone (`CYROP_TIME_ZONE`): calendar days of statements, invoices,
 * transcripts and usage periods. Pure (Intl only); anything may import it.
 */

/** The platform's time zone for calendar dates when none is configured (CYROP's users are in Japan). */
export const DEFAULT_TIME_ZONE = 'Asia/Tokyo';

/** `YYYY-MM-DD` of an epoch-ms instant in a time zone. */
export function calendarDate(ms: number, timeZone = DEFAULT_TIME_ZONE): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .formatToParts(new Date(ms))
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts['year']}-${parts['month']}-${parts['day']}`;
}

/**
 * The IANA name of a time zone as the platform writes it (`UTC`, `Asia/Tokyo`; the case of the input
 * is corrected), or undefined when `name` is not a time zone this runtime knows. Offsets (`+09:00`)
 * are refused: they do not follow daylight saving time, and older runtimes do not accept them.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  // an alias (`Japan`, `EST`) is kept as written; only its case is corrected when it is the same name
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

/** Epoch ms of midnight starting a `YYYY-MM-DD` day in a time zone (NaN for an invalid date). */
export function startOfDay(date: string, timeZone = DEFAULT_TIME_ZONE): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return Number.NaN;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(utc).toISOString().slice(0, 10) !== date) return Number.NaN;
  // the zone's offset at that instant, read back from what the zone's clock shows
  const shown = (ms: number) => {
    const p = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(ms))
      .reduce<Record<string, number>>(
        (acc, x) => (x.type === 'literal' ? acc : { ...acc, [x.type]: Number(x.value) }),
        {},
      );
    return Date.UTC(
      p['year'] ?? 0,
      (p['month'] ?? 1) - 1,
      p['day'] ?? 1,
      p['hour'] ?? 0,
      p['minute'] ?? 0,
      p['second'] ?? 0,
    );
  };
  const guess = utc - (shown(utc) - utc);
  return guess - (shown(guess) - utc);
}
