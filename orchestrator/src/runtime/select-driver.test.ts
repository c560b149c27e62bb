import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import { loadKubernetesModule, selectDriver } from './select-driver.ts';

describe('selectDriver', () => {
  it('refuses CYROP_ENGINE=none with ENGINE_UNAVAILABLE naming the key', async () => {
    const error = await selectDriver(loadConfig({ CYROP_ENGINE: 'none' })).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CyropError).with.property('code', 'ENGINE_UNAVAILABLE');
    expect((error as Error).message).to.match(/^CYROP_ENGINE=none: /);
  });

  it('says clearly when the Kubernetes driver module is not there', async () => {
    const error = await loadKubernetesModule('./kubernetes/not-there.ts').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CyropError).with.property('code', 'ENGINE_UNAVAILABLE');
    expect((error as Error).message).to.contain(
      'CYROP_ENGINE=kubernetes: this installation has no Kubernetes driver',
    );
  });

  it('refuses a module that does not export createKubernetesDriver', async () => {
    const error = await loadKubernetesModule('./runtime-driver.ts').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CyropError).with.property('code', 'ENGINE_UNAVAILABLE');
    expect((error as Error).message).to.contain('does not export createKubernetesDriver');
  });

  it('builds the Kubernetes driver with CYROP_ENGINE=kubernetes, or fails naming the key', async function () {
    const present = existsSync(new URL('./kubernetes/index.ts', import.meta.url));
    const result = await selectDriver(loadConfig({ CYROP_ENGINE: 'kubernetes' })).catch((e: unknown) => e);
    if (present) {
      // with the driver there, either a driver or the driver's own (engine) error
      if (result instanceof Error) expect(result).to.be.instanceOf(CyropError);
      else expect(result).to.have.property('engine', 'kubernetes');
    } else {
      expect(result).to.be.instanceOf(CyropError).with.property('code', 'ENGINE_UNAVAILABLE');
      expect((result as Error).message).to.contain('CYROP_ENGINE=kubernetes');
    }
  });
});
