import type { AccountService } from '../../accounts/account-service.ts';
import { CyropError } from '../../errors.ts';
import type { Authenticator } from '../api-registry.ts';
import { sessionToken } from './set-session-cookie.ts';

/** What a user holding a one-time password may still do: see who they are, change it, sign out. */
const WHILE_PASSWORD_MUST_CHANGE = new Set([
  'GET /api/auth/me',
  'POST /api/auth/password',
  'POST /api/auth/logout',
]);

/**
 * The principal of the `cyrop_session` cookie (undefined when there is none, or it is unknown or
 * expired). A user who must still change a one-time password is refused everything else (FORBIDDEN).
 */
export function sessionAuthenticator(accounts: AccountService): Authenticator {
  return async (req) => {
    const token = sessionToken(req);
    if (!token) return undefined;
    const session = await accounts.resolveSession(token);
    if (!session) return undefined;
    if (session.mustChangePassword && !WHILE_PASSWORD_MUST_CHANGE.has(`${req.method} ${req.path}`))
      throw new CyropError('FORBIDDEN', 'change your one-time password first (POST /api/auth/password)');
    return session.principal;
  };
}
