import { pickText, t } from '../i18n/i18n.ts';
import type { ScenarioGuide } from '../types.ts';

const SVG = 'http://www.w3.org/2000/svg';

/** Geometry of the diagram, in SVG user units (= CSS pixels at natural size). */
const GUTTER = 170; // network names on the left
const COLUMN = 190; // one column per host
const BOX_W = 170;
const BOX_H = 62;
const BAND = 130; // from one network lane to the next
const TOP = 20;
const RIGHT = 20;
/** The first lane: room above it for the hosts that sit above it. */
const FIRST_LANE = TOP + BAND / 2 + BOX_H / 2 + 6;
/** Past this natural width the diagram keeps its size and its box scrolls sideways. */
export const TOPOLOGY_SCALE_LIMIT = 1200;

type Attrs = Record<string, string | number>;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}

/** Text cut to `max` characters with an ellipsis (the full text is in the element's `<title>`). */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Where each host is drawn: its column, the band it sits in, the lanes it joins. */
export interface HostPlace {
  host: string;
  column: number;
  /** Centre of the box, from the top. */
  y: number;
  lanes: number[];
}

/**
 * Places hosts: networks are horizontal lanes in the scenario's order; a host on one network sits
 * just above the first lane or just below any other lane; a host on several networks sits below the
 * first of them (between it and the next), and its line runs down to the last. One column per host,
 * ordered by the lanes it joins (top first), then as the scenario lists them. Pure.
 */
export function placeHosts(guide: Pick<ScenarioGuide, 'hosts' | 'networks'>): {
  places: HostPlace[];
  laneY: number[];
  height: number;
  width: number;
} {
  const laneIndex = new Map(guide.networks.map((n, i) => [n.name, i]));
  const laneY = guide.networks.map((_n, i) => FIRST_LANE + i * BAND);
  const hosts = guide.hosts
    .map((h, order) => {
      const lanes = [...new Set(h.networks.map((n) => laneIndex.get(n.name) ?? 0))].sort((a, b) => a - b);
      return { h, order, lanes };
    })
    .sort(
      (a, b) =>
        (a.lanes[0] ?? 0) - (b.lanes[0] ?? 0) ||
        (a.lanes.at(-1) ?? 0) - (b.lanes.at(-1) ?? 0) ||
        a.order - b.order,
    );
  const places = hosts.map(({ h, lanes }, column) => {
    const first = lanes[0] ?? 0;
    const above = lanes.length === 1 && first === 0;
    const y = (laneY[first] ?? FIRST_LANE) + (above ? -BAND / 2 : BAND / 2);
    return { host: h.name, column, y, lanes };
  });
  const lastLane = laneY.at(-1) ?? FIRST_LANE;
  const lowest = Math.max(lastLane, ...places.map((p) => p.y + BOX_H / 2));
  return {
    places,
    laneY,
    height: lowest + TOP + 10,
    width: GUTTER + Math.max(1, places.length) * COLUMN + RIGHT,
  };
}

/**
 * The scenario's topology as an SVG diagram: networks as horizontal lanes (name and subnet on the
 * left), hosts as boxes (name, image, a terminal mark), a line with a dot where a host joins a
 * network. `role="img"` with a title and a description that say the same in words.
 */
export function topologyDiagram(guide: ScenarioGuide): SVGSVGElement {
  const { places, laneY, height, width } = placeHosts(guide);
  const titleId = `topology-title-${guide.id}`;
  const descId = `topology-desc-${guide.id}`;
  const root = svg('svg', {
    xmlns: SVG,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-labelledby': titleId,
    'aria-describedby': descId,
    'data-testid': 'topology',
    class: width > TOPOLOGY_SCALE_LIMIT ? 'topology wide' : 'topology',
  });
  const hostsText = guide.hosts
    .map((h) =>
      t('guide.topologyHost', {
        host: h.name,
        image: h.image,
        networks: h.networks.map((n) => n.name).join(', '),
      }),
    )
    .join('; ');
  root.append(
    svg(
      'title',
      { id: titleId },
      t('guide.topologyLabel', {
        title: pickText(guide.title),
        hosts: guide.hosts.length,
        networks: guide.networks.length,
      }),
    ),
    svg('desc', { id: descId }, hostsText),
  );

  const lanes = svg('g', { class: 'lanes' });
  guide.networks.forEach((n, i) => {
    const y = laneY[i] ?? 0;
    const label = svg(
      'g',
      { 'data-testid': 'topology-network', 'data-network': n.name },
      svg('title', {}, [n.name, n.subnet ?? '', pickText(n.description)].filter(Boolean).join(' — ')),
      svg('line', { x1: GUTTER - 10, y1: y, x2: width - RIGHT / 2, y2: y, class: 'lane' }),
      svg('text', { x: 12, y: y - 6, class: 'lane-name' }, cut(n.name, 18)),
    );
    if (n.subnet) label.append(svg('text', { x: 12, y: y + 16, class: 'lane-subnet' }, n.subnet));
    lanes.append(label);
  });
  root.append(lanes);

  const links = svg('g', { class: 'links' });
  const boxes = svg('g', { class: 'hosts' });
  for (const place of places) {
    const host = guide.hosts.find((h) => h.name === place.host);
    if (!host) continue;
    const x = GUTTER + place.column * COLUMN + COLUMN / 2;
    for (const lane of place.lanes) {
      const y = laneY[lane] ?? 0;
      const network = guide.networks[lane]?.name ?? '';
      const from = y < place.y ? place.y - BOX_H / 2 : place.y + BOX_H / 2;
      links.append(
        svg(
          'g',
          { 'data-testid': 'topology-link', 'data-host': host.name, 'data-network': network },
          svg('line', { x1: x, y1: from, x2: x, y2: y, class: 'link' }),
          svg('circle', { cx: x, cy: y, r: 5, class: 'joint' }),
        ),
      );
    }
    const left = x - BOX_W / 2;
    const top = place.y - BOX_H / 2;
    const box = svg(
      'g',
      {
        'data-testid': 'topology-host',
        'data-host': host.name,
        'data-console': String(host.console),
        class: host.console ? 'host console' : 'host',
      },
      svg(
        'title',
        {},
        [host.name, host.image, pickText(host.description)].filter((s) => s !== '').join(' — '),
      ),
      svg('rect', { x: left, y: top, width: BOX_W, height: BOX_H, rx: 6, class: 'box' }),
      svg('text', { x: left + 10, y: top + 22, class: 'host-name' }, cut(host.name, 18)),
      svg('text', { x: left + 10, y: top + 40, class: 'host-image' }, cut(host.image, 24)),
    );
    if (host.console)
      box.append(
        svg('text', { x: left + 10, y: top + 56, class: 'host-console' }, `⌨ ${t('guide.console')}`),
      );
    boxes.append(box);
  }
  root.append(links, boxes);
  return root;
}
