import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createKubernetesDriver } from '../../orchestrator/src/runtime/kubernetes/index.ts';
import { CyropError } from '../../orchestrator/src/errors.ts';

/** Without a cluster the driver says so clearly, and never falls back to a default one. */
describe('Kubernetes driver without a cluster', () => {
  const rejection = async (p: Promise<unknown>): Promise<CyropError> => {
    try {
      await p;
    } catch (error) {
      expect(error).to.be.instanceOf(CyropError);
      return error as CyropError;
    }
    throw new Error('expected a rejection');
  };

  it('refuses to start without a kubeconfig (no silent default)', async () => {
    const e = await rejection(createKubernetesDriver({ namespacePrefix: 'cyrop', inCluster: false }));
    expect(e.code).to.equal('CONFIG_INVALID');
    expect(e.message).to.match(/kubeconfig/);
  });

  it('names a kubeconfig that does not exist', async () => {
    const e = await rejection(
      createKubernetesDriver({
        kubeconfig: '/nonexistent/admin.kubeconfig',
        namespacePrefix: 'cyrop',
        inCluster: false,
      }),
    );
    expect(e.code).to.equal('ENGINE_UNAVAILABLE');
    expect(e.message).to.contain('/nonexistent/admin.kubeconfig');
  });

  it('names the server when no API server answers there', async () => {
    // A loopback port that was just free: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-kube-'));
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'dead',
            cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'dead', context: { cluster: 'dead', user: 'u' } }],
        'current-context': 'dead',
      }),
    );
    const e = await rejection(
      createKubernetesDriver({ kubeconfig: file, namespacePrefix: 'cyrop', inCluster: false }),
    );
    expect(e.code).to.equal('ENGINE_UNAVAILABLE');
    expect(e.message).to.contain(`https://127.0.0.1:${port}`);
  });

  it('refuses a namespace prefix that is not a short DNS label', async () => {
    const e = await rejection(
      createKubernetesDriver({ kubeconfig: '/x', namespacePrefix: 'Bad_Prefix', inCluster: false }),
    );
    expect(e.code).to.equal('CONFIG_INVALID');
  });
});
