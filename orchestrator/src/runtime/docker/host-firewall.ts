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

/**
 * Above the drop: the replies of TCP connections the host itself opened to a container (the web
 * proxy of web service tabs connects to a host's address on its team bridge). `--ctdir REPLY` admits
 * only packets flowing back on a connection whose first packet came from the host; a container still
 * cannot open anything towards the host, since its first packet (NEW) meets the drop.
 */
export const REPLY_RULE = [
  'INPUT',
  '-i',
  `${BRIDGE_PREFIX}+`,
  '-p',
  'tcp',
  '-m',
  'conntrack',
  '--ctstate',
  'ESTABLISHED',
  '--ctdir',
  'REPLY',
  '-j',
  'ACCEPT',
] as const;

/** The tools that hold the rule: iptables always, ip6tables when the kernel has IPv6. */
export function firewallTools(): ('iptables' | 'ip6tables')[] {
  return kernelHasIpv6() ? ['iptables', 'ip6tables'] : ['iptables'];
}

/** Whether the kernel runs IPv6 at all (no /proc/net/if_inet6 when it is compiled out or disabled at boot). */
export function kernelHasIpv6(): boolean {
  return existsSync('/proc/net/if_inet6');
}

export async function ensureHostFirewall(): Promise<void> {
  for (const tool of firewallTools()) {
    await ensureRule(tool, FIREWALL_RULE);
    // the drop may just have been inserted on top: the replies' rule must sit above it
    if ((await hasRule(tool, REPLY_RULE)) && !(await replyRuleFirst(tool)))
      await run(tool, ['-w', '-D', ...REPLY_RULE]);
    await ensureRule(tool, REPLY_RULE);
  }
}

async function ensureRule(tool: 'iptables' | 'ip6tables', rule: readonly string[]): Promise<void> {
  try {
    await run(tool, ['-w', '-C', ...rule]);
    return; // already there
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(tool, error);
  }
  try {
    await run(tool, ['-w', '-I', ...rule.slice(0, 1), '1', ...rule.slice(1)]);
  } catch (error) {
    throw new CyropError(
      'ENGINE_ERROR',
      `cannot install the host firewall rule (${tool} -I ${rule.join(' ')}): ${(error as Error).message.split('\n')[0] ?? ''}; CYROP needs root to isolate team networks from the host`,
      { cause: error },
    );
  }
}

/** Whether the replies' rule comes before the drop in the INPUT chain. */
async function replyRuleFirst(tool: 'iptables' | 'ip6tables'): Promise<boolean> {
  const { stdout } = await run(tool, ['-w', '-S', 'INPUT']);
  const lines = stdout.split('\n');
  const reply = lines.findIndex((l) => l.includes('--ctdir REPLY') && l.includes(`-i ${BRIDGE_PREFIX}+`));
  const drop = lines.findIndex((l) => l.trim() === `-A ${FIREWALL_RULE.join(' ')}`);
  return reply !== -1 && (drop === -1 || reply < drop);
}

/** Whether the rule is in place for every address family the kernel runs. */
export async function hasHostFirewall(): Promise<boolean> {
  for (const tool of firewallTools()) if (!(await hasRule(tool))) return false;
  return true;
}

export async function hasRule(
  tool: 'iptables' | 'ip6tables',
  rule: readonly string[] = FIREWALL_RULE,
): Promise<boolean> {
  try {
    await run(tool, ['-w', '-C', ...rule]);
    return true;
  } catch {
    return false;
  }
}

/** Remove the rule (every copy of it) from both families. */
export async function removeHostFirewall(): Promise<void> {
  for (const tool of ['iptables', 'ip6tables'] as const) {
    while (await hasRule(tool)) await run(tool, ['-w', '-D', ...FIREWALL_RULE]);
    while (await hasRule(tool, REPLY_RULE)) await run(tool, ['-w', '-D', ...REPLY_RULE]);
  }
}

function missing(tool: string, error: unknown): CyropError {
  return new CyropError(
    'ENGINE_ERROR',
    `${tool} is not installed: CYROP needs it to keep team networks away from the host (apt-get install iptables)`,
    { cause: error },
  );
}
