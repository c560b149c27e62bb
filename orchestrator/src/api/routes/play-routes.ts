import { BROADCAST, LOCALIZED_TEXT } from '../common-schemas.ts';
import type { AccountService } from '../../accounts/account-service.ts';
import { localize, type LocalizedText, type Scenario } from '../../compiler/scenario.ts';
import { CyropError } from '../../errors.ts';
import type { ExerciseService } from '../../exercises/exercise-service.ts';
import type { BroadcastBoard } from '../../exercises/broadcast-board.ts';
import { compileScenarioFile } from '../../scenarios/scenario-folder.ts';
import { STAFF, type ApiRegistry } from '../api-registry.ts';
import { mustWatchExercise } from '../../access/exercise-access.ts';

export interface PlayRouteDeps {
  exercises: ExerciseService;
  accounts: AccountService;
  broadcasts: BroadcastBoard;
}

const ID = { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' };
const LANG = { type: 'string', pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$' } as const;
/** A broadcast is a short notice, not a document. */
export const MAX_BROADCAST_CHARS = 500;

/**
 * What a team sees of its exercise beyond the objectives (the mission, its hosts, the time left,
 * the instructors' broadcasts), and the instructors' broadcast to every team of an exercise.
 */
export function playRoutes(api: ApiRegistry, { exercises, accounts, broadcasts }: PlayRouteDeps): void {
  const metadata = scenarioMetadata();

  api.add<undefined, Record<string, string>, { lang?: string }>({
    method: 'get',
    path: '/api/play/exercise',
    operationId: 'playExercise',
    summary: "The team's exercise: mission, console hosts, end time, recording policy, broadcasts",
    tags: ['play'],
    access: 'participant',
    query: { properties: { lang: LANG } },
    response: {
      description: 'texts in `lang` (falling back to English, then any) when given, else every language',
      schema: {
        type: 'object',
        required: ['exerciseId', 'teamId', 'teamName', 'title', 'hosts', 'status', 'endsAt', 'broadcasts'],
        properties: {
          exerciseId: { type: 'string' },
          teamId: { type: 'string' },
          teamName: { type: 'string' },
          title: LOCALIZED_TEXT,
          summary: LOCALIZED_TEXT,
          story: LOCALIZED_TEXT,
          hosts: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'console', 'web'],
              properties: {
                name: { type: 'string' },
                console: { type: 'boolean' },
                web: {
                  type: 'array',
                  description: 'web services the team opens in the browser (web service tabs)',
                  items: {
                    type: 'object',
                    required: ['port', 'title', 'path'],
                    properties: {
                      port: { type: 'integer' },
                      title: LOCALIZED_TEXT,
                      path: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
          status: { type: 'string' },
          endsAt: { type: ['string', 'null'] },
          recordsInput: { type: 'boolean' },
          broadcasts: { type: 'array', items: BROADCAST },
        },
      },
    },
    handler: async ({ principal, query }) => {
      if (principal?.kind !== 'participant')
        throw new CyropError('FORBIDDEN', 'only members of a team may do this');
      const exercise = await exercises.get(principal.exerciseId);
      const team = exercise.teams.find((t) => t.id === principal.teamId);
      if (!team) throw new CyropError('NOT_FOUND', `no team '${principal.teamId}'`);
      const plan = await exercises.plan(exercise.id, team.id);
      const meta = metadata(exercise.scenario.path);
      const text = (t: LocalizedText | undefined) =>
        query.lang && t !== undefined ? localize(t, query.lang) : t;
      return {
        exerciseId: exercise.id,
        teamId: team.id,
        teamName: team.name,
        title: text(meta?.title ?? exercise.scenario.id),
        ...(meta?.summary !== undefined ? { summary: text(meta.summary) } : {}),
        ...(meta?.story !== undefined ? { story: text(meta.story) } : {}),
        hosts: plan.hosts.map((h) => ({
          name: h.name,
          console: h.console !== null,
          // the web services trainees open as tabs (POST /api/exercises/{id}/teams/{team}/web)
          web: (h.web ?? []).map((w) => ({ port: w.port, title: text(w.title), path: w.path })),
        })),
        status: exercise.state,
        endsAt: exercise.expiresAt === null ? null : new Date(exercise.expiresAt).toISOString(),
        recordsInput: exercise.recordInput,
        broadcasts: broadcasts.of(exercise.id, team.id),
      };
    },
  });

  api.add<{ message: string; team?: string }, { id: string }>({
    method: 'post',
    path: '/api/exercises/{id}/broadcast',
    operationId: 'broadcast',
    summary:
      'Send a short message to every team of an exercise, or to one (`team`): shown at once in their consoles',
    tags: ['exercises'],
    access: STAFF,
    params: { required: ['id'], properties: { id: ID } },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['message'],
      properties: {
        message: { type: 'string', minLength: 1, maxLength: MAX_BROADCAST_CHARS },
        team: { type: 'string', minLength: 1, maxLength: 63, description: 'a team id: to that team only' },
      },
    },
    response: { status: 204, description: 'sent' },
    handler: async ({ principal, params, body, res }) => {
      await mustWatchExercise((p, e) => accounts.canWatchExercise(p, e), principal, params.id);
      const message = body.message.trim();
      if (message === '') throw new CyropError('BAD_REQUEST', 'the message is empty');
      if (body.team !== undefined) {
        const exercise = await exercises.get(params.id);
        if (!exercise.teams.some((t) => t.id === body.team))
          throw new CyropError(
            'BAD_REQUEST',
            `team '${body.team}' is not a team of exercise '${params.id}'`,
            {
              details: { field: 'team' },
            },
          );
      }
      await accounts.audit(principal ?? 'anonymous', 'exercise.broadcast', params.id, {
        message,
        ...(body.team !== undefined ? { team: body.team } : {}),
      });
      broadcasts.send(params.id, message, body.team);
      res.status(204).end();
      return undefined;
    },
  });
}

/** Title, summary and story of the scenario an exercise was made from (a scenario version never changes). */
function scenarioMetadata(): (file: string) => Scenario['metadata'] | undefined {
  const cache = new Map<string, Scenario['metadata'] | undefined>();
  return (file) => {
    if (!cache.has(file)) cache.set(file, compileScenarioFile(file).compiled?.scenario.metadata);
    return cache.get(file);
  };
}
