import { CyropError } from '../errors.ts';

/** A non-negative rational number, numerator / denominator, both integers (rates and multipliers). */
export interface Rational {
  numerator: number;
  denominator: number;
}

/** How an amount with a fraction of a yen becomes whole yen. */
export type RoundingRule = 'down' | 'half-up' | 'up';

export const ROUNDING_RULES: readonly RoundingRule[] = ['down', 'half-up', 'up'];

/** Refuses anything but a safe integer: the money path never carries a fraction or a float. */
export function mustBeYen(value: number, what: string | (() => string)): number {
  if (!Number.isSafeInteger(value))
    throw new CyropError(
      'BAD_REQUEST',
      `${typeof what === 'string' ? what : what()}: ${value} is not whole yen`,
    );
  return value;
}

export function rational(numerator: number, denominator: number): Rational {
  if (
    !Number.isSafeInteger(numerator) ||
    !Number.isSafeInteger(denominator) ||
    denominator <= 0 ||
    numerator < 0
  )
    throw new CyropError(
      'BAD_REQUEST',
      `${numerator}/${denominator} is not a non-negative fraction of integers`,
    );
  return { numerator, denominator };
}

/** a/b compared with c/d: negative, zero or positive (exact, BigInt). */
export function compareRational(a: Rational, b: Rational): number {
  const left = BigInt(a.numerator) * BigInt(b.denominator);
  const right = BigInt(b.numerator) * BigInt(a.denominator);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * `yen × rate`, rounded once by `rule` to whole yen — exact integer arithmetic (BigInt), so no
 * floating point touches money. Negative amounts (reversals) round symmetrically: the reversal of a
 * sale gives exactly the negated result of the sale.
 */
export function applyRate(yen: number, rate: Rational, rule: RoundingRule): number {
  mustBeYen(yen, 'amount');
  const negative = yen < 0;
  const small = (negative ? -yen : yen) * rate.numerator;
  if (Number.isSafeInteger(small)) {
    // Integer arithmetic on safe integers is exact: remainder, then an exact division of a multiple.
    const remainder = small % rate.denominator;
    let q = (small - remainder) / rate.denominator;
    if (remainder !== 0 && (rule === 'up' || (rule === 'half-up' && remainder * 2 >= rate.denominator)))
      q += 1;
    return negative ? -q : q;
  }
  const product = BigInt(negative ? -yen : yen) * BigInt(rate.numerator);
  const d = BigInt(rate.denominator);
  const quotient = product / d;
  const remainder = product % d;
  let result = quotient;
  if (remainder !== 0n) {
    if (rule === 'up') result += 1n;
    else if (rule === 'half-up' && remainder * 2n >= d) result += 1n;
  }
  const value = Number(negative ? -result : result);
  return mustBeYen(value, 'result');
}

/** `applyRate` toward minus infinity (floor), for the cumulative split of one rounding over many lines. */
export function floorRate(yen: number, rate: Rational): number {
  const small = yen * rate.numerator;
  if (Number.isSafeInteger(small)) {
    const remainder = small % rate.denominator; // same sign as small
    const q = (small - remainder) / rate.denominator;
    return remainder < 0 ? q - 1 : q;
  }
  const product = BigInt(yen) * BigInt(rate.numerator);
  const d = BigInt(rate.denominator);
  let q = product / d;
  if (product % d !== 0n && product < 0n) q -= 1n;
  return Number(q);
}

/** Sum of whole yen, refusing anything that is not a safe integer. */
export function sumYen(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += mustBeYen(v, 'amount');
  return mustBeYen(total, 'total');
}

/** `¥1,234` (or `-¥1,234`), the way both languages print yen. */
export function formatYen(yen: number): string {
  const sign = yen < 0 ? '-' : '';
  return `${sign}¥${Math.abs(yen)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

export function formatRational(r: Rational): string {
  return r.denominator === 1 ? String(r.numerator) : `${r.numerator}/${r.denominator}`;
}
