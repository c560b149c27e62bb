/** The roles of a signed-in user; what each may do is decided in this folder, not at the edges. */
export type Role = 'operator' | 'org-admin' | 'instructor' | 'trainee';

/** Who is calling: a signed-in user, or a team participant who joined an exercise with a code. */
export type Principal =
  | { kind: 'user'; userId: string; orgId: string; role: Role; name: string }
  | { kind: 'participant'; exerciseId: string; teamId: string; name: string; userId?: string };

/** The people who run exercises: operators, and the org-admins and instructors of an organisation. */
export const STAFF_ROLES: readonly Role[] = ['operator', 'org-admin', 'instructor'];

/** A signed-in operator, org-admin or instructor. */
export function isStaff(principal: Principal | undefined): principal is Extract<Principal, { kind: 'user' }> {
  return principal?.kind === 'user' && STAFF_ROLES.includes(principal.role);
}

/** The user id the CLI acts under against the data directory; audit entries name it `system:cli`. */
export const CLI_USER_ID = 'system:cli';

/**
 * The CLI's principal: whoever runs `cyrop` on the data directory holds the operator's powers (they
 * can read the database file anyway); `orgId` is the organisation it acts for (uploads).
 */
export function cliPrincipal(orgId: string): Extract<Principal, { kind: 'user' }> {
  return { kind: 'user', userId: CLI_USER_ID, orgId, role: 'operator', name: 'cyrop CLI' };
}
