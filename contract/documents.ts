/**
 * The documents CYROP prints, as plain data: billing (issue 13) and competency analytics (issue 14)
 * build these; the renderers in this folder turn one into PDF, CSV or JSON in Japanese or English.
 * Every amount is integer yen; every date a `YYYY-MM-DD` calendar date in the platform's time zone.
 */

/** Text a person reads, in both interface languages. */
export interface Bilingual {
  en: string;
  ja: string;
}

/** One line of an invoice or statement: what was supplied, tax excluded. */
export interface InvoiceLine {
  /** The supply date (for a sale: the sale's date); absent for a yearly fee. */
  date?: string;
  description: Bilingual;
  quantity?: number;
  unitPriceYen?: number;
  /** Tax excluded. */
  amountYen: number;
  /** Consumption-tax rate in percent (10, 8 or 0). */
  taxRatePercent: number;
}

/** The total per tax rate, with the tax computed once for the whole invoice at that rate. */
export interface InvoiceTaxTotal {
  taxRatePercent: number;
  /** Sum of the lines at this rate, tax excluded. */
  taxableYen: number;
  /** Consumption tax on `taxableYen`, rounded once (the fee schedule's rounding rule). */
  taxYen: number;
}

/**
 * A qualified invoice (適格請求書): a monthly usage-fee statement to a training company (10 % of its
 * sales) or a yearly CYNEX participation-fee invoice to a member organisation.
 */
export interface InvoiceDocument {
  kind: 'usage-fee-statement' | 'participation-fee-invoice';
  /** Unique and stable, e.g. `UF-2026-04-0007`. */
  number: string;
  issuedOn: string;
  /** Inclusive. */
  period: { from: string; to: string };
  issuer: { name: string; registrationNumber: string; address?: string };
  recipient: {
    name: string;
    address?: string;
    /** A person (an individual expert) rather than an organisation: addressed 様 instead of 御中. */
    individual?: boolean;
  };
  lines: InvoiceLine[];
  /** One entry per tax rate that appears in `lines`, in descending rate order. */
  taxTotals: InvoiceTaxTotal[];
  /**
   * Returns (返還, a qualified return invoice's items — 適格返還請求書): amounts charged on an earlier,
   * issued invoice and given back now, e.g. the fee on a sale reversed after its month was invoiced.
   * Each line's `date` is the date of the original supply and `amountYen` the amount returned (positive,
   * tax excluded); `taxTotals` the returned amount and its tax per rate, rounded once per rate.
   */
  returns?: { lines: InvoiceLine[]; taxTotals: InvoiceTaxTotal[] };
  /** Sum of every rate's taxable amount and tax, less the returns' (negative when the returns are larger). */
  totalYen: number;
  dueOn?: string;
  /** Payments recorded against this invoice so far. */
  payments?: { on: string; amountYen: number }[];
  /** Extra lines printed under the table, e.g. the Co-Nexus count and multiplier. */
  notes?: Bilingual[];
}

/** What one trainee demonstrated: the scenarios they took, the objectives they solved, the statements evidenced. */
export interface TranscriptDocument {
  issuedOn: string;
  trainee: { name: string; email?: string; organisation?: string };
  /** The course, when the transcript covers one course's runs. */
  course?: { title: Bilingual };
  /** The NICE framework version the statements belong to, e.g. `nice-2.1.0`. */
  framework: string;
  exercises: {
    scenario: { id: string; version: string; title: Bilingual };
    exerciseId: string;
    startedOn: string;
    objectivesSolved: { id: string; title: Bilingual; solvedOn: string; statementIds: string[] }[];
  }[];
  /** Each statement evidenced once, with NIST's English text and the first date it was demonstrated. */
  statements: { id: string; type: string; text: string; firstDemonstratedOn: string }[];
  /** Progress per work role: statements of the role demonstrated, of the role's total. */
  roles: { id: string; name: string; demonstrated: number; total: number }[];
}
