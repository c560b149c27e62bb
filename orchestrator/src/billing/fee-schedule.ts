import { CyropError } from '../errors.ts';
import { ORGANISATION_CATEGORIES, type OrganisationCategory } from '../store/schema.ts';
import { compareRational, ROUNDING_RULES, type Rational, type RoundingRule } from './money.ts';

/**
 * A version of the platform's fees: what applies from `effectiveFrom` (inclusive) until the next
 * version's date. Pure data, stored as JSON in `fee_schedules` (never edited: a change is a new version).
 */
export interface FeeSchedule {
  /** A name for people, e.g. `2026-04`; unique. */
  version: string;
  /** `YYYY-MM-DD`, inclusive. */
  effectiveFrom: string;
  /** The month (1–12) the fiscal year starts on, on its 1st day. CYNEX: April. */
  fiscalYearStartMonth: number;
  /** CYNEX participation fee per member category, for one Co-Nexus, yearly, tax excluded. */
  participationFeeYen: Record<OrganisationCategory, number>;
  /**
   * The multiplier by number of Co-Nexus joined: entry i applies to i+1 Co-Nexus, the last one to any
   * more. Starts at 1, never decreases, never exceeds 2 (CYNEX: at most twice the one-Co-Nexus fee).
   */
  coNexusMultipliers: Rational[];
  /** The CYROP usage fee: this share of the sales made with CYROP (10 %). */
  usageFeeRate: Rational;
  /** Consumption tax rate in percent (10). */
  taxRatePercent: number;
  /** How a fee or a tax with a fraction of a yen is rounded (once per invoice per rate). */
  rounding: RoundingRule;
  /** A member joining mid-year: `none` = the whole year's fee; `monthly` = the months left, counting the joining month. */
  proration: 'none' | 'monthly';
  /** Days between issue and due date. */
  paymentTermDays: number;
}

/** `min(2, 1 + 0.5 × (n − 1))`: 1 → ×1, 2 → ×3/2, 3 or more → ×2. */
export const DEFAULT_CO_NEXUS_MULTIPLIERS: Rational[] = [
  { numerator: 1, denominator: 1 },
  { numerator: 3, denominator: 2 },
  { numerator: 2, denominator: 1 },
];

/** The fees of CYNEX's published table and CYROP's usage fee; in force until a stored version says otherwise. */
export const DEFAULT_FEE_SCHEDULE: FeeSchedule = {
  version: 'default',
  effectiveFrom: '2000-01-01',
  fiscalYearStartMonth: 4,
  participationFeeYen: {
    'large-enterprise': 1_000_000,
    sme: 500_000,
    'general-incorporated-association': 500_000,
    npo: 50_000,
    'educational-institution': 50_000,
    government: 0,
    'individual-expert': 0,
  },
  coNexusMultipliers: DEFAULT_CO_NEXUS_MULTIPLIERS,
  usageFeeRate: { numerator: 10, denominator: 100 },
  taxRatePercent: 10,
  rounding: 'down',
  proration: 'none',
  paymentTermDays: 30,
};

const TWO: Rational = { numerator: 2, denominator: 1 };
const ONE: Rational = { numerator: 1, denominator: 1 };
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** A `YYYY-MM-DD` calendar date that exists. */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Every problem of a candidate schedule, each naming its field; empty when it is usable. The
 * multiplier is refused if it exceeds 2, does not start at 1, or decreases with more Co-Nexus.
 */
export function feeScheduleProblems(candidate: FeeSchedule): { pointer: string; message: string }[] {
  // Read as JSON may hold anything: every field is checked as if it were unknown.
  const s = candidate as unknown as {
    version: unknown;
    effectiveFrom: unknown;
    fiscalYearStartMonth: number;
    participationFeeYen?: Partial<Record<string, number>>;
    coNexusMultipliers: (Rational | undefined)[];
    usageFeeRate: Rational;
    taxRatePercent: number;
    rounding: FeeSchedule['rounding'];
    proration: string;
    paymentTermDays: number;
  };
  const problems: { pointer: string; message: string }[] = [];
  const add = (pointer: string, message: string) => problems.push({ pointer, message });
  if (typeof s.version !== 'string' || !/^[A-Za-z0-9._-]{1,40}$/.test(s.version))
    add('/version', 'must be 1–40 letters, digits, dots, hyphens or underscores');
  if (typeof s.effectiveFrom !== 'string' || !isCalendarDate(s.effectiveFrom))
    add('/effectiveFrom', 'must be a YYYY-MM-DD date');
  if (!Number.isInteger(s.fiscalYearStartMonth) || s.fiscalYearStartMonth < 1 || s.fiscalYearStartMonth > 12)
    add('/fiscalYearStartMonth', 'must be a month number 1–12');
  for (const category of ORGANISATION_CATEGORIES) {
    const fee = s.participationFeeYen?.[category];
    if (fee === undefined || !Number.isSafeInteger(fee) || fee < 0)
      add(`/participationFeeYen/${category}`, 'must be whole yen, 0 or more');
  }
  const ratio = (r: Rational | undefined) =>
    !!r &&
    Number.isSafeInteger(r.numerator) &&
    Number.isSafeInteger(r.denominator) &&
    r.numerator >= 0 &&
    r.denominator > 0;
  if (!Array.isArray(s.coNexusMultipliers) || s.coNexusMultipliers.length === 0)
    add('/coNexusMultipliers', 'must list at least the multiplier for one Co-Nexus');
  else
    s.coNexusMultipliers.forEach((m, i) => {
      const at = `/coNexusMultipliers/${i}`;
      if (!m || !ratio(m)) return add(at, 'must be {numerator, denominator}, integers, denominator > 0');
      if (compareRational(m, TWO) > 0)
        add(at, `${m.numerator}/${m.denominator} exceeds 2 (CYNEX: at most twice the fee)`);
      if (i === 0 && compareRational(m, ONE) !== 0) add(at, 'must be 1 (one Co-Nexus pays the table fee)');
      const before = s.coNexusMultipliers[i - 1];
      if (before && ratio(before) && compareRational(m, before) < 0)
        add(at, `decreases from ${before.numerator}/${before.denominator}: more Co-Nexus never pays less`);
    });
  if (!ratio(s.usageFeeRate) || compareRational(s.usageFeeRate, ONE) > 0)
    add('/usageFeeRate', 'must be a fraction between 0 and 1');
  if (!Number.isInteger(s.taxRatePercent) || s.taxRatePercent < 0 || s.taxRatePercent > 100)
    add('/taxRatePercent', 'must be a whole percentage 0–100');
  if (!ROUNDING_RULES.includes(s.rounding)) add('/rounding', `must be one of ${ROUNDING_RULES.join(', ')}`);
  if (s.proration !== 'none' && s.proration !== 'monthly') add('/proration', 'must be none or monthly');
  if (!Number.isInteger(s.paymentTermDays) || s.paymentTermDays < 0 || s.paymentTermDays > 366)
    add('/paymentTermDays', 'must be 0–366 days');
  return problems;
}

export function mustBeValidSchedule(s: FeeSchedule): FeeSchedule {
  const problems = feeScheduleProblems(s);
  if (problems.length > 0)
    throw new CyropError(
      'BAD_REQUEST',
      `fee schedule ${s.version}: ${problems.map((p) => `${p.pointer.slice(1)} ${p.message}`).join('; ')}`,
      { details: problems },
    );
  return s;
}

/** The multiplier for `count` Co-Nexus (1 or more). */
export function coNexusMultiplier(schedule: FeeSchedule, count: number): Rational {
  if (!Number.isInteger(count) || count < 1)
    throw new CyropError('BAD_REQUEST', `a member joins at least one Co-Nexus (got ${count})`);
  const list = schedule.coNexusMultipliers;
  return list[Math.min(count, list.length) - 1] as Rational;
}

/** The version in force on `date` (the latest `effectiveFrom` on or before it), else the default. */
export function scheduleOn(schedules: readonly FeeSchedule[], date: string): FeeSchedule {
  let best: FeeSchedule = DEFAULT_FEE_SCHEDULE;
  for (const s of schedules) if (s.effectiveFrom <= date && s.effectiveFrom >= best.effectiveFrom) best = s;
  return best;
}

/**
 * Fiscal year `year` (named by the calendar year it starts in): from the 1st of the start month given
 * by the schedule in force on 1 January of `year`, to the day before the next year's start; with the
 * schedule in force on its first day.
 */
export function fiscalYear(
  schedules: readonly FeeSchedule[],
  year: number,
): { from: string; to: string; schedule: FeeSchedule } {
  const month = scheduleOn(schedules, `${year}-01-01`).fiscalYearStartMonth;
  const from = `${year}-${String(month).padStart(2, '0')}-01`;
  const schedule = scheduleOn(schedules, from);
  return { from, to: addDays(`${year + 1}-${String(month).padStart(2, '0')}-01`, -1), schedule };
}

/** Calendar arithmetic on `YYYY-MM-DD` (UTC, no time of day). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  const ms = (s: string) => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((ms(to) - ms(from)) / 86_400_000);
}

/** The first and last day of a `YYYY-MM` month. */
export function monthRange(period: string): { from: string; to: string } {
  const m = /^([0-9]{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!m) throw new CyropError('BAD_REQUEST', `period '${period}' is not YYYY-MM`);
  const [y, mo] = [Number(m[1]), Number(m[2])];
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return { from: `${period}-01`, to: `${period}-${String(last).padStart(2, '0')}` };
}
