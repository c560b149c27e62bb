/**
 * Charts of the Business and Revenue pages as SVG built element by element (the CSP forbids inline
 * styles: colours come from classes in app.css). Each chart is an image with a text alternative;
 * the same figures are always in a table beside it for screen readers and print.
 */

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

export interface Bar {
  label: string;
  value: number;
  /** What the value reads as (e.g. `¥1,234`), shown above the bar. */
  valueLabel: string;
}

/** Vertical bars, one per label, scaled to the largest value (negative values drawn as zero). */
export function barChart(options: { title: string; bars: readonly Bar[]; testid: string }): SVGSVGElement {
  const { bars } = options;
  const width = 720;
  const height = 240;
  const top = 24;
  const bottom = 40;
  const left = 8;
  const slot = (width - left * 2) / Math.max(1, bars.length);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plot = height - top - bottom;
  const root = svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-label': options.title,
      'data-testid': options.testid,
      preserveAspectRatio: 'xMidYMid meet',
    },
    svg('title', {}, options.title),
    svg('line', { x1: left, x2: width - left, y1: top + plot, y2: top + plot, class: 'chart-axis' }),
  );
  bars.forEach((bar, i) => {
    const h = Math.round((Math.max(0, bar.value) / max) * plot);
    const x = left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    root.append(
      svg('rect', {
        x: x.toFixed(1),
        y: top + plot - h,
        width: w.toFixed(1),
        height: h,
        class: 'chart-bar',
        'data-label': bar.label,
        'data-value': bar.value,
      }),
      svg(
        'text',
        { x: (x + w / 2).toFixed(1), y: top + plot - h - 6, class: 'chart-value', 'text-anchor': 'middle' },
        bar.value === 0 ? '' : bar.valueLabel,
      ),
      svg(
        'text',
        { x: (x + w / 2).toFixed(1), y: height - bottom + 18, class: 'chart-label', 'text-anchor': 'middle' },
        bar.label,
      ),
    );
  });
  return root;
}

export interface Segment {
  label: string;
  value: number;
  /** The legend's text for this segment, e.g. `0–30 days: ¥1,234` (punctuation of the language). */
  legend: string;
}

/** One horizontal bar split into segments (e.g. receivables by age), with a legend under it. */
export function stackedBar(options: {
  title: string;
  segments: readonly Segment[];
  testid: string;
}): SVGSVGElement {
  const width = 720;
  const barHeight = 36;
  const legendY = barHeight + 28;
  const height = legendY + 12;
  const total = options.segments.reduce((s, x) => s + Math.max(0, x.value), 0);
  const root = svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-label': options.title,
      'data-testid': options.testid,
    },
    svg('title', {}, options.title),
    svg('rect', { x: 0, y: 0, width, height: barHeight, class: 'chart-empty' }),
  );
  let x = 0;
  options.segments.forEach((segment, i) => {
    const w = total === 0 ? 0 : (Math.max(0, segment.value) / total) * width;
    root.append(
      svg('rect', {
        x: x.toFixed(1),
        y: 0,
        width: w.toFixed(1),
        height: barHeight,
        class: `chart-seg chart-seg-${i}`,
        'data-label': segment.label,
        'data-value': segment.value,
      }),
    );
    x += w;
    const lx = (i * width) / options.segments.length;
    root.append(
      svg('rect', { x: lx, y: legendY - 10, width: 12, height: 12, class: `chart-seg chart-seg-${i}` }),
      svg('text', { x: lx + 18, y: legendY, class: 'chart-label' }, segment.legend),
    );
  });
  return root;
}
