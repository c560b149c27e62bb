/**
 * What the billing, course and metering API answer, as types both sides import: the server's
 * modules (billing/, courses/, the store's journal table) use these and re-export them; the
 * console's Business and Revenue pages read them. Types only. Money is integer yen.
 */
import type { InvoiceDocument } from './documents.ts';

/** Text in both interface languages. */
export type Bilingual = Record<'ja' | 'en', string>;

/** An organisation's CYNEX member category. */
export type OrganisationCategory =
  | 'large-enterprise'
  | 'sme'
  | 'general-incorporated-association'
  | 'npo'
  | 'educational-institution'
  | 'government'
  | 'individual-expert';
export type OrganisationKind = 'operator' | 'training-company' | 'customer';

export type AgeBucket = '0-30' | '31-60' | '61-90' | '>90';

export interface Receivable {
  number: string;
  kind: InvoiceDocument['kind'];
  orgId: string;
  orgName: string;
  issuedOn: string;
  dueOn: string;
  totalYen: number;
  paidYen: number;
  outstandingYen: number;
  /** Days since the invoice was issued. */
  ageDays: number;
  bucket: AgeBucket;
}

export interface FeeRun {
  fiscalYear: number;
  period: { from: string; to: string };
  scheduleVersion: string;
  /** Issued invoices where they were issued, drafts (computed now) for the others. */
  invoices: (InvoiceDocument & { issued: boolean; orgId: string })[];
  /** Organisations with a member category but no Co-Nexus membership: not invoiced, said why. */
  skipped: { orgId: string; name: string; reason: string }[];
  totals: {
    byCategory: Partial<Record<OrganisationCategory, number>>;
    taxableYen: number;
    taxYen: number;
    totalYen: number;
  };
}

/** One company's usage fee of one month (GET /api/billing/usage-fees). */
export interface OrgMonthFee {
  orgId: string;
  orgName: string;
  /** Net sales of the month, tax excluded: sales minus reversals dated in it (returns included). */
  netSalesYen: number;
  /**
   * The usage fee, tax excluded, less the fees returned: the issued statement's taxable amount less
   * its returns', or (not issued) what the draft says — the rate of the schedule in force on the 1st ×
   * the month's own net sales, rounded once (0 if negative), less the fee on each earlier month's sale
   * reversed in this one (返還). Negative when the returns are larger.
   */
  feeYen: number;
  /** Whether the month's statement has been issued. */
  issued: boolean;
}

/** The usage fees of each month in a range, per company and summed. */
export interface UsageFees {
  from: string;
  to: string;
  months: { period: string; netSalesYen: number; feeYen: number; organisations: OrgMonthFee[] }[];
}

/** What is wrong in a sales CSV, for the console to say in its own language. */
export type SaleCsvProblemCode =
  | 'file-too-large'
  | 'not-csv'
  | 'empty-file'
  | 'unknown-column'
  | 'duplicate-column'
  | 'missing-column'
  | 'missing-amount-column'
  | 'too-many-rows'
  | 'no-sales'
  | 'empty'
  | 'too-long'
  | 'control-characters'
  | 'not-a-date'
  | 'not-a-number'
  | 'too-small'
  | 'no-amount'
  | 'zero-amount'
  | 'amount-mismatch'
  | 'month-invoiced';

export interface SaleCsvProblem {
  /** The line of the file (the header is line 1; 0 for the whole file). */
  line: number;
  /** The column as the file's header names it (absent for a problem of the whole file or line). */
  column?: string;
  code: SaleCsvProblemCode;
  /**
   * What the message names: `value` (the cell or header as written, at most 40 characters), `limit`,
   * `min`, `amount`, `seats`, `unitPrice`, `product`, `names` (the accepted header names), `invoice`.
   */
  params?: Record<string, string | number>;
  /** The problem in English (what the CLI prints). */
  message: string;
}

export interface ScenarioPin {
  id: string;
  version: string;
}

export interface CourseSchedule {
  /** How many days the course takes (1–365). */
  days: number;
  /** Hours of training per day (1–24). */
  hoursPerDay: number;
  /** Free text (times, breaks, place), in both languages. */
  note: Bilingual;
}

export interface Course {
  id: string;
  orgId: string;
  title: Bilingual;
  description: Bilingual;
  scenarios: ScenarioPin[];
  pricePerSeat: number;
  capacity: number;
  schedule: CourseSchedule;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
}

export interface CourseRun {
  id: string;
  courseId: string;
  companyOrgId: string;
  customerOrgId: string;
  startsAt: number;
  endsAt: number;
  capacity: number;
  pricePerSeat: number;
  teamSize: number;
  cancelled: boolean;
  createdAt: number;
  enrolled: number;
}

/** Figures of usage: whole minutes (exact sums, floored once), and hours for people (minutes / 60, 2 decimals). */
export interface UsageFigures {
  exercises: number;
  teamMinutes: number;
  teamHours: number;
  traineeMinutes: number;
  traineeHours: number;
  distinctTrainees: number;
}

export interface RunUsage extends UsageFigures {
  runId: string;
  courseId: string;
  companyOrgId: string;
  customerOrgId: string;
  customerKind: OrganisationKind;
  /** Sales recorded for the run in the period (from the SalesLookup). */
  sales: number;
  /** Paying-customer usage in the period and no sale recorded for it in the period. */
  flagged: boolean;
}

export interface OrgUsage extends UsageFigures {
  orgId: string;
  from: number;
  to: number;
  /** The course runs of the organisation (as the company, or as the customer) active in the period. */
  courseRuns: number;
  runs: RunUsage[];
  /** The ids of the flagged runs. */
  flagged: string[];
}

/** The billing journal (orchestrator/src/billing/ledger.ts): append-only, hash-chained; integer yen. */
/** One entry of the billing journal (append-only, hash-chained), as stored and as the API lists it. */
export interface JournalEntry {
  seq: number;
  id: string;
  recorded_at: number;
  /** `YYYY-MM-DD`: the sale's, invoice's or payment's own date. */
  entry_date: string;
  kind: 'sale' | 'invoice' | 'payment' | 'reversal';
  /** Whose books: the company that sold, the organisation invoiced or paying. */
  org_id: string;
  /** The other party: a sale's customer, an invoice's recipient, a payment's payer. */
  counterparty: string;
  course: string | null;
  course_run: string | null;
  seats: number | null;
  unit_price_yen: number | null;
  /** Tax excluded for a sale; tax included for an invoice and a payment; negated by a reversal. */
  amount_yen: number;
  reverses: string | null;
  invoice_number: string | null;
  memo: string | null;
  recorded_by: string;
  prev_hash: string;
  hash: string;
}
