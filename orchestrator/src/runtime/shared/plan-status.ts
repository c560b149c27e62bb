import type { EnvironmentPlan, PlannedHost } from '../../compiler/environment-plan.ts';
import { CyropError } from '../../errors.ts';
import type { EnvironmentStatus } from '../runtime-driver.ts';

/** The status of an environment whose every network and host was just made and seen ready. */
export function readyStatus(plan: EnvironmentPlan): EnvironmentStatus {
  return {
    ref: { exercise: plan.exercise.id, team: plan.team.id },
    planHash: plan.hash,
    networks: plan.networks.map((n) => ({ name: n.name, exists: true })),
    hosts: plan.hosts
      .map((h) => ({ name: h.name, state: 'ready' as const }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    ready: true,
  };
}

/** A host of the plan, or NOT_FOUND naming the team. */
export function plannedHost(plan: EnvironmentPlan, hostName: string): PlannedHost {
  const host = plan.hosts.find((h) => h.name === hostName);
  if (!host)
    throw new CyropError(
      'NOT_FOUND',
      `no host '${hostName}' in the plan of ${plan.exercise.id}/${plan.team.id}`,
    );
  return host;
}
