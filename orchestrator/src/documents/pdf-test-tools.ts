import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Reading a rendered PDF back with poppler-utils (`infra/engine/ensure-documents.sh` installs it), for
 * the renderers' tests and for looking at a page.
 */

function withPdfFile<T>(pdf: Buffer, use: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'cyrop-pdf-'));
  try {
    const file = path.join(dir, 'document.pdf');
    writeFileSync(file, pdf);
    return use(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text of every page (`pdftotext -layout`: a table row stays on one line), one string per page. */
export function pdfPages(pdf: Buffer): string[] {
  return withPdfFile(pdf, (file) => {
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const pages = text.split('\f');
    if (pages.at(-1)?.trim() === '') pages.pop();
    return pages;
  });
}

/** The fonts of a PDF as `pdffonts` lists them (name, type, embedded, subset). */
export function pdfFonts(pdf: Buffer): { name: string; embedded: boolean; subset: boolean }[] {
  return withPdfFile(pdf, (file) => {
    const lines = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2);
    return lines
      .filter((line) => line.trim() !== '')
      .map((line) => {
        // name … emb sub uni object ID: the three yes/no columns precede the object number.
        const flags = /\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$/.exec(line);
        return {
          name: line.split(/\s+/)[0] ?? '',
          embedded: flags?.[1] === 'yes',
          subset: flags?.[2] === 'yes',
        };
      });
  });
}

/** Page `page` (1-based) as a PNG at `dpi`, as `pdftoppm` draws it. */
export function pdfPagePng(pdf: Buffer, page: number, dpi = 80): Buffer {
  return withPdfFile(pdf, (file, dir) => {
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      String(dpi),
      '-f',
      String(page),
      '-l',
      String(page),
      file,
      path.join(dir, 'page'),
    ]);
    const png = readdirSync(dir).find((name) => name.startsWith('page') && name.endsWith('.png'));
    if (png === undefined) throw new Error(`pdftoppm drew no page ${page}`);
    return readFileSync(path.join(dir, png));
  });
}

/** One word on a page with its box in points (`pdftotext -bbox`), origin at the top left. */
export interface PdfWord {
  page: number;
  text: string;
  xMin: number;
  xMax: number;
  yMin: number;
}

/** Every word of the PDF with its position. */
export function pdfWords(pdf: Buffer): PdfWord[] {
  return withPdfFile(pdf, (file) => {
    const html = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', file, '-'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const words: PdfWord[] = [];
    let page = 0;
    const pattern =
      /<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g;
    for (const match of html.matchAll(pattern)) {
      if (match[0] === '<page ') {
        page += 1;
        continue;
      }
      words.push({
        page,
        text: (match[4] ?? '')
          .replaceAll('&amp;', '&')
          .replaceAll('&lt;', '<')
          .replaceAll('&gt;', '>')
          .replaceAll('&quot;', '"'),
        xMin: Number(match[1]),
        yMin: Number(match[2]),
        xMax: Number(match[3]),
      });
    }
    return words;
  });
}
