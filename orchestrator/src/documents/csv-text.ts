/** A cell: text (quoted when needed and guarded against spreadsheet formulas) or a number (written as is). */
export type CsvCell = string | number | undefined;

/** Text that a spreadsheet would run as a formula when the cell starts with it. */
const FORMULA_START = /^[=+\-@\t\r]/;

function cellText(cell: CsvCell): string {
  if (cell === undefined) return '';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) throw new RangeError(`CSV cell ${String(cell)} is not a finite number`);
    return String(cell);
  }
  // Descriptions and names come from tenants: `=HYPERLINK(…)` must stay text in Excel, so a cell
  // that starts like a formula gets a leading apostrophe (OWASP's advice for CSV injection).
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * RFC 4180 CSV as Japanese Excel and accounting software import it: UTF-8 with a byte-order mark
 * (without it Excel reads Shift_JIS and garbles Japanese), CRLF after every record, quotes only where
 * needed. Numbers are written bare (no thousands separators, no currency sign) so they import as numbers.
 */
export function csvText(header: string[], rows: Iterable<CsvCell[]>): string {
  const out: string[] = ['\uFEFF', header.map(cellText).join(','), '\r\n'];
  for (const row of rows) {
    if (row.length !== header.length) {
      throw new RangeError(`CSV row has ${row.length} cells, the header ${header.length}`);
    }
    out.push(row.map(cellText).join(','), '\r\n');
  }
  return out.join('');
}
