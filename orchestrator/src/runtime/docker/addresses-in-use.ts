import type { NetworkInspectInfo } from 'dockerode';
import { blockOf, formatCidr, formatIpv4, type Cidr } from '../../compiler/ipv4.ts';
import type { AddressBlockInUse } from '../runtime-driver.ts';
import { DOCKER_LABEL } from './to-docker.ts';

/** The Linux interface a Docker bridge network uses (named by option, else `br-` + 12 id digits). */
export function bridgeInterfaceOf(network: NetworkInspectInfo): string | undefined {
  if (network.Driver !== 'bridge') return undefined;
  return network.Options?.['com.docker.network.bridge.name'] ?? `br-${network.Id.slice(0, 12)}`;
}

/** Every IPv4 block of every network on the engine (IPv6 and IPAM-less networks are skipped). Pure. */
export function engineBlocks(networks: readonly NetworkInspectInfo[]): AddressBlockInUse[] {
  const result: AddressBlockInUse[] = [];
  for (const n of networks) {
    const labels = n.Labels ?? {};
    const exercise = labels[DOCKER_LABEL.exercise];
    const team = labels[DOCKER_LABEL.team];
    const installation = labels[DOCKER_LABEL.installation];
    const ours = labels[DOCKER_LABEL.managedBy] === 'cyrop' && exercise && team;
    const project = labels['com.docker.compose.project'];
    const owner = ours
      ? `Docker network '${n.Name}' (CYROP exercise ${exercise}, ${team}${installation ? `, installation ${installation}` : ''})`
      : `Docker network '${n.Name}'${project ? ` (compose project ${project})` : ''}`;
    for (const config of n.IPAM?.Config ?? []) {
      const block = config.Subnet ? blockOf(config.Subnet) : undefined;
      if (!block) continue;
      result.push({
        block: formatCidr(block),
        owner,
        ...(ours ? { environment: { exercise, team, ...(installation ? { installation } : {}) } } : {}),
      });
    }
  }
  return result;
}

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
