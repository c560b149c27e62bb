import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { calendarDay } from '../platform-zone.ts';
import type {
  AgeBucket,
  Course,
  CourseRun,
  FeeRun,
  JournalEntry,
  OrgUsage,
  Receivable,
  SaleCsvProblem,
  SaleCsvProblemCode,
  UsageFees,
} from '../../../contract/business.ts';
import type { InvoiceDocument } from '../../../contract/documents.ts';

/**
 * The calls of the "Business" (a training company's books) and "Revenue" (the operator's) pages, in
 * one place: the billing and metering API as these pages use it. Integer yen throughout; nothing
 * here computes money, the server does.
 */

export type {
  Course,
  JournalEntry,
  FeeRun,
  Receivable,
  AgeBucket,
  SaleCsvProblem,
  SaleCsvProblemCode,
  InvoiceDocument,
  OrgUsage,
  CourseRun,
  UsageFees,
};

export const AGE_BUCKETS: readonly AgeBucket[] = ['0-30', '31-60', '61-90', '>90'];

export interface SaleInput {
  date: string;
  customer: string;
  courseRun: string | null;
  seats: number | null;
  unitPriceYen: number | null;
  amountYen: number;
}

export interface ImportResult {
  imported: number;
  totalYen: number;
  problems: SaleCsvProblem[];
}

export interface OrganisationSummary {
  id: string;
  name: string;
  kind: string;
  category: string | null;
}

const org = (id: string) => `/api/billing/organisations/${encodeURIComponent(id)}`;

/** Every journal entry of the organisation dated in [from, to] (inclusive days), in date order, all pages. */
export async function journal(orgId: string | undefined, from: string, to: string): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  const limit = 10_000;
  for (let offset = 0; ; offset += limit) {
    const page = await client.get('/api/billing/journal', {
      query: { from, to, limit, offset, ...(orgId !== undefined ? { org: orgId } : {}) },
    });
    entries.push(...page.entries);
    if (page.entries.length < limit || entries.length >= page.total) return entries;
  }
}

export function recordSale(orgId: string, sale: SaleInput): Promise<JournalEntry> {
  return client.post('/api/billing/organisations/{org}/sales', { path: { org: orgId }, body: sale });
}

export function reverseSale(orgId: string, entryId: string, reason: string): Promise<JournalEntry> {
  return client.post('/api/billing/organisations/{org}/sales/{entry}/reversal', {
    path: { org: orgId, entry: entryId },
    body: { reason },
  });
}

/**
 * Imports a CSV text. A file with problems answers 422 whose body is the result itself (every
 * problem, nothing imported): resolved here, not thrown, so the page can list the lines. Other
 * failures throw ApiError as `api()` does.
 */
export async function importSales(orgId: string, csv: string): Promise<ImportResult> {
  let response: Response;
  try {
    response = await fetch(`${org(orgId)}/sales/import`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ csv }),
    });
  } catch (error) {
    throw new ApiError(
      0,
      'NETWORK',
      error instanceof Error ? error.message : String(error),
      undefined,
      undefined,
    );
  }
  if (response.status === 422) {
    const body = (await response.json()) as Partial<ImportResult>;
    if (Array.isArray(body.problems)) return { imported: 0, totalYen: 0, problems: body.problems };
  }
  if (response.ok) return (await response.json()) as ImportResult;
  const text = await response.text();
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    // not JSON: described by the status alone
  }
  throw new ApiError(
    response.status,
    error?.code ?? `HTTP_${response.status}`,
    error?.message ?? response.statusText,
    undefined,
    undefined,
  );
}

export function statement(orgId: string, period: string): Promise<InvoiceDocument & { issued: boolean }> {
  return client.get('/api/billing/organisations/{org}/statements/{period}', { path: { org: orgId, period } });
}

/** The download link of a month's statement. */
export function statementHref(
  orgId: string,
  period: string,
  format: 'pdf' | 'csv',
  lang: 'ja' | 'en',
): string {
  return `${org(orgId)}/statements/${period}?format=${format}&lang=${lang}`;
}

/** What the organisation used in the month `period` (YYYY-MM). */
export function usage(orgId: string, period: string): Promise<OrgUsage> {
  return client.get('/api/metering/organisations/{id}', {
    path: { id: orgId },
    query: { from: `${period}-01`, to: `${nextMonth(period)}-01` },
  });
}

export async function courseRuns(): Promise<CourseRun[]> {
  return (await client.get('/api/course-runs')).runs;
}

export async function courses(): Promise<Course[]> {
  return (await client.get('/api/courses')).courses;
}

/** Usage fees by month from `from` to `to` (YYYY-MM), per company and summed, in one request (the operator). */
export function usageFees(from: string, to: string): Promise<UsageFees> {
  return client.get('/api/billing/usage-fees', { query: { from, to } });
}

export function feeRun(year: number): Promise<FeeRun> {
  return client.get('/api/billing/fees/{year}', { path: { year } });
}

export function receivables(): Promise<{
  asOf: string;
  invoices: Receivable[];
  totals: Record<AgeBucket, number> & { totalYen: number };
}> {
  return client.get('/api/billing/receivables');
}

export async function organisations(): Promise<OrganisationSummary[]> {
  return (await client.get('/api/organisations')).organisations;
}

// ── months (calendar arithmetic on YYYY-MM, no clock but `today`) ──────────────────────────────

/**
 * Today's month in the platform's time zone (`platformTimeZone()`: the books are kept in its days;
 * a day of it, e.g. a sale's or a run's, is `calendarDay` of platform-zone.ts).
 */
export function currentPeriod(timeZone: string, now = Date.now()): string {
  return calendarDay(now, timeZone).slice(0, 7);
}

export function nextMonth(period: string): string {
  return addMonths(period, 1);
}

export function addMonths(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The last day of a month, `YYYY-MM-DD`. */
export function lastDay(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return `${period}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
}

/** The fiscal year (starting in April) a month belongs to. */
export function fiscalYearOf(period: string): number {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m >= 4 ? y : y - 1;
}

/** The twelve months of a fiscal year starting in April. */
export function fiscalMonths(year: number): string[] {
  return Array.from({ length: 12 }, (_, i) => addMonths(`${year}-04`, i));
}

/** Integer yen as people read it: `¥1,234` in English, `1,234円` in Japanese. */
export function formatYen(value: number, lang: 'en' | 'ja'): string {
  const digits = new Intl.NumberFormat('en-US').format(Math.abs(value));
  const sign = value < 0 ? '-' : '';
  return lang === 'ja' ? `${sign}${digits}円` : `${sign}¥${digits}`;
}
