import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { CyropError } from '../../errors.ts';
import { BRIDGE_PREFIX } from './to-docker.ts';

const run = promisify(execFile);

/**
 * An internal Docker bridge still lets its containers reach services listening on the host itself
 * (their packets go to the host's INPUT chain, which Docker's isolation rules do not touch). This
 * rule drops everything that comes in from a team bridge (`cyr*`), so a trainee's root shell cannot
 * reach the platform, the Docker API or anything else on the host. Team networks are IPv4-only, but
 * every bridge and container still gets an IPv6 link-local address (fe80::/64) when the kernel has
 * IPv6, and a host service listening on `::` answers there: the same rule is installed with
 * ip6tables. Installed idempotently when the driver connects; removed by `cyrop gc --firewall` once
 * no environment is left.
 */
export const FIREWALL_RULE = ['INPUT', '-i', `${BRIDGE_PREFIX}+`, '-j', 'DROP'] as const;

/** The tools that hold the rule: iptables always, ip6tables when the kernel has IPv6. */
export function firewallTools(): ('iptables' | 'ip6tables')[] {
  return kernelHasIpv6() ? ['iptables', 'ip6tables'] : ['iptables'];
}

/** Whether the kernel runs IPv6 at all (no /proc/net/if_inet6 when it is compiled out or disabled at boot). */
export function kernelHasIpv6(): boolean {
  return existsSync('/proc/net/if_inet6');
}

export async function ensureHostFirewall(): Promise<void> {
  for (const tool of firewallTools()) await ensureRule(tool);
}

async function ensureRule(tool: 'iptables' | 'ip6tables'): Promise<void> {
  try {
    await run(tool, ['-w', '-C', ...FIREWALL_RULE]);
    return; // already there
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(tool, error);
  }
  try {
    await run(tool, ['-w', '-I', ...FIREWALL_RULE.slice(0, 1), '1', ...FIREWALL_RULE.slice(1)]);
  } catch (error) {
    throw new CyropError(
      'ENGINE_ERROR',
      `cannot install the host firewall rule (${tool} -I ${FIREWALL_RULE.join(' ')}): ${(error as Error).message.split('\n')[0] ?? ''}; CYROP needs root to isolate team networks from the host`,
      { cause: error },
    );
  }
}

/** Whether the rule is in place for every address family the kernel runs. */
export async function hasHostFirewall(): Promise<boolean> {
  for (const tool of firewallTools()) if (!(await hasRule(tool))) return false;
  return true;
}

export async function hasRule(tool: 'iptables' | 'ip6tables'): Promise<boolean> {
  try {
    await run(tool, ['-w', '-C', ...FIREWALL_RULE]);
    return true;
  } catch {
    return false;
  }
}

/** Remove the rule (every copy of it) from both families. */
export async function removeHostFirewall(): Promise<void> {
  for (const tool of ['iptables', 'ip6tables'] as const) {
    while (await hasRule(tool)) await run(tool, ['-w', '-D', ...FIREWALL_RULE]);
  }
}

function missing(tool: string, error: unknown): CyropError {
  return new CyropError(
    'ENGINE_ERROR',
    `${tool} is not installed: CYROP needs it to keep team networks away from the host (apt-get install iptables)`,
    { cause: error },
  );
}
