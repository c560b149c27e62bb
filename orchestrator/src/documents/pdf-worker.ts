/**
 * The worker side of `PdfRenderer`: renders one invoice or transcript as PDF in a worker thread
 * (time and memory bounded by the pool that runs it). A refusal (an invoice that does not add up, no
 * Japanese font) comes back as data: a CyropError's class does not survive the trip back.
 */
import type { DocumentLanguage } from './document-format.ts';
import type { InvoiceDocument, TranscriptDocument } from './document-types.ts';
import { isCyropError, type ErrorCode } from '../errors.ts';
import { renderInvoicePdf } from './render-invoice-pdf.ts';
import { renderTranscriptPdf } from './render-transcript-pdf.ts';

export type PdfTask =
  | { kind: 'invoice'; doc: InvoiceDocument; lang: DocumentLanguage }
  | { kind: 'transcript'; doc: TranscriptDocument; lang: DocumentLanguage };

/** The PDF's bytes, or the refusal. */
export type PdfOutcome =
  { pdf: Uint8Array } | { error: { code: ErrorCode; message: string; details?: unknown } };

export default async function renderPdfTask(task: PdfTask): Promise<PdfOutcome> {
  try {
    const pdf =
      task.kind === 'invoice'
        ? await renderInvoicePdf(task.doc, task.lang)
        : await renderTranscriptPdf(task.doc, task.lang);
    return { pdf };
  } catch (error) {
    if (!isCyropError(error)) throw error;
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details !== undefined ? { details: error.details } : {}),
      },
    };
  }
}
