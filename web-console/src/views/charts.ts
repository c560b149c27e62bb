import { h } from '../dom.ts';

/**
 * Charts of the analytics pages as SVG built element by element (the console's CSP forbids inline
 * styles and scripts; SVG presentation attributes such as `fill` are attributes, not styles).
 */

const SVG = 'http://www.w3.org/2000/svg';

export type SvgChild = SVGElement | string | false | null | undefined;

export function svg(
  tag: string,
  attrs: Record<string, string | number>,
  ...children: SvgChild[]
): SVGElement {
  const el: SVGElement = document.createElementNS(SVG, tag as 'svg');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** The colour bins of the heatmap, by covered share (0–1): [upper bound (excluded), fill, text fill]. */
export const HEAT_BINS: readonly { below: number; fill: string; text: string; label: string }[] = [
  { below: Number.MIN_VALUE, fill: '#eceff3', text: '#1b1f24', label: '0 %' },
  { below: 0.05, fill: '#d6e6f7', text: '#1b1f24', label: '< 5 %' },
  { below: 0.1, fill: '#a9cbef', text: '#1b1f24', label: '5–10 %' },
  { below: 0.25, fill: '#5f9fdf', text: '#0b1a2b', label: '10–25 %' },
  { below: 0.5, fill: '#1f6fc0', text: '#ffffff', label: '25–50 %' },
  { below: Number.POSITIVE_INFINITY, fill: '#0b3f78', text: '#ffffff', label: '≥ 50 %' },
];

const LAST_BIN = { below: Number.POSITIVE_INFINITY, fill: '#0b3f78', text: '#ffffff', label: '≥ 50 %' };

export function heatBin(covered: number, total: number): (typeof HEAT_BINS)[number] {
  const share = total === 0 ? 0 : covered / total;
  return HEAT_BINS.find((bin) => share < bin.below) ?? LAST_BIN;
}

/**
 * A horizontal bar (0–1 filled) as a small SVG that stretches to its box; hidden from assistive
 * technology: the words beside it say the same.
 */
export function bar(covered: number, total: number, testId = 'bar'): SVGElement {
  const share = total === 0 ? 0 : Math.min(1, covered / total);
  return svg(
    'svg',
    {
      class: 'bar',
      viewBox: '0 0 100 10',
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
      'data-testid': testId,
      'data-share': share.toFixed(4),
    },
    svg('rect', { x: 0, y: 0, width: 100, height: 10, fill: '#e3e7ec' }),
    // a visible sliver for anything above zero
    svg('rect', {
      x: 0,
      y: 0,
      width: share === 0 ? 0 : Math.max(0.6, share * 100),
      height: 10,
      fill: '#0b5cad',
    }),
  );
}

/** A legend of the heatmap's bins (HTML, so it wraps and is read). */
export function heatLegend(caption: string): HTMLElement {
  return h(
    'ul',
    { class: 'heat-legend', 'aria-label': caption },
    HEAT_BINS.map((bin) =>
      h(
        'li',
        {},
        svg(
          'svg',
          { viewBox: '0 0 14 14', width: 14, height: 14, 'aria-hidden': 'true', focusable: 'false' },
          svg('rect', { x: 0, y: 0, width: 14, height: 14, fill: bin.fill, stroke: '#8a939e' }),
        ),
        ' ',
        bin.label,
      ),
    ),
  );
}
