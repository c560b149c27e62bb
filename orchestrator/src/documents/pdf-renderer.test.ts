import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { PdfRenderer } from './pdf-renderer.ts';
import { pdfPages } from './pdf-test-tools.ts';
import { sampleLongStatement, sampleTranscript, sampleUsageFeeStatement } from './sample-documents.ts';

async function refusal(promise: Promise<unknown>): Promise<CyropError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    return error as CyropError;
  }
  throw new Error('expected a refusal, got a PDF');
}

describe('PdfRenderer (PDFs rendered in a worker thread)', function () {
  this.timeout(60_000);
  const renderer = new PdfRenderer();
  after(() => renderer.close());

  it('renders a statement and a transcript in a worker: the same qualified-invoice items come back', async () => {
    const statement = pdfPages(await renderer.invoice(sampleUsageFeeStatement(), 'ja')).join('\n');
    for (const item of ['適格請求書', 'T1234567890123', '株式会社サンプル研修 御中', 'UF-2026-04-0007'])
      expect(statement, item).to.include(item);
    const transcript = pdfPages(await renderer.transcript(sampleTranscript(), 'en')).join('\n');
    expect(transcript).to.include('Incident Response in Practice');
  });

  it('gives back the refusal of an invoice that does not add up with its code and the place named', async () => {
    const doc = { ...sampleUsageFeeStatement(), totalYen: 1 };
    const error = await refusal(renderer.invoice(doc, 'en'));
    expect(error.code).to.equal('BAD_REQUEST');
    expect(error.message).to.contain('totalYen');
  });

  it('refuses a statement over its line limit before rendering, naming the count, the limit and the CLI', async () => {
    const small = new PdfRenderer({ maxInvoiceLines: 10 });
    const error = await refusal(small.invoice(sampleLongStatement(11), 'ja', 'cyrop billing statement …'));
    expect(error.code).to.equal('PAYLOAD_TOO_LARGE');
    expect(error.message).to.equal(
      'UF-2026-04-L11 has 11 lines, more than the 10 the server renders as PDF: run `cyrop billing statement …`',
    );
    await small.close();
  });

  it('stops a rendering past its deadline (PAYLOAD_TOO_LARGE) and renders the next one', async () => {
    const slow = new PdfRenderer({ timeoutMs: 200 });
    const error = await refusal(slow.invoice(sampleLongStatement(3_000), 'ja'));
    expect(error.code).to.equal('PAYLOAD_TOO_LARGE');
    expect(error.message).to.contain('took longer than 0.2 s');
    await slow.close();
    expect(pdfPages(await renderer.invoice(sampleUsageFeeStatement(), 'en')).join('\n')).to.include(
      'Qualified Invoice',
    );
  });

  it('refuses work past its threads and queue (RATE_LIMITED) rather than queueing without bound', async () => {
    const busy = new PdfRenderer({ threads: 1, queue: 1 });
    const first = busy.invoice(sampleLongStatement(500), 'ja');
    const second = busy.invoice(sampleLongStatement(500), 'ja');
    const error = await refusal(busy.invoice(sampleUsageFeeStatement(), 'ja'));
    expect(error.code).to.equal('RATE_LIMITED');
    expect((await first).subarray(0, 5).toString()).to.equal('%PDF-');
    expect((await second).subarray(0, 5).toString()).to.equal('%PDF-');
    await busy.close();
  });
});
