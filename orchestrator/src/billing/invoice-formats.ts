import type { InvoiceDocument } from '../documents/document-types.ts';
import { formatYen } from './money.ts';
import type { FeeRun, Receivable } from './billing-service.ts';

/** One CSV field, quoted when it must be (RFC 4180); a leading =, +, - or @ is prefixed with ' so spreadsheets never run it. */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV: UTF-8 with BOM and CRLF (what Japanese Excel and accounting software read). */
export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return '\uFEFF' + rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** An invoice for a terminal: the qualified-invoice items, one per line, in English. */
export function invoiceText(doc: InvoiceDocument & { issued?: boolean }): string {
  const out: string[] = [];
  out.push(
    `${doc.kind === 'usage-fee-statement' ? 'Usage-fee statement' : 'CYNEX participation-fee invoice'} ${doc.number}${doc.issued === false ? ' (DRAFT: not issued)' : ''}`,
  );
  out.push(`issuer: ${doc.issuer.name} (registration ${doc.issuer.registrationNumber})`);
  out.push(`to: ${doc.recipient.name}`);
  out.push(`issued ${doc.issuedOn}, due ${doc.dueOn ?? '-'}, period ${doc.period.from} … ${doc.period.to}`);
  for (const l of doc.lines)
    out.push(
      `  ${l.date ?? '          '}  ${formatYen(l.amountYen).padStart(14)}  ${l.taxRatePercent}%  ${l.description.en}`,
    );
  for (const t of doc.taxTotals)
    out.push(
      `subject to ${t.taxRatePercent}%: ${formatYen(t.taxableYen)}, consumption tax ${formatYen(t.taxYen)}`,
    );
  if (doc.returns) {
    out.push('returns (qualified return invoice; dates of the original sales):');
    for (const l of doc.returns.lines)
      out.push(
        `  ${l.date ?? '          '}  ${formatYen(-l.amountYen).padStart(14)}  ${l.taxRatePercent}%  ${l.description.en}`,
      );
    for (const t of doc.returns.taxTotals)
      out.push(
        `returned at ${t.taxRatePercent}%: ${formatYen(t.taxableYen)}, consumption tax ${formatYen(t.taxYen)}`,
      );
  }
  out.push(`total: ${formatYen(doc.totalYen)}`);
  for (const p of doc.payments ?? []) out.push(`paid ${p.on}: ${formatYen(p.amountYen)}`);
  for (const n of doc.notes ?? []) out.push(`note: ${n.en}`);
  return out.join('\n') + '\n';
}

/** The yearly fee run as CSV: one row per member organisation. */
export function feeRunCsv(run: FeeRun): string {
  return toCsv([
    [
      'fiscal_year',
      'invoice_number',
      'issued',
      'org_id',
      'recipient',
      'issued_on',
      'due_on',
      'taxable_yen',
      'tax_yen',
      'total_yen',
      'description_en',
    ],
    ...run.invoices.map((i) => [
      run.fiscalYear,
      i.number,
      i.issued ? 'yes' : 'no',
      i.orgId,
      i.recipient.name,
      i.issuedOn,
      i.dueOn,
      i.taxTotals.reduce((s, t) => s + t.taxableYen, 0),
      i.taxTotals.reduce((s, t) => s + t.taxYen, 0),
      i.totalYen,
      i.lines[0]?.description.en,
    ]),
  ]);
}

export function feeRunText(run: FeeRun): string {
  const out = [
    `CYNEX participation fees FY${run.fiscalYear} (${run.period.from} … ${run.period.to}), schedule ${run.scheduleVersion}`,
  ];
  for (const i of run.invoices)
    out.push(
      `  ${i.number}  ${i.issued ? 'issued' : 'draft '}  ${formatYen(i.totalYen).padStart(14)}  ${i.recipient.name}: ${i.lines[0]?.description.en ?? ''}`,
    );
  for (const s of run.skipped) out.push(`  skipped ${s.name} (${s.orgId}): ${s.reason}`);
  out.push(
    `total: ${formatYen(run.totals.taxableYen)} + tax ${formatYen(run.totals.taxYen)} = ${formatYen(run.totals.totalYen)}`,
  );
  return out.join('\n') + '\n';
}

export function receivablesCsv(list: { asOf: string; invoices: Receivable[] }): string {
  return toCsv([
    [
      'as_of',
      'invoice_number',
      'kind',
      'org_id',
      'organisation',
      'issued_on',
      'due_on',
      'total_yen',
      'paid_yen',
      'outstanding_yen',
      'age_days',
      'bucket',
    ],
    ...list.invoices.map((r) => [
      list.asOf,
      r.number,
      r.kind,
      r.orgId,
      r.orgName,
      r.issuedOn,
      r.dueOn,
      r.totalYen,
      r.paidYen,
      r.outstandingYen,
      r.ageDays,
      r.bucket,
    ]),
  ]);
}
