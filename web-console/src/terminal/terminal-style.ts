/**
 * How every browser terminal (owner, shadow, replay) draws text. One module, so that the visual test
 * (tests/e2e/terminal-glyphs.test.ts) checks exactly what the console uses.
 *
 * Line height: xterm's DOM renderer clips each row to `fontSize × lineHeight` rounded to whole
 * pixels. At 1.0, DejaVu Sans Mono 14 px (the first font of the stack on Linux) puts the underscore
 * below its row: `api_tokens` read `api tokens`. 1.2 leaves room below the baseline at every size.
 */
export const TERMINAL_LINE_HEIGHT = 1.2;

/**
 * Latin monospace first (ui-monospace where the browser knows it, DejaVu on Linux, Menlo on macOS,
 * Consolas on Windows), then monospace Japanese faces so that kana and kanji keep two cells:
 * Noto Sans Mono CJK JP, IPAGothic (Debian's fonts-ipafont-gothic, fixed-width), MS Gothic, Osaka-Mono.
 */
export const TERMINAL_FONT =
  'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Noto Sans Mono", "Noto Sans Mono CJK JP", IPAGothic, "MS Gothic", Osaka-Mono, monospace';

/** The sizes a trainee can pick (A− / A+), in CSS pixels. */
export const TERMINAL_FONT_SIZES: readonly number[] = [12, 13, 14, 15, 16, 18, 20, 22];
export const DEFAULT_FONT_SIZE = 14;

const FONT_SIZE_KEY = 'cyrop.terminal.fontSize';

/** The size this browser last picked (localStorage), or the default. */
export function storedFontSize(): number {
  try {
    const n = Number(localStorage.getItem(FONT_SIZE_KEY));
    return TERMINAL_FONT_SIZES.includes(n) ? n : DEFAULT_FONT_SIZE;
  } catch {
    return DEFAULT_FONT_SIZE;
  }
}

/** The next supported size up (`+1`) or down (`-1`) from `size`, kept for this browser. */
export function stepFontSize(size: number, direction: 1 | -1): number {
  const i = TERMINAL_FONT_SIZES.indexOf(size);
  const next =
    TERMINAL_FONT_SIZES[Math.min(TERMINAL_FONT_SIZES.length - 1, Math.max(0, (i < 0 ? 2 : i) + direction))] ??
    DEFAULT_FONT_SIZE;
  try {
    localStorage.setItem(FONT_SIZE_KEY, String(next));
  } catch {
    // without storage the size lasts for this page
  }
  return next;
}
