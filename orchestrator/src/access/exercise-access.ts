import { CyropError } from '../errors.ts';
import type { Principal } from './principal.ts';

/**
 * Whether a principal may see and run an exercise owned by `owner` (undefined: no such exercise):
 * operators all, org-admins and instructors their organisation's; trainees never (they play through
 * their team's participant session).
 */
export function mayWatchExercise(principal: Principal, owner: { orgId: string | null } | undefined): boolean {
  if (principal.kind !== 'user') return false;
  if (principal.role === 'operator') return true;
  if (principal.role !== 'org-admin' && principal.role !== 'instructor') return false;
  return owner !== undefined && owner.orgId === principal.orgId;
}

/**
 * Refuses a caller who may not watch an exercise with 404, never 403: another organisation's exercise
 * answers as if it did not exist, so tenants do not learn what others run. Every staff route of an
 * exercise, both socket namespaces and the terminal gateway start with it.
 */
export async function mustWatchExercise(
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>,
  principal: Principal | undefined,
  exerciseId: string,
): Promise<Principal> {
  if (!principal || !(await canWatch(principal, exerciseId)))
    throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
  return principal;
}
