import { checkInvoiceDocument } from './check-invoice-document.ts';
import type { InvoiceDocument } from './document-types.ts';

/** The format marker of an invoice exported as JSON; the version changes when a field changes meaning. */
export const INVOICE_JSON_FORMAT = 'cyrop.invoice/v1';

/**
 * An invoice as JSON, for other software: the document as it is (both languages' descriptions,
 * integer yen, `YYYY-MM-DD` dates) under a `format` marker, checked first so that nothing that does
 * not add up leaves the platform. Indented, ending with a newline.
 * @throws CyropError `BAD_REQUEST` when the invoice does not add up.
 */
export function invoiceJson(doc: InvoiceDocument): string {
  checkInvoiceDocument(doc);
  return `${JSON.stringify({ format: INVOICE_JSON_FORMAT, ...doc }, null, 2)}\n`;
}
