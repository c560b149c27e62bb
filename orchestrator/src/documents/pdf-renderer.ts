import type { Piscina } from 'piscina';
import { CyropError } from '../errors.ts';
import { COMPILED, ORCHESTRATOR_URL } from '../paths.ts';
import type { DocumentLanguage } from './document-format.ts';
import type { InvoiceDocument, TranscriptDocument } from './document-types.ts';
import type { PdfOutcome, PdfTask } from './pdf-worker.ts';

/** Bounds of PDF rendering in the server. */
export interface PdfLimits {
  /** The most lines of an invoice or statement rendered in the server; longer ones are for the CLI. */
  maxInvoiceLines: number;
  /** Wall-clock deadline of one rendering, from the request (time waiting for a thread included). */
  timeoutMs: number;
  /** V8 heap of a render worker (old generation), in MiB. */
  heapMb: number;
  /** Renderings at once (each in a worker thread of its own). */
  threads: number;
  /** Renderings waiting for a thread; past this, requests are refused (429). */
  queue: number;
}

/**
 * 20,000 lines: 7.6 s of one core and a process peak of 203 MiB RSS when measured (it renders even
 * with a 64 MiB worker heap, so 256 MiB leaves room); one thread, so two cores keep one for everything
 * else. A bigger statement is the CLI's (`cyrop billing statement --format pdf`).
 */
export const PDF_LIMITS: PdfLimits = {
  maxInvoiceLines: 20_000,
  timeoutMs: 120_000,
  heapMb: 256,
  threads: 1,
  queue: 8,
};

// The worker runs what the main thread runs: the compiled build's pdf-worker.js (orchestrator/build.ts
// makes it an entry of its own), or the TypeScript source through tsx (bin/cyrop.js without a build, mocha).
const WORKER = COMPILED
  ? { filename: new URL('dist/pdf-worker.js', ORCHESTRATOR_URL).href, execArgv: [] }
  : {
      filename: new URL('src/documents/pdf-worker.ts', ORCHESTRATOR_URL).href,
      execArgv: ['--import', import.meta.resolve('tsx')],
    };

/**
 * Renders PDFs for the API off the event loop: in worker threads with a deadline and a heap limit,
 * a bounded number at once, so that one large statement or transcript never stalls anyone else's
 * requests. A rendering that runs out of time or memory is refused (`PAYLOAD_TOO_LARGE`, naming the
 * bound); its worker is ended and replaced and the server carries on. The CLI renders in its own
 * process and does not need this.
 */
export class PdfRenderer {
  readonly limits: PdfLimits;
  private pool: Piscina | undefined;
  private inFlight = 0;

  constructor(limits: Partial<PdfLimits> = {}) {
    this.limits = { ...PDF_LIMITS, ...limits };
  }

  /** Renderings running or waiting now. */
  get rendering(): number {
    return this.inFlight;
  }

  /**
   * An invoice or statement (see `renderInvoicePdf`).
   * @throws CyropError `PAYLOAD_TOO_LARGE` over `maxInvoiceLines` lines (`cli` names the command
   *   that renders it instead), `BAD_REQUEST` when it does not add up, `IO_ERROR` without a font.
   */
  async invoice(doc: InvoiceDocument, lang: DocumentLanguage, cli?: string): Promise<Buffer> {
    if (doc.lines.length > this.limits.maxInvoiceLines)
      throw new CyropError(
        'PAYLOAD_TOO_LARGE',
        `${doc.number} has ${doc.lines.length} lines, more than the ${this.limits.maxInvoiceLines} the server renders as PDF${cli === undefined ? '' : `: run \`${cli}\``}`,
      );
    return this.run({ kind: 'invoice', doc, lang }, doc.number);
  }

  /** A trainee's transcript (see `renderTranscriptPdf`). */
  async transcript(doc: TranscriptDocument, lang: DocumentLanguage): Promise<Buffer> {
    return this.run({ kind: 'transcript', doc, lang }, `the transcript of ${doc.trainee.name}`);
  }

  /** Ends the worker threads (running renderings are refused). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private async run(task: PdfTask, what: string): Promise<Buffer> {
    if (this.inFlight >= this.limits.threads + this.limits.queue)
      throw new CyropError(
        'RATE_LIMITED',
        `the server is already rendering ${this.limits.threads} PDF(s) with ${this.limits.queue} more waiting: try again shortly`,
      );
    this.inFlight++;
    let outcome: PdfOutcome;
    try {
      outcome = (await (
        await this.workers()
      ).run(task, { signal: AbortSignal.timeout(this.limits.timeoutMs) })) as PdfOutcome;
    } catch (error) {
      throw this.translate(error, what);
    } finally {
      this.inFlight--;
    }
    if ('error' in outcome)
      throw new CyropError(outcome.error.code, outcome.error.message, { details: outcome.error.details });
    return Buffer.from(outcome.pdf.buffer, outcome.pdf.byteOffset, outcome.pdf.byteLength);
  }

  /** The pool, made at the first rendering (piscina is loaded only then). */
  private async workers(): Promise<Piscina> {
    if (this.pool) return this.pool;
    const { Piscina } = await import('piscina');
    this.pool ??= new Piscina({
      ...WORKER,
      minThreads: 0,
      maxThreads: this.limits.threads,
      idleTimeout: 30_000,
      resourceLimits: {
        maxOldGenerationSizeMb: this.limits.heapMb,
        maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(this.limits.heapMb / 8))),
        stackSizeMb: 4,
      },
    });
    return this.pool;
  }

  private translate(error: unknown, what: string): CyropError {
    const e = error as { name?: string; code?: string; message?: string };
    if (e.name === 'AbortError' || (error instanceof DOMException && error.name === 'TimeoutError'))
      return new CyropError(
        'PAYLOAD_TOO_LARGE',
        `rendering ${what} as PDF took longer than ${this.limits.timeoutMs / 1000} s, the server's limit: it was stopped`,
        { cause: error },
      );
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return new CyropError(
        'PAYLOAD_TOO_LARGE',
        `rendering ${what} as PDF needed more than ${this.limits.heapMb} MiB of memory, the server's limit: it was stopped`,
        { cause: error },
      );
    return new CyropError('INTERNAL', `rendering ${what} as PDF failed: ${e.message ?? String(error)}`, {
      cause: error,
    });
  }
}
