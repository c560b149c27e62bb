import type { Response } from 'express';
import type { BillingService } from '../../billing/billing-service.ts';
import type { FeeSchedule } from '../../billing/fee-schedule.ts';
import { feeRunCsv, receivablesCsv } from '../../billing/invoice-formats.ts';
import { invoiceCsv as documentCsv } from '../../documents/invoice-csv.ts';
import { PDF_LIMITS, type PdfRenderer } from '../../documents/pdf-renderer.ts';
import type { JournalQuery } from '../../billing/ledger.ts';
import { CyropError } from '../../errors.ts';
import type { ApiRegistry, Principal } from '../api-registry.ts';
import { AS_CSV, AS_PDF } from '../common-schemas.ts';

export interface BillingRouteDeps {
  billing: BillingService;
  /** Renders statements as PDF in worker threads (one per server, closed with it). */
  pdf: PdfRenderer;
}

const ORG = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const DATE = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' };
const PERIOD = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' };
const YEN = { type: 'integer', minimum: -9_000_000_000_000, maximum: 9_000_000_000_000 };
const TEXT = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const NULLABLE_TEXT = (max: number) => ({ type: ['string', 'null'], maxLength: max });
const BOOKS = { roles: ['operator', 'org-admin'] } as const;
const OPERATOR = { roles: ['operator'] } as const;
const FORMAT = { type: 'string', enum: ['json', 'csv'], default: 'json' };
/**
 * The largest statement the server renders as PDF (in a worker thread, see PdfRenderer); a longer
 * one is refused with the CLI command to use instead, which bounds the memory one download takes.
 */
export const PDF_LINES_IN_SERVER = PDF_LIMITS.maxInvoiceLines;

function sendCsv(res: Response, name: string, body: string): void {
  res
    .status(200)
    .type('text/csv; charset=utf-8')
    .setHeader('content-disposition', `attachment; filename="${name}.csv"`)
    .setHeader('cache-control', 'no-store')
    .send(body);
}

/**
 * The billing API: an organisation's sales (recorded, reversed, imported), journal search,
 * statements, receivables — the operator and that organisation's org-admins (others 404); issuing
 * statements and fee invoices, payments, Co-Nexus memberships, fee schedules, verification — the
 * operator. Every money-changing call is audited by the service, with the caller's address.
 */
export function billingRoutes(api: ApiRegistry, { billing, pdf: renderer }: BillingRouteDeps): void {
  const entry = api.schema('JournalEntry', {
    type: 'object',
    // every column of a journal row (contract/business.ts JournalEntry); absent values are null
    required: [
      'seq',
      'id',
      'recorded_at',
      'entry_date',
      'kind',
      'org_id',
      'counterparty',
      'course',
      'course_run',
      'seats',
      'unit_price_yen',
      'amount_yen',
      'reverses',
      'invoice_number',
      'memo',
      'recorded_by',
      'prev_hash',
      'hash',
    ],
    properties: {
      seq: { type: 'integer' },
      id: { type: 'string' },
      recorded_at: { type: 'integer' },
      entry_date: DATE,
      kind: { enum: ['sale', 'invoice', 'payment', 'reversal'] },
      org_id: { type: 'string' },
      counterparty: { type: 'string' },
      course: { type: ['string', 'null'] },
      course_run: { type: ['string', 'null'] },
      seats: { type: ['integer', 'null'] },
      unit_price_yen: { type: ['integer', 'null'] },
      amount_yen: {
        type: 'integer',
        description: 'integer yen; tax excluded for a sale, negative for a reversal',
      },
      reverses: { type: ['string', 'null'] },
      invoice_number: { type: ['string', 'null'] },
      memo: { type: ['string', 'null'] },
      recorded_by: { type: 'string' },
      prev_hash: { type: 'string' },
      hash: { type: 'string' },
    },
  });
  // The shapes of contract/documents.ts and contract/business.ts, which the console reads.
  const STRING = { type: 'string' };
  const INT = { type: 'integer' };
  const BILINGUAL = { type: 'object', required: ['en', 'ja'], properties: { en: STRING, ja: STRING } };
  const RANGE = { type: 'object', required: ['from', 'to'], properties: { from: DATE, to: DATE } };
  const INVOICE_KIND = { enum: ['usage-fee-statement', 'participation-fee-invoice'] };
  const invoiceProperties = {
    kind: INVOICE_KIND,
    number: STRING,
    issuedOn: DATE,
    period: RANGE,
    issuer: {
      type: 'object',
      required: ['name', 'registrationNumber'],
      properties: { name: STRING, registrationNumber: STRING, address: STRING },
    },
    recipient: {
      type: 'object',
      required: ['name'],
      properties: { name: STRING, address: STRING, individual: { type: 'boolean' } },
    },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['description', 'amountYen', 'taxRatePercent'],
        properties: {
          date: DATE,
          description: BILINGUAL,
          quantity: INT,
          unitPriceYen: INT,
          amountYen: { type: 'integer', description: 'tax excluded' },
          taxRatePercent: INT,
        },
      },
    },
    taxTotals: {
      type: 'array',
      items: {
        type: 'object',
        required: ['taxRatePercent', 'taxableYen', 'taxYen'],
        properties: { taxRatePercent: INT, taxableYen: INT, taxYen: INT },
      },
    },
    totalYen: INT,
    dueOn: DATE,
    payments: {
      type: 'array',
      items: { type: 'object', required: ['on', 'amountYen'], properties: { on: DATE, amountYen: INT } },
    },
    notes: { type: 'array', items: BILINGUAL },
    issued: { type: 'boolean', description: 'a statement: issued (stored), or a draft computed now' },
  };
  const invoiceRequired = [
    'kind',
    'number',
    'issuedOn',
    'period',
    'issuer',
    'recipient',
    'lines',
    'taxTotals',
    'totalYen',
  ];
  const invoice = api.schema('InvoiceDocument', {
    type: 'object',
    description: 'A qualified invoice (適格請求書) as data; integer yen; see contract/documents.ts',
    required: invoiceRequired,
    properties: invoiceProperties,
  });
  const statementSchema = api.schema('Statement', {
    type: 'object',
    description: 'A usage-fee statement: the invoice document and whether it is issued (stored) or a draft',
    required: [...invoiceRequired, 'issued'],
    properties: invoiceProperties,
  });
  const feeRun = api.schema('FeeRun', {
    type: 'object',
    required: ['fiscalYear', 'period', 'scheduleVersion', 'invoices', 'skipped', 'totals'],
    properties: {
      fiscalYear: INT,
      period: RANGE,
      scheduleVersion: STRING,
      invoices: {
        type: 'array',
        items: {
          type: 'object',
          required: [
            'kind',
            'number',
            'issuedOn',
            'period',
            'issuer',
            'recipient',
            'lines',
            'taxTotals',
            'totalYen',
            'issued',
            'orgId',
          ],
          properties: { ...invoiceProperties, orgId: STRING },
        },
      },
      skipped: {
        type: 'array',
        items: {
          type: 'object',
          required: ['orgId', 'name', 'reason'],
          properties: { orgId: STRING, name: STRING, reason: STRING },
        },
      },
      totals: {
        type: 'object',
        required: ['byCategory', 'taxableYen', 'taxYen', 'totalYen'],
        properties: {
          byCategory: { type: 'object', additionalProperties: INT },
          taxableYen: INT,
          taxYen: INT,
          totalYen: INT,
        },
      },
    },
  });
  const AGE_BUCKETS = ['0-30', '31-60', '61-90', '>90'];
  const receivables = api.schema('Receivables', {
    type: 'object',
    required: ['asOf', 'invoices', 'totals'],
    properties: {
      asOf: DATE,
      invoices: {
        type: 'array',
        items: {
          type: 'object',
          required: [
            'number',
            'kind',
            'orgId',
            'orgName',
            'issuedOn',
            'dueOn',
            'totalYen',
            'paidYen',
            'outstandingYen',
            'ageDays',
            'bucket',
          ],
          properties: {
            number: STRING,
            kind: INVOICE_KIND,
            orgId: STRING,
            orgName: STRING,
            issuedOn: DATE,
            dueOn: DATE,
            totalYen: INT,
            paidYen: INT,
            outstandingYen: INT,
            ageDays: { type: 'integer', description: 'days since the invoice was issued' },
            bucket: { enum: AGE_BUCKETS },
          },
        },
      },
      totals: {
        type: 'object',
        required: [...AGE_BUCKETS, 'totalYen'],
        properties: Object.fromEntries([...AGE_BUCKETS, 'totalYen'].map((k) => [k, INT])),
        description: 'outstanding yen per age bucket, and in all',
      },
    },
  });
  const importResult = api.schema('SalesImport', {
    type: 'object',
    required: ['imported', 'totalYen', 'problems'],
    properties: {
      imported: { type: 'integer', description: 'entries written (0 with any problem)' },
      totalYen: { type: 'integer' },
      problems: {
        type: 'array',
        items: {
          type: 'object',
          required: ['line', 'code', 'message'],
          properties: {
            line: {
              type: 'integer',
              description: 'the line of the file (the header is 1; 0 for the whole file)',
            },
            column: { type: 'string', description: "the column as the file's header names it" },
            code: { type: 'string', description: 'what is wrong (SaleCsvProblemCode): the console words it' },
            params: {
              type: 'object',
              additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
              description: 'what the message names (value, limit, names, …)',
            },
            message: { type: 'string', description: 'the problem in English (what the CLI prints)' },
          },
        },
      },
    },
  });
  const orgParams = { required: ['org'], properties: { org: ORG } };
  const ctx = (req: { ip?: string | undefined }) => ({ ip: req.ip });
  const who = (principal: Principal | undefined) => principal;

  api.add<
    {
      date: string;
      customer: string;
      course?: string | null;
      courseRun?: string | null;
      seats?: number | null;
      unitPriceYen?: number | null;
      amountYen: number;
      memo?: string | null;
    },
    { org: string }
  >({
    method: 'post',
    path: '/api/billing/organisations/{org}/sales',
    operationId: 'recordSale',
    summary: "Record a sale of the organisation's CYROP-based business (tax excluded)",
    tags: ['billing'],
    access: BOOKS,
    params: orgParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['date', 'customer', 'amountYen'],
      properties: {
        date: DATE,
        customer: TEXT(200),
        course: NULLABLE_TEXT(200),
        courseRun: NULLABLE_TEXT(200),
        seats: { type: ['integer', 'null'], minimum: 1 },
        unitPriceYen: { type: ['integer', 'null'], minimum: 0 },
        amountYen: { type: 'integer', minimum: 1 },
        memo: NULLABLE_TEXT(200),
      },
    },
    response: { status: 201, description: 'the journal entry', schema: entry },
    handler: ({ principal, params, body, req }) =>
      billing.recordSale(
        who(principal),
        params.org,
        {
          date: body.date,
          customer: body.customer,
          course: body.course ?? null,
          courseRun: body.courseRun ?? null,
          seats: body.seats ?? null,
          unitPriceYen: body.unitPriceYen ?? null,
          amountYen: body.amountYen,
          memo: body.memo ?? null,
        },
        ctx(req),
      ),
  });

  api.add<{ reason: string }, { org: string; entry: string }>({
    method: 'post',
    path: '/api/billing/organisations/{org}/sales/{entry}/reversal',
    operationId: 'reverseSale',
    summary: 'Cancel a sale with a reversing entry (nothing is ever edited or deleted)',
    tags: ['billing'],
    access: BOOKS,
    params: {
      required: ['org', 'entry'],
      properties: { org: ORG, entry: { type: 'string', maxLength: 64 } },
    },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['reason'],
      properties: { reason: TEXT(200) },
    },
    response: { status: 201, description: 'the reversing entry', schema: entry },
    handler: ({ principal, params, body, req }) =>
      billing.reverseSale(who(principal), params.org, params.entry, body.reason, ctx(req)),
  });

  api.add<{ csv: string }, { org: string }>({
    method: 'post',
    path: '/api/billing/organisations/{org}/sales/import',
    operationId: 'importSales',
    summary:
      'Import sales from CSV text (UTF-8, BOM or not, English or Japanese headers): all rows or, with any problem, none',
    tags: ['billing'],
    access: BOOKS,
    params: orgParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['csv'],
      properties: { csv: { type: 'string' } },
    },
    response: {
      description: 'how many were imported',
      schema: importResult,
      others: [
        {
          status: 422,
          description: 'problems (line, column, code, params, message): nothing was imported',
          schema: importResult,
        },
      ],
    },
    handler: async ({ principal, params, body, req, res }) => {
      const result = await billing.importSales(who(principal), params.org, body.csv, ctx(req));
      if (result.problems.length > 0) res.status(422);
      return result;
    },
  });

  api.add<undefined, Record<string, never>, JournalQuery & { org?: string }>({
    method: 'get',
    path: '/api/billing/journal',
    operationId: 'searchJournal',
    summary:
      "Search the journal by date, amount and counterparty: one's own organisation, or (operator) anyone's",
    tags: ['billing'],
    access: BOOKS,
    query: {
      properties: {
        org: ORG,
        kind: { enum: ['sale', 'invoice', 'payment', 'reversal'] },
        from: DATE,
        to: DATE,
        minYen: YEN,
        maxYen: YEN,
        counterparty: TEXT(200),
        invoiceNumber: TEXT(64),
        limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
        offset: { type: 'integer', minimum: 0, default: 0 },
      },
    },
    response: {
      description: 'the entries, in date order, and how many match',
      schema: {
        type: 'object',
        required: ['entries', 'total'],
        properties: { entries: { type: 'array', items: entry }, total: { type: 'integer' } },
      },
    },
    handler: ({ principal, query }) => {
      const { org, ...rest } = query;
      return billing.search(who(principal), { ...rest, ...(org !== undefined ? { orgId: org } : {}) });
    },
  });

  api.add<undefined, { org: string; period: string }, { format: 'json' | 'csv' | 'pdf'; lang: 'en' | 'ja' }>({
    method: 'get',
    path: '/api/billing/organisations/{org}/statements/{period}',
    operationId: 'getStatement',
    summary: "A month's usage-fee statement: the issued one, else a draft computed now (issued: false)",
    tags: ['billing'],
    access: BOOKS,
    params: { required: ['org', 'period'], properties: { org: ORG, period: PERIOD } },
    query: {
      properties: {
        format: { type: 'string', enum: ['json', 'csv', 'pdf'], default: 'json' },
        lang: {
          type: 'string',
          enum: ['en', 'ja'],
          default: 'ja',
          description: 'the language of a PDF or CSV',
        },
      },
    },
    response: {
      description: `the statement: JSON, CSV (UTF-8 with BOM) or PDF (a qualified invoice; at most ${PDF_LINES_IN_SERVER} lines here, more with \`cyrop billing statement --format pdf\`)`,
      schema: statementSchema,
      alternatives: [AS_CSV, AS_PDF],
    },
    handler: async ({ principal, params, query, res }) => {
      const doc = await billing.statement(who(principal), params.org, params.period);
      if (query.format === 'json') return doc;
      const name = `${doc.number}-${query.lang}`;
      if (query.format === 'csv') {
        sendCsv(res, name, documentCsv(doc, query.lang));
        return undefined;
      }
      const pdf = await renderer.invoice(
        doc,
        query.lang,
        `cyrop billing statement --org ${params.org} --period ${params.period} --format pdf --output FILE`,
      );
      res
        .status(200)
        .type('application/pdf')
        .setHeader('content-disposition', `attachment; filename="${name}.pdf"`)
        .setHeader('cache-control', 'no-store')
        .send(pdf);
      return undefined;
    },
  });

  api.add<undefined, Record<string, never>, { from: string; to: string }>({
    method: 'get',
    path: '/api/billing/usage-fees',
    operationId: 'getUsageFees',
    summary:
      "Usage fees by month, per company and summed (operator): the Revenue page's chart in one request",
    tags: ['billing'],
    access: OPERATOR,
    query: { required: ['from', 'to'], properties: { from: PERIOD, to: PERIOD } },
    response: {
      description:
        'each month from `from` to `to` (at most 120): net sales and usage fee (tax excluded) of each company with sales or an issued statement, and their sums',
      schema: api.schema('UsageFees', {
        type: 'object',
        required: ['from', 'to', 'months'],
        properties: {
          from: PERIOD,
          to: PERIOD,
          months: {
            type: 'array',
            items: {
              type: 'object',
              required: ['period', 'netSalesYen', 'feeYen', 'organisations'],
              properties: {
                period: PERIOD,
                netSalesYen: { type: 'integer' },
                feeYen: { type: 'integer' },
                organisations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['orgId', 'orgName', 'netSalesYen', 'feeYen', 'issued'],
                    properties: {
                      orgId: { type: 'string' },
                      orgName: { type: 'string' },
                      netSalesYen: { type: 'integer' },
                      feeYen: { type: 'integer' },
                      issued: { type: 'boolean' },
                    },
                  },
                },
              },
            },
          },
        },
      }),
    },
    handler: ({ principal, query }) => Promise.resolve(billing.usageFees(principal, query.from, query.to)),
  });

  api.add<undefined, { org: string; period: string }>({
    method: 'post',
    path: '/api/billing/organisations/{org}/statements/{period}/issue',
    operationId: 'issueStatement',
    summary: "Issue a past month's usage-fee statement (operator): stored unchanged and owed from now on",
    tags: ['billing'],
    access: OPERATOR,
    params: { required: ['org', 'period'], properties: { org: ORG, period: PERIOD } },
    response: { status: 201, description: 'the issued statement', schema: invoice },
    handler: ({ principal, params, req }) =>
      billing.issueStatement(who(principal), params.org, params.period, ctx(req)),
  });

  api.add<undefined, { year: number }, { format: 'json' | 'csv' }>({
    method: 'get',
    path: '/api/billing/fees/{year}',
    operationId: 'getFeeRun',
    summary: "The fiscal year's CYNEX participation-fee invoices of every member (operator)",
    tags: ['billing'],
    access: OPERATOR,
    params: { required: ['year'], properties: { year: { type: 'integer', minimum: 2000, maximum: 2999 } } },
    query: { properties: { format: FORMAT } },
    response: {
      description: 'the fee run',
      schema: feeRun,
      alternatives: [AS_CSV],
    },
    handler: async ({ principal, params, query, res }) => {
      const run = await billing.fees(who(principal), params.year);
      if (query.format === 'csv') {
        sendCsv(res, `cynex-fees-FY${run.fiscalYear}`, feeRunCsv(run));
        return undefined;
      }
      return run;
    },
  });

  api.add<undefined, { year: number }>({
    method: 'post',
    path: '/api/billing/fees/{year}/issue',
    operationId: 'issueFees',
    summary: 'Issue every participation-fee invoice of the year not issued yet (operator)',
    tags: ['billing'],
    access: OPERATOR,
    params: { required: ['year'], properties: { year: { type: 'integer', minimum: 2000, maximum: 2999 } } },
    response: { description: 'the fee run, every invoice issued', schema: feeRun },
    handler: ({ principal, params, req }) => billing.issueFees(who(principal), params.year, ctx(req)),
  });

  api.add<{ invoiceNumber: string; on: string; amountYen: number; memo?: string }>({
    method: 'post',
    path: '/api/billing/payments',
    operationId: 'recordPayment',
    summary: 'Record a payment received against an issued invoice (operator); never more than is owed',
    tags: ['billing'],
    access: OPERATOR,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['invoiceNumber', 'on', 'amountYen'],
      properties: {
        invoiceNumber: TEXT(64),
        on: DATE,
        amountYen: { type: 'integer', minimum: 1 },
        memo: TEXT(200),
      },
    },
    response: { status: 201, description: 'the journal entry', schema: entry },
    handler: ({ principal, body, req }) =>
      Promise.resolve(billing.recordPayment(who(principal), body, ctx(req))),
  });

  api.add<undefined, Record<string, never>, { asOf?: string; org?: string; format: 'json' | 'csv' }>({
    method: 'get',
    path: '/api/billing/receivables',
    operationId: 'getReceivables',
    summary: 'What is owed on issued invoices, aged 0–30, 31–60, 61–90, >90 days since issue',
    tags: ['billing'],
    access: BOOKS,
    query: { properties: { asOf: DATE, org: ORG, format: FORMAT } },
    response: {
      description: 'receivables and totals per age bucket',
      schema: receivables,
      alternatives: [AS_CSV],
    },
    handler: async ({ principal, query, res }) => {
      const result = await billing.receivables(who(principal), {
        ...(query.asOf !== undefined ? { asOf: query.asOf } : {}),
        ...(query.org !== undefined ? { orgId: query.org } : {}),
      });
      if (query.format === 'csv') {
        sendCsv(res, `receivables-${result.asOf}`, receivablesCsv(result));
        return undefined;
      }
      return result;
    },
  });

  const coNexusNames = { type: 'array', items: STRING, description: 'the Co-Nexus joined, by name' };
  const RATIONAL = {
    type: 'object',
    required: ['numerator', 'denominator'],
    properties: { numerator: INT, denominator: INT },
  };
  const feeScheduleProperties = {
    version: STRING,
    effectiveFrom: DATE,
    fiscalYearStartMonth: INT,
    participationFeeYen: {
      type: 'object',
      description: 'yearly fee for one Co-Nexus per member category, tax excluded',
      additionalProperties: INT,
    },
    coNexusMultipliers: { type: 'array', items: RATIONAL },
    usageFeeRate: RATIONAL,
    taxRatePercent: INT,
    rounding: { enum: ['down', 'half-up', 'up'] },
    proration: { enum: ['none', 'monthly'] },
    paymentTermDays: INT,
  };
  const feeSchedule = api.schema('FeeSchedule', {
    type: 'object',
    description: 'A version of the platform’s fees, in force from `effectiveFrom` until the next version',
    required: Object.keys(feeScheduleProperties),
    properties: feeScheduleProperties,
  });

  api.add<{ names: string[] }, { org: string }>({
    method: 'put',
    path: '/api/billing/organisations/{org}/co-nexus',
    operationId: 'setCoNexus',
    summary: "Set an organisation's Co-Nexus memberships (operator)",
    tags: ['billing'],
    access: OPERATOR,
    params: orgParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['names'],
      properties: { names: { type: 'array', maxItems: 50, items: TEXT(40) } },
    },
    response: {
      description: 'the memberships now',
      schema: {
        type: 'object',
        required: ['orgId', 'names'],
        properties: { orgId: STRING, names: coNexusNames },
      },
    },
    handler: async ({ principal, params, body, req }) => ({
      orgId: params.org,
      names: await billing.setCoNexus(who(principal), params.org, body.names, ctx(req)),
    }),
  });

  api.add<undefined, { org: string }>({
    method: 'get',
    path: '/api/billing/organisations/{org}/co-nexus',
    operationId: 'getCoNexus',
    summary: "An organisation's Co-Nexus memberships",
    tags: ['billing'],
    access: BOOKS,
    params: orgParams,
    response: {
      description: 'the memberships',
      schema: {
        type: 'object',
        required: ['orgId', 'names', 'joinedOn'],
        properties: {
          orgId: STRING,
          names: coNexusNames,
          joinedOn: { anyOf: [DATE, { type: 'null' }], description: 'the earliest joining date; null: none' },
        },
      },
    },
    handler: async ({ principal, params }) => {
      const org = await billing.booksOf(who(principal), params.org);
      return { orgId: org.id, ...billing.coNexusOf(org.id) };
    },
  });

  api.add<FeeSchedule>({
    method: 'post',
    path: '/api/billing/fee-schedules',
    operationId: 'addFeeSchedule',
    summary:
      'Add a fee schedule version, in force from its date (operator); refused if its multiplier exceeds 2 or decreases',
    tags: ['billing'],
    access: OPERATOR,
    body: { type: 'object' },
    response: { status: 201, description: 'the stored schedule', schema: feeSchedule },
    handler: ({ principal, body, req }) =>
      Promise.resolve(billing.addFeeSchedule(who(principal), body, ctx(req))),
  });

  api.add({
    method: 'get',
    path: '/api/billing/fee-schedules',
    operationId: 'listFeeSchedules',
    summary: 'Every stored fee schedule version (the built-in default applies before the first)',
    tags: ['billing'],
    access: OPERATOR,
    response: { description: 'the versions, oldest first', schema: { type: 'array', items: feeSchedule } },
    handler: () => Promise.resolve(billing.schedules()),
  });

  api.add({
    method: 'get',
    path: '/api/billing/verify',
    operationId: 'verifyJournal',
    summary: "Walk the journal's hash chain: edited, deleted or reordered entries are listed (operator)",
    tags: ['billing'],
    access: OPERATOR,
    response: {
      description: 'ok, entries, problems',
      schema: {
        type: 'object',
        required: ['ok', 'entries', 'headHash', 'problems'],
        properties: {
          ok: { type: 'boolean' },
          entries: INT,
          headHash: STRING,
          problems: {
            type: 'array',
            items: {
              type: 'object',
              required: ['seq', 'id', 'problem'],
              properties: { seq: INT, id: { anyOf: [STRING, { type: 'null' }] }, problem: STRING },
            },
          },
        },
      },
    },
    handler: ({ principal }) => {
      if (!principal) throw new CyropError('UNAUTHENTICATED', 'sign in first');
      return Promise.resolve(billing.verify(principal));
    },
  });
}
