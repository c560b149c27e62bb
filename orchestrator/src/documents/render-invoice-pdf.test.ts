import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import type { InvoiceDocument } from './document-types.ts';
import { pdfFonts, pdfPages, pdfWords } from './pdf-test-tools.ts';
import { renderInvoicePdf } from './render-invoice-pdf.ts';
import {
  sampleLongStatement,
  sampleParticipationFeeInvoice,
  sampleStatementWithReturn,
  sampleUsageFeeStatement,
} from './sample-documents.ts';

/** Whitespace runs as one space: pdftotext -layout pads columns. */
const flat = (text: string): string => text.replace(/[ \t]+/g, ' ');

describe('renderInvoicePdf (read back with pdftotext)', function () {
  this.timeout(60_000);

  describe('a usage-fee statement in Japanese holds every item of a qualified invoice', () => {
    let text: string;
    let pages: string[];
    before(async () => {
      pages = pdfPages(await renderInvoicePdf(sampleUsageFeeStatement(), 'ja'));
      text = pages.join('\n');
    });

    it('is one page titled 適格請求書, of the statement kind', () => {
      expect(pages).to.have.length(1);
      expect(text).to.include('適格請求書');
      expect(text).to.include('CYROP 利用料明細書');
    });
    it('names the issuer and its registration number, and the recipient with 御中', () => {
      expect(flat(text)).to.include('CYNEX 運営事務局');
      expect(flat(text)).to.match(/登録番号: T1234567890123/);
      expect(flat(text)).to.include('株式会社サンプル研修 御中');
      expect(text).not.to.include('様');
    });
    it('gives the number, issue date, period and due date', () => {
      expect(flat(text)).to.match(/請求書番号 UF-2026-04-0007/);
      expect(flat(text)).to.match(/発行日 2026年5月1日/);
      expect(flat(text)).to.match(/対象期間 2026年4月1日〜2026年4月30日/);
      expect(flat(text)).to.match(/お支払期限 2026年5月31日/);
    });
    it('lists each supply with its date, description, tax rate and amount, right-aligned in yen', () => {
      expect(flat(text)).to.match(/日付 品目 数量 単価 税率 金額（税抜）/);
      expect(flat(text)).to.match(/2026\/04\/03 利用料：売上 123,450円.* 10% 12,345円/);
      expect(flat(text)).to.match(/2026\/04\/17 利用料：売上 78,900円.* 10% 7,890円/);
    });
    it('gives the total and the consumption tax per rate, with the rate, and the grand total', () => {
      expect(flat(text)).to.match(/税率 対象金額（税抜） 消費税額等 合計（税込）/);
      expect(flat(text)).to.match(/10%対象 20,235円 2,023円 22,258円/);
      expect(flat(text)).to.match(/合計（税込） 22,258円/);
      expect(flat(text)).to.match(/ご請求金額（税込）[\s\S]*22,258円/);
    });
    it('lists the payments and the balance, and the notes', () => {
      expect(flat(text)).to.match(/2026\/05\/20 10,000円/);
      expect(flat(text)).to.match(/差引残高 12,258円/);
      expect(text).to.include('CYROP を利用した事業の売上の10%を利用料としてご請求します。');
    });
    it('carries the invoice number and the page on the page', () => {
      expect(flat(text)).to.match(/請求書番号 UF-2026-04-0007 · CYNEX 運営事務局 · 登録番号 T1234567890123/);
      expect(flat(text)).to.include('1 / 1 ページ');
    });
  });

  describe('the same statement in English', () => {
    let text: string;
    before(async () => {
      text = flat(pdfPages(await renderInvoicePdf(sampleUsageFeeStatement(), 'en')).join('\n'));
    });

    it('holds every item, in English words and ¥ amounts', () => {
      expect(text).to.include('Qualified Invoice');
      expect(text).to.include('CYROP usage-fee statement');
      expect(text).to.include('Bill to');
      expect(text).to.include('株式会社サンプル研修');
      expect(text).not.to.include('御中');
      expect(text).to.match(/Registration number: T1234567890123/);
      expect(text).to.match(/Invoice number UF-2026-04-0007/);
      expect(text).to.match(/Issue date 1 May 2026/);
      expect(text).to.match(/Period 1 April 2026 – 30 April 2026/);
      expect(text).to.match(/Due date 31 May 2026/);
      expect(text).to.match(/Date Description Qty Unit price Tax rate Amount \(excl\. tax\)/);
      expect(text).to.match(/2026-04-03 Usage fee: 10% of sale ¥123,450.* 10% ¥12,345/);
      expect(text).to.match(/2026-04-17 Usage fee: 10% of sale ¥78,900.* 10% ¥7,890/);
      expect(text).to.match(/Subject to 10% ¥20,235 ¥2,023 ¥22,258/);
      expect(text).to.match(/Total \(incl\. tax\) ¥22,258/);
      expect(text).to.match(/2026-05-20 ¥10,000/);
      expect(text).to.match(/Balance due ¥12,258/);
      expect(text).to.include('The usage fee is 10% of the sales of the business run on CYROP.');
      expect(text).to.include('Page 1 of 1');
    });
  });

  it('shows every tax rate of a mixed invoice on its own row, and addresses a person with 様', async () => {
    const ja = flat(pdfPages(await renderInvoicePdf(sampleParticipationFeeInvoice(), 'ja')).join('\n'));
    expect(ja).to.include('山田 太郎 様');
    expect(ja).not.to.include('御中');
    expect(ja).to.match(/CYNEX 参加費（中小企業、Co-Nexus 2 件、×1.5） 1 750,000円 10% 750,000円/);
    expect(ja).to.match(/2026\/04\/10 会合時の飲食料品 3 1,080円 8% 3,240円/);
    expect(ja).to.match(/10%対象 750,000円 75,000円 825,000円/);
    expect(ja).to.match(/8%対象 3,240円 259円 3,499円/);
    expect(ja).to.match(/0%対象 1,000円 0円 1,000円/);
    expect(ja).to.match(/合計（税込） 829,499円/);
    const en = flat(pdfPages(await renderInvoicePdf(sampleParticipationFeeInvoice(), 'en')).join('\n'));
    expect(en).to.match(/Subject to 8% ¥3,240 ¥259 ¥3,499/);
    expect(en).to.match(/Total \(incl\. tax\) ¥829,499/);
  });

  it('embeds its one font, as a subset', async () => {
    const fonts = pdfFonts(await renderInvoicePdf(sampleUsageFeeStatement(), 'ja'));
    expect(fonts).to.have.length(1);
    expect(fonts[0]).to.include({ embedded: true, subset: true });
    expect(fonts[0]?.name).to.match(/\+IPA/);
  });

  it('spreads a 3,000-line statement over pages, each with the header row, keeping every line once and in order', async () => {
    const pdf = await renderInvoicePdf(sampleLongStatement(3000), 'ja');
    const pages = pdfPages(pdf);
    expect(pages.length).to.be.greaterThan(40);
    const seen: number[] = [];
    pages.forEach((page, i) => {
      const text = flat(page);
      expect(text, `page ${i + 1}`).to.include(`${i + 1} / ${pages.length} ページ`);
      expect(text, `page ${i + 1}`).to.include('UF-2026-04-L3000');
      if (text.includes('売上 No.'))
        expect(text, `page ${i + 1}`).to.match(/日付 品目 数量 単価 税率 金額（税抜）/);
      for (const match of text.matchAll(/売上 No\.(\d+)（顧客 \d+ 社） 1 ([\d,]+)円 10% ([\d,]+)円/g)) {
        const sale = Number(match[1]);
        // Sale i's fee is 100 + i yen (sampleLongStatement).
        expect(match[2]).to.equal(match[3]);
        expect(Number(match[3]?.replaceAll(',', ''))).to.equal(100 + sale);
        seen.push(sale);
      }
    });
    expect(seen).to.deep.equal(Array.from({ length: 3000 }, (_, i) => i + 1));
    // Fees 101 … 3,100: 3,000 × 100 + 3,000 × 3,001 / 2 = 4,801,500; tax 480,150; total 5,281,650.
    expect(flat(pages.join('\n'))).to.match(/10%対象 4,801,500円 480,150円 5,281,650円/);
    expect(flat(pages[0] ?? '')).to.match(/ご請求金額（税込）[\s\S]*5,281,650円/);

    // The amount column (its words right of x = 480 pt): 3- and 4-digit amounts start at different
    // places and all end at the same one, on every page.
    const amounts = pdfWords(pdf).filter((w) => w.xMin > 480 && /^[\d,]+円$/.test(w.text));
    expect(amounts.length).to.be.greaterThanOrEqual(3000);
    expect(new Set(amounts.map((w) => w.xMax.toFixed(1))).size).to.equal(1);
    expect(new Set(amounts.map((w) => w.xMin.toFixed(1))).size).to.be.greaterThan(1);
  });

  it('cuts a description longer than a third of a page, with an ellipsis, and keeps the page count right', async () => {
    const doc = sampleLongStatement(60);
    const first = doc.lines[0];
    if (!first) throw new Error('the sample has lines');
    const essay = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    first.description = { ja: essay, en: essay };
    const pages = pdfPages(await renderInvoicePdf(doc, 'en'));
    const text = flat(pages.join('\n'));
    expect(text).to.include('word0 word1');
    expect(text).not.to.include('word399');
    expect(text).to.include('…');
    pages.forEach((page, i) => expect(flat(page)).to.include(`Page ${i + 1} of ${pages.length}`));
    expect(text).to.match(/Usage fee: sale No\.60 \(customer 60\)/);
  });

  it('cuts a recipient name or note pasted at page length, and still numbers its pages right', async () => {
    const long = Array.from({ length: 600 }, (_, i) => `part${i}`).join(' ');
    const doc = { ...sampleUsageFeeStatement(), notes: [{ ja: long, en: long }] };
    doc.recipient = { name: long };
    const pages = pdfPages(await renderInvoicePdf(doc, 'en'));
    const text = flat(pages.join('\n'));
    expect(text).not.to.include('part599');
    pages.forEach((page, i) => expect(flat(page)).to.include(`Page ${i + 1} of ${pages.length}`));
    expect(text).to.match(/Subject to 10% ¥20,235 ¥2,023 ¥22,258/);
  });

  it('refuses an invoice whose totals do not add up, naming the field', async () => {
    const wrong: InvoiceDocument = {
      ...sampleUsageFeeStatement(),
      taxTotals: [{ taxRatePercent: 10, taxableYen: 20_236, taxYen: 2_023 }],
      totalYen: 22_259,
    };
    const error = await renderInvoicePdf(wrong, 'ja').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(CyropError);
    expect((error as CyropError).code).to.equal('BAD_REQUEST');
    expect((error as CyropError).message).to.include(
      'UF-2026-04-0007: taxTotals[0].taxableYen is 20236 but the lines at 10% sum to 20235',
    );
  });

  describe('a statement with a return (返還): the returned amount, its original date and its tax per rate', () => {
    it('lists the return apart, dated like the original sale, with the returned tax and the net total (ja)', async () => {
      const text = flat(pdfPages(await renderInvoicePdf(sampleStatementWithReturn(), 'ja')).join('\n'));
      for (const item of [
        '返還（適格返還請求書）',
        '2026/03/18',
        '株式会社テスト様への売上',
        '4,567円',
        '返還 10%対象 -4,567円 -456円 -5,023円',
        '合計（税込） 17,235円',
      ])
        expect(text, item).to.include(item);
    });
    it('in English too', async () => {
      const text = flat(pdfPages(await renderInvoicePdf(sampleStatementWithReturn(), 'en')).join('\n'));
      for (const item of [
        'Returns (qualified return invoice)',
        'Returned 10% -¥4,567 -¥456 -¥5,023',
        '¥17,235',
      ])
        expect(text, item).to.include(item);
    });
    it('is refused when the returns do not add up', async () => {
      const doc = sampleStatementWithReturn();
      doc.returns!.taxTotals[0]!.taxableYen = 4_000;
      try {
        await renderInvoicePdf(doc, 'ja');
        expect.fail('rendered');
      } catch (error) {
        expect((error as CyropError).message).to.contain(
          'returns.taxTotals[0].taxableYen is 4000 but the returns.lines at 10% sum to 4567',
        );
      }
    });
  });
});
