import PDFDocument from 'pdfkit';
import { CyropError } from '../errors.ts';
import type { DocumentLanguage } from './document-format.ts';
import { findJapaneseFont } from './find-japanese-font.ts';

/** One column of a table: its heading, width in points and alignment. */
export interface PdfColumn {
  label: string;
  width: number;
  align: 'left' | 'right';
}

export interface PdfLayoutOptions {
  /** Document information (the PDF's Title, Author, Subject) and the running header of pages 2…n. */
  title: string;
  author: string;
  subject: string;
  /** The date the document carries (`YYYY-MM-DD`): the PDF's creation date, so the same document renders the same bytes. */
  createdOn: string;
  /** The running header of continuation pages, e.g. `適格請求書 UF-2026-04-0007（続き）`. */
  runningHeader: string;
  /** The footer, left: e.g. the invoice number and the issuer. */
  footer: string;
  /** The footer, right: `1 / 3 ページ`. */
  pageLabel: (page: number, pages: number) => string;
  /** Path of the TrueType font to embed; found among Debian's Japanese fonts when absent. */
  fontPath?: string;
  /** The document's language (the PDF's `/Lang`, which screen readers use). */
  lang: DocumentLanguage;
}

/**
 * How a layout is used: `measure` lays everything out without drawing, to count the pages; `draw`
 * draws, knowing the page count the measuring pass found (for "page n of N").
 */
export type PdfLayoutPass = { mode: 'measure' } | { mode: 'draw'; pages: number };

const A4_MARGIN = 42;
const FOOTER_HEIGHT = 20;
const CELL_PADDING_X = 3;
const CELL_PADDING_Y = 2.5;
export const TABLE_FONT_SIZE = 8.5;
const RULE_COLOUR = '#b8b8b8';
const HEADER_FILL = '#ececec';

/**
 * A4 pages drawn top to bottom with one embedded Japanese font (subset by pdfkit): text blocks and
 * tables whose rows move to a new page, under a repeated header row, when they do not fit. Every
 * page gets its footer with "page n of N" as it is left. N comes from a first, measuring pass over
 * the same drawing code (`renderInPages`), so that pages are written out as they are finished rather
 * than held in memory to the end (pdfkit's `bufferPages` held 2.3 GiB for 100,000 lines).
 */
export class PdfLayout {
  readonly doc: PDFKit.PDFDocument;
  /** The next free vertical position. */
  y: number;
  readonly left: number;
  readonly width: number;
  /** Pages begun so far. */
  pageCount = 1;
  private readonly options: PdfLayoutOptions;
  private readonly pass: PdfLayoutPass;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(options: PdfLayoutOptions, pass: PdfLayoutPass) {
    this.options = options;
    this.pass = pass;
    const created = new Date(`${options.createdOn}T00:00:00Z`);
    this.doc = new PDFDocument({
      size: 'A4',
      margins: { top: A4_MARGIN, bottom: A4_MARGIN + FOOTER_HEIGHT, left: A4_MARGIN, right: A4_MARGIN },
      autoFirstPage: true,
      lang: options.lang === 'ja' ? 'ja-JP' : 'en',
      info: {
        Title: options.title,
        Author: options.author,
        Subject: options.subject,
        Creator: 'CYROP',
        Producer: 'CYROP (pdfkit)',
        CreationDate: Number.isNaN(created.getTime()) ? new Date(0) : created,
      },
    });
    this.doc.registerFont('body', options.fontPath ?? findJapaneseFont());
    this.doc.font('body');
    this.done = new Promise<Buffer>((resolve, reject) => {
      this.doc.on('data', (chunk: Buffer) => this.chunks.push(chunk));
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
    this.left = this.doc.page.margins.left;
    this.width = this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
    this.y = this.doc.page.margins.top;
  }

  /** The lowest position content may reach on a page. */
  get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** The tallest paragraph or table cell: a third of a page's content height. */
  get maxBlockHeight(): number {
    return Math.floor((this.bottom - this.doc.page.margins.top) / 3);
  }

  /** True when this pass draws (false: it only measures). */
  get drawing(): boolean {
    return this.pass.mode === 'draw';
  }

  /** Starts a new page with the running header. */
  newPage(): void {
    this.drawFooter();
    this.pageCount += 1;
    this.forgetFontLayouts();
    if (this.drawing) {
      this.doc.addPage();
      this.doc.fontSize(8).fillColor('#555555');
      this.doc.text(this.options.runningHeader, this.left, this.doc.page.margins.top, {
        width: this.width,
        lineBreak: false,
      });
      this.doc.fillColor('black');
    }
    this.y = this.doc.page.margins.top + 16;
  }

  /**
   * pdfkit caches the glyph layout of every distinct word it measures or draws, for the life of the
   * document: with Japanese (no spaces) every description is a new word, and 100,000 lines kept about
   * 2 GiB. Without the cache the same statement took three times as long. A fresh cache per page
   * keeps the words a page repeats (headers, rates, dates) and lets the rest go. `layoutCache` is
   * pdfkit's own field (the one its `fontLayoutCache: false` option leaves out): if a pdfkit release
   * renames it, this does nothing and only memory grows.
   */
  private forgetFontLayouts(): void {
    const font = (this.doc as unknown as { _font?: { layoutCache?: object } })._font;
    if (font?.layoutCache !== undefined) font.layoutCache = Object.create(null) as object;
  }

  /** Moves to a new page unless `height` points still fit on this one. */
  ensureSpace(height: number): void {
    if (this.y + height > this.bottom) this.newPage();
  }

  /** A paragraph across the page (or `width` points from `x`), moving `y` below it. */
  text(
    value: string,
    size: number,
    options: { x?: number; width?: number; align?: 'left' | 'right' | 'center'; colour?: string } = {},
  ): void {
    const width = options.width ?? this.width;
    this.doc.fontSize(size);
    // Like a table cell, a paragraph is cut (with an ellipsis) at a third of a page: a name or
    // address pasted at length cannot spill over pages the measuring pass did not count.
    const height = Math.min(this.doc.heightOfString(value, { width }), this.maxBlockHeight);
    this.ensureSpace(height);
    if (this.drawing) {
      this.doc.fillColor(options.colour ?? 'black');
      this.doc.text(value, options.x ?? this.left, this.y, {
        width,
        align: options.align ?? 'left',
        height,
        ellipsis: true,
      });
      this.doc.fillColor('black');
    }
    this.y += height;
  }

  /** A section heading, kept on the same page as at least `keepWith` points of what follows. */
  heading(value: string, keepWith = 40): void {
    this.doc.fontSize(11);
    const height = this.doc.currentLineHeight(true) + 4;
    this.ensureSpace(height + keepWith);
    if (this.drawing) this.doc.text(value, this.left, this.y, { width: this.width, lineBreak: false });
    this.y += height;
  }

  gap(points: number): void {
    this.y += points;
  }

  /**
   * A table: the header row, then every row; a row that does not fit starts a new page, which
   * repeats the header row. Cells wrap within their column; the columns' widths are used as given
   * (`widen` names the column that takes what is left of the page's width; `repeatOnNewPage` the
   * grouping columns whose value a new page repeats).
   */
  table(
    columns: PdfColumn[],
    rows: Iterable<string[]>,
    options: { x?: number; widen?: number; repeatOnNewPage?: number[] } = {},
  ): void {
    const x0 = options.x ?? this.left;
    if (options.widen !== undefined) {
      const fixed = columns.reduce((sum, c, i) => (i === options.widen ? sum : sum + c.width), 0);
      const widened = columns[options.widen];
      if (widened) widened.width = this.width - (x0 - this.left) - fixed;
    }
    const tableWidth = columns.reduce((sum, c) => sum + c.width, 0);
    const doc = this.doc;
    doc.fontSize(TABLE_FONT_SIZE);
    const lineHeight = doc.currentLineHeight(true);

    const maxCellHeight = this.maxBlockHeight;
    const rowHeight = (cells: string[]): number => {
      let height = lineHeight;
      columns.forEach((column, i) => {
        const value = cells[i] ?? '';
        const inner = column.width - 2 * CELL_PADDING_X;
        if (value === '' || (doc.widthOfString(value) <= inner && !value.includes('\n'))) return;
        const h = doc.heightOfString(value, { width: inner });
        if (h > height) height = h;
      });
      // A cell taller than a third of a page (a pasted essay in a description) is cut, with an
      // ellipsis, so that every row fits on one page under the header.
      return Math.min(height, maxCellHeight) + 2 * CELL_PADDING_Y;
    };

    const drawRow = (cells: string[], height: number, header: boolean): void => {
      if (!this.drawing) {
        this.y += height;
        return;
      }
      if (header) doc.rect(x0, this.y, tableWidth, height).fill(HEADER_FILL).fillColor('black');
      let x = x0;
      columns.forEach((column, i) => {
        const value = cells[i] ?? '';
        const inner = column.width - 2 * CELL_PADDING_X;
        const oneLine = value === '' || value.includes('\n') ? Infinity : doc.widthOfString(value);
        if (oneLine <= inner) {
          // Fits on one line (most cells): placed directly, without pdfkit's line wrapper.
          const x1 = column.align === 'right' ? x + CELL_PADDING_X + inner - oneLine : x + CELL_PADDING_X;
          doc.text(value, x1, this.y + CELL_PADDING_Y, { lineBreak: false });
        } else if (value !== '') {
          doc.text(value, x + CELL_PADDING_X, this.y + CELL_PADDING_Y, {
            width: inner,
            align: column.align,
            height: height - 2 * CELL_PADDING_Y,
            ellipsis: true,
          });
        }
        x += column.width;
      });
      this.y += height;
      doc
        .moveTo(x0, this.y)
        .lineTo(x0 + tableWidth, this.y)
        .lineWidth(header ? 0.8 : 0.4)
        .strokeColor(RULE_COLOUR)
        .stroke();
    };

    const headerCells = columns.map((c) => c.label);
    const headerHeight = rowHeight(headerCells);
    // The header never ends a page on its own: it needs room for one row below it.
    this.ensureSpace(headerHeight + lineHeight + 2 * CELL_PADDING_Y);
    doc.fontSize(TABLE_FONT_SIZE);
    drawRow(headerCells, headerHeight, true);
    // Columns that group rows (a scenario over its objectives): their last value is repeated on a
    // new page's first row when that row leaves them empty, so that no page starts mid-group unnamed.
    const repeat = options.repeatOnNewPage ?? [];
    const lastValues: string[] = [];
    for (const row of rows) {
      let cells = row;
      for (const i of repeat) if ((cells[i] ?? '') !== '') lastValues[i] = cells[i] ?? '';
      doc.fontSize(TABLE_FONT_SIZE);
      let height = rowHeight(cells);
      if (this.y + height > this.bottom) {
        this.newPage();
        doc.fontSize(TABLE_FONT_SIZE);
        drawRow(headerCells, headerHeight, true);
        if (repeat.some((i) => (cells[i] ?? '') === '' && lastValues[i] !== undefined)) {
          cells = cells.map((value, i) =>
            value === '' && repeat.includes(i) ? (lastValues[i] ?? '') : value,
          );
          height = rowHeight(cells);
        }
      }
      drawRow(cells, height, false);
    }
  }

  /** Draws the footer of the current page. */
  private drawFooter(): void {
    if (this.pass.mode !== 'draw') return;
    const doc = this.doc;
    const savedBottom = doc.page.margins.bottom;
    // Writing inside the bottom margin would make pdfkit add a page: lift the margin meanwhile.
    doc.page.margins.bottom = 0;
    const y = doc.page.height - A4_MARGIN - 10;
    doc.fontSize(7.5).fillColor('#555555');
    doc.text(this.options.footer, this.left, y, { width: this.width * 0.7, lineBreak: false });
    doc.text(this.options.pageLabel(this.pageCount, this.pass.pages), this.left + this.width * 0.7, y, {
      width: this.width * 0.3,
      align: 'right',
      lineBreak: false,
    });
    doc.fillColor('black');
    doc.page.margins.bottom = savedBottom;
  }

  /**
   * Ends the document and returns the whole PDF (a measuring pass returns an empty buffer).
   * @throws CyropError `INTERNAL` when the drawing pass made another number of pages than measured.
   */
  async finish(): Promise<Buffer> {
    if (this.pass.mode === 'measure') return Buffer.alloc(0);
    if (this.pageCount !== this.pass.pages) {
      throw new CyropError(
        'INTERNAL',
        `${this.options.title}: drawn on ${this.pageCount} pages but measured on ${this.pass.pages}`,
      );
    }
    this.drawFooter();
    this.doc.end();
    return this.done;
  }
}

/**
 * Runs `draw` twice: once measuring (the page count), once drawing with it. `draw` must lay out the
 * same content both times; it may skip pure decoration when `layout.drawing` is false.
 */
export async function renderInPages(
  options: PdfLayoutOptions,
  draw: (layout: PdfLayout) => void,
): Promise<Buffer> {
  const fontPath = options.fontPath ?? findJapaneseFont();
  const measure = new PdfLayout({ ...options, fontPath }, { mode: 'measure' });
  draw(measure);
  const layout = new PdfLayout({ ...options, fontPath }, { mode: 'draw', pages: measure.pageCount });
  draw(layout);
  return layout.finish();
}
