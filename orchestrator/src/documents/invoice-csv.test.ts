import { parse } from 'csv-parse/sync';
import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import type { InvoiceDocument } from './document-types.ts';
import { invoiceCsv } from './invoice-csv.ts';
import {
  sampleLongStatement,
  sampleParticipationFeeInvoice,
  sampleStatementWithReturn,
  sampleUsageFeeStatement,
} from './sample-documents.ts';

/** Parses as an accounting import would: BOM removed, header row as the keys. */
function records(csv: string): Record<string, string>[] {
  return parse<Record<string, string>>(csv, { bom: true, columns: true });
}

describe('invoiceCsv', () => {
  it('is UTF-8 with a byte-order mark and CRLF after every record', () => {
    const csv = invoiceCsv(sampleUsageFeeStatement(), 'ja');
    expect(csv.startsWith('\uFEFF行種別,請求書番号,')).to.equal(true);
    expect(csv.endsWith('\r\n')).to.equal(true);
    expect(csv.replaceAll('\r\n', '')).not.to.include('\n');
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).to.deep.equal(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('has one record per line, per tax rate, the total and each payment, each carrying the invoice', () => {
    const rows = records(invoiceCsv(sampleUsageFeeStatement(), 'ja'));
    expect(rows.map((r) => r['行種別'])).to.deep.equal(['明細', '明細', '税率別合計', '合計', '入金']);
    for (const row of rows) {
      expect(row).to.include({
        請求書番号: 'UF-2026-04-0007',
        発行日: '2026-05-01',
        対象期間開始: '2026-04-01',
        対象期間終了: '2026-04-30',
        支払期限: '2026-05-31',
        発行者名: 'CYNEX 運営事務局',
        登録番号: 'T1234567890123',
        請求先名: '株式会社サンプル研修',
      });
    }
    expect(rows[0]).to.include({
      取引日: '2026-04-03',
      '税率(%)': '10',
      '金額(税抜)': '12345',
      消費税額: '',
    });
    expect(rows[0]?.['品目']).to.include('インシデント対応入門、顧客 A社');
    expect(rows[2]).to.include({
      '税率(%)': '10',
      '金額(税抜)': '20235',
      消費税額: '2023',
      '金額(税込)': '22258',
    });
    expect(rows[3]).to.include({ '金額(税抜)': '20235', 消費税額: '2023', '金額(税込)': '22258' });
    expect(rows[4]).to.include({ 取引日: '2026-05-20', '金額(税込)': '10000' });
  });

  it('writes one tax-total record per rate of a mixed invoice, in English too', () => {
    const rows = records(invoiceCsv(sampleParticipationFeeInvoice(), 'en'));
    const totals = rows.filter((r) => r['record'] === 'tax-total');
    expect(totals.map((r) => [r['tax rate (%)'], r['amount excl. tax'], r['consumption tax']])).to.deep.equal(
      [
        ['10', '750000', '75000'],
        ['8', '3240', '259'],
        ['0', '1000', '0'],
      ],
    );
    expect(rows.find((r) => r['record'] === 'total')?.['amount incl. tax']).to.equal('829499');
    expect(rows.find((r) => r['record'] === 'line')).to.include({ quantity: '1', 'unit price': '750000' });
  });

  it('keeps commas, quotes and newlines inside a cell, and keeps a formula as text', () => {
    const doc = sampleUsageFeeStatement();
    const first = doc.lines[0];
    if (!first) throw new Error('the sample has lines');
    first.description = { ja: '研修 "A", 第1回\n午前', en: '=HYPERLINK("http://x","y")' };
    expect(records(invoiceCsv(doc, 'ja'))[0]?.['品目']).to.equal('研修 "A", 第1回\n午前');
    expect(records(invoiceCsv(doc, 'en'))[0]?.['description']).to.equal(`'=HYPERLINK("http://x","y")`);
  });

  it('sums the lines of a 3,000-line statement to its tax-total record', () => {
    const rows = records(invoiceCsv(sampleLongStatement(3000), 'en'));
    const lines = rows.filter((r) => r['record'] === 'line');
    expect(lines).to.have.length(3000);
    const sum = lines.reduce((s, r) => s + Number(r['amount excl. tax']), 0);
    expect(sum).to.equal(4_801_500);
    expect(rows.find((r) => r['record'] === 'tax-total')?.['amount excl. tax']).to.equal('4801500');
  });

  it('refuses an invoice whose total is not the sum of its rates', () => {
    const wrong: InvoiceDocument = { ...sampleUsageFeeStatement(), totalYen: 22_000 };
    expect(() => invoiceCsv(wrong, 'ja'))
      .to.throw(CyropError, 'totalYen is 22000 but taxTotals sum to 22258')
      .with.property('code', 'BAD_REQUEST');
  });

  it('lists a return (返還) as negative records, and the total row nets it out', () => {
    const rows = records(invoiceCsv(sampleStatementWithReturn(), 'ja'));
    expect(rows.map((r) => r['行種別'])).to.deep.equal([
      '明細',
      '明細',
      '税率別合計',
      '返還',
      '返還税率別合計',
      '合計',
    ]);
    expect(rows[3]).to.include({ 取引日: '2026-03-18', '税率(%)': '10', '金額(税抜)': '-4567' });
    expect(rows[4]).to.include({
      品目: '返還 10%対象',
      '金額(税抜)': '-4567',
      消費税額: '-456',
      '金額(税込)': '-5023',
    });
    expect(rows[5]).to.include({ '金額(税抜)': '15668', 消費税額: '1567', '金額(税込)': '17235' });
  });
});
