import {
  fetchAnalyticsConfig,
  fetchCoverage,
  fetchGaps,
  fetchUsage,
  gapsUrl,
  usageUrl,
  type AnalyticsConfig,
  type CoverageReport,
  type CoverageScope,
  type Fraction,
  type GapReport,
  type NiceFramework,
  type NiceStatementType,
  type UsageReport,
} from '../analytics-api.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid, type Child } from '../dom.ts';
import { formatNumber, locale, pickText, t, type MessageKey } from '../i18n/i18n.ts';
import type { View } from '../view.ts';
import { addDays, calendarDay, recentMonths } from '../platform-zone.ts';
import { bar, heatBin, heatLegend, svg } from './charts.ts';

const TYPES: readonly NiceStatementType[] = ['task', 'knowledge', 'skill', 'ability'];
const TYPE_KEYS = {
  task: 'analytics.type.task',
  knowledge: 'analytics.type.knowledge',
  skill: 'analytics.type.skill',
  ability: 'analytics.type.ability',
} as const satisfies Record<NiceStatementType, MessageKey>;
const SCOPE_KEYS = {
  shipped: 'analytics.scope.shipped',
  available: 'analytics.scope.available',
  org: 'analytics.scope.org',
} as const satisfies Record<CoverageScope, MessageKey>;

/**
 * A category's name as NIST's file spells it, with whole-word capitals eased ("PROTECTION and
 * DEFENSE" → "Protection and Defense"; the 2017 names are already in title case).
 */
export function categoryTitle(name: string): string {
  return name.replace(/\b([A-Z])([A-Z]+)\b/g, (_, first: string, rest: string) => first + rest.toLowerCase());
}

export function percentText(fraction: Fraction): string {
  return fraction.percent === null
    ? '—'
    : new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
        fraction.percent,
      );
}

/** "74 of 2,148 statements (3.4 %)": the numerator and the denominator, always. */
export function fractionText(fraction: Fraction, key: MessageKey = 'analytics.fraction'): string {
  return t(key, {
    covered: formatNumber(fraction.covered),
    total: formatNumber(fraction.total),
    percent: percentText(fraction),
  });
}

/**
 * `#/analytics` (staff): NICE coverage of the chosen catalogue (overall with its denominator, bars by
 * statement type, the work-role × statement-type heatmap with a table of the same numbers), a work role's
 * gaps with a CSV link, and material use for a period. Statement and role texts are NIST's English
 * (marked `lang="en"`); everything around them is translated. Printable (`@media print` hides the
 * controls).
 */
export class AnalyticsView implements View {
  readonly element = h('section', { class: 'page analytics' });
  /** The framework versions from the API (`/api/analytics/config`); undefined until loaded. */
  private config: AnalyticsConfig | undefined;
  private framework: NiceFramework | undefined;
  private scope: CoverageScope = 'shipped';
  private crosswalk = false;
  private coverage: CoverageReport | undefined;
  private coverageError: unknown;
  private role = '';
  private gaps: GapReport | undefined;
  private gapsError: unknown;
  /** The usage period, days in the platform's time zone (set once the config is loaded). */
  private from = '';
  private to = '';
  private usage: UsageReport | undefined;
  private usageError: unknown;
  /** Utilisation per calendar month, the last six months (this one included). */
  private monthly: { month: string; report: UsageReport }[] | undefined;
  private disposed = false;
  private ticket = 0;

  constructor() {
    this.relocalize();
    void this.loadConfig();
  }

  dispose(): void {
    this.disposed = true;
  }

  private async loadConfig(): Promise<void> {
    try {
      const config = await fetchAnalyticsConfig();
      if (this.disposed) return;
      this.config = config;
      this.framework = config.defaultFramework;
      this.to = calendarDay(Date.now(), config.timeZone);
      this.from = addDays(this.to, 89);
    } catch (error) {
      if (this.disposed) return;
      this.coverageError = error;
      this.usageError = error;
      this.relocalize();
      return;
    }
    void this.loadUsage();
    void this.loadMonthly();
    await this.loadCoverage();
  }

  private async loadCoverage(): Promise<void> {
    const framework = this.framework;
    if (framework === undefined) return;
    const ticket = ++this.ticket;
    this.coverage = undefined;
    this.coverageError = undefined;
    this.relocalize();
    try {
      const report = await fetchCoverage({
        framework,
        scope: this.scope,
        crosswalk: this.crosswalk,
      });
      if (ticket !== this.ticket || this.disposed) return;
      this.coverage = report;
      if (!report.byRole.some((row) => row.id === this.role)) {
        this.role = report.byRole[0]?.id ?? '';
        this.gaps = undefined;
      }
    } catch (error) {
      if (ticket !== this.ticket || this.disposed) return;
      this.coverageError = error;
    }
    this.relocalize();
    if (this.coverage && this.role !== '') await this.loadGaps();
  }

  private async loadGaps(): Promise<void> {
    const role = this.role;
    const framework = this.framework;
    if (framework === undefined) return;
    this.gapsError = undefined;
    try {
      const report = await fetchGaps({ framework, scope: this.scope }, role);
      if (role !== this.role || this.disposed) return;
      this.gaps = report;
    } catch (error) {
      if (role !== this.role || this.disposed) return;
      this.gaps = undefined;
      this.gapsError = error;
    }
    this.relocalize();
  }

  /** One usage report per month, oldest first: utilisation over time. */
  private async loadMonthly(): Promise<void> {
    if (!this.config) return;
    const months = recentMonths(Date.now(), this.config.timeZone, 6);
    try {
      const reports = await Promise.all(months.map((m) => fetchUsage(m.from, m.to)));
      this.monthly = reports.map((report, i) => ({ month: months[i]?.month ?? '', report }));
    } catch {
      this.monthly = undefined; // the period report above says what went wrong
    }
    if (!this.disposed) this.relocalize();
  }

  private async loadUsage(): Promise<void> {
    this.usageError = undefined;
    try {
      this.usage = await fetchUsage(this.from, this.to);
    } catch (error) {
      this.usage = undefined;
      this.usageError = error;
    }
    if (!this.disposed) this.relocalize();
  }

  relocalize(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset['testid'];
    replaceChildren(
      this.element,
      h('h1', {}, t('analytics.title')),
      h('p', { class: 'muted' }, t('analytics.lead')),
      this.renderControls(),
      this.renderCoverage(),
      this.renderGaps(),
      this.renderUsage(),
    );
    if (focused) this.element.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
  }

  private renderControls(): HTMLElement {
    const fw = uid('fw');
    const sc = uid('scope');
    const cw = uid('cw');
    return h(
      'form',
      { class: 'panel analytics-controls no-print', onsubmit: (e) => e.preventDefault() },
      h(
        'div',
        { class: 'field' },
        h('label', { for: fw }, t('analytics.framework')),
        h(
          'select',
          {
            id: fw,
            'data-testid': 'analytics-framework',
            onchange: (e) => {
              this.framework = (e.target as HTMLSelectElement).value as NiceFramework;
              void this.loadCoverage();
            },
          },
          (this.config?.frameworks ?? []).map((f) =>
            h(
              'option',
              { value: f.id, selected: f.id === this.framework, disabled: !f.imported },
              f.imported ? f.label : `${f.label} — ${t('analytics.notImported')}`,
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: sc }, t('analytics.scope')),
        h(
          'select',
          {
            id: sc,
            'data-testid': 'analytics-scope',
            onchange: (e) => {
              this.scope = (e.target as HTMLSelectElement).value as CoverageScope;
              void this.loadCoverage();
            },
          },
          (Object.keys(SCOPE_KEYS) as CoverageScope[]).map((s) =>
            h('option', { value: s, selected: s === this.scope }, t(SCOPE_KEYS[s])),
          ),
        ),
      ),
      h(
        'div',
        { class: 'field checkbox' },
        h('input', {
          id: cw,
          type: 'checkbox',
          checked: this.crosswalk,
          'data-testid': 'analytics-crosswalk',
          onchange: (e) => {
            this.crosswalk = (e.target as HTMLInputElement).checked;
            void this.loadCoverage();
          },
        }),
        h('label', { for: cw }, t('analytics.crosswalk')),
      ),
      h(
        'button',
        { type: 'button', 'data-testid': 'analytics-print', onclick: () => window.print() },
        t('analytics.print'),
      ),
    );
  }

  private renderCoverage(): HTMLElement {
    const report = this.coverage;
    if (this.coverageError !== undefined)
      return h(
        'section',
        { class: 'panel' },
        h('p', { class: 'error', role: 'alert' }, describeError(this.coverageError)),
      );
    if (!report)
      return h(
        'section',
        { class: 'panel', 'aria-busy': 'true' },
        h('p', { class: 'muted' }, t('analytics.loading')),
      );
    const direct = report.overall;
    return h(
      'section',
      {
        class: 'analytics-coverage',
        'data-testid': 'analytics-coverage',
        'data-framework': report.framework,
      },
      h(
        'h2',
        {},
        t('analytics.coverageTitle', {
          framework:
            this.config?.frameworks.find((f) => f.id === report.framework)?.label ?? report.framework,
        }),
      ),
      h(
        'p',
        {
          class: 'overall',
          'data-testid': 'coverage-overall',
          'data-covered': direct.covered,
          'data-total': direct.total,
        },
        t('analytics.overall', { scope: t(SCOPE_KEYS[this.scope]) }),
        ' ',
        h('strong', {}, fractionText(direct)),
      ),
      h(
        'p',
        { class: 'muted small' },
        t('analytics.materials', {
          total: formatNumber(report.materials.total),
          covering: formatNumber(report.materials.covering),
        }),
        ' ',
        t('analytics.rule'),
      ),
      report.crosswalked &&
        h(
          'p',
          { 'data-testid': 'coverage-crosswalked' },
          t('analytics.withCrosswalk'),
          ' ',
          h('strong', {}, fractionText(report.crosswalked.overall)),
          ' ',
          t('analytics.addedOnly', { added: fractionText(report.crosswalked.addedOnly) }),
        ),
      h('h3', {}, t('analytics.byType')),
      h(
        'ul',
        { class: 'bars', 'data-testid': 'coverage-by-type' },
        TYPES.map((type) => {
          const f = report.byType[type];
          if (f === undefined) return null;
          return h(
            'li',
            { 'data-type': type, 'data-covered': f.covered, 'data-total': f.total },
            h('span', { class: 'bar-label' }, t(TYPE_KEYS[type])),
            bar(f.covered, f.total, 'type-bar'),
            h('span', { class: 'bar-value' }, fractionText(f)),
          );
        }),
      ),
      this.renderHeatmap(report),
    );
  }

  private renderHeatmap(report: CoverageReport): HTMLElement {
    const crossed = report.crosswalked ? new Map(report.crosswalked.byRole.map((r) => [r.id, r])) : undefined;
    const names = new Map(report.categories.map((c) => [c.id, categoryTitle(c.name)]));
    const groups = new Map<string, CoverageReport['byRole']>();
    for (const row of [...report.byRole].sort((a, b) => a.id.localeCompare(b.id))) {
      const code = row.category || row.id.slice(0, 2);
      groups.set(code, [...(groups.get(code) ?? []), row]);
    }
    type Row = CoverageReport['byRole'][number];
    type Column = {
      key: NiceStatementType | 'direct' | 'crosswalk';
      title: string;
      of: (row: Row) => Fraction;
    };
    const columns: Column[] = [
      ...TYPES.filter((type) => report.byType[type] !== undefined).map((type) => ({
        key: type,
        title: t(TYPE_KEYS[type]),
        of: (row: Row) => row.byType[type] ?? { covered: 0, total: 0, percent: null },
      })),
      { key: 'direct', title: t('analytics.heat.direct'), of: (row: Row) => row },
      ...(crossed
        ? [
            {
              key: 'crosswalk' as const,
              title: t('analytics.heat.crosswalk'),
              of: (row: Row) => crossed.get(row.id) ?? row,
            },
          ]
        : []),
    ];
    const ROW = 24;
    const HEAD = 30;
    const LABEL = 470;
    const CELL = 112;
    const GAP = 10;
    /** x of a column's left edge: the type columns, then a gap before the whole-role columns. */
    const left = (i: number) => LABEL + CELL * i + (TYPES.some((type) => type === columns[i]?.key) ? 0 : GAP);
    const right = LABEL + CELL * columns.length + GAP;
    const width = right + 110;
    const parts: SVGElement[] = [];
    let y = 0;
    columns.forEach((column, i) =>
      parts.push(
        svg(
          'text',
          { x: left(i) + CELL / 2, y: 18, 'text-anchor': 'middle', class: 'heat-col' },
          column.title,
        ),
      ),
    );
    parts.push(svg('text', { x: right + 12, y: 18, class: 'heat-col' }, t('analytics.heat.namedBy')));
    y = 26;
    for (const [code, rows] of groups) {
      parts.push(
        svg(
          'text',
          { x: 4, y: y + HEAD - 9, class: 'heat-group', lang: 'en', 'data-testid': 'heatmap-group' },
          `${code} — ${names.get(code) ?? code}`,
        ),
      );
      y += HEAD;
      for (const row of rows) {
        const name = row.name.length > 50 ? `${row.name.slice(0, 49)}…` : row.name;
        parts.push(
          svg(
            'text',
            { x: 8, y: y + ROW - 8, class: 'heat-label', lang: 'en' },
            svg('title', {}, `${row.id} ${row.name}`),
            `${row.id}  ${name}`,
          ),
        );
        columns.forEach((column, i) => {
          const f = column.of(row);
          const empty = f.total === 0;
          const bin = heatBin(f.covered, f.total);
          const label = `${row.id} ${row.name} — ${column.title}: ${empty ? t('analytics.heat.none') : fractionText(f)}`;
          parts.push(
            svg(
              'g',
              {
                role: 'img',
                'aria-label': label,
                'data-testid': 'heatmap-cell',
                'data-role': row.id,
                'data-column': column.key,
                'data-covered': f.covered,
                'data-total': f.total,
              },
              svg('title', {}, label),
              svg('rect', {
                x: left(i) + 1,
                y: y + 1,
                width: CELL - 2,
                height: ROW - 2,
                fill: empty ? '#ffffff' : bin.fill,
                stroke: empty ? '#c4cad2' : 'none',
                rx: 2,
              }),
              svg(
                'text',
                {
                  x: left(i) + CELL / 2,
                  y: y + ROW - 8,
                  'text-anchor': 'middle',
                  fill: empty ? '#5a636e' : bin.text,
                  class: 'heat-value',
                },
                empty ? '—' : `${formatNumber(f.covered)} / ${formatNumber(f.total)}`,
              ),
            ),
          );
        });
        parts.push(
          svg('text', { x: right + 12, y: y + ROW - 8, class: 'heat-label' }, formatNumber(row.namedBy)),
        );
        y += ROW;
      }
    }
    const caption = t('analytics.heatTitle');
    return h(
      'section',
      { class: 'heatmap', 'data-testid': 'heatmap' },
      h('h3', {}, caption),
      h('p', { class: 'muted small' }, t('analytics.heatLead')),
      heatLegend(t('analytics.heatLegend')),
      svg(
        'svg',
        { viewBox: `0 0 ${width} ${y + 4}`, class: 'heatmap-svg', role: 'group', 'aria-label': caption },
        ...parts,
      ),
      h(
        'details',
        { class: 'heat-table' },
        h('summary', {}, t('analytics.heatTable')),
        h(
          'table',
          { 'data-testid': 'heatmap-table' },
          h('caption', {}, caption),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('analytics.col.role')),
              columns.map((c) => h('th', { scope: 'col' }, c.title)),
              h('th', { scope: 'col' }, t('analytics.heat.namedBy')),
            ),
          ),
          h(
            'tbody',
            {},
            report.byRole.map((row) =>
              h(
                'tr',
                { 'data-role': row.id },
                h('th', { scope: 'row', lang: 'en' }, `${row.id} ${row.name}`),
                columns.map((c) => {
                  const f = c.of(row);
                  return h('td', { 'data-column': c.key }, f.total === 0 ? '—' : fractionText(f));
                }),
                h('td', {}, formatNumber(row.namedBy)),
              ),
            ),
          ),
        ),
      ),
    );
  }

  private renderGaps(): Child {
    const report = this.coverage;
    if (!report || report.byRole.length === 0) return null;
    const id = uid('role');
    const gaps = this.gaps?.role.id === this.role ? this.gaps : undefined;
    return h(
      'section',
      { class: 'analytics-gaps', 'data-testid': 'analytics-gaps' },
      h('h2', {}, t('analytics.gapsTitle')),
      h(
        'div',
        { class: 'field no-print' },
        h('label', { for: id }, t('analytics.role')),
        h(
          'select',
          {
            id,
            'data-testid': 'gaps-role',
            onchange: (e) => {
              this.role = (e.target as HTMLSelectElement).value;
              this.gaps = undefined;
              this.relocalize();
              void this.loadGaps();
            },
          },
          report.byRole.map((row) =>
            h(
              'option',
              { value: row.id, selected: row.id === this.role, lang: 'en' },
              `${row.id} ${row.name}`,
            ),
          ),
        ),
      ),
      this.gapsError !== undefined &&
        h('p', { class: 'error', role: 'alert' }, describeError(this.gapsError)),
      gaps
        ? [
            h(
              'p',
              { 'data-testid': 'gaps-summary' },
              t('analytics.gapsSummary', {
                role: gaps.role.id,
                count: formatNumber(gaps.gaps.length),
                covered: fractionText(gaps.coverage),
              }),
              ' ',
              h(
                'a',
                {
                  href: gapsUrl({ framework: gaps.framework, scope: this.scope }, gaps.role.id, 'csv'),
                  download: `gaps-${gaps.role.id}.csv`,
                  'data-testid': 'gaps-csv',
                  class: 'no-print',
                },
                t('analytics.csv'),
              ),
            ),
            h(
              'table',
              { class: 'gaps', 'data-testid': 'gaps-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, t('analytics.col.statement')),
                  h('th', { scope: 'col' }, t('analytics.col.type')),
                  h('th', { scope: 'col' }, t('analytics.col.text')),
                ),
              ),
              h(
                'tbody',
                {},
                gaps.gaps.map((s) =>
                  h(
                    'tr',
                    { 'data-statement': s.id },
                    h('td', { class: 'nowrap' }, s.id),
                    h('td', {}, t(TYPE_KEYS[s.type])),
                    h('td', { lang: 'en' }, s.text),
                  ),
                ),
              ),
            ),
          ]
        : this.gapsError === undefined && h('p', { class: 'muted' }, t('analytics.loading')),
    );
  }

  private renderUsage(): HTMLElement {
    const fromId = uid('from');
    const toId = uid('to');
    const report = this.usage;
    const max = Math.max(1, ...(report?.materials.map((m) => m.launches) ?? []));
    return h(
      'section',
      { class: 'analytics-usage', 'data-testid': 'analytics-usage' },
      h('h2', {}, t('analytics.usageTitle')),
      h(
        'form',
        {
          class: 'row no-print',
          onsubmit: (e) => {
            e.preventDefault();
            void this.loadUsage();
          },
        },
        h('label', { for: fromId }, t('analytics.from')),
        h('input', {
          id: fromId,
          type: 'date',
          value: this.from,
          required: true,
          'data-testid': 'usage-from',
          onchange: (e) => (this.from = (e.target as HTMLInputElement).value),
        }),
        h('label', { for: toId }, t('analytics.to')),
        h('input', {
          id: toId,
          type: 'date',
          value: this.to,
          required: true,
          'data-testid': 'usage-to',
          onchange: (e) => (this.to = (e.target as HTMLInputElement).value),
        }),
        h('button', { type: 'submit', 'data-testid': 'usage-show' }, t('analytics.show')),
      ),
      this.usageError !== undefined &&
        h('p', { class: 'error', role: 'alert' }, describeError(this.usageError)),
      report &&
        h(
          'div',
          {},
          h(
            'p',
            { class: 'muted small', 'data-testid': 'usage-period' },
            t('analytics.period', { from: this.from, to: this.to }),
            ' ',
            t('analytics.timeZone', { zone: this.config?.timeZone ?? '' }),
          ),
          h(
            'p',
            {
              'data-testid': 'usage-utilisation',
              'data-covered': report.utilisation.covered,
              'data-total': report.utilisation.total,
            },
            t('analytics.utilisation'),
            ' ',
            h('strong', {}, fractionText(report.utilisation, 'analytics.materialsUsed')),
          ),
          h(
            'p',
            {},
            t('analytics.usageTotals', {
              launches: formatNumber(report.launches),
              teams: formatNumber(report.realTeams),
              hours: new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(
                report.traineeHours,
              ),
            }),
          ),
          this.monthly &&
            h(
              'div',
              {},
              h('h3', {}, t('analytics.monthlyTitle')),
              h(
                'ul',
                { class: 'bars', 'data-testid': 'usage-monthly' },
                this.monthly.map(({ month, report: r }) =>
                  h(
                    'li',
                    {
                      'data-month': month,
                      'data-covered': r.utilisation.covered,
                      'data-total': r.utilisation.total,
                    },
                    h('span', { class: 'bar-label' }, month),
                    bar(r.utilisation.covered, r.utilisation.total, 'month-bar'),
                    h(
                      'span',
                      { class: 'bar-value' },
                      fractionText(r.utilisation, 'analytics.materialsUsed'),
                      ' ',
                      t('analytics.monthLaunches', { count: r.launches }),
                    ),
                  ),
                ),
              ),
            ),
          h('h3', {}, t('analytics.launchesTitle')),
          report.materials.length === 0
            ? h('p', { class: 'muted' }, t('analytics.noLaunches'))
            : h(
                'ul',
                { class: 'bars', 'data-testid': 'usage-bars' },
                report.materials.map((m) =>
                  h(
                    'li',
                    { 'data-material': m.id, 'data-launches': m.launches },
                    h('span', { class: 'bar-label' }, pickText(m.title) || m.id),
                    bar(m.launches, max, 'usage-bar'),
                    h(
                      'span',
                      { class: 'bar-value' },
                      t('analytics.launches', {
                        count: formatNumber(m.launches),
                        teams: formatNumber(m.realTeams),
                      }),
                    ),
                  ),
                ),
              ),
          h('h3', {}, t('analytics.neverUsed', { count: formatNumber(report.neverUsed.length) })),
          h(
            'ul',
            { 'data-testid': 'usage-never' },
            report.neverUsed.map((m) => h('li', { 'data-material': m.id }, pickText(m.title) || m.id)),
          ),
          h(
            'p',
            { class: 'no-print' },
            h(
              'a',
              {
                href: usageUrl(this.from, this.to, 'csv'),
                download: 'usage.csv',
                'data-testid': 'usage-csv',
              },
              t('analytics.csv'),
            ),
          ),
        ),
    );
  }
}
