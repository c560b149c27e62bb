import { createHmac } from 'node:crypto';
import type { ParameterSpec } from './scenario.ts';

/**
 * Per-team parameter values, derived from the exercise secret so that the same secret and team
 * always give the same values, and knowing one team's values tells nothing about another's.
 *
 * - flag:     prefix + '{' + hex(HMAC-SHA256(secret, "cyrop/flag\0" team "\0" name))[0, length) + '}'
 * - password, choice: a deterministic CSPRNG stream, HMAC-SHA256 in counter mode keyed by
 *             HMAC-SHA256(secret, "cyrop/stream\0" team "\0" name), with rejection sampling.
 */
export type ParameterValue = string | number | boolean;

const ALPHABETS = {
  alphanumeric: 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  digits: '0123456789',
  hex: '0123456789abcdef',
} as const;

export const DEFAULT_FLAG_LENGTH = 32;
export const DEFAULT_PASSWORD_LENGTH = 16;

function hmac(key: string | Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

/** An endless, deterministic stream of uniformly random bytes. */
export class DeterministicRandom {
  private readonly key: Buffer;
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;
  private counter = 0;

  constructor(secret: string, teamId: string, name: string) {
    this.key = hmac(secret, `cyrop/stream\u0000${teamId}\u0000${name}`);
  }

  private byte(): number {
    if (this.offset >= this.block.length) {
      this.block = hmac(this.key, `block\u0000${this.counter++}`);
      this.offset = 0;
    }
    return this.block[this.offset++] ?? 0;
  }

  /** A uniform integer in [0, n) for n ≤ 256, by rejection sampling (no modulo bias). */
  below(n: number): number {
    if (n < 1 || n > 256) throw new RangeError(`below(${n}): n must be in 1..256`);
    const limit = 256 - (256 % n);
    for (;;) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }

  /** A uniform integer in [0, n) for n < 2^32. */
  index(n: number): number {
    if (n <= 256) return this.below(n);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const v = ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
      if (v < limit) return v % n;
    }
  }
}

export function deriveFlag(
  secret: string,
  teamId: string,
  name: string,
  prefix = 'CYROP',
  length = DEFAULT_FLAG_LENGTH,
): string {
  const digest = hmac(secret, `cyrop/flag\u0000${teamId}\u0000${name}`).toString('hex');
  return `${prefix}{${digest.slice(0, length)}}`;
}

export function deriveParameter(
  spec: ParameterSpec,
  secret: string,
  teamId: string,
  name: string,
): ParameterValue {
  switch (spec.kind) {
    case 'flag':
      return deriveFlag(secret, teamId, name, spec.prefix ?? 'CYROP', spec.length ?? DEFAULT_FLAG_LENGTH);
    case 'password': {
      const alphabet = ALPHABETS[spec.alphabet ?? 'alphanumeric'];
      const random = new DeterministicRandom(secret, teamId, name);
      let out = '';
      for (let i = 0; i < (spec.length ?? DEFAULT_PASSWORD_LENGTH); i++)
        out += alphabet.charAt(random.below(alphabet.length));
      return out;
    }
    case 'choice': {
      const random = new DeterministicRandom(secret, teamId, name);
      return spec.values[random.index(spec.values.length)] ?? '';
    }
    case 'static':
      return spec.value;
  }
}

export function deriveParameters(
  specs: Readonly<Record<string, ParameterSpec>>,
  secret: string,
  teamId: string,
): Record<string, ParameterValue> {
  const values: Record<string, ParameterValue> = Object.create(null) as Record<string, ParameterValue>;
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name];
    if (spec) values[name] = deriveParameter(spec, secret, teamId, name);
  }
  return values;
}
