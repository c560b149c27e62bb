import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { INVOICE_JSON_FORMAT, invoiceJson } from './invoice-json.ts';
import { sampleParticipationFeeInvoice, sampleUsageFeeStatement } from './sample-documents.ts';

describe('invoiceJson', () => {
  it('is the document under a format marker, readable back to the same data', () => {
    const doc = sampleParticipationFeeInvoice();
    const parsed = JSON.parse(invoiceJson(doc)) as Record<string, unknown>;
    expect(parsed['format']).to.equal(INVOICE_JSON_FORMAT);
    const { format, ...rest } = parsed;
    expect(format).to.be.a('string');
    expect(rest).to.deep.equal(doc);
  });

  it('refuses a fractional yen, naming the line', () => {
    const doc = sampleUsageFeeStatement();
    const first = doc.lines[0];
    if (!first) throw new Error('the sample has lines');
    first.amountYen = 12_345.5;
    expect(() => invoiceJson(doc)).to.throw(
      CyropError,
      'lines[0].amountYen is 12345.5, not an integer number of yen',
    );
  });
});
