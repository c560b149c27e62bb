import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { AccountService, type AuditEntry } from '../../orchestrator/src/accounts/account-service.ts';
import type { PasswordCheckLimits } from '../../orchestrator/src/accounts/password-check-gate.ts';
import { PublicOrigins } from '../../orchestrator/src/api/auth/public-origins.ts';
import { sessionAuthenticator } from '../../orchestrator/src/api/auth/session-authenticator.ts';
import { socketAuthenticator } from '../../orchestrator/src/api/auth/socket-authenticator.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { accountRoutes } from '../../orchestrator/src/api/routes/account-routes.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { REPO } from './helpers.ts';
import { checkResponse } from '../response-check.ts';

const METRICS_TOKEN = 'scraper-token-0123456789abcdef0123456789';
const OPERATOR = { email: 'op@range.example', password: 'operator password 1' };
const TRAINEE = { email: 'trainee@acme.example', password: 'trainee password 1' };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { code: string; message: string; details?: unknown } } & Record<string, unknown>;
}

/** A platform app wired as main.ts wires it (accounts, origins, trust proxy, metrics token), on loopback. */
async function startServer(options: {
  trustProxy?: false | string[];
  passwordCost?: number;
  passwordChecks?: PasswordCheckLimits;
}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-sign-in-'));
  const database: OpenedDatabase = await openDatabase(dir);
  const clock = { now: 1_700_000_000_000 };
  const accounts = new AccountService({
    db: database.db,
    clock: () => clock.now,
    passwordCost: options.passwordCost ?? 10,
    ...(options.passwordChecks ? { passwordChecks: options.passwordChecks } : {}),
  });
  const origins = new PublicOrigins();
  const app = createApp({
    scenarios: new ScenarioLibrary({
      db: database.db,
      catalogue: new ScenarioCatalogue(path.join(REPO, 'tests/fixtures/valid')).load(),
      uploads: new ScenarioUploads(path.join(dir, 'scenarios')),
    }),
    logger: pino({ level: 'silent' }),
    authenticate: sessionAuthenticator(accounts),
    routes: (api) => accountRoutes(api, { accounts, clock: () => clock.now }),
    origins,
    trustProxy: options.trustProxy ?? false,
    metricsToken: METRICS_TOKEN,
  });
  const server: Server = createServer(app);
  const socketSessions = socketAuthenticator(accounts, origins);
  const io = new SocketServer(server, { transports: ['websocket'], serveClient: false });
  for (const name of ['/scoring', '/terminal'])
    io.of(name).use((socket, next) => {
      socketSessions(socket).then(
        (session) => next(session ? undefined : new Error('refused')),
        (error: unknown) => next(error as Error),
      );
    });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origins.listening(port);
  const base = `http://127.0.0.1:${port}`;
  const operatorOrg = await accounts.createOrganisation({ name: 'Operator', kind: 'operator' });
  await accounts.createUser({ orgId: operatorOrg.id, role: 'operator', name: 'Op', ...OPERATOR });
  const acme = await accounts.createOrganisation({ name: 'Acme', kind: 'training-company' });
  await accounts.createUser({ orgId: acme.id, role: 'trainee', name: 'T', ...TRAINEE });
  for (let i = 0; i < 40; i++)
    await accounts.createUser({
      orgId: acme.id,
      role: 'trainee',
      name: `U${i}`,
      email: `u${i}@acme.example`,
      password: `password of u${i}`,
    });

  /** node:http rather than fetch: these tests choose the Host header. */
  const send = (
    method: string,
    url: string,
    init: { body?: unknown; headers?: Record<string, string>; from?: string } = {},
  ) =>
    new Promise<Reply>((resolve, reject) => {
      const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
      const req = request(
        new URL(url, base),
        {
          method,
          headers: {
            ...(method === 'GET' ? {} : { origin: base }),
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...(init.from ? { 'x-forwarded-for': init.from } : {}),
            ...init.headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            try {
              const contentType = res.headers['content-type'] ?? null;
              checkResponse({ method, url, status: res.statusCode ?? 0, contentType, text });
            } catch (mismatch) {
              reject(mismatch instanceof Error ? mismatch : new Error(String(mismatch)));
              return;
            }
            let body: Reply['body'];
            try {
              body = text ? (JSON.parse(text) as Reply['body']) : {};
            } catch {
              body = { text };
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const login = (email: string, password: string, from?: string) =>
    send('POST', '/api/auth/login', { body: { email, password }, ...(from ? { from } : {}) });
  const cookieOf = (reply: Reply) => {
    const set = reply.headers['set-cookie'];
    const first = Array.isArray(set) ? set[0] : set;
    expect(first, 'a session cookie').to.be.a('string');
    return (first as string).split(';')[0]!;
  };
  const audit = async (): Promise<AuditEntry[]> => accounts.listAudit({ limit: 500 });

  return {
    base,
    port,
    clock,
    accounts,
    send,
    login,
    cookieOf,
    audit,
    close: async () => {
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
        server.closeAllConnections();
      });
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;

describe('sign-in hardening (real server)', () => {
  describe('behind a trusted proxy (X-Forwarded-For names the client)', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ trustProxy: ['loopback'] });
    });
    after(() => s.close());

    it('an attacker elsewhere never blocks the right password; their own delays grow', async () => {
      const attacker = '203.0.113.5';
      for (let i = 0; i < 3; i++)
        expect((await s.login(OPERATOR.email, `guess number ${i}`, attacker)).status).to.equal(401);
      const retries: string[] = [];
      for (let i = 0; i < 4; i++) {
        const refused = await s.login(OPERATOR.email, OPERATOR.password, attacker);
        expect(refused.status).to.equal(429);
        expect(refused.body.error?.message).to.match(
          /^too many failed sign-ins for this account from your address; try again in \d+ seconds?$/,
        );
        retries.push(String(refused.headers['retry-after']));
        s.clock.now += Number(refused.headers['retry-after']) * 1000;
        expect((await s.login(OPERATOR.email, 'another guess', attacker)).status).to.equal(401);
      }
      expect(retries).to.deep.equal(['1', '2', '4', '8']);
      // the operator, from their own address, signs in at once
      const operator = await s.login(OPERATOR.email, OPERATOR.password, '198.51.100.7');
      expect(operator.status).to.equal(200);
      // the audit log names the addresses X-Forwarded-For gave, and holds one throttle entry per delay
      const entries = await s.audit();
      const failed = entries.filter((e) => e.action === 'auth.login-failed');
      expect(new Set(failed.map((e) => e.ip))).to.deep.equal(new Set([attacker]));
      expect(entries.filter((e) => e.action === 'auth.login-throttled')).to.have.length(4);
      expect(entries.find((e) => e.action === 'auth.login')?.ip).to.equal('198.51.100.7');
    });

    it('one address trying many accounts is slowed down more loosely, others are not', async () => {
      const spray = '203.0.113.99';
      for (let i = 0; i < 30; i++)
        expect((await s.login(`u${i}@acme.example`, 'Winter2026!', spray)).status, `try ${i}`).to.equal(401);
      const refused = await s.login('u35@acme.example', 'password of u35', spray);
      expect(refused.status).to.equal(429);
      expect(refused.body.error?.message).to.equal(
        'too many failed sign-ins from your address; try again in 1 second',
      );
      expect((await s.login('u35@acme.example', 'password of u35', '198.51.100.8')).status).to.equal(200);
      s.clock.now += 1000;
      expect((await s.login('u36@acme.example', 'wrong', spray)).status).to.equal(401);
      expect((await s.login('u36@acme.example', 'wrong', spray)).headers['retry-after']).to.equal('2');
    });

    it('60 parallel wrong passwords for one account: only the free allowance runs scrypt', async () => {
      const before = s.accounts.passwordCheckStats().ran;
      const replies = await Promise.all(
        Array.from({ length: 60 }, () => s.login(TRAINEE.email, 'wrong password', '192.0.2.60')),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((x) => x === 401)).to.have.length(3);
      expect(statuses.filter((x) => x === 429)).to.have.length(57);
      expect(s.accounts.passwordCheckStats().ran - before).to.equal(3);
    });

    it('throttles join attempts per address with growing delays and audits each, never the code', async () => {
      const from = '192.0.2.77';
      const guesses = Array.from({ length: 10 }, (_, i) => `ZZZZ-ZZZZ-ZZZZ-${String(i).padStart(4, '0')}`);
      for (const code of guesses)
        expect(
          (await s.send('POST', '/api/join', { body: { code, displayName: 'Eve' }, from })).status,
        ).to.equal(404);
      const refused = await s.send('POST', '/api/join', {
        body: { code: 'ZZZZ-ZZZZ-ZZZZ-9999', displayName: 'Eve' },
        from,
      });
      expect(refused.status).to.equal(429);
      expect(refused.headers['retry-after']).to.equal('1');
      expect(refused.body.error?.message).to.equal(
        'too many failed join attempts from your address; try again in 1 second',
      );
      s.clock.now += 1000;
      expect(
        (
          await s.send('POST', '/api/join', {
            body: { code: 'ZZZZ-ZZZZ-ZZZZ-8888', displayName: 'Eve' },
            from,
          })
        ).status,
      ).to.equal(404);
      expect(
        (
          await s.send('POST', '/api/join', {
            body: { code: 'ZZZZ-ZZZZ-ZZZZ-7777', displayName: 'Eve' },
            from,
          })
        ).headers['retry-after'],
      ).to.equal('2');
      // another address is not slowed down
      expect(
        (
          await s.send('POST', '/api/join', {
            body: { code: 'ZZZZ-ZZZZ-ZZZZ-6666', displayName: 'Bob' },
            from: '192.0.2.78',
          })
        ).status,
      ).to.equal(404);
      const entries = await s.audit();
      const joins = entries.filter((e) => e.action.startsWith('exercise.join'));
      expect(joins.filter((e) => e.action === 'exercise.join-failed')).to.have.length(12);
      expect(joins.filter((e) => e.action === 'exercise.join-throttled')).to.have.length(2);
      expect(joins.find((e) => e.ip === '192.0.2.78')).to.not.equal(undefined);
      const text = JSON.stringify(joins);
      for (const code of [...guesses, 'ZZZZ-ZZZZ-ZZZZ-9999', 'ZZZZ-ZZZZ-ZZZZ-8888'])
        expect(text).to.not.contain(code.slice(-9));
    });

    it('refuses emails and display names with control characters, naming the field', async () => {
      const operator = s.cookieOf(await s.login(OPERATOR.email, OPERATOR.password, '198.51.100.7'));
      const orgs = await s.accounts.listOrganisations();
      const acme = orgs.find((o) => o.name === 'Acme')!;
      for (const email of ['bell\u0007@acme.example', 'nul\u0000@acme.example', 'rtl\u202e@acme.example']) {
        const reply = await s.send('POST', `/api/organisations/${acme.id}/users`, {
          headers: { cookie: operator },
          body: { email, name: 'N', role: 'trainee' },
        });
        expect(reply.status, JSON.stringify(email)).to.equal(400);
        expect(reply.body.error?.message).to.match(/^email: /);
      }
      expect((await s.accounts.listUsers(acme.id)).some((u) => /\p{Cc}/u.test(u.email))).to.equal(false);
      const named = await s.send('POST', `/api/organisations/${acme.id}/users`, {
        headers: { cookie: operator },
        body: { email: 'esc@acme.example', name: 'Evil\u001b[2J', role: 'trainee' },
      });
      expect(named.status).to.equal(400);
      expect(named.body.error?.message).to.match(/^name: /);
      const joined = await s.send('POST', '/api/join', {
        body: { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', displayName: 'Eve\u0008\u0008\u0008Admin' },
        from: '192.0.2.90',
      });
      expect(joined.status).to.equal(400);
      expect(joined.body.error?.message).to.match(/^displayName: /);
    });
  });

  describe('without trust proxy (the default)', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({});
    });
    after(() => s.close());

    it('ignores X-Forwarded-For: a client cannot pick the address it is throttled and audited as', async () => {
      for (let i = 0; i < 3; i++)
        expect((await s.login(TRAINEE.email, 'wrong', `203.0.113.${i}`)).status).to.equal(401);
      const refused = await s.login(TRAINEE.email, TRAINEE.password, '203.0.113.200');
      expect(refused.status).to.equal(429);
      const failed = (await s.audit()).filter((e) => e.action === 'auth.login-failed');
      expect(new Set(failed.map((e) => e.ip))).to.deep.equal(new Set(['127.0.0.1']));
    });

    it('refuses a rebinding Host and a foreign Origin on state-changing requests', async () => {
      const evil = `evil.example:${s.port}`;
      const rebound = await s.send('POST', '/api/auth/login', {
        headers: { host: evil, origin: `http://${evil}` },
        body: OPERATOR,
      });
      expect(rebound.status).to.equal(403);
      expect(rebound.body.error?.message).to.contain(`requests for host '${evil}' are refused`);
      const scripted = await s.send('POST', '/api/auth/login', { headers: { host: evil }, body: OPERATOR });
      expect(scripted.status).to.equal(403);
      const foreign = await s.send('POST', '/api/auth/login', {
        headers: { origin: 'http://evil.example' },
        body: OPERATOR,
      });
      expect(foreign.status).to.equal(403);
      const local = await s.send('POST', '/api/auth/login', {
        headers: { host: `localhost:${s.port}`, origin: `http://localhost:${s.port}` },
        body: OPERATOR,
      });
      expect(local.status).to.equal(200);
    });

    it('refuses socket.io handshakes with a rebinding Host or a foreign Origin, in both namespaces', async () => {
      const cookie = s.cookieOf(await s.login(OPERATOR.email, OPERATOR.password));
      const handshake = (namespace: string, headers: Record<string, string>) =>
        new Promise<string>((resolve) => {
          const socket = connect(`${s.base}${namespace}`, {
            transports: ['websocket'],
            reconnection: false,
            extraHeaders: { cookie, ...headers },
          });
          socket.on('connect', () => {
            socket.close();
            resolve('connected');
          });
          socket.on('connect_error', (error) => {
            socket.close();
            resolve(error.message);
          });
        });
      const evil = `evil.example:${s.port}`;
      for (const namespace of ['/scoring', '/terminal']) {
        expect(await handshake(namespace, { origin: s.base })).to.equal('connected');
        expect(await handshake(namespace, { host: evil, origin: `http://${evil}` })).to.equal('refused');
        expect(await handshake(namespace, { host: evil })).to.equal('refused');
        expect(await handshake(namespace, { origin: 'http://evil.example' })).to.equal('refused');
      }
    });

    it('serves /metrics to operators and to the metrics token only', async () => {
      const anonymous = await s.send('GET', '/metrics');
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers['www-authenticate']).to.match(/^Bearer /);
      const trainee = s.cookieOf(await s.login('u1@acme.example', 'password of u1'));
      expect((await s.send('GET', '/metrics', { headers: { cookie: trainee } })).status).to.equal(403);
      expect(
        (await s.send('GET', '/metrics', { headers: { authorization: 'Bearer wrong-token' } })).status,
      ).to.equal(401);
      const operator = s.cookieOf(await s.login(OPERATOR.email, OPERATOR.password));
      const byOperator = await s.send('GET', '/metrics', { headers: { cookie: operator } });
      expect(byOperator.status).to.equal(200);
      const byScraper = await s.send('GET', '/metrics', {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(byScraper.status).to.equal(200);
      expect(String((byScraper.body as { text?: string }).text)).to.contain('cyrop_http_requests_total');
    });

    it('sends a strict Content-Security-Policy and the usual security headers', async () => {
      for (const url of ['/', '/api/scenarios', '/healthz']) {
        const { headers } = await s.send('GET', url);
        const csp = String(headers['content-security-policy']);
        const directives = Object.fromEntries(
          csp.split(';').map((d) => {
            const [name = '', ...values] = d.trim().split(/\s+/);
            return [name, values.join(' ')];
          }),
        );
        expect(directives, url).to.deep.include({
          'default-src': "'self'",
          'script-src': "'self'",
          'img-src': "'self' data:",
          'connect-src': "'self'",
          'object-src': "'none'",
          'base-uri': "'none'",
          'frame-ancestors': "'none'",
          'form-action': "'self'",
        });
        expect(directives['script-src'], 'no inline script').to.not.contain('unsafe');
        expect(headers).to.include({
          'x-frame-options': 'DENY',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-resource-policy': 'same-origin',
        });
        expect(headers['strict-transport-security']).to.match(/max-age=\d+/);
        expect(headers['permissions-policy']).to.contain('camera=()');
        expect(headers['x-powered-by']).to.equal(undefined);
      }
    });
  });

  describe('a global cap on concurrent password checks', () => {
    let s: TestServer;
    before(async () => {
      // production scrypt cost, a small gate, every attempt from its own address and account
      s = await startServer({
        trustProxy: ['loopback'],
        passwordCost: 15,
        passwordChecks: { concurrent: 2, queued: 4 },
      });
    });
    after(() => s.close());

    it('60 parallel wrong passwords: at most 2 checks at once, the overflow refused at once', async () => {
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          s.login(`u${i}@acme.example`, 'wrong password', `198.18.0.${i + 1}`),
        ).concat(
          Array.from({ length: 20 }, (_, i) =>
            s.login(`ghost${i}@acme.example`, 'wrong password', `198.18.1.${i + 1}`),
          ),
        ),
      );
      const stats = s.accounts.passwordCheckStats();
      const statuses = replies.map((r) => r.status);
      expect(new Set(statuses)).to.deep.equal(new Set([401, 429]));
      expect(stats.peak).to.be.at.most(2);
      expect(stats.ran).to.be.below(60);
      expect(stats.refused).to.equal(statuses.filter((x) => x === 429).length);
      const busy = replies.find((r) => r.status === 429)!;
      expect(busy.headers['retry-after']).to.equal('1');
      expect(busy.body.error?.message).to.contain('the server is busy checking other sign-ins');
    });
  });
});
