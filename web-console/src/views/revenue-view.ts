import { platformTimeZone } from '../analytics-api.ts';
import { FALLBACK_TIME_ZONE } from '../platform-zone.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatNumber, locale, t, type MessageKey } from '../i18n/i18n.ts';
import { orgCategoryLabel } from '../labels.ts';
import type { View } from '../view.ts';
import { barChart, stackedBar } from './bar-chart.ts';
import {
  AGE_BUCKETS,
  currentPeriod,
  feeRun,
  fiscalYearOf,
  formatYen,
  organisations,
  receivables,
  usage,
  usageFees,
  type AgeBucket,
  type FeeRun,
  type OrganisationSummary,
  type OrgUsage,
  type Receivable,
} from './business-api.ts';

const BUCKET_LABELS: Record<AgeBucket, MessageKey> = {
  '0-30': 'revenue.age.0-30',
  '31-60': 'revenue.age.31-60',
  '61-90': 'revenue.age.61-90',
  '>90': 'revenue.age.90+',
};

interface MonthFee {
  period: string;
  /** The usage fee, tax excluded: the sum of each company's statement for the month. */
  feeYen: number;
  netSalesYen: number;
  companies: number;
}

interface Flagged {
  runId: string;
  company: OrganisationSummary;
  customerOrgId: string;
  traineeHours: number;
  distinctTrainees: number;
}

/**
 * `#/revenue` (the operator): usage fees by month of a fiscal year (a bar chart), CYNEX fees by
 * member category (the fee run), receivables by age, and the month's course runs with usage but no
 * sales (flagged by metering).
 */
export class RevenueView implements View {
  readonly element = h('section', { class: 'page revenue' });
  /** The platform's reporting time zone: today's month and fiscal year are its (read at start). */
  private zone = FALLBACK_TIME_ZONE;
  private year = fiscalYearOf(currentPeriod(this.zone));
  private period = currentPeriod(this.zone);
  private fees: MonthFee[] | undefined;
  /** The failure, described in the current language when the page renders. */
  private feesError: unknown;
  private run: FeeRun | undefined;
  /** The failure, described in the current language when the page renders. */
  private runError: unknown;
  private owed:
    | { asOf: string; invoices: Receivable[]; totals: Record<AgeBucket, number> & { totalYen: number } }
    | undefined;
  /** The failure, described in the current language when the page renders. */
  private owedError: unknown;
  private flagged: Flagged[] | undefined;
  /** The failure, described in the current language when the page renders. */
  private flaggedError: unknown;
  private orgs: OrganisationSummary[] = [];
  private disposed = false;
  private ticket = 0;

  constructor() {
    this.render();
    void this.start();
  }

  /** This month and fiscal year in the platform's time zone, then their figures. */
  private async start(): Promise<void> {
    this.zone = await platformTimeZone();
    if (this.disposed) return;
    this.period = currentPeriod(this.zone);
    this.year = fiscalYearOf(this.period);
    await this.load();
  }

  relocalize(): void {
    this.render();
  }

  dispose(): void {
    this.disposed = true;
  }

  private yen(value: number): string {
    return formatYen(value, locale());
  }

  private async load(): Promise<void> {
    const ticket = ++this.ticket;
    const stale = () => this.disposed || ticket !== this.ticket;
    try {
      this.orgs = await organisations();
    } catch (error) {
      this.feesError = error;
    }
    const [fees, run, owed, flagged] = await Promise.allSettled([
      this.monthFees(this.year),
      feeRun(this.year),
      receivables(),
      this.flaggedRuns(this.period),
    ]);
    if (stale()) return;
    this.fees = fees.status === 'fulfilled' ? fees.value : undefined;
    this.feesError = fees.status === 'rejected' ? (fees.reason as unknown) : undefined;
    this.run = run.status === 'fulfilled' ? run.value : undefined;
    this.runError = run.status === 'rejected' ? (run.reason as unknown) : undefined;
    this.owed = owed.status === 'fulfilled' ? owed.value : undefined;
    this.owedError = owed.status === 'rejected' ? (owed.reason as unknown) : undefined;
    this.flagged = flagged.status === 'fulfilled' ? flagged.value : undefined;
    this.flaggedError = flagged.status === 'rejected' ? (flagged.reason as unknown) : undefined;
    this.render();
  }

  /**
   * The usage fee of each month of the fiscal year, from one request: the server sums each company's
   * sales per month and takes each fee from its statement (issued) or the rule its draft uses. The
   * page never computes a fee itself.
   */
  private async monthFees(year: number): Promise<MonthFee[]> {
    const fees = await usageFees(`${year}-04`, `${year + 1}-03`);
    return fees.months.map((m) => ({
      period: m.period,
      feeYen: m.feeYen,
      netSalesYen: m.netSalesYen,
      companies: m.organisations.length,
    }));
  }

  /** Course runs of every training company with usage in the month but no sale recorded (metering's flag). */
  private async flaggedRuns(period: string): Promise<Flagged[]> {
    const companies = this.orgs.filter((o) => o.kind === 'training-company');
    const usages = await Promise.all(
      companies.map(async (c) => ({ company: c, usage: await usage(c.id, period) })),
    );
    const out: Flagged[] = [];
    for (const { company, usage: u } of usages as { company: OrganisationSummary; usage: OrgUsage }[])
      for (const run of u.runs)
        if (run.flagged && run.companyOrgId === company.id)
          out.push({
            runId: run.runId,
            company,
            customerOrgId: run.customerOrgId,
            traineeHours: run.traineeHours,
            distinctTrainees: run.distinctTrainees,
          });
    return out;
  }

  private orgName(id: string): string {
    return this.orgs.find((o) => o.id === id)?.name ?? id;
  }

  private render(): void {
    replaceChildren(
      this.element,
      h('h1', {}, t('revenue.title')),
      this.controls(),
      this.feesSection(),
      this.categorySection(),
      this.receivablesSection(),
      this.flaggedSection(),
    );
  }

  private controls(): HTMLElement {
    const yearId = uid('revenue-year');
    const monthId = uid('revenue-month');
    return h(
      'div',
      { class: 'business-month no-print' },
      h('label', { for: yearId }, t('revenue.fiscalYear')),
      h('input', {
        id: yearId,
        type: 'number',
        min: 2000,
        max: 2999,
        value: this.year,
        'data-testid': 'revenue-year',
        onchange: (event) => {
          const year = Number((event.target as HTMLInputElement).value);
          if (!Number.isInteger(year) || year < 2000 || year > 2999) return;
          this.year = year;
          void this.load();
        },
      }),
      h('label', { for: monthId }, t('revenue.flagMonth')),
      h('input', {
        id: monthId,
        type: 'month',
        value: this.period,
        'data-testid': 'revenue-month',
        onchange: (event) => {
          const value = (event.target as HTMLInputElement).value;
          if (!/^\d{4}-\d{2}$/.test(value)) return;
          this.period = value;
          void this.load();
        },
      }),
    );
  }

  private feesSection(): HTMLElement {
    const fees = this.fees;
    const monthLabel = (p: string) => t('revenue.monthShort', { month: Number(p.slice(5)) });
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'revenue-fees-h' },
      h('h2', { id: 'revenue-fees-h' }, t('revenue.fees', { year: String(this.year) })),
      this.feesError !== undefined &&
        h('p', { role: 'alert', class: 'error' }, describeError(this.feesError)),
      fees === undefined && this.feesError === undefined && h('p', {}, t('business.loading')),
      fees &&
        barChart({
          title: t('revenue.feesChart', { year: String(this.year) }),
          testid: 'revenue-fees-chart',
          bars: fees.map((f) => ({
            label: monthLabel(f.period),
            value: f.feeYen,
            valueLabel: this.yen(f.feeYen),
          })),
        }),
      fees &&
        h(
          'div',
          { class: 'table-scroll', role: 'region', tabindex: 0, 'aria-labelledby': 'revenue-fees-h' },
          h(
            'table',
            { 'data-testid': 'revenue-fees' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, t('business.month')),
                h('th', { scope: 'col', class: 'num' }, t('revenue.netSales')),
                h('th', { scope: 'col', class: 'num' }, t('revenue.usageFee')),
                h('th', { scope: 'col', class: 'num' }, t('revenue.companies')),
              ),
            ),
            h(
              'tbody',
              {},
              fees.map((f) =>
                h(
                  'tr',
                  { 'data-testid': 'revenue-month-row', 'data-period': f.period, 'data-fee-yen': f.feeYen },
                  h('th', { scope: 'row' }, f.period),
                  h('td', { class: 'num' }, this.yen(f.netSalesYen)),
                  h('td', { class: 'num' }, this.yen(f.feeYen)),
                  h('td', { class: 'num' }, formatNumber(f.companies)),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private categorySection(): HTMLElement {
    const run = this.run;
    const categories: [string, number][] = run ? Object.entries(run.totals.byCategory) : [];
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'revenue-category-h' },
      h('h2', { id: 'revenue-category-h' }, t('revenue.byCategory', { year: String(this.year) })),
      this.runError !== undefined && h('p', { role: 'alert', class: 'error' }, describeError(this.runError)),
      run &&
        categories.length > 0 &&
        barChart({
          title: t('revenue.byCategory', { year: String(this.year) }),
          testid: 'revenue-category-chart',
          bars: categories.map(([c, yen]) => ({
            label: orgCategoryLabel(c),
            value: yen,
            valueLabel: this.yen(yen),
          })),
        }),
      run &&
        h(
          'table',
          { 'data-testid': 'revenue-categories' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('revenue.category')),
              h('th', { scope: 'col', class: 'num' }, t('revenue.feeTaxExcluded')),
            ),
          ),
          h(
            'tbody',
            {},
            categories.length === 0
              ? h('tr', {}, h('td', { colspan: 2 }, t('revenue.noMembers')))
              : categories.map(([c, yen]) =>
                  h(
                    'tr',
                    { 'data-testid': 'revenue-category-row', 'data-category': c, 'data-yen': yen },
                    h('th', { scope: 'row' }, orgCategoryLabel(c)),
                    h('td', { class: 'num' }, this.yen(yen)),
                  ),
                ),
          ),
          h(
            'tfoot',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, t('revenue.totalWithTax')),
              h(
                'td',
                { class: 'num', 'data-testid': 'revenue-category-total' },
                this.yen(run.totals.totalYen),
              ),
            ),
          ),
        ),
      run &&
        run.skipped.length > 0 &&
        h(
          'p',
          { class: 'hint', 'data-testid': 'revenue-skipped' },
          t('revenue.skipped', { names: run.skipped.map((s) => s.name).join(', ') }),
        ),
    );
  }

  private receivablesSection(): HTMLElement {
    const owed = this.owed;
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'revenue-owed-h' },
      h('h2', { id: 'revenue-owed-h' }, t('revenue.receivables')),
      this.owedError !== undefined &&
        h('p', { role: 'alert', class: 'error' }, describeError(this.owedError)),
      owed &&
        h(
          'p',
          { 'data-testid': 'revenue-owed-total', 'data-yen': owed.totals.totalYen },
          t('revenue.owedTotal', { asOf: owed.asOf, total: this.yen(owed.totals.totalYen) }),
        ),
      owed &&
        stackedBar({
          title: t('revenue.receivables'),
          testid: 'revenue-owed-chart',
          segments: AGE_BUCKETS.map((b) => ({
            label: t(BUCKET_LABELS[b]),
            value: owed.totals[b],
            legend: t('revenue.legend', { label: t(BUCKET_LABELS[b]), value: this.yen(owed.totals[b]) }),
          })),
        }),
      owed &&
        owed.invoices.length > 0 &&
        h(
          'div',
          { class: 'table-scroll', role: 'region', tabindex: 0, 'aria-labelledby': 'revenue-owed-h' },
          h(
            'table',
            { 'data-testid': 'revenue-owed' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, t('revenue.invoice')),
                h('th', { scope: 'col' }, t('revenue.organisation')),
                h('th', { scope: 'col' }, t('revenue.issuedOn')),
                h('th', { scope: 'col' }, t('revenue.age')),
                h('th', { scope: 'col', class: 'num' }, t('revenue.outstanding')),
              ),
            ),
            h(
              'tbody',
              {},
              owed.invoices.map((r) =>
                h(
                  'tr',
                  { 'data-testid': 'revenue-owed-row', 'data-invoice': r.number, 'data-bucket': r.bucket },
                  h('th', { scope: 'row' }, r.number),
                  h('td', {}, r.orgName),
                  h('td', {}, r.issuedOn),
                  h('td', {}, t(BUCKET_LABELS[r.bucket])),
                  h('td', { class: 'num' }, this.yen(r.outstandingYen)),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private flaggedSection(): HTMLElement {
    const flagged = this.flagged;
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'revenue-flagged-h' },
      h('h2', { id: 'revenue-flagged-h' }, t('revenue.flagged', { month: this.period })),
      this.flaggedError !== undefined &&
        h('p', { role: 'alert', class: 'error' }, describeError(this.flaggedError)),
      flagged &&
        (flagged.length === 0
          ? h('p', { 'data-testid': 'revenue-flagged-none' }, t('revenue.flaggedNone'))
          : h(
              'div',
              { class: 'table-scroll', role: 'region', tabindex: 0, 'aria-labelledby': 'revenue-flagged-h' },
              h(
                'table',
                { 'data-testid': 'revenue-flagged' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'col' }, t('revenue.run')),
                    h('th', { scope: 'col' }, t('revenue.company')),
                    h('th', { scope: 'col' }, t('revenue.customer')),
                    h('th', { scope: 'col', class: 'num' }, t('business.usage.traineeHours')),
                    h('th', { scope: 'col', class: 'num' }, t('business.usage.trainees')),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  flagged.map((f) =>
                    h(
                      'tr',
                      {
                        'data-testid': 'revenue-flagged-row',
                        'data-run-id': f.runId,
                        'data-org-id': f.company.id,
                      },
                      h('th', { scope: 'row', class: 'wrap' }, f.runId),
                      h('td', {}, f.company.name),
                      h('td', {}, this.orgName(f.customerOrgId)),
                      h('td', { class: 'num' }, formatNumber(f.traineeHours)),
                      h('td', { class: 'num' }, formatNumber(f.distinctTrainees)),
                    ),
                  ),
                ),
              ),
            )),
    );
  }
}
