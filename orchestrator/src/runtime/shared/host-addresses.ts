import { blockOf, formatCidr, formatIpv4, overlaps, type Cidr } from '../../compiler/ipv4.ts';
import type { AddressBlockInUse, EnvironmentRef } from '../runtime-driver.ts';

/*
 * The machine's own address use, for any engine whose networks share this host's stack (Docker
 * bridges, a local cluster's pod network): routes and interface addresses as blocks the subnet
 * allocator avoids, and the conflict test a driver runs before it creates a network. Pure.
 */

/**
 * The host's IPv4 routes from /proc/net/route (the main table) on interfaces other than `skip` (the
 * engine's own bridges, already counted as networks); the default route is no block. Pure.
 */
export function routeBlocks(procNetRoute: string, skip: ReadonlySet<string>): AddressBlockInUse[] {
  const result: AddressBlockInUse[] = [];
  for (const line of procNetRoute.split('\n').slice(1)) {
    const [iface, dest, gateway, flags, , , , mask] = line.trim().split(/\s+/);
    if (!iface || !dest || !gateway || !flags || !mask || skip.has(iface)) continue;
    if ((parseInt(flags, 16) & 1) === 0) continue; // RTF_UP
    const prefix = prefixOfMask(littleEndian(mask));
    if (prefix === undefined || prefix === 0) continue;
    const block: Cidr = { base: littleEndian(dest), prefix };
    const via = littleEndian(gateway);
    result.push({
      block: formatCidr(block),
      owner: `host route ${formatCidr(block)}${via ? ` via ${formatIpv4(via)}` : ''} dev ${iface}`,
    });
  }
  return result;
}

/** The host's own IPv4 addresses (os.networkInterfaces()) as the blocks they sit in, but on `skip`. Pure. */
export function interfaceBlocks(
  interfaces: NodeJS.Dict<{ family: string | number; cidr: string | null }[]>,
  skip: ReadonlySet<string>,
): AddressBlockInUse[] {
  const result: AddressBlockInUse[] = [];
  for (const [name, addresses] of Object.entries(interfaces)) {
    if (skip.has(name)) continue;
    for (const a of addresses ?? []) {
      if ((a.family !== 'IPv4' && a.family !== 4) || !a.cidr) continue;
      const block = blockOf(a.cidr);
      if (block) result.push({ block: formatCidr(block), owner: `host address ${a.cidr} on ${name}` });
    }
  }
  return result;
}

/** /proc/net/route writes addresses as 8 hex digits in host (little-endian) byte order. */
function littleEndian(hex: string): number {
  const v = parseInt(hex, 16);
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function prefixOfMask(mask: number): number | undefined {
  let prefix = 0;
  while (prefix < 32 && mask & (0x80000000 >>> prefix)) prefix++;
  return (mask << prefix) >>> 0 === 0 || prefix === 32 ? prefix : undefined;
}

/** What is in use, but the networks of this environment itself (of this installation). */
export function foreignTo(
  env: EnvironmentRef & { installation?: string | undefined },
  inUse: readonly AddressBlockInUse[],
): AddressBlockInUse[] {
  return inUse.filter(
    (u) =>
      !(
        u.environment?.exercise === env.exercise &&
        u.environment.team === env.team &&
        u.environment.installation === env.installation
      ),
  );
}

/** The first block in use that overlaps `subnet` (a CIDR), if any. */
export function conflictWith(
  subnet: string,
  inUse: readonly AddressBlockInUse[],
): AddressBlockInUse | undefined {
  const block = blockOf(subnet);
  return (
    block &&
    inUse.find((u) => {
      const other = blockOf(u.block);
      return other !== undefined && overlaps(other, block);
    })
  );
}
