import path from 'node:path';
import type { Config } from './load-config.ts';

/**
 * The kubeconfig a command that talks to "a cluster" uses when none is named on its command line:
 * the configured engine's (CYROP_KUBECONFIG), else the first file of $KUBECONFIG, else in-cluster
 * (a pod's ServiceAccount). Undefined when there is none: CYROP never guesses a default cluster.
 */
export function lookupKubeconfig(
  config: Pick<Config, 'kubeconfig' | 'kubeInCluster'>,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): { kubeconfig: string; source: string } | { inCluster: true; source: string } | undefined {
  if (config.kubeconfig) return { kubeconfig: config.kubeconfig, source: 'CYROP_KUBECONFIG' };
  const first = (env.KUBECONFIG ?? '').split(path.delimiter).find((p) => p !== '');
  if (first) return { kubeconfig: path.resolve(cwd, first), source: 'KUBECONFIG' };
  if (config.kubeInCluster) return { inCluster: true, source: 'in-cluster ServiceAccount' };
  return undefined;
}
