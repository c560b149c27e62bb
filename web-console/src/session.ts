import { ApiError } from './api.ts';
import { client } from './api-client.ts';
import type { Principal, Session } from './types.ts';

let current: Session | undefined;

/** The signed-in session as last seen (undefined: nobody). */
export function session(): Session | undefined {
  return current;
}

export function setSession(next: Session | undefined): void {
  current = next;
}

/** Asks the server who is signed in. */
export async function refreshSession(): Promise<Session | undefined> {
  try {
    current = await client.get('/api/auth/me');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) current = undefined;
    else throw error;
  }
  return current;
}

export async function logout(): Promise<void> {
  await client.post('/api/auth/logout');
  current = undefined;
  try {
    sessionStorage.clear();
  } catch {
    // nothing stored
  }
}

export function isStaff(principal: Principal | undefined): boolean {
  return (
    principal?.kind === 'user' &&
    (principal.role === 'operator' || principal.role === 'org-admin' || principal.role === 'instructor')
  );
}

/**
 * Whether the session keeps a selling organisation's books (the Business page): an org-admin of a
 * training company. A customer organisation's admins buy courses and have no books here.
 */
export function keepsBooks(who: Session | undefined): boolean {
  return (
    who?.principal.kind === 'user' && who.principal.role === 'org-admin' && who.orgKind === 'training-company'
  );
}
