import type { Request, RequestHandler } from 'express';
import { CyropError } from '../../errors.ts';
import type { Authenticator } from '../api-registry.ts';
import { SESSION_COOKIE, parseCookies } from './set-session-cookie.ts';

export interface OriginCheckOptions {
  /** Origins allowed besides the server's own (`http(s)://<Host header>`), e.g. `https://range.example.org`. */
  allowedOrigins?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection: a state-changing request (POST, PUT, PATCH, DELETE) must come from the
 * server's own origin or a configured one, by its `Origin` header (or `Referer` when a browser
 * sends no Origin). A request with neither is refused when it carries a session cookie (a browser
 * that hid where it came from); without a cookie it has no authority to abuse and passes (scripts).
 * Throws FORBIDDEN.
 */
export function checkOrigin(req: Request, options: OriginCheckOptions = {}): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.get('origin') ?? refererOrigin(req.get('referer'));
  if (origin === undefined) {
    if (parseCookies(req.headers.cookie).has(SESSION_COOKIE))
      throw new CyropError(
        'FORBIDDEN',
        'a state-changing request with a session must carry an Origin header (cross-site request refused)',
      );
    return;
  }
  const own = `${req.protocol}://${req.get('host') ?? ''}`.toLowerCase();
  const allowed = [own, ...(options.allowedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/+$/, ''))];
  if (!allowed.includes(origin.toLowerCase()))
    throw new CyropError('FORBIDDEN', `cross-origin request from ${origin} refused`);
}

/** The express middleware form: install before the routes (and before body parsing). */
export function originCheck(options: OriginCheckOptions = {}): RequestHandler {
  return (req, _res, next) => {
    try {
      checkOrigin(req, options);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The same check inside an Authenticator: every API route runs it, with no change to the app. */
export function withOriginCheck(
  authenticate: Authenticator,
  options: OriginCheckOptions = {},
): Authenticator {
  return async (req) => {
    checkOrigin(req, options);
    return authenticate(req);
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
