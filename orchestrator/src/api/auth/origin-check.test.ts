import { expect } from 'chai';
import express, { type ErrorRequestHandler } from 'express';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCyropError } from '../../errors.ts';
import { originCheck } from './origin-check.ts';
import { PublicOrigins } from './public-origins.ts';
import { parseCookies } from './set-session-cookie.ts';

describe('originCheck middleware', () => {
  let server: Server;
  let base: string;
  let configured: string;
  const origins = new PublicOrigins();
  before(async () => {
    const app = express();
    app.use((req, res, next) => {
      // a second check with configured origins, under /configured
      if (req.path.startsWith('/configured')) {
        originCheck(new PublicOrigins(['https://range.example.org', configured]))(req, res, next);
      } else originCheck(origins)(req, res, next);
    });
    app.all(['/x', '/configured/x'], (_req, res) => {
      res.json({ ok: true });
    });
    const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
      res
        .status(isCyropError(error) && error.code === 'FORBIDDEN' ? 403 : 500)
        .json({ error: String(error) });
    };
    app.use(errors);
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    configured = base;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** node:http, not fetch: fetch will not send a Host header of our choosing. */
  const status = (method: string, headers: Record<string, string>, path = '/x') =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${base}${path}`, { method, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('lets safe methods through and checks POST/PUT/PATCH/DELETE', async () => {
    expect(await status('GET', { origin: 'http://evil.example', cookie: 'cyrop_session=t' })).to.equal(200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(await status(method, { origin: base }), method).to.equal(200);
      expect(await status(method, { origin: 'https://range.example.org' }, '/configured/x'), method).to.equal(
        200,
      );
      expect(await status(method, { origin: 'https://range.example.org' }), method).to.equal(403);
      expect(await status(method, { origin: 'http://evil.example' }), method).to.equal(403);
      expect(await status(method, { cookie: 'cyrop_session=t' }), method).to.equal(403);
      expect(await status(method, { cookie: 'cyrop_session=t', referer: `${base}/page` }), method).to.equal(
        200,
      );
      expect(
        await status(method, { cookie: 'cyrop_session=t', referer: 'http://evil.example/' }),
        method,
      ).to.equal(403);
      expect(await status(method, {}), method).to.equal(200); // no cookie, no Origin: a script
    }
  });

  it('refuses a Host that is not a public origin (DNS rebinding), whatever the Origin says', async () => {
    const port = new URL(base).port;
    const rebound = { host: `evil.example:${port}`, origin: `http://evil.example:${port}` };
    for (const method of ['POST', 'DELETE']) {
      expect(await status(method, rebound), method).to.equal(403);
      expect(await status(method, { host: `evil.example:${port}` }), method).to.equal(403);
      expect(
        await status(method, { host: `localhost:${port}`, origin: `http://localhost:${port}` }),
      ).to.equal(200);
    }
    expect(await status('GET', rebound)).to.equal(200); // reading is not state-changing
    expect(origins.list()).to.deep.equal([]);
    origins.listening(Number(port));
    expect(origins.list()).to.deep.equal([
      `http://127.0.0.1:${port}`,
      `http://localhost:${port}`,
      `http://[::1]:${port}`,
    ]);
    expect(new PublicOrigins(undefined, '10.1.2.3', 8420).list()).to.include('http://10.1.2.3:8420');
    expect(new PublicOrigins(undefined, '0.0.0.0', 8420).list()).to.have.length(3);
  });

  it('parses cookies without a dependency', () => {
    const cookies = parseCookies('a=1; cyrop_session="tok%20en"; bad; =x; a=2; c=%E0%A4%A');
    expect([...cookies]).to.deep.equal([
      ['a', '1'],
      ['cyrop_session', 'tok en'],
    ]);
  });
});
