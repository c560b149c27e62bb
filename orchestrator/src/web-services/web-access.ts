import type { Principal } from '../access/principal.ts';
import { isStaff } from '../access/principal.ts';
import type { PlannedWebService } from '../compiler/environment-plan.ts';
import { CyropError } from '../errors.ts';
import type { ExerciseService } from '../exercises/exercise-service.ts';

/** One declared web service of one team's host: what the proxy connects to. */
export interface WebTarget {
  exerciseId: string;
  teamId: string;
  host: string;
  port: number;
  service: PlannedWebService;
}

export interface WebAccessDeps {
  exercises: Pick<ExerciseService, 'get' | 'plan'>;
  /** Whether a staff user may watch an exercise (its organisation's staff, operators). */
  canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>;
  clock?: () => number;
}

/**
 * Who may use a web service of a team's host, decided like a terminal: a participant only on its
 * own team's hosts (another team's: FORBIDDEN; another exercise: NOT_FOUND), staff who may watch
 * the exercise on any team's (others: NOT_FOUND, as if it did not exist); the exercise running and
 * not past its end, the team's environment up, and the port one the scenario declares under `web:`
 * for that host (no other port of a host is reachable this way).
 */
export async function webTargetOf(
  deps: WebAccessDeps,
  principal: Principal | undefined,
  request: { exerciseId: string; teamId: string; host: string; port: number },
): Promise<WebTarget> {
  const { exerciseId, teamId } = request;
  if (!principal) throw new CyropError('UNAUTHENTICATED', 'sign in or join your team first');
  if (principal.kind === 'participant') {
    if (principal.exerciseId !== exerciseId) throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
    if (principal.teamId !== teamId)
      throw new CyropError('FORBIDDEN', "a team opens only its own hosts' web services");
  } else if (!isStaff(principal) || !(await deps.canWatch(principal, exerciseId))) {
    throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
  }
  const exercise = await deps.exercises.get(exerciseId);
  if (exercise.state !== 'running')
    throw new CyropError('CONFLICT', `the exercise is ${exercise.state}, not running`);
  const now = (deps.clock ?? Date.now)();
  if (exercise.expiresAt !== null && exercise.expiresAt <= now)
    throw new CyropError('CONFLICT', `the exercise ended at ${new Date(exercise.expiresAt).toISOString()}`);
  const team = exercise.teams.find((t) => t.id === teamId);
  if (!team) throw new CyropError('NOT_FOUND', `no team '${teamId}'`);
  if (team.state === 'resetting' || team.state === 'destroyed' || team.state === 'pending')
    throw new CyropError('CONFLICT', `the team's environment is ${team.state}`);
  const plan = await deps.exercises.plan(exerciseId, teamId);
  const host = plan.hosts.find((h) => h.name === request.host);
  if (!host) throw new CyropError('NOT_FOUND', `no host '${request.host}' in team '${teamId}'`);
  const service = host.web?.find((w) => w.port === request.port);
  if (!service)
    throw new CyropError(
      'NOT_FOUND',
      `host '${host.name}' declares no web service on port ${request.port}${
        host.web?.length ? ` (its web services: ${host.web.map((w) => w.port).join(', ')})` : ''
      }`,
    );
  return { exerciseId, teamId, host: host.name, port: service.port, service };
}
