import { kubernetesSettings, type Config, type KubernetesEngineSettings } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import type { RuntimeDriver } from './runtime-driver.ts';

/** What `runtime/kubernetes/index.ts` exports (written beside this seam; loaded only when configured). */
interface KubernetesDriverModule {
  createKubernetesDriver(settings: KubernetesEngineSettings): RuntimeDriver | Promise<RuntimeDriver>;
}

/**
 * Where the Kubernetes driver lives. A variable, not a literal, so that the build does not need the
 * folder: an installation without it fails at start with ENGINE_UNAVAILABLE naming CYROP_ENGINE.
 */
const KUBERNETES_MODULE = './kubernetes/index.ts';

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
      const module = await loadKubernetesModule(KUBERNETES_MODULE);
      return module.createKubernetesDriver(kubernetesSettings(config));
    }
    case 'none':
      throw new CyropError(
        'ENGINE_UNAVAILABLE',
        'CYROP_ENGINE=none: no engine is configured, so exercises cannot run here; set CYROP_ENGINE=docker or kubernetes',
      );
  }
}

/** Import the Kubernetes driver module, or say clearly that this installation has none. Exported for tests. */
export async function loadKubernetesModule(specifier: string): Promise<KubernetesDriverModule> {
  let module: Partial<KubernetesDriverModule>;
  try {
    module = (await import(specifier)) as Partial<KubernetesDriverModule>;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    // Only the driver module itself missing; a missing dependency inside it is reported as it is.
    const itself =
      e.code === 'ERR_MODULE_NOT_FOUND' &&
      (e.message ?? '').includes(specifier.replace(/^\.\//, '').replace(/\.ts$/, ''));
    throw new CyropError(
      'ENGINE_UNAVAILABLE',
      itself
        ? `CYROP_ENGINE=kubernetes: this installation has no Kubernetes driver (runtime/kubernetes/index.ts is missing); set CYROP_ENGINE=docker or none`
        : `CYROP_ENGINE=kubernetes: the Kubernetes driver could not be loaded: ${e.message ?? String(error)}`,
      { cause: error },
    );
  }
  if (typeof module.createKubernetesDriver !== 'function')
    throw new CyropError(
      'ENGINE_UNAVAILABLE',
      `CYROP_ENGINE=kubernetes: runtime/kubernetes/index.ts does not export createKubernetesDriver(settings)`,
    );
  return module as KubernetesDriverModule;
}
