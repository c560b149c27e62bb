import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'cyrop_session';

export interface SessionCookieOptions {
  /** Always mark the cookie Secure (behind a TLS-terminating proxy without `trust proxy`). */
  secure?: boolean;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (never sent on cross-site
 * requests), Path=/, Secure when the request came over TLS (`req.secure`) or when configured.
 */
export function setSessionCookie(
  req: Request,
  res: Response,
  token: string,
  maxAgeSeconds: number,
  options: SessionCookieOptions = {},
): void {
  res.append(
    'Set-Cookie',
    cookie(req, `${SESSION_COOKIE}=${token}`, Math.max(0, Math.floor(maxAgeSeconds)), options),
  );
}

export function clearSessionCookie(req: Request, res: Response, options: SessionCookieOptions = {}): void {
  res.append('Set-Cookie', cookie(req, `${SESSION_COOKIE}=`, 0, options));
}

function cookie(req: Request, pair: string, maxAgeSeconds: number, options: SessionCookieOptions): string {
  return [
    pair,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure || req.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The cookies of a request (`Cookie` header), parsed without a dependency; malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The session token of a request, if it carries one. */
export function sessionToken(req: Request): string | undefined {
  return parseCookies(req.headers.cookie).get(SESSION_COOKIE) || undefined;
}
