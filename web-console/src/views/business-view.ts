import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatNumber, locale, pickText, t, type MessageKey } from '../i18n/i18n.ts';
import type { Principal } from '../types.ts';
import type { View } from '../view.ts';
import { platformTimeZone } from '../analytics-api.ts';
import { calendarDay, FALLBACK_TIME_ZONE } from '../platform-zone.ts';

/** A message said in the current language when the page renders. */
type Say = () => string;
const silent: Say = () => '';
const say = (f: Say): Say => f;
import {
  addMonths,
  courseRuns,
  courses,
  currentPeriod,
  formatYen,
  importSales,
  journal,
  lastDay,
  recordSale,
  reverseSale,
  statement,
  statementHref,
  usage,
  type Course,
  type CourseRun,
  type ImportResult,
  type InvoiceDocument,
  type JournalEntry,
  type OrgUsage,
  type SaleCsvProblem,
  type SaleCsvProblemCode,
} from './business-api.ts';

type Field = 'date' | 'customer' | 'courseRun' | 'seats' | 'unitPrice' | 'amount';
const FIELDS: readonly Field[] = ['date', 'customer', 'courseRun', 'seats', 'unitPrice', 'amount'];
const LABELS: Record<Field, MessageKey> = {
  date: 'business.field.date',
  customer: 'business.field.customer',
  courseRun: 'business.field.courseRun',
  seats: 'business.field.seats',
  unitPrice: 'business.field.unitPrice',
  amount: 'business.field.amount',
};
/** The API's body names, as the server's error messages start with them. */
const API_NAMES: Record<string, Field> = {
  date: 'date',
  customer: 'customer',
  courseRun: 'courseRun',
  seats: 'seats',
  unitPriceYen: 'unitPrice',
  amountYen: 'amount',
};

/** How many months of statements the page offers, ending with the chosen month. */
const STATEMENT_MONTHS = 12;

/**
 * `#/business`: a training company's books for one month — its sales (reversals shown beside the
 * sale they cancel), recording a sale, CSV import with every bad line, reversing with a
 * confirmation naming the sale, the month's metered usage, and statements to download.
 */
export class BusinessView implements View {
  readonly element = h('section', { class: 'page business' });
  /** The platform's reporting time zone: the month shown and the days sent are its (read at start). */
  private zone = FALLBACK_TIME_ZONE;
  private period = currentPeriod(this.zone);
  private entries: JournalEntry[] | undefined;
  private usageOf: OrgUsage | undefined;
  private statementOf: (InvoiceDocument & { issued: boolean }) | undefined;
  private runs: CourseRun[] = [];
  private courseList: Course[] = [];
  /** Messages are kept as functions so that a language switch says them again in the new language. */
  private loadError: Say = silent;
  private usageError: Say = silent;
  private statementError: Say = silent;
  private form: Record<Field, string> = {
    date: '',
    customer: '',
    courseRun: '',
    seats: '',
    unitPrice: '',
    amount: '',
  };
  private formErrors: Partial<Record<Field, Say>> = {};
  private formError: Say = silent;
  private status: Say = silent;
  private importResult: ImportResult | undefined;
  private importError: Say = silent;
  private confirming: string | undefined;
  private reason = '';
  private disposed = false;
  private ticket = 0;

  constructor(private readonly principal: Extract<Principal, { kind: 'user' }>) {
    this.render();
    void this.start();
  }

  /** Today's month and day in the platform's time zone, then the month's books. */
  private async start(): Promise<void> {
    this.zone = await platformTimeZone();
    if (this.disposed) return;
    this.period = currentPeriod(this.zone);
    this.form.date = calendarDay(Date.now(), this.zone);
    this.render();
    await this.load();
  }

  relocalize(): void {
    this.render();
  }

  dispose(): void {
    this.disposed = true;
  }

  private get orgId(): string {
    return this.principal.orgId;
  }

  private async load(): Promise<void> {
    const ticket = ++this.ticket;
    const period = this.period;
    const [entries, usageOf, statementOf, runs, courseList] = await Promise.allSettled([
      journal(this.orgId, `${period}-01`, lastDay(period)),
      usage(this.orgId, period),
      statement(this.orgId, period),
      courseRuns(),
      courses(),
    ]);
    if (this.disposed || ticket !== this.ticket) return;
    this.loadError = entries.status === 'rejected' ? say(() => describeError(entries.reason)) : silent;
    this.entries = entries.status === 'fulfilled' ? entries.value : [];
    this.usageError = usageOf.status === 'rejected' ? say(() => describeError(usageOf.reason)) : silent;
    this.usageOf = usageOf.status === 'fulfilled' ? usageOf.value : undefined;
    this.statementError =
      statementOf.status === 'rejected' ? say(() => describeError(statementOf.reason)) : silent;
    this.statementOf = statementOf.status === 'fulfilled' ? statementOf.value : undefined;
    this.courseList = courseList.status === 'fulfilled' ? courseList.value : [];
    this.runs =
      runs.status === 'fulfilled'
        ? runs.value.filter((r) => r.companyOrgId === this.orgId && !r.cancelled)
        : [];
    this.render();
  }

  private yen(value: number): string {
    return formatYen(value, locale());
  }

  private render(): void {
    replaceChildren(
      this.element,
      h('h1', {}, t('business.title')),
      this.monthPicker(),
      h('p', { role: 'status', class: 'status no-print', 'data-testid': 'business-status' }, this.status()),
      this.loadError() &&
        h('p', { role: 'alert', class: 'error', 'data-testid': 'business-error' }, this.loadError()),
      this.salesSection(),
      this.saleForm(),
      this.importSection(),
      this.usageSection(),
      this.statementsSection(),
    );
  }

  private monthPicker(): HTMLElement {
    const id = uid('business-month');
    return h(
      'div',
      { class: 'business-month no-print' },
      h('label', { for: id }, t('business.month')),
      h('input', {
        id,
        type: 'month',
        value: this.period,
        'data-testid': 'business-month',
        onchange: (event) => {
          const value = (event.target as HTMLInputElement).value;
          if (!/^\d{4}-\d{2}$/.test(value)) return;
          this.period = value;
          this.entries = undefined;
          this.render();
          void this.load();
        },
      }),
    );
  }

  private salesSection(): HTMLElement {
    const entries = (this.entries ?? []).filter((e) => e.kind === 'sale' || e.kind === 'reversal');
    const reversedBy = new Map<string, JournalEntry>();
    for (const e of entries) if (e.kind === 'reversal' && e.reverses) reversedBy.set(e.reverses, e);
    // a reversal of an earlier month's sale (that month invoiced: it is dated today) is not this
    // month's sales but a return on its statement, as the server counts it
    const earlier = (e: JournalEntry) => e.kind === 'reversal' && !entries.some((x) => x.id === e.reverses);
    const net = entries.reduce((s, e) => (earlier(e) ? s : s + e.amount_yen), 0);
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'business-sales-h' },
      h('h2', { id: 'business-sales-h' }, t('business.sales', { month: this.period })),
      this.entries === undefined
        ? h('p', {}, t('business.loading'))
        : entries.length === 0
          ? h('p', { 'data-testid': 'sales-none' }, t('business.noSales'))
          : h(
              'div',
              { class: 'table-scroll', role: 'region', tabindex: 0, 'aria-labelledby': 'business-sales-h' },
              h(
                'table',
                { 'data-testid': 'sales-list' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'col' }, t('business.field.date')),
                    h('th', { scope: 'col' }, t('business.field.customer')),
                    h('th', { scope: 'col' }, t('business.field.courseRun')),
                    h('th', { scope: 'col', class: 'num' }, t('business.field.seats')),
                    h('th', { scope: 'col', class: 'num' }, t('business.field.unitPrice')),
                    h('th', { scope: 'col', class: 'num' }, t('business.field.amount')),
                    h('th', { scope: 'col' }, t('business.state')),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  entries.map((e) => this.saleRow(e, reversedBy.get(e.id))),
                ),
                h(
                  'tfoot',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'row', colspan: 5 }, t('business.net')),
                    h('td', { class: 'num', 'data-testid': 'sales-net', 'data-yen': net }, this.yen(net)),
                    h('td', {}),
                  ),
                ),
              ),
            ),
    );
  }

  private saleRow(e: JournalEntry, reversal: JournalEntry | undefined): HTMLElement[] {
    const isReversal = e.kind === 'reversal';
    const original = isReversal ? this.entries?.find((x) => x.id === e.reverses) : undefined;
    const state = isReversal
      ? original
        ? t('business.reversalOf', { date: original.entry_date })
        : t('business.reversalEarlier')
      : reversal
        ? t('business.reversed', { date: reversal.entry_date })
        : '';
    const rows: HTMLElement[] = [
      h(
        'tr',
        {
          'data-testid': isReversal ? 'reversal-row' : 'sale-row',
          'data-entry-id': e.id,
          'data-customer': e.counterparty,
          'data-yen': e.amount_yen,
          'data-reversed': isReversal ? null : String(reversal !== undefined),
          'data-earlier-month': isReversal && !original ? 'true' : null,
          class: isReversal || reversal ? 'reversed' : '',
        },
        h('td', {}, e.entry_date),
        h('td', {}, e.counterparty),
        h('td', {}, e.course_run ?? e.course ?? ''),
        h('td', { class: 'num' }, e.seats ?? ''),
        h('td', { class: 'num' }, e.unit_price_yen === null ? '' : this.yen(e.unit_price_yen)),
        h('td', { class: 'num' }, this.yen(e.amount_yen)),
        h(
          'td',
          {},
          state,
          !isReversal &&
            !reversal &&
            this.confirming !== e.id &&
            h(
              'button',
              {
                type: 'button',
                class: 'no-print',
                'data-testid': 'sale-reverse',
                onclick: () => {
                  this.confirming = e.id;
                  this.reason = '';
                  this.render();
                  this.element
                    .querySelector<HTMLInputElement>('[data-testid="sale-reverse-reason"]')
                    ?.focus();
                },
              },
              t('business.reverse'),
            ),
        ),
      ),
    ];
    if (this.confirming === e.id) {
      const reasonId = uid('reverse-reason');
      rows.push(
        h(
          'tr',
          { class: 'confirm-row no-print' },
          h(
            'td',
            { colspan: 7 },
            h(
              'div',
              { role: 'group', 'aria-label': t('business.reverse'), 'data-testid': 'sale-reverse-dialog' },
              h(
                'p',
                { 'data-testid': 'sale-reverse-question' },
                t('business.reverseQuestion', {
                  customer: e.counterparty,
                  date: e.entry_date,
                  amount: this.yen(e.amount_yen),
                }),
              ),
              h('label', { for: reasonId }, t('business.reverseReason')),
              h('input', {
                id: reasonId,
                type: 'text',
                maxlength: 200,
                value: this.reason,
                'data-testid': 'sale-reverse-reason',
                oninput: (event) => {
                  this.reason = (event.target as HTMLInputElement).value;
                },
              }),
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'data-testid': 'sale-reverse-confirm',
                  onclick: () => void this.reverse(e),
                },
                t('business.reverseConfirm'),
              ),
              h(
                'button',
                {
                  type: 'button',
                  'data-testid': 'sale-reverse-cancel',
                  onclick: () => {
                    this.confirming = undefined;
                    this.render();
                  },
                },
                t('business.cancel'),
              ),
            ),
          ),
        ),
      );
    }
    return rows;
  }

  private async reverse(e: JournalEntry): Promise<void> {
    const reason = this.reason.trim() === '' ? t('business.reverseDefaultReason') : this.reason.trim();
    try {
      await reverseSale(this.orgId, e.id, reason);
      this.confirming = undefined;
      this.status = () =>
        t('business.reversedStatus', {
          customer: e.counterparty,
          amount: this.yen(e.amount_yen),
        });
    } catch (error) {
      this.confirming = undefined;
      this.status = () => describeError(error);
    }
    await this.load();
  }

  private saleForm(): HTMLElement {
    const field = (name: Field, control: HTMLElement, idOf: string) => {
      const errorId = `${idOf}-error`;
      const problem = this.formErrors[name]?.();
      if (problem) {
        control.setAttribute('aria-invalid', 'true');
        control.setAttribute('aria-describedby', errorId);
      }
      return h(
        'div',
        { class: 'field' },
        h('label', { for: idOf }, t(LABELS[name])),
        control,
        problem && h('p', { id: errorId, class: 'error', 'data-testid': `sale-${name}-error` }, problem),
      );
    };
    const input = (name: Field, type: string, extra: Record<string, string | number> = {}) => {
      const id = uid(`sale-${name}`);
      return field(
        name,
        h('input', {
          id,
          type,
          value: this.form[name],
          'data-testid': `sale-${name}`,
          oninput: (event) => {
            this.form[name] = (event.target as HTMLInputElement).value;
          },
          ...extra,
        }),
        id,
      );
    };
    const runId = uid('sale-courseRun');
    return h(
      'section',
      { class: 'card no-print', 'aria-labelledby': 'business-record-h' },
      h('h2', { id: 'business-record-h' }, t('business.record')),
      h(
        'form',
        {
          'data-testid': 'sale-form',
          novalidate: true,
          onsubmit: (event) => {
            event.preventDefault();
            void this.submitSale();
          },
        },
        h(
          'div',
          { class: 'form-grid' },
          input('date', 'date'),
          input('customer', 'text', { maxlength: 200 }),
          field(
            'courseRun',
            h(
              'select',
              {
                id: runId,
                'data-testid': 'sale-courseRun',
                onchange: (event) => {
                  this.form.courseRun = (event.target as HTMLSelectElement).value;
                },
              },
              h('option', { value: '' }, t('business.noRun')),
              this.runs.map((r) =>
                h(
                  'option',
                  { value: r.id, selected: this.form.courseRun === r.id },
                  t('business.runOption', {
                    course: pickText(this.courseList.find((c) => c.id === r.courseId)?.title) || r.courseId,
                    from: calendarDay(r.startsAt, this.zone),
                  }),
                ),
              ),
            ),
            runId,
          ),
          input('seats', 'number', { min: 1, step: 1, inputmode: 'numeric' }),
          input('unitPrice', 'number', { min: 0, step: 1, inputmode: 'numeric' }),
          input('amount', 'number', { min: 1, step: 1, inputmode: 'numeric' }),
        ),
        h('p', { class: 'hint' }, t('business.amountHint')),
        this.formError() &&
          h('p', { role: 'alert', class: 'error', 'data-testid': 'sale-error' }, this.formError()),
        h('button', { type: 'submit', 'data-testid': 'sale-submit' }, t('business.recordSubmit')),
      ),
    );
  }

  /** Checks each field, saying which one is wrong; sends the sale when all are right. */
  private async submitSale(): Promise<void> {
    const errors: Partial<Record<Field, Say>> = {};
    const f = this.form;
    const whole = (name: Field, min: number): number | null => {
      const text = f[name].trim();
      if (text === '') return null;
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < min) {
        errors[name] = () => t('business.error.whole', { field: t(LABELS[name]), min });
        return null;
      }
      return n;
    };
    if (!/^\d{4}-\d{2}-\d{2}$/.test(f.date)) errors.date = () => t('business.error.date');
    if (f.customer.trim() === '')
      errors.customer = () => t('business.error.required', { field: t(LABELS.customer) });
    const seats = whole('seats', 1);
    const unitPrice = whole('unitPrice', 0);
    let amount = whole('amount', 1);
    if (amount === null && !errors.amount) {
      if (seats !== null && unitPrice !== null && seats * unitPrice >= 1) amount = seats * unitPrice;
      else errors.amount = () => t('business.error.amountMissing');
    } else if (amount !== null && seats !== null && unitPrice !== null && seats * unitPrice !== amount)
      errors.amount = () =>
        t('business.error.amountMismatch', {
          seats,
          price: this.yen(unitPrice),
          product: this.yen(seats * unitPrice),
        });
    this.formErrors = errors;
    this.formError = silent;
    if (Object.keys(errors).length > 0 || amount === null) {
      this.render();
      this.focusFirstError();
      return;
    }
    try {
      const entry = await recordSale(this.orgId, {
        date: f.date,
        customer: f.customer.trim(),
        courseRun: f.courseRun === '' ? null : f.courseRun,
        seats,
        unitPriceYen: unitPrice,
        amountYen: amount,
      });
      this.status = () =>
        t('business.recorded', {
          customer: entry.counterparty,
          amount: this.yen(entry.amount_yen),
        });
      this.form = { ...this.form, customer: '', seats: '', unitPrice: '', amount: '' };
    } catch (error) {
      // the server's message starts with the body field it refuses ("amountYen: …")
      const message = () => describeError(error);
      const named = /(?:^|\s)([a-zA-Z]+):/.exec((error as { message?: string }).message ?? '')?.[1];
      const fieldName = named !== undefined ? API_NAMES[named] : undefined;
      if (fieldName) this.formErrors = { [fieldName]: message };
      else this.formError = message;
      this.render();
      this.focusFirstError();
      return;
    }
    await this.load();
  }

  private focusFirstError(): void {
    for (const name of FIELDS)
      if (this.formErrors[name]) {
        this.element.querySelector<HTMLElement>(`[data-testid="sale-${name}"]`)?.focus();
        return;
      }
  }

  private importSection(): HTMLElement {
    const id = uid('sales-csv');
    const result = this.importResult;
    return h(
      'section',
      { class: 'card no-print', 'aria-labelledby': 'business-import-h' },
      h('h2', { id: 'business-import-h' }, t('business.import')),
      h('p', { class: 'hint', id: `${id}-hint` }, t('business.importHint')),
      h('label', { for: id }, t('business.importFile')),
      h('input', {
        id,
        type: 'file',
        accept: '.csv,text/csv',
        'aria-describedby': `${id}-hint`,
        'data-testid': 'sales-import-file',
        onchange: (event) => {
          const file = (event.target as HTMLInputElement).files?.[0];
          if (file) void this.importFile(file);
        },
      }),
      this.importError() &&
        h('p', { role: 'alert', class: 'error', 'data-testid': 'sales-import-error' }, this.importError()),
      result &&
        (result.problems.length > 0
          ? h(
              'div',
              { role: 'alert', 'data-testid': 'sales-import-problems' },
              h('p', {}, t('business.importRefused', { count: result.problems.length })),
              h(
                'ul',
                {},
                result.problems.map((p) =>
                  h(
                    'li',
                    { 'data-testid': 'sales-import-problem', 'data-line': p.line },
                    p.column !== undefined
                      ? t('business.problemColumn', {
                          line: p.line,
                          column: p.column,
                          message: problemText(p),
                        })
                      : t('business.problemLine', { line: p.line, message: problemText(p) }),
                  ),
                ),
              ),
            )
          : h(
              'p',
              { role: 'status', 'data-testid': 'sales-import-done' },
              t('business.imported', { count: result.imported, amount: this.yen(result.totalYen) }),
            )),
    );
  }

  private async importFile(file: File): Promise<void> {
    this.importError = silent;
    this.importResult = undefined;
    try {
      this.importResult = await importSales(this.orgId, await file.text());
    } catch (error) {
      this.importError = () => describeError(error);
    }
    this.render();
    if (this.importResult && this.importResult.problems.length === 0) await this.load();
  }

  private usageSection(): HTMLElement {
    const u = this.usageOf;
    const figure = (key: MessageKey, value: string, name: string) =>
      h(
        'tr',
        { 'data-testid': 'usage-figure', 'data-name': name },
        h('th', { scope: 'row' }, t(key)),
        h('td', { class: 'num' }, value),
      );
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'business-usage-h' },
      h('h2', { id: 'business-usage-h' }, t('business.usage', { month: this.period })),
      this.usageError() && h('p', { role: 'alert', class: 'error' }, this.usageError()),
      u &&
        h(
          'table',
          { 'data-testid': 'usage' },
          h(
            'tbody',
            {},
            figure('business.usage.runs', formatNumber(u.courseRuns), 'courseRuns'),
            figure('business.usage.exercises', formatNumber(u.exercises), 'exercises'),
            figure('business.usage.teamHours', formatNumber(u.teamHours), 'teamHours'),
            figure('business.usage.traineeHours', formatNumber(u.traineeHours), 'traineeHours'),
            figure('business.usage.trainees', formatNumber(u.distinctTrainees), 'distinctTrainees'),
          ),
        ),
      u &&
        u.flagged.length > 0 &&
        h(
          'p',
          { class: 'warning', 'data-testid': 'usage-flagged' },
          t('business.usage.flagged', {
            count: u.flagged.length,
            runs: u.flagged.join(', '),
          }),
        ),
    );
  }

  /**
   * A statement's returns (a credit note's items): fees charged on an earlier, issued statement for a
   * sale reversed since, each dated like the original sale, then the returned amount and its tax per rate.
   */
  private returnsTable(returns: NonNullable<InvoiceDocument['returns']>): HTMLElement {
    const id = uid('business-returns');
    return h(
      'div',
      { class: 'table-scroll statement-returns', role: 'region', tabindex: 0, 'aria-labelledby': id },
      h(
        'table',
        { 'data-testid': 'statement-returns' },
        h('caption', { id }, t('business.returns')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t('business.returnDate')),
            h('th', { scope: 'col' }, t('business.returnDescription')),
            h('th', { scope: 'col', class: 'num' }, t('business.returnAmount')),
            h('th', { scope: 'col', class: 'num' }, t('business.returnTaxRate')),
          ),
        ),
        h(
          'tbody',
          {},
          returns.lines.map((line) =>
            h(
              'tr',
              {
                'data-testid': 'statement-return-row',
                'data-date': line.date ?? '',
                'data-yen': line.amountYen,
                'data-rate': line.taxRatePercent,
              },
              h('td', {}, line.date ?? ''),
              h('td', {}, pickText({ ...line.description })),
              h('td', { class: 'num' }, this.yen(line.amountYen)),
              h('td', { class: 'num' }, t('business.taxRate', { rate: line.taxRatePercent })),
            ),
          ),
        ),
        h(
          'tfoot',
          {},
          returns.taxTotals.map((x) =>
            h(
              'tr',
              {
                'data-testid': 'statement-return-tax',
                'data-rate': x.taxRatePercent,
                'data-taxable-yen': x.taxableYen,
                'data-tax-yen': x.taxYen,
              },
              h(
                'th',
                { scope: 'row', colspan: 2 },
                t('business.returnsAtRate', { rate: x.taxRatePercent, tax: this.yen(x.taxYen) }),
              ),
              h('td', { class: 'num' }, this.yen(x.taxableYen)),
              h('td', { class: 'num' }, t('business.taxRate', { rate: x.taxRatePercent })),
            ),
          ),
        ),
      ),
    );
  }

  private statementsSection(): HTMLElement {
    const s = this.statementOf;
    const months = Array.from({ length: STATEMENT_MONTHS }, (_, i) => addMonths(this.period, -i));
    const taxable = s ? s.taxTotals.reduce((n, x) => n + x.taxableYen, 0) : 0;
    const tax = s ? s.taxTotals.reduce((n, x) => n + x.taxYen, 0) : 0;
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'business-statements-h' },
      h('h2', { id: 'business-statements-h' }, t('business.statements')),
      this.statementError() && h('p', { role: 'alert', class: 'error' }, this.statementError()),
      s &&
        h(
          'p',
          {
            'data-testid': 'statement-summary',
            'data-total-yen': s.totalYen,
            'data-issued': String(s.issued),
          },
          s.returns
            ? t(s.issued ? 'business.statementIssuedReturns' : 'business.statementDraftReturns', {
                month: this.period,
                number: s.number,
                fee: this.yen(taxable),
                tax: this.yen(tax),
                returned: this.yen(s.returns.taxTotals.reduce((n, x) => n + x.taxableYen + x.taxYen, 0)),
                total: this.yen(s.totalYen),
              })
            : t(s.issued ? 'business.statementIssued' : 'business.statementDraft', {
                month: this.period,
                number: s.number,
                fee: this.yen(taxable),
                tax: this.yen(tax),
                total: this.yen(s.totalYen),
              }),
        ),
      s?.returns && this.returnsTable(s.returns),
      h(
        'div',
        { class: 'table-scroll', role: 'region', tabindex: 0, 'aria-labelledby': 'business-statements-h' },
        h(
          'table',
          { 'data-testid': 'statement-list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('business.month')),
              h('th', { scope: 'col' }, t('business.downloads')),
            ),
          ),
          h(
            'tbody',
            {},
            months.map((m) =>
              h(
                'tr',
                { 'data-testid': 'statement-row', 'data-period': m },
                h('th', { scope: 'row' }, m),
                h(
                  'td',
                  { class: 'links' },
                  h(
                    'a',
                    {
                      href: statementHref(this.orgId, m, 'pdf', 'ja'),
                      download: '',
                      'data-testid': 'statement-pdf-ja',
                    },
                    t('business.pdfJa'),
                  ),
                  h(
                    'a',
                    {
                      href: statementHref(this.orgId, m, 'pdf', 'en'),
                      download: '',
                      'data-testid': 'statement-pdf-en',
                    },
                    t('business.pdfEn'),
                  ),
                  h(
                    'a',
                    {
                      href: statementHref(this.orgId, m, 'csv', locale()),
                      download: '',
                      'data-testid': 'statement-csv',
                    },
                    t('business.csv'),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }
}

/** The console's sentence for each import problem the server names (a new code does not compile without one). */
const PROBLEM_KEYS: Record<SaleCsvProblemCode, MessageKey> = {
  'file-too-large': 'business.csv.file-too-large',
  'not-csv': 'business.csv.not-csv',
  'empty-file': 'business.csv.empty-file',
  'unknown-column': 'business.csv.unknown-column',
  'duplicate-column': 'business.csv.duplicate-column',
  'missing-column': 'business.csv.missing-column',
  'missing-amount-column': 'business.csv.missing-amount-column',
  'too-many-rows': 'business.csv.too-many-rows',
  'no-sales': 'business.csv.no-sales',
  empty: 'business.csv.empty',
  'too-long': 'business.csv.too-long',
  'control-characters': 'business.csv.control-characters',
  'not-a-date': 'business.csv.not-a-date',
  'not-a-number': 'business.csv.not-a-number',
  'too-small': 'business.csv.too-small',
  'no-amount': 'business.csv.no-amount',
  'zero-amount': 'business.csv.zero-amount',
  'amount-mismatch': 'business.csv.amount-mismatch',
  'month-invoiced': 'business.csv.month-invoiced',
};

/** An import problem in the page's language; the server's English sentence for a code this console does not know. */
function problemText(p: SaleCsvProblem): string {
  const key = Object.hasOwn(PROBLEM_KEYS, p.code) ? PROBLEM_KEYS[p.code] : undefined;
  return key === undefined ? p.message : t(key, p.params ?? {});
}
