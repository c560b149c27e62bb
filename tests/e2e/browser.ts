import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
} from 'playwright-core';
import { PNG } from 'pngjs';

/** Debian's chromium (infra/engine/ensure-browsers.sh); no tool downloads its own browser. */
export const CHROMIUM = '/usr/bin/chromium';

export const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  browser: Browser;
  /**
   * A new browser context (its own cookies and localStorage, like another person's browser) with
   * one page; failed page scripts are collected in `errors`.
   */
  newPage(
    options?: BrowserContextOptions,
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  /**
   * Every Content-Security-Policy violation any page reported (the `securitypolicyviolation` event
   * and Chromium's "Refused to …" console errors), except in contexts opened with `bypassCSP`.
   */
  cspViolations: string[];
  close(): Promise<void>;
}

/**
 * Headless Chromium through playwright-core. Playwright gives each launch a fresh temporary
 * profile (user-data-dir) and removes it on close, and each context is a fresh incognito-like
 * profile, so no state leaks between runs or between the people of one run.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const cspViolations: string[] = [];
  return {
    browser,
    cspViolations,
    newPage: async (options = {}) => {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
      if (!options.bypassCSP) {
        await context.addInitScript(() => {
          document.addEventListener('securitypolicyviolation', (event) => {
            console.error(
              `CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`,
            );
          });
        });
      }
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      if (!options.bypassCSP)
        page.on('console', (message) => {
          const text = message.text();
          if (message.type() === 'error' && /CSP violation|Content Security Policy/i.test(text))
            cspViolations.push(`${page.url()}: ${text}`);
        });
      return { context, page, errors };
    },
    close: () => browser.close(),
  };
}

/** The `terminal` element (the trainee's xterm), or the shadow view's with `testId: 'shadow-terminal'`. */
export function terminal(page: Page, options: { host?: string; testId?: string } = {}): Locator {
  const testId = options.testId ?? 'terminal';
  const host = options.host === undefined ? '' : `[data-host="${options.host}"]`;
  return page.locator(`[data-testid="${testId}"]${host}`).first();
}

/** The text xterm's DOM renderer shows in a terminal, one line per row, trailing blanks trimmed. */
export async function terminalText(root: Locator): Promise<string> {
  const rows = root.locator('.xterm-rows');
  if ((await rows.count()) === 0) return '';
  const text = await rows.first().innerText();
  return text
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/**
 * The text with soft-wrapped lines joined again: the DOM does not say which rows continue the
 * previous one, so a row as long as the longest row is taken to continue on the next.
 */
export function unwrapped(text: string): string {
  const rows = text.split('\n');
  const width = Math.max(...rows.map((r) => r.length));
  return rows.map((r, i) => (r.length === width && i < rows.length - 1 ? r : `${r}\n`)).join('');
}

/**
 * Wait until the terminal shows text matching `pattern` (as shown, or with wrapped lines joined); returns the match. On timeout the error
 * carries the terminal's last text, which is what one needs to see to understand a failure.
 */
export async function waitForTerminalText(
  root: Locator,
  pattern: RegExp | string,
  timeoutMs = 30_000,
): Promise<RegExpExecArray> {
  const re = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await terminalText(root);
    const match = re.exec(text) ?? re.exec(unwrapped(text));
    if (match) return match;
    if (Date.now() > deadline) {
      throw new Error(`terminal never showed ${String(re)} within ${timeoutMs} ms; it shows:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Focus the terminal and type a line into it as a person would, then press Enter. */
export async function typeLine(page: Page, root: Locator, line: string): Promise<void> {
  await root.locator('.xterm-screen').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/**
 * How much of a row of underscores is drawn: the row of `root`'s terminal whose text is only
 * underscores (at least 8) is photographed, and each of its first 8 character cells is scanned for
 * bright pixels. Returns, per cell, the share of its pixel columns that have one. A clipped
 * underscore (drawn below its row's box) gives 0.
 */
export async function underscoreCoverage(root: Locator): Promise<number[]> {
  const row = root.locator('.xterm-rows > div', { hasText: /^_{8,}\s*$/ }).last();
  await row.waitFor();
  const box = await row.boundingBox();
  if (!box) throw new Error('the underscore row is not on screen');
  // One cell's width, from the span of underscores xterm drew (it spaces letters to whole cells).
  const cell = await row.evaluate((el) => {
    const span = Array.from(el.querySelectorAll('span')).find((s) => /^_+$/.test(s.textContent));
    return span ? span.getBoundingClientRect().width / span.textContent.length : 0;
  });
  if (!(cell > 0)) throw new Error('no span of underscores in the row');
  const png = PNG.sync.read(await row.screenshot());
  const scale = png.width / box.width;
  const coverage: number[] = [];
  for (let c = 0; c < 8; c++) {
    const x0 = Math.floor(c * cell * scale);
    const x1 = Math.floor((c + 1) * cell * scale);
    let lit = 0;
    for (let x = x0; x < x1; x++) {
      let any = false;
      for (let y = 0; y < png.height && !any; y++) {
        const i = (y * png.width + x) * 4;
        // the console's foreground is #e6e6e6 on #0f1419
        if ((png.data[i] ?? 0) > 128 && (png.data[i + 1] ?? 0) > 128) any = true;
      }
      if (any) lit++;
    }
    coverage.push(x1 > x0 ? lit / (x1 - x0) : 0);
  }
  return coverage;
}

/**
 * Save a screenshot, of the full page or (`fullPage` false) of what the window shows, as
 * `<root>/<lang>/<name>.png` (by default `tests/e2e/screenshots/`).
 */
export async function screenshot(
  page: Page,
  lang: string,
  name: string,
  root = SCREENSHOTS,
  fullPage = true,
): Promise<string> {
  const dir = path.join(root, lang);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Pick a language with the `lang-select` control and wait for `<html lang>` to follow. */
export async function selectLanguage(page: Page, lang: 'en' | 'ja'): Promise<void> {
  await page.getByTestId('lang-select').selectOption(lang);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * For a describe block whose steps build on each other (a journey): after a step fails, the later
 * ones are skipped, not failed again. Call it inside the block.
 */
export function skipAfterFirstFailure(): void {
  let failed = false;
  beforeEach(function () {
    if (failed) this.skip();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
}

/** tsx (esbuild keepNames) wraps inner functions in `__name(...)`, which pages lack. */
export const NAME_SHIM = 'globalThis.__name ??= (f) => f';

/** The page's visible text without the language menu and terminals (runs in the page). */
export function visibleText(): string {
  const body = document.body.cloneNode(true) as HTMLElement;
  for (const el of body.querySelectorAll('select, .xterm, script, style')) el.remove();
  return body.innerText || body.textContent || '';
}

/**
 * Elements whose text leaves its box (runs in the page; the same rule as live-exercise.test.ts): a
 * block whose content is wider than it (scrollable regions and terminals aside), or anything
 * reaching past the viewport's width.
 */
export function findOverflow(scope: string): string[] {
  const bad: string[] = [];
  const width = document.documentElement.clientWidth;
  const describe = (el: Element) =>
    `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''} "${el.textContent.trim().slice(0, 60)}"`;
  for (const el of document.querySelectorAll<HTMLElement>(`${scope} *`)) {
    if (el.closest('.xterm, select, option, svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 2 || rect.height <= 2 || style.getPropertyValue('clip') !== 'auto') continue;
    if (rect.right > width + 1) {
      bad.push(`past the viewport: ${describe(el)}`);
      continue;
    }
    const scrolls =
      ['auto', 'scroll'].includes(style.overflowX) || ['auto', 'scroll'].includes(style.overflowY);
    if (!scrolls && style.display !== 'inline' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      bad.push(`wider than its box: ${describe(el)}`);
  }
  return [...new Set(bad)];
}
