import { CyropError } from '../errors.ts';
import type { Diagnostic } from './diagnostic.ts';
import {
  blockOf,
  formatCidr,
  formatIpv4,
  lastOf,
  overlaps,
  parseCidr,
  sizeOf,
  within,
  type Cidr,
} from './ipv4.ts';

/** Where a field stands in the scenario file, for messages that cite it. */
export interface FieldPlace {
  file: string;
  line: number;
  column: number;
  pointer: string;
}

export interface NetworkNeed {
  name: string;
  /** A subnet the scenario fixes: every team needs this same block. */
  fixed?: Cidr;
  /** Where the scenario fixes it (for messages). */
  fixedAt?: FieldPlace;
  /** How many host addresses the network must hold. */
  hosts: number;
}

export interface SubnetAllocation {
  network: string;
  subnet: string;
  gateway: string;
  fixed: boolean;
}

/** An address block something else already uses, and who: never handed out. */
export interface ReservedBlock {
  block: string;
  /**
   * Who uses it, for messages: "exercise ex-1 (team-2)", "Docker network 'web' (compose project shop)",
   * "host route 10.0.0.0/8 via 192.0.2.1 dev eth0". A parenthesised tail is dropped when owners are summed up.
   */
  owner: string;
}

export interface AllocatorOptions {
  /** The pool team subnets are carved from, e.g. `10.200.0.0/16`. */
  pool: string;
  /** Blocks already in use (other exercises, networks on the engine, the host's routes and addresses). */
  reserved?: readonly (string | ReservedBlock)[];
  /**
   * Where scenarios may fix subnets (`networks[].subnet`). Absent: not checked (a preview such as
   * `cyrop plan`). Given: a fixed subnet must lie inside one of these blocks, must not overlap anything
   * reserved, and serves one team only (one block cannot be two networks on one engine); empty refuses
   * every fixed subnet.
   */
  fixedPools?: readonly string[];
  /** The number of the first team, in messages (a re-plan of team k allocates one team numbered k). */
  firstTeam?: number;
  /**
   * Start searching this many addresses into the pool and wrap around at its end (default 0: from the
   * start). A re-plan after a conflict starts at a random place, so that two installations racing
   * for the same blocks do not pick the same next block again and again.
   */
  startOffset?: number;
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

interface Avoided {
  block: Cidr;
  owner: string;
}

/**
 * Give every team of an exercise its own non-overlapping subnets from the pool, in a fixed order
 * (team by team, network by network), skipping blocks that overlap fixed subnets or reserved ones.
 * Deterministic: team k's subnets depend only on the scenario, the pool, the reservations and k.
 * Refusals: an exhausted pool is POOL_EXHAUSTED; a fixed subnet outside `fixedPools` is
 * SCENARIO_INVALID (with the field's file:line); one that overlaps a reserved block, or that several
 * teams would share, is SUBNET_CONFLICT naming the other user of the block.
 */
export function allocateSubnets(
  needs: readonly NetworkNeed[],
  teams: number,
  options: AllocatorOptions,
): SubnetAllocation[][] {
  const pool = cidrOption(options.pool, 'subnet pool');
  const reserved: Avoided[] = (options.reserved ?? []).map((r) => {
    const entry = typeof r === 'string' ? { block: r, owner: 'reserved' } : r;
    const block = blockOf(entry.block);
    if (!block)
      throw new CyropError('CONFIG_INVALID', `reserved subnet '${entry.block}' is not an IPv4 CIDR block`);
    return { block, owner: entry.owner };
  });
  if (options.fixedPools) checkFixed(needs, teams, reserved, options.fixedPools);
  const avoid: Avoided[] = [
    ...reserved,
    ...needs.flatMap((n) =>
      n.fixed ? [{ block: n.fixed, owner: `the fixed subnet of network '${n.name}'` }] : [],
    ),
  ];
  const firstTeam = options.firstTeam ?? 1;

  const start = pool.base + (Math.max(0, Math.floor(options.startOffset ?? 0)) % sizeOf(pool));
  let cursor = start;
  let wrapped = start === pool.base;
  const handedOut: Avoided[] = [];
  const take = (prefix: number, network: string, team: number): Cidr => {
    const size = 2 ** (32 - prefix);
    for (;;) {
      cursor = Math.ceil(cursor / size) * size; // align to the block size
      const block = { base: cursor, prefix };
      if (lastOf(block) > lastOf(pool)) {
        if (wrapped) throw exhausted(pool, avoid, needs, teams, network, team);
        wrapped = true;
        cursor = pool.base;
        continue;
      }
      cursor += size;
      const taken =
        avoid.find((a) => overlaps(a.block, block)) ?? handedOut.find((a) => overlaps(a.block, block));
      // Jump past the whole reserved block rather than stepping through it.
      if (taken) cursor = Math.max(cursor, lastOf(taken.block) + 1);
      else {
        // Blocks handed out are avoided too: after a wrap-around the search passes them again.
        handedOut.push({ block, owner: `network '${network}' of team ${team}` });
        return block;
      }
    }
  };

  const result: SubnetAllocation[][] = [];
  for (let team = 0; team < teams; team++) {
    result.push(
      needs.map((need) => {
        const block = need.fixed ?? take(prefixFor(need.hosts), need.name, firstTeam + team);
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

function cidrOption(text: string, what: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.cidr)
    throw new CyropError('CONFIG_INVALID', `${what} '${text}' ${parsed.problem ?? 'is invalid'}`);
  return parsed.cidr;
}

function checkFixed(
  needs: readonly NetworkNeed[],
  teams: number,
  reserved: readonly Avoided[],
  fixedPools: readonly string[],
): void {
  const pools = fixedPools.map((p) => cidrOption(p, 'fixed-subnet pool'));
  const outside: Diagnostic[] = [];
  for (const need of needs) {
    if (!need.fixed) continue;
    const subnet = formatCidr(need.fixed);
    const at = need.fixedAt ?? { file: '', line: 0, column: 0, pointer: '' };
    const where = at.line > 0 ? `${at.file}:${at.line}:${at.column}: ` : at.file ? `${at.file}: ` : '';
    if (!pools.some((p) => within(need.fixed as Cidr, p))) {
      outside.push({
        severity: 'error',
        rule: 'network.subnet-pool',
        ...at,
        message: `fixed subnet ${subnet} of network '${need.name}' is outside the fixed-subnet pools this platform allows (${
          pools.length ? pools.map(formatCidr).join(', ') : 'none are configured'
        }); the operator sets them with CYROP_FIXED_SUBNET_POOLS, or remove subnet: to let the allocator choose`,
      });
      continue;
    }
    const taken = reserved.find((r) => overlaps(r.block, need.fixed as Cidr));
    if (taken) {
      throw new CyropError(
        'SUBNET_CONFLICT',
        `${where}fixed subnet ${subnet} of network '${need.name}' overlaps ${formatCidr(taken.block)}, in use by ${taken.owner}`,
        {
          details: {
            subnet,
            network: need.name,
            conflict: { block: formatCidr(taken.block), owner: taken.owner },
          },
        },
      );
    }
    if (teams > 1) {
      throw new CyropError(
        'SUBNET_CONFLICT',
        `${where}fixed subnet ${subnet} of network '${need.name}' would be needed by all ${teams} teams, but one block can be one network only: launch one team, or remove subnet: so that each team gets its own`,
        { details: { subnet, network: need.name, teams } },
      );
    }
  }
  if (outside.length) {
    throw new CyropError(
      'SCENARIO_INVALID',
      outside
        .map((d) => `${d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file}  ${d.pointer}  ${d.message}`)
        .join('\n'),
      { details: outside },
    );
  }
}

function exhausted(
  pool: Cidr,
  avoid: readonly Avoided[],
  needs: readonly NetworkNeed[],
  teams: number,
  network: string,
  team: number,
): CyropError {
  const inPool = avoid.filter((a) => overlaps(a.block, pool));
  const owners = [...new Set(inPool.map((a) => a.owner.replace(/ \(.*$/, '')))];
  const perTeam = needs.filter((n) => !n.fixed).length;
  const used = inPool.length
    ? `; ${inPool.length} block(s) of it are in use by ${owners.slice(0, 3).join(', ')}${owners.length > 3 ? ` and ${owners.length - 3} more` : ''}`
    : '';
  return new CyropError(
    'POOL_EXHAUSTED',
    `subnet pool ${formatCidr(pool)} has no free block left for team ${team}, network '${network}' ` +
      `(${teams} team(s) × ${perTeam} network(s) asked for)${used}: end exercises that are no longer needed, ` +
      `launch fewer teams, or have the operator configure a larger pool (CYROP_SUBNET_POOL)`,
    { details: { pool: formatCidr(pool), team, network, inUse: inPool.length } },
  );
}
