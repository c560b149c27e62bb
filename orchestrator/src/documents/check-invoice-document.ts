import { CyropError } from '../errors.ts';
import { parseCalendarDate } from './document-format.ts';
import type { InvoiceDocument } from './document-types.ts';

/** `T` and 13 digits: the form of a qualified-invoice issuer's registration number. */
const REGISTRATION_NUMBER = /^T\d{13}$/;

/**
 * Refuses an invoice that would print wrong: a qualified invoice whose totals do not add up, that
 * lacks an item the law asks for, or that holds a fractional yen. Every problem is listed, each
 * naming its place (`lines[12].amountYen`). The check digit of the registration number is billing's
 * to validate; this checks its form.
 * @throws CyropError `BAD_REQUEST` with `details.problems`.
 */
export function checkInvoiceDocument(doc: InvoiceDocument): void {
  const problems: string[] = [];
  const yen = (value: number, where: string): void => {
    if (!Number.isSafeInteger(value))
      problems.push(`${where} is ${String(value)}, not an integer number of yen`);
  };
  const date = (value: string | undefined, where: string): void => {
    if (value === undefined || !parseCalendarDate(value)) {
      problems.push(`${where} is ${JSON.stringify(value)}, not a YYYY-MM-DD date`);
    }
  };
  if (doc.number.trim() === '') problems.push('number is empty');
  date(doc.issuedOn, 'issuedOn');
  date(doc.period.from, 'period.from');
  date(doc.period.to, 'period.to');
  if (doc.period.from > doc.period.to)
    problems.push(`period runs backwards (${doc.period.from} to ${doc.period.to})`);
  if (doc.dueOn !== undefined) date(doc.dueOn, 'dueOn');
  if (doc.issuer.name.trim() === '') problems.push('issuer.name is empty');
  if (!REGISTRATION_NUMBER.test(doc.issuer.registrationNumber)) {
    problems.push(
      `issuer.registrationNumber is ${JSON.stringify(doc.issuer.registrationNumber)}, not T and 13 digits`,
    );
  }
  if (doc.recipient.name.trim() === '') problems.push('recipient.name is empty');

  /** The lines and per-rate totals under `where` (`` or `returns.`): what they add up to, with tax. */
  const table = (lines: InvoiceDocument['lines'], taxTotals: InvoiceDocument['taxTotals'], where: string) => {
    const linesByRate = new Map<number, number>();
    lines.forEach((line, i) => {
      yen(line.amountYen, `${where}lines[${i}].amountYen`);
      if (line.unitPriceYen !== undefined) yen(line.unitPriceYen, `${where}lines[${i}].unitPriceYen`);
      if (line.date !== undefined) date(line.date, `${where}lines[${i}].date`);
      if (!Number.isInteger(line.taxRatePercent) || line.taxRatePercent < 0) {
        problems.push(
          `${where}lines[${i}].taxRatePercent is ${String(line.taxRatePercent)}, not a whole percentage`,
        );
      }
      linesByRate.set(line.taxRatePercent, (linesByRate.get(line.taxRatePercent) ?? 0) + line.amountYen);
    });
    let sum = 0;
    const seen = new Set<number>();
    taxTotals.forEach((taxTotal, i) => {
      yen(taxTotal.taxableYen, `${where}taxTotals[${i}].taxableYen`);
      yen(taxTotal.taxYen, `${where}taxTotals[${i}].taxYen`);
      if (seen.has(taxTotal.taxRatePercent))
        problems.push(`${where}taxTotals[${i}] repeats the rate ${taxTotal.taxRatePercent}%`);
      seen.add(taxTotal.taxRatePercent);
      const ofLines = linesByRate.get(taxTotal.taxRatePercent) ?? 0;
      if (ofLines !== taxTotal.taxableYen) {
        problems.push(
          `${where}taxTotals[${i}].taxableYen is ${taxTotal.taxableYen} but the ${where}lines at ${taxTotal.taxRatePercent}% sum to ${ofLines}`,
        );
      }
      sum += taxTotal.taxableYen + taxTotal.taxYen;
    });
    for (const rate of linesByRate.keys()) {
      if (!seen.has(rate)) problems.push(`${where}lines at ${rate}% have no entry in ${where}taxTotals`);
    }
    return sum;
  };
  const charged = table(doc.lines, doc.taxTotals, '');
  const returned = doc.returns ? table(doc.returns.lines, doc.returns.taxTotals, 'returns.') : 0;
  doc.returns?.lines.forEach((line, i) => {
    if (line.amountYen <= 0)
      problems.push(`returns.lines[${i}].amountYen is ${line.amountYen}: a return is a positive amount`);
    if (line.date === undefined)
      problems.push(`returns.lines[${i}].date is missing: the original supply's date`);
  });
  const total = charged - returned;
  yen(doc.totalYen, 'totalYen');
  if (doc.totalYen !== total)
    problems.push(
      `totalYen is ${doc.totalYen} but taxTotals sum to ${total}${doc.returns ? ' (less the returns)' : ''}`,
    );
  doc.payments?.forEach((payment, i) => {
    yen(payment.amountYen, `payments[${i}].amountYen`);
    date(payment.on, `payments[${i}].on`);
  });

  if (problems.length > 0) {
    throw new CyropError('BAD_REQUEST', `invoice ${doc.number || '(no number)'}: ${problems.join('; ')}`, {
      details: { number: doc.number, problems },
    });
  }
}
