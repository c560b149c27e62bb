import { checkInvoiceDocument } from './check-invoice-document.ts';
import {
  formatLongDate,
  formatPeriod,
  formatShortDate,
  formatYen,
  groupDigits,
  type DocumentLanguage,
} from './document-format.ts';
import { documentLabels } from './document-labels.ts';
import type { InvoiceDocument, InvoiceLine } from './document-types.ts';
import { renderInPages, type PdfColumn, type PdfLayoutOptions } from './pdf-layout.ts';

export interface RenderPdfOptions {
  /** The TrueType font to embed; by default the first of Debian's Japanese fonts found. */
  fontPath?: string;
}

/** The name a recipient is addressed by: `株式会社サンプル 御中` in Japanese, the bare name in English. */
export function addressee(recipient: InvoiceDocument['recipient'], lang: DocumentLanguage): string {
  const labels = documentLabels[lang];
  const honorific = recipient.individual === true ? labels.honorificPerson : labels.honorificOrganisation;
  return honorific === '' ? recipient.name : `${recipient.name} ${honorific}`;
}

/**
 * A qualified invoice (適格請求書) or usage-fee statement as an A4 PDF in Japanese or English, with
 * the Japanese font embedded as a subset: recipient, issuer and registration number, number, issue
 * date, period, due date; every line (date, description, quantity, unit price, tax rate, amount
 * excluding tax) in a table whose header row repeats on every page; the taxable amount and
 * consumption tax per rate; the grand total; payments and balance; notes. Every page carries the
 * invoice number and "page n of N".
 * @throws CyropError `BAD_REQUEST` when the invoice does not add up (see checkInvoiceDocument),
 *   `IO_ERROR` when no Japanese font is installed.
 */
export async function renderInvoicePdf(
  doc: InvoiceDocument,
  lang: DocumentLanguage,
  options: RenderPdfOptions = {},
): Promise<Buffer> {
  checkInvoiceDocument(doc);
  const t = documentLabels[lang];
  const kind = doc.kind === 'usage-fee-statement' ? t.kindUsageFeeStatement : t.kindParticipationFeeInvoice;
  const pdfOptions: PdfLayoutOptions = {
    title: `${t.invoiceTitle} ${doc.number}`,
    author: doc.issuer.name,
    subject: `${kind} — ${doc.recipient.name}`,
    createdOn: doc.issuedOn,
    runningHeader: `${t.invoiceTitle} ${doc.number} ${t.continued}`,
    footer: `${t.invoiceNumber} ${doc.number} · ${doc.issuer.name} · ${t.registrationNumber} ${doc.issuer.registrationNumber}`,
    pageLabel: t.page,
    lang,
    ...(options.fontPath === undefined ? {} : { fontPath: options.fontPath }),
  };
  return renderInPages(pdfOptions, (layout) => {
    // Title.
    layout.text(t.invoiceTitle, 18, { align: 'center' });
    layout.gap(2);
    layout.text(kind, 10, { align: 'center', colour: '#333333' });
    layout.gap(14);

    // Left: recipient and the amount due. Right: the invoice's facts and the issuer.
    const top = layout.y;
    const leftWidth = layout.width * 0.52;
    const rightX = layout.left + layout.width * 0.56;
    const rightWidth = layout.width * 0.44;

    if (lang === 'en') layout.text(t.billTo, 8, { width: leftWidth, colour: '#555555' });
    layout.text(addressee(doc.recipient, lang), 13, { width: leftWidth });
    layout.doc
      .moveTo(layout.left, layout.y + 1)
      .lineTo(layout.left + leftWidth, layout.y + 1)
      .lineWidth(0.8)
      .strokeColor('black')
      .stroke();
    layout.gap(4);
    if (doc.recipient.address) layout.text(doc.recipient.address, 8.5, { width: leftWidth });
    layout.gap(12);
    const paid = (doc.payments ?? []).reduce((sum, p) => sum + p.amountYen, 0);
    const boxTop = layout.y;
    layout.text(t.amountDue, 9, { x: layout.left + 6, width: leftWidth - 12 });
    layout.text(formatYen(doc.totalYen, lang), 16, {
      x: layout.left + 6,
      width: leftWidth - 12,
      align: 'right',
    });
    if (paid !== 0) {
      layout.text(`${t.balance}  ${formatYen(doc.totalYen - paid, lang)}`, 9, {
        x: layout.left + 6,
        width: leftWidth - 12,
        align: 'right',
      });
    }
    layout.gap(4);
    layout.doc
      .rect(layout.left, boxTop - 4, leftWidth, layout.y - boxTop + 4)
      .lineWidth(1)
      .strokeColor('black')
      .stroke();
    const leftBottom = layout.y;

    layout.y = top;
    const facts: [string, string][] = [
      [t.invoiceNumber, doc.number],
      [t.issuedOn, formatLongDate(doc.issuedOn, lang)],
      [t.period, formatPeriod(doc.period, lang)],
    ];
    if (doc.dueOn !== undefined) facts.push([t.dueOn, formatLongDate(doc.dueOn, lang)]);
    const labelWidth = lang === 'ja' ? 62 : 78;
    for (const [label, value] of facts) {
      const y = layout.y;
      layout.text(label, 8.5, { x: rightX, width: labelWidth, colour: '#555555' });
      const labelBottom = layout.y;
      layout.y = y;
      layout.text(value, 8.5, { x: rightX + labelWidth, width: rightWidth - labelWidth });
      layout.y = Math.max(layout.y, labelBottom) + 2;
    }
    layout.gap(8);
    if (lang === 'en') layout.text(t.issuer, 8, { x: rightX, width: rightWidth, colour: '#555555' });
    layout.text(doc.issuer.name, 10.5, { x: rightX, width: rightWidth });
    layout.text(`${t.registrationNumber}: ${doc.issuer.registrationNumber}`, 8.5, {
      x: rightX,
      width: rightWidth,
    });
    if (doc.issuer.address) layout.text(doc.issuer.address, 8.5, { x: rightX, width: rightWidth });
    layout.y = Math.max(layout.y, leftBottom) + 18;

    // The lines.
    const columns: PdfColumn[] = [
      { label: t.columnDate, width: 58, align: 'left' },
      { label: t.columnDescription, width: 0, align: 'left' },
      { label: t.columnQuantity, width: 38, align: 'right' },
      { label: t.columnUnitPrice, width: 66, align: 'right' },
      { label: t.columnTaxRate, width: 40, align: 'right' },
      { label: t.columnAmount, width: 80, align: 'right' },
    ];
    const lineCells = function* (lines: InvoiceLine[]): Generator<string[]> {
      for (const line of lines) {
        yield [
          line.date === undefined ? '' : formatShortDate(line.date, lang),
          line.description[lang],
          line.quantity === undefined ? '' : groupDigits(line.quantity),
          line.unitPriceYen === undefined ? '' : formatYen(line.unitPriceYen, lang),
          `${line.taxRatePercent}%`,
          formatYen(line.amountYen, lang),
        ];
      }
    };
    if (doc.lines.length === 0) {
      layout.text(t.noLines, 9);
    } else {
      layout.table(columns, lineCells(doc.lines), { widen: 1 });
    }

    // Returns: amounts of earlier invoices given back, each dated like its original supply.
    if (doc.returns !== undefined && doc.returns.lines.length > 0) {
      layout.gap(14);
      layout.ensureSpace(60);
      layout.heading(t.returns, 12);
      layout.text(t.returnsDateNote, 8.5, { colour: '#555555' });
      layout.gap(3);
      layout.table(columns, lineCells(doc.returns.lines), { widen: 1 });
    }

    // Totals per tax rate, then the grand total.
    layout.gap(14);
    const summaryWidth = 330; // the widths of the summary's columns
    const summaryX = layout.left + layout.width - summaryWidth;
    const summaryRows = doc.taxTotals.map((taxTotal) => [
      t.subjectToRate(taxTotal.taxRatePercent),
      formatYen(taxTotal.taxableYen, lang),
      formatYen(taxTotal.taxYen, lang),
      formatYen(taxTotal.taxableYen + taxTotal.taxYen, lang),
    ]);
    for (const taxTotal of doc.returns?.taxTotals ?? [])
      summaryRows.push([
        t.returnedAtRate(taxTotal.taxRatePercent),
        formatYen(-taxTotal.taxableYen, lang),
        formatYen(-taxTotal.taxYen, lang),
        formatYen(-(taxTotal.taxableYen + taxTotal.taxYen), lang),
      ]);
    summaryRows.push([t.grandTotal, '', '', formatYen(doc.totalYen, lang)]);
    layout.ensureSpace(20 * (summaryRows.length + 2));
    layout.text(t.taxSummary, 9.5, { x: summaryX, width: summaryWidth });
    layout.gap(3);
    layout.table(
      [
        { label: t.columnTaxRate, width: 80, align: 'left' },
        { label: t.columnTaxableAmount, width: 84, align: 'right' },
        { label: t.columnTax, width: 80, align: 'right' },
        { label: t.columnTotalWithTax, width: 86, align: 'right' },
      ],
      summaryRows,
      { x: summaryX },
    );

    // Payments.
    if (doc.payments !== undefined && doc.payments.length > 0) {
      layout.gap(14);
      layout.ensureSpace(20 * (doc.payments.length + 3));
      layout.text(t.payments, 9.5, { x: summaryX, width: summaryWidth });
      layout.gap(3);
      const paymentRows = doc.payments.map((p) => [
        formatShortDate(p.on, lang),
        formatYen(p.amountYen, lang),
      ]);
      paymentRows.push([t.balance, formatYen(doc.totalYen - paid, lang)]);
      layout.table(
        [
          { label: t.paidOn, width: 244, align: 'left' },
          { label: t.paidAmount, width: 86, align: 'right' },
        ],
        paymentRows,
        { x: summaryX },
      );
    }

    // Notes.
    if (doc.notes !== undefined && doc.notes.length > 0) {
      layout.gap(16);
      layout.heading(t.notes, 12);
      for (const note of doc.notes) layout.text(`${lang === 'ja' ? '・' : '• '}${note[lang]}`, 8.5);
    }
  });
}
