/**
 * How amounts, dates and rates read in a printed document, per language. Amounts are integer yen and
 * are formatted with integer arithmetic only (no `Number#toLocaleString`, whose output depends on the
 * ICU data Node was built with).
 */

export type DocumentLanguage = 'ja' | 'en';

/** `1234567` → `1,234,567`; negative amounts keep their sign (`-1,234`). */
export function groupDigits(amount: number): string {
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`amount ${String(amount)} is not an integer number of yen`);
  }
  const digits = String(Math.abs(amount));
  // Groups of three from the right: the first group holds what is left over (1 to 3 digits).
  const head = digits.length % 3 || 3;
  const groups = [digits.slice(0, head)];
  for (let i = head; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  const out = groups.join(',');
  return amount < 0 ? `-${out}` : out;
}

/** Yen as Japanese and English readers expect: `1,234円` / `¥1,234` (`-1,234円` / `-¥1,234`). */
export function formatYen(amount: number, lang: DocumentLanguage): string {
  const grouped = groupDigits(amount);
  if (lang === 'ja') return `${grouped}円`;
  return amount < 0 ? `-¥${grouped.slice(1)}` : `¥${grouped}`;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Checks a `YYYY-MM-DD` calendar date; returns its parts. */
export function parseCalendarDate(date: string): { year: number; month: number; day: number } | undefined {
  const match = CALENDAR_DATE.exec(date);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return { year, month, day };
}

/** A date in running text: `2026年4月30日` / `30 April 2026`. */
export function formatLongDate(date: string, lang: DocumentLanguage): string {
  const parts = parseCalendarDate(date);
  if (!parts) return date;
  if (lang === 'ja') return `${parts.year}年${parts.month}月${parts.day}日`;
  return `${parts.day} ${MONTHS[parts.month - 1] ?? ''} ${parts.year}`;
}

/** A date in a table cell: `2026/04/30` / `2026-04-30`. */
export function formatShortDate(date: string, lang: DocumentLanguage): string {
  if (!parseCalendarDate(date)) return date;
  return lang === 'ja' ? date.replaceAll('-', '/') : date;
}

/** A period: `2026年4月1日〜2026年4月30日` / `1 April 2026 – 30 April 2026`. */
export function formatPeriod(period: { from: string; to: string }, lang: DocumentLanguage): string {
  const separator = lang === 'ja' ? '〜' : ' – ';
  return `${formatLongDate(period.from, lang)}${separator}${formatLongDate(period.to, lang)}`;
}

/** `demonstrated` of `total` as a whole percentage, rounded half up with integers only (`31/212` → `15%`). */
export function formatShare(demonstrated: number, total: number): string {
  if (total <= 0) return '–';
  return `${Math.floor((demonstrated * 200 + total) / (total * 2))}%`;
}
