import type { OrganisationKind, UserRole } from '../store/schema.ts';
import type { Principal, Role } from './principal.ts';

/** The roles an organisation of each kind may give its users. */
export const ROLES_BY_ORG_KIND: Record<OrganisationKind, readonly Role[]> = {
  operator: ['operator'],
  'training-company': ['org-admin', 'instructor', 'trainee'],
  customer: ['org-admin', 'instructor', 'trainee'],
};

type User = Extract<Principal, { kind: 'user' }>;

function isUser(principal: Principal | undefined): principal is User {
  return principal?.kind === 'user';
}

/** Create, edit and disable organisations; list every organisation and every user: the operator. */
export function mayAdministerPlatform(principal: Principal | undefined): principal is User {
  return isUser(principal) && principal.role === 'operator';
}

/**
 * See and manage an organisation's users (create, change role, disable, reset password): the operator,
 * and that organisation's org-admins.
 */
export function mayManageUsersOf(principal: Principal | undefined, orgId: string): principal is User {
  if (!isUser(principal)) return false;
  return principal.role === 'operator' || (principal.role === 'org-admin' && principal.orgId === orgId);
}

/**
 * Whether a manager may give `role` to a user of an organisation of `kind`: the kind must allow it,
 * and only an operator makes operators.
 */
export function mayAssignRole(
  principal: Principal | undefined,
  kind: OrganisationKind,
  role: UserRole,
): boolean {
  if (!isUser(principal) || !ROLES_BY_ORG_KIND[kind].includes(role)) return false;
  return role !== 'operator' || principal.role === 'operator';
}

/** A manager never disables, demotes or resets themselves (an organisation must keep its admin). */
export function mayChangeUser(principal: Principal | undefined, userId: string): boolean {
  return isUser(principal) && principal.userId !== userId;
}

/** Read the audit log: the operator all of it; an org-admin the entries of their organisation. */
export function auditScope(principal: Principal | undefined): { all: true } | { orgId: string } | undefined {
  if (!isUser(principal)) return undefined;
  if (principal.role === 'operator') return { all: true };
  if (principal.role === 'org-admin') return { orgId: principal.orgId };
  return undefined;
}
