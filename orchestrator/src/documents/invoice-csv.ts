import { checkInvoiceDocument } from './check-invoice-document.ts';
import { csvText, type CsvCell } from './csv-text.ts';
import type { DocumentLanguage } from './document-format.ts';
import { documentLabels } from './document-labels.ts';
import type { InvoiceDocument } from './document-types.ts';

const HEADERS: Record<DocumentLanguage, string[]> = {
  ja: [
    '行種別',
    '請求書番号',
    '発行日',
    '対象期間開始',
    '対象期間終了',
    '支払期限',
    '発行者名',
    '登録番号',
    '請求先名',
    '取引日',
    '品目',
    '数量',
    '単価',
    '税率(%)',
    '金額(税抜)',
    '消費税額',
    '金額(税込)',
  ],
  en: [
    'record',
    'invoice number',
    'issue date',
    'period from',
    'period to',
    'due date',
    'issuer',
    'registration number',
    'recipient',
    'date',
    'description',
    'quantity',
    'unit price',
    'tax rate (%)',
    'amount excl. tax',
    'consumption tax',
    'amount incl. tax',
  ],
};

/**
 * An invoice as CSV for an accounting import (UTF-8 with BOM, CRLF; see csvText). Every record
 * repeats the invoice's identity (number, dates, issuer, registration number, recipient) so that each
 * stands alone once imported, and starts with its record type:
 * - one `明細`/`line` per line: date, description, quantity, unit price, tax rate, amount excluding tax
 *   (the tax is not per line: a qualified invoice rounds it once per rate);
 * - one `税率別合計`/`tax-total` per tax rate: the rate, taxable amount, consumption tax, sum;
 * - with returns (返還), one `返還`/`return` per returned amount (negative, dated like the original
 *   supply) and one `返還税率別合計`/`return-tax-total` per rate (negative amount, tax and sum);
 * - one `合計`/`total`: every rate's taxable amount and tax less the returns', and the invoice total;
 * - one `入金`/`payment` per payment recorded: its date and amount (in the tax-included column).
 * Amounts are bare integers of yen, dates `YYYY-MM-DD`, rates whole percentages.
 * @throws CyropError `BAD_REQUEST` when the invoice does not add up.
 */
export function invoiceCsv(doc: InvoiceDocument, lang: DocumentLanguage): string {
  checkInvoiceDocument(doc);
  const t = documentLabels[lang];
  const identity: CsvCell[] = [
    doc.number,
    doc.issuedOn,
    doc.period.from,
    doc.period.to,
    doc.dueOn,
    doc.issuer.name,
    doc.issuer.registrationNumber,
    doc.recipient.name,
  ];
  const rows = function* (): Generator<CsvCell[]> {
    for (const line of doc.lines) {
      yield [
        t.csvRecordLine,
        ...identity,
        line.date,
        line.description[lang],
        line.quantity,
        line.unitPriceYen,
        line.taxRatePercent,
        line.amountYen,
        undefined,
        undefined,
      ];
    }
    let taxable = 0;
    let tax = 0;
    for (const total of doc.taxTotals) {
      taxable += total.taxableYen;
      tax += total.taxYen;
      yield [
        t.csvRecordTaxTotal,
        ...identity,
        undefined,
        t.subjectToRate(total.taxRatePercent),
        undefined,
        undefined,
        total.taxRatePercent,
        total.taxableYen,
        total.taxYen,
        total.taxableYen + total.taxYen,
      ];
    }
    for (const line of doc.returns?.lines ?? []) {
      yield [
        t.csvRecordReturn,
        ...identity,
        line.date,
        line.description[lang],
        line.quantity,
        line.unitPriceYen,
        line.taxRatePercent,
        -line.amountYen,
        undefined,
        undefined,
      ];
    }
    for (const total of doc.returns?.taxTotals ?? []) {
      taxable -= total.taxableYen;
      tax -= total.taxYen;
      yield [
        t.csvRecordReturnTaxTotal,
        ...identity,
        undefined,
        t.returnedAtRate(total.taxRatePercent),
        undefined,
        undefined,
        total.taxRatePercent,
        -total.taxableYen,
        -total.taxYen,
        -(total.taxableYen + total.taxYen),
      ];
    }
    yield [
      t.csvRecordTotal,
      ...identity,
      undefined,
      t.grandTotal,
      undefined,
      undefined,
      undefined,
      taxable,
      tax,
      doc.totalYen,
    ];
    for (const payment of doc.payments ?? []) {
      yield [
        t.csvRecordPayment,
        ...identity,
        payment.on,
        t.payments,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        payment.amountYen,
      ];
    }
  };
  return csvText(HEADERS[lang], rows());
}
