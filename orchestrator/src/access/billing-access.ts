import type { Principal } from './principal.ts';

type User = Extract<Principal, { kind: 'user' }>;

/**
 * An organisation's books — its sales, statements, receivables and journal entries: read and record
 * sales (and reverse them) — the operator, and that organisation's org-admins. Anyone else is told
 * the organisation's books do not exist (404).
 */
export function mayKeepBooksOf(principal: Principal | undefined, orgId: string): principal is User {
  if (principal?.kind !== 'user') return false;
  return principal.role === 'operator' || (principal.role === 'org-admin' && principal.orgId === orgId);
}

/**
 * Everything that makes or settles a claim — issue statements and fee invoices, record payments, set
 * Co-Nexus memberships and fee schedules, see every organisation's books, verify the journal: the operator.
 */
export function mayRunBilling(principal: Principal | undefined): principal is User {
  return principal?.kind === 'user' && principal.role === 'operator';
}
