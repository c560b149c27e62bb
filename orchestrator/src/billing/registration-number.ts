/**
 * Qualified-invoice issuer registration numbers (適格請求書発行事業者登録番号): `T` followed by 13
 * digits whose first digit is the check digit of the corporate number (法人番号) scheme: with P(n)
 * the n-th of the other 12 digits counted from the right and Q(n) = 1 for odd n, 2 for even n,
 * the check digit is 9 − (Σ P(n)·Q(n) mod 9). Sole proprietors' numbers follow the same scheme.
 */
export function registrationCheckDigit(twelveDigits: string): number {
  if (!/^[0-9]{12}$/.test(twelveDigits)) throw new Error(`'${twelveDigits}' is not 12 digits`);
  let sum = 0;
  for (let n = 1; n <= 12; n++) {
    const digit = Number(twelveDigits[12 - n]);
    sum += digit * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9);
}

/** Why `text` (already without spaces and hyphens, upper case) is not a registration number; undefined when it is one. */
export function registrationNumberProblem(text: string): string | undefined {
  if (!/^T[0-9]{13}$/.test(text)) return 'must be T followed by 13 digits';
  const expected = registrationCheckDigit(text.slice(2));
  if (Number(text[1]) !== expected)
    return `check digit ${text[1]} is wrong for ${text.slice(2)} (expected ${expected}): a typing mistake?`;
  return undefined;
}

/** `T` + 13 digits with spaces and hyphens removed and `t` upper-cased. */
export function normaliseRegistrationNumber(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase();
}
