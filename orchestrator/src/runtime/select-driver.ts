import { kubernetesSettings, type Config } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import type { RuntimeDriver } from './runtime-driver.ts';

/**
 * The one place that turns the configured engine (`CYROP_ENGINE`) into a driver, for the server
 * (main.ts) and the CLI alike. Engines are loaded on demand: a Docker installation never loads the
 * Kubernetes client, and the other way round.
 */
export async function selectDriver(config: Config): Promise<RuntimeDriver> {
  switch (config.engine) {
    case 'docker': {
      const { DockerRuntimeDriver } = await import('./docker/docker-runtime-driver.ts');
      return DockerRuntimeDriver.connect({ diskLimits: config.diskLimits });
    }
    case 'kubernetes': {
      const { createKubernetesDriver } = await import('./kubernetes/index.ts');
      return createKubernetesDriver(kubernetesSettings(config));
    }
    case 'none':
      throw new CyropError(
        'ENGINE_UNAVAILABLE',
        'CYROP_ENGINE=none: no engine is configured, so exercises cannot run here; set CYROP_ENGINE=docker or kubernetes',
      );
  }
}
