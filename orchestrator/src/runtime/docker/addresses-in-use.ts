import type { NetworkInspectInfo } from 'dockerode';
import { blockOf, formatCidr } from '../../compiler/ipv4.ts';
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
