import type SQLite from 'better-sqlite3';
import { mayKeepBooksOf, mayRunBilling } from '../access/billing-access.ts';
import type { Principal } from '../access/principal.ts';
import {
  describeActor,
  type AccountService,
  type AuditContext,
  type Organisation,
} from '../accounts/account-service.ts';
import type { InvoiceDocument } from '../documents/document-types.ts';
import { CyropError } from '../errors.ts';
import {
  daysBetween,
  fiscalYear,
  isCalendarDate,
  monthRange,
  mustBeValidSchedule,
  scheduleOn,
  type FeeSchedule,
} from './fee-schedule.ts';
import {
  participationFeeInvoice,
  usageFeeOf,
  usageFeeStatement,
  type Party,
  type ReturnForStatement,
  type SaleForStatement,
} from './invoices.ts';
import {
  Ledger,
  translateLedgerError,
  type JournalEntry,
  type JournalQuery,
  type VerifyResult,
} from './ledger.ts';
import { mustBeYen } from './money.ts';
import { DEFAULT_TIME_ZONE } from '../time-zone.ts';
import { formatSaleProblem, parseSalesCsv, type SaleCsvProblem, type SaleInput } from './sales-csv.ts';
export type { AgeBucket, Receivable, FeeRun, UsageFees, OrgMonthFee } from '../../../contract/business.ts';
import type { AgeBucket, Receivable, FeeRun, UsageFees, OrgMonthFee } from '../../../contract/business.ts';

export interface BillingServiceOptions {
  /** The raw connection of the store (the journal is written with prepared statements in IMMEDIATE transactions). */
  sqlite: SQLite.Database;
  accounts: AccountService;
  clock?: () => number;
  /** The platform's reporting time zone (`CYROP_TIME_ZONE`): today's date for issue dates, months that have ended, ageing. Default Asia/Tokyo. */
  timeZone?: string;
}

export const AGE_BUCKETS: readonly AgeBucket[] = ['0-30', '31-60', '61-90', '>90'];

const CO_NEXUS_NAME = /^[^\p{Cc},]{1,40}$/u;

/**
 * Sales, statements, fee invoices, payments and receivables over the journal. Decides with
 * `access/billing-access.ts`; every change of money (a sale, a reversal, an import, an issued
 * statement or invoice, a payment, a membership or a fee schedule) writes its audit row in the same
 * transaction as the change. Pure computations live in `invoices.ts`; this class reads and writes.
 */
export class BillingService {
  readonly ledger: Ledger;
  private readonly sqlite: SQLite.Database;
  private readonly accounts: AccountService;
  private readonly clock: () => number;
  private readonly dateFormat: Intl.DateTimeFormat;
  private readonly auditInsert: SQLite.Statement;

  constructor(options: BillingServiceOptions) {
    this.sqlite = options.sqlite;
    this.accounts = options.accounts;
    this.clock = options.clock ?? Date.now;
    this.ledger = new Ledger(options.sqlite, this.clock);
    this.dateFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    this.auditInsert = options.sqlite.prepare(
      'insert into audit_log (at, actor, org_id, action, target, details, ip) values (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Today in the platform's time zone, `YYYY-MM-DD`. */
  today(): string {
    return this.dateFormat.format(this.clock());
  }

  private audit(
    by: Principal,
    action: string,
    target: string,
    orgId: string | null,
    details: object,
    ctx: AuditContext,
  ) {
    this.auditInsert.run(
      this.clock(),
      describeActor(by),
      orgId,
      action,
      target,
      JSON.stringify(details),
      ctx.ip ?? null,
    );
  }

  /** The organisation whose books `by` may keep; a stranger is told it does not exist. */
  async booksOf(by: Principal | undefined, orgId: string): Promise<Organisation> {
    const org = mayKeepBooksOf(by, orgId) ? await this.accounts.getOrganisation(orgId) : undefined;
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    return org;
  }

  /**
   * The books of an organisation that sells: only a training company resells courses built on
   * CYROP, so only it records sales (the console hides the pages from others; this refuses the API).
   */
  private async sellerBooksOf(by: Principal | undefined, orgId: string): Promise<Organisation> {
    const org = await this.booksOf(by, orgId);
    if (org.kind !== 'training-company')
      throw new CyropError(
        'CONFLICT',
        `organisation '${orgId}' is a ${org.kind}, not a training company: only training companies record sales`,
      );
    return org;
  }

  private mustRunBilling(by: Principal | undefined): asserts by is Principal {
    if (!mayRunBilling(by)) throw new CyropError('FORBIDDEN', 'only the platform operator does this');
  }

  // ── sales ────────────────────────────────────────────────────────────────────────────────────

  private saleEntry(
    org: Organisation,
    sale: SaleInput,
    by: Principal,
  ): Parameters<Ledger['append']>[0][number] {
    return {
      entry_date: sale.date,
      kind: 'sale',
      org_id: org.id,
      counterparty: sale.customer,
      course: sale.course,
      course_run: sale.courseRun,
      seats: sale.seats,
      unit_price_yen: sale.unitPriceYen,
      amount_yen: sale.amountYen,
      reverses: null,
      invoice_number: null,
      memo: sale.memo,
      recorded_by: describeActor(by),
    };
  }

  /** Refuses a sale dated in a month whose statement is already issued (an issued invoice never changes). */
  /** The number of the issued usage-fee statement whose month holds `date`, if there is one. */
  private issuedStatementOn(orgId: string, date: string): string | undefined {
    const issued = this.sqlite
      .prepare(
        "select number from invoices where kind = 'usage-fee-statement' and org_id = ? and period_from <= ? and period_to >= ?",
      )
      .get(orgId, date, date) as { number: string } | undefined;
    return issued?.number;
  }

  private mustBeOpenMonth(orgId: string, date: string, where = 'date'): void {
    const number = this.issuedStatementOn(orgId, date);
    if (number !== undefined)
      throw new CyropError(
        'CONFLICT',
        `${where} ${date}: the usage-fee statement ${number} for ${date.slice(0, 7)} is already issued; date the sale in a month not yet invoiced`,
      );
  }

  async recordSale(
    by: Principal | undefined,
    orgId: string,
    sale: SaleInput,
    ctx: AuditContext = {},
  ): Promise<JournalEntry> {
    const org = await this.sellerBooksOf(by, orgId);
    const principal = by as Principal;
    checkSale(sale);
    return this.ledger.transaction(() => {
      this.mustBeOpenMonth(org.id, sale.date);
      const [entry] = this.ledger.append([this.saleEntry(org, sale, principal)], ([e]) =>
        this.audit(
          principal,
          'billing.sale-recorded',
          `journal:${e?.id}`,
          org.id,
          { amountYen: sale.amountYen, date: sale.date, customer: sale.customer },
          ctx,
        ),
      );
      return entry as JournalEntry;
    });
  }

  /**
   * Cancel a sale with a reversing entry (the negated amount), dated like the sale when its month is
   * still open, else today. A sale is reversed at most once; a reversal is never reversed.
   */
  async reverseSale(
    by: Principal | undefined,
    orgId: string,
    entryId: string,
    reason: string,
    ctx: AuditContext = {},
  ): Promise<JournalEntry> {
    const org = await this.booksOf(by, orgId);
    const principal = by as Principal;
    if (!reason.trim() || reason.length > 200 || /\p{Cc}/u.test(reason))
      throw new CyropError(
        'BAD_REQUEST',
        'reason: say why the sale is reversed (1–200 characters, no control characters)',
      );
    return this.ledger.transaction(() => {
      const sale = this.ledger.get(entryId);
      if (!sale || sale.org_id !== org.id || sale.kind !== 'sale')
        throw new CyropError('NOT_FOUND', `no sale '${entryId}' in the books of ${org.name}`);
      const already = this.ledger.reversalOf(sale.id);
      if (already)
        throw new CyropError(
          'CONFLICT',
          `sale ${sale.id} is already reversed by ${already.id} (${already.entry_date})`,
        );
      let date = sale.entry_date;
      try {
        this.mustBeOpenMonth(org.id, date);
      } catch {
        date = this.today();
      }
      const [entry] = this.ledger.append(
        [
          {
            ...sale,
            entry_date: date,
            kind: 'reversal',
            amount_yen: -sale.amount_yen,
            reverses: sale.id,
            memo: reason.trim(),
            recorded_by: describeActor(principal),
            id: undefined,
          },
        ],
        ([e]) =>
          this.audit(
            principal,
            'billing.sale-reversed',
            `journal:${e?.id}`,
            org.id,
            { reverses: sale.id, amountYen: -sale.amount_yen, reason },
            ctx,
          ),
      );
      return entry as JournalEntry;
    });
  }

  /**
   * Import a sales CSV: every problem of every row (line and column) and nothing imported, or every
   * row imported in one transaction with one audit entry.
   */
  async importSales(
    by: Principal | undefined,
    orgId: string,
    csv: string,
    ctx: AuditContext = {},
  ): Promise<{ imported: number; totalYen: number; problems: SaleCsvProblem[] }> {
    const org = await this.sellerBooksOf(by, orgId);
    const principal = by as Principal;
    const { rows, problems } = parseSalesCsv(csv);
    if (problems.length > 0) return { imported: 0, totalYen: 0, problems };
    return this.ledger.transaction(() => {
      const closed: SaleCsvProblem[] = [];
      for (const row of rows) {
        const invoice = this.issuedStatementOn(org.id, row.date);
        if (invoice !== undefined)
          closed.push({
            line: row.line,
            column: 'date',
            code: 'month-invoiced',
            params: { value: row.date, invoice },
            message: `date ${row.date}: the usage-fee statement ${invoice} for ${row.date.slice(0, 7)} is already issued; date the sale in a month not yet invoiced`,
          });
      }
      if (closed.length > 0) return { imported: 0, totalYen: 0, problems: closed };
      const total = rows.reduce((s, r) => s + r.amountYen, 0);
      mustBeYen(total, 'the total of the file');
      const written = this.ledger.append(
        rows.map((r) => this.saleEntry(org, r, principal)),
        (entries) =>
          this.audit(
            principal,
            'billing.sales-imported',
            `organisation:${org.id}`,
            org.id,
            {
              rows: entries.length,
              totalYen: total,
              firstSeq: entries[0]?.seq,
              lastSeq: entries.at(-1)?.seq,
            },
            ctx,
          ),
      );
      return { imported: written.length, totalYen: total, problems: [] };
    });
  }

  /** The journal: an organisation's own entries, or (the operator) anyone's. */
  async search(
    by: Principal | undefined,
    query: JournalQuery,
  ): Promise<{ entries: JournalEntry[]; total: number }> {
    if (!seesEveryBook(by)) {
      if (by?.kind !== 'user') throw new CyropError('FORBIDDEN', 'sign in as an organisation admin');
      const orgId = query.orgId ?? by.orgId;
      await this.booksOf(by, orgId);
      return this.ledger.search({ ...query, orgId });
    }
    return this.ledger.search(query);
  }

  // ── issuer, schedules, memberships ──────────────────────────────────────────────────────────

  /** The issuer of every invoice: the operator organisation, with its registration number. */
  async issuer(): Promise<Party> {
    const operator = (await this.accounts.listOrganisations()).find((o) => o.kind === 'operator');
    if (!operator) throw new CyropError('INTERNAL', 'no operator organisation');
    return {
      name: operator.name,
      ...(operator.invoiceRegistrationNumber
        ? { registrationNumber: operator.invoiceRegistrationNumber }
        : {}),
      ...(operator.postalAddress ? { address: operator.postalAddress } : {}),
    };
  }

  schedules(): FeeSchedule[] {
    return (
      this.sqlite.prepare('select body from fee_schedules order by effective_from').all() as {
        body: string;
      }[]
    ).map((r) => JSON.parse(r.body) as FeeSchedule);
  }

  addFeeSchedule(by: Principal | undefined, schedule: FeeSchedule, ctx: AuditContext = {}): FeeSchedule {
    this.mustRunBilling(by);
    mustBeValidSchedule(schedule);
    return this.ledger.transaction(() => {
      const clash = this.sqlite
        .prepare('select version from fee_schedules where version = ? or effective_from = ?')
        .get(schedule.version, schedule.effectiveFrom) as { version: string } | undefined;
      if (clash)
        throw new CyropError(
          'CONFLICT',
          `fee schedule ${clash.version} already has that version name or effective date`,
        );
      const issued = this.sqlite
        .prepare('select number from invoices where period_to >= ? limit 1')
        .get(schedule.effectiveFrom) as { number: string } | undefined;
      if (issued)
        throw new CyropError(
          'CONFLICT',
          `effectiveFrom ${schedule.effectiveFrom}: invoice ${issued.number} covering that date is already issued; a new schedule takes effect after the last issued period`,
        );
      this.sqlite
        .prepare(
          'insert into fee_schedules (version, effective_from, body, created_by, created_at) values (?, ?, ?, ?, ?)',
        )
        .run(
          schedule.version,
          schedule.effectiveFrom,
          JSON.stringify(schedule),
          describeActor(by),
          this.clock(),
        );
      this.audit(
        by,
        'billing.fee-schedule-added',
        `fee-schedule:${schedule.version}`,
        null,
        { ...schedule },
        ctx,
      );
      return schedule;
    });
  }

  coNexusOf(orgId: string): { names: string[]; joinedOn: string | null } {
    const rows = this.sqlite
      .prepare('select name, joined_on from org_co_nexus where org_id = ? order by name')
      .all(orgId) as {
      name: string;
      joined_on: string;
    }[];
    return {
      names: rows.map((r) => r.name),
      joinedOn: rows.length ? (rows.map((r) => r.joined_on).sort()[0] ?? null) : null,
    };
  }

  /** Set an organisation's Co-Nexus memberships (the operator); names kept keep their joining date. */
  async setCoNexus(
    by: Principal | undefined,
    orgId: string,
    names: readonly string[],
    ctx: AuditContext = {},
  ): Promise<string[]> {
    this.mustRunBilling(by);
    const org = await this.accounts.getOrganisation(orgId);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    const wanted = [...new Set(names.map((n) => n.normalize('NFKC').trim()).filter((n) => n !== ''))];
    const bad = wanted.filter((n) => !CO_NEXUS_NAME.test(n));
    if (bad.length)
      throw new CyropError(
        'BAD_REQUEST',
        `coNexus: ${bad.map((b) => `'${b.slice(0, 50)}'`).join(', ')} is not a Co-Nexus name (1–40 characters, no commas or control characters)`,
      );
    const today = this.today();
    return this.ledger.transaction(() => {
      const before = this.coNexusOf(org.id).names;
      const del = this.sqlite.prepare('delete from org_co_nexus where org_id = ? and name = ?');
      for (const name of before) if (!wanted.includes(name)) del.run(org.id, name);
      const add = this.sqlite.prepare(
        'insert or ignore into org_co_nexus (org_id, name, joined_on) values (?, ?, ?)',
      );
      for (const name of wanted) add.run(org.id, name, today);
      this.audit(
        by,
        'billing.co-nexus-set',
        `organisation:${org.id}`,
        org.id,
        { before, after: wanted },
        ctx,
      );
      return this.coNexusOf(org.id).names;
    });
  }

  // ── statements and invoices ─────────────────────────────────────────────────────────────────

  private issued(kind: InvoiceDocument['kind'], orgId: string, from: string): InvoiceDocument | undefined {
    const row = this.sqlite
      .prepare('select document from invoices where kind = ? and org_id = ? and period_from = ?')
      .get(kind, orgId, from) as { document: string } | undefined;
    if (!row) return undefined;
    const doc = JSON.parse(row.document) as InvoiceDocument;
    const payments = this.paymentsOf(doc.number);
    return payments.length ? { ...doc, payments } : doc;
  }

  private paymentsOf(number: string): { on: string; amountYen: number }[] {
    return this.sqlite
      .prepare(
        `select entry_date as "on", amount_yen as amountYen from journal
            where invoice_number = ? and (kind = 'payment' or (kind = 'reversal' and reverses in (select id from journal where kind = 'payment')))
            order by seq`,
      )
      .all(number) as { on: string; amountYen: number }[];
  }

  private statementNumber(orgId: string, period: string): string {
    return `UF-${period}-${orgId
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 8)
      .toUpperCase()}`;
  }

  /** Compute a month's usage-fee statement from the journal (not stored). */
  async draftStatement(
    orgId: string,
    period: string,
    issuedOn = this.today(),
    draft = true,
  ): Promise<InvoiceDocument> {
    const range = monthRange(period);
    const org = await this.accounts.getOrganisation(orgId);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    const entries = this.ledger.salesBetween(orgId, range.from, range.to);
    // A reversal of a sale of an earlier month (invoiced then: it was dated today, not like the sale)
    // is a return of the fee that month's statement charged, listed apart with its own tax.
    const original = this.sqlite.prepare('select * from journal where id = ?');
    const schedules = this.schedules();
    const returns: ReturnForStatement[] = [];
    const ofPeriod = entries.filter((e) => {
      if (e.kind !== 'reversal' || e.reverses === null) return true;
      const sale = original.get(e.reverses) as JournalEntry | undefined;
      if (!sale || sale.entry_date >= range.from) return true;
      returns.push({
        id: e.id,
        reversedOn: e.entry_date,
        sale: {
          id: sale.id,
          date: sale.entry_date,
          customer: sale.counterparty,
          course: sale.course,
          courseRun: sale.course_run,
          amountYen: sale.amount_yen,
        },
        schedule: scheduleOn(schedules, `${sale.entry_date.slice(0, 7)}-01`),
      });
      return false;
    });
    const sales: SaleForStatement[] = ofPeriod.map((e) => ({
      id: e.id,
      date: e.entry_date,
      customer: e.counterparty,
      course: e.course,
      courseRun: e.course_run,
      seats: e.seats,
      unitPriceYen: e.unit_price_yen,
      amountYen: e.amount_yen,
      reverses: e.reverses,
    }));
    return usageFeeStatement({
      number: this.statementNumber(orgId, period),
      issuedOn,
      period: range,
      issuer: await this.issuer(),
      recipient: { name: org.name, ...(org.postalAddress ? { address: org.postalAddress } : {}) },
      sales,
      returns,
      schedule: scheduleOn(schedules, range.from),
      draft,
    });
  }

  /** A month's statement: the issued one (with its payments), else a draft computed now. */
  async statement(
    by: Principal | undefined,
    orgId: string,
    period: string,
  ): Promise<InvoiceDocument & { issued: boolean }> {
    await this.booksOf(by, orgId);
    const range = monthRange(period);
    const issued = this.issued('usage-fee-statement', orgId, range.from);
    if (issued) return { ...issued, issued: true };
    return { ...(await this.draftStatement(orgId, period)), issued: false };
  }

  /**
   * The usage fees of every month from `from` to `to` (YYYY-MM, at most 120 months), per company and
   * summed (the operator): net sales per company and month summed by the database in one query,
   * issued statements' fees read from the stored documents in another; a month not issued gets the
   * fee its draft would say (`usageFeeOf` with the schedule in force on the 1st). Months without
   * sales or statements are listed with no companies.
   */
  usageFees(by: Principal | undefined, from: string, to: string): UsageFees {
    this.mustRunBilling(by);
    const first = monthRange(from).from;
    const last = monthRange(to).to;
    const months: string[] = [];
    for (let period = from; period <= to; period = nextPeriod(period)) {
      months.push(period);
      if (months.length > 120)
        throw new CyropError('BAD_REQUEST', `from ${from} to ${to} is more than 120 months: ask for less`);
    }
    if (months.length === 0) throw new CyropError('BAD_REQUEST', `to (${to}) is before from (${from})`);
    const sales = this.sqlite
      .prepare(
        `select substr(j.entry_date, 1, 7) as period, j.org_id as orgId, sum(j.amount_yen) as netSalesYen,
                sum(case when j.kind = 'reversal' and r.entry_date < substr(j.entry_date, 1, 7) || '-01'
                         then 0 else j.amount_yen end) as chargedSalesYen
           from journal j left join journal r on r.id = j.reverses
          where j.entry_date between ? and ?
            and (j.kind = 'sale' or (j.kind = 'reversal' and r.kind = 'sale'))
          group by period, j.org_id`,
      )
      .all(first, last) as { period: string; orgId: string; netSalesYen: number; chargedSalesYen: number }[];
    // Sales of earlier months reversed in these: the fee charged on each is returned (see draftStatement).
    const returned = this.sqlite
      .prepare(
        `select substr(j.entry_date, 1, 7) as period, j.org_id as orgId, r.entry_date as saleDate, r.amount_yen as saleYen
           from journal j join journal r on r.id = j.reverses
          where j.entry_date between ? and ? and j.kind = 'reversal' and r.kind = 'sale'
            and r.entry_date < substr(j.entry_date, 1, 7) || '-01'`,
      )
      .all(first, last) as { period: string; orgId: string; saleDate: string; saleYen: number }[];
    const issued = this.sqlite
      .prepare(
        `select substr(period_from, 1, 7) as period, org_id as orgId,
                (select coalesce(sum(json_extract(t.value, '$.taxableYen')), 0)
                   from json_each(document, '$.taxTotals') t)
                - (select coalesce(sum(json_extract(t.value, '$.taxableYen')), 0)
                     from json_each(document, '$.returns.taxTotals') t) as feeYen
           from invoices
          where kind = 'usage-fee-statement' and period_from between ? and ?`,
      )
      .all(first, last) as { period: string; orgId: string; feeYen: number }[];
    const names = new Map(
      (this.sqlite.prepare('select id, name from organisations').all() as { id: string; name: string }[]).map(
        (o) => [o.id, o.name],
      ),
    );
    const schedules = this.schedules();
    const rows = new Map<string, OrgMonthFee & { period: string }>();
    const row = (period: string, orgId: string) => {
      const key = `${period} ${orgId}`;
      let found = rows.get(key);
      if (!found) {
        found = {
          period,
          orgId,
          orgName: names.get(orgId) ?? orgId,
          netSalesYen: 0,
          feeYen: 0,
          issued: false,
        };
        rows.set(key, found);
      }
      return found;
    };
    for (const s of sales) {
      const r = row(s.period, s.orgId);
      r.netSalesYen = s.netSalesYen;
      r.feeYen =
        s.chargedSalesYen > 0 ? usageFeeOf(s.chargedSalesYen, scheduleOn(schedules, `${s.period}-01`)) : 0;
    }
    for (const x of returned)
      row(x.period, x.orgId).feeYen -= usageFeeOf(
        x.saleYen,
        scheduleOn(schedules, `${x.saleDate.slice(0, 7)}-01`),
      );
    for (const i of issued) {
      const r = row(i.period, i.orgId);
      r.feeYen = i.feeYen;
      r.issued = true;
    }
    return {
      from,
      to,
      months: months.map((period) => {
        const organisations = [...rows.values()]
          .filter((r) => r.period === period)
          .map(({ period: _period, ...r }) => r)
          .sort((a, b) => a.orgName.localeCompare(b.orgName) || a.orgId.localeCompare(b.orgId));
        return {
          period,
          netSalesYen: organisations.reduce((n, r) => n + r.netSalesYen, 0),
          feeYen: organisations.reduce((n, r) => n + r.feeYen, 0),
          organisations,
        };
      }),
    };
  }

  private store(by: Principal, doc: InvoiceDocument, orgId: string, ctx: AuditContext, action: string): void {
    if (!doc.issuer.registrationNumber)
      throw new CyropError(
        'CONFLICT',
        `${doc.number}: the issuer ${doc.issuer.name} has no qualified-invoice registration number: set the operator organisation's invoiceRegistrationNumber first`,
      );
    try {
      this.ledger.append(
        [
          {
            entry_date: doc.issuedOn,
            kind: 'invoice',
            org_id: orgId,
            counterparty: doc.recipient.name,
            course: null,
            course_run: null,
            seats: null,
            unit_price_yen: null,
            amount_yen: doc.totalYen,
            reverses: null,
            invoice_number: doc.number,
            memo: `${doc.kind} ${doc.period.from}..${doc.period.to}`,
            recorded_by: describeActor(by),
          },
        ],
        ([entry]) => {
          this.sqlite
            .prepare(
              `insert into invoices (number, kind, org_id, period_from, period_to, issued_on, due_on, total_yen, document, journal_id, created_at)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              doc.number,
              doc.kind,
              orgId,
              doc.period.from,
              doc.period.to,
              doc.issuedOn,
              doc.dueOn ?? doc.issuedOn,
              doc.totalYen,
              JSON.stringify(doc),
              entry?.id,
              this.clock(),
            );
          this.audit(
            by,
            action,
            `invoice:${doc.number}`,
            orgId,
            { totalYen: doc.totalYen, period: doc.period },
            ctx,
          );
        },
      );
    } catch (error) {
      if (error instanceof Error && /UNIQUE constraint failed: invoices/.test(error.message))
        throw new CyropError(
          'CONFLICT',
          `${doc.number} (${doc.kind} of ${doc.period.from}) is already issued`,
          { cause: error },
        );
      translateLedgerError(error);
    }
  }

  /** Issue a past month's statement (the operator): stored unchanged from now on, and a receivable. */
  async issueStatement(
    by: Principal | undefined,
    orgId: string,
    period: string,
    ctx: AuditContext = {},
  ): Promise<InvoiceDocument> {
    this.mustRunBilling(by);
    const range = monthRange(period);
    const today = this.today();
    if (range.to >= today)
      throw new CyropError('CONFLICT', `period ${period} has not ended yet (today is ${today})`);
    const doc = await this.draftStatement(orgId, period, today, false);
    if (doc.lines.length === 0 && doc.returns === undefined)
      throw new CyropError('CONFLICT', `no sales recorded in ${period}: nothing to issue`);
    this.store(by, doc, orgId, ctx, 'billing.statement-issued');
    return doc;
  }

  /** The yearly CYNEX fee run: one invoice per member organisation (issued or draft), with totals. */
  async fees(by: Principal | undefined, year: number, issuedOn = this.today()): Promise<FeeRun> {
    this.mustRunBilling(by);
    if (!Number.isInteger(year) || year < 2000 || year > 2999)
      throw new CyropError('BAD_REQUEST', `fiscal year ${year} is not a year`);
    const fy = fiscalYear(this.schedules(), year);
    const issuer = await this.issuer();
    const memberships = new Map<string, { names: string[]; joinedOn: string }>();
    for (const r of this.sqlite
      .prepare('select org_id, name, joined_on from org_co_nexus order by org_id, name')
      .all() as {
      org_id: string;
      name: string;
      joined_on: string;
    }[]) {
      const m = memberships.get(r.org_id) ?? { names: [], joinedOn: r.joined_on };
      m.names.push(r.name);
      if (r.joined_on < m.joinedOn) m.joinedOn = r.joined_on;
      memberships.set(r.org_id, m);
    }
    const run: FeeRun = {
      fiscalYear: year,
      period: { from: fy.from, to: fy.to },
      scheduleVersion: fy.schedule.version,
      invoices: [],
      skipped: [],
      totals: { byCategory: {}, taxableYen: 0, taxYen: 0, totalYen: 0 },
    };
    for (const org of await this.accounts.listOrganisations()) {
      if (org.kind === 'operator' || org.category === null) continue;
      const m = memberships.get(org.id);
      if (!m) {
        run.skipped.push({
          orgId: org.id,
          name: org.name,
          reason: 'member category set but no Co-Nexus membership',
        });
        continue;
      }
      const issued = this.issued('participation-fee-invoice', org.id, fy.from);
      const doc =
        issued ??
        participationFeeInvoice({
          number: `PF-FY${year}-${org.id
            .replace(/[^A-Za-z0-9]/g, '')
            .slice(0, 8)
            .toUpperCase()}`,
          issuedOn,
          fiscalYear: year,
          period: { from: fy.from, to: fy.to },
          issuer,
          member: {
            name: org.name,
            ...(org.postalAddress ? { address: org.postalAddress } : {}),
            category: org.category,
            coNexus: m.names,
            joinedOn: m.joinedOn,
          },
          schedule: fy.schedule,
          draft: true,
        });
      run.invoices.push({ ...doc, issued: !!issued, orgId: org.id });
      const taxable = doc.taxTotals.reduce((s, t) => s + t.taxableYen, 0);
      run.totals.byCategory[org.category] = (run.totals.byCategory[org.category] ?? 0) + taxable;
      run.totals.taxableYen += taxable;
      run.totals.taxYen += doc.taxTotals.reduce((s, t) => s + t.taxYen, 0);
      run.totals.totalYen += doc.totalYen;
    }
    return run;
  }

  /** Issue every fee invoice of the year not issued yet (the operator). */
  async issueFees(by: Principal | undefined, year: number, ctx: AuditContext = {}): Promise<FeeRun> {
    const run = await this.fees(by, year);
    for (const doc of run.invoices)
      if (!doc.issued) {
        const { orgId, ...rest } = doc;
        const plain: InvoiceDocument & { issued?: boolean } = { ...rest };
        delete plain.issued;
        this.store(by as Principal, plain, orgId, ctx, 'billing.fee-invoice-issued');
      }
    return this.fees(by, year);
  }

  // ── payments and receivables ────────────────────────────────────────────────────────────────

  /** Record a payment received against an issued invoice (the operator); never more than is owed. */
  recordPayment(
    by: Principal | undefined,
    input: { invoiceNumber: string; on: string; amountYen: number; memo?: string },
    ctx: AuditContext = {},
  ): JournalEntry {
    this.mustRunBilling(by);
    if (!isCalendarDate(input.on))
      throw new CyropError('BAD_REQUEST', `on: '${input.on}' is not a YYYY-MM-DD date`);
    if (!Number.isSafeInteger(input.amountYen) || input.amountYen < 1)
      throw new CyropError('BAD_REQUEST', `amountYen: ${input.amountYen} is not whole yen of at least 1`);
    return this.ledger.transaction(() => {
      const invoice = this.sqlite
        .prepare('select number, org_id, total_yen, issued_on, document from invoices where number = ?')
        .get(input.invoiceNumber) as
        | { number: string; org_id: string; total_yen: number; issued_on: string; document: string }
        | undefined;
      if (!invoice)
        throw new CyropError('NOT_FOUND', `invoiceNumber: no issued invoice '${input.invoiceNumber}'`);
      const paid = this.paymentsOf(invoice.number).reduce((s, p) => s + p.amountYen, 0);
      const outstanding = invoice.total_yen - paid;
      if (input.amountYen > outstanding)
        throw new CyropError(
          'CONFLICT',
          `amountYen: ${input.amountYen} is more than the ${outstanding} yen still owed on ${invoice.number}`,
        );
      const recipient = (JSON.parse(invoice.document) as InvoiceDocument).recipient.name;
      const [entry] = this.ledger.append(
        [
          {
            entry_date: input.on,
            kind: 'payment',
            org_id: invoice.org_id,
            counterparty: recipient,
            course: null,
            course_run: null,
            seats: null,
            unit_price_yen: null,
            amount_yen: input.amountYen,
            reverses: null,
            invoice_number: invoice.number,
            memo: input.memo ?? null,
            recorded_by: describeActor(by),
          },
        ],
        ([e]) =>
          this.audit(
            by,
            'billing.payment-recorded',
            `invoice:${invoice.number}`,
            invoice.org_id,
            { amountYen: input.amountYen, on: input.on, entry: e?.id },
            ctx,
          ),
      );
      return entry as JournalEntry;
    });
  }

  /**
   * What is owed on issued invoices as of a date, aged by days since issue (0–30, 31–60, 61–90, >90):
   * every organisation's for the operator, one's own for its org-admin.
   */
  async receivables(
    by: Principal | undefined,
    options: { asOf?: string; orgId?: string } = {},
  ): Promise<{
    asOf: string;
    invoices: Receivable[];
    totals: Record<AgeBucket, number> & { totalYen: number };
  }> {
    let orgId = options.orgId;
    if (!seesEveryBook(by)) {
      if (by?.kind !== 'user') throw new CyropError('FORBIDDEN', 'sign in as an organisation admin');
      orgId = orgId ?? by.orgId;
      await this.booksOf(by, orgId);
    }
    const asOf = options.asOf ?? this.today();
    if (!isCalendarDate(asOf))
      throw new CyropError('BAD_REQUEST', `asOf: '${asOf}' is not a YYYY-MM-DD date`);
    const names = new Map((await this.accounts.listOrganisations()).map((o) => [o.id, o.name]));
    const rows = this.sqlite
      .prepare(
        `select i.number, i.kind, i.org_id, i.issued_on, i.due_on, i.total_yen,
                coalesce((select sum(j.amount_yen) from journal j
                           where j.invoice_number = i.number and j.entry_date <= @asOf
                             and (j.kind = 'payment' or (j.kind = 'reversal' and j.reverses in (select id from journal where kind = 'payment')))), 0) as paid
           from invoices i
          where i.issued_on <= @asOf ${orgId !== undefined ? 'and i.org_id = @orgId' : ''}
          order by i.issued_on, i.number`,
      )
      .all({ asOf, ...(orgId !== undefined ? { orgId } : {}) }) as {
      number: string;
      kind: InvoiceDocument['kind'];
      org_id: string;
      issued_on: string;
      due_on: string;
      total_yen: number;
      paid: number;
    }[];
    const totals = { '0-30': 0, '31-60': 0, '61-90': 0, '>90': 0, totalYen: 0 };
    const invoices: Receivable[] = [];
    for (const r of rows) {
      const outstanding = r.total_yen - r.paid;
      if (outstanding === 0) continue;
      const ageDays = daysBetween(r.issued_on, asOf);
      const bucket: AgeBucket =
        ageDays <= 30 ? '0-30' : ageDays <= 60 ? '31-60' : ageDays <= 90 ? '61-90' : '>90';
      totals[bucket] += outstanding;
      totals.totalYen += outstanding;
      invoices.push({
        number: r.number,
        kind: r.kind,
        orgId: r.org_id,
        orgName: names.get(r.org_id) ?? r.org_id,
        issuedOn: r.issued_on,
        dueOn: r.due_on,
        totalYen: r.total_yen,
        paidYen: r.paid,
        outstandingYen: outstanding,
        ageDays,
        bucket,
      });
    }
    return { asOf, invoices, totals };
  }

  /** Walk the journal's hash chain (the operator; the CLI). */
  verify(by: Principal | undefined): VerifyResult {
    this.mustRunBilling(by);
    return this.ledger.verify();
  }
}

/** The operator (a boolean, not a type guard: the other branch still has a user). */
function seesEveryBook(by: Principal | undefined): boolean {
  return mayRunBilling(by);
}

function checkSale(sale: SaleInput): void {
  const problems: string[] = [];
  if (!isCalendarDate(sale.date)) problems.push(`date: '${sale.date}' is not a YYYY-MM-DD date`);
  if (!sale.customer.trim() || sale.customer.length > 200 || /\p{Cc}/u.test(sale.customer))
    problems.push('customer: 1–200 characters, no control characters');
  for (const [field, value] of [
    ['course', sale.course],
    ['courseRun', sale.courseRun],
    ['memo', sale.memo],
  ] as const)
    if (value !== null && (value.length > 200 || /\p{Cc}/u.test(value)))
      problems.push(`${field}: at most 200 characters, no control characters`);
  if (!Number.isSafeInteger(sale.amountYen) || sale.amountYen < 1)
    problems.push(`amountYen: ${sale.amountYen} is not whole yen of at least 1 (a correction is a reversal)`);
  if (sale.seats !== null && (!Number.isSafeInteger(sale.seats) || sale.seats < 1))
    problems.push('seats: a whole number, 1 or more');
  if (sale.unitPriceYen !== null && (!Number.isSafeInteger(sale.unitPriceYen) || sale.unitPriceYen < 0))
    problems.push('unitPriceYen: whole yen, 0 or more');
  if (sale.seats !== null && sale.unitPriceYen !== null && sale.seats * sale.unitPriceYen !== sale.amountYen)
    problems.push(
      `amountYen: ${sale.amountYen} is not seats ${sale.seats} × unit price ${sale.unitPriceYen} = ${sale.seats * sale.unitPriceYen}`,
    );
  if (problems.length) throw new CyropError('BAD_REQUEST', problems.join('; '), { details: problems });
}

export { formatSaleProblem };

/** The month after `period` (YYYY-MM). */
function nextPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
