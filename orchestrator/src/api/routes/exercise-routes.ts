import type { AccountService } from '../../accounts/account-service.ts';
import { parseRosterCsv, rosterTeams, type RosterRow } from '../../accounts/roster-csv.ts';
import type { RosterService } from '../../accounts/roster-service.ts';
import type { TeamSpec } from '../../compiler/plan-exercise.ts';
import { DURATION_PATTERN, parseDuration } from '../../compiler/durations.ts';
import { CyropError, isCyropError } from '../../errors.ts';
import type { ExerciseActor, ExerciseService } from '../../exercises/exercise-service.ts';
import { mustWatchExercise } from '../../access/exercise-access.ts';
import type { ScenarioLibrary } from '../../scenarios/scenario-library.ts';
import { STAFF, type ApiRegistry, type Principal } from '../api-registry.ts';

export interface ExerciseRouteDeps {
  exercises: ExerciseService;
  accounts: AccountService;
  rosters: RosterService;
  scenarios: ScenarioLibrary;
  onLaunchError?: (exerciseId: string, error: unknown) => void;
  /** Opens scoring of a new exercise (`startScoring: true` at creation); absent: no scoring here. */
  startScoring?: (exerciseId: string) => Promise<unknown>;
}

const ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };
const DURATION = { type: 'string', pattern: DURATION_PATTERN };

/**
 * The teams of a new exercise: a count (Team 1 … N), names, or the teams a roster names (in the
 * order they first appear). Every team a roster names must be one of the given names.
 */
function teamsFor(
  count: number | undefined,
  names: string[] | undefined,
  roster: RosterRow[] | undefined,
): number | TeamSpec[] {
  const named = names ?? (roster ? rosterTeams(roster) : undefined);
  if (named === undefined) {
    if (count === undefined)
      throw new CyropError('BAD_REQUEST', 'teams: give a number of teams, teamNames or a roster');
    return count;
  }
  if (count !== undefined && count !== named.length)
    throw new CyropError('BAD_REQUEST', `teams: ${count} teams but ${named.length} team names`);
  const problems = (roster ?? [])
    .filter((r) => !named.includes(r.team))
    .map((r) => ({ line: r.line, message: `team '${r.team}' is not one of the team names` }));
  if (problems.length > 0)
    throw new CyropError('BAD_REQUEST', `roster: ${problems.length} problem(s); nothing was created`, {
      details: problems,
    });
  return named.map((name, i) => {
    const clean = name.trim();
    if (clean === '' || /\p{Cc}/u.test(clean))
      throw new CyropError('BAD_REQUEST', `teamNames/${i}: a team name is 1–100 printable characters`);
    return { id: `team-${i + 1}`, name: clean };
  });
}

/** Invitation links as the console shows them (the token appears here once). */
export function inviteLinks(imported: {
  added: number;
  invitations: { email: string; token: string }[];
  notInvited: string[];
}) {
  return {
    added: imported.added,
    invitations: imported.invitations.map((i) => ({ email: i.email, link: `/#/invite/${i.token}` })),
    notInvited: imported.notInvited,
  };
}

/** Exercises for instructors: create and launch from the catalogue, status, reset, extend, teardown. */
export function exerciseRoutes(
  api: ApiRegistry,
  { exercises, accounts, rosters, scenarios, onLaunchError, startScoring }: ExerciseRouteDeps,
): void {
  /** The caller, once it may act on the exercise (404 otherwise), as the exercise service audits it. */
  const own = async (principal: Principal | undefined, id: string, ip?: string): Promise<ExerciseActor> => {
    const actor = await mustWatchExercise((p, e) => accounts.canWatchExercise(p, e), principal, id);
    return { actor, ip };
  };
  const summary = api.schema('ExerciseSummary', EXERCISE_SUMMARY_SCHEMA);
  const status = api.schema('ExerciseStatus', {
    ...EXERCISE_SUMMARY_SCHEMA,
    required: [...EXERCISE_SUMMARY_SCHEMA.required, 'environments'],
    properties: {
      ...EXERCISE_SUMMARY_SCHEMA.properties,
      environments: {
        type: 'array',
        description: "what the engine has, per team (the team's id in `team`)",
        items: {
          type: 'object',
          required: ['team', 'networks', 'hosts', 'ready'],
          properties: {
            team: { type: 'string' },
            planHash: { type: 'string' },
            networks: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'exists'],
                properties: { name: { type: 'string' }, exists: { type: 'boolean' } },
              },
            },
            hosts: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'state'],
                properties: {
                  name: { type: 'string' },
                  state: { type: 'string' },
                  detail: { type: 'string' },
                },
              },
            },
            ready: { type: 'boolean' },
          },
        },
      },
    },
  });

  api.add<undefined>({
    method: 'get',
    path: '/api/exercises',
    operationId: 'listExercises',
    summary: 'The exercises the caller may run (operators: all)',
    tags: ['exercises'],
    access: STAFF,
    response: {
      description: 'exercises',
      schema: { type: 'object', properties: { exercises: { type: 'array', items: summary } } },
    },
    handler: async ({ principal }) => {
      const all = await exercises.list();
      const visible = [];
      for (const e of all)
        if (principal && (await accounts.canWatchExercise(principal, e.id))) visible.push(e);
      return { exercises: visible };
    },
  });

  api.add<{
    scenario: string;
    version?: string;
    teams?: number;
    teamNames?: string[];
    maxMembersPerTeam?: number;
    roster?: string;
    ttl?: string;
    id?: string;
    recordInput?: boolean;
    startScoring?: boolean;
  }>({
    method: 'post',
    path: '/api/exercises',
    operationId: 'createExercise',
    summary: 'Create an exercise from a catalogue scenario and start provisioning every team',
    tags: ['exercises'],
    access: STAFF,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['scenario'],
      properties: {
        scenario: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' },
        /** The scenario version to plan from; default: the newest the caller may launch. */
        version: { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,64}$' },
        teams: {
          type: 'integer',
          minimum: 1,
          maximum: 500,
          description: 'how many teams (or give teamNames or a roster)',
        },
        teamNames: {
          type: 'array',
          minItems: 1,
          maxItems: 500,
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 100 },
          description: 'the teams by name, in order (ids are team-1 … team-N)',
        },
        maxMembersPerTeam: { type: 'integer', minimum: 1, maximum: 1000 },
        roster: {
          type: 'string',
          maxLength: 512 * 1024,
          description:
            'CSV: team, display name, optional e-mail (English or Japanese headers); its teams name the teams unless teamNames does',
        },
        ttl: DURATION,
        id: ID,
        /** Terminal recordings capture keystrokes too (trainees are told); default false. */
        recordInput: { type: 'boolean' },
        startScoring: {
          type: 'boolean',
          description:
            'open scoring at once (submissions accepted from launch); default false: the instructor starts it (POST /api/exercises/{id}/scoring/status)',
        },
      },
    },
    response: {
      status: 202,
      description:
        'created; teams are being provisioned (their progress is pushed on /scoring as `exercise:team`); with a roster, `roster` says who was invited',
      schema: {
        allOf: [
          summary,
          {
            type: 'object',
            properties: {
              roster: {
                type: 'object',
                required: ['added', 'invitations', 'notInvited'],
                properties: {
                  added: { type: 'integer' },
                  invitations: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['email', 'link'],
                      properties: { email: { type: 'string' }, link: { type: 'string' } },
                    },
                  },
                  notInvited: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        ],
      },
    },
    handler: async ({ principal, body, req }) => {
      const { file } = scenarios.forLaunch(principal, body.scenario, body.version);
      const roster = body.roster === undefined ? undefined : parseRosterCsv(body.roster);
      if (roster && roster.problems.length > 0)
        throw new CyropError(
          'BAD_REQUEST',
          `roster: ${roster.problems.length} problem(s); nothing was created`,
          {
            details: roster.problems,
          },
        );
      const teams = teamsFor(body.teams, body.teamNames, roster?.rows);
      if (body.startScoring && !startScoring)
        throw new CyropError(
          'BAD_REQUEST',
          'startScoring: this platform runs no scoring; nothing was created',
        );
      const created = await exercises.create({
        scenarioPath: file,
        orgId: principal?.kind === 'user' ? principal.orgId : null,
        teams,
        ...(body.maxMembersPerTeam !== undefined ? { maxMembersPerTeam: body.maxMembersPerTeam } : {}),
        launching: true,
        ...(body.id ? { id: body.id } : {}),
        ...(body.ttl ? { ttlMs: parseDuration(body.ttl) } : {}),
        ...(body.recordInput ? { recordInput: true } : {}),
        ...(principal ? { by: { actor: principal, ip: req.ip } } : {}),
      });
      exercises.launch(created.id).catch((error: unknown) => onLaunchError?.(created.id, error));
      // Scoring opens before the first team is ready: nobody sees "not started" on a class that said "at launch".
      if (body.startScoring && startScoring)
        await startScoring(created.id).catch((error: unknown) => {
          // the scoring service's own refusal keeps its code (and its message reaches the instructor)
          throw new CyropError(
            isCyropError(error) ? error.code : 'INTERNAL',
            `exercise '${created.id}' was created and is launching, but its scoring could not be started (${(error as Error).message}): start it on the exercise page`,
            { cause: error },
          );
        });
      if (!roster || !principal) return created;
      const imported = await rosters.importRoster(created.id, roster.rows, { actor: principal, ip: req.ip });
      return { ...created, roster: inviteLinks(imported) };
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/exercises/{id}',
    operationId: 'getExercise',
    summary: 'An exercise: what the store wants and what the engine has, per team',
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id'], properties: { id: ID } },
    response: { description: 'status', schema: status },
    handler: async ({ principal, params }) => {
      await own(principal, params.id);
      return exercises.status(params.id);
    },
  });

  api.add<{ host?: string }, { id: string; team: string }>({
    method: 'post',
    path: '/api/exercises/{id}/teams/{team}/reset',
    operationId: 'resetTeam',
    summary: "Recreate a team's environment, or one host of it, from its plan",
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id', 'team'], properties: { id: ID, team: ID } },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { host: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,23}$' } },
    },
    response: { description: 'the exercise after the reset', schema: summary },
    handler: async ({ principal, params, body, req }) => {
      const by = await own(principal, params.id, req.ip);
      return exercises.reset(params.id, params.team, body.host, { by });
    },
  });

  api.add<{ by: string }, { id: string }>({
    method: 'post',
    path: '/api/exercises/{id}/extend',
    operationId: 'extendExercise',
    summary: 'Push the expiry back',
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id'], properties: { id: ID } },
    body: { type: 'object', additionalProperties: false, required: ['by'], properties: { by: DURATION } },
    response: { description: 'the exercise', schema: summary },
    handler: async ({ principal, params, body, req }) => {
      const by = await own(principal, params.id, req.ip);
      return exercises.extend(params.id, parseDuration(body.by), by);
    },
  });

  api.add<undefined, { id: string }>({
    method: 'delete',
    path: '/api/exercises/{id}',
    operationId: 'teardownExercise',
    summary: 'Tear down every environment of the exercise',
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id'], properties: { id: ID } },
    response: { description: 'the ended exercise', schema: summary },
    handler: async ({ principal, params, req }) => {
      const by = await own(principal, params.id, req.ip);
      return exercises.teardown(params.id, by);
    },
  });
}

/** `ExerciseSummary` (exercise-service.ts) as the API documents it. */
const EXERCISE_SUMMARY_SCHEMA = {
  type: 'object',
  required: ['id', 'scenario', 'state', 'engine', 'createdAt', 'expiresAt', 'recordInput', 'teams'],
  properties: {
    id: { type: 'string' },
    scenario: {
      type: 'object',
      required: ['id', 'version', 'hash', 'path'],
      properties: {
        id: { type: 'string' },
        version: { type: 'string' },
        hash: { type: 'string' },
        path: { type: 'string' },
      },
    },
    state: { enum: ['created', 'launching', 'running', 'tearing-down', 'ended'] },
    engine: { type: 'string' },
    createdAt: { type: 'integer', description: 'epoch ms' },
    expiresAt: { type: ['integer', 'null'], description: 'epoch ms' },
    recordInput: { type: 'boolean' },
    teams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'index', 'state', 'attempts', 'lastError', 'hosts', 'readyHosts'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          index: { type: 'integer' },
          state: { enum: ['pending', 'provisioning', 'ready', 'failed', 'resetting', 'destroyed'] },
          attempts: { type: 'integer' },
          lastError: { type: ['string', 'null'] },
          hosts: { type: 'array', items: { type: 'string' } },
          readyHosts: { type: 'integer' },
        },
      },
    },
  },
} as const;
