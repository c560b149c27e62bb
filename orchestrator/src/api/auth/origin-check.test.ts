import { expect } from 'chai';
import express, { type ErrorRequestHandler } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCyropError } from '../../errors.ts';
import { originCheck } from './origin-check.ts';
import { parseCookies } from './set-session-cookie.ts';

describe('originCheck middleware', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const app = express();
    app.use(originCheck({ allowedOrigins: ['https://range.example.org/'] }));
    app.all('/x', (_req, res) => {
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
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const status = async (method: string, headers: Record<string, string>) =>
    (await fetch(`${base}/x`, { method, headers })).status;

  it('lets safe methods through and checks POST/PUT/PATCH/DELETE', async () => {
    expect(await status('GET', { origin: 'http://evil.example', cookie: 'cyrop_session=t' })).to.equal(200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(await status(method, { origin: base }), method).to.equal(200);
      expect(await status(method, { origin: 'https://range.example.org' }), method).to.equal(200);
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

  it('parses cookies without a dependency', () => {
    const cookies = parseCookies('a=1; cyrop_session="tok%20en"; bad; =x; a=2; c=%E0%A4%A');
    expect([...cookies]).to.deep.equal([
      ['a', '1'],
      ['cyrop_session', 'tok en'],
    ]);
  });
});
