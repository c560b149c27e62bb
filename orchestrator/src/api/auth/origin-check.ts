import type { Request, RequestHandler } from 'express';
import { CyropError } from '../../errors.ts';
import { PublicOrigins } from './public-origins.ts';
import { SESSION_COOKIE, parseCookies } from './set-session-cookie.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF and DNS-rebinding protection for a state-changing request (POST, PUT, PATCH, DELETE): its
 * Host header must name a public origin (never trusted to define "our own origin": a rebinding
 * page sends its own host name there), and its `Origin` header (or `Referer` when a browser sends
 * no Origin) must be a public origin. A request with neither is refused when it carries a session
 * cookie (a browser that hid where it came from); without a cookie it has no authority to abuse
 * and passes (scripts). Throws FORBIDDEN.
 */
export function checkOrigin(req: Request, origins: PublicOrigins): void {
  if (SAFE_METHODS.has(req.method)) return;
  const localPort = req.socket.localPort;
  const host = req.headers.host;
  if (!origins.allowsHost(host, localPort))
    throw new CyropError(
      'FORBIDDEN',
      `requests for host '${host ?? ''}' are refused: this platform answers at ${origins.list(localPort).join(', ') || 'no configured origin'} (CYROP_PUBLIC_ORIGINS)`,
    );
  const origin = req.get('origin') ?? refererOrigin(req.get('referer'));
  if (origin === undefined) {
    if (parseCookies(req.headers.cookie).has(SESSION_COOKIE))
      throw new CyropError(
        'FORBIDDEN',
        'a state-changing request with a session must carry an Origin header (cross-site request refused)',
      );
    return;
  }
  if (!origins.allowsOrigin(origin, localPort))
    throw new CyropError('FORBIDDEN', `cross-origin request from ${origin} refused`);
}

/** The express middleware form: installed by createApp before body parsing and the routes. */
export function originCheck(origins: PublicOrigins = new PublicOrigins()): RequestHandler {
  return (req, _res, next) => {
    try {
      checkOrigin(req, origins);
      next();
    } catch (error) {
      next(error);
    }
  };
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'invalid-referer';
  }
}
