import type { InvoiceDocument, InvoiceLine, InvoiceTaxTotal } from '../documents/document-types.ts';
import { CyropError } from '../errors.ts';
import type { OrganisationCategory } from '../store/schema.ts';
import { addDays, coNexusMultiplier, type FeeSchedule } from './fee-schedule.ts';
import {
  applyRate,
  floorRate,
  formatRational,
  formatYen,
  mustBeYen,
  sumYen,
  type Rational,
} from './money.ts';

export interface Party {
  name: string;
  registrationNumber?: string;
  address?: string;
}

/** One sale (or the reversal of one: a negative amount) as a usage-fee statement lists it. */
export interface SaleForStatement {
  /** The journal entry's id. */
  id: string;
  date: string;
  customer: string;
  course: string | null;
  courseRun: string | null;
  seats: number | null;
  unitPriceYen: number | null;
  /** Tax excluded; negative for a reversal. */
  amountYen: number;
  /** For a reversal: the id of the sale it cancels. */
  reverses?: string | null;
}

/** A sale of an earlier, invoiced month reversed in this statement's period: its fee is returned. */
export interface ReturnForStatement {
  /** The reversing entry's id. */
  id: string;
  /** When it was reversed (in this period). */
  reversedOn: string;
  /** The reversed sale: its date (an earlier month), customer, course and amount (tax excluded, positive). */
  sale: {
    id: string;
    date: string;
    customer: string;
    course: string | null;
    courseRun: string | null;
    amountYen: number;
  };
  /** The schedule in force for the sale's month: the fee returned is the fee it charged on that sale. */
  schedule: FeeSchedule;
}

/** The tax per rate, each rate's taxable sum rounded once (descending rate order). */
export function taxTotals(
  lines: readonly InvoiceLine[],
  rounding: FeeSchedule['rounding'],
): InvoiceTaxTotal[] {
  const byRate = new Map<number, number>();
  for (const line of lines) {
    mustBeYen(line.amountYen, () => `line ${line.description.en}`);
    byRate.set(line.taxRatePercent, (byRate.get(line.taxRatePercent) ?? 0) + line.amountYen);
  }
  return [...byRate.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([rate, taxable]) => ({
      taxRatePercent: rate,
      taxableYen: mustBeYen(taxable, `taxable at ${rate}%`),
      taxYen: applyRate(taxable, { numerator: rate, denominator: 100 }, rounding),
    }));
}

function totalOf(totals: readonly InvoiceTaxTotal[]): number {
  return sumYen(totals.flatMap((t) => [t.taxableYen, t.taxYen]));
}

/**
 * The usage fee of a month's net sales (tax excluded): the schedule's rate, rounded once by its
 * rule — the amount `usageFeeStatement` splits over its lines.
 */
export function usageFeeOf(netSalesYen: number, schedule: FeeSchedule): number {
  mustBeYen(netSalesYen, 'net sales');
  return schedule.rounding === 'down'
    ? floorRate(netSalesYen, schedule.usageFeeRate)
    : applyRate(netSalesYen, schedule.usageFeeRate, schedule.rounding);
}

/**
 * The monthly usage-fee statement of a company: every sale (and reversal) of the period listed, the
 * fee = usage-fee rate × the period's net sales, rounded once by the schedule's rule. Each line shows
 * its sale and the part of the fee it carries: the cumulative split `round(rate × (s1+…+si)) −
 * round(rate × (s1+…+si−1))` (in date order), so the lines add up to exactly the once-rounded fee
 * and no line is more than one yen off its own share.
 */
export function usageFeeStatement(input: {
  number: string;
  issuedOn: string;
  period: { from: string; to: string };
  issuer: Party;
  recipient: Party;
  sales: readonly SaleForStatement[];
  /** Sales of earlier, invoiced months reversed in this period: listed as returns (返還), not lines. */
  returns?: readonly ReturnForStatement[];
  schedule: FeeSchedule;
  /** A draft (not issued): the issuer's registration number may still be missing. */
  draft?: boolean;
}): InvoiceDocument {
  const { schedule } = input;
  const rate = schedule.usageFeeRate;
  const round = (yen: number) => usageFeeOf(yen, schedule);
  const sales = [...input.sales].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  let cumulative = 0;
  let feeSoFar = 0;
  const ratePct = percentOf(rate);
  const lines: InvoiceLine[] = sales.map((sale) => {
    mustBeYen(sale.amountYen, () => `sale ${sale.id}`);
    cumulative += sale.amountYen;
    const feeNow = round(cumulative);
    const share = feeNow - feeSoFar;
    feeSoFar = feeNow;
    const what = [sale.course, sale.courseRun].filter((x) => x).join(' / ');
    const reversal = sale.amountYen < 0 || !!sale.reverses;
    return {
      date: sale.date,
      description: {
        en: `${reversal ? 'Reversal: ' : ''}usage fee ${ratePct} of sale ${formatYen(sale.amountYen)} to ${sale.customer}${what ? ` (${what})` : ''}${sale.seats !== null ? `, ${sale.seats} seat(s)` : ''}`,
        ja: `${reversal ? '取消: ' : ''}${sale.customer}様への売上 ${formatYen(sale.amountYen)}${what ? `（${what}）` : ''}${sale.seats !== null ? ` ${sale.seats}席` : ''} の利用料 ${ratePct}`,
      },
      amountYen: share,
      taxRatePercent: schedule.taxRatePercent,
    };
  });
  const netSales = sumYen(sales.map((s) => s.amountYen));
  if (netSales < 0)
    throw new CyropError(
      'CONFLICT',
      `the net sales of ${input.period.from}…${input.period.to} are negative (${formatYen(netSales)}): a reversal of an earlier month's sale belongs on a credit note, not a statement`,
    );
  const totals = lines.length ? taxTotals(lines, schedule.rounding) : [];
  const returnLines: InvoiceLine[] = [...(input.returns ?? [])]
    .sort((a, b) => (a.reversedOn < b.reversedOn ? -1 : a.reversedOn > b.reversedOn ? 1 : 0))
    .map((r) => {
      const what = [r.sale.course, r.sale.courseRun].filter((x) => x).join(' / ');
      const pct = percentOf(r.schedule.usageFeeRate);
      return {
        date: r.sale.date,
        description: {
          en: `Return: usage fee ${pct} of sale ${formatYen(r.sale.amountYen)} to ${r.sale.customer}${what ? ` (${what})` : ''}, reversed on ${r.reversedOn}`,
          ja: `返還: ${r.sale.customer}様への売上 ${formatYen(r.sale.amountYen)}${what ? `（${what}）` : ''} の利用料 ${pct}（${r.reversedOn} 取消）`,
        },
        amountYen: usageFeeOf(r.sale.amountYen, r.schedule),
        taxRatePercent: r.schedule.taxRatePercent,
      };
    })
    .filter((line) => line.amountYen > 0);
  const returnTotals = returnLines.length ? taxTotals(returnLines, schedule.rounding) : [];
  return {
    kind: 'usage-fee-statement',
    number: input.number,
    issuedOn: input.issuedOn,
    period: input.period,
    issuer: party(input.issuer, true, input.draft),
    recipient: party(input.recipient, false),
    lines,
    taxTotals: totals,
    ...(returnLines.length ? { returns: { lines: returnLines, taxTotals: returnTotals } } : {}),
    totalYen: totalOf(totals) - totalOf(returnTotals),
    dueOn: addDays(input.issuedOn, schedule.paymentTermDays),
    notes: [
      {
        en: `Sales in the period (tax excluded): ${formatYen(netSales)} in ${sales.length} entr${sales.length === 1 ? 'y' : 'ies'}; CYROP usage fee ${ratePct} = ${formatYen(feeSoFar)}, rounded ${schedule.rounding} once on the total.`,
        ja: `期間の売上（税抜）: ${formatYen(netSales)}（${sales.length}件）、CYROP利用料 ${ratePct} = ${formatYen(feeSoFar)}（合計で1回${roundingJa(schedule.rounding)}）。`,
      },
      {
        en: `Schedule ${schedule.version}; consumption tax ${schedule.taxRatePercent}% rounded ${schedule.rounding} once per rate.`,
        ja: `料金表 ${schedule.version}、消費税 ${schedule.taxRatePercent}%（税率ごとに1回${roundingJa(schedule.rounding)}）。`,
      },
    ],
  };
}

/** What decides a member's yearly CYNEX fee. */
export interface Member {
  name: string;
  address?: string;
  category: OrganisationCategory;
  /** The Co-Nexus it belongs to (1 or more). */
  coNexus: readonly string[];
  /** When it joined, if during the fiscal year (proration). */
  joinedOn?: string;
}

export const CATEGORY_NAMES: Record<OrganisationCategory, { en: string; ja: string }> = {
  'large-enterprise': { en: 'large enterprise', ja: '大企業' },
  sme: { en: 'SME', ja: '中小企業' },
  'general-incorporated-association': { en: 'general incorporated association etc.', ja: '一般社団法人等' },
  npo: { en: 'NPO etc.', ja: 'NPO法人等' },
  'educational-institution': { en: 'educational institution', ja: '教育機関' },
  government: { en: 'government body', ja: '政府機関等' },
  'individual-expert': { en: 'individual expert', ja: '個人有識者' },
};

/** The participation fee before tax: the category's fee × the Co-Nexus multiplier (× months left / 12), rounded once. */
export function participationFee(
  schedule: FeeSchedule,
  member: Member,
  year: { from: string; to: string },
): { amountYen: number; multiplier: Rational; months: number } {
  const base = schedule.participationFeeYen[member.category];
  const multiplier = coNexusMultiplier(schedule, member.coNexus.length);
  let months = 12;
  if (schedule.proration === 'monthly' && member.joinedOn && member.joinedOn > year.from) {
    if (member.joinedOn > year.to) months = 0;
    else {
      const [fy, fm] = year.from.split('-').map(Number) as [number, number];
      const [jy, jm] = member.joinedOn.split('-').map(Number) as [number, number];
      months = 12 - ((jy - fy) * 12 + (jm - fm));
    }
  }
  const rate: Rational = {
    numerator: multiplier.numerator * months,
    denominator: multiplier.denominator * 12,
  };
  return { amountYen: applyRate(base, rate, schedule.rounding), multiplier, months };
}

/** The yearly CYNEX participation-fee invoice of one member organisation. */
export function participationFeeInvoice(input: {
  number: string;
  issuedOn: string;
  fiscalYear: number;
  period: { from: string; to: string };
  issuer: Party;
  member: Member;
  schedule: FeeSchedule;
  /** A draft (not issued): the issuer's registration number may still be missing. */
  draft?: boolean;
}): InvoiceDocument {
  const { schedule, member } = input;
  const fee = participationFee(schedule, member, input.period);
  const category = CATEGORY_NAMES[member.category];
  const m = formatRational(fee.multiplier);
  const lines: InvoiceLine[] = [
    {
      description: {
        en: `CYNEX participation fee FY${input.fiscalYear} (${category.en}, ${member.coNexus.length} Co-Nexus, ×${m}${fee.months < 12 ? `, ${fee.months}/12 of the year` : ''})`,
        ja: `CYNEX参加費 ${input.fiscalYear}年度（${category.ja}、Co-Nexus ${member.coNexus.length}件、×${m}${fee.months < 12 ? `、${fee.months}/12か月分` : ''}）`,
      },
      quantity: 1,
      unitPriceYen: fee.amountYen,
      amountYen: fee.amountYen,
      taxRatePercent: schedule.taxRatePercent,
    },
  ];
  const totals = taxTotals(lines, schedule.rounding);
  return {
    kind: 'participation-fee-invoice',
    number: input.number,
    issuedOn: input.issuedOn,
    period: input.period,
    issuer: party(input.issuer, true, input.draft),
    recipient: party(member, false),
    lines,
    taxTotals: totals,
    totalYen: totalOf(totals),
    dueOn: addDays(input.issuedOn, schedule.paymentTermDays),
    notes: [
      {
        en: `Member category: ${category.en} (${formatYen(schedule.participationFeeYen[member.category])} for one Co-Nexus). Co-Nexus: ${member.coNexus.join(', ')} (${member.coNexus.length}); multiplier ×${m}.`,
        ja: `会員区分: ${category.ja}（Co-Nexus 1件 ${formatYen(schedule.participationFeeYen[member.category])}）。Co-Nexus: ${member.coNexus.join('、')}（${member.coNexus.length}件）、倍率 ×${m}。`,
      },
    ],
  };
}

function party(p: Party, issuer: true, draft?: boolean): InvoiceDocument['issuer'];
function party(p: Party, issuer: false): InvoiceDocument['recipient'];
function party(
  p: Party,
  issuer: boolean,
  draft = false,
): InvoiceDocument['issuer'] | InvoiceDocument['recipient'] {
  if (issuer) {
    // A draft may be looked at before the operator set its number (empty); an issued one may not.
    if (!p.registrationNumber && draft)
      return { name: p.name, registrationNumber: '', ...(p.address ? { address: p.address } : {}) };
    if (!p.registrationNumber)
      throw new CyropError(
        'CONFLICT',
        `the issuer ${p.name} has no qualified-invoice registration number: set the operator organisation's invoiceRegistrationNumber first`,
      );
    return {
      name: p.name,
      registrationNumber: p.registrationNumber,
      ...(p.address ? { address: p.address } : {}),
    };
  }
  return { name: p.name, ...(p.address ? { address: p.address } : {}) };
}

function percentOf(rate: Rational): string {
  const hundred = rate.numerator * 100;
  return hundred % rate.denominator === 0 ? `${hundred / rate.denominator}%` : formatRational(rate);
}

function roundingJa(rule: FeeSchedule['rounding']): string {
  return rule === 'down' ? '切り捨て' : rule === 'up' ? '切り上げ' : '四捨五入';
}
