import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Principal } from '../access/principal.ts';
import { parseCookies } from '../api/auth/set-session-cookie.ts';
import { HTTP_STATUS } from '../api/http-status.ts';
import { CyropError, isCyropError } from '../errors.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import { webTargetOf, type WebAccessDeps } from './web-access.ts';
import type { WebGrant, WebGrants } from './web-grants.ts';

/** The cookie of the web origin that names a grant. */
export const WEB_COOKIE = 'cyrop_web';
/** Where the browser exchanges a ticket for the grant cookie. */
export const ENTER_PATH = '/.cyrop/enter';

export interface WebProxyLimits {
  /** Largest request body passed on (8 MiB); beyond it: 413. */
  maxRequestBodyBytes: number;
  /** Largest response passed back (64 MiB); beyond it the response is cut off. */
  maxResponseBytes: number;
  /** Time to connect to the host (10 s); then 504. */
  connectTimeoutMs: number;
  /** Time from the request's end to the response's headers (30 s); then 504. */
  responseTimeoutMs: number;
  /** Silence on either side after which a request is abandoned (60 s). */
  idleTimeoutMs: number;
  /** Requests in flight at once for one grant (16) and for the whole listener (256); beyond: 429 / 503. */
  maxInFlightPerGrant: number;
  maxInFlight: number;
  /** How long a grant's permission check is trusted before it is made again (5 s). */
  recheckMs: number;
  /** WebSocket connections open at once for one grant (8) and for the whole listener (512); beyond: refused. */
  maxWebSocketsPerGrant: number;
  maxWebSockets: number;
  /** Silence on both sides after which a WebSocket connection is closed (10 min). */
  webSocketIdleTimeoutMs: number;
}

export const DEFAULT_WEB_PROXY_LIMITS: WebProxyLimits = {
  maxRequestBodyBytes: 8 * 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxInFlightPerGrant: 16,
  maxInFlight: 256,
  recheckMs: 5_000,
  maxWebSocketsPerGrant: 8,
  maxWebSockets: 512,
  webSocketIdleTimeoutMs: 10 * 60_000,
};

export interface WebProxyDeps {
  grants: WebGrants;
  driver: Pick<RuntimeDriver, 'openTcp'>;
  access: WebAccessDeps;
  /** The principal of a console session now (undefined when it is over). */
  resolveSession: (token: string) => Promise<Principal | undefined>;
  /** Mark the grant cookie Secure (the web origin is https). */
  secureCookies: boolean;
  limits?: Partial<WebProxyLimits>;
  logger?: Logger;
  clock?: () => number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** Cookies of the platform (console session, web grant): never passed to a host, never set by one. */
const PLATFORM_COOKIE = /^(?:__host-|__secure-)?cyrop_/i;

/**
 * The web service listener: an HTTP server on its own origin (see README) that passes each request
 * of a browser holding a grant to the granted host's port inside the team network, through the
 * driver's `openTcp`, and the answer back. Headers and bodies go through as they are, except the
 * hop-by-hop headers and the platform's own cookies (never sent to a host, never set by one).
 * Every request re-checks (at most every `recheckMs`) that the grant's console session still holds
 * and still allows the service; sizes, times and concurrency are bounded. WebSocket upgrades go
 * through the same way (other upgrades are refused); an open WebSocket is checked again every
 * `recheckMs` and closed once its session or the exercise no longer allows it.
 */
export function createWebProxy(deps: WebProxyDeps): http.Server {
  const limits = { ...DEFAULT_WEB_PROXY_LIMITS, ...deps.limits };
  const clock = deps.clock ?? Date.now;
  const checked = new Map<string, number>(); // grant id → checked until
  const inFlight = new Map<string, number>();
  let total = 0;

  const authorise = async (id: string, grant: WebGrant): Promise<void> => {
    if ((checked.get(id) ?? 0) > clock()) return;
    const principal = await deps.resolveSession(grant.sessionToken);
    if (!principal) throw new CyropError('UNAUTHENTICATED', 'your console session is over: sign in again');
    await webTargetOf(deps.access, principal, {
      exerciseId: grant.target.exerciseId,
      teamId: grant.target.teamId,
      host: grant.target.host,
      port: grant.target.port,
    });
    checked.set(id, clock() + limits.recheckMs);
    if (checked.size > 20_000) checked.clear();
  };

  /** The grant of a browser's request, checked; refused with the reason otherwise. */
  const admit = async (req: IncomingMessage): Promise<{ id: string; grant: WebGrant }> => {
    const id = parseCookies(req.headers.cookie).get(WEB_COOKIE);
    const grant = id === undefined ? undefined : deps.grants.use(id);
    if (id === undefined || !grant)
      throw new CyropError(
        'UNAUTHENTICATED',
        'open this web service from the CYROP console (its link signs this browser in)',
      );
    try {
      await authorise(id, grant);
    } catch (error) {
      if (isCyropError(error) && ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'].includes(error.code))
        deps.grants.revoke(id);
      throw error;
    }
    return { id, grant };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://web.invalid');
    if (url.pathname === ENTER_PATH) {
      const redeemed = deps.grants.redeem(url.searchParams.get('ticket') ?? '');
      if (!redeemed)
        throw new CyropError(
          'UNAUTHENTICATED',
          'this link was already used or has expired: open the web service again from the console',
        );
      res.writeHead(303, {
        location: redeemed.grant.path,
        'set-cookie': `${WEB_COOKIE}=${redeemed.id}; Path=/; HttpOnly; SameSite=Lax${deps.secureCookies ? '; Secure' : ''}`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      res.end();
      deps.logger?.info({ ...redeemed.grant.target, service: undefined }, 'web service opened');
      return;
    }
    const { id, grant } = await admit(req);
    if (total >= limits.maxInFlight)
      throw new CyropError('ENGINE_UNAVAILABLE', 'the web service listener is busy: try again shortly');
    if ((inFlight.get(id) ?? 0) >= limits.maxInFlightPerGrant)
      throw new CyropError('RATE_LIMITED', 'too many requests at once to this web service');
    total++;
    inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
    try {
      await forward(req, res, grant);
    } finally {
      total--;
      const left = (inFlight.get(id) ?? 1) - 1;
      if (left > 0) inFlight.set(id, left);
      else inFlight.delete(id);
    }
  };

  const connect = (target: WebGrant['target']): Promise<Duplex> => {
    if (!deps.driver.openTcp)
      throw new CyropError('ENGINE_ERROR', 'this engine offers no connections to web services');
    return deps.driver.openTcp(
      { exercise: target.exerciseId, team: target.teamId, host: target.host },
      target.port,
      { timeoutMs: limits.connectTimeoutMs },
    );
  };

  const sockets = new Map<string, number>(); // grant id → WebSocket connections open

  /**
   * A WebSocket upgrade: the handshake goes to the host as a request (its Sec-WebSocket-* headers
   * untouched, the platform's cookies removed); the host's 101 comes back, and from then on bytes
   * are copied both ways until either side closes, the connection is silent too long, or a re-check
   * finds the grant no longer allowed.
   */
  const upgrade = async (req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> => {
    const { id, grant } = await admit(req);
    const open = sockets.get(id) ?? 0;
    let all = 0;
    for (const n of sockets.values()) all += n;
    if (all >= limits.maxWebSockets)
      throw new CyropError('ENGINE_UNAVAILABLE', 'the web service listener is busy: try again shortly');
    if (open >= limits.maxWebSocketsPerGrant)
      throw new CyropError(
        'RATE_LIMITED',
        `too many WebSocket connections to this web service (at most ${limits.maxWebSocketsPerGrant})`,
      );
    const { target } = grant;
    const where = `${target.host}:${target.port}`;
    const socket = await connect(target);
    sockets.set(id, open + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearInterval(recheck);
      const left = (sockets.get(id) ?? 1) - 1;
      if (left > 0) sockets.set(id, left);
      else sockets.delete(id);
      socket.destroy();
      client.destroy();
    };
    const recheck = setInterval(
      () => {
        authorise(id, grant).catch(() => {
          deps.grants.revoke(id);
          release();
        });
      },
      Math.max(limits.recheckMs, 100),
    );
    recheck.unref();
    client.on('close', release);
    client.on('error', release);
    await new Promise<void>((resolve, reject) => {
      const upstream = http.request({
        createConnection: () => socket,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: { ...requestHeaders(req.headers), connection: 'Upgrade', upgrade: 'websocket' },
      });
      const timer = setTimeout(() => {
        upstream.destroy();
        reject(
          new CyropError('ENGINE_TIMEOUT', `${where} did not answer within ${limits.responseTimeoutMs} ms`),
        );
      }, limits.responseTimeoutMs);
      upstream.on('error', (error) => {
        clearTimeout(timer);
        reject(new CyropError('ENGINE_ERROR', `${where}: ${error.message}`, { cause: error }));
      });
      // The host refused the upgrade: its answer goes back as it is, and the connection ends.
      upstream.on('response', (answer) => {
        clearTimeout(timer);
        client.write(statusLine(answer) + headerLines(responseHeaders(answer.rawHeaders)) + '\r\n');
        answer.on('data', (chunk: Buffer) => client.write(chunk));
        answer.on('end', () => {
          client.end();
          resolve();
        });
        answer.on('error', () => {
          release();
          resolve();
        });
      });
      upstream.on('upgrade', (answer, hostSocket: Duplex, hostHead: Buffer) => {
        clearTimeout(timer);
        client.write(
          statusLine(answer) +
            headerLines([
              'Connection',
              'Upgrade',
              'Upgrade',
              'websocket',
              ...responseHeaders(answer.rawHeaders),
            ]) +
            '\r\n',
        );
        if (hostHead.length) client.write(hostHead);
        if (head.length) hostSocket.write(head);
        for (const s of [client, hostSocket] as (Duplex & Partial<Socket>)[]) {
          s.setTimeout?.(limits.webSocketIdleTimeoutMs);
          s.on('timeout', release);
        }
        hostSocket.on('close', release);
        hostSocket.on('error', release);
        hostSocket.pipe(client);
        client.pipe(hostSocket);
        deps.logger?.debug({ ...target, service: undefined }, 'web service WebSocket opened');
        resolve();
      });
      upstream.end();
    }).catch((error: unknown) => {
      release();
      throw error;
    });
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, grant: WebGrant): Promise<void> => {
    const { target } = grant;
    const where = `${target.host}:${target.port}`;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.maxRequestBodyBytes)
      throw new CyropError(
        'PAYLOAD_TOO_LARGE',
        `the request body is larger than ${limits.maxRequestBodyBytes} bytes, the limit of web services`,
      );
    const socket = await connect(target);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: CyropError) => {
        if (settled) return;
        settled = true;
        clearTimeout(responseTimer);
        socket.destroy();
        if (error) reject(error);
        else resolve();
      };
      const upstream = http.request({
        createConnection: () => socket,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: { ...requestHeaders(req.headers), connection: 'close' },
      });
      let responseTimer = setTimeout(() => {
        upstream.destroy();
        finish(
          new CyropError('ENGINE_TIMEOUT', `${where} did not answer within ${limits.responseTimeoutMs} ms`),
        );
      }, limits.responseTimeoutMs + limits.idleTimeoutMs);
      (socket as Partial<Socket>).setTimeout?.(limits.idleTimeoutMs);
      socket.on('timeout', () => {
        upstream.destroy();
        if (res.headersSent) res.destroy();
        finish(new CyropError('ENGINE_TIMEOUT', `${where} went silent for ${limits.idleTimeoutMs} ms`));
      });
      upstream.on('error', (error) => {
        if (res.headersSent) res.destroy();
        finish(new CyropError('ENGINE_ERROR', `${where}: ${error.message}`, { cause: error }));
      });
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        if (sent > limits.maxRequestBodyBytes) {
          upstream.destroy();
          finish(
            new CyropError(
              'PAYLOAD_TOO_LARGE',
              `the request body is larger than ${limits.maxRequestBodyBytes} bytes, the limit of web services`,
            ),
          );
          return;
        }
        if (!upstream.write(chunk)) {
          req.pause();
          upstream.once('drain', () => req.resume());
        }
      });
      req.on('end', () => {
        upstream.end();
        // from now on the host has the whole request: it gets responseTimeoutMs to start answering
        clearTimeout(responseTimer);
        responseTimer = setTimeout(() => {
          upstream.destroy();
          finish(
            new CyropError('ENGINE_TIMEOUT', `${where} did not answer within ${limits.responseTimeoutMs} ms`),
          );
        }, limits.responseTimeoutMs);
      });
      req.on('aborted', () => {
        upstream.destroy();
        finish();
      });
      upstream.on('response', (answer) => {
        clearTimeout(responseTimer);
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.rawHeaders));
        let received = 0;
        answer.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > limits.maxResponseBytes) {
            deps.logger?.warn(
              { ...target, service: undefined },
              'web service response cut off at the size limit',
            );
            answer.destroy();
            res.destroy();
            finish();
            return;
          }
          if (!res.write(chunk)) {
            answer.pause();
            res.once('drain', () => answer.resume());
          }
        });
        answer.on('end', () => {
          res.end();
          finish();
        });
        answer.on('error', () => {
          res.destroy();
          finish();
        });
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        finish();
      });
    });
  };

  const server = http.createServer(
    { requestTimeout: 120_000, headersTimeout: 20_000, keepAliveTimeout: 5_000, maxHeaderSize: 32 * 1024 },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        const known = isCyropError(error) ? error : undefined;
        if (!known) deps.logger?.error({ err: error }, 'web proxy failed');
        const status = known ? statusOf(known) : 500;
        if (res.headersSent) {
          res.destroy();
          return;
        }
        errorPage(res, status, known?.message ?? 'internal error');
      });
    },
  );
  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => client.destroy());
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      client.end(
        'HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\n' +
          'only WebSocket upgrades go through to web services\n',
      );
      return;
    }
    upgrade(req, client, head).catch((error: unknown) => {
      const known = isCyropError(error) ? error : undefined;
      if (!known) deps.logger?.error({ err: error }, 'web proxy upgrade failed');
      const status = !known ? 500 : statusOf(known);
      if (!client.writable) return;
      const text = `${known?.message ?? 'internal error'}\n`;
      client.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nconnection: close\r\n` +
          `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
    });
  });
  return server;
}

/** The HTTP status a refusal of the web listener answers with: the engine's failures as a gateway's. */
function statusOf(error: CyropError): number {
  if (error.code === 'ENGINE_TIMEOUT') return 504;
  if (error.code === 'ENGINE_ERROR' || error.code === 'ENGINE_NOT_FOUND') return 502;
  return HTTP_STATUS[error.code];
}

function statusLine(answer: IncomingMessage): string {
  return `HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}\r\n`;
}

/** A flat name, value… list as header lines (no CR or LF can come through: Node refuses them when parsing). */
function headerLines(flat: readonly string[]): string {
  let out = '';
  for (let i = 0; i + 1 < flat.length; i += 2) out += `${flat[i]}: ${flat[i + 1]}\r\n`;
  return out;
}

/** The browser's headers a host gets: all but hop-by-hop ones and the platform's cookies. */
export function requestHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set((headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (name === 'cookie') {
      const kept = String(value)
        .split(';')
        .map((c) => c.trim())
        .filter((c) => c && !PLATFORM_COOKIE.test(c.split('=')[0]?.trim() ?? ''));
      if (kept.length) out.cookie = kept.join('; ');
      continue;
    }
    out[name] = value;
  }
  return out;
}

/**
 * The host's response headers the browser gets (a flat name, value, name, value… list, as
 * `writeHead` takes it, so repeated headers stay apart): all but hop-by-hop ones and platform cookies set.
 */
export function responseHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'set-cookie' && PLATFORM_COOKIE.test(value.split('=')[0]?.trim() ?? '')) continue;
    out.push(name, value);
  }
  return out;
}

function errorPage(res: ServerResponse, status: number, message: string): void {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(
    `<!doctype html><meta charset="utf-8"><title>CYROP web service: ${status}</title>` +
      `<h1>${status}</h1><p>${escaped}</p>\n`,
  );
}
