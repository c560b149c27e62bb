import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'socket.io';
import { hashToken, type AccountService } from '../../accounts/account-service.ts';
import type { Principal } from '../api-registry.ts';
import type { PublicOrigins } from './public-origins.ts';
import { SESSION_COOKIE, parseCookies } from './set-session-cookie.ts';

/** Who opened a socket, and by which session (its id is the stored hash of the cookie's token). */
export interface SocketSession {
  principal: Principal;
  sessionId: string;
  /** The cookie's token, kept in memory only, to re-validate the session later. */
  token: string;
}

/**
 * Authorises a socket.io handshake (every namespace: scoring, terminals): the Host header must name
 * a public origin (a DNS-rebinding page reaches us under its own host name), the `Origin` header,
 * when the client sends one (browsers always do), must be a public origin (a cross-site page cannot
 * ride on the cookie), and the `cyrop_session` cookie must name a live session whose user needs no
 * password change first. Undefined refuses the socket.
 */
export function socketAuthenticator(
  accounts: AccountService,
  origins: PublicOrigins,
): (socket: Pick<Socket, 'handshake'>) => Promise<SocketSession | undefined> {
  return async (socket) => {
    const headers: IncomingHttpHeaders = socket.handshake.headers;
    if (!origins.allowsHost(headers.host)) return undefined;
    if (headers.origin !== undefined && !origins.allowsOrigin(headers.origin)) return undefined;
    const token = parseCookies(headers.cookie).get(SESSION_COOKIE);
    if (!token) return undefined;
    const session = await accounts.resolveSession(token);
    if (!session || session.mustChangePassword) return undefined;
    return { principal: session.principal, sessionId: hashToken(token), token };
  };
}
