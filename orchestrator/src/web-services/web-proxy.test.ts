import { expect } from 'chai';
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../access/principal.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { CyropError } from '../errors.ts';
import type { ExerciseSummary } from '../exercises/exercise-service.ts';
import { WebGrants } from './web-grants.ts';
import { createWebProxy, ENTER_PATH, WEB_COOKIE, type WebProxyLimits } from './web-proxy.ts';

/** What the "host" behind the proxy received. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const TEAM_1: Principal = { kind: 'participant', exerciseId: 'ex', teamId: 'team-1', name: 'alice' };

describe('web proxy (web service tabs)', () => {
  let host: http.Server;
  let hostPort = 0;
  let proxy: http.Server;
  let base = '';
  const seen: Seen[] = [];
  const sessions = new Map<string, Principal>();
  let grants: WebGrants;

  const exercise = (state: ExerciseSummary['state'] = 'running'): ExerciseSummary =>
    ({
      id: 'ex',
      state,
      expiresAt: null,
      teams: [{ id: 'team-1', state: 'ready' }],
    }) as unknown as ExerciseSummary;
  let exerciseState: ExerciseSummary['state'] = 'running';

  const start = async (limits: Partial<WebProxyLimits> = {}) => {
    grants = new WebGrants();
    proxy = createWebProxy({
      grants,
      driver: {
        openTcp: (_ref, port) =>
          new Promise((resolve, reject) => {
            const s = net.connect({ host: '127.0.0.1', port: port === 8080 ? hostPort : port });
            s.once('connect', () => resolve(s));
            s.once('error', (e) => reject(new CyropError('ENGINE_ERROR', e.message)));
          }),
      },
      access: {
        exercises: {
          get: () => Promise.resolve(exercise(exerciseState)),
          plan: () =>
            Promise.resolve({
              hosts: [{ name: 'shop', web: [{ port: 8080, title: 'Shop', path: '/start' }] }],
            } as unknown as EnvironmentPlan),
        },
        canWatch: () => false,
      },
      resolveSession: (token) => Promise.resolve(sessions.get(token)),
      secureCookies: false,
      limits: { recheckMs: 0, ...limits },
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  };

  /** A ticket for team 1's shop, exchanged as the browser does: the grant cookie. */
  const enter = async (): Promise<string> => {
    const { ticket } = grants.issueTicket({
      target: {
        exerciseId: 'ex',
        teamId: 'team-1',
        host: 'shop',
        port: 8080,
        service: { port: 8080, title: 'Shop', path: '/start' },
      },
      sessionToken: 'tok-1',
      path: '/start',
    });
    const res = await fetch(`${base}${ENTER_PATH}?ticket=${ticket}`, { redirect: 'manual' });
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal('/start');
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  };

  beforeEach(async () => {
    seen.length = 0;
    sessions.set('tok-1', TEAM_1);
    exerciseState = 'running';
    host = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        if (req.url === '/hang') return; // never answers
        res.setHeader('set-cookie', ['shop_session=abc; Path=/', 'cyrop_session=forged; Path=/']);
        res.setHeader('x-shop', 'yes');
        res.end(`hello ${req.method} ${req.url}`);
      });
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    hostPort = (host.address() as AddressInfo).port;
  });

  afterEach(async () => {
    proxy.closeAllConnections();
    host.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    await new Promise((r) => host.close(r));
  });

  it("passes requests and answers through, without the platform's cookies either way", async () => {
    await start();
    const grant = await enter();
    expect(grant).to.match(new RegExp(`^${WEB_COOKIE}=[A-Za-z0-9_-]{43}$`));
    const res = await fetch(`${base}/search?q=cha`, {
      headers: { cookie: `${grant}; cyrop_session=console-secret; shop_session=abc`, 'x-custom': 'kept' },
    });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal('hello GET /search?q=cha');
    expect(res.headers.get('x-shop')).to.equal('yes');
    expect(res.headers.getSetCookie()).to.deep.equal(['shop_session=abc; Path=/']);
    const got = seen[0]!;
    expect(got.url).to.equal('/search?q=cha');
    expect(got.headers.cookie, 'only the shop’s own cookie reaches the host').to.equal('shop_session=abc');
    expect(got.headers['x-custom']).to.equal('kept');
    expect(got.headers.host).to.equal(new URL(base).host);

    const post = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { cookie: grant, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=a&password=b',
    });
    expect(await post.text()).to.equal('hello POST /login');
    expect(seen[1]!.body.toString()).to.equal('username=a&password=b');
  });

  it('refuses without a grant, after the console session ends, and once the exercise stops', async () => {
    await start();
    const none = await fetch(`${base}/`);
    expect(none.status).to.equal(401);
    expect(await none.text()).to.include('open this web service from the CYROP console');
    const unknown = await fetch(`${base}/`, { headers: { cookie: `${WEB_COOKIE}=made-up` } });
    expect(unknown.status).to.equal(401);
    const used = await fetch(`${base}${ENTER_PATH}?ticket=made-up`, { redirect: 'manual' });
    expect(used.status).to.equal(401);

    const grant = await enter();
    expect((await fetch(`${base}/`, { headers: { cookie: grant } })).status).to.equal(200);
    exerciseState = 'ended';
    const ended = await fetch(`${base}/`, { headers: { cookie: grant } });
    expect(ended.status).to.equal(409);
    exerciseState = 'running';

    sessions.delete('tok-1');
    const signedOut = await fetch(`${base}/`, { headers: { cookie: grant } });
    expect(signedOut.status).to.equal(401);
    sessions.set('tok-1', TEAM_1);
    const after = await fetch(`${base}/`, { headers: { cookie: grant } });
    expect(after.status, 'a grant refused once is gone').to.equal(401);
    expect(seen.length, 'the host saw only the allowed request').to.equal(1);
  });

  it('bounds request bodies, and answers 504 for a host that never answers without stalling others', async () => {
    await start({ maxRequestBodyBytes: 1024, responseTimeoutMs: 300 });
    const grant = await enter();
    const big = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: { cookie: grant },
      body: Buffer.alloc(4096, 1),
    });
    expect(big.status).to.equal(413);
    expect(seen.some((s) => s.url === '/upload' && s.body.length > 1024)).to.equal(false);

    // without a Content-Length (chunked), counted as it streams: cut at the bound
    const streamed = await fetch(`${base}/upload-stream`, {
      method: 'POST',
      headers: { cookie: grant },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(512));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).to.equal(413);
    expect(
      seen.some((s) => s.url === '/upload-stream'),
      'the host never got the whole body',
    ).to.equal(false);

    const hanging = fetch(`${base}/hang`, { headers: { cookie: grant } });
    const meanwhile = await fetch(`${base}/other`, { headers: { cookie: grant } });
    expect(await meanwhile.text()).to.equal('hello GET /other');
    const timedOut = await hanging;
    expect(timedOut.status).to.equal(504);
    expect(await timedOut.text()).to.include('shop:8080 did not answer');
  });

  /** A WebSocket to the proxy as a browser holding `cookie` opens it: open, or the status it was refused with. */
  const openSocket = (path: string, cookie: string) =>
    new Promise<{ ws?: WebSocket; status?: number; body?: string }>((resolve) => {
      const ws = new WebSocket(`${base.replace('http:', 'ws:')}${path}`, { headers: { cookie } });
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('error', () => resolve({ status: -1 }));
    });
  const nextMessage = (ws: WebSocket) =>
    new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));

  describe('WebSockets', () => {
    let wss: WebSocketServer;
    const upgrades: IncomingMessage['headers'][] = [];
    beforeEach(() => {
      upgrades.length = 0;
      wss = new WebSocketServer({ noServer: true });
      wss.on('connection', (ws) => ws.on('message', (m: Buffer) => ws.send(`echo ${m.toString()}`)));
      host.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        upgrades.push(req.headers);
        if (req.url !== '/ws') {
          socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 7\r\n\r\nno ws\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      });
    });
    afterEach(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    });

    it("go through both ways to the granted host, without the platform's cookies", async () => {
      await start();
      const grant = await enter();
      const { ws, status } = await openSocket('/ws', `${grant}; shop_session=abc`);
      expect(status, 'the upgrade was refused').to.equal(undefined);
      ws!.send('hello');
      expect(await nextMessage(ws!)).to.equal('echo hello');
      ws!.send(Buffer.alloc(200_000, 'x'));
      expect((await nextMessage(ws!)).length).to.equal(5 + 200_000);
      expect(upgrades[0]?.cookie).to.equal('shop_session=abc');
      expect(upgrades[0]?.['sec-websocket-key'], 'the handshake key reaches the host').to.be.a('string');
      ws!.close();
    });

    it('are refused without a grant, beyond the per-grant limit, and for upgrades other than WebSocket', async () => {
      await start({ maxWebSocketsPerGrant: 1 });
      expect((await openSocket('/ws', 'shop_session=abc')).status).to.equal(401);
      expect(upgrades, 'a refused browser reached the host').to.have.length(0);
      const grant = await enter();
      const first = await openSocket('/ws', grant);
      expect(first.ws).to.not.equal(undefined);
      const second = await openSocket('/ws', grant);
      expect(second.status).to.equal(429);
      expect(second.body).to.include('at most 1');
      first.ws!.close();
      const answer = await new Promise<string>((resolve) => {
        const s = net.connect((proxy.address() as AddressInfo).port, '127.0.0.1', () =>
          s.write(
            `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${grant}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`,
          ),
        );
        let text = '';
        s.on('data', (c: Buffer) => (text += c.toString()));
        s.on('close', () => resolve(text));
      });
      expect(answer.split('\r\n')[0]).to.equal('HTTP/1.1 501 Not Implemented');
    });

    it("pass the host's refusal of an upgrade back as it is", async () => {
      await start();
      const grant = await enter();
      const refused = await openSocket('/elsewhere', grant);
      expect(refused.status).to.equal(403);
    });

    it('are closed once the exercise no longer allows them', async () => {
      await start();
      const grant = await enter();
      const { ws } = await openSocket('/ws', grant);
      ws!.send('one');
      expect(await nextMessage(ws!)).to.equal('echo one');
      const closed = new Promise<void>((resolve) => ws!.once('close', () => resolve()));
      exerciseState = 'ended';
      await closed;
      expect((await openSocket('/ws', grant)).status, 'the grant is gone').to.equal(401);
    });
  });
});
