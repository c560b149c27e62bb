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
 * and still allows the service; sizes, times and concurrency are bounded. WebSocket upgrades are refused.
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

  const forward = async (req: IncomingMessage, res: ServerResponse, grant: WebGrant): Promise<void> => {
    const { target } = grant;
    const where = `${target.host}:${target.port}`;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.maxRequestBodyBytes)
      throw new CyropError(
        'PAYLOAD_TOO_LARGE',
        `the request body is larger than ${limits.maxRequestBodyBytes} bytes, the limit of web services`,
      );
    if (!deps.driver.openTcp)
      throw new CyropError('ENGINE_ERROR', 'this engine offers no connections to web services');
    const socket: Duplex = await deps.driver.openTcp(
      { exercise: target.exerciseId, team: target.teamId, host: target.host },
      target.port,
      { timeoutMs: limits.connectTimeoutMs },
    );
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
        const status =
          known?.code === 'ENGINE_TIMEOUT'
            ? 504
            : known?.code === 'ENGINE_ERROR' || known?.code === 'ENGINE_NOT_FOUND'
              ? 502
              : known
                ? HTTP_STATUS[known.code]
                : 500;
        if (res.headersSent) {
          res.destroy();
          return;
        }
        errorPage(res, status, known?.message ?? 'internal error');
      });
    },
  );
  server.on('upgrade', (_req, socket: Duplex) => {
    socket.end(
      'HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\n' +
        'WebSocket connections to web services are not supported\n',
    );
  });
  return server;
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
