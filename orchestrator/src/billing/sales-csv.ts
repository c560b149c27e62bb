import { parse } from 'csv-parse/sync';
import { isCalendarDate } from './fee-schedule.ts';
export type { SaleCsvProblem, SaleCsvProblemCode } from '../../../contract/business.ts';
import type { SaleCsvProblem, SaleCsvProblemCode } from '../../../contract/business.ts';

/** One sale read from a CSV file. */
export interface SaleInput {
  date: string;
  customer: string;
  course: string | null;
  courseRun: string | null;
  seats: number | null;
  unitPriceYen: number | null;
  /** Tax excluded. */
  amountYen: number;
  memo: string | null;
}

export interface SaleCsvRow extends SaleInput {
  /** The line of the file the row starts on (the header is line 1). */
  line: number;
}

export const SALES_CSV_LIMITS = { bytes: 32 * 1024 * 1024, rows: 200_000, field: 200 };

type Column = 'date' | 'customer' | 'course' | 'courseRun' | 'seats' | 'unitPrice' | 'amount' | 'memo';

/** Header names accepted per column: compared after NFKC, lower case, spaces `_` `-` and `(税抜)`-style notes removed. */
export const SALES_CSV_HEADERS: Record<Column, readonly string[]> = {
  date: ['date', 'saledate', '日付', '売上日', '取引日'],
  customer: ['customer', 'client', '顧客', '顧客名', '取引先', '取引先名'],
  course: ['course', 'courseid', 'コース', 'コース名', 'コースid'],
  courseRun: ['courserun', 'run', 'courserunid', 'コース実施', '実施回', '開講回'],
  seats: ['seats', 'quantity', '席数', '人数', '数量'],
  unitPrice: ['unitprice', 'price', '単価'],
  amount: ['amount', 'total', '金額', '売上金額', '売上'],
  memo: ['memo', 'note', '備考', 'メモ'],
};

const key = (header: string) =>
  header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\((税抜|税抜き|taxexcluded|excl\.?tax|円|yen)\)/g, '')
    .replace(/[\s_\-()]/g, '');

/** `123,456`, `¥123,456`, `123456円`, full-width digits: whole yen, or undefined. */
export function parseYen(text: string): number | undefined {
  const t = text
    .normalize('NFKC')
    .replace(/^[¥\\]/, '')
    .replace(/円$/, '')
    .trim();
  if (!/^-?[0-9]{1,3}(,[0-9]{3})*$|^-?[0-9]+$/.test(t)) return undefined;
  const n = Number(t.replace(/,/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `2026-04-01`, `2026/4/1` (Japanese Excel), full-width digits: `YYYY-MM-DD`, or undefined. */
export function parseDate(text: string): string | undefined {
  const m = /^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$/.exec(text.normalize('NFKC').trim());
  if (!m) return undefined;
  const date = `${m[1]}-${(m[2] as string).padStart(2, '0')}-${(m[3] as string).padStart(2, '0')}`;
  return isCalendarDate(date) ? date : undefined;
}

/**
 * Parse a sales CSV (UTF-8 with or without BOM, RFC 4180 quoting) whose header row names the columns
 * in English or Japanese (date/日付, customer/顧客, course/コース, course run/実施回, seats/席数,
 * unit price/単価, amount/金額, memo/備考; date, customer and amount or seats × unit price needed).
 * Every problem of every row is reported with its line and column; a file with any problem yields
 * no rows, so nothing is imported from it.
 */
export function parseSalesCsv(text: string): { rows: SaleCsvRow[]; problems: SaleCsvProblem[] } {
  if (Buffer.byteLength(text, 'utf8') > SALES_CSV_LIMITS.bytes)
    return {
      rows: [],
      problems: [
        {
          line: 0,
          code: 'file-too-large',
          params: { limit: SALES_CSV_LIMITS.bytes / 1024 / 1024 },
          message: `a sales file has at most ${SALES_CSV_LIMITS.bytes / 1024 / 1024} MiB`,
        },
      ],
    };
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    return {
      rows: [],
      problems: [
        {
          line,
          code: 'not-csv',
          params: { value: (error as Error).message },
          message: `not a CSV file: ${(error as Error).message}`,
        },
      ],
    };
  }
  const [header, ...body] = records;
  if (!header)
    return {
      rows: [],
      problems: [{ line: 1, code: 'empty-file', message: 'the file is empty: expected a header row' }],
    };
  const columns: Partial<Record<Column, number>> = {};
  const problems: SaleCsvProblem[] = [];
  header.record.forEach((name, i) => {
    const found = (Object.entries(SALES_CSV_HEADERS) as [Column, readonly string[]][]).find(([, names]) =>
      names.includes(key(name)),
    );
    if (!found) {
      problems.push({
        line: 1,
        column: name,
        code: 'unknown-column',
        params: { value: name.slice(0, 40) },
        message: `unknown column '${name}' (known: ${Object.keys(SALES_CSV_HEADERS).join(', ')} or their Japanese names)`,
      });
      return;
    }
    if (columns[found[0]] !== undefined)
      problems.push({
        line: 1,
        column: name,
        code: 'duplicate-column',
        params: { value: name.slice(0, 40) },
        message: `a second ${found[0]} column`,
      });
    else columns[found[0]] = i;
  });
  for (const needed of ['date', 'customer'] as const)
    if (columns[needed] === undefined)
      problems.push({
        line: 1,
        code: 'missing-column',
        params: { names: SALES_CSV_HEADERS[needed].join(', ') },
        message: `the header must name the column ${needed} (${SALES_CSV_HEADERS[needed].join(', ')})`,
      });
  if (columns.amount === undefined && (columns.seats === undefined || columns.unitPrice === undefined))
    problems.push({
      line: 1,
      code: 'missing-amount-column',
      message: 'the header must name the column amount (金額), or both seats (席数) and unit price (単価)',
    });
  if (problems.length > 0) return { rows: [], problems };
  if (body.length > SALES_CSV_LIMITS.rows)
    return {
      rows: [],
      problems: [
        {
          line: 0,
          code: 'too-many-rows',
          params: { limit: SALES_CSV_LIMITS.rows },
          message: `a sales file has at most ${SALES_CSV_LIMITS.rows} rows`,
        },
      ],
    };
  const nameOf = (c: Column) => header.record[columns[c] as number] as string;
  const rows: SaleCsvRow[] = [];
  for (const { record, info } of body) {
    // info.lines is the line the record ends on; a quoted field may span lines.
    const line = info.lines - countNewlines(record);
    const before = problems.length;
    const bad = (
      c: Column,
      code: SaleCsvProblemCode,
      message: string,
      params?: Record<string, string | number>,
    ) => problems.push({ line, column: nameOf(c), code, ...(params ? { params } : {}), message });
    const cell = (c: Column) => (columns[c] === undefined ? '' : (record[columns[c]] ?? '').trim());
    const textOf = (c: Column, required: boolean): string | null => {
      const v = cell(c);
      if (v === '') {
        if (required) bad(c, 'empty', 'is empty');
        return null;
      }
      if (v.length > SALES_CSV_LIMITS.field)
        bad(c, 'too-long', `has more than ${SALES_CSV_LIMITS.field} characters`, {
          limit: SALES_CSV_LIMITS.field,
        });
      if (/\p{Cc}/u.test(v)) bad(c, 'control-characters', 'holds control characters');
      return v;
    };
    const date = parseDate(cell('date'));
    if (!date)
      bad('date', 'not-a-date', `'${cell('date').slice(0, 40)}' is not a date (YYYY-MM-DD or YYYY/M/D)`, {
        value: cell('date').slice(0, 40),
      });
    const customer = textOf('customer', true);
    const course = textOf('course', false);
    const courseRun = textOf('courseRun', false);
    const memo = textOf('memo', false);
    const whole = (c: Column, min: number): number | null => {
      const v = cell(c);
      if (v === '') return null;
      const n = parseYen(v);
      if (n === undefined)
        bad(c, 'not-a-number', `'${v.slice(0, 40)}' is not a whole number`, { value: v.slice(0, 40) });
      else if (n < min)
        bad(
          c,
          'too-small',
          `${n} is less than ${min}${min === 1 ? ' (a correction is a reversal of the sale, not a negative row)' : ''}`,
          { value: v.slice(0, 40), min },
        );
      else return n;
      return null;
    };
    const seats = whole('seats', 1);
    const unitPrice = whole('unitPrice', 0);
    let amount = whole('amount', 1);
    const product = seats !== null && unitPrice !== null ? seats * unitPrice : null;
    if (amount === null && cell('amount') === '') {
      if (product === null)
        problems.push({
          line,
          ...(columns.amount !== undefined ? { column: nameOf('amount') } : {}),
          code: 'no-amount',
          message: 'no amount: give the amount, or seats and unit price',
        });
      else if (product < 1)
        bad('unitPrice', 'zero-amount', 'seats × unit price is 0: a sale has an amount of at least ¥1');
      else amount = product;
    } else if (amount !== null && product !== null && amount !== product)
      bad(
        'amount',
        'amount-mismatch',
        `${amount} is not seats ${seats} × unit price ${unitPrice} = ${product}`,
        {
          amount,
          seats: seats ?? 0,
          unitPrice: unitPrice ?? 0,
          product,
        },
      );
    if (problems.length === before && date && customer && amount !== null)
      rows.push({
        line,
        date,
        customer,
        course,
        courseRun,
        seats,
        unitPriceYen: unitPrice,
        amountYen: amount,
        memo,
      });
  }
  if (body.length === 0 && problems.length === 0)
    problems.push({ line: 2, code: 'no-sales', message: 'the file lists no sales' });
  return problems.length > 0 ? { rows: [], problems } : { rows, problems };
}

function countNewlines(record: readonly string[]): number {
  let n = 0;
  for (const field of record) for (const ch of field) if (ch === '\n') n++;
  return n;
}

/** `line 3, column 単価: 'abc' is not a whole number` — how the CLI and the API print a problem. */
export function formatSaleProblem(p: SaleCsvProblem): string {
  return `line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''}: ${p.message}`;
}
