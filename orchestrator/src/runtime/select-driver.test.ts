import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import { selectDriver } from './select-driver.ts';

describe('selectDriver', () => {
  it('refuses CYROP_ENGINE=none with ENGINE_UNAVAILABLE naming the key', async () => {
    const error = await selectDriver(loadConfig({ CYROP_ENGINE: 'none' })).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CyropError).with.property('code', 'ENGINE_UNAVAILABLE');
    expect((error as Error).message).to.match(/^CYROP_ENGINE=none: /);
  });

  it('loads the Kubernetes driver for CYROP_ENGINE=kubernetes, which names a cluster that does not answer', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-select-'));
    try {
      const kubeconfig = path.join(dir, 'kubeconfig');
      // a closed loopback port: nothing answers there
      writeFileSync(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:9", insecure-skip-tls-verify: true } }]',
          'users: [{ name: u, user: { token: t } }]',
          'contexts: [{ name: x, context: { cluster: c, user: u } }]',
          'current-context: x',
        ].join('\n'),
      );
      const error = await selectDriver(
        loadConfig({ CYROP_ENGINE: 'kubernetes', CYROP_KUBECONFIG: kubeconfig }),
      ).catch((e: unknown) => e);
      // (the driver is imported dynamically: under mocha's loader its CyropError is another copy of the class)
      expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
      expect((error as Error).message).to.contain('127.0.0.1:9');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
