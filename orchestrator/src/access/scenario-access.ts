import type { Publication } from '../store/schema.ts';
import { isStaff, type Principal } from './principal.ts';

/** How a scenario version is owned and offered. */
export interface ScenarioOwnership {
  /** null: the shipped catalogue. */
  ownerOrgId: string | null;
  publication: Publication;
  archived: boolean;
}

/**
 * See and launch: the shipped catalogue and published versions are everyone's (anonymous callers get
 * catalogue cards only); a private version is its organisation's staff's, and the operator's.
 */
export function mayUseScenario(principal: Principal | undefined, v: ScenarioOwnership): boolean {
  if (v.ownerOrgId === null || v.publication === 'published') return true;
  return isStaff(principal) && (principal.role === 'operator' || principal.orgId === v.ownerOrgId);
}

/** Archive, restore and see archived versions: the owning organisation's staff, and the operator. */
export function mayManageScenario(principal: Principal | undefined, v: ScenarioOwnership): boolean {
  if (v.ownerOrgId === null) return false;
  return isStaff(principal) && (principal.role === 'operator' || principal.orgId === v.ownerOrgId);
}

/** Ask for (or withdraw) publication to every organisation: an org-admin of the owner, or the operator. */
export function mayRequestPublication(principal: Principal | undefined, v: ScenarioOwnership): boolean {
  if (v.ownerOrgId === null || !isStaff(principal)) return false;
  return (
    principal.role === 'operator' || (principal.role === 'org-admin' && principal.orgId === v.ownerOrgId)
  );
}

/** Approve or reject publication requests: the platform operator alone. */
export function mayDecidePublication(principal: Principal | undefined): boolean {
  return isStaff(principal) && principal.role === 'operator';
}
