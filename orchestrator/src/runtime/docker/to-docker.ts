import { createHash } from 'node:crypto';
import type { ContainerCreateOptions, NetworkCreateOptions } from 'dockerode';
import type { EnvironmentPlan, PlannedHost, PlannedNetwork } from '../../compiler/environment-plan.ts';
import { parseMemory } from '../../compiler/durations.ts';
import { DEFAULTS, LABEL } from '../../compiler/plan-exercise.ts';
import { CyropError } from '../../errors.ts';

/** Every team bridge's interface name starts with this, so one host firewall rule matches them all. */
export const BRIDGE_PREFIX = 'cyr';

export const DOCKER_LABEL = {
  ...LABEL,
  network: 'cyrop.io/network',
  hostHash: 'cyrop.io/host-hash',
  networkHash: 'cyrop.io/network-hash',
} as const;

/**
 * A scenario container's CPU weight (Docker's default is 1024): when the CPUs are contended, scenario
 * hosts yield to other containers of the engine. Against the machine's own processes (the platform)
 * what counts is the weight of the cgroup above the containers, which ensure-docker.sh lowers.
 */
export const SCENARIO_CPU_SHARES = 256;

/**
 * How the engine caps a container's writable storage (found by DockerRuntimeDriver.connect):
 * - `btrfs`: a quota group on the container's subvolume, which counts the image's own bytes too,
 *   so the size asked for is the image's size plus the host's allowance;
 * - `overlay2-xfs`: a project quota on the container's upper directory (its own writes only);
 * - `none`: the engine cannot cap it (overlay2 on ext4, for one).
 */
export type DiskQuotaMode = 'btrfs' | 'overlay2-xfs' | 'none';

export interface DiskQuota {
  mode: DiskQuotaMode;
  /** The image's size in bytes (as the engine reports it), by image reference: needed for `btrfs`. */
  imageBytes?: (image: string) => number | undefined;
}

/** The `size` storage option for a host under a quota mode, or undefined when there is none. */
export function storageSize(host: PlannedHost, quota: DiskQuota | undefined): number | undefined {
  if (!quota || quota.mode === 'none') return undefined;
  // A plan stored before plans had a disk size gets the default.
  const allowance = Number.isFinite(host.resources.diskBytes)
    ? host.resources.diskBytes
    : parseMemory(DEFAULTS.resources.disk);
  if (quota.mode === 'overlay2-xfs') return allowance;
  const image = quota.imageBytes?.(host.image);
  if (image === undefined)
    throw new CyropError(
      'ENGINE_ERROR',
      `the size of image ${host.image} is needed to cap the disk of host ${host.name}`,
    );
  return image + allowance;
}

export interface DockerNetworkSpec {
  name: string;
  network: string;
  hash: string;
  options: NetworkCreateOptions;
}

export interface DockerContainerSpec {
  name: string;
  host: string;
  hash: string;
  /** Created on its first network; the others are connected before start. */
  options: ContainerCreateOptions;
  connect: { network: string; config: { IPAMConfig: { IPv4Address: string }; Aliases: string[] } }[];
}

export function networkName(exercise: string, team: string, network: string): string {
  return `cyrop-${exercise}-${team}-${network}`;
}

export function containerName(exercise: string, team: string, host: string): string {
  return `cyrop-${exercise}-${team}-${host}`;
}

/** A Linux interface name (≤ 15 characters) unique to the team's network: `cyr` + 12 hex digits. */
export function bridgeName(exercise: string, team: string, network: string): string {
  return (
    BRIDGE_PREFIX + createHash('sha256').update(`${exercise}\0${team}\0${network}`).digest('hex').slice(0, 12)
  );
}

export function networkHash(n: PlannedNetwork): string {
  return createHash('sha256').update(`${n.subnet}\0${n.gateway}\0internal`).digest('hex');
}

/** The labels every Docker object of an environment carries. */
export function baseLabels(plan: EnvironmentPlan): Record<string, string> {
  return { ...plan.labels, [DOCKER_LABEL.planHash]: plan.hash };
}

/** Plan → Docker networks: one internal bridge per scenario network, with the allocator's subnet. Pure. */
export function toDockerNetworks(plan: EnvironmentPlan): DockerNetworkSpec[] {
  return plan.networks.map((n) => {
    const name = networkName(plan.exercise.id, plan.team.id, n.name);
    const hash = networkHash(n);
    return {
      name,
      network: n.name,
      hash,
      options: {
        Name: name,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        Attachable: false,
        EnableIPv6: false,
        IPAM: { Driver: 'default', Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
        Options: {
          'com.docker.network.bridge.name': bridgeName(plan.exercise.id, plan.team.id, n.name),
          'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'false',
        },
        Labels: { ...baseLabels(plan), [DOCKER_LABEL.network]: n.name, [DOCKER_LABEL.networkHash]: hash },
      },
    };
  });
}

/** Plan → Docker containers, hardened: limits, no capabilities but the scenario's, no new privileges. Pure. */
export function toDockerContainers(plan: EnvironmentPlan, quota?: DiskQuota): DockerContainerSpec[] {
  return plan.hosts.map((host) => toDockerContainer(plan, host, quota));
}

export function toDockerContainer(
  plan: EnvironmentPlan,
  host: PlannedHost,
  quota?: DiskQuota,
): DockerContainerSpec {
  const size = storageSize(host, quota);
  const [primary, ...others] = host.networks;
  const endpoint = (n: PlannedHost['networks'][number]) => ({
    IPAMConfig: { IPv4Address: n.address },
    Aliases: [...new Set([host.name, host.hostname, ...n.aliases])],
  });
  const name = containerName(plan.exercise.id, plan.team.id, host.name);
  const options: ContainerCreateOptions = {
    name,
    Image: host.image,
    Hostname: host.hostname,
    Labels: { ...baseLabels(plan), [DOCKER_LABEL.host]: host.name, [DOCKER_LABEL.hostHash]: host.hash },
    Env: Object.entries(host.env).map(([k, v]) => `${k}=${v}`),
    ...(host.command ? { Cmd: host.command } : {}),
    ...(host.entrypoint ? { Entrypoint: host.entrypoint } : {}),
    ...(host.user ? { User: host.user } : {}),
    ...(host.workdir ? { WorkingDir: host.workdir } : {}),
    Tty: false,
    OpenStdin: false,
    StopTimeout: 2,
    HostConfig: {
      NetworkMode: primary ? networkName(plan.exercise.id, plan.team.id, primary.name) : 'none',
      Memory: host.resources.memoryBytes,
      MemorySwap: host.resources.memoryBytes,
      NanoCpus: Math.round(host.resources.cpu * 1e9),
      PidsLimit: host.resources.pids,
      CpuShares: SCENARIO_CPU_SHARES,
      ...(size !== undefined ? { StorageOpt: { size: String(size) } } : {}),
      CapDrop: ['ALL'],
      CapAdd: [...host.capabilities],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
      Dns: [],
      PublishAllPorts: false,
    },
    NetworkingConfig: primary
      ? {
          EndpointsConfig: { [networkName(plan.exercise.id, plan.team.id, primary.name)]: endpoint(primary) },
        }
      : {},
  };
  return {
    name,
    host: host.name,
    hash: host.hash,
    options,
    connect: others.map((n) => ({
      network: networkName(plan.exercise.id, plan.team.id, n.name),
      config: endpoint(n),
    })),
  };
}
