import PDFDocument from 'pdfkit';
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
}

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
 * page gets its footer (with "page n of N") when the document is finished.
 */
export class PdfLayout {
  readonly doc: PDFKit.PDFDocument;
  /** The next free vertical position. */
  y: number;
  readonly left: number;
  readonly width: number;
  private readonly options: PdfLayoutOptions;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(options: PdfLayoutOptions) {
    this.options = options;
    const created = new Date(`${options.createdOn}T00:00:00Z`);
    this.doc = new PDFDocument({
      size: 'A4',
      margins: { top: A4_MARGIN, bottom: A4_MARGIN + FOOTER_HEIGHT, left: A4_MARGIN, right: A4_MARGIN },
      bufferPages: true,
      autoFirstPage: true,
      lang: 'ja-JP',
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

  /** Starts a new page with the running header. */
  newPage(): void {
    this.doc.addPage();
    this.y = this.doc.page.margins.top;
    this.doc.fontSize(8).fillColor('#555555');
    this.doc.text(this.options.runningHeader, this.left, this.y, { width: this.width, lineBreak: false });
    this.doc.fillColor('black');
    this.y += 16;
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
    const height = this.doc.heightOfString(value, { width });
    this.ensureSpace(height);
    this.doc.fillColor(options.colour ?? 'black');
    this.doc.text(value, options.x ?? this.left, this.y, { width, align: options.align ?? 'left' });
    this.doc.fillColor('black');
    this.y += height;
  }

  /** A section heading, kept on the same page as at least `keepWith` points of what follows. */
  heading(value: string, keepWith = 40): void {
    this.doc.fontSize(11);
    const height = this.doc.currentLineHeight(true) + 4;
    this.ensureSpace(height + keepWith);
    this.doc.text(value, this.left, this.y, { width: this.width, lineBreak: false });
    this.y += height;
  }

  gap(points: number): void {
    this.y += points;
  }

  /**
   * A table: the header row, then every row; a row that does not fit starts a new page, which
   * repeats the header row. Cells wrap within their column; the columns' widths are used as given
   * (`widen` names the column that takes what is left of the page's width).
   */
  table(columns: PdfColumn[], rows: Iterable<string[]>, options: { x?: number; widen?: number } = {}): void {
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

    const rowHeight = (cells: string[]): number => {
      let height = lineHeight;
      columns.forEach((column, i) => {
        const value = cells[i] ?? '';
        const inner = column.width - 2 * CELL_PADDING_X;
        if (value === '' || (doc.widthOfString(value) <= inner && !value.includes('\n'))) return;
        const h = doc.heightOfString(value, { width: inner });
        if (h > height) height = h;
      });
      return height + 2 * CELL_PADDING_Y;
    };

    const drawRow = (cells: string[], height: number, header: boolean): void => {
      if (header) doc.rect(x0, this.y, tableWidth, height).fill(HEADER_FILL).fillColor('black');
      let x = x0;
      columns.forEach((column, i) => {
        const value = cells[i] ?? '';
        if (value !== '') {
          doc.text(value, x + CELL_PADDING_X, this.y + CELL_PADDING_Y, {
            width: column.width - 2 * CELL_PADDING_X,
            align: column.align,
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
    for (const cells of rows) {
      doc.fontSize(TABLE_FONT_SIZE);
      const height = rowHeight(cells);
      if (this.y + height > this.bottom) {
        this.newPage();
        doc.fontSize(TABLE_FONT_SIZE);
        drawRow(headerCells, headerHeight, true);
      }
      drawRow(cells, height, false);
    }
  }

  /** Writes every page's footer and returns the whole PDF. */
  async finish(): Promise<Buffer> {
    const doc = this.doc;
    const range = doc.bufferedPageRange();
    const pages = range.count;
    for (let i = 0; i < pages; i += 1) {
      doc.switchToPage(range.start + i);
      const savedBottom = doc.page.margins.bottom;
      // Writing inside the bottom margin would make pdfkit add a page: lift the margin meanwhile.
      doc.page.margins.bottom = 0;
      const y = doc.page.height - A4_MARGIN - 10;
      doc.fontSize(7.5).fillColor('#555555');
      doc.text(this.options.footer, this.left, y, { width: this.width * 0.7, lineBreak: false });
      doc.text(this.options.pageLabel(i + 1, pages), this.left + this.width * 0.7, y, {
        width: this.width * 0.3,
        align: 'right',
        lineBreak: false,
      });
      doc.fillColor('black');
      doc.page.margins.bottom = savedBottom;
    }
    doc.flushPages();
    doc.end();
    return this.done;
  }
}
