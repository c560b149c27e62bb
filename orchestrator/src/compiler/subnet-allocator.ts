import { CyropError } from '../errors.ts';
import { formatCidr, formatIpv4, lastOf, overlaps, parseCidr, sizeOf, type Cidr } from './ipv4.ts';

export interface NetworkNeed {
  name: string;
  /** A subnet the scenario fixes; every team gets this same block (the engine must keep teams apart). */
  fixed?: Cidr;
  /** How many host addresses the network must hold. */
  hosts: number;
}

export interface SubnetAllocation {
  network: string;
  subnet: string;
  gateway: string;
  fixed: boolean;
}

export interface AllocatorOptions {
  /** The pool team subnets are carved from, e.g. `10.200.0.0/16`. */
  pool: string;
  /** Blocks already in use (other exercises, host networks): never handed out. */
  reserved?: readonly string[];
}

/** The first host address handed to scenario hosts: .1 is the gateway, .2–.9 are kept for the platform. */
export const FIRST_HOST_OFFSET = 10;
const SMALLEST_PREFIX = 16;
const LARGEST_PREFIX = 28;

/** The smallest block (at most a /24 unless more hosts need it) that holds `hosts` addresses. */
export function prefixFor(hosts: number): number {
  let prefix = 24;
  while (prefix > SMALLEST_PREFIX && 2 ** (32 - prefix) < hosts + FIRST_HOST_OFFSET + 1) prefix--;
  return Math.min(prefix, LARGEST_PREFIX);
}

/**
 * Give every team of an exercise its own non-overlapping subnets from the pool, in a fixed order
 * (team by team, network by network), skipping blocks that overlap fixed subnets or reserved ones.
 * Deterministic: team k's subnets depend only on the scenario, the pool, the reservations and k.
 */
export function allocateSubnets(
  needs: readonly NetworkNeed[],
  teams: number,
  options: AllocatorOptions,
): SubnetAllocation[][] {
  const parsedPool = parseCidr(options.pool);
  if (!parsedPool.cidr)
    throw new CyropError(
      'CONFIG_INVALID',
      `subnet pool '${options.pool}' ${parsedPool.problem ?? 'is invalid'}`,
    );
  const pool = parsedPool.cidr;
  const avoid: Cidr[] = [];
  for (const r of options.reserved ?? []) {
    const parsed = parseCidr(r);
    if (!parsed.cidr)
      throw new CyropError('CONFIG_INVALID', `reserved subnet '${r}' ${parsed.problem ?? 'is invalid'}`);
    avoid.push(parsed.cidr);
  }
  for (const need of needs) if (need.fixed) avoid.push(need.fixed);

  let cursor = pool.base;
  const take = (prefix: number, network: string, team: number): Cidr => {
    const size = 2 ** (32 - prefix);
    for (;;) {
      cursor = Math.ceil(cursor / size) * size; // align to the block size
      const block = { base: cursor, prefix };
      if (lastOf(block) > lastOf(pool)) {
        const perTeam = needs.filter((n) => !n.fixed).length;
        throw new CyropError(
          'CONFIG_INVALID',
          `subnet pool ${formatCidr(pool)} is exhausted at team ${team}, network '${network}': ` +
            `${teams} team(s) × ${perTeam} allocated network(s) need more room; configure a larger pool`,
        );
      }
      cursor += size;
      if (!avoid.some((a) => overlaps(a, block))) return block;
    }
  };

  const result: SubnetAllocation[][] = [];
  for (let team = 1; team <= teams; team++) {
    result.push(
      needs.map((need) => {
        const block = need.fixed ?? take(prefixFor(need.hosts), need.name, team);
        return {
          network: need.name,
          subnet: formatCidr(block),
          gateway: formatIpv4(block.base + 1),
          fixed: Boolean(need.fixed),
        };
      }),
    );
  }
  return result;
}

/** Addresses handed to scenario hosts: from .10 (.2 in blocks under 64 addresses) up to before the broadcast address. */
export function hostRange(block: Cidr): { first: number; last: number } {
  return { first: block.base + (sizeOf(block) >= 64 ? FIRST_HOST_OFFSET : 2), last: lastOf(block) - 1 };
}
