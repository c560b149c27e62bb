import { createHash, randomInt } from 'node:crypto';

/** Crockford's base32: no I, L, O, U — readable aloud and on a projector. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fresh join code: 4 groups of 4 base32 characters (80 random bits), e.g. `7K3M-Q9XA-…`. */
export function newJoinCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET.charAt(randomInt(ALPHABET.length)));
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** What a person typed, as the canonical 16 characters (case, spaces, dashes and O/I/L forgiven). */
export function normaliseJoinCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** The stored form: sha256 of the canonical code (the code itself is shown once and never stored). */
export function hashJoinCode(typed: string): string {
  return createHash('sha256').update(normaliseJoinCode(typed)).digest('hex');
}
