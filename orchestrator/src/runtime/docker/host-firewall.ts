import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CyropError } from '../../errors.ts';
import { BRIDGE_PREFIX } from './to-docker.ts';

const run = promisify(execFile);

/**
 * An internal Docker bridge still lets its containers reach services listening on the host itself
 * (their packets go to the host's INPUT chain, which Docker's isolation rules do not touch). This
 * rule drops everything that comes in from a team bridge (`cyr*`), so a trainee's root shell cannot
 * reach the platform, the Docker API or anything else on the host. Installed idempotently when the
 * driver connects; removed by `cyrop gc --firewall` once no environment is left.
 */
export const FIREWALL_RULE = ['INPUT', '-i', `${BRIDGE_PREFIX}+`, '-j', 'DROP'] as const;

export async function ensureHostFirewall(): Promise<void> {
  try {
    await run('iptables', ['-w', '-C', ...FIREWALL_RULE]);
    return; // already there
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(error);
  }
  try {
    await run('iptables', ['-w', '-I', ...FIREWALL_RULE.slice(0, 1), '1', ...FIREWALL_RULE.slice(1)]);
  } catch (error) {
    throw new CyropError(
      'ENGINE_ERROR',
      `cannot install the host firewall rule (iptables -I ${FIREWALL_RULE.join(' ')}): ${(error as Error).message.split('\n')[0] ?? ''}; CYROP needs root to isolate team networks from the host`,
      { cause: error },
    );
  }
}

export async function hasHostFirewall(): Promise<boolean> {
  try {
    await run('iptables', ['-w', '-C', ...FIREWALL_RULE]);
    return true;
  } catch {
    return false;
  }
}

export async function removeHostFirewall(): Promise<void> {
  while (await hasHostFirewall()) await run('iptables', ['-w', '-D', ...FIREWALL_RULE]);
}

function missing(error: unknown): CyropError {
  return new CyropError(
    'ENGINE_ERROR',
    'iptables is not installed: CYROP needs it to keep team networks away from the host (apt-get install iptables)',
    { cause: error },
  );
}
