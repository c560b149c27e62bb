import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { checkedFetch } from '../response-check.ts';

/** The in-memory engine, given an openTcp so that the platform starts its web listener. */
class TcpDriver extends FakeRuntimeDriver {
  openTcp(): Promise<Duplex> {
    return Promise.reject(new Error('not used here'));
  }
}

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
const close = (s: net.Server) => new Promise((r) => s.close(r));

/**
 * Where the web service listener goes: beside the console's port by default, on a free port when
 * that one is taken (a warning, not a failed start), and a start refused with the variable's name
 * when a port the operator chose is taken.
 */
describe('the web service listener of the platform (in-memory engine)', function () {
  this.timeout(60_000);
  let dir = '';
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-web-listener-'));
    // the first operator made beforehand, so that the start prints no one-time password
    for (const data of ['a', 'b']) {
      const database = await openDatabase(path.join(dir, data));
      await new AccountService({ db: database.db }).ensureFirstOperator();
      await database.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A port p whose neighbour p + 1 is held by another listener: null when none could be had. */
  const portBesideATakenOne = async (): Promise<{ port: number; blocker: net.Server } | null> => {
    for (let i = 0; i < 20; i++) {
      const probe = await listen(0);
      const port = (probe.address() as AddressInfo).port;
      await close(probe);
      if (port >= 65535) continue;
      const blocker = await listen(port + 1).catch(() => null);
      if (blocker) return { port, blocker };
    }
    return null;
  };

  it('falls back to a free port when the one beside the console is taken', async function () {
    const found = await portBesideATakenOne();
    if (!found) this.skip();
    const { port, blocker } = found;
    try {
      const platform = await startPlatform(
        loadConfig({ CYROP_ENGINE: 'none' }, { port, dataDir: path.join(dir, 'a') }),
        pino({ level: 'silent' }),
        { driver: new TcpDriver() },
      );
      try {
        expect(platform.webOrigin).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(platform.webOrigin).not.to.equal(`http://127.0.0.1:${port + 1}`);
        const res = await checkedFetch(`${platform.webOrigin!}/`);
        expect(res.status, 'the web listener answers there').to.equal(401);
      } finally {
        await platform.close();
      }
    } finally {
      await close(blocker);
    }
  });

  it('refuses to start, naming CYROP_WEB_PORT, when the port the operator chose is taken', async () => {
    const blocker = await listen(0);
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const starting = startPlatform(
        loadConfig(
          { CYROP_ENGINE: 'none', CYROP_WEB_PORT: String(taken) },
          { port: 0, dataDir: path.join(dir, 'b') },
        ),
        pino({ level: 'silent' }),
        { driver: new TcpDriver() },
      );
      const error = await starting.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.match(new RegExp(`CYROP_WEB_PORT.*${taken}|${taken}.*CYROP_WEB_PORT`));
    } finally {
      await close(blocker);
    }
  });
});
